import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { localLock } from "../.test-build/api/tabs.js";
import { keepSessionFresh, storeSessionHooks, expiryTime } from "../.test-build/session.js";
import { createStore } from "../.test-build/store.js";
import { tick } from "./helpers.mjs";

function fakeDocument(visibilityState = "visible") {
  const listeners = [];
  return {
    visibilityState,
    addEventListener: (type, listener) => listeners.push(listener),
    removeEventListener: () => {},
    show() {
      this.visibilityState = "visible";
      listeners.forEach((listener) => listener());
    },
  };
}

function authenticatedStore(expiresInMs) {
  return createStore({ status: "authenticated", user: null, csrfToken: "c1", accessTokenExpiresAt: Date.now() + expiresInMs, notice: null });
}

describe("proactive refresh", () => {
  it("refreshes shortly before expiry while the tab is visible", async () => {
    const store = authenticatedStore(1_000);
    let refreshes = 0;
    const client = {
      refresh: async (isStillNeeded) => {
        if (isStillNeeded()) {
          refreshes++;
          store.setState({ accessTokenExpiresAt: Date.now() + 900_000 });
        }
        return true;
      },
    };
    const stop = keepSessionFresh({ store, client, doc: fakeDocument("visible"), leadMs: 990 });
    await tick(40);
    stop();
    assert.equal(refreshes, 1);
  });

  it("waits while the tab is hidden and refreshes when it is shown", async () => {
    const store = authenticatedStore(0);
    const doc = fakeDocument("hidden");
    let refreshes = 0;
    const client = { refresh: async () => (refreshes++, true) };
    const stop = keepSessionFresh({ store, client, doc, leadMs: 30_000 });
    await tick(20);
    assert.equal(refreshes, 0);
    doc.show();
    await tick(20);
    stop();
    assert.equal(refreshes, 1);
  });

  it("does nothing without a session", async () => {
    const store = createStore({ status: "anonymous", user: null, csrfToken: null, accessTokenExpiresAt: null, notice: null });
    let refreshes = 0;
    const stop = keepSessionFresh({ store, client: { refresh: async () => (refreshes++, true) }, doc: fakeDocument() });
    await tick(20);
    stop();
    assert.equal(refreshes, 0);
  });

  it("never refreshes in a loop, even when the client clock is far ahead of the server", async () => {
    const store = authenticatedStore(-3_600_000);
    let refreshes = 0;
    const client = {
      refresh: async () => {
        refreshes++;
        store.setState({ accessTokenExpiresAt: Date.now() - 3_600_000 + refreshes });
        return true;
      },
    };
    const stop = keepSessionFresh({ store, client, doc: fakeDocument(), minimumGapMs: 60_000 });
    await tick(50);
    stop();
    assert.equal(refreshes, 1);
  });
});

describe("store session hooks", () => {
  it("keep the newest CSRF token and expiry in memory", () => {
    const store = authenticatedStore(1000);
    let lost = 0;
    const hooks = storeSessionHooks(store, () => lost++);
    hooks.refreshed({ csrfToken: "c2", accessTokenExpiresAt: "2030-01-01T00:00:00Z" });
    assert.equal(hooks.csrfToken(), "c2");
    assert.equal(store.getState().accessTokenExpiresAt, Date.UTC(2030, 0, 1));
    hooks.lost();
    assert.equal(lost, 1);
    assert.equal(expiryTime("nonsense"), null);
  });
});

describe("local lock", () => {
  it("runs tasks with the same name one at a time", async () => {
    const lock = localLock();
    const order = [];
    await Promise.all([
      lock("x", async () => {
        order.push("a-start");
        await tick(10);
        order.push("a-end");
      }),
      lock("x", async () => {
        order.push("b-start");
      }),
    ]);
    assert.deepEqual(order, ["a-start", "a-end", "b-start"]);
  });
});
