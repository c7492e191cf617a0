"""CSRF tokens: anonymous ones are single use, session ones are bound to their session."""

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from browser import Browser, describe
from checks import assert_problem, find_forger, tamper_signature, unverified
from flows import make_user_on, strong_password, unique_email

SESSION_ROUTES = [
    ("POST", "/auth/refresh", None),
    ("POST", "/auth/logout", None),
    ("POST", "/auth/sessions/revoke-others", None),
    ("POST", "/auth/change-password", {"currentPassword": "irrelevant-1", "newPassword": "Irrelevant-2-x"}),
]


@pytest.fixture(scope="module")
def alice(server):
    user = make_user_on(server, prefix="alice")
    return user


@pytest.fixture
def alice_browser(server, alice):
    b = Browser(server, "alice")
    b.login(alice.email, alice.password)
    return b


def forgot(b: Browser, csrf):
    return b.post("/auth/forgot-password", json={"email": unique_email("csrf-forgot")}, csrf=csrf)


def test_csrf_endpoint_returns_an_anonymous_token_valid_for_an_hour(server, tokens):
    r = Browser(server).get("/auth/csrf")
    assert r.status_code == 200, describe(r)
    body = r.json()
    assert set(body) >= {"csrfToken"}, describe(r)
    c = tokens.csrf(body["csrfToken"], "anon_csrf")
    assert "sid" not in c, c
    assert abs((c["exp"] - c["iat"]) - 3600) <= 5, c


def test_each_csrf_request_returns_a_distinct_token(server, tokens):
    b = Browser(server)
    a, c = b.anon_csrf(), b.anon_csrf()
    assert a != c
    assert unverified(a)[1]["jti"] != unverified(c)[1]["jti"]


def test_anonymous_csrf_token_is_single_use(server):
    b = Browser(server)
    token = b.anon_csrf()
    first = forgot(b, token)
    assert first.status_code == 202, describe(first)
    second = forgot(b, token)
    assert_problem(second, 403, "csrf_invalid")


def test_anonymous_csrf_token_used_for_login_cannot_be_replayed(server, alice):
    b = Browser(server)
    token = b.anon_csrf()
    r = b.post("/auth/login", json={"email": alice.email, "password": alice.password}, csrf=token)
    assert r.status_code == 200, describe(r)
    r = Browser(server).post("/auth/login", json={"email": alice.email, "password": alice.password}, csrf=token)
    assert_problem(r, 403, "csrf_invalid")
    assert not r.set_cookies, describe(r)


@pytest.mark.parametrize("path,body", [
    ("/auth/register", {"email": "x@example.com", "password": "Gh-long-enough-1", "firstName": "A",
                        "lastName": "B", "acceptTerms": True}),
    ("/auth/login", {"email": "x@example.com", "password": "Gh-long-enough-1"}),
    ("/auth/forgot-password", {"email": "x@example.com"}),
    ("/auth/resend-verification", {"email": "x@example.com"}),
    ("/auth/reset-password", {"token": "t", "newPassword": "Gh-long-enough-1"}),
])
def test_a_missing_csrf_header_is_403_on_anonymous_routes(server, path, body):
    r = Browser(server).post(path, json=body, csrf=None)
    assert_problem(r, 403, "csrf_invalid")


def test_a_tampered_csrf_token_is_403(server):
    b = Browser(server)
    r = forgot(b, tamper_signature(b.anon_csrf()))
    assert_problem(r, 403, "csrf_invalid")


@pytest.mark.parametrize("value", ["", "garbage", "a.b.c"])
def test_a_garbage_csrf_token_is_403(server, value):
    assert_problem(forgot(Browser(server), value), 403, "csrf_invalid")


def test_an_access_or_refresh_token_is_not_a_csrf_token(server, alice_browser):
    b = alice_browser
    assert_problem(forgot(b, b.cookie("access_token")), 403, "csrf_invalid")
    assert_problem(b.refresh(csrf=b.cookie("access_token")), 403, "csrf_invalid")
    assert_problem(b.refresh(csrf=b.cookie("refresh_token")), 403, "csrf_invalid")


@pytest.mark.parametrize("method,path,body", SESSION_ROUTES, ids=[p for _, p, _ in SESSION_ROUTES])
def test_an_anonymous_csrf_token_is_refused_on_session_routes(server, alice_browser, method, path, body):
    b = alice_browser
    kw = {"json": body} if body else {}
    r = b.request(method, path, csrf=b.anon_csrf(), **kw)
    assert_problem(r, 403, "csrf_invalid")
    assert b.refresh().status_code == 200, "the session must survive a refused request"


@pytest.mark.parametrize("method,path,body", SESSION_ROUTES, ids=[p for _, p, _ in SESSION_ROUTES])
def test_a_missing_csrf_header_is_refused_on_session_routes(server, alice_browser, method, path, body):
    kw = {"json": body} if body else {}
    r = alice_browser.request(method, path, csrf=None, **kw)
    assert_problem(r, 403, "csrf_invalid")


@pytest.mark.parametrize("method,path,body", SESSION_ROUTES, ids=[p for _, p, _ in SESSION_ROUTES])
def test_a_session_csrf_token_of_another_session_is_refused(server, alice, alice_browser, method, path, body):
    other = Browser(server, "alice-other-tab")
    other.login(alice.email, alice.password)  # same user, different session
    kw = {"json": body} if body else {}
    r = alice_browser.request(method, path, csrf=other.csrf, **kw)
    assert_problem(r, 403, "csrf_invalid")
    assert alice_browser.refresh().status_code == 200


def test_a_session_csrf_token_of_another_user_is_refused_on_delete_session(server, alice_browser):
    bob = make_user_on(server, prefix="bob")
    b = Browser(server, "bob")
    b.login(bob.email, bob.password)
    sessions = alice_browser.get("/auth/sessions").json()
    mine = next(s for s in sessions if s["current"])
    r = alice_browser.delete(f"/auth/sessions/{mine['id']}", csrf=b.csrf)
    assert_problem(r, 403, "csrf_invalid")


def test_a_session_csrf_token_is_accepted_on_anonymous_routes(server, alice_browser):
    r = alice_browser.post("/auth/forgot-password", json={"email": unique_email("sess-csrf")})
    assert r.status_code == 202, describe(r)


def test_a_session_csrf_token_is_reusable_for_the_life_of_the_session(server, alice_browser):
    b = alice_browser
    token = b.csrf
    for _ in range(3):
        r = b.post("/auth/refresh", csrf=token)
        assert r.status_code == 200, describe(r)


def test_an_expired_anonymous_csrf_token_is_refused(server):
    b = Browser(server)
    real = b.anon_csrf()
    forger = find_forger(server, kid=unverified(real)[0]["kid"])
    if forger is None:
        pytest.skip("cannot read the signing key from GATEHOUSE_KEYS_DIR")
    now = int(time.time())
    stale = forger.sign({"purpose": "anon_csrf", "jti": str(uuid.uuid4()), "iat": now - 7200,
                         "exp": now - 3600, "iss": server.public_url}, {"typ": "csrf+jwt"})
    assert_problem(forgot(b, stale), 403, "csrf_invalid")


def test_a_refused_csrf_request_has_no_side_effect(server):
    email, password = unique_email("csrf-noeffect"), strong_password()
    r = Browser(server).post("/auth/register", json={
        "email": email, "password": password, "firstName": "A", "lastName": "B", "acceptTerms": True},
        csrf="garbage")
    assert_problem(r, 403, "csrf_invalid")
    time.sleep(1.0)
    assert server.outbox.all_for(email) == []


def test_an_anonymous_csrf_token_is_single_use_even_under_concurrency(server):
    b = Browser(server)
    token = b.anon_csrf()
    tabs = [Browser(server) for _ in range(6)]
    barrier = threading.Barrier(len(tabs))

    def send(tab):
        barrier.wait()
        return forgot(tab, token)

    with ThreadPoolExecutor(len(tabs)) as pool:
        answers = list(pool.map(send, tabs))
    codes = sorted(r.status_code for r in answers)
    assert codes == [202] + [403] * (len(tabs) - 1), codes
