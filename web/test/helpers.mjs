// Test doubles for the API client: a scripted fetch, a fake BroadcastChannel and a session store.
export const AUTH = "http://auth.test";
export const RESOURCE = "http://resource.test";

export function json(status, body, headers = {}) {
  const type = status >= 400 ? "application/problem+json" : "application/json";
  return new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { "Content-Type": type, ...headers } });
}

export function expired() {
  return json(401, { type: "about:blank", title: "Unauthorized", status: 401, code: "token_expired" }, { "WWW-Authenticate": "Refresh" });
}

export function unauthenticated() {
  return json(401, { type: "about:blank", title: "Unauthorized", status: 401, code: "unauthenticated" });
}

export const tick = (ms = 0) => new Promise((resolve) => setTimeout(resolve, ms));

/** A fetch that answers from `route(request)` and records every call. */
export function fakeFetch(route) {
  const calls = [];
  const fetch = async (url, init = {}) => {
    const request = {
      url: String(url),
      path: new URL(url).pathname,
      method: init.method ?? "GET",
      headers: new Headers(init.headers),
      credentials: init.credentials,
      body: init.body ? JSON.parse(init.body) : undefined,
    };
    calls.push(request);
    await tick();
    return route(request, calls);
  };
  fetch.calls = calls;
  fetch.count = (method, path) => calls.filter((call) => call.method === method && call.path === path).length;
  return fetch;
}

export function fakeChannel() {
  const handlers = [];
  return {
    posted: [],
    post(message) {
      this.posted.push(message);
    },
    listen(handler) {
      handlers.push(handler);
      return () => handlers.splice(handlers.indexOf(handler), 1);
    },
    /** A message from another tab. */
    deliver(message) {
      handlers.forEach((handler) => handler(message));
    },
  };
}

export function fakeSession(csrfToken = "session-csrf-1") {
  return {
    token: csrfToken,
    refreshedWith: [],
    lostCount: 0,
    csrfToken() {
      return this.token;
    },
    refreshed(tokens) {
      this.refreshedWith.push(tokens);
      this.token = tokens.csrfToken;
    },
    lost() {
      this.lostCount += 1;
      this.token = null;
    },
  };
}
