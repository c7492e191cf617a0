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

/** Runs `task` while holding the named lock, across every tab of this origin. */
export type LockRunner = <T>(name: string, task: () => Promise<T>) => Promise<T>;

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
  if (locks) return (name, task) => locks.request(name, task);
  return localLock();
}

/** A lock that serialises tasks within one JavaScript realm (also used by tests). */
export function localLock(): LockRunner {
  const tails = new Map<string, Promise<unknown>>();
  return <T>(name: string, task: () => Promise<T>): Promise<T> => {
    const previous = tails.get(name) ?? Promise.resolve();
    const run = previous.then(task, task);
    tails.set(name, run.catch(() => undefined));
    return run;
  };
}
