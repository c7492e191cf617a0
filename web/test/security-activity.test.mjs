import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { describeSecurityEvent, isSecurityWarning } from "../.test-build/messages.js";

// Every kind `GET /auth/security-events` sends today, and those planned (MFA, passkeys, email change, disabling).
const words = {
  login: "Signed in",
  login_failed: "Failed sign-in attempt",
  refresh_token_reuse: "A stolen or replayed session token was detected; that session was ended",
  password_changed: "Password changed",
  password_reset: "Password reset by email link",
  sessions_revoked: "Sessions ended",
  provider_linked: "Sign-in provider linked",
  provider_unlinked: "Sign-in provider removed",
  federated_takeover: "Account taken back from an unconfirmed registration",
  mfa_enabled: "Two-step verification turned on",
  mfa_disabled: "Two-step verification turned off",
  passkey_added: "Passkey added",
  passkey_removed: "Passkey removed",
  email_changed: "Email address changed",
  account_disabled: "Account disabled",
};

describe("security events in words", () => {
  for (const [kind, text] of Object.entries(words)) {
    it(`${kind}: "${text}"`, () => assert.equal(describeSecurityEvent(kind), text));
  }

  it("says each kind differently, in words rather than codes", () => {
    const texts = Object.keys(words).map(describeSecurityEvent);
    assert.equal(new Set(texts).size, texts.length);
    for (const text of texts) assert.doesNotMatch(text, /_/);
  });

  it("keeps the code of a kind it doesn't know yet", () => {
    assert.equal(describeSecurityEvent("recovery_codes_viewed"), "Security event: recovery_codes_viewed");
    assert.equal(describeSecurityEvent("LOGIN"), "Security event: LOGIN");
  });

  it("is not fooled by names every object has", () => {
    for (const kind of ["constructor", "toString", "__proto__", "hasOwnProperty"]) {
      assert.equal(describeSecurityEvent(kind), `Security event: ${kind}`);
    }
  });

  it("still says something for a missing kind", () => {
    assert.equal(describeSecurityEvent(""), "Security event");
    assert.equal(describeSecurityEvent(null), "Security event");
    assert.equal(describeSecurityEvent(undefined), "Security event");
  });
});

describe("security events shown as warnings", () => {
  it("are a replayed session token and a failed sign-in", () => {
    assert.equal(isSecurityWarning("refresh_token_reuse"), true);
    assert.equal(isSecurityWarning("login_failed"), true);
  });

  it("are no other kind, known or not", () => {
    const others = Object.keys(words).filter((kind) => kind !== "refresh_token_reuse" && kind !== "login_failed");
    for (const kind of [...others, "something_new", "constructor", "", null, undefined]) {
      assert.equal(isSecurityWarning(kind), false, `${kind} shown as a warning`);
    }
  });
});
