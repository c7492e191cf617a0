import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { describeCallbackFailure, describeLinked, describeProblem, describeSignInError, linkableProviders, providerName } from "../.test-build/messages.js";

const google = { id: "google", name: "Google", authorizationUrl: "http://auth.test/auth/federation/google/start" };
const github = { id: "github", name: "GitHub", authorizationUrl: "http://auth.test/auth/federation/github/start" };
const identity = (provider, name) => ({
  id: `00000000-0000-4000-8000-00000000000${provider.length}`,
  provider,
  name,
  email: "ada@example.com",
  linkedAt: "2030-01-01T00:00:00Z",
  lastLoginAt: "2030-01-02T00:00:00Z",
});

describe("the providers that can still be linked", () => {
  it("are the configured ones the account has not linked, in the server's order", () => {
    assert.deepEqual(linkableProviders([google, github], []), [google, github]);
    assert.deepEqual(linkableProviders([google, github], [identity("google", "Google")]), [github]);
    assert.deepEqual(linkableProviders([google, github], [identity("github", "GitHub"), identity("google", "Google")]), []);
  });

  it("ignore linked providers that are no longer configured", () => {
    assert.deepEqual(linkableProviders([github], [identity("gitlab", "GitLab")]), [github]);
    assert.deepEqual(linkableProviders([], [identity("google", "Google")]), []);
  });
});

describe("the callback after linking", () => {
  it("names the provider linked, by its configured name", () => {
    assert.equal(describeLinked("google", [github, google]), "Google is now linked to your account. You can use it to sign in.");
  });

  it("falls back to the id when the provider is not in the list (or the list failed)", () => {
    assert.match(describeLinked("gitlab", [google]), /^gitlab is now linked to your account/);
    assert.match(describeLinked("google", []), /^google is now linked/);
    assert.match(describeLinked(null, []), /^The provider is now linked/);
    assert.equal(providerName("", [google]), "The provider");
  });
});

describe("the callback when a sign-in or a link did not complete", () => {
  const linkingCodes = ["email_not_verified", "account_exists", "identity_in_use", "already_linked", "session_expired", "access_denied", "something_new"];

  it("sends a signed-in person back to the account page", () => {
    for (const code of linkingCodes) {
      const page = describeCallbackFailure(code, true);
      assert.equal(page.heading, "Linking didn't complete", code);
      assert.deepEqual(page.next, [{ label: "Back to your account", to: "/account" }], code);
    }
    assert.equal(describeCallbackFailure("identity_in_use", true).text, describeSignInError("identity_in_use"));
    assert.equal(describeCallbackFailure("something_new", true).text, describeSignInError("something_new"));
  });

  it("speaks of linking, not signing in, to a signed-in person", () => {
    assert.match(describeCallbackFailure("email_not_verified", true).text, /^Your email address at the provider is not verified, so we can't link it/);
    assert.match(describeCallbackFailure("access_denied", true).text, /linking was cancelled/);
    assert.match(describeCallbackFailure("email_not_verified", false).text, /create an account or log in with a password/);
    assert.equal(describeCallbackFailure("constructor", true).text, describeSignInError("constructor"));
  });

  it("sends anyone else to log in, the way the existing sign-in errors did", () => {
    const page = describeCallbackFailure("access_denied", false);
    assert.equal(page.heading, "Sign-in didn't complete");
    assert.deepEqual(page.next, [{ label: "Back to log in", to: "/login" }]);
    assert.deepEqual(describeCallbackFailure("", false).next, [{ label: "Back to log in", to: "/login" }]);
    assert.match(describeCallbackFailure(null, false).text, /Something went wrong/);
  });

  it("after a lost session or an existing account, returns to the account page once logged in, to link from there", () => {
    const expired = describeCallbackFailure("session_expired", false);
    assert.equal(expired.heading, "Linking didn't complete");
    assert.deepEqual(expired.next, [{ label: "Back to log in", to: "/login?next=%2Faccount" }]);
    const exists = describeCallbackFailure("account_exists", false);
    assert.equal(exists.heading, "Sign-in didn't complete");
    assert.deepEqual(exists.next, [{ label: "Back to log in", to: "/login?next=%2Faccount" }]);
  });

  it("offers a password account when the provider's address cannot be used", () => {
    for (const code of ["email_not_verified", "email_missing"]) {
      assert.deepEqual(describeCallbackFailure(code, false).next, [
        { label: "Back to log in", to: "/login" },
        { label: "Create an account", to: "/register" },
      ]);
    }
  });
});

describe("unlinking problems in words", () => {
  const problem = (code, status, detail) => ({ type: "about:blank", title: "Refused", status, code, detail });

  it("explains why the last sign-in method cannot be removed", () => {
    assert.equal(
      describeProblem(problem("last_sign_in_method", 409, "Cannot remove the last sign-in method.")),
      "This is the only way you can sign in. Set a password or link another provider first.",
    );
  });

  it("says how to go on when confirming it's you in place did not help", () => {
    // The server's words ask for a password there is no field for: the dialog has already been shown.
    const expected = "We couldn't confirm it's you. Please try again, or log out and log in again.";
    assert.equal(describeProblem(problem("reauthentication_required", 403, "For this change, confirm who you are again: enter your password.")), expected);
    assert.equal(describeProblem(problem("reauthentication_required", 403)), expected);
  });
});
