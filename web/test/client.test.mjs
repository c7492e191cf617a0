import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createApiClient, isRefreshChallenge } from "../.test-build/api/client.js";
import { ApiError } from "../.test-build/api/problem.js";
import { localLock } from "../.test-build/api/tabs.js";
import { AUTH, RESOURCE, expired, fakeChannel, fakeFetch, fakeSession, json, tick, unauthenticated } from "./helpers.mjs";

const later = "2030-01-01T00:15:00Z";

function setup(route, { lock = localLock() } = {}) {
  const fetch = fakeFetch(route);
  const channel = fakeChannel();
  const session = fakeSession();
  const client = createApiClient({ authUrl: AUTH, resourceUrl: RESOURCE, fetch, lock, channel, session });
  return { client, fetch, channel, session };
}

/** A server whose access token has expired until one refresh succeeds. */
function expiringServer({ refreshDelay = 10 } = {}) {
  let refreshed = false;
  return async (request) => {
    if (request.path === "/auth/refresh") {
      await tick(refreshDelay);
      refreshed = true;
      return json(200, { csrfToken: "session-csrf-2", accessTokenExpiresAt: later });
    }
    if (!refreshed) return expired();
    if (request.method === "POST") return json(201, { id: "p1", name: request.body.name });
    return json(200, [{ id: "p0" }]);
  };
}

describe("API client: refresh after 401 Refresh", () => {
  it("three concurrent requests that get 401 Refresh cause exactly one refresh, and each is retried once", async () => {
    const { client, fetch, session, channel } = setup(expiringServer());
    const results = await Promise.all([
      client.resource("GET", "/api/projects"),
      client.resource("GET", "/api/profiles/me"),
      client.resource("POST", "/api/projects", { body: { name: "Apollo" } }),
    ]);
    assert.equal(fetch.count("POST", "/auth/refresh"), 1);
    assert.equal(fetch.count("GET", "/api/projects"), 2);
    assert.equal(fetch.count("GET", "/api/profiles/me"), 2);
    assert.equal(fetch.count("POST", "/api/projects"), 2);
    assert.deepEqual(results[2], { id: "p1", name: "Apollo" });
    assert.deepEqual(session.refreshedWith, [{ csrfToken: "session-csrf-2", accessTokenExpiresAt: later }]);
    assert.deepEqual(channel.posted, [{ type: "refreshed", csrfToken: "session-csrf-2", accessTokenExpiresAt: later }]);
  });

  it("sends the refresh with the session CSRF token and retries with the new one", async () => {
    const { client, fetch } = setup(expiringServer());
    await client.resource("POST", "/api/projects", { body: { name: "Apollo" } });
    const refresh = fetch.calls.find((call) => call.path === "/auth/refresh");
    assert.equal(refresh.headers.get("X-CSRF-TOKEN"), "session-csrf-1");
    const posts = fetch.calls.filter((call) => call.path === "/api/projects");
    assert.deepEqual(posts.map((call) => call.headers.get("X-CSRF-TOKEN")), ["session-csrf-1", "session-csrf-2"]);
    assert.deepEqual(posts[1].body, { name: "Apollo" });
  });

  it("a 401 without the Refresh challenge causes no refresh", async () => {
    const { client, fetch, session } = setup(() => unauthenticated());
    await assert.rejects(client.resource("GET", "/api/projects"), (error) => {
      assert.ok(error instanceof ApiError);
      assert.equal(error.status, 401);
      assert.equal(error.code, "unauthenticated");
      return true;
    });
    assert.equal(fetch.count("POST", "/auth/refresh"), 0);
    assert.equal(fetch.count("GET", "/api/projects"), 1);
    assert.equal(session.lostCount, 0);
  });

  it("other errors (403, 404, 500) cause no refresh", async () => {
    for (const status of [403, 404, 500]) {
      const { client, fetch } = setup(() => json(status, { code: `c${status}`, title: "x", status, type: "about:blank" }, { "WWW-Authenticate": "Refresh" }));
      await assert.rejects(client.resource("GET", "/api/projects"), (error) => error.status === status);
      assert.equal(fetch.count("POST", "/auth/refresh"), 0);
    }
  });

  it("a failed refresh ends the session: state cleared, other tabs told, request rejected, nothing retried", async () => {
    const { client, fetch, session, channel } = setup((request) =>
      request.path === "/auth/refresh"
        ? json(401, { type: "about:blank", title: "Session expired", status: 401, code: "session_expired" })
        : expired(),
    );
    const results = await Promise.allSettled([client.resource("GET", "/api/projects"), client.auth("GET", "/auth/sessions")]);
    for (const result of results) {
      assert.equal(result.status, "rejected");
      assert.equal(result.reason.code, "session_expired");
    }
    assert.equal(fetch.count("POST", "/auth/refresh"), 1);
    assert.equal(fetch.count("GET", "/api/projects"), 1);
    assert.equal(fetch.count("GET", "/auth/sessions"), 1);
    assert.equal(session.lostCount, 1);
    assert.deepEqual(channel.posted, [{ type: "session-lost" }]);
  });

  it("a retried request that gets 401 Refresh again is not retried a second time", async () => {
    const { client, fetch } = setup((request) =>
      request.path === "/auth/refresh" ? json(200, { csrfToken: "session-csrf-2", accessTokenExpiresAt: later }) : expired(),
    );
    await assert.rejects(client.resource("GET", "/api/projects"), (error) => error.code === "token_expired");
    assert.equal(fetch.count("POST", "/auth/refresh"), 1);
    assert.equal(fetch.count("GET", "/api/projects"), 2);
  });

  it("a request whose 401 arrives after a refresh finished is retried without another refresh", async () => {
    let refreshed = false;
    let slowAnswered = false;
    const { client, fetch } = setup(async (request) => {
      if (request.path === "/auth/refresh") {
        refreshed = true;
        return json(200, { csrfToken: "session-csrf-2", accessTokenExpiresAt: later });
      }
      if (request.path === "/api/slow" && !slowAnswered) {
        // Sent before the refresh, answered after it.
        while (!refreshed) await tick(1);
        await tick(5);
        slowAnswered = true;
        return expired();
      }
      return refreshed ? json(200, { ok: true }) : expired();
    });
    await Promise.all([client.resource("GET", "/api/slow"), client.resource("GET", "/api/fast")]);
    assert.equal(fetch.count("POST", "/auth/refresh"), 1);
    assert.equal(fetch.count("GET", "/api/slow"), 2);
  });

  it("skips the network refresh when another tab refreshed while this one waited for the lock", async () => {
    let release;
    const held = new Promise((resolve) => (release = resolve));
    const outer = localLock();
    outer("gatehouse-refresh", () => held); // another tab holds the lock
    let otherTabRefreshed = false;
    const { client, fetch, session, channel } = setup(
      (request) => (request.path === "/auth/refresh" ? json(500, {}) : otherTabRefreshed ? json(200, { ok: true }) : expired()),
      { lock: outer },
    );
    const pending = client.resource("GET", "/api/projects");
    await tick(5);
    otherTabRefreshed = true;
    channel.deliver({ type: "refreshed", csrfToken: "from-other-tab", accessTokenExpiresAt: later });
    release();
    assert.deepEqual(await pending, { ok: true });
    assert.equal(fetch.count("POST", "/auth/refresh"), 0);
    assert.equal(fetch.count("GET", "/api/projects"), 2);
    assert.equal(session.token, "from-other-tab");
  });

  it("trusts a waited-for lock even when the other tab's message has not arrived yet", async () => {
    let release;
    const held = new Promise((resolve) => (release = resolve));
    const outer = localLock();
    outer("gatehouse-refresh", () => held); // another tab is refreshing; its message will come late
    let otherTabRefreshed = false;
    const { client, fetch } = setup(
      (request) => (request.path === "/auth/refresh" ? json(500, {}) : otherTabRefreshed ? json(200, { ok: true }) : expired()),
      { lock: outer },
    );
    const pending = client.resource("GET", "/api/projects");
    await tick(5);
    otherTabRefreshed = true;
    release();
    assert.deepEqual(await pending, { ok: true });
    assert.equal(fetch.count("POST", "/auth/refresh"), 0);
    assert.equal(fetch.count("GET", "/api/projects"), 2);
  });

  it("after a skipped refresh that did not help, refreshes once itself and tries a last time", async () => {
    let release;
    const held = new Promise((resolve) => (release = resolve));
    const outer = localLock();
    outer("gatehouse-refresh", () => held); // another tab holds the lock but does not refresh
    let refreshed = false;
    const { client, fetch } = setup(
      (request) => {
        if (request.path === "/auth/refresh") {
          refreshed = true;
          return json(200, { csrfToken: "new", accessTokenExpiresAt: later });
        }
        return refreshed ? json(200, { ok: true }) : expired();
      },
      { lock: outer },
    );
    const pending = client.resource("GET", "/api/projects");
    await tick(5);
    release();
    assert.deepEqual(await pending, { ok: true });
    assert.equal(fetch.count("POST", "/auth/refresh"), 1);
    assert.equal(fetch.count("GET", "/api/projects"), 3);
  });

  it("a proactive refresh is skipped when the token is no longer due once the lock is held", async () => {
    const { client, fetch } = setup(() => json(200, { csrfToken: "x", accessTokenExpiresAt: later }));
    assert.equal(await client.refresh(() => false), true);
    assert.equal(fetch.count("POST", "/auth/refresh"), 0);
    assert.equal(await client.refresh(() => true), true);
    assert.equal(fetch.count("POST", "/auth/refresh"), 1);
  });

  it("a refresh that fails for another reason (500) keeps the session", async () => {
    const { client, session, channel } = setup((request) =>
      request.path === "/auth/refresh" ? json(503, { code: "unavailable", status: 503, title: "Down", type: "about:blank" }) : expired(),
    );
    await assert.rejects(client.resource("GET", "/api/projects"), (error) => error.status === 503);
    assert.equal(session.lostCount, 0);
    assert.deepEqual(channel.posted, []);
  });
});

describe("API client: CSRF and credentials", () => {
  it("anonymous POSTs fetch a fresh anonymous CSRF token before each one", async () => {
    let issued = 0;
    const { client, fetch } = setup((request) => {
      if (request.path === "/auth/csrf") return json(200, { csrfToken: `anon-${++issued}` });
      return json(request.path === "/auth/login" ? 401 : 202, request.path === "/auth/login" ? { code: "invalid_credentials" } : undefined);
    });
    await assert.rejects(client.auth("POST", "/auth/login", { body: { email: "a@b.c", password: "x" }, anonymousCsrf: true }));
    await client.auth("POST", "/auth/register", { body: {}, anonymousCsrf: true });
    await client.auth("POST", "/auth/forgot-password", { body: {}, anonymousCsrf: true });
    const sequence = fetch.calls.map((call) => `${call.method} ${call.path} ${call.headers.get("X-CSRF-TOKEN") ?? "-"}`);
    assert.deepEqual(sequence, [
      "GET /auth/csrf -",
      "POST /auth/login anon-1",
      "GET /auth/csrf -",
      "POST /auth/register anon-2",
      "GET /auth/csrf -",
      "POST /auth/forgot-password anon-3",
    ]);
    // invalid_credentials is a 401 without the Refresh challenge: no refresh.
    assert.equal(fetch.count("POST", "/auth/refresh"), 0);
  });

  it("session routes carry the session CSRF token on unsafe methods only, and every fetch includes credentials", async () => {
    const { client, fetch } = setup((request) => json(request.method === "DELETE" ? 204 : 200, request.method === "DELETE" ? undefined : {}));
    await client.auth("GET", "/auth/sessions");
    await client.auth("DELETE", "/auth/sessions/s1");
    await client.auth("POST", "/auth/sessions/revoke-others");
    await client.resource("PATCH", "/api/projects/p1", { body: { name: "B" } });
    assert.deepEqual(
      fetch.calls.map((call) => call.headers.get("X-CSRF-TOKEN")),
      [null, "session-csrf-1", "session-csrf-1", "session-csrf-1"],
    );
    assert.ok(fetch.calls.every((call) => call.credentials === "include"));
    assert.equal(fetch.calls[3].url, `${RESOURCE}/api/projects/p1`);
    assert.equal(fetch.calls[3].headers.get("Content-Type"), "application/json");
  });

  it("turns a network failure into a network_error problem", async () => {
    const fetch = async () => {
      throw new TypeError("Failed to fetch");
    };
    const client = createApiClient({ authUrl: AUTH, resourceUrl: RESOURCE, fetch, lock: localLock(), channel: fakeChannel(), session: fakeSession() });
    await assert.rejects(client.auth("GET", "/auth/session"), (error) => error instanceof ApiError && error.code === "network_error" && error.status === 0);
  });
});

describe("isRefreshChallenge", () => {
  const with401 = (value) => new Response(null, { status: 401, headers: value === null ? {} : { "WWW-Authenticate": value } });
  it("recognises the Refresh scheme, alone or among other challenges", () => {
    assert.equal(isRefreshChallenge(with401("Refresh")), true);
    assert.equal(isRefreshChallenge(with401('Refresh realm="gatehouse"')), true);
    assert.equal(isRefreshChallenge(with401('Bearer realm="api", Refresh')), true);
    assert.equal(isRefreshChallenge(with401("refresh")), true);
  });
  it("rejects anything else", () => {
    assert.equal(isRefreshChallenge(with401(null)), false);
    assert.equal(isRefreshChallenge(with401("Bearer")), false);
    assert.equal(isRefreshChallenge(with401("Refreshing")), false);
    assert.equal(isRefreshChallenge(new Response(null, { status: 403, headers: { "WWW-Authenticate": "Refresh" } })), false);
  });
});
