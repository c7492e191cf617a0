import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { describeSignInError } from "../.test-build/messages.js";

// Every code the Auth Server's federation callback can send (`/auth/callback?status=error&code=…`),
// when signing in and when linking a provider to the signed-in account.
const codes = [
  "access_denied",
  "invalid_state",
  "provider_unavailable",
  "provider_error",
  "unknown_provider",
  "email_not_verified",
  "email_missing",
  "account_exists",
  "identity_in_use",
  "already_linked",
  "session_expired",
  "invalid_id_token",
  "invalid_signature",
  "wrong_issuer",
  "wrong_audience",
  "id_token_expired",
  "invalid_nonce",
];

describe("sign-in errors in words", () => {
  const fallback = describeSignInError("something_new");

  it("explains every code the callback can carry, each in its own words", () => {
    const texts = codes.map((code) => describeSignInError(code));
    for (const [i, text] of texts.entries()) {
      assert.notEqual(text, fallback, `${codes[i]} has no explanation`);
      assert.doesNotMatch(text, /_/, `${codes[i]} explained with a code, not words`);
    }
    assert.equal(new Set(texts).size, texts.length);
  });

  it("says why an unverified provider address cannot be used", () => {
    assert.match(describeSignInError("email_not_verified"), /^Your email address at the provider is not verified/);
    assert.match(describeSignInError("email_not_verified"), /Verify it with the provider/);
    assert.match(describeSignInError("access_denied"), /cancelled/);
  });

  it("says what to do next when linking cannot complete", () => {
    assert.match(describeSignInError("account_exists"), /already exists.*Log in with your password.*link this provider from your account page/);
    assert.match(describeSignInError("identity_in_use"), /already linked to a different Gatehouse account/);
    assert.match(describeSignInError("already_linked"), /already has this provider linked/);
    assert.match(describeSignInError("session_expired"), /session ended before the linking finished\. Log in again/);
  });

  it("falls back to a general sentence for unknown, empty or prototype codes", () => {
    assert.match(fallback, /Something went wrong/);
    for (const code of ["", null, undefined, "constructor", "__proto__", "toString"]) assert.equal(describeSignInError(code), fallback);
  });
});
