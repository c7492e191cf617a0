"""Abuse resistance over HTTP (CONTRACT "Behind a proxy", "Abuse resistance and account safety"):
the client's address behind trusted proxies, IPv6 /64 grouping, limits before state changes, and
a hasher that cannot starve the server. Servers of their own, so budgets do not leak."""

from __future__ import annotations

import statistics
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from browser import Browser, describe
from checks import assert_problem
from flows import make_user_on, registration, strong_password, unique_email

pytestmark = pytest.mark.ratelimit


def login_from(server, email, password, forwarded_for=None, source=None):
    b = Browser(server, source=source)
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else None
    token = b.anon_csrf()
    r = b.post("/auth/login", json={"email": email, "password": password}, csrf=token, headers=headers)
    if r.status_code == 200:
        b.csrf = r.json()["csrfToken"]
    return b, r


def test_behind_a_trusted_proxy_the_forwarded_client_is_recorded_and_limited(launch):
    server = launch(GATEHOUSE_TRUSTED_PROXIES="127.0.0.1")
    user = make_user_on(server)
    b, r = login_from(server, user.email, user.password, forwarded_for="6.6.6.6, 203.0.113.7")
    assert r.status_code == 200, describe(r)
    sessions = b.get("/auth/sessions").json()
    assert [s["ipAddress"] for s in sessions] == ["203.0.113.7"], sessions

    # Ten wrong guesses from one forwarded client limit that client on this account, not another one.
    for _ in range(10):
        assert login_from(server, user.email, "Wrong-" + strong_password(), forwarded_for="198.51.100.1")[1].status_code == 401
    assert_problem(login_from(server, user.email, user.password, forwarded_for="198.51.100.1")[1], 429, "rate_limited")
    assert login_from(server, user.email, user.password, forwarded_for="198.51.100.2")[1].status_code == 200


def test_without_trusted_proxies_forwarded_for_is_ignored(launch):
    server = launch()
    user = make_user_on(server)
    b, r = login_from(server, user.email, user.password, forwarded_for="203.0.113.7")
    assert r.status_code == 200, describe(r)
    assert [s["ipAddress"] for s in b.get("/auth/sessions").json()] == ["127.0.0.1"]
    for i in range(10):
        login_from(server, user.email, "Wrong-" + strong_password(), forwarded_for=f"198.51.100.{i}")
    # Spoofed headers bought nothing: the real peer is limited.
    assert_problem(login_from(server, user.email, user.password, forwarded_for="192.0.2.99")[1], 429, "rate_limited")


def test_an_ipv6_client_counts_as_its_64(launch):
    server = launch(GATEHOUSE_TRUSTED_PROXIES="127.0.0.1")
    user = make_user_on(server)
    for i in range(10):
        r = login_from(server, user.email, "Wrong-" + strong_password(), forwarded_for=f"2001:db8:1:2::{i + 1:x}")[1]
        assert r.status_code == 401, describe(r)
    assert_problem(login_from(server, user.email, user.password, forwarded_for="2001:db8:1:2:ffff::1")[1], 429, "rate_limited")
    assert login_from(server, user.email, user.password, forwarded_for="2001:db8:1:3::1")[1].status_code == 200


def test_registration_is_limited_per_address_before_anything_is_stored(launch):
    server = launch()
    source = "127.0.0.9"
    b = Browser(server, source=source)
    statuses = []
    for _ in range(30):
        r = b.post_anon("/auth/register", json=registration(unique_email("burst"), strong_password()))
        statuses.append(r.status_code)
    assert statuses == [202] * 30, statuses
    refused = unique_email("refused")
    assert_problem(b.post_anon("/auth/register", json=registration(refused, strong_password())), 429, "rate_limited")
    time.sleep(1.5)  # the outbox worker polls twice a second
    assert not server.outbox.new_for(refused), "a refused registration mailed someone"
    # Another client is not affected.
    other = Browser(server, source="127.0.0.10")
    assert other.post_anon("/auth/register", json=registration(unique_email("other"), strong_password())).status_code == 202


def test_forgot_password_is_limited_per_address(launch):
    server = launch()
    b = Browser(server, source="127.0.0.11")
    for _ in range(30):
        assert b.post_anon("/auth/forgot-password", json={"email": unique_email("f")}).status_code == 202
    assert_problem(b.post_anon("/auth/forgot-password", json={"email": unique_email("f")}), 429, "rate_limited")


def test_a_registration_flood_does_not_starve_refreshes(launch):
    """200 registrations at once from 50 addresses while a signed-in client refreshes in a loop:
    its refreshes keep answering; registrations past the hashing pool's queue get 503 busy."""
    server = launch()
    user = make_user_on(server)
    client, r = login_from(server, user.email, user.password)
    assert r.status_code == 200, describe(r)

    def refresh_latencies(count):
        out = []
        for _ in range(count):
            started = time.perf_counter()
            answer = client.refresh()
            out.append((answer.status_code, (time.perf_counter() - started) * 1000))
        return out

    before = refresh_latencies(30)

    def register(i):
        b = Browser(server, source=f"127.0.1.{i % 50 + 1}")
        token = b.anon_csrf()
        return b.post("/auth/register", json=registration(unique_email("flood"), strong_password()), csrf=token).status_code

    with ThreadPoolExecutor(max_workers=200) as pool:
        flood = [pool.submit(register, i) for i in range(200)]
        during = []
        while not all(f.done() for f in flood):
            during += refresh_latencies(1)
        registrations = [f.result() for f in flood]

    assert all(status == 200 for status, _ in before + during), (before, during)
    assert set(registrations) <= {202, 503}, registrations
    assert registrations.count(202) > 0
    median_before = statistics.median(ms for _, ms in before)
    median_during = statistics.median(ms for _, ms in during)
    print(f"\nrefresh latency p50: {median_before:.1f} ms before, {median_during:.1f} ms under 200 parallel "
          f"registrations ({registrations.count(202)} accepted, {registrations.count(503)} answered 503 busy)")
