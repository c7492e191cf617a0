/** A tiny store in the shape of zustand's `vanilla.ts`: state, `setState`, `subscribe`. */
export type Listener<T> = (state: T, previous: T) => void;

export interface Store<T> {
  getState(): T;
  /** Merges a partial state (or the result of an updater) and notifies listeners when anything changed. */
  setState(partial: Partial<T> | ((state: T) => Partial<T>)): void;
  /** Returns the function that unsubscribes. */
  subscribe(listener: Listener<T>): () => void;
}

export function createStore<T extends object>(initial: T): Store<T> {
  let state = initial;
  const listeners = new Set<Listener<T>>();
  return {
    getState: () => state,
    setState(partial) {
      const patch = typeof partial === "function" ? partial(state) : partial;
      const changed = (Object.keys(patch) as (keyof T)[]).some((key) => !Object.is(patch[key], state[key]));
      if (!changed) return;
      const previous = state;
      state = { ...state, ...patch };
      listeners.forEach((listener) => listener(state, previous));
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
