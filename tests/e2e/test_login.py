"""Password login: answers, cookies, token claims, and the endpoints an access token opens."""

import statistics
import time

import pytest

from browser import Browser, describe
from checks import assert_cookie, assert_no_refresh_challenge, assert_problem, comparable_problem, \
    only_cookie, parse_utc
from flows import make_user_on, strong_password, unique_email
from harness import RESOURCE_URL

USER_KEYS = {"id", "email", "firstName", "lastName", "emailVerified", "roles"}


def test_login_before_confirmation_with_the_right_password_is_403_email_not_verified(server, make_user):
    user = make_user(verified=False)
    r = Browser(server).login(user.email, user.password, expect=None)
    assert_problem(r, 403, "email_not_verified")
    assert not r.set_cookies or all(sc.max_age == 0 for sc in r.set_cookies), describe(r)


def test_login_before_confirmation_with_a_wrong_password_is_401_invalid_credentials(server, make_user):
    user = make_user(verified=False)
    r = Browser(server).login(user.email, user.password + "x", expect=None)
    assert_problem(r, 401, "invalid_credentials")


def test_login_with_a_wrong_password_is_401_invalid_credentials(server, make_user):
    user = make_user()
    r = Browser(server).login(user.email, "Wrong-" + user.password, expect=None)
    assert_problem(r, 401, "invalid_credentials")
    assert not any(sc.name in ("access_token", "refresh_token") and sc.max_age != 0
                   for sc in r.set_cookies), describe(r)


def test_login_with_an_unknown_email_answers_exactly_like_a_wrong_password(server, make_user):
    user = make_user()
    wrong = Browser(server).login(user.email, strong_password(), expect=None)
    unknown = Browser(server).login(unique_email("nobody"), strong_password(), expect=None)
    assert_problem(unknown, 401, "invalid_credentials")
    assert comparable_problem(wrong) == comparable_problem(unknown), \
        f"{describe(wrong)}\n---\n{describe(unknown)}"


def test_login_answers_user_csrf_token_and_access_expiry(server, make_user, tokens):
    user = make_user(first="Grace", last="Hopper")
    b = Browser(server)
    r = b.login(user.email, user.password)
    assert r.headers.get("Content-Type", "").startswith("application/json"), describe(r)
    body = r.json()
    assert {"user", "csrfToken", "accessTokenExpiresAt"} <= set(body), describe(r)
    u = body["user"]
    assert USER_KEYS <= set(u), describe(r)
    assert u["email"] == user.email and u["firstName"] == "Grace" and u["lastName"] == "Hopper", u
    assert u["emailVerified"] is True and isinstance(u["roles"], list), u
    access = tokens.access(b.cookie("access_token"))
    csrf = tokens.csrf(body["csrfToken"], "auth_csrf")
    assert csrf["sid"] == access["sid"], (csrf, access)
    assert abs(csrf["exp"] - (csrf["iat"] + server.session_max_age)) <= 5, \
        f"a session CSRF token lives as long as the session: {csrf}"
    expires = parse_utc(body["accessTokenExpiresAt"]).timestamp()
    assert abs(expires - access["exp"]) <= 1, (body["accessTokenExpiresAt"], access["exp"])
    assert user.password not in r.text, describe(r)


def test_login_sets_the_access_cookie_for_the_whole_session_on_path_root(server, make_user):
    user = make_user()
    r = Browser(server).login(user.email, user.password)
    sc = only_cookie(r, "access_token")
    assert_cookie(sc, path="/", max_age=server.session_max_age, ctx=describe(r))


def test_login_sets_the_refresh_cookie_on_path_auth_until_the_token_expires(server, make_user, tokens):
    user = make_user()
    b = Browser(server)
    r = b.login(user.email, user.password)
    sc = only_cookie(r, "refresh_token")
    claims = tokens.refresh(sc.value)
    assert_cookie(sc, path="/auth", max_age=int(claims["exp"] - time.time()), ctx=describe(r))
    assert abs(sc.max_age - server.refresh_ttl) <= 5, describe(r)


def test_access_token_carries_the_contract_claims(server, make_user, tokens):
    user = make_user(first="Katherine", last="Johnson")
    b = Browser(server)
    r = b.login(user.email, user.password)
    header, _ = tokens.verify(b.cookie("access_token"), "at+jwt")
    c = tokens.access(b.cookie("access_token"))
    assert header["alg"] == "ES256", header
    assert set(c["aud"]) >= {server.public_url, RESOURCE_URL}, c
    assert c["email"] == user.email and c["given_name"] == "Katherine" and c["family_name"] == "Johnson", c
    assert c["sub"] == r.json()["user"]["id"], (c, r.json()["user"])
    assert abs((c["exp"] - c["iat"]) - server.access_ttl) <= 1, c
    assert c["nbf"] <= c["iat"] + 1, c
    assert c["roles"] == r.json()["user"]["roles"], c


def test_refresh_token_carries_the_contract_claims(server, make_user, tokens):
    user = make_user()
    b = Browser(server)
    b.login(user.email, user.password)
    access = tokens.access(b.cookie("access_token"))
    c = tokens.refresh(b.cookie("refresh_token"))
    assert c["sub"] == access["sub"] and c["sid"] == access["sid"], (c, access)
    assert abs((c["exp"] - c["iat"]) - server.refresh_ttl) <= 1, c
    assert c["jti"] != access["jti"]


def test_each_login_starts_a_new_session(server, make_user, tokens):
    user = make_user()
    a, b = Browser(server), Browser(server)
    a.login(user.email, user.password)
    b.login(user.email, user.password)
    assert tokens.access(a.cookie("access_token"))["sid"] != tokens.access(b.cookie("access_token"))["sid"]


def test_auth_user_returns_the_profile_of_the_access_token(server, make_user):
    user = make_user(first="Barbara", last="Liskov")
    b = Browser(server)
    login = b.login(user.email, user.password)
    r = b.get("/auth/user")
    assert r.status_code == 200, describe(r)
    u = r.json()
    assert USER_KEYS <= set(u), describe(r)
    assert {k: u[k] for k in USER_KEYS} == {k: login.json()["user"][k] for k in USER_KEYS}, describe(r)
    assert u["email"] == user.email and u["firstName"] == "Barbara" and u["emailVerified"] is True


def test_auth_validate_answers_200_with_an_access_token(server, make_user):
    user = make_user()
    b = Browser(server)
    b.login(user.email, user.password)
    r = b.get("/auth/validate")
    assert r.status_code == 200, describe(r)


@pytest.mark.parametrize("path", ["/auth/user", "/auth/validate", "/auth/sessions"])
def test_protected_endpoint_without_access_token_is_401_unauthenticated_without_refresh(server, path):
    r = Browser(server).get(path)
    assert_problem(r, 401, "unauthenticated")
    assert_no_refresh_challenge(r)


def test_login_email_is_case_insensitive(server, make_user):
    user = make_user()
    Browser(server).login(user.email.upper(), user.password)


def test_a_200_character_password_works_and_is_not_truncated(server):
    password = "Lp-" + "".join(chr(ord("a") + (i * 7) % 26) for i in range(196)) + "Z"
    assert len(password) == 200
    user = make_user_on(server, password=password)
    Browser(server).login(user.email, password)
    r = Browser(server).login(user.email, password[:-1] + "Y", expect=None)
    assert_problem(r, 401, "invalid_credentials")
    r = Browser(server).login(user.email, password[:72], expect=None)
    assert_problem(r, 401, "invalid_credentials")


def test_login_without_csrf_token_is_403(server, make_user):
    user = make_user()
    r = Browser(server).post("/auth/login", json={"email": user.email, "password": user.password}, csrf=None)
    assert_problem(r, 403, "csrf_invalid")
    assert not r.set_cookies, describe(r)


def test_server_log_never_contains_passwords(server, make_user):
    password = "Log-Canary-" + strong_password()
    user = make_user(password=password)
    Browser(server).login(user.email, password)
    Browser(server).login(user.email, password + "-wrong", expect=401)
    time.sleep(0.5)
    assert password not in server.log_text(), "a password was written to the server log"


def test_login_takes_as_long_for_an_unknown_address_as_for_a_wrong_password(server, make_user):
    """Lesson 5: without a dummy hash for unknown addresses, timing tells which addresses exist."""
    user = make_user()

    def timed(email):
        b = Browser(server)
        token = b.anon_csrf()
        t0 = time.perf_counter()
        r = b.post("/auth/login", json={"email": email, "password": "Wrong-timing-1"}, csrf=token)
        elapsed = time.perf_counter() - t0
        assert r.status_code == 401, describe(r)
        return elapsed

    known, unknown = [], []
    for _ in range(5):
        known.append(timed(user.email))
        unknown.append(timed(unique_email("timing")))
    k, u = statistics.median(known), statistics.median(unknown)
    assert u >= 0.5 * k, f"unknown addresses answer much faster: median {u * 1000:.0f} ms vs {k * 1000:.0f} ms"
