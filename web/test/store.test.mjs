import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createStore } from "../.test-build/store.js";

describe("store", () => {
  it("merges partial state and notifies subscribers with the new and previous state", () => {
    const store = createStore({ count: 0, name: "a" });
    const seen = [];
    store.subscribe((state, previous) => seen.push([state.count, previous.count]));
    store.setState({ count: 1 });
    store.setState((state) => ({ count: state.count + 1 }));
    assert.deepEqual(store.getState(), { count: 2, name: "a" });
    assert.deepEqual(seen, [[1, 0], [2, 1]]);
  });

  it("does not notify when nothing changed, and stops after unsubscribe", () => {
    const store = createStore({ count: 0 });
    let calls = 0;
    const unsubscribe = store.subscribe(() => calls++);
    store.setState({ count: 0 });
    assert.equal(calls, 0);
    store.setState({ count: 1 });
    unsubscribe();
    store.setState({ count: 2 });
    assert.equal(calls, 1);
  });

  it("keeps previous states immutable", () => {
    const store = createStore({ count: 0 });
    const before = store.getState();
    store.setState({ count: 5 });
    assert.equal(before.count, 0);
    assert.notEqual(store.getState(), before);
  });
});
