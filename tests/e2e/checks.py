"""Assertions shared by the test modules: problem+json bodies, cookies, JWTs via the JWKS."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import re
import time
from pathlib import Path

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet, RSAKey

from browser import SetCookie, describe
from harness import RESOURCE_URL, Server

PRIVATE_JWK_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}
STACK_TRACE_HINTS = re.compile(r"\.swift\b|Fatal error|Stack trace|backtrace|#0 0x", re.I)


# --------------------------------------------------------------------------------------------
# problem+json


def assert_problem(resp: requests.Response, status: int, code: str | None = None, *,
                   fields: set[str] | None = None) -> dict:
    """The response is an RFC 9457 problem with the contract's members (and `errors` when asked)."""
    ctx = describe(resp)
    assert resp.status_code == status, f"expected {status}\n{ctx}"
    ctype = resp.headers.get("Content-Type", "").split(";")[0].strip().lower()
    assert ctype == "application/problem+json", f"error body must be application/problem+json\n{ctx}"
    body = resp.json()
    assert isinstance(body, dict), ctx
    for member in ("type", "title", "status", "detail", "code"):
        assert member in body, f"problem lacks {member!r}\n{ctx}"
    assert body["status"] == status, ctx
    for member in ("type", "title", "detail", "code"):
        assert isinstance(body[member], str), f"{member} must be a string\n{ctx}"
    assert body["code"], ctx
    if code is not None:
        assert body["code"] == code, f"expected code {code!r}\n{ctx}"
    assert not STACK_TRACE_HINTS.search(resp.text), f"error body looks like a stack trace\n{ctx}"
    if fields is not None:
        errors = body.get("errors")
        assert isinstance(errors, list) and errors, f"validation problem needs errors[]\n{ctx}"
        for e in errors:
            assert isinstance(e, dict) and {"field", "code", "message"} <= set(e), \
                f"each error needs field, code, message\n{ctx}"
            assert all(isinstance(e[k], str) for k in ("field", "code", "message")), ctx
        reported = {e["field"] for e in errors}
        assert fields <= reported, f"expected errors for {fields}, got {reported}\n{ctx}"
    return body


def comparable_problem(resp: requests.Response) -> tuple:
    """What must not differ between two answers that could reveal whether an account exists
    (JSON compared by value: member order is not significant)."""
    try:
        body = resp.json()
    except ValueError:
        body = resp.text
    if isinstance(body, dict):
        body = {k: v for k, v in body.items() if k not in ("instance", "traceId", "requestId")}
    return (resp.status_code, resp.headers.get("Content-Type"), json.dumps(body, sort_keys=True))


# --------------------------------------------------------------------------------------------
# cookies


def assert_cookie(sc: SetCookie, *, path: str, max_age: int | None = None, tolerance: int = 5,
                  ctx: str = "") -> None:
    where = f"{sc.raw}\n{ctx}"
    assert sc.has("httponly"), f"{sc.name} must be HttpOnly: {where}"
    assert sc.has("secure"), f"{sc.name} must be Secure: {where}"
    assert (sc.attr("samesite") or "").lower() == "lax", f"{sc.name} must be SameSite=Lax: {where}"
    assert sc.path == path, f"{sc.name} must have Path={path}: {where}"
    assert not sc.has("domain"), f"{sc.name} must be host-only (no Domain): {where}"
    if max_age is not None:
        assert sc.max_age is not None, f"{sc.name} needs Max-Age: {where}"
        assert abs(sc.max_age - max_age) <= tolerance, f"{sc.name} Max-Age should be ~{max_age}: {where}"


def only_cookie(resp: requests.Response, name: str) -> SetCookie:
    found = [sc for sc in resp.set_cookies if sc.name == name]
    assert len(found) == 1, f"expected exactly one Set-Cookie for {name}\n{describe(resp)}"
    return found[0]


def assert_cleared(resp: requests.Response, name: str, path: str) -> None:
    sc = only_cookie(resp, name)
    assert sc.max_age == 0, f"{name} must be cleared with Max-Age=0\n{describe(resp)}"
    assert sc.path == path, f"cleared {name} must use Path={path}\n{describe(resp)}"
    assert not sc.has("domain"), f"cleared {name} must be host-only\n{describe(resp)}"


def assert_no_refresh_challenge(resp: requests.Response) -> None:
    values = resp.headers.get("WWW-Authenticate", "")
    assert "refresh" not in values.lower(), f"no Refresh challenge expected\n{describe(resp)}"


def assert_refresh_challenge(resp: requests.Response) -> None:
    values = resp.headers.get("WWW-Authenticate", "")
    assert re.search(r"(^|,|\s)Refresh(\s|,|$)", values, re.I), \
        f"expected WWW-Authenticate: Refresh\n{describe(resp)}"


def parse_utc(value: str) -> dt.datetime:
    assert isinstance(value, str), value
    v = value.strip()
    assert re.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]00:?00)$", v), \
        f"not an ISO-8601 UTC timestamp: {value!r}"
    parsed = dt.datetime.fromisoformat(v.replace("Z", "+00:00"))
    assert parsed.utcoffset() == dt.timedelta(0), value
    return parsed


# --------------------------------------------------------------------------------------------
# JWTs


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def unverified(token: str) -> tuple[dict, dict]:
    h, p, _ = token.split(".")
    return json.loads(b64url_decode(h)), json.loads(b64url_decode(p))


def tamper_signature(token: str) -> str:
    h, p, s = token.split(".")
    raw = bytearray(b64url_decode(s))
    raw[len(raw) // 2] ^= 0x01
    return f"{h}.{p}.{b64url(bytes(raw))}"


def compact(header: dict, payload: dict, signature: bytes = b"") -> str:
    return f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(payload).encode())}.{b64url(signature)}"


class Tokens:
    """Verifies tokens with the server's published JWKS, the way a third-party verifier would."""

    def __init__(self, server: Server):
        self.server = server

    def jwks(self) -> dict:
        r = requests.get(self.server.url("/.well-known/jwks.json"), timeout=10)
        assert r.status_code == 200, describe(r)
        return r.json()

    def verify(self, token: str, typ: str) -> tuple[dict, dict]:
        assert isinstance(token, str) and token.count(".") == 2, f"not a JWS compact token: {token!r}"
        header, _ = unverified(token)
        assert header.get("typ", "").lower() == typ, f"typ must be {typ}: {header}"
        assert header.get("kid"), f"token needs a kid header: {header}"
        jwks = self.jwks()
        entry = next((k for k in jwks.get("keys", []) if k.get("kid") == header["kid"]), None)
        assert entry is not None, f"kid {header['kid']} not in JWKS {[k.get('kid') for k in jwks['keys']]}"
        if entry.get("alg"):
            assert header["alg"] == entry["alg"], f"alg {header['alg']} differs from key's {entry['alg']}"
        key_set = KeySet.import_key_set({"keys": [entry]})
        decoded = jwt.decode(token, key_set, algorithms=[header["alg"]])
        claims = decoded.claims
        now = time.time()
        assert claims.get("iss") == self.server.public_url, f"iss must be {self.server.public_url}: {claims}"
        for c in ("iat", "exp", "jti"):
            assert c in claims, f"{typ} token lacks {c}: {claims}"
        assert isinstance(claims["exp"], int) and isinstance(claims["iat"], int), claims
        assert claims["iat"] <= now + 2, f"iat in the future: {claims}"
        return decoded.header, claims

    def access(self, token: str) -> dict:
        _, c = self.verify(token, "at+jwt")
        for name in ("sub", "sid", "nbf", "roles", "email", "given_name", "family_name", "aud"):
            assert name in c, f"access token lacks {name}: {c}"
        aud = c["aud"]
        assert isinstance(aud, list) and self.server.public_url in aud and RESOURCE_URL in aud, \
            f"aud must list {self.server.public_url} and {RESOURCE_URL}: {aud}"
        assert isinstance(c["roles"], list), c
        assert c["exp"] > time.time() - 60, c
        return c

    def refresh(self, token: str) -> dict:
        _, c = self.verify(token, "rt+jwt")
        for name in ("sub", "sid"):
            assert name in c, f"refresh token lacks {name}: {c}"
        return c

    def csrf(self, token: str, purpose: str) -> dict:
        _, c = self.verify(token, "csrf+jwt")
        assert c.get("purpose") == purpose, f"CSRF purpose must be {purpose}: {c}"
        if purpose == "auth_csrf":
            assert c.get("sid"), f"session CSRF lacks sid: {c}"
        return c

    def kid(self, token: str) -> str:
        return unverified(token)[0]["kid"]


# --------------------------------------------------------------------------------------------
# Forging tokens with the server's own private key (read from GATEHOUSE_KEYS_DIR, which the
# operator, and so the test, controls). Only used to build otherwise-perfect tokens with one
# thing wrong. The file layout is the server's business: every PEM private key is tried and
# matched to a JWKS entry by its public numbers.


class Forger:
    def __init__(self, kid: str, alg: str, pem: bytes):
        self.kid = kid
        self.alg = alg
        self.pem = pem
        self.key = (ECKey if alg.startswith("ES") else RSAKey).import_key(pem)

    def sign(self, claims: dict, header: dict | None = None) -> str:
        h = {"alg": self.alg, "kid": self.kid, "typ": "at+jwt"}
        if header is not None:
            h = {**h, **header}
            h = {k: v for k, v in h.items() if v is not None}
        return jwt.encode(h, claims, self.key, algorithms=[h["alg"]])

    def public_pem(self) -> bytes:
        priv = serialization.load_pem_private_key(self.pem, password=None)
        return priv.public_key().public_bytes(serialization.Encoding.PEM,
                                              serialization.PublicFormat.SubjectPublicKeyInfo)


def _int_b64(value: str) -> int:
    return int.from_bytes(b64url_decode(value), "big")


def find_forger(server: Server, kid: str | None = None) -> Forger | None:
    jwks = Tokens(server).jwks()["keys"]
    for path in sorted(Path(server.keys_dir).rglob("*")):
        if not path.is_file():
            continue
        try:
            data = path.read_bytes()
            if b"PRIVATE KEY" not in data:
                continue
            priv = serialization.load_pem_private_key(data, password=None)
        except Exception:
            continue
        pem = priv.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption())
        for entry in jwks:
            if kid and entry.get("kid") != kid:
                continue
            if isinstance(priv, ec.EllipticCurvePrivateKey) and entry.get("kty") == "EC":
                nums = priv.public_key().public_numbers()
                if nums.x == _int_b64(entry["x"]) and nums.y == _int_b64(entry["y"]):
                    return Forger(entry["kid"], entry.get("alg", "ES256"), pem)
            if isinstance(priv, rsa.RSAPrivateKey) and entry.get("kty") == "RSA":
                if priv.public_key().public_numbers().n == _int_b64(entry["n"]):
                    return Forger(entry["kid"], entry.get("alg", "RS256"), pem)
    return None


def hs256_with_public_key(forger: Forger, header: dict, claims: dict) -> str:
    """The classic algorithm-confusion attack: HMAC keyed with the server's public key."""
    h = {**header, "alg": "HS256"}
    signing_input = f"{b64url(json.dumps(h).encode())}.{b64url(json.dumps(claims).encode())}"
    sig = hmac.new(forger.public_pem(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(sig)}"


def attacker_key() -> ECKey:
    return ECKey.generate_key("P-256", parameters={"kid": "attacker", "alg": "ES256", "use": "sig"})
