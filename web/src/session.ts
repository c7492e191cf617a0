import type { ApiClient, SessionHooks, SessionTokens } from "./api/client";
import type { LoginAnswer } from "./api/endpoints";
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
