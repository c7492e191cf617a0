import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createAdminApi, queryString } from "../.test-build/admin/api.js";
import { firstPage, nextPage, pageArrived, pageNumber, previousPage } from "../.test-build/admin/cursor-paging.js";
import { describeAdminProblem, endedSessionsText, notAllowedText } from "../.test-build/admin/messages.js";
import { editedRoles, isRoleName, parseRoles, roleChoices, sameRoles } from "../.test-build/admin/roles.js";

const problem = (code, extra = {}) => ({ type: "about:blank", title: "Problem", status: 400, code, ...extra });

describe("paging with the server's cursors", () => {
  it("starts on the first page, with no page before or after until the answer says", () => {
    const pages = firstPage();
    assert.equal(pages.cursor, null);
    assert.equal(pageNumber(pages), 1);
    assert.equal(previousPage(pages), null);
    assert.equal(nextPage(pages), null);
  });

  it("goes forward with nextCursor and back through the cursors it came by", () => {
    const one = pageArrived(firstPage(), "c2");
    const two = nextPage(one);
    assert.deepEqual(two, { cursor: "c2", before: [null], next: null });
    assert.equal(pageNumber(two), 2);
    const three = nextPage(pageArrived(two, "c3"));
    assert.deepEqual(three, { cursor: "c3", before: [null, "c2"], next: null });
    assert.equal(nextPage(pageArrived(three, null)), null, "the last page");

    const backToTwo = previousPage(three);
    assert.deepEqual(backToTwo, { cursor: "c2", before: [null], next: null });
    const backToOne = previousPage(backToTwo);
    assert.deepEqual(backToOne, { cursor: null, before: [], next: null });
    assert.equal(previousPage(backToOne), null);
  });

  it("never changes a value in place", () => {
    const one = pageArrived(firstPage(), "c2");
    const frozen = JSON.stringify(one);
    nextPage(one);
    previousPage(nextPage(one));
    assert.equal(JSON.stringify(one), frozen);
  });

  it("takes anything but a non-empty string as 'no next page'", () => {
    for (const nextCursor of [null, undefined, "", 42, {}, ["c2"]]) {
      assert.equal(nextPage(pageArrived(firstPage(), nextCursor)), null, JSON.stringify(nextCursor));
    }
  });
});

describe("role names", () => {
  it("are the server's: lower case, a letter first, at most 32 characters", () => {
    for (const name of ["user", "admin", "support-2", "billing_ops", "a", "a".repeat(32)]) assert.equal(isRoleName(name), true, name);
    for (const name of ["", "Admin", "2fa", "-x", "_x", "has space", "a".repeat(33), "émile", "a.b"]) assert.equal(isRoleName(name), false, name);
  });

  it("offer user and admin first, then the account's others in order, once each", () => {
    assert.deepEqual(roleChoices(["user"]), ["user", "admin"]);
    assert.deepEqual(roleChoices(["support", "user", "billing", "admin", "support"]), ["user", "admin", "billing", "support"]);
    assert.deepEqual(roleChoices([]), ["user", "admin"]);
  });

  it("are read from what was typed, split at commas and spaces", () => {
    assert.deepEqual(parseRoles(""), { roles: [], invalid: [] });
    assert.deepEqual(parseRoles(" support, billing  support,,"), { roles: ["support", "billing"], invalid: [] });
    assert.deepEqual(parseRoles("Admin, ok, 9lives"), { roles: ["ok"], invalid: ["Admin", "9lives"] });
  });

  it("to send are those ticked and added, always with user, once each", () => {
    assert.deepEqual(editedRoles(["admin"], []), ["user", "admin"]);
    assert.deepEqual(editedRoles([], []), ["user"]);
    assert.deepEqual(editedRoles(["user", "support"], ["admin", "billing", "support"]), ["user", "admin", "billing", "support"]);
  });

  it("compare as sets", () => {
    assert.equal(sameRoles(["user", "admin"], ["admin", "user"]), true);
    assert.equal(sameRoles(["user"], ["user", "admin"]), false);
    assert.equal(sameRoles(["user", "user"], ["user"]), true);
  });
});

describe("the administration API", () => {
  const recording = (answer = {}) => {
    const calls = [];
    return {
      calls,
      client: {
        authUrl: "http://auth.test",
        auth: async (method, path, options) => {
          calls.push({ method, path, body: options?.body });
          return typeof answer === "function" ? answer(method, path) : answer;
        },
      },
    };
  };

  it("leaves empty parameters out of the query", () => {
    assert.equal(queryString({}), "");
    assert.equal(queryString({ query: "", cursor: null, kind: undefined }), "");
    assert.equal(queryString({ query: "ada lovelace", cursor: "c/2+" }), "?query=ada+lovelace&cursor=c%2F2%2B");
  });

  it("lists accounts by query and cursor", async () => {
    const { client, calls } = recording({ users: [{ id: "u1" }], nextCursor: "c2" });
    const api = createAdminApi(client);
    assert.deepEqual(await api.users("", null), { items: [{ id: "u1" }], nextCursor: "c2" });
    await api.users("ada@", "c2");
    assert.deepEqual(calls.map((call) => `${call.method} ${call.path}`), ["GET /admin/users", "GET /admin/users?query=ada%40&cursor=c2"]);
  });

  it("reads a malformed page as an empty last page", async () => {
    const api = createAdminApi(recording({ users: "nope" }).client);
    assert.deepEqual(await api.users("", null), { items: [], nextCursor: null });
    assert.deepEqual(await createAdminApi(recording(undefined).client).events({}, null), { items: [], nextCursor: null });
  });

  it("changes, logs out and reads one account at its own path", async () => {
    const { client, calls } = recording({});
    const api = createAdminApi(client);
    await api.user("a/b");
    await api.change("u1", { disabled: true });
    await api.change("u1", { roles: ["user", "admin"] });
    await api.endSessions("u1");
    assert.deepEqual(calls, [
      { method: "GET", path: "/admin/users/a%2Fb", body: undefined },
      { method: "PATCH", path: "/admin/users/u1", body: { disabled: true } },
      { method: "PATCH", path: "/admin/users/u1", body: { roles: ["user", "admin"] } },
      { method: "POST", path: "/admin/users/u1/logout", body: undefined },
    ]);
  });

  it("filters events by account and kind", async () => {
    const { client, calls } = recording({ events: [{ id: "e1" }], nextCursor: null });
    const api = createAdminApi(client);
    assert.deepEqual(await api.events({ user: "ada@example.com", kind: "login_failed" }, "c9"), { items: [{ id: "e1" }], nextCursor: null });
    await api.events({ user: "", kind: "" }, null);
    assert.deepEqual(calls.map((call) => call.path), ["/admin/events?user=ada%40example.com&kind=login_failed&cursor=c9", "/admin/events"]);
  });
});

describe("administration problems in words", () => {
  it("explain locking yourself out by what was tried", () => {
    assert.match(describeAdminProblem(problem("self_lockout"), "disable"), /can't disable your own account/);
    assert.match(describeAdminProblem(problem("self_lockout"), "roles"), /can't remove your own admin role/);
    assert.equal(describeAdminProblem(problem("self_lockout", { detail: "Not yourself." }), "end-sessions"), "Not yourself.");
  });

  it("say a page is for administrators, and an action needs the role", () => {
    assert.equal(describeAdminProblem(problem("forbidden", { status: 403 })), notAllowedText);
    assert.match(describeAdminProblem(problem("forbidden", { status: 403 }), "disable"), /needs the admin role/);
  });

  it("give the server's word on a refused role, and fall back to the app's words", () => {
    const refused = problem("validation_failed", { errors: [{ field: "roles", code: "invalid", message: "Bad role: X." }] });
    assert.equal(describeAdminProblem(refused, "roles"), "Bad role: X.");
    assert.match(describeAdminProblem(problem("validation_failed"), "roles"), /lower-case letters/);
    assert.equal(describeAdminProblem(problem("not_found", { status: 404 })), "That account no longer exists.");
    assert.equal(describeAdminProblem(problem("network_error", { status: 0 })), "We couldn't reach Gatehouse. Check your connection and try again.");
  });

  it("count the sessions ended", () => {
    assert.equal(endedSessionsText(0), "There were no sessions to end.");
    assert.equal(endedSessionsText(1), "Ended 1 session.");
    assert.equal(endedSessionsText(3), "Ended 3 sessions.");
    assert.equal(endedSessionsText(undefined), "Ended every session of this account.");
  });
});
