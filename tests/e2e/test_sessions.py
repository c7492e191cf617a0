"""Finding a session again (/auth/session), listing and ending sessions, logging out."""

import pytest

from browser import Browser, describe
from checks import assert_cleared, assert_problem, parse_utc
from flows import make_user_on

SESSION_KEYS = {"id", "createdAt", "lastUsedAt", "userAgent", "ipAddress", "current"}


@pytest.fixture
def user(server):
    return make_user_on(server, prefix="sess")


def login(server, user, name, ua=None):
    b = Browser(server, name, user_agent=ua)
    b.login(user.email, user.password)
    return b


def sessions_of(b: Browser) -> list[dict]:
    r = b.get("/auth/sessions")
    assert r.status_code == 200, describe(r)
    body = r.json()
    assert isinstance(body, list), describe(r)
    return body


def current_id(b: Browser) -> str:
    return next(s["id"] for s in sessions_of(b) if s["current"])


# --- /auth/session -----------------------------------------------------------------------------


def test_session_endpoint_without_cookies_is_anonymous_with_an_anonymous_csrf_token(server, tokens):
    r = Browser(server).get("/auth/session")
    assert r.status_code == 200, describe(r)
    body = r.json()
    assert body.get("authenticated") is False, describe(r)
    tokens.csrf(body["csrfToken"], "anon_csrf")
    assert "user" not in body or body["user"] is None, describe(r)


def test_session_endpoint_with_a_refresh_cookie_finds_the_session_without_rotating(server, user, tokens):
    b = login(server, user, "reloaded")
    refresh_before = b.cookie("refresh_token")
    access = tokens.access(b.cookie("access_token"))
    reloaded = b.clone("after-reload")
    reloaded.csrf = None  # a reload loses the SPA's memory
    r = reloaded.load_session()
    assert r.status_code == 200, describe(r)
    body = r.json()
    assert body.get("authenticated") is True, describe(r)
    assert {"user", "csrfToken", "accessTokenExpiresAt"} <= set(body), describe(r)
    assert body["user"]["email"] == user.email, describe(r)
    assert {"id", "email", "firstName", "lastName", "emailVerified", "roles"} <= set(body["user"]), describe(r)
    assert tokens.csrf(body["csrfToken"], "auth_csrf")["sid"] == access["sid"]
    parse_utc(body["accessTokenExpiresAt"])
    assert all(sc.value == refresh_before for sc in r.set_cookies if sc.name == "refresh_token"), \
        f"/auth/session must not rotate the refresh token\n{describe(r)}"
    assert reloaded.cookie("refresh_token") == refresh_before
    # The recovered CSRF token drives a refresh, and the untouched refresh token is still current.
    r = reloaded.refresh()
    assert r.status_code == 200, describe(r)


def test_session_endpoint_after_logout_is_anonymous(server, user):
    b = login(server, user, "gone")
    stale = b.clone("stale")
    assert b.logout().status_code == 200
    r = stale.load_session()
    assert r.status_code == 200 and r.json()["authenticated"] is False, describe(r)


# --- listing -----------------------------------------------------------------------------------


def test_sessions_lists_live_sessions_with_one_marked_current(server, user):
    a = login(server, user, "laptop", ua="Mozilla/5.0 (Laptop) Gatehouse-E2E")
    login(server, user, "phone", ua="Mozilla/5.0 (Phone) Gatehouse-E2E")
    listed = sessions_of(a)
    assert len(listed) == 2, listed
    for s in listed:
        assert SESSION_KEYS <= set(s), s
        parse_utc(s["createdAt"])
        parse_utc(s["lastUsedAt"])
        assert isinstance(s["current"], bool), s
    current = [s for s in listed if s["current"]]
    assert len(current) == 1, listed
    assert current[0]["userAgent"] == "Mozilla/5.0 (Laptop) Gatehouse-E2E", current
    other = next(s for s in listed if not s["current"])
    assert other["userAgent"] == "Mozilla/5.0 (Phone) Gatehouse-E2E", other
    assert current[0]["ipAddress"] in ("127.0.0.1", "::1", "::ffff:127.0.0.1"), current


def test_sessions_list_only_the_callers_sessions(server, user):
    a = login(server, user, "mine")
    stranger = make_user_on(server, prefix="stranger")
    login(server, stranger, "theirs")
    assert len(sessions_of(a)) == 1


def test_sessions_list_omits_ended_sessions(server, user):
    a = login(server, user, "stays")
    b = login(server, user, "leaves")
    assert b.logout().status_code == 200
    assert len(sessions_of(a)) == 1


# --- ending sessions ---------------------------------------------------------------------------


def test_deleting_another_of_my_sessions_ends_it(server, user):
    a = login(server, user, "keeper")
    b = login(server, user, "victim")
    victim_id = current_id(b)
    r = a.delete(f"/auth/sessions/{victim_id}")
    assert r.status_code == 204, describe(r)
    assert r.content == b"", describe(r)
    r = b.refresh()
    assert_problem(r, 401, "session_expired")
    assert a.refresh().status_code == 200
    assert [s["id"] for s in sessions_of(a)] == [current_id(a)]


def test_deleting_someone_elses_session_is_404_and_leaves_it_alive(server, user):
    a = login(server, user, "attacker")
    other = make_user_on(server, prefix="other")
    b = login(server, other, "target")
    r = a.delete(f"/auth/sessions/{current_id(b)}")
    assert_problem(r, 404)
    assert b.refresh().status_code == 200


@pytest.mark.parametrize("sid", ["6f1c2a4e-0b7d-4c1e-9a55-3f2e8d9b7c10", "not-a-uuid"],
                         ids=["random-uuid", "not-a-uuid"])
def test_deleting_an_unknown_session_is_404(server, user, sid):
    a = login(server, user, "unknown")
    r = a.delete(f"/auth/sessions/{sid}")
    assert_problem(r, 404)


def test_deleting_the_current_session_is_a_logout(server, user):
    a = login(server, user, "self")
    r = a.delete(f"/auth/sessions/{current_id(a)}")
    assert r.status_code == 204, describe(r)
    assert_cleared(r, "access_token", "/")
    assert_cleared(r, "refresh_token", "/auth")


def test_deleting_the_current_session_revokes_its_refresh_token(server, user):
    a = login(server, user, "self2")
    kept = a.clone("kept-cookies")
    assert a.delete(f"/auth/sessions/{current_id(a)}").status_code == 204
    assert_problem(kept.refresh(), 401, "session_expired")


def test_revoke_others_ends_every_other_session_and_counts_them(server, user):
    a = login(server, user, "main")
    others = [login(server, user, f"other-{i}") for i in range(2)]
    r = a.post("/auth/sessions/revoke-others")
    assert r.status_code == 200, describe(r)
    assert r.json().get("revoked") == 2, describe(r)
    for o in others:
        assert_problem(o.refresh(), 401, "session_expired")
    assert a.refresh().status_code == 200
    r = a.post("/auth/sessions/revoke-others")
    assert r.status_code == 200 and r.json().get("revoked") == 0, describe(r)


# --- logout ------------------------------------------------------------------------------------


def test_logout_clears_both_cookies(server, user):
    b = login(server, user, "out")
    r = b.logout()
    assert r.status_code == 200, describe(r)
    assert_cleared(r, "access_token", "/")
    assert_cleared(r, "refresh_token", "/auth")
    assert b.cookie("access_token") is None and b.cookie("refresh_token") is None


def test_refresh_after_logout_is_401_even_with_the_old_cookie(server, user):
    b = login(server, user, "replayer")
    copy = b.clone("kept-cookies")
    assert b.logout().status_code == 200
    assert_problem(copy.refresh(), 401, "session_expired")
    assert_problem(b.refresh(), 401, "session_expired")


def test_logout_is_idempotent_for_two_tabs(server, user):
    tab1 = login(server, user, "tab1")
    tab2 = tab1.clone("tab2")
    r1 = tab1.logout()
    r2 = tab2.logout()
    assert r1.status_code == 200, describe(r1)
    assert r2.status_code == 200, describe(r2)
    assert_cleared(r2, "access_token", "/")
    assert_cleared(r2, "refresh_token", "/auth")


def test_logout_twice_from_the_same_tab_answers_200(server, user):
    b = login(server, user, "double")
    assert b.logout().status_code == 200
    r = b.logout()  # no cookies left, the old session CSRF token still in memory
    assert r.status_code == 200, describe(r)


def test_logout_does_not_end_the_users_other_sessions(server, user):
    a = login(server, user, "leaving")
    b = login(server, user, "staying")
    assert a.logout().status_code == 200
    assert b.refresh().status_code == 200
