import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseProblem, parseRetryAfter, problemFromResponse } from "../.test-build/api/problem.js";
import { describeProblem } from "../.test-build/messages.js";

describe("problem+json parsing", () => {
  it("keeps the RFC 9457 members and the field errors", async () => {
    const body = {
      type: "https://gatehouse.dev/problems/validation",
      title: "Validation failed",
      status: 400,
      detail: "Some fields are invalid.",
      code: "validation_failed",
      errors: [{ field: "email", code: "invalid_format", message: "Enter a valid email address." }, { nonsense: true }],
    };
    const response = new Response(JSON.stringify(body), { status: 400, headers: { "Content-Type": "application/problem+json" } });
    const problem = await problemFromResponse(response);
    assert.equal(problem.code, "validation_failed");
    assert.equal(problem.status, 400);
    assert.equal(problem.detail, "Some fields are invalid.");
    assert.deepEqual(problem.errors, [{ field: "email", code: "invalid_format", message: "Enter a valid email address." }]);
  });

  it("survives bodies that are not problems", async () => {
    const html = await problemFromResponse(new Response("<h1>Bad gateway</h1>", { status: 502 }));
    assert.equal(html.status, 502);
    assert.equal(html.code, "http_502");
    const empty = await problemFromResponse(new Response(null, { status: 404 }));
    assert.equal(empty.code, "http_404");
    assert.equal(parseProblem(null, 500).title.length > 0, true);
  });

  it("reads Retry-After as seconds or a date", async () => {
    assert.equal(parseRetryAfter("120"), 120);
    assert.equal(parseRetryAfter(new Date(Date.UTC(2030, 0, 1, 0, 1)).toUTCString(), Date.UTC(2030, 0, 1)), 60);
    assert.equal(parseRetryAfter(null), undefined);
    const limited = await problemFromResponse(
      new Response(JSON.stringify({ code: "rate_limited", status: 429, title: "Too many" }), { status: 429, headers: { "Retry-After": "90" } }),
    );
    assert.equal(limited.retryAfter, 90);
    assert.match(describeProblem(limited), /2 minutes/);
  });

  it("explains codes in words", () => {
    assert.match(describeProblem({ code: "session_expired", status: 401, title: "", type: "" }), /session has ended/);
    assert.match(describeProblem({ code: "network_error", status: 0, title: "", type: "" }), /connection/);
    assert.match(describeProblem({ code: "x", status: 503, title: "", type: "" }), /our side/);
  });
});
