import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { parseProblem } from "../.test-build/api/problem.js";
import { defaultPasskeyName, describePasskeyProblem, describeSecurityEvent, isSecurityWarning, passkeyNameMaxLength } from "../.test-build/messages.js";
import {
  authenticationResponse,
  base64urlToBytes,
  bytesToBase64url,
  createPasskey,
  creationOptions,
  getPasskey,
  isAlreadyRegistered,
  isCeremonyCancelled,
  passkeysSupported,
  registrationResponse,
  requestOptions,
} from "../.test-build/webauthn.js";

const b64u = (bytes) => Buffer.from(bytes).toString("base64url");
const buffer = (...bytes) => new Uint8Array(bytes).buffer;
const text = (value) => new TextEncoder().encode(value).buffer;
const same = (actual, expected, message) => assert.deepEqual([...new Uint8Array(actual.buffer ?? actual)], [...expected], message);

// What the Auth Server answers at `POST /auth/passkeys/registration-options` (shape and values).
const serverCreationOptions = {
  rp: { id: "localhost", name: "Gatehouse" },
  user: { id: b64u([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]), name: "ada@example.com", displayName: "Ada Lovelace" },
  challenge: b64u(Array.from({ length: 32 }, (_, i) => i * 7)),
  pubKeyCredParams: [
    { type: "public-key", alg: -7 },
    { type: "public-key", alg: -257 },
  ],
  timeout: 300000,
  attestation: "none",
  authenticatorSelection: { residentKey: "required", requireResidentKey: true, userVerification: "required" },
  excludeCredentials: [{ type: "public-key", id: b64u([0xfb, 0xff, 0x00, 0x3e]) }],
};

const serverRequestOptions = {
  challenge: b64u([0xff, 0xfe, 0xfd, 0x00, 0x01]),
  rpId: "localhost",
  timeout: 300000,
  userVerification: "required",
  allowCredentials: [],
};

/** What Chromium's `navigator.credentials.create` resolves with, as far as the page reads it. */
function fakeAttestation({ transports = ["internal"], attachment = "platform", extensions = {} } = {}) {
  return {
    id: b64u([0xfb, 0xff, 0x01]),
    rawId: buffer(0xfb, 0xff, 0x01),
    type: "public-key",
    authenticatorAttachment: attachment,
    response: {
      clientDataJSON: text('{"type":"webauthn.create"}'),
      attestationObject: buffer(0xa3, 0x63, 0x66, 0x6d, 0x74),
      ...(transports ? { getTransports: () => transports } : {}),
    },
    getClientExtensionResults: () => extensions,
  };
}

function fakeAssertion({ userHandle = buffer(9, 9, 9) } = {}) {
  return {
    id: b64u([7, 7]),
    rawId: buffer(7, 7),
    type: "public-key",
    authenticatorAttachment: null,
    response: {
      clientDataJSON: text('{"type":"webauthn.get"}'),
      authenticatorData: buffer(0x49, 0x96, 0x0d),
      signature: buffer(0x30, 0x45, 0x02),
      userHandle,
    },
    getClientExtensionResults: () => ({}),
  };
}

/** A `navigator.credentials` that answers with `result` (or throws it) and records what it was asked. */
function fakeCredentials(result) {
  const asked = [];
  const answer = async (options) => {
    asked.push(options);
    if (result instanceof Error) throw result;
    return result;
  };
  return { asked, create: answer, get: answer };
}

describe("base64url", () => {
  it("writes what Node writes, without padding, for every length", () => {
    for (let length = 0; length <= 40; length++) {
      const bytes = randomBytes(length);
      assert.equal(bytesToBase64url(bytes), b64u(bytes));
      assert.equal(bytesToBase64url(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + length)), b64u(bytes));
    }
    assert.equal(bytesToBase64url(new Uint8Array([0xfb, 0xff, 0xbf])), "-_-_");
  });

  it("reads what it writes, for every length", () => {
    for (let length = 0; length <= 40; length++) {
      const bytes = randomBytes(length);
      same(base64urlToBytes(b64u(bytes)), bytes, `length ${length}`);
    }
  });

  it("reads only the bytes of a view, not the rest of its buffer", () => {
    const whole = new Uint8Array([1, 2, 3, 4, 5]);
    assert.equal(bytesToBase64url(whole.subarray(1, 3)), b64u([2, 3]));
  });

  it("tolerates padding, refuses everything else", () => {
    same(base64urlToBytes("AQI="), [1, 2]);
    same(base64urlToBytes("AQ=="), [1]);
    assert.throws(() => base64urlToBytes("AQI=="), TypeError, "padding that does not make a multiple of four");
    assert.throws(() => base64urlToBytes("+/8="), TypeError, "standard base64's alphabet");
    assert.throws(() => base64urlToBytes("AQI B"), TypeError);
    assert.throws(() => base64urlToBytes("A"), TypeError, "one character can't hold a byte");
    assert.throws(() => base64urlToBytes("AR"), TypeError, "leftover bits must be zero");
    assert.throws(() => base64urlToBytes(undefined), TypeError);
  });
});

describe("passkey options from the server", () => {
  it("turns creation options into what navigator.credentials.create takes", () => {
    const options = creationOptions(serverCreationOptions);
    same(options.challenge, Array.from({ length: 32 }, (_, i) => i * 7));
    same(options.user.id, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
    assert.equal(options.user.name, "ada@example.com");
    assert.equal(options.user.displayName, "Ada Lovelace");
    assert.deepEqual(options.rp, { id: "localhost", name: "Gatehouse" });
    assert.deepEqual(options.pubKeyCredParams, serverCreationOptions.pubKeyCredParams);
    assert.equal(options.excludeCredentials.length, 1);
    assert.equal(options.excludeCredentials[0].type, "public-key");
    same(options.excludeCredentials[0].id, [0xfb, 0xff, 0x00, 0x3e]);
    assert.deepEqual(options.authenticatorSelection, serverCreationOptions.authenticatorSelection);
    assert.equal(options.attestation, "none");
    assert.equal(options.timeout, 300000);
  });

  it("leaves out what the server left out", () => {
    const { timeout, excludeCredentials, attestation, authenticatorSelection, ...minimal } = serverCreationOptions;
    const options = creationOptions(minimal);
    for (const absent of ["timeout", "excludeCredentials", "attestation", "authenticatorSelection", "extensions"]) {
      assert.equal(absent in options, false, absent);
    }
  });

  it("turns request options into what navigator.credentials.get takes", () => {
    const options = requestOptions(serverRequestOptions);
    same(options.challenge, [0xff, 0xfe, 0xfd, 0x00, 0x01]);
    assert.equal(options.rpId, "localhost");
    assert.equal(options.userVerification, "required");
    assert.deepEqual(options.allowCredentials, [], "discoverable credentials: an empty allow-list");
    const listed = requestOptions({ ...serverRequestOptions, allowCredentials: [{ type: "public-key", id: "AQI", transports: ["usb"] }] });
    same(listed.allowCredentials[0].id, [1, 2]);
    assert.deepEqual(listed.allowCredentials[0].transports, ["usb"]);
  });

  it("refuses a challenge that is not base64url", () => {
    assert.throws(() => requestOptions({ ...serverRequestOptions, challenge: "not base64url!" }), TypeError);
  });
});

describe("the browser's answers, as the server reads them", () => {
  it("builds RegistrationResponseJSON", () => {
    const json = registrationResponse(fakeAttestation({ extensions: { credProps: { rk: true } } }));
    assert.deepEqual(json, {
      id: b64u([0xfb, 0xff, 0x01]),
      rawId: b64u([0xfb, 0xff, 0x01]),
      type: "public-key",
      response: {
        clientDataJSON: b64u(Buffer.from('{"type":"webauthn.create"}')),
        attestationObject: b64u([0xa3, 0x63, 0x66, 0x6d, 0x74]),
        transports: ["internal"],
      },
      clientExtensionResults: { credProps: { rk: true } },
      authenticatorAttachment: "platform",
    });
    assert.deepEqual(JSON.parse(JSON.stringify(json)), json, "plain JSON all the way down");
  });

  it("does without the newer parts some browsers lack", () => {
    const bare = fakeAttestation({ transports: null, attachment: null });
    delete bare.getClientExtensionResults;
    const json = registrationResponse(bare);
    assert.equal("transports" in json.response, false);
    assert.equal("authenticatorAttachment" in json, false);
    assert.deepEqual(json.clientExtensionResults, {});
    const throwing = fakeAttestation();
    throwing.response.getTransports = () => {
      throw new TypeError("Illegal invocation");
    };
    assert.equal("transports" in registrationResponse(throwing).response, false);
  });

  it("writes binary extension outputs as base64url", () => {
    const json = registrationResponse(fakeAttestation({ extensions: { largeBlob: { blob: buffer(1, 2, 3) } } }));
    assert.deepEqual(json.clientExtensionResults, { largeBlob: { blob: "AQID" } });
  });

  it("builds AuthenticationResponseJSON", () => {
    const json = authenticationResponse(fakeAssertion());
    assert.deepEqual(json, {
      id: "Bwc",
      rawId: "Bwc",
      type: "public-key",
      response: {
        clientDataJSON: b64u(Buffer.from('{"type":"webauthn.get"}')),
        authenticatorData: b64u([0x49, 0x96, 0x0d]),
        signature: b64u([0x30, 0x45, 0x02]),
        userHandle: "CQkJ",
      },
      clientExtensionResults: {},
    });
  });

  it("sends no user handle when the authenticator gave none", () => {
    assert.equal(authenticationResponse(fakeAssertion({ userHandle: null })).response.userHandle, null);
    assert.equal(authenticationResponse(fakeAssertion({ userHandle: buffer() })).response.userHandle, null);
  });
});

describe("the ceremonies", () => {
  it("creates a passkey with the server's options and the page's signal", async () => {
    const credentials = fakeCredentials(fakeAttestation());
    const signal = new AbortController().signal;
    const json = await createPasskey(credentials, serverCreationOptions, signal);
    assert.equal(credentials.asked.length, 1);
    assert.equal(credentials.asked[0].signal, signal);
    same(credentials.asked[0].publicKey.challenge, base64urlToBytes(serverCreationOptions.challenge));
    assert.equal(json.response.attestationObject, b64u([0xa3, 0x63, 0x66, 0x6d, 0x74]));
  });

  it("gets an assertion for the server's challenge", async () => {
    const credentials = fakeCredentials(fakeAssertion());
    const json = await getPasskey(credentials, serverRequestOptions);
    same(credentials.asked[0].publicKey.challenge, [0xff, 0xfe, 0xfd, 0x00, 0x01]);
    assert.equal(json.response.signature, b64u([0x30, 0x45, 0x02]));
  });

  it("treats no credential at all like a closed prompt", async () => {
    await assert.rejects(createPasskey(fakeCredentials(null), serverCreationOptions), (error) => isCeremonyCancelled(error));
    await assert.rejects(getPasskey(fakeCredentials({ type: "password" }), serverRequestOptions), (error) => isCeremonyCancelled(error));
  });

  it("passes the browser's refusals through, to be told apart", async () => {
    const closed = new DOMException("The operation either timed out or was not allowed.", "NotAllowedError");
    await assert.rejects(getPasskey(fakeCredentials(closed), serverRequestOptions), (error) => error === closed);
    assert.equal(isCeremonyCancelled(closed), true);
    assert.equal(isCeremonyCancelled(new DOMException("left", "AbortError")), true);
    const excluded = new DOMException("The authenticator was previously registered.", "InvalidStateError");
    assert.equal(isCeremonyCancelled(excluded), false);
    assert.equal(isAlreadyRegistered(excluded), true);
    assert.equal(isCeremonyCancelled(new DOMException("bad RP ID", "SecurityError")), false);
    assert.equal(isCeremonyCancelled(new Error("NotAllowedError")), false);
  });

  it("knows whether the browser can use passkeys here", () => {
    const credentials = { create() {}, get() {} };
    assert.equal(passkeysSupported({ PublicKeyCredential: function () {}, isSecureContext: true, navigator: { credentials } }), true);
    assert.equal(passkeysSupported({ isSecureContext: true, navigator: { credentials } }), false, "no WebAuthn");
    assert.equal(passkeysSupported({ PublicKeyCredential: function () {}, isSecureContext: false, navigator: { credentials } }), false, "plain http");
    assert.equal(passkeysSupported({ PublicKeyCredential: function () {}, navigator: {} }), false, "no Credential Management");
  });
});

describe("passkey words", () => {
  it("names a new passkey after the browser and system, without the version", () => {
    const chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
    assert.equal(defaultPasskeyName(chrome), "Passkey on Chrome on Linux");
    const safari = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1";
    assert.equal(defaultPasskeyName(safari), "Passkey on Safari on iPhone");
    assert.equal(defaultPasskeyName("Mozilla/5.0 (Windows NT 10.0; Win64; x64)"), "Passkey on Windows");
    assert.equal(defaultPasskeyName(""), "Passkey");
    assert.ok(defaultPasskeyName(`${"x".repeat(100)}/1.0`).length <= passkeyNameMaxLength);
  });

  it("explains the server's passkey refusals where they happen", () => {
    const refused = parseProblem({ code: "passkey_refused", title: "Passkey not accepted", detail: "The passkey could not be verified (signature)." }, 401);
    assert.match(describePasskeyProblem(refused, "sign-in"), /wasn't accepted.*log in with your password/);
    assert.match(describePasskeyProblem(refused, "second-step"), /passkey you added to this account/);
    assert.match(describePasskeyProblem(refused, "add"), /wasn't added/);
    const last = parseProblem({ code: "last_sign_in_method", title: "Last sign-in method" }, 409);
    assert.match(describePasskeyProblem(last, "remove"), /only way you can sign in/);
    assert.match(describePasskeyProblem(parseProblem({ code: "passkey_exists" }, 409), "add"), /already on your account/);
    const limited = parseProblem({ code: "rate_limited" }, 429, "120");
    assert.equal(describePasskeyProblem(limited, "sign-in"), "Too many attempts. Please wait 2 minutes and try again.");
  });

  it("names the passkey security events, and warns about a possible copy", () => {
    assert.equal(describeSecurityEvent("passkey_added"), "Passkey added");
    assert.equal(describeSecurityEvent("passkey_removed"), "Passkey removed");
    assert.match(describeSecurityEvent("passkey_counter_regression"), /copied/);
    assert.equal(isSecurityWarning("passkey_counter_regression"), true);
  });
});
