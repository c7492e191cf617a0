import type { User } from "../state";

/** What one tab tells the others about the shared session (BroadcastChannel "gatehouse-auth"). */
export type TabMessage =
  | { type: "login"; user: User; csrfToken: string; accessTokenExpiresAt: string }
  | { type: "logout" }
  | { type: "session-lost" }
  | { type: "refreshed"; csrfToken: string; accessTokenExpiresAt: string };

export interface TabChannel {
  post(message: TabMessage): void;
  /** Returns the function that stops listening. */
  listen(handler: (message: TabMessage) => void): () => void;
}

/**
 * Runs `task` while holding the named lock, across every tab of this origin. `task` learns whether
 * it had to wait for another holder: the only reliable sign that another tab was refreshing, since
 * the lock may be granted before that tab's "refreshed" message arrives.
 */
export type LockRunner = <T>(name: string, task: (waited: boolean) => Promise<T>) => Promise<T>;

export const channelName = "gatehouse-auth";
export const refreshLockName = "gatehouse-refresh";

const messageTypes = new Set(["login", "logout", "session-lost", "refreshed"]);

/** The BroadcastChannel, or a channel that reaches no one where the browser has none. */
export function browserTabChannel(): TabChannel {
  if (typeof BroadcastChannel === "undefined") return { post() {}, listen: () => () => {} };
  const channel = new BroadcastChannel(channelName);
  return {
    post: (message) => channel.postMessage(message),
    listen(handler) {
      const onMessage = (event: MessageEvent) => {
        const data = event.data as { type?: unknown } | null;
        if (data && typeof data.type === "string" && messageTypes.has(data.type)) handler(data as TabMessage);
      };
      channel.addEventListener("message", onMessage);
      return () => channel.removeEventListener("message", onMessage);
    },
  };
}

/** Web Locks where available; otherwise a lock that only serialises within this tab. */
export function browserLock(): LockRunner {
  const locks = typeof navigator !== "undefined" ? navigator.locks : undefined;
  if (!locks) return localLock();
  const busy = Symbol("busy");
  return async <T>(name: string, task: (waited: boolean) => Promise<T>): Promise<T> => {
    const immediate = await locks.request(name, { ifAvailable: true }, (lock) => (lock ? task(false) : busy));
    if (immediate !== busy) return immediate as T;
    return locks.request(name, () => task(true));
  };
}

/** A lock that serialises tasks within one JavaScript realm (also used by tests). */
export function localLock(): LockRunner {
  const tails = new Map<string, Promise<unknown>>();
  const held = new Map<string, number>();
  return <T>(name: string, task: (waited: boolean) => Promise<T>): Promise<T> => {
    const waited = (held.get(name) ?? 0) > 0;
    held.set(name, (held.get(name) ?? 0) + 1);
    const previous = tails.get(name) ?? Promise.resolve();
    const start = () => task(waited);
    const run = previous.then(start, start).finally(() => held.set(name, (held.get(name) ?? 1) - 1));
    tails.set(name, run.catch(() => undefined));
    return run;
  };
}
