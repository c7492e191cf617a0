"""Changing a password, and the forgot / reset password flow."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs, urlsplit

import pytest

from browser import Browser, describe
from checks import assert_cleared, assert_problem, comparable_problem
from flows import make_user_on, strong_password, unique_email
from harness import SPA_URL


@pytest.fixture
def user(server):
    return make_user_on(server, prefix="pw")


def login(server, user, name, password=None):
    b = Browser(server, name)
    b.login(user.email, password or user.password)
    return b


def reset_token(server, email, **headers) -> str:
    r = Browser(server).post_anon("/auth/forgot-password", json={"email": email}, headers=headers or None)
    assert r.status_code == 202, describe(r)
    mail = server.outbox.wait_for(email, containing="/reset-password")
    link = mail.link_containing("/reset-password")
    parts = urlsplit(link)
    assert f"{parts.scheme}://{parts.netloc}" == SPA_URL and parts.path == "/reset-password", \
        f"reset link must point at the configured SPA: {link}"
    token = parse_qs(parts.query).get("token", [""])[0]
    assert token, link
    return token


# --- change password ---------------------------------------------------------------------------


def test_change_password_with_a_wrong_current_password_is_400_invalid_credentials(server, user):
    b = login(server, user, "changer")
    r = b.post("/auth/change-password", json={"currentPassword": "Wrong-" + user.password,
                                              "newPassword": strong_password()})
    assert_problem(r, 400, "invalid_credentials")
    Browser(server).login(user.email, user.password)


def test_change_password_applies_the_password_policy(server, user):
    b = login(server, user, "weak")
    r = b.post("/auth/change-password", json={"currentPassword": user.password, "newPassword": "short"})
    assert_problem(r, 400, "validation_failed", fields={"newPassword"})
    r = b.post("/auth/change-password", json={"currentPassword": user.password, "newPassword": "password123"})
    assert_problem(r, 400, "validation_failed", fields={"newPassword"})


def test_change_password_ends_other_sessions_but_keeps_the_current_one(server, user):
    current = login(server, user, "current")
    others = [login(server, user, f"other-{i}") for i in range(2)]
    new = strong_password()
    r = current.post("/auth/change-password", json={"currentPassword": user.password, "newPassword": new})
    assert r.status_code == 200, describe(r)
    for o in others:
        assert_problem(o.refresh(), 401, "session_expired")
    r = current.refresh()
    assert r.status_code == 200, f"the current session must survive\n{describe(r)}"
    assert current.get("/auth/user").status_code == 200
    assert_problem(Browser(server).login(user.email, user.password, expect=None), 401, "invalid_credentials")
    Browser(server).login(user.email, new)


def test_change_password_needs_the_session_csrf_token(server, user):
    b = login(server, user, "nocsrf")
    r = b.post("/auth/change-password", json={"currentPassword": user.password,
                                              "newPassword": strong_password()}, csrf=None)
    assert_problem(r, 403, "csrf_invalid")


# --- forgot password ---------------------------------------------------------------------------


def test_forgot_password_answers_202_identically_for_known_and_unknown_addresses(server, user):
    known = Browser(server).post_anon("/auth/forgot-password", json={"email": user.email})
    unknown = Browser(server).post_anon("/auth/forgot-password", json={"email": unique_email("nobody")})
    assert known.status_code == 202, describe(known)
    assert unknown.status_code == 202, describe(unknown)
    assert comparable_problem(known) == comparable_problem(unknown), \
        f"{describe(known)}\n---\n{describe(unknown)}"


def test_forgot_password_for_an_unknown_address_sends_no_mail(server):
    ghost = unique_email("ghost")
    r = Browser(server).post_anon("/auth/forgot-password", json={"email": ghost})
    assert r.status_code == 202, describe(r)
    time.sleep(1.0)
    assert server.outbox.all_for(ghost) == []


def test_forgot_password_mails_a_link_to_the_spa_reset_page(server, user):
    reset_token(server, user.email)


def test_reset_link_ignores_a_spoofed_host_header(server, user):
    token = reset_token(server, user.email, **{
        "Host": "evil.example", "X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https",
        "Forwarded": "host=evil.example;proto=https"})
    assert token
    for mail in server.outbox.all_for(user.email):
        assert "evil.example" not in mail.body, f"mail {mail.path} mentions the spoofed host"


def test_forgot_password_with_an_invalid_email_is_a_validation_failure_or_202(server):
    r = Browser(server).post_anon("/auth/forgot-password", json={"email": "not-an-email"})
    if r.status_code != 202:
        assert_problem(r, 400, "validation_failed", fields={"email"})


# --- reset password ----------------------------------------------------------------------------


def test_reset_password_sets_the_new_password_and_revokes_every_session(server, user):
    sessions = [login(server, user, f"s{i}") for i in range(2)]
    token = reset_token(server, user.email)
    new = strong_password()
    r = Browser(server).post_anon("/auth/reset-password", json={"token": token, "newPassword": new})
    assert r.status_code == 200, describe(r)
    for s in sessions:
        assert_problem(s.refresh(), 401, "session_expired")
    assert_problem(Browser(server).login(user.email, user.password, expect=None), 401, "invalid_credentials")
    Browser(server).login(user.email, new)


def test_reset_password_from_a_logged_in_browser_clears_its_cookies(server, user):
    b = login(server, user, "resetter")
    token = reset_token(server, user.email)
    r = b.post_anon("/auth/reset-password", json={"token": token, "newPassword": strong_password()})
    assert r.status_code == 200, describe(r)
    assert_cleared(r, "access_token", "/")
    assert_cleared(r, "refresh_token", "/auth")


def test_a_reset_token_works_only_once(server, user):
    token = reset_token(server, user.email)
    first = strong_password()
    r = Browser(server).post_anon("/auth/reset-password", json={"token": token, "newPassword": first})
    assert r.status_code == 200, describe(r)
    r = Browser(server).post_anon("/auth/reset-password", json={"token": token, "newPassword": strong_password()})
    assert_problem(r, 400, "invalid_token")
    Browser(server).login(user.email, first)


@pytest.mark.parametrize("token", ["not-a-real-token", "eyJhbGciOiJFUzI1NiJ9.e30.AAAA"])
def test_reset_with_an_unknown_token_is_400_invalid_token(server, token):
    r = Browser(server).post_anon("/auth/reset-password", json={"token": token, "newPassword": strong_password()})
    assert_problem(r, 400, "invalid_token")


def test_reset_applies_the_password_policy_without_burning_the_token(server, user):
    token = reset_token(server, user.email)
    r = Browser(server).post_anon("/auth/reset-password", json={"token": token, "newPassword": "short"})
    assert_problem(r, 400, "validation_failed", fields={"newPassword"})
    new = strong_password()
    r = Browser(server).post_anon("/auth/reset-password", json={"token": token, "newPassword": new})
    assert r.status_code == 200, describe(r)
    Browser(server).login(user.email, new)


def test_reset_with_a_malformed_body_is_bad_request(server):
    r = Browser(server).post_anon("/auth/reset-password", json={"token": 5, "newPassword": ["x"]})
    assert_problem(r, 400, "bad_request")


def test_a_reset_token_works_only_once_even_under_concurrency(server, user):
    token = reset_token(server, user.email)
    tabs = [Browser(server) for _ in range(4)]
    csrfs = [t.anon_csrf() for t in tabs]
    passwords = [strong_password() for _ in tabs]
    barrier = threading.Barrier(len(tabs))

    def send(i):
        barrier.wait()
        return tabs[i].post("/auth/reset-password", json={"token": token, "newPassword": passwords[i]},
                            csrf=csrfs[i])

    with ThreadPoolExecutor(len(tabs)) as pool:
        answers = list(pool.map(send, range(len(tabs))))
    codes = [r.status_code for r in answers]
    assert sorted(codes) == [200] + [400] * (len(tabs) - 1), codes
    winner = passwords[codes.index(200)]
    Browser(server).login(user.email, winner)
