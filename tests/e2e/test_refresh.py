"""Refresh-token rotation, the grace window for racing tabs, reuse detection and session limits."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from browser import Browser, describe
from checks import (Tokens, assert_cleared, assert_cookie, assert_problem, only_cookie, parse_utc,
                    tamper_signature)
from flows import make_user_on


def logged_in_on(server, name="tab"):
    user = make_user_on(server)
    b = Browser(server, name)
    b.login(user.email, user.password)
    return b


def race(browsers, action):
    barrier = threading.Barrier(len(browsers))

    def run(b):
        barrier.wait()
        return action(b)

    with ThreadPoolExecutor(len(browsers)) as pool:
        return list(pool.map(run, browsers))


def assert_session_expired(r):
    assert_problem(r, 401, "session_expired")
    assert_cleared(r, "access_token", "/")
    assert_cleared(r, "refresh_token", "/auth")


def never_clears(r):
    assert not any(sc.max_age == 0 for sc in r.set_cookies), f"must not clear cookies\n{describe(r)}"


# --- rotation ----------------------------------------------------------------------------------


def test_refresh_rotates_both_tokens_and_answers_csrf_and_expiry(server, tokens):
    b = logged_in_on(server)
    old_access, old_refresh = b.cookie("access_token"), b.cookie("refresh_token")
    old_rt = tokens.refresh(old_refresh)
    r = b.refresh()
    assert r.status_code == 200, describe(r)
    body = r.json()
    assert {"csrfToken", "accessTokenExpiresAt"} <= set(body), describe(r)
    new_refresh, new_access = b.cookie("refresh_token"), b.cookie("access_token")
    assert new_refresh != old_refresh and new_access != old_access
    rt = tokens.refresh(new_refresh)
    at = tokens.access(new_access)
    assert rt["jti"] != old_rt["jti"] and rt["sid"] == old_rt["sid"] == at["sid"], (rt, old_rt)
    assert tokens.csrf(body["csrfToken"], "auth_csrf")["sid"] == at["sid"]
    assert abs(parse_utc(body["accessTokenExpiresAt"]).timestamp() - at["exp"]) <= 1, describe(r)


def test_refresh_sets_both_cookies_with_their_attributes(server, tokens):
    b = logged_in_on(server)
    r = b.refresh()
    assert r.status_code == 200, describe(r)
    access = only_cookie(r, "access_token")
    refresh = only_cookie(r, "refresh_token")
    assert_cookie(access, path="/", max_age=server.session_max_age, tolerance=10, ctx=describe(r))
    exp = tokens.refresh(refresh.value)["exp"]
    assert_cookie(refresh, path="/auth", max_age=int(exp - time.time()), ctx=describe(r))


def test_refresh_ignores_the_access_token(server):
    b = logged_in_on(server)
    b.drop_cookie("access_token")
    r = b.refresh()
    assert r.status_code == 200, describe(r)
    b.set_cookie("access_token", "garbage", "/")
    r = b.refresh()
    assert r.status_code == 200, describe(r)
    assert b.get("/auth/user").status_code == 200


def test_the_rotated_refresh_token_keeps_working(server):
    b = logged_in_on(server)
    for _ in range(4):
        r = b.refresh()
        assert r.status_code == 200, describe(r)
    assert b.get("/auth/user").status_code == 200


# --- absent or invalid refresh tokens ----------------------------------------------------------


def test_refresh_without_a_refresh_cookie_is_401_session_expired_and_clears_cookies(server):
    b = logged_in_on(server)
    b.drop_cookie("refresh_token")
    assert_session_expired(b.refresh())


@pytest.mark.parametrize("value", ["garbage", "a.b.c"])
def test_refresh_with_a_garbage_refresh_cookie_is_401_session_expired(server, value):
    b = logged_in_on(server)
    b.set_cookie("refresh_token", value, "/auth")
    assert_session_expired(b.refresh())


def test_refresh_with_a_forged_refresh_token_is_401_session_expired(server):
    b = logged_in_on(server)
    b.set_cookie("refresh_token", tamper_signature(b.cookie("refresh_token")), "/auth")
    assert_session_expired(b.refresh())


def test_an_access_token_in_the_refresh_cookie_is_refused(server):
    b = logged_in_on(server)
    b.set_cookie("refresh_token", b.cookie("access_token"), "/auth")
    assert_session_expired(b.refresh())


# --- the grace window --------------------------------------------------------------------------


def test_the_predecessor_within_grace_gets_the_same_successor_without_a_second_rotation(server, tokens):
    tab1 = logged_in_on(server, "tab1")
    tab2 = tab1.clone("tab2")  # both tabs share RT0
    r1 = tab1.refresh()
    assert r1.status_code == 200, describe(r1)
    rt1 = tab1.cookie("refresh_token")
    r2 = tab2.refresh()  # RT0 again, inside the window
    assert r2.status_code == 200, describe(r2)
    never_clears(r2)
    assert tab2.cookie("refresh_token") == rt1, \
        f"the late tab must receive the same successor\n{describe(r1)}\n---\n{describe(r2)}"
    # RT1 is still the current token: it rotates normally.
    r3 = tab2.refresh()
    assert r3.status_code == 200, describe(r3)
    assert tab2.cookie("refresh_token") != rt1


def test_a_refresh_token_two_generations_old_revokes_the_whole_session(server):
    b = logged_in_on(server)
    stale = b.clone("stale")  # RT0
    assert b.refresh().status_code == 200  # RT1
    assert b.refresh().status_code == 200  # RT2
    assert_session_expired(stale.refresh())
    r = b.refresh()  # RT2 belonged to the revoked session
    assert_session_expired(r)
    anon = b.load_session()
    assert anon.json()["authenticated"] is False, describe(anon)


@pytest.fixture(scope="module")
def short(module_launch):
    return module_launch(GATEHOUSE_ACCESS_TOKEN_TTL=2, GATEHOUSE_CLOCK_LEEWAY=0,
                         GATEHOUSE_REFRESH_GRACE=2)


@pytest.mark.slow
def test_the_predecessor_after_the_grace_window_revokes_the_whole_session(short):
    b = logged_in_on(short)
    late = b.clone("late")  # RT0
    assert b.refresh().status_code == 200  # RT1
    time.sleep(short.grace + 1.2)
    assert_session_expired(late.refresh())
    assert_session_expired(b.refresh())
    r = b.load_session()
    assert r.json()["authenticated"] is False, describe(r)


@pytest.mark.slow
def test_a_session_survives_access_expiry_through_refresh(short):
    b = logged_in_on(short)
    for _ in range(2):
        time.sleep(short.access_ttl + 0.8)
        assert b.get("/auth/user").status_code == 401
        r = b.refresh()
        assert r.status_code == 200, describe(r)
        assert b.get("/auth/user").status_code == 200


@pytest.mark.slow
def test_an_expired_refresh_token_is_401_session_expired(launch):
    s = launch(GATEHOUSE_REFRESH_TOKEN_TTL=2, GATEHOUSE_CLOCK_LEEWAY=0)
    b = logged_in_on(s)
    token = b.cookie("refresh_token")
    assert only_cookie(b.last, "refresh_token").max_age <= 2, describe(b.last)
    time.sleep(3.2)
    assert b.cookie("refresh_token") is None, "the browser drops the cookie at the token's exp"
    b.set_cookie("refresh_token", token, "/auth")  # presented anyway, as a stolen copy would be
    assert_session_expired(b.refresh())


# --- concurrency -------------------------------------------------------------------------------


@pytest.mark.parametrize("round_", range(3))
def test_two_concurrent_refreshes_with_one_cookie_both_succeed_with_the_same_token(server, round_):
    b = logged_in_on(server)
    tabs = [b.clone("tab-a"), b.clone("tab-b")]
    answers = race(tabs, lambda t: t.refresh())
    for r in answers:
        assert r.status_code == 200, describe(r)
        never_clears(r)
    finals = {t.cookie("refresh_token") for t in tabs}
    assert len(finals) == 1, "both tabs must end with the same refresh token:\n" + \
        "\n---\n".join(describe(r) for r in answers)
    survivor = tabs[0]
    r = survivor.refresh()
    assert r.status_code == 200, f"the final token must still be accepted\n{describe(r)}"


def test_six_concurrent_refreshes_with_one_cookie_all_succeed_with_the_same_token(server):
    b = logged_in_on(server)
    tabs = [b.clone(f"tab-{i}") for i in range(6)]
    answers = race(tabs, lambda t: t.refresh())
    for r in answers:
        assert r.status_code == 200, describe(r)
        never_clears(r)
    assert len({t.cookie("refresh_token") for t in tabs}) == 1, \
        "\n---\n".join(describe(r) for r in answers)
    assert tabs[3].refresh().status_code == 200


# --- absolute session lifetime -----------------------------------------------------------------


@pytest.mark.slow
def test_no_refresh_extends_a_session_past_its_max_age(launch):
    s = launch(GATEHOUSE_SESSION_MAX_AGE=5, GATEHOUSE_ACCESS_TOKEN_TTL=2, GATEHOUSE_CLOCK_LEEWAY=0,
               GATEHOUSE_REFRESH_GRACE=1)
    tk = Tokens(s)
    b = logged_in_on(s)
    started = time.time()
    login = b.last
    access = only_cookie(login, "access_token")
    refresh = only_cookie(login, "refresh_token")
    assert access.max_age is not None and access.max_age <= 5, describe(login)
    assert refresh.max_age is not None and refresh.max_age <= 5, describe(login)
    assert tk.refresh(refresh.value)["exp"] <= started + 6
    time.sleep(2.5)
    r = b.refresh()
    assert r.status_code == 200, describe(r)
    assert tk.refresh(b.cookie("refresh_token"))["exp"] <= started + 6, "refresh must not extend the session"
    assert only_cookie(r, "access_token").max_age <= 4, describe(r)
    last_refresh = b.cookie("refresh_token")
    time.sleep(max(0.0, started + 6.5 - time.time()))
    # The browser has dropped the cookie by now; present it anyway, as a stolen copy would be.
    b.set_cookie("refresh_token", last_refresh, "/auth")
    r = b.refresh()
    # The session CSRF token lives as long as the session, so 403 csrf_invalid is as right as
    # 401 session_expired here; what matters is that nothing is renewed.
    if r.status_code == 403:
        assert_problem(r, 403, "csrf_invalid")
        assert not [sc for sc in r.set_cookies if sc.max_age != 0], describe(r)
    else:
        assert_session_expired(r)
