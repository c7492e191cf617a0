import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { matchRoute, normalizePath } from "../.test-build/router.js";
import { externalUrl, href, routes, safeNext } from "../.test-build/routes.js";

describe("router matching", () => {
  it("finds every contract route by path", () => {
    const expected = {
      "/": "home",
      "/account": "account",
      "/admin": "admin",
      "/login": "login",
      "/register": "register",
      "/check-email": "checkEmail",
      "/confirm-account": "confirmAccount",
      "/confirm-email": "confirmEmail",
      "/resend-verification": "resendVerification",
      "/forgot-password": "forgotPassword",
      "/reset-password": "resetPassword",
      "/auth/callback": "callback",
    };
    for (const [path, name] of Object.entries(expected)) assert.equal(matchRoute(routes, path).route?.name, name, path);
    assert.equal(routes.length, Object.keys(expected).length);
  });

  it("keeps administration behind a session and confirming a new address open to all", () => {
    assert.equal(matchRoute(routes, "/admin").route.access, "app");
    assert.equal(matchRoute(routes, "/confirm-email?status=success").route.access, "public");
    assert.equal(matchRoute(routes, "/confirm-email?status=taken").query.get("status"), "taken");
  });

  it("reads the query and ignores a trailing slash", () => {
    const match = matchRoute(routes, "/reset-password/?token=abc%2Bdef");
    assert.equal(match.route.name, "resetPassword");
    assert.equal(match.query.get("token"), "abc+def");
    assert.equal(match.location, "/reset-password?token=abc%2Bdef");
    assert.equal(normalizePath("/account///"), "/account");
    assert.equal(normalizePath("/"), "/");
  });

  it("answers null for unknown paths (the not-found page)", () => {
    assert.equal(matchRoute(routes, "/nope").route, null);
    assert.equal(matchRoute(routes, "/login/extra").route, null);
  });

  it("names each route once", () => {
    const names = routes.map((route) => route.name);
    const paths = routes.map((route) => route.path);
    assert.equal(new Set(names).size, names.length);
    assert.equal(new Set(paths).size, paths.length);
  });
});

describe("links", () => {
  it("builds URLs from route names", () => {
    assert.equal(href("login"), "/login");
    assert.equal(href("login", { next: "/account" }), "/login?next=%2Faccount");
    assert.equal(href("login", { next: undefined }), "/login");
  });

  it("only returns to local paths after login", () => {
    assert.equal(safeNext("/account"), "/account");
    assert.equal(safeNext("/account?tab=1"), "/account?tab=1");
    for (const unsafe of ["https://evil.example", "//evil.example", "/\\evil.example", "javascript:alert(1)", "", null, undefined]) {
      assert.equal(safeNext(unsafe), "/", String(unsafe));
    }
  });
});

describe("where a login may return to (security review I5)", () => {
  it("keeps local paths, with their query and fragment", () => {
    assert.equal(safeNext("/account"), "/account");
    assert.equal(safeNext("/account?x=1#y"), "/account?x=1#y");
  });

  it("refuses other hosts, however they are spelled", () => {
    for (const unsafe of ["//evil.com", "/\\evil.com", "https://evil.com", "/\t/evil.com"]) {
      assert.equal(safeNext(unsafe), "/", unsafe);
    }
  });

  it("refuses paths that only become //host once the browser normalises them", () => {
    // new URL("/..//evil.com") has the pathname //evil.com, which history.replaceState reads as a host.
    for (const unsafe of ["/..//evil.com", "/.//evil.com", "/a/..//evil.com", "/%2e%2e//evil.com", "/..\\/evil.com"]) {
      assert.equal(safeNext(unsafe), "/", unsafe);
    }
  });

  it("returns the normalised path, the one the router will navigate to", () => {
    assert.equal(safeNext("/projects/../account"), "/account");
    assert.equal(safeNext("/nope", "/account"), "/nope");
    assert.equal(safeNext("//evil.com", "/account"), "/account");
  });
});

describe("links off the SPA", () => {
  const auth = "http://auth.test:9000";

  it("follows http(s) links, resolving relative ones against the Auth Server", () => {
    assert.equal(externalUrl("https://accounts.example/authorize?state=s", auth), "https://accounts.example/authorize?state=s");
    assert.equal(externalUrl("/auth/federation/google/start", auth), "http://auth.test:9000/auth/federation/google/start");
    assert.equal(externalUrl("/auth/x", `${auth}/`), "http://auth.test:9000/auth/x");
  });

  it("refuses every other scheme, and answers that are not links", () => {
    for (const unsafe of ["javascript:alert(1)", "JavaScript:alert(1)", "data:text/html,hi", "vbscript:x", "http://[bad", "", null, undefined, 42, {}]) {
      assert.equal(externalUrl(unsafe, auth), null, String(unsafe));
    }
  });
});
