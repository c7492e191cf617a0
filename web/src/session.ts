import type { ApiClient, SessionHooks, SessionTokens } from "./api/client";
import type { LoginAnswer, SecondFactorChallenge } from "./api/endpoints";
import type { Problem } from "./api/problem";
import type { AppStore } from "./state";

/** Milliseconds since the epoch for the wire's ISO-8601 expiry (null when absent or unreadable). */
export function expiryTime(iso: string | undefined | null): number | null {
  if (!iso) return null;
  const time = Date.parse(iso);
  return Number.isNaN(time) ? null : time;
}

/** The store patch for a signed-in session (after login, bootstrap or another tab's login). */
export function signedIn(answer: LoginAnswer) {
  return {
    status: "authenticated" as const,
    user: answer.user,
    csrfToken: answer.csrfToken,
    accessTokenExpiresAt: expiryTime(answer.accessTokenExpiresAt),
  };
}

/** Whether a login answer asks for a second factor (and so carries no session yet). */
export function needsSecondFactor(answer: LoginAnswer | SecondFactorChallenge): answer is SecondFactorChallenge {
  const challenge = answer as Partial<SecondFactorChallenge> | null;
  return challenge?.mfaRequired === true && typeof challenge.mfaToken === "string" && !!challenge.mfaToken;
}

/** The Auth Server refuses a sign-in's token after this many wrong codes (CONTRACT "Second factors"). */
export const wrongCodesAllowed = 5;

/**
 * What a refused second-factor code means for the login page: `retry` (another code may work),
 * `start-again` (the sign-in expired or had too many wrong codes: only the password again helps),
 * or null for any other problem. The server says both with `401 invalid_code`; only its words
 * tell the second apart, so the page also counts the wrong codes itself.
 */
export function afterRefusedCode(problem: Problem, wrongCodes: number): "retry" | "start-again" | null {
  if (problem.code !== "invalid_code") return null;
  if (wrongCodes >= wrongCodesAllowed) return "start-again";
  return /expired|too many|password again|sign in again/i.test(`${problem.title} ${problem.detail ?? ""}`) ? "start-again" : "retry";
}

/** Whether TOTP is on for the account `GET /auth/user` described: null when the server does not say. */
export function totpStatus(user: unknown): boolean | null {
  const mfa = (user as { mfa?: { totp?: unknown } } | null | undefined)?.mfa;
  return typeof mfa?.totp === "boolean" ? mfa.totp : null;
}

/**
 * The ways the "Confirm it's you" dialog offers besides the password: a code from the
 * authenticator app unless the server said TOTP is off (`totp` false; null when it did not say,
 * and then the server answers a code it cannot check), and a passkey where the browser can use one.
 */
export function identityProofMethods(totp: boolean | null, passkeys: boolean): ("code" | "passkey")[] {
  const methods: ("code" | "passkey")[] = [];
  if (totp !== false) methods.push("code");
  if (passkeys) methods.push("passkey");
  return methods;
}

/** Connects the API client to the store: the CSRF token lives here, in memory only. */
export function storeSessionHooks(store: AppStore, onLost: () => void): SessionHooks {
  return {
    csrfToken: () => store.getState().csrfToken,
    refreshed(tokens: SessionTokens) {
      if (store.getState().status !== "authenticated") return;
      store.setState({ csrfToken: tokens.csrfToken, accessTokenExpiresAt: expiryTime(tokens.accessTokenExpiresAt) });
    },
    lost: onLost,
  };
}

export interface FreshnessOptions {
  store: AppStore;
  client: ApiClient;
  doc: Document;
  /** How long before expiry to refresh. */
  leadMs?: number;
  /** Never refresh proactively more often than this, whatever the clocks say (a client clock far ahead of the server's must not cause a refresh loop). */
  minimumGapMs?: number;
  retryMs?: number;
}

/**
 * Refreshes shortly before the access token expires, while the tab is visible. A hidden tab waits
 * until it is shown (or lets its next request take the `401 Refresh` path), so a browser full of
 * background tabs does not refresh once per tab.
 */
export function keepSessionFresh(options: FreshnessOptions): () => void {
  const { store, client, doc, leadMs = 30_000, minimumGapMs = 60_000, retryMs = 15_000 } = options;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let lastAttempt = 0;

  const dueAt = (): number | null => {
    const { status, accessTokenExpiresAt } = store.getState();
    if (status !== "authenticated" || accessTokenExpiresAt === null) return null;
    return Math.max(accessTokenExpiresAt - leadMs, lastAttempt + minimumGapMs);
  };
  const isDue = () => {
    const at = dueAt();
    return at !== null && at <= Date.now();
  };

  const schedule = (delay?: number) => {
    clearTimeout(timer);
    const at = dueAt();
    if (at === null) return;
    timer = setTimeout(tick, Math.min(delay ?? Math.max(0, at - Date.now()), 2_147_483_647));
  };

  const tick = () => {
    if (doc.visibilityState !== "visible" || !isDue()) return schedule();
    lastAttempt = Date.now();
    client.refresh(() => {
      const { accessTokenExpiresAt } = store.getState();
      return accessTokenExpiresAt === null || accessTokenExpiresAt - leadMs <= Date.now();
    }).then(
      () => schedule(),
      () => schedule(retryMs),
    );
  };

  const onVisibility = () => {
    if (doc.visibilityState === "visible") schedule();
  };
  const unsubscribe = store.subscribe((state, previous) => {
    if (state.accessTokenExpiresAt !== previous.accessTokenExpiresAt || state.status !== previous.status) schedule();
  });
  doc.addEventListener("visibilitychange", onVisibility);
  schedule();
  return () => {
    clearTimeout(timer);
    unsubscribe();
    doc.removeEventListener("visibilitychange", onVisibility);
  };
}
