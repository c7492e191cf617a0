import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { matchRoute, normalizePath } from "../.test-build/router.js";
import { href, routes, safeNext } from "../.test-build/routes.js";

describe("router matching", () => {
  it("finds every contract route by path", () => {
    const expected = {
      "/": "home",
      "/account": "account",
      "/login": "login",
      "/register": "register",
      "/check-email": "checkEmail",
      "/confirm-account": "confirmAccount",
      "/resend-verification": "resendVerification",
      "/forgot-password": "forgotPassword",
      "/reset-password": "resetPassword",
      "/auth/callback": "callback",
    };
    for (const [path, name] of Object.entries(expected)) assert.equal(matchRoute(routes, path).route?.name, name, path);
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
