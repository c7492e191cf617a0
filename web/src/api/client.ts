import { ApiError, networkProblem, problemFromResponse } from "./problem";
import { refreshLockName, type LockRunner, type TabChannel } from "./tabs";
import type { AuthenticationResponseJSON } from "../webauthn";

/**
 * The one API client. Every request carries cookies (`credentials: "include"`). Hooks, in the
 * shape of ky's:
 *  - before: unsafe methods get `X-CSRF-TOKEN`: a fresh single-use anonymous token for the
 *    anonymous Auth Server forms, the session token (memory only) for everything else;
 *  - after: only `401` with `WWW-Authenticate: Refresh` starts a refresh (LESSONS 2), shared by
 *    every request that failed meanwhile, serialised across tabs with a Web Lock; each failed
 *    request is then retried once;
 *  - after: `403 reauthentication_required` asks the person to prove who they are, in place
 *    (`confirmIdentity`, shared by every request that needs it meanwhile); once they have, the
 *    request is retried once and its caller carries on as if nothing happened.
 */
export type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

export interface RequestOptions {
  body?: unknown;
  /** For the anonymous Auth Server POSTs: fetch a fresh anonymous CSRF token right before. */
  anonymousCsrf?: boolean;
  signal?: AbortSignal;
}

export interface SessionTokens {
  csrfToken: string;
  accessTokenExpiresAt: string;
}

/** How the client reads and updates the session it works for (the app store in the SPA). */
export interface SessionHooks {
  csrfToken(): string | null;
  /** A refresh (here or in another tab) produced new tokens: keep the newest. */
  refreshed(tokens: SessionTokens): void;
  /** The session is over (a refresh was refused): clear it and ask the user to log in. */
  lost(): void;
}

/**
 * What a person can prove who they are with at `POST /auth/reauthenticate`: the password, a
 * 6-digit code from the authenticator app, or a passkey's answer to a challenge from
 * `POST /auth/passkeys/login-options`.
 */
export type IdentityProof = { password: string } | { code: string } | { credential: AuthenticationResponseJSON };

/**
 * Asks the person, in place, to prove who they are (CONTRACT "Needs recent authentication").
 * `prove` sends one proof: it resolves once the server accepted it, and rejects with the
 * `ApiError` otherwise, which the prompt explains before letting them try again. The prompt
 * resolves once a proof was accepted and rejects with an `AbortError` when the person cancels.
 */
export type IdentityPrompt = (prove: (proof: IdentityProof) => Promise<void>) => Promise<void>;

export interface ApiClientOptions {
  authUrl: string;
  resourceUrl: string;
  fetch: typeof fetch;
  lock: LockRunner;
  channel: TabChannel;
  session: SessionHooks;
  /** Without it, `403 reauthentication_required` reaches the caller like any other error. */
  confirmIdentity?: IdentityPrompt;
}

export interface ApiClient {
  readonly authUrl: string;
  auth<T>(method: Method, path: string, options?: RequestOptions): Promise<T>;
  resource<T>(method: Method, path: string, options?: RequestOptions): Promise<T>;
  /**
   * Refreshes the session now (the proactive refresh before expiry). `isStillNeeded` is asked
   * once the cross-tab lock is held, so a tab can skip a refresh another tab just did.
   * Resolves to whether the session is still alive.
   */
  refresh(isStillNeeded?: () => boolean): Promise<boolean>;
}

const safeMethods = new Set<Method>(["GET"]);

type RefreshOutcome = "refreshed" | "skipped" | "lost";
/** first try; retry after a skipped refresh (may force one more); final retry. */
type Attempt = "first" | "after-skip" | "final";

/** Whether an answer is the "access token expired, refresh and retry" challenge. */
export function isRefreshChallenge(response: Response): boolean {
  if (response.status !== 401) return false;
  const challenge = response.headers.get("WWW-Authenticate");
  return !!challenge && /(^|,)\s*Refresh(?=$|[\s,])/i.test(challenge);
}

export function createApiClient(options: ApiClientOptions): ApiClient {
  const { authUrl, resourceUrl, lock, channel, session } = options;
  const fetchImpl = options.fetch;
  /** Counts refreshes seen by this tab (its own and other tabs'), so a request knows if one happened since it was sent. */
  let generation = 0;
  let inFlight: Promise<RefreshOutcome> | null = null;
  /** Counts accepted proofs of identity, so a request knows if one happened since it was sent. */
  let proofs = 0;
  let confirming: Promise<void> | null = null;

  channel.listen((message) => {
    if (message.type !== "refreshed") return;
    generation += 1;
    session.refreshed({ csrfToken: message.csrfToken, accessTokenExpiresAt: message.accessTokenExpiresAt });
  });

  async function call(url: string, init: RequestInit): Promise<Response> {
    try {
      return await fetchImpl(url, { ...init, credentials: "include", cache: "no-store" });
    } catch (error) {
      if (init.signal?.aborted) throw error;
      throw new ApiError(networkProblem());
    }
  }

  async function anonymousCsrfToken(signal?: AbortSignal): Promise<string> {
    const response = await call(`${authUrl}/auth/csrf`, { method: "GET", headers: { Accept: "application/json" }, signal });
    if (!response.ok) throw new ApiError(await problemFromResponse(response));
    const body = (await response.json()) as { csrfToken?: unknown };
    if (typeof body.csrfToken !== "string") throw new ApiError(networkProblem());
    return body.csrfToken;
  }

  /**
   * The network refresh, under the cross-tab lock. Resolves to "refreshed", "skipped" (another tab
   * refreshed while this one waited: its cookies are ours too) or "lost" (the session is over).
   * `force` refreshes even after a wait, for a request that still failed after a skip.
   */
  function runRefresh(seenGeneration: number, isStillNeeded: () => boolean, force: boolean): Promise<RefreshOutcome> {
    return lock(refreshLockName, async (waited): Promise<RefreshOutcome> => {
      if (!force && (waited || generation !== seenGeneration || !isStillNeeded())) return "skipped";
      const headers: Record<string, string> = { Accept: "application/json" };
      const csrf = session.csrfToken();
      if (csrf) headers["X-CSRF-TOKEN"] = csrf;
      const response = await call(`${authUrl}/auth/refresh`, { method: "POST", headers });
      if (response.ok) {
        const tokens = (await response.json()) as SessionTokens;
        generation += 1;
        session.refreshed(tokens);
        channel.post({ type: "refreshed", csrfToken: tokens.csrfToken, accessTokenExpiresAt: tokens.accessTokenExpiresAt });
        return "refreshed";
      }
      const problem = await problemFromResponse(response);
      if (response.status === 401) {
        // session_expired: the refresh token is absent, expired or revoked; only a new login helps.
        session.lost();
        channel.post({ type: "session-lost" });
        return "lost";
      }
      throw new ApiError(problem);
    });
  }

  /** One refresh shared by every caller until it settles (single flight). */
  function refreshSince(seenGeneration: number, isStillNeeded: () => boolean = () => true, force = false): Promise<RefreshOutcome> {
    if (!force && generation !== seenGeneration) return Promise.resolve("skipped");
    if (!inFlight) {
      inFlight = runRefresh(seenGeneration, isStillNeeded, force).finally(() => {
        inFlight = null;
      });
    }
    return inFlight;
  }

  /**
   * Sends a request; on `401` + Refresh, refreshes (shared) and retries once. Only when the refresh
   * was skipped because another tab had just done one, and the retry still meets the challenge, is a
   * refresh forced and the request tried one last time: bounded, never a loop.
   */
  async function send(url: string, method: Method, request: RequestOptions, attempt: Attempt): Promise<Response> {
    const headers: Record<string, string> = { Accept: "application/json, application/problem+json" };
    if (request.body !== undefined) headers["Content-Type"] = "application/json";
    if (!safeMethods.has(method)) {
      const token = request.anonymousCsrf ? await anonymousCsrfToken(request.signal) : session.csrfToken();
      if (token) headers["X-CSRF-TOKEN"] = token;
    }
    const sentAt = generation;
    const body = request.body === undefined ? undefined : JSON.stringify(request.body);
    const response = await call(url, { method, headers, body, signal: request.signal });
    if (attempt === "final" || !isRefreshChallenge(response)) return response;
    const outcome = await refreshSince(sentAt, () => true, attempt === "after-skip");
    if (outcome === "lost") {
      throw new ApiError({
        type: "about:blank",
        title: "Your session has ended",
        status: 401,
        code: "session_expired",
        detail: "Your session has ended. Please log in again.",
      });
    }
    return send(url, method, request, outcome === "skipped" && attempt === "first" ? "after-skip" : "final");
  }

  /** Reads a final answer: the JSON body, nothing for `204`, or the problem thrown as an `ApiError`. */
  async function answer<T>(response: Response): Promise<T> {
    if (!response.ok) throw new ApiError(await problemFromResponse(response));
    if (response.status === 204) return undefined as T;
    const raw = await response.text();
    return (raw ? JSON.parse(raw) : undefined) as T;
  }

  /** The proof itself never asks for a proof: a `403` here is the prompt's to explain. */
  const prove = async (proof: IdentityProof): Promise<void> => {
    await answer<unknown>(await send(`${authUrl}/auth/reauthenticate`, "POST", { body: proof }, "first"));
    proofs += 1;
  };

  /** One prompt at a time, shared by every request that needs a proof until it settles. */
  function confirmIdentity(prompt: IdentityPrompt): Promise<void> {
    confirming ??= prompt(prove).finally(() => {
      confirming = null;
    });
    return confirming;
  }

  /**
   * Sends a request; on `403 reauthentication_required`, asks for a proof (unless one was accepted
   * since the request was sent) and retries once. A second `403` is the caller's answer: never a
   * loop. The person cancelling rejects with the prompt's `AbortError`.
   */
  async function requestJSON<T>(base: string, method: Method, path: string, request: RequestOptions = {}): Promise<T> {
    const provenBefore = proofs;
    const response = await send(base + path, method, request, "first");
    const prompt = options.confirmIdentity;
    if (response.status !== 403 || !prompt) return answer<T>(response);
    const problem = await problemFromResponse(response);
    if (problem.code !== "reauthentication_required") throw new ApiError(problem);
    if (proofs === provenBefore) await confirmIdentity(prompt);
    return answer<T>(await send(base + path, method, request, "first"));
  }

  return {
    authUrl,
    auth: (method, path, request) => requestJSON(authUrl, method, path, request),
    resource: (method, path, request) => requestJSON(resourceUrl, method, path, request),
    refresh: async (isStillNeeded) => (await refreshSince(generation, isStillNeeded)) !== "lost",
  };
}
