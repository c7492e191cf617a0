/** RFC 9457 problem details, as every Gatehouse error is written. */
export interface FieldError {
  field: string;
  code: string;
  message: string;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail?: string;
  errors?: FieldError[];
  /** Seconds from a `Retry-After` header (rate limiting), when present. */
  retryAfter?: number;
}

/** A failed request: an HTTP error answer, or no answer at all (`status` 0, code `network_error`). */
export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail || problem.title);
    this.name = "ApiError";
  }

  get status(): number {
    return this.problem.status;
  }

  get code(): string {
    return this.problem.code;
  }
}

/** The person (or leaving the page) cancelled the request: the caller goes back to idle without an error. */
export function isCancellation(error: unknown): boolean {
  return error instanceof DOMException && error.name === "AbortError";
}

/** What a prompt rejects with when the person cancels it. */
export function cancellation(reason = "Cancelled"): DOMException {
  return new DOMException(reason, "AbortError");
}

const text = (value: unknown): string | undefined => (typeof value === "string" && value ? value : undefined);

/** Seconds to wait from a `Retry-After` value (delta-seconds or an HTTP date). */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}

/** Turns any error body into a `Problem`, keeping only well-formed parts and filling the rest from the status. */
export function parseProblem(body: unknown, status: number, retryAfter?: string | null): Problem {
  const source = (body && typeof body === "object" ? body : {}) as Record<string, unknown>;
  const errors = Array.isArray(source.errors)
    ? source.errors.flatMap((entry): FieldError[] => {
        const item = (entry && typeof entry === "object" ? entry : {}) as Record<string, unknown>;
        const field = text(item.field);
        return field ? [{ field, code: text(item.code) ?? "invalid", message: text(item.message) ?? "Check this field." }] : [];
      })
    : undefined;
  const problem: Problem = {
    type: text(source.type) ?? "about:blank",
    title: text(source.title) ?? statusTitle(status),
    status: typeof source.status === "number" ? source.status : status,
    code: text(source.code) ?? `http_${status}`,
  };
  const detail = text(source.detail);
  if (detail) problem.detail = detail;
  if (errors && errors.length) problem.errors = errors;
  const seconds = parseRetryAfter(retryAfter ?? null);
  if (seconds !== undefined) problem.retryAfter = seconds;
  return problem;
}

/** Reads a failed response's body as a problem (tolerating HTML, empty or broken bodies). */
export async function problemFromResponse(response: Response): Promise<Problem> {
  let body: unknown = undefined;
  try {
    const raw = await response.text();
    body = raw ? JSON.parse(raw) : undefined;
  } catch {
    body = undefined;
  }
  return parseProblem(body, response.status, response.headers.get("Retry-After"));
}

export function networkProblem(): Problem {
  return {
    type: "about:blank",
    title: "Can't reach the server",
    status: 0,
    code: "network_error",
    detail: "We couldn't reach Gatehouse. Check your connection and try again.",
  };
}

function statusTitle(status: number): string {
  if (status >= 500) return "Something went wrong on our side";
  if (status === 404) return "Not found";
  if (status === 429) return "Too many attempts";
  return "The request failed";
}
