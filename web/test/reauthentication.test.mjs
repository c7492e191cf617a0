import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createApiClient } from "../.test-build/api/client.js";
import { ApiError, cancellation, isCancellation } from "../.test-build/api/problem.js";
import { localLock } from "../.test-build/api/tabs.js";
import { describeProofFailure, passkeyNotUsedText, wrongCodeText, wrongPasswordText } from "../.test-build/messages.js";
import { identityProofMethods } from "../.test-build/session.js";
import { AUTH, RESOURCE, expired, fakeChannel, fakeFetch, fakeSession, json, tick } from "./helpers.mjs";

const later = "2030-01-01T00:15:00Z";

const reauthenticationRequired = () =>
  json(403, { type: "about:blank", title: "Confirm it's you", status: 403, code: "reauthentication_required", detail: "For this change, confirm who you are again." });
const wrongPassword = () =>
  json(400, { type: "about:blank", title: "Invalid credentials", status: 400, code: "invalid_credentials", detail: "The current password is incorrect." });

/**
 * A person at the "Confirm it's you" dialog: types each password in turn until one is accepted,
 * noting what the dialog would say after each refused one; cancels when out of passwords.
 */
function person(...passwords) {
  const prompt = async (prove) => {
    prompt.shown += 1;
    for (const password of passwords) {
      try {
        await prove({ password });
        return;
      } catch (error) {
        assert.ok(error instanceof ApiError, `prove rejects with an ApiError, got ${error}`);
        prompt.said.push(describeProofFailure(error.problem));
      }
    }
    throw cancellation();
  };
  prompt.shown = 0;
  prompt.said = [];
  return prompt;
}

/** An Auth Server where the session is not recently authenticated until `password` is proven. */
function server({ password = "correct horse", retryAfter } = {}) {
  const state = { recent: false };
  const route = async (request) => {
    if (request.path === "/auth/reauthenticate") {
      if (retryAfter !== undefined) {
        return json(429, { type: "about:blank", title: "Too many attempts", status: 429, code: "rate_limited" }, { "Retry-After": String(retryAfter) });
      }
      if (request.body?.password !== password) return wrongPassword();
      state.recent = true;
      return json(200, { status: "reauthenticated" });
    }
    if (request.path === "/auth/identities/google/link") {
      return state.recent ? json(200, { authorizationUrl: "https://accounts.example/authorize" }) : reauthenticationRequired();
    }
    if (!state.recent) return reauthenticationRequired();
    return new Response(null, { status: 204 });
  };
  return { route, state };
}

function setup(route, confirmIdentity) {
  const fetch = fakeFetch(route);
  const session = fakeSession();
  const client = createApiClient({ authUrl: AUTH, resourceUrl: RESOURCE, fetch, lock: localLock(), channel: fakeChannel(), session, confirmIdentity });
  return { client, fetch, session };
}

const changePassword = (client) =>
  client.auth("POST", "/auth/change-password", { body: { currentPassword: "correct horse", newPassword: "battery staple" } });

describe("recent authentication: confirming it's you in place", () => {
  it("a 403 reauthentication_required asks once, proves the password, retries the action once and carries on", async () => {
    const prompt = person("correct horse");
    const { client, fetch } = setup(server().route, prompt);
    assert.equal(await changePassword(client), undefined);
    assert.equal(prompt.shown, 1);
    assert.deepEqual(prompt.said, []);
    assert.deepEqual(
      fetch.calls.map((call) => `${call.method} ${call.path}`),
      ["POST /auth/change-password", "POST /auth/reauthenticate", "POST /auth/change-password"],
    );
    const [first, proof, retry] = fetch.calls;
    assert.deepEqual(proof.body, { password: "correct horse" });
    assert.equal(proof.headers.get("X-CSRF-TOKEN"), "session-csrf-1");
    assert.equal(proof.headers.get("Content-Type"), "application/json");
    assert.equal(proof.credentials, "include");
    assert.deepEqual(retry.body, first.body);
    assert.equal(retry.headers.get("X-CSRF-TOKEN"), "session-csrf-1");
  });

  it("hands the retried action's answer to the caller (linking a provider)", async () => {
    const { client } = setup(server().route, person("correct horse"));
    assert.deepEqual(await client.auth("POST", "/auth/identities/google/link"), { authorizationUrl: "https://accounts.example/authorize" });
  });

  it("a wrong password is said in the dialog, which stays open until the right one", async () => {
    const prompt = person("wrong", "also wrong", "correct horse");
    const { client, fetch } = setup(server().route, prompt);
    await client.auth("DELETE", "/auth/identities/3f2c");
    assert.equal(prompt.shown, 1);
    assert.deepEqual(prompt.said, [wrongPasswordText, wrongPasswordText]);
    assert.equal(wrongPasswordText, "That password is not right.");
    assert.equal(fetch.count("POST", "/auth/reauthenticate"), 3);
    assert.equal(fetch.count("DELETE", "/auth/identities/3f2c"), 2);
  });

  it("Cancel rejects the action quietly with an AbortError, and nothing is retried", async () => {
    const prompt = person();
    const { client, fetch } = setup(server().route, prompt);
    await assert.rejects(changePassword(client), (error) => {
      assert.ok(isCancellation(error), `expected a cancellation, got ${error}`);
      assert.ok(!(error instanceof ApiError));
      return true;
    });
    assert.equal(prompt.shown, 1);
    assert.equal(fetch.count("POST", "/auth/reauthenticate"), 0);
    assert.equal(fetch.count("POST", "/auth/change-password"), 1);
  });

  it("cancelling after a wrong password also rejects quietly", async () => {
    const prompt = person("wrong");
    const { client, fetch } = setup(server().route, prompt);
    await assert.rejects(changePassword(client), (error) => isCancellation(error));
    assert.deepEqual(prompt.said, [wrongPasswordText]);
    assert.equal(fetch.count("POST", "/auth/change-password"), 1);
  });

  it("a second 403 after proving is the caller's answer: no second prompt, no loop", async () => {
    const prompt = person("correct horse");
    const { client, fetch } = setup(
      (request) => (request.path === "/auth/reauthenticate" ? json(200, { status: "reauthenticated" }) : reauthenticationRequired()),
      prompt,
    );
    await assert.rejects(changePassword(client), (error) => {
      assert.ok(error instanceof ApiError);
      assert.equal(error.status, 403);
      assert.equal(error.code, "reauthentication_required");
      return true;
    });
    assert.equal(prompt.shown, 1);
    assert.equal(fetch.count("POST", "/auth/reauthenticate"), 1);
    assert.equal(fetch.count("POST", "/auth/change-password"), 2);
  });

  it("rate limiting is said with the wait from Retry-After", async () => {
    const prompt = person("correct horse");
    const { client } = setup(server({ retryAfter: 30 }).route, prompt);
    await assert.rejects(changePassword(client), (error) => isCancellation(error));
    assert.deepEqual(prompt.said, ["Too many attempts. Please wait 30 seconds and try again."]);
  });

  it("actions that need it at the same time share one prompt, and each is retried once", async () => {
    let release;
    const typed = new Promise((resolve) => (release = resolve));
    let shown = 0;
    const prompt = async (prove) => {
      shown += 1;
      await typed;
      await prove({ password: "correct horse" });
    };
    const { client, fetch } = setup(server().route, prompt);
    const pending = Promise.all([changePassword(client), client.auth("DELETE", "/auth/identities/3f2c")]);
    await tick(10);
    release();
    await pending;
    assert.equal(shown, 1);
    assert.equal(fetch.count("POST", "/auth/reauthenticate"), 1);
    assert.equal(fetch.count("POST", "/auth/change-password"), 2);
    assert.equal(fetch.count("DELETE", "/auth/identities/3f2c"), 2);
  });

  it("a 403 that arrives after a proof was accepted is retried without asking again", async () => {
    const { route, state } = server();
    let slowAnswered = false;
    const prompt = person("correct horse");
    const { client, fetch } = setup(async (request) => {
      if (request.path === "/auth/identities/slow" && !slowAnswered) {
        // Sent before the proof, answered after it.
        while (!state.recent) await tick(1);
        await tick(5);
        slowAnswered = true;
        return reauthenticationRequired();
      }
      return route(request);
    }, prompt);
    await Promise.all([client.auth("DELETE", "/auth/identities/slow"), changePassword(client)]);
    assert.equal(prompt.shown, 1);
    assert.equal(fetch.count("POST", "/auth/reauthenticate"), 1);
    assert.equal(fetch.count("DELETE", "/auth/identities/slow"), 2);
  });

  it("an access token that expired while the dialog was open is refreshed before the retry", async () => {
    const { route, state } = server();
    let tokenExpired = false;
    const prompt = async (prove) => {
      tokenExpired = true; // the person took their time
      await prove({ password: "correct horse" });
    };
    const { client, fetch, session } = setup(async (request) => {
      if (request.path === "/auth/refresh") {
        tokenExpired = false;
        return json(200, { csrfToken: "session-csrf-2", accessTokenExpiresAt: later });
      }
      if (tokenExpired) return expired();
      return route(request);
    }, prompt);
    await changePassword(client);
    assert.ok(state.recent);
    assert.equal(fetch.count("POST", "/auth/refresh"), 1);
    assert.equal(session.token, "session-csrf-2");
    const retry = fetch.calls.filter((call) => call.path === "/auth/change-password").at(-1);
    assert.equal(retry.headers.get("X-CSRF-TOKEN"), "session-csrf-2");
  });

  it("other 403s are not a reason to ask", async () => {
    const prompt = person("correct horse");
    const { client, fetch } = setup(() => json(403, { type: "about:blank", title: "Forbidden", status: 403, code: "csrf_invalid" }), prompt);
    await assert.rejects(changePassword(client), (error) => error.code === "csrf_invalid");
    assert.equal(prompt.shown, 0);
    assert.equal(fetch.count("POST", "/auth/change-password"), 1);
  });

  it("without a prompt, the 403 reaches the caller as it is", async () => {
    const { client, fetch } = setup(server().route, undefined);
    await assert.rejects(changePassword(client), (error) => error.code === "reauthentication_required");
    assert.equal(fetch.count("POST", "/auth/reauthenticate"), 0);
  });
});

describe("confirming it's you with a code or a passkey", () => {
  const credential = {
    id: "cred-1",
    rawId: "cred-1",
    type: "public-key",
    response: { clientDataJSON: "e30", authenticatorData: "AAAA", signature: "c2ln", userHandle: "dXNlcg" },
    clientExtensionResults: {},
  };
  /** An Auth Server that accepts the code 123456 and the passkey `cred-1`. */
  function secondFactorServer() {
    let recent = false;
    return (request) => {
      if (request.path === "/auth/reauthenticate") {
        const body = request.body ?? {};
        if ("code" in body && body.code !== "123456") {
          return json(400, { type: "about:blank", title: "Invalid code", status: 400, code: "invalid_code" });
        }
        if ("credential" in body && body.credential?.id !== "cred-1") {
          return json(400, { type: "about:blank", title: "Passkey refused", status: 400, code: "passkey_refused" });
        }
        recent = "code" in body || "credential" in body;
        return recent ? json(200, { status: "reauthenticated" }) : json(400, { type: "about:blank", title: "Bad", status: 400, code: "validation_failed" });
      }
      return recent ? new Response(null, { status: 204 }) : reauthenticationRequired();
    };
  }
  /** A person who tries each proof in turn, noting what the dialog would say for a refused one. */
  function trying(...proofs) {
    const said = [];
    const prompt = async (prove) => {
      for (const proof of proofs) {
        try {
          await prove(proof);
          return;
        } catch (error) {
          assert.ok(error instanceof ApiError);
          said.push(describeProofFailure(error.problem, "code" in proof ? "code" : "passkey"));
        }
      }
      throw cancellation();
    };
    return { prompt, said };
  }

  it("a wrong code is said, then the right one is sent as {code} and the action is retried", async () => {
    const { prompt, said } = trying({ code: "000000" }, { code: "123456" });
    const { client, fetch } = setup(secondFactorServer(), prompt);
    await client.auth("DELETE", "/auth/identities/3f2c");
    assert.deepEqual(said, ["That code is not right."]);
    const proofs = fetch.calls.filter((call) => call.path === "/auth/reauthenticate");
    assert.deepEqual(proofs.map((call) => call.body), [{ code: "000000" }, { code: "123456" }]);
    assert.equal(proofs[1].headers.get("X-CSRF-TOKEN"), "session-csrf-1");
    assert.equal(fetch.count("DELETE", "/auth/identities/3f2c"), 2);
  });

  it("a passkey's answer is sent as {credential}; a refused one is said", async () => {
    const { prompt, said } = trying({ credential: { ...credential, id: "someone-else" } }, { credential });
    const { client, fetch } = setup(secondFactorServer(), prompt);
    await changePassword(client);
    assert.deepEqual(said, ["That passkey could not be used."]);
    const proofs = fetch.calls.filter((call) => call.path === "/auth/reauthenticate");
    assert.deepEqual(proofs[1].body, { credential });
    assert.equal(fetch.count("POST", "/auth/change-password"), 2);
  });
});

describe("the ways to confirm it's you", () => {
  it("offers the code unless the server said TOTP is off, and a passkey where the browser can use one", () => {
    assert.deepEqual(identityProofMethods(true, true), ["code", "passkey"]);
    assert.deepEqual(identityProofMethods(null, false), ["code"]);
    assert.deepEqual(identityProofMethods(false, true), ["passkey"]);
    assert.deepEqual(identityProofMethods(false, false), []);
  });
});

describe("proof failures in words", () => {
  const problem = (code, status, extra = {}) => ({ type: "about:blank", title: "Refused", status, code, ...extra });

  it("says a wrong password plainly, and asks for an empty one", () => {
    assert.equal(describeProofFailure(problem("invalid_credentials", 400, { detail: "The current password is incorrect." })), "That password is not right.");
    assert.equal(describeProofFailure(problem("validation_failed", 400)), "Enter your password.");
  });

  it("says a wrong code or a refused passkey plainly, and asks for an empty code", () => {
    assert.equal(describeProofFailure(problem("invalid_code", 400), "code"), wrongCodeText);
    assert.equal(wrongCodeText, "That code is not right.");
    assert.equal(describeProofFailure(problem("passkey_refused", 400), "passkey"), passkeyNotUsedText);
    assert.equal(passkeyNotUsedText, "That passkey could not be used.");
    assert.equal(describeProofFailure(problem("validation_failed", 400), "code"), "Enter the 6-digit code from your authenticator app.");
    assert.equal(describeProofFailure(problem("validation_failed", 400), "passkey"), passkeyNotUsedText);
    assert.equal(describeProofFailure(problem("rate_limited", 429, { retryAfter: 30 }), "code"), "Too many attempts. Please wait 30 seconds and try again.");
  });

  it("explains everything else as anywhere else", () => {
    assert.equal(describeProofFailure(problem("rate_limited", 429, { retryAfter: 120 })), "Too many attempts. Please wait 2 minutes and try again.");
    assert.equal(describeProofFailure(problem("network_error", 0)), "We couldn't reach Gatehouse. Check your connection and try again.");
  });

  it("tells a cancellation from a failure", () => {
    assert.ok(isCancellation(cancellation()));
    assert.ok(!isCancellation(new ApiError(problem("reauthentication_required", 403))));
    assert.ok(!isCancellation(new Error("boom")));
  });
});
