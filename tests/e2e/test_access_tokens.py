"""How the Auth Server judges the access-token cookie: 200, 401 token_expired (with the Refresh
challenge) or 401 unauthenticated (without it)."""

import json
import time
import uuid

import pytest

from browser import Browser, describe
from checks import (assert_cookie, assert_no_refresh_challenge, assert_problem,
                    assert_refresh_challenge, attacker_key, b64url, compact, find_forger,
                    hs256_with_public_key, only_cookie, tamper_signature, unverified)
from flows import make_user_on
from harness import RESOURCE_URL


def with_access(server, token: str) -> Browser:
    b = Browser(server)
    b.set_cookie("access_token", token, "/")
    return b


def assert_unauthenticated(server, token: str, path: str = "/auth/user"):
    r = with_access(server, token).get(path)
    assert_problem(r, 401, "unauthenticated")
    assert_no_refresh_challenge(r)
    return r


@pytest.fixture(scope="module")
def session(server):
    """One logged-in browser on the default server."""
    user = make_user_on(server)
    b = Browser(server, "holder")
    b.login(user.email, user.password)
    return b


# --- broken tokens -----------------------------------------------------------------------------


def test_a_valid_access_token_opens_auth_user(server, session):
    r = with_access(server, session.cookie("access_token")).get("/auth/user")
    assert r.status_code == 200, describe(r)


def test_a_tampered_signature_is_unauthenticated(server, session):
    assert_unauthenticated(server, tamper_signature(session.cookie("access_token")))


def test_changed_claims_under_the_old_signature_are_unauthenticated(server, session):
    h, _, s = session.cookie("access_token").split(".")
    _, claims = unverified(session.cookie("access_token"))
    claims["roles"] = ["admin"]
    forged = f"{h}.{b64url(json.dumps(claims).encode())}.{s}"
    assert_unauthenticated(server, forged)


def test_an_unsigned_alg_none_token_is_unauthenticated(server, session):
    header, claims = unverified(session.cookie("access_token"))
    for alg in ("none", "None", "NONE"):
        assert_unauthenticated(server, compact({**header, "alg": alg}, claims))


def test_a_refresh_token_in_the_access_cookie_is_unauthenticated(server, session):
    assert_unauthenticated(server, session.cookie("refresh_token"))


def test_a_csrf_token_in_the_access_cookie_is_unauthenticated(server, session):
    assert_unauthenticated(server, session.csrf)
    assert_unauthenticated(server, session.anon_csrf())


@pytest.mark.parametrize("value", ["garbage", "a.b.c", "", "eyJhbGciOiJFUzI1NiJ9..", "x" * 5000])
def test_a_malformed_access_cookie_is_unauthenticated(server, value):
    assert_unauthenticated(server, value)


def test_validate_judges_tokens_like_user(server, session):
    assert_unauthenticated(server, tamper_signature(session.cookie("access_token")), "/auth/validate")
    r = with_access(server, session.cookie("access_token")).get("/auth/validate")
    assert r.status_code == 200, describe(r)


# --- tokens signed with the server's own key but wrong in one way -----------------------------


@pytest.fixture(scope="module")
def forger(server, session):
    f = find_forger(server, kid=unverified(session.cookie("access_token"))[0]["kid"])
    if f is None:
        pytest.skip("no PEM private key in GATEHOUSE_KEYS_DIR matches the JWKS; cannot forge tokens")
    return f


@pytest.fixture
def claims(session):
    _, c = unverified(session.cookie("access_token"))
    now = int(time.time())
    # A fresh jti in the server's own format (a UUID), so only the property under test differs.
    return {**c, "iat": now, "nbf": now, "exp": now + 300, "jti": str(uuid.uuid4())}


def test_a_re_signed_copy_of_a_real_token_is_accepted(server, forger, claims):
    """Baseline for the tests below: forging with the server's key works."""
    r = with_access(server, forger.sign(claims)).get("/auth/user")
    assert r.status_code == 200, describe(r)


def test_a_token_from_another_issuer_is_unauthenticated(server, forger, claims):
    assert_unauthenticated(server, forger.sign({**claims, "iss": "http://localhost:1"}))


def test_a_token_without_the_auth_server_in_aud_is_unauthenticated(server, forger, claims):
    assert_unauthenticated(server, forger.sign({**claims, "aud": [RESOURCE_URL]}))
    assert_unauthenticated(server, forger.sign({**claims, "aud": RESOURCE_URL}))


@pytest.mark.parametrize("typ", ["rt+jwt", "csrf+jwt", "JWT", None])
def test_an_access_token_with_another_typ_is_unauthenticated(server, forger, claims, typ):
    assert_unauthenticated(server, forger.sign(claims, {"typ": typ}))


def test_a_token_expired_beyond_the_leeway_is_token_expired_with_refresh_challenge(server, forger, claims):
    now = int(time.time())
    token = forger.sign({**claims, "iat": now - 1000, "nbf": now - 1000, "exp": now - server.leeway - 60})
    r = with_access(server, token).get("/auth/user")
    assert_problem(r, 401, "token_expired")
    assert_refresh_challenge(r)


def test_a_token_expired_within_the_leeway_is_still_accepted(server, forger, claims):
    now = int(time.time())
    token = forger.sign({**claims, "iat": now - 900, "nbf": now - 900, "exp": now - server.leeway // 3})
    r = with_access(server, token).get("/auth/user")
    assert r.status_code == 200, describe(r)


def test_a_token_not_yet_valid_beyond_the_leeway_is_refused(server, forger, claims):
    now = int(time.time())
    token = forger.sign({**claims, "iat": now + 600, "nbf": now + 600, "exp": now + 1200})
    r = with_access(server, token).get("/auth/user")
    assert_problem(r, 401)
    assert_no_refresh_challenge(r)


def test_a_token_without_exp_is_unauthenticated(server, forger, claims):
    assert_unauthenticated(server, forger.sign({k: v for k, v in claims.items() if k != "exp"}))


def test_hs256_signed_with_the_public_key_is_unauthenticated(server, forger, claims):
    header = {"kid": forger.kid, "typ": "at+jwt"}
    assert_unauthenticated(server, hs256_with_public_key(forger, header, claims))


def test_a_token_signed_by_another_key_under_a_known_kid_is_unauthenticated(server, forger, claims):
    from joserfc import jwt
    key = attacker_key()
    token = jwt.encode({"alg": "ES256", "kid": forger.kid, "typ": "at+jwt"}, claims, key)
    assert_unauthenticated(server, token)


def test_embedded_jwk_jku_and_x5u_headers_are_ignored(server, forger, claims):
    from joserfc import jwt
    key = attacker_key()
    public = key.as_dict(private=False)
    for header in ({"jwk": public, "kid": "attacker"},
                   {"jku": "https://evil.example/jwks.json", "kid": "attacker"},
                   {"x5u": "https://evil.example/cert.pem", "kid": "attacker"},
                   {"jwk": public, "kid": forger.kid}):
        token = jwt.encode({"alg": "ES256", "typ": "at+jwt", **header}, claims, key)
        assert_unauthenticated(server, token)


def test_an_unknown_kid_is_unauthenticated(server, forger, claims):
    token = forger.sign(claims, {"kid": "no-such-key-" + b64url(b"x")})
    assert_unauthenticated(server, token)


# --- real expiry on a server with a 2-second access token -------------------------------------


@pytest.fixture(scope="module")
def short(module_launch):
    return module_launch(GATEHOUSE_ACCESS_TOKEN_TTL=2, GATEHOUSE_CLOCK_LEEWAY=0)


@pytest.fixture(scope="module")
def expired(short):
    """A browser whose 2-second access token has expired (the cookie is still there)."""
    user = make_user_on(short)
    b = Browser(short, "sleeper")
    r = b.login(user.email, user.password)
    b.login_response = r
    time.sleep(3.2)
    return b


def test_the_access_cookie_lives_as_long_as_the_session_not_the_token(short, expired):
    sc = only_cookie(expired.login_response, "access_token")
    assert_cookie(sc, path="/", max_age=short.session_max_age, ctx=describe(expired.login_response))
    assert expired.cookie("access_token"), "the expired token must still be in the jar"


@pytest.mark.slow
@pytest.mark.parametrize("path", ["/auth/user", "/auth/validate", "/auth/sessions"])
def test_an_expired_access_token_is_401_token_expired_with_refresh_challenge(short, expired, path):
    r = expired.clone().get(path)
    assert_problem(r, 401, "token_expired")
    assert_refresh_challenge(r)


@pytest.mark.slow
def test_an_expired_token_with_a_broken_signature_is_unauthenticated_not_expired(short, expired):
    r = with_access(short, tamper_signature(expired.cookie("access_token"))).get("/auth/user")
    assert_problem(r, 401, "unauthenticated")
    assert_no_refresh_challenge(r)


@pytest.mark.slow
def test_refresh_after_access_expiry_restores_access(short, expired):
    b = expired.clone()
    r = b.refresh()
    assert r.status_code == 200, describe(r)
    r = b.get("/auth/user")
    assert r.status_code == 200, describe(r)


def test_a_token_issued_in_the_future_beyond_the_leeway_is_refused(server, forger, claims):
    now = int(time.time())
    token = forger.sign({**claims, "iat": now + server.leeway + 600})
    r = with_access(server, token).get("/auth/user")
    assert_problem(r, 401)
    assert_no_refresh_challenge(r)


@pytest.mark.slow
def test_session_endpoint_finds_the_session_with_an_expired_access_token(short, expired):
    r = expired.clone().load_session()
    assert r.status_code == 200, describe(r)
    assert r.json().get("authenticated") is True, describe(r)
