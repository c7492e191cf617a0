import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseProblem } from "../.test-build/api/problem.js";
import { authenticatorCode, groupInFours } from "../.test-build/format.js";
import { recoveryCodesFile, signInExpiredText, wrongCodeText } from "../.test-build/messages.js";
import { afterRefusedCode, needsSecondFactor, totpStatus, wrongCodesAllowed } from "../.test-build/session.js";

// The Auth Server's two answers with `401 invalid_code` at `POST /auth/login/second-factor`.
const wrongCode = parseProblem(
  { type: "about:blank", title: "Invalid code", status: 401, code: "invalid_code", detail: "That code is not right; try the current one." },
  401,
);
const deadSignIn = parseProblem(
  {
    type: "about:blank",
    title: "Sign in again",
    status: 401,
    code: "invalid_code",
    detail: "This sign-in has expired or had too many wrong codes; enter your password again.",
  },
  401,
);

describe("login: the second step", () => {
  it("tells a second-factor challenge from a session", () => {
    assert.equal(needsSecondFactor({ mfaRequired: true, methods: ["totp", "recovery_code"], mfaToken: "mfa.jwt" }), true);
    assert.equal(needsSecondFactor({ user: { id: "u" }, csrfToken: "c", accessTokenExpiresAt: "2030-01-01T00:00:00Z" }), false);
    assert.equal(needsSecondFactor({ mfaRequired: true, methods: ["totp"] }), false, "no token, nothing to continue with");
    assert.equal(needsSecondFactor({ mfaRequired: false, mfaToken: "x" }), false);
  });

  it("lets a wrong code be retried, up to the server's limit", () => {
    for (let wrong = 1; wrong < wrongCodesAllowed; wrong++) assert.equal(afterRefusedCode(wrongCode, wrong), "retry");
    assert.equal(afterRefusedCode(wrongCode, wrongCodesAllowed), "start-again");
  });

  it("goes back to the password when the server says the sign-in is over", () => {
    assert.equal(afterRefusedCode(deadSignIn, 1), "start-again");
    const detailOnly = parseProblem({ code: "invalid_code", detail: "The sign-in expired." }, 401);
    assert.equal(afterRefusedCode(detailOnly, 1), "start-again");
  });

  it("leaves other problems to the form", () => {
    const limited = parseProblem({ code: "rate_limited", title: "Too many attempts" }, 429, "30");
    assert.equal(afterRefusedCode(limited, 1), null);
    assert.equal(afterRefusedCode(parseProblem(undefined, 500), 1), null);
  });

  it("has the words the page shows", () => {
    assert.equal(wrongCodeText, "That code is not right.");
    assert.match(signInExpiredText, /password again/);
  });
});

describe("two-step verification on the account page", () => {
  it("reads whether TOTP is on, unknown until the server says", () => {
    assert.equal(totpStatus({ email: "a@example.com", mfa: { totp: true } }), true);
    assert.equal(totpStatus({ email: "a@example.com", mfa: { totp: false } }), false);
    assert.equal(totpStatus({ email: "a@example.com" }), null);
    assert.equal(totpStatus({ mfa: { totp: "yes" } }), null);
    assert.equal(totpStatus(null), null);
  });

  it("groups the key in fours for typing by hand", () => {
    assert.equal(groupInFours("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"), "JBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PXP");
    assert.equal(groupInFours("jbswy3dpeh"), "JBSW Y3DP EH");
    assert.equal(groupInFours("JBSWY3DPEE======"), "JBSW Y3DP EE");
    assert.equal(groupInFours(""), "");
  });

  it("accepts six digits however they were typed, and nothing else", () => {
    assert.equal(authenticatorCode("123456"), "123456");
    assert.equal(authenticatorCode(" 123 456 "), "123456");
    assert.equal(authenticatorCode("123-456"), "123456");
    assert.equal(authenticatorCode("12345"), null);
    assert.equal(authenticatorCode("1234567"), null);
    assert.equal(authenticatorCode("12345a"), null);
    assert.equal(authenticatorCode("１２３４５６"), null, "full-width digits are not what the server reads");
  });

  it("writes the recovery codes file: who, when, one code a line", () => {
    const codes = Array.from({ length: 10 }, (_, i) => `code-${i}aaa-bbbb-cccc`);
    const text = recoveryCodesFile(codes, "ada@example.com", new Date("2030-04-05T10:00:00Z"));
    const lines = text.split("\n");
    assert.equal(lines[0], "Gatehouse recovery codes for ada@example.com");
    assert.match(lines[1], /^Created 2030-04-05\./);
    assert.deepEqual(lines.filter((line) => line.startsWith("code-")), codes);
    assert.ok(text.endsWith("\n"));
    assert.equal(recoveryCodesFile(["x"], null).split("\n")[0], "Gatehouse recovery codes");
  });
});
