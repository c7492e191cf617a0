"""`gatehouse users ...` and `gatehouse events` (CONTRACT "Administration") on the database of a real
Auth Server, once while it runs and once while it is stopped: each test prepares accounts over
HTTP, runs the console (human and `--json` output), and checks over HTTP, with the server started
again, that the change took effect."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import secrets
import subprocess
from contextlib import contextmanager

import pytest
import requests

from browser import Browser, describe
from checks import assert_problem, parse_utc
from flows import User, console, make_user_on, make_users_on
from harness import Server
from support.processes import wait_until_port_is_free

ACCOUNT_KEYS = {"id", "email", "firstName", "lastName", "emailVerified", "disabled", "roles", "createdAt"}
EVENT_KEYS = {"id", "kind", "at", "userId", "email", "ipAddress", "userAgent"}
ACCOUNT_HEADER = ["ID", "EMAIL", "VERIFIED", "DISABLED", "ROLES", "CREATED", "LAST LOGIN"]
EVENT_HEADER = ["AT", "KIND", "ACCOUNT", "ADDRESS", "BY"]


class Console:
    """The operator's console on `server`'s database, with the server running or stopped while it is
    used (`state`)."""

    def __init__(self, server: Server, state: str):
        self.server = server
        self.state = state

    @contextmanager
    def open(self):
        """The stretch of the test at the console: for "stopped", the server is down throughout and
        started again (same port, database and keys) afterwards."""
        if self.state == "running":
            assert requests.get(self.server.url("/actuator/health"), timeout=5).status_code == 200
            yield self
            return
        self.server.stop()
        with pytest.raises(requests.ConnectionError):
            requests.get(self.server.url("/actuator/health"), timeout=2)
        try:
            yield self
        finally:
            wait_until_port_is_free(self.server.port)
            self.server.start()

    def run(self, *args: str, expect: int = 0) -> subprocess.CompletedProcess:
        return console(self.server, *args, expect=expect)

    def json(self, *args: str):
        r = self.run(*args, "--json")
        try:
            return json.loads(r.stdout)
        except ValueError:
            pytest.fail(f"`gatehouse {' '.join(args)} --json` printed no JSON:\n{r.stdout}\n{r.stderr}")


@pytest.fixture(scope="module")
def server(module_launch) -> Server:
    """Every test here registers accounts from one address, twice (server running and stopped)."""
    return module_launch(GATEHOUSE_RATE_LIMIT_SCALE=10)


@pytest.fixture(params=["running", "stopped"])
def operator(request, server) -> Console:
    return Console(server, request.param)


def table(text: str) -> tuple[list[str], list[dict[str, str]]]:
    """A console table: the header's columns, and each row by column (columns are 2+ spaces apart;
    a row's empty last column is trimmed away)."""
    lines = [line for line in text.splitlines() if line.strip()]
    assert lines, f"no table in:\n{text}"
    header = re.split(r"\s{2,}", lines[0].strip())
    rows = [dict(zip(header, re.split(r"\s{2,}", line.strip()))) for line in lines[1:]]
    return header, rows


def login(server: Server, user: User, name: str | None = None, ua: str | None = None) -> Browser:
    b = Browser(server, name, user_agent=ua)
    b.login(user.email, user.password)
    return b


def user_id(b: Browser) -> str:
    r = b.get("/auth/user")
    assert r.status_code == 200, describe(r)
    return r.json()["id"]


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- users list ---------------------------------------------------------------------------------


def test_users_list_finds_accounts_by_email_or_name_in_any_case(server, operator):
    tag = "lst" + secrets.token_hex(4)
    *verified, unverified, by_name, _ = make_users_on(
        server, {"prefix": f"{tag}-b"}, {"prefix": f"{tag}-a"}, {"prefix": f"{tag}-c", "verified": False},
        {"prefix": "named", "first": f"Grace{tag}", "last": "Hopper"}, {"prefix": "unrelated"})
    logged = login(server, verified[0])
    logged_id = user_id(logged)
    expected = sorted(u.email for u in [*verified, unverified, by_name])

    with operator.open() as op:
        listed = op.json("users", "list", "--query", tag)
        human = op.run("users", "list", "--query", tag.upper()).stdout
        nothing = op.json("users", "list", "--query", "no-such-" + tag)
        nothing_human = op.run("users", "list", "--query", "no-such-" + tag).stdout
        everyone = op.json("users", "list")

    assert [a["email"] for a in listed] == expected, listed
    for account in listed:
        assert ACCOUNT_KEYS <= set(account), account
        assert account["roles"] == ["user"] and account["disabled"] is False, account
        assert account["emailVerified"] is (account["email"] != unverified.email), account
        parse_utc(account["createdAt"])
        assert re.fullmatch(r"[0-9a-f-]{36}", account["id"]), account
    found = {a["email"]: a for a in listed}
    assert found[verified[0].email]["id"] == logged_id
    assert found[by_name.email]["firstName"] == f"Grace{tag}"
    parse_utc(found[verified[0].email]["lastLoginAt"])
    assert found[verified[1].email].get("lastLoginAt") is None, found[verified[1].email]
    assert {u.email for u in [*verified, unverified, by_name]} <= {a["email"] for a in everyone}
    assert len(everyone) > len(listed)

    header, rows = table(human)
    assert header == ACCOUNT_HEADER, human
    assert [r["EMAIL"] for r in rows] == expected, human
    for row in rows:
        account = found[row["EMAIL"]]
        assert row["ID"] == account["id"] and row["ROLES"] == "user" and row["DISABLED"] == "no", row
        assert row["VERIFIED"] == ("no" if row["EMAIL"] == unverified.email else "yes"), row
        assert row["CREATED"] == account["createdAt"], row
        assert row["LAST LOGIN"] == account.get("lastLoginAt", "-"), row
    assert nothing == []
    assert table(nothing_human) == (ACCOUNT_HEADER, []), nothing_human


# --- users show ---------------------------------------------------------------------------------


def test_users_show_gives_sessions_second_factors_and_recent_events(server, operator):
    user, other = make_users_on(server, {"prefix": "show", "first": "Katherine", "last": "Johnson"}, {"prefix": "show-other"})
    laptop = login(server, user, "laptop", ua="Mozilla/5.0 (Laptop) Console-Show")
    login(server, user, "phone", ua="Mozilla/5.0 (Phone) Console-Show")
    failed = Browser(server).login(user.email, "not the password", expect=401)
    assert failed.json()["code"] == "invalid_credentials"
    uid = user_id(laptop)
    sessions = {s["id"]: s for s in laptop.get("/auth/sessions").json()}

    with operator.open() as op:
        detail = op.json("users", "show", user.email.upper())
        human = op.run("users", "show", user.email).stdout
        unknown = op.run("users", "show", "nobody-" + user.email, expect=1)
        unknown_json = op.run("users", "show", "nobody-" + user.email, "--json", expect=1)
        op.json("users", "show", other.email)

    assert set(detail) >= {"user", "sessions", "identities", "secondFactors", "events"}, detail
    assert detail["user"]["id"] == uid and detail["user"]["email"] == user.email, detail["user"]
    assert (detail["user"]["firstName"], detail["user"]["lastName"]) == ("Katherine", "Johnson")
    assert {s["id"] for s in detail["sessions"]} == set(sessions), detail["sessions"]
    for s in detail["sessions"]:
        assert s["userAgent"] == sessions[s["id"]]["userAgent"] and s["ipAddress"] == sessions[s["id"]]["ipAddress"], s
        parse_utc(s["createdAt"]), parse_utc(s["lastUsedAt"])
    assert detail["identities"] == []
    assert detail["secondFactors"] == {"totp": False, "recoveryCodesLeft": 0, "passkeys": []}, detail
    kinds = [e["kind"] for e in detail["events"]]
    assert kinds.count("login") == 2 and kinds.count("login_failed") == 1, kinds
    for e in detail["events"]:
        assert EVENT_KEYS <= set(e) and e["userId"] == uid and e["email"] == user.email, e
    assert [e["at"] for e in detail["events"]] == sorted((e["at"] for e in detail["events"]), reverse=True)

    assert f"{user.email} (Katherine Johnson)" in human, human
    assert re.search(rf"^\s+id\s+{uid}$", human, re.M), human
    assert re.search(r"^\s+disabled\s+no$", human, re.M) and re.search(r"^\s+roles\s+user$", human, re.M), human
    assert re.search(r"^\s+two-step\s+off, 0 passkey\(s\)$", human, re.M), human
    assert "Sessions (2)" in human and "Providers (0)" in human, human
    for s in sessions:
        assert s in human, human
    assert "Mozilla/5.0 (Laptop) Console-Show" in human and "Mozilla/5.0 (Phone) Console-Show" in human, human
    assert "login_failed" in human, human

    for r in (unknown, unknown_json):
        assert r.stdout.strip() == "", r.stdout
        assert "nobody-" + user.email in r.stderr, r.stderr


# --- users disable / enable ---------------------------------------------------------------------


def test_users_disable_ends_sessions_and_stops_logins_until_enabled(server, operator):
    user, bystander_user = make_users_on(server, {"prefix": "disable"}, {"prefix": "bystander"})
    b = login(server, user, "victim")
    bystander = login(server, bystander_user, "bystander")

    with operator.open() as op:
        out = op.run("users", "disable", user.email).stdout
        op.run("users", "disable", user.email)  # again: no change, no second event
        shown = op.json("users", "show", user.email)
        missing = op.run("users", "disable", "nobody-" + user.email, expect=1)

    assert f"Disabled {user.email}" in out, out
    assert shown["user"]["disabled"] is True and shown["sessions"] == [], shown
    assert "nobody-" + user.email in missing.stderr, missing.stderr
    assert_problem(b.refresh(), 401, "session_expired")
    assert_problem(Browser(server).login(user.email, user.password, expect=None), 403, "account_disabled")
    assert_problem(Browser(server).login(user.email, "wrong " + user.password, expect=None), 401, "invalid_credentials")
    assert bystander.refresh().status_code == 200

    with operator.open() as op:
        out = op.run("users", "enable", user.email).stdout
        shown = op.json("users", "show", user.email)
        events = op.json("events", "--user", user.email)

    assert f"Enabled {user.email}" in out, out
    assert shown["user"]["disabled"] is False, shown
    again = login(server, user, "back")
    assert again.refresh().status_code == 200
    kinds = [e["kind"] for e in events]
    assert kinds.count("account_disabled") == 1 and kinds.count("account_enabled") == 1, kinds
    assert kinds.index("account_enabled") < kinds.index("account_disabled"), kinds  # newest first
    for e in events:
        if e["kind"] in ("account_disabled", "account_enabled"):
            # The console acts without an account: no actor, and says where it came from.
            assert e.get("actorId") is None and e["ipAddress"] == "console", e
            assert e["userAgent"] == "gatehouse console", e


# --- users roles --------------------------------------------------------------------------------


def test_users_roles_reach_the_token_at_refresh_and_the_admin_api_at_once(server, operator, tokens):
    user = make_user_on(server, prefix="roles")
    b = login(server, user, "roles")
    assert tokens.access(b.cookie("access_token"))["roles"] == ["user"]

    with operator.open() as op:
        added = op.run("users", "roles", user.email, "--add", "admin", "--add", "support").stdout
        removed = op.run("users", "roles", user.email, "--remove", "support").stdout
        kept = op.run("users", "roles", user.email, "--remove", "user").stdout
        bad = op.run("users", "roles", user.email, "--add", "Not A Role", expect=64)
        unknown = op.run("users", "roles", "nobody-" + user.email, "--add", "admin", expect=1)
        shown = op.json("users", "show", user.email)

    assert added.strip() == f"{user.email}: admin, support, user", added
    assert removed.strip() == f"{user.email}: admin, user", removed
    assert kept.strip() == f"{user.email}: admin, user", kept  # every account keeps "user"
    assert "not a role" in bad.stderr.lower() and bad.stdout == "", bad.stderr
    assert "nobody-" + user.email in unknown.stderr, unknown.stderr
    assert shown["user"]["roles"] == ["admin", "user"], shown
    # The token issued before the change does not carry the role; the next refresh does.
    assert_problem(b.get("/admin/users"), 403, "forbidden")
    assert b.refresh().status_code == 200
    assert tokens.access(b.cookie("access_token"))["roles"] == ["admin", "user"]
    assert b.get("/admin/users").status_code == 200
    fresh = login(server, user, "fresh")
    assert tokens.access(fresh.cookie("access_token"))["roles"] == ["admin", "user"]
    assert fresh.post_anon("/auth/login", json={"email": user.email, "password": user.password}).json()["user"]["roles"] \
        == ["admin", "user"]

    with operator.open() as op:
        op.run("users", "roles", user.email, "--remove", "admin")
        events = op.json("events", "--user", user.email, "--kind", "roles_changed")

    # The access token still says admin; the admin API asks the database.
    assert "admin" in tokens.access(b.cookie("access_token"))["roles"]
    assert_problem(b.get("/admin/users"), 403, "forbidden")
    # add admin+support, remove support, remove admin; removing "user" changed nothing.
    assert len(events) == 3, events


# --- users logout -------------------------------------------------------------------------------


def test_users_logout_ends_every_session_of_that_account_only(server, operator):
    user, other_user = make_users_on(server, {"prefix": "logout"}, {"prefix": "logout-other"})
    browsers = [login(server, user, f"device-{i}") for i in range(2)]
    other = login(server, other_user, "other")

    with operator.open() as op:
        first = op.run("users", "logout", user.email).stdout
        second = op.run("users", "logout", user.email).stdout
        events = op.json("events", "--user", user.email, "--kind", "sessions_revoked")
        op.run("users", "logout", "nobody-" + user.email, expect=1)

    assert first.strip() == f"Ended 2 session(s) of {user.email}.", first
    assert second.strip() == f"Ended 0 session(s) of {user.email}.", second
    # One event: ending no session (the second time) records nothing.
    assert len(events) == 1 and events[0]["ipAddress"] == "console", events
    for b in browsers:
        assert_problem(b.refresh(), 401, "session_expired")
    assert other.refresh().status_code == 200
    assert login(server, user, "again").refresh().status_code == 200  # logged out, not locked out


# --- events -------------------------------------------------------------------------------------


def test_events_filter_by_account_kind_time_and_limit(server, operator):
    started = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=2)
    alice, bob = make_users_on(server, {"prefix": "ev-alice"}, {"prefix": "ev-bob"})
    alice_id = user_id(login(server, alice, "alice"))
    Browser(server).login(alice.email, "not the password", expect=401)
    bob_id = user_id(login(server, bob, "bob"))
    future = iso(dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1))

    with operator.open() as op:
        everything = op.json("events", "--limit", "1000")
        of_alice = op.json("events", "--user", alice.email)
        alice_failures = op.json("events", "--user", alice.email, "--kind", "login_failed")
        logins = op.json("events", "--kind", "login", "--since", iso(started), "--limit", "1000")
        one = op.json("events", "--limit", "1")
        none_yet = op.json("events", "--since", future)
        human = op.run("events", "--user", alice.email).stdout
        bad_since = op.run("events", "--since", "yesterday", expect=64)
        bad_limit = op.run("events", "--limit", "0", expect=64)
        unknown = op.run("events", "--user", "nobody-" + alice.email, expect=1)

    ats = [parse_utc(e["at"]) for e in everything]
    assert ats == sorted(ats, reverse=True), "events must come newest first"
    assert {alice_id, bob_id} <= {e["userId"] for e in everything if "userId" in e}
    for e in everything:
        assert EVENT_KEYS - {"userId", "email"} <= set(e), e
    assert of_alice and all(e["userId"] == alice_id and e["email"] == alice.email for e in of_alice), of_alice
    assert sorted(e["kind"] for e in of_alice) == ["login", "login_failed"], of_alice
    assert len(alice_failures) == 1 and alice_failures[0]["kind"] == "login_failed", alice_failures
    assert all(e["kind"] == "login" for e in logins), logins
    assert {alice_id, bob_id} <= {e["userId"] for e in logins}, logins
    assert all(parse_utc(e["at"]) >= started.replace(microsecond=0) for e in logins), logins
    assert len(one) == 1 and one[0]["id"] == everything[0]["id"], one
    assert none_yet == []

    header, rows = table(human)
    assert header == EVENT_HEADER, human
    assert sorted(r["KIND"] for r in rows) == ["login", "login_failed"], human
    assert all(r["ACCOUNT"] == alice.email and r["ADDRESS"] in ("127.0.0.1", "::1", "::ffff:127.0.0.1")
               for r in rows), human
    assert "since" in bad_since.stderr and "limit" in bad_limit.stderr, (bad_since.stderr, bad_limit.stderr)
    assert "nobody-" + alice.email in unknown.stderr, unknown.stderr


# --- configuration ------------------------------------------------------------------------------


def test_the_console_takes_the_database_and_keys_from_flags(server, tmp_path):
    """`--database-url` / `--keys-dir` instead of the environment, on a stopped server; without
    either the console opens its default database, where the account is not."""
    user = make_user_on(server, prefix="flags")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEHOUSE_")}
    flags = ["--database-url", server.db.url, "--keys-dir", str(server.keys_dir)]

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(server.binary), *args], env=env, cwd=tmp_path, capture_output=True,
                              text=True, timeout=60)

    with Console(server, "stopped").open():
        flagged = run("users", "roles", user.email, "--add", "admin", *flags)
        listed = run("users", "list", "--query", user.email, "--json", *flags)
        default = run("users", "show", user.email)

    assert flagged.returncode == 0, flagged.stderr
    assert flagged.stdout.strip() == f"{user.email}: admin, user", flagged.stdout
    assert listed.returncode == 0, listed.stderr
    assert [(a["email"], a["roles"]) for a in json.loads(listed.stdout)] == [(user.email, ["admin", "user"])]
    assert default.returncode == 1 and user.email in default.stderr, (default.returncode, default.stderr)
    assert login(server, user).get("/admin/users").status_code == 200
