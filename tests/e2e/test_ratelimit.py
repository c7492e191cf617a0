"""Rate limiting of failed logins. Each test gets a fresh server so budgets do not leak."""

import email.utils
from concurrent.futures import ThreadPoolExecutor

import pytest

from browser import Browser, describe
from checks import assert_problem
from flows import make_user_on, strong_password

pytestmark = pytest.mark.ratelimit

MAX_ATTEMPTS = 30


def fail_login(server, email):
    b = Browser(server)
    token = b.anon_csrf()
    return b.post("/auth/login", json={"email": email, "password": "Wrong-" + strong_password()}, csrf=token)


def assert_retry_after(r):
    value = r.headers.get("Retry-After")
    assert value, f"429 needs Retry-After\n{describe(r)}"
    if value.isdigit():
        assert int(value) > 0, describe(r)
    else:
        assert email.utils.parsedate_to_datetime(value), describe(r)


def test_repeated_failed_logins_for_one_account_end_in_429_with_retry_after(launch):
    s = launch()
    user = make_user_on(s, prefix="brute")
    answers = []
    for _ in range(MAX_ATTEMPTS):
        r = fail_login(s, user.email)
        answers.append(r.status_code)
        if r.status_code == 429:
            assert_problem(r, 429, "rate_limited")
            assert_retry_after(r)
            break
        assert_problem(r, 401, "invalid_credentials")
    else:
        pytest.fail(f"no 429 within {MAX_ATTEMPTS} failed logins: {answers}")


def test_rate_limited_login_does_not_reveal_whether_the_password_was_right(launch):
    s = launch()
    user = make_user_on(s, prefix="brute2")
    for _ in range(MAX_ATTEMPTS):
        if fail_login(s, user.email).status_code == 429:
            break
    else:
        pytest.fail(f"no 429 within {MAX_ATTEMPTS} failed logins")
    r = Browser(s).login(user.email, user.password, expect=None)
    assert r.status_code == 429, f"a limited account must not answer differently for the right password\n{describe(r)}"
    assert not [sc for sc in r.set_cookies if sc.max_age != 0], describe(r)


def test_unknown_addresses_are_limited_like_known_ones(launch):
    s = launch()
    answers = [fail_login(s, "nobody-brute@example.com").status_code for _ in range(MAX_ATTEMPTS)]
    assert 429 in answers, f"no 429 within {MAX_ATTEMPTS} failed logins for an unknown address: {answers}"


def test_parallel_failed_logins_cannot_exceed_the_sequential_budget(launch):
    """Counters must be atomic (Zitadel GHSA-7h8m-vrxx-vr4m): firing many attempts at once must
    not get more wrong-password answers than attempting one by one."""
    s1 = launch()
    u1 = make_user_on(s1, prefix="seq")
    budget = 0
    for _ in range(MAX_ATTEMPTS):
        if fail_login(s1, u1.email).status_code == 429:
            break
        budget += 1
    else:
        pytest.fail(f"no 429 within {MAX_ATTEMPTS} failed logins")
    s1.stop()

    s2 = launch()
    u2 = make_user_on(s2, prefix="par")
    browsers = [Browser(s2) for _ in range(budget * 2 + 6)]
    tokens = [b.anon_csrf() for b in browsers]

    def attempt(i):
        return browsers[i].post("/auth/login", json={"email": u2.email, "password": "Wrong-pass-1234"},
                                csrf=tokens[i]).status_code

    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(attempt, range(len(browsers))))
    assert codes.count(401) <= budget + 1, \
        f"sequential budget {budget}, but {codes.count(401)} parallel attempts got 401: {codes}"
    assert 429 in codes, codes
