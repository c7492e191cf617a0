"""Second factors over HTTP (CONTRACT "Second factors and recent authentication"): TOTP with codes
computed by pyotp, and passkeys with a software authenticator built from fido2's WebAuthn types and
`cryptography` keys (ES256), exactly as a browser would send them."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import time

import pyotp
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from fido2.cose import ES256
from fido2.webauthn import AttestationObject, AttestedCredentialData, AuthenticatorData

from browser import Browser, describe
from checks import assert_problem
from flows import make_user_on

ORIGIN = "http://localhost:5173"
RP_ID = "localhost"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SoftAuthenticator:
    """One ES256 passkey on a pretend device; `uv` says whether it verifies the user."""

    def __init__(self):
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = os.urandom(32)
        self.counter = 0

    def flags(self, uv: bool) -> AuthenticatorData.FLAG:
        flag = AuthenticatorData.FLAG.UP
        return flag | AuthenticatorData.FLAG.UV if uv else flag

    def create(self, options: dict) -> dict:
        client = json.dumps({"type": "webauthn.create", "challenge": options["challenge"], "origin": ORIGIN,
                             "crossOrigin": False}).encode()
        attested = AttestedCredentialData.create(b"\0" * 16, self.credential_id, ES256.from_cryptography_key(self.key.public_key()))
        auth = AuthenticatorData.create(hashlib.sha256(options["rp"]["id"].encode()).digest(),
                                        self.flags(True) | AuthenticatorData.FLAG.AT, 0, attested)
        attestation = AttestationObject.create("none", auth, {})
        return {"id": b64url(self.credential_id), "rawId": b64url(self.credential_id), "type": "public-key",
                "response": {"clientDataJSON": b64url(client), "attestationObject": b64url(bytes(attestation))},
                "clientExtensionResults": {}}

    def get(self, options: dict, uv: bool = True, origin: str = ORIGIN) -> dict:
        self.counter += 1
        client = json.dumps({"type": "webauthn.get", "challenge": options["challenge"], "origin": origin,
                             "crossOrigin": False}).encode()
        auth = bytes(AuthenticatorData.create(hashlib.sha256(options["rpId"].encode()).digest(), self.flags(uv), self.counter))
        signature = self.key.sign(auth + hashlib.sha256(client).digest(), ec.ECDSA(hashes.SHA256()))
        return {"id": b64url(self.credential_id), "rawId": b64url(self.credential_id), "type": "public-key",
                "response": {"clientDataJSON": b64url(client), "authenticatorData": b64url(auth),
                             "signature": b64url(signature), "userHandle": None},
                "clientExtensionResults": {}}


def register_passkey(browser: Browser, authenticator: SoftAuthenticator, name: str = "Laptop") -> dict:
    options = browser.post("/auth/passkeys/registration-options")
    assert options.status_code == 200, describe(options)
    assert options.json()["rp"]["id"] == RP_ID and options.json()["attestation"] == "none"
    created = browser.post("/auth/passkeys", json={"credential": authenticator.create(options.json()), "name": name})
    assert created.status_code == 201, describe(created)
    return created.json()


def passkey_sign_in(browser: Browser, authenticator: SoftAuthenticator, uv: bool = True, mfa_token: str | None = None,
                    origin: str = ORIGIN):
    options = browser.post_anon("/auth/passkeys/login-options", json={})
    assert options.status_code == 200, describe(options)
    assert options.json()["allowCredentials"] == []
    body = {"credential": authenticator.get(options.json(), uv=uv, origin=origin)}
    if mfa_token:
        body["mfaToken"] = mfa_token
    return browser.post_anon("/auth/passkeys/login", json=body)


def test_a_passkey_registers_signs_in_without_a_password_and_is_removed(server):
    user = make_user_on(server)
    owner = Browser(server)
    owner.login(user.email, user.password)
    authenticator = SoftAuthenticator()
    added = register_passkey(owner, authenticator)
    assert [p["name"] for p in owner.get("/auth/passkeys").json()] == ["Laptop"]

    device = Browser(server)
    r = passkey_sign_in(device, authenticator)
    assert r.status_code == 200, describe(r)
    assert device.cookie("refresh_token") and device.get("/auth/user").json()["email"] == user.email

    assert_problem(passkey_sign_in(Browser(server), authenticator, origin="https://evil.example"), 401, "passkey_refused")
    assert_problem(passkey_sign_in(Browser(server), authenticator, uv=False), 401, "passkey_refused")
    authenticator.counter = 0  # a cloned authenticator replaying an old counter
    assert_problem(passkey_sign_in(Browser(server), authenticator), 401, "passkey_refused")
    authenticator.counter = 100

    assert owner.delete(f"/auth/passkeys/{added['id']}").status_code == 204
    assert_problem(passkey_sign_in(Browser(server), authenticator), 401, "passkey_refused")


def test_a_passkey_is_the_second_step_after_a_password(server):
    user = make_user_on(server)
    owner = Browser(server)
    owner.login(user.email, user.password)
    authenticator = SoftAuthenticator()
    register_passkey(owner, authenticator)
    # Two-step verification is TOTP's switch (it brings recovery codes); a passkey then also passes it.
    totp = pyotp.TOTP(owner.post("/auth/mfa/totp").json()["secret"])
    assert owner.post("/auth/mfa/totp/confirm", json={"code": totp.now()}).status_code == 200
    b = Browser(server)
    step = b.post_anon("/auth/login", json={"email": user.email, "password": user.password})
    assert step.status_code == 200 and step.json()["mfaRequired"] is True, describe(step)
    assert step.json()["methods"] == ["totp", "recovery_code", "passkey"] and not b.cookie("refresh_token")
    done = passkey_sign_in(b, authenticator, uv=False, mfa_token=step.json()["mfaToken"])
    assert done.status_code == 200, describe(done)
    assert b.get("/auth/user").json()["email"] == user.email


def test_totp_enrolment_login_with_a_code_and_with_a_recovery_code(server):
    user = make_user_on(server)
    b = Browser(server)
    b.login(user.email, user.password)
    begun = b.post("/auth/mfa/totp")
    assert begun.status_code == 200, describe(begun)
    totp = pyotp.TOTP(begun.json()["secret"])
    assert begun.json()["otpauthUri"].startswith("otpauth://totp/Gatehouse:")
    confirmed = b.post("/auth/mfa/totp/confirm", json={"code": totp.now()})
    assert confirmed.status_code == 200, describe(confirmed)
    codes = confirmed.json()["recoveryCodes"]
    assert len(codes) == 10 and b.get("/auth/user").json()["mfa"] == {"totp": True}

    def password_step():
        browser = Browser(server)
        r = browser.post_anon("/auth/login", json={"email": user.email, "password": user.password})
        assert r.status_code == 200 and r.json()["mfaRequired"] is True, describe(r)
        assert not browser.cookie("refresh_token")
        return browser, r.json()["mfaToken"]

    # The confirming code was spent: wait for the next step rather than replaying it.
    used = totp.now()
    while totp.now() == used:
        time.sleep(0.5)
    browser, token = password_step()
    wrong = browser.post_anon("/auth/login/second-factor", json={"mfaToken": token, "code": "000000"})
    assert wrong.status_code == 401
    assert_problem(wrong, 401, "invalid_code")
    code = totp.now()
    done = browser.post_anon("/auth/login/second-factor", json={"mfaToken": token, "code": code})
    assert done.status_code == 200 and browser.cookie("refresh_token"), describe(done)
    again, second = password_step()
    assert_problem(again.post_anon("/auth/login/second-factor", json={"mfaToken": second, "code": code}), 401, "invalid_code")
    assert again.post_anon("/auth/login/second-factor", json={"mfaToken": second, "recoveryCode": codes[3]}).status_code == 200
    third, token3 = password_step()
    assert_problem(third.post_anon("/auth/login/second-factor", json={"mfaToken": token3, "recoveryCode": codes[3]}), 401, "invalid_code")
