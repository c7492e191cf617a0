import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { describeEmailChange } from "../.test-build/messages.js";
import { isAdmin } from "../.test-build/state.js";

describe("the page the new address's link ends on (/confirm-email)", () => {
  it("says the address has changed on success", () => {
    const success = describeEmailChange("success");
    assert.equal(success.changed, true);
    assert.equal(success.text, "Your email address has been changed.");
  });

  it("says an expired or invalid link changed nothing, and where to ask again", () => {
    for (const status of ["expired", "invalid"]) {
      const answer = describeEmailChange(status);
      assert.equal(answer.changed, false);
      assert.match(answer.text, /invalid or has expired/);
      assert.match(answer.text, /account page/);
    }
  });

  it("says when the address already belongs to another account", () => {
    const taken = describeEmailChange("taken");
    assert.equal(taken.changed, false);
    assert.match(taken.text, /already belongs to another account/);
  });

  it("treats a missing or unknown status as a link that doesn't work", () => {
    for (const status of [null, undefined, "", "SUCCESS", "constructor"]) {
      assert.equal(describeEmailChange(status).changed, false, String(status));
      assert.equal(describeEmailChange(status).heading, describeEmailChange("invalid").heading);
    }
  });
});

describe("who sees the administration", () => {
  it("is an account with the admin role", () => {
    assert.equal(isAdmin({ roles: ["user", "admin"] }), true);
    assert.equal(isAdmin({ roles: ["admin"] }), true);
  });

  it("is nobody else, whatever the session holds", () => {
    for (const user of [{ roles: ["user"] }, { roles: [] }, { roles: ["Admin", "administrator"] }, { roles: "admin" }, {}, null, undefined]) {
      assert.equal(isAdmin(user), false, JSON.stringify(user));
    }
  });
});
