"""Issue 14: concurrent writes on the default SQLite store must never answer 5xx.

8 clients register, log in and refresh for 20 s against SQLite while the outbox worker keeps
retrying mail against a closed SMTP port and housekeeping runs (the load is timed to contain the
server's 60 s housekeeping sweep): zero 5xx, every registration that answered 202 is in the
database, and every mail is delivered exactly once when an SMTP server appears on that port.

SQLite only (the race is between the SQLite connections of one process): skipped in the
PostgreSQL pass. Marked slow (about 1 min 45 s; about 4 min in the worst case).

How the test stays out of the server's way (so that any 5xx or lost write is the server's):
- The test never touches the SQLite file while the server runs (with a rollback journal, even a
  reader's shared lock can make a writer fail). The database is read only with the server stopped:
  before the load (outbox rows of the set-up) and at the end (users, outbox rows).
- Each client thread connects from its own loopback address (127.0.0.2 … 127.0.0.9), so each has
  its own per-address login budget (300 per 15 min); only successful logins happen, and each one
  resets its per-account bucket, so no rate limit is reached. A per-address cap keeps it so even
  when the machine cannot use extra loopback addresses.
- Every registration uses a fresh address, so each gets exactly one confirmation mail and stays
  far below the per-recipient mail limit, and comes from a loopback address of its own (registrations
  are limited to 30 per client address per 15 minutes; this test is about the database, not limits).
"""

from __future__ import annotations

import collections
import itertools
import json
import socket
import sqlite3
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from requests.adapters import HTTPAdapter

from browser import Browser, describe
from flows import make_user_on, registration, strong_password, unique_email
import support.smtp
from harness import parse_mail

pytestmark = pytest.mark.slow

CLIENTS = 8
LOAD_SECONDS = 20.0
ACCOUNTS_PER_CLIENT = 2
REFRESHES_PER_LOGIN = 3
# Stay below the per-address login limit (300 per 15 min) whatever the machine's speed.
LOGIN_CAP_PER_ADDRESS = 250
# The outbox retries after 10 s, 20 s, 40 s, 80 s … (min(2^attempts * 5, 3600)); a mail that
# failed during the 20 s load is retried at most ~40 s after the sink appears, and a mail whose
# claim was left behind (locked_until = claim + 120 s, when saving the outcome failed) within
# 120 s and a poll. 150 s is generous and keeps the worst case near 4 minutes.
DELIVERY_TIMEOUT = 150.0
HOUSEKEEPING_INTERVAL = 60.0  # Sources/AuthServer/App/Housekeeping.swift, run(every:)
CONFIRM_SUBJECT = "Confirm your email address"


# --------------------------------------------------------------------------------------------
# helpers


class _FromAddress(HTTPAdapter):
    """Connects from a given local address (a distinct client machine to the server)."""

    def __init__(self, source_ip: str, **kw):
        self._source = (source_ip, 0)
        super().__init__(**kw)

    def init_poolmanager(self, connections, maxsize, block=False, **pool_kwargs):
        pool_kwargs["source_address"] = self._source
        super().init_poolmanager(connections, maxsize, block=block, **pool_kwargs)


def _loopback_usable(ip: str) -> bool:
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind((ip, 0))
        return True
    except OSError:
        return False


def client_addresses(n: int) -> list[str]:
    ips = [f"127.0.0.{i + 2}" for i in range(n)]
    return ips if all(_loopback_usable(ip) for ip in ips) else ["127.0.0.1"] * n


def reserve_closed_port() -> socket.socket:
    """A port bound but not listening: connections to it are refused, and nobody else (not even
    the server's own free_port()) can take it until the sink is started on it."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    return s


class SmtpSink(support.smtp.SmtpSink):
    """The shared sink (tests/support/smtp.py), read as (envelope recipients, subject) per message."""

    def messages(self) -> list[tuple[list[str], str]]:
        out = []
        for eml in sorted(self.maildir.glob("*.eml")):
            meta = json.loads(eml.with_suffix(".json").read_text())
            out.append(([r.lower() for r in meta["rcpt_tos"]], parse_mail(eml).subject))
        return out


def read_db(path: Path, query: str, args=()) -> list[tuple]:
    """Read the server's SQLite file (only while the server is stopped; a plain connection, not
    mode=ro, so that a WAL-mode file left with its -wal/-shm files can be opened too)."""
    con = sqlite3.connect(str(path), timeout=10)
    try:
        return con.execute(query, args).fetchall()
    finally:
        con.close()


class Recorder:
    """Every answer of the load, by endpoint, plus the registrations that answered 202."""

    def __init__(self):
        self.lock = threading.Lock()
        self.counts: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
        self.samples: dict[tuple[str, object], str] = {}
        self.registered: list[str] = []
        self.logins_by_address: collections.Counter = collections.Counter()

    def note(self, endpoint: str, resp: requests.Response | None = None, error: BaseException | None = None):
        status: object = resp.status_code if resp is not None else f"error:{type(error).__name__}"
        with self.lock:
            self.counts[endpoint][status] += 1
            key = (endpoint, status)
            if key not in self.samples:
                self.samples[key] = describe(resp, limit=600) if resp is not None else repr(error)

    def summary(self) -> str:
        lines = []
        for endpoint in sorted(self.counts):
            c = self.counts[endpoint]
            lines.append(f"  {endpoint:<22} total={sum(c.values()):<5} "
                         + " ".join(f"{k}={v}" for k, v in sorted(c.items(), key=lambda kv: str(kv[0]))))
        return "\n".join(lines)

    def bad(self, endpoint: str, ok: set) -> dict:
        return {k: v for k, v in self.counts[endpoint].items() if k not in ok}

    def server_errors(self) -> dict[str, dict]:
        out = {}
        for endpoint, c in self.counts.items():
            errs = {k: v for k, v in c.items() if not isinstance(k, int) or k >= 500}
            if errs:
                out[endpoint] = errs
        return out


def send(rec: Recorder, endpoint: str, call):
    try:
        r = call()
    except requests.RequestException as e:
        rec.note(endpoint, error=e)
        return None
    rec.note(endpoint, r)
    return r


def registration_addresses(source_ip: str):
    """Loopback addresses for one client's registrations (127.1N.0.1, 127.1N.0.2, ...), each used
    for at most a few: falls back to the client's own address where extra ones are unusable."""
    if source_ip == "127.0.0.1":
        return itertools.repeat(source_ip)
    block = int(source_ip.rsplit(".", 1)[1]) + 10
    return itertools.cycle([f"127.{block}.0.{i}" for i in range(1, 251)])


def client_loop(server, rec: Recorder, source_ip: str, accounts, stop_at: float):
    try:
        _client_loop(server, rec, source_ip, accounts, stop_at)
    except Exception as e:  # e.g. a 200 without the promised JSON: record it, do not lose it
        rec.note("client crashed", error=e)


def _client_loop(server, rec: Recorder, source_ip: str, accounts, stop_at: float):
    b = Browser(server, f"load-{source_ip}")
    b.http.mount("http://", _FromAddress(source_ip))
    registrar_ips = registration_addresses(source_ip)
    turn = 0
    while time.monotonic() < stop_at:
        # 1. register a fresh address, with a fresh anonymous CSRF token, from a fresh client address
        registrar = Browser(server, f"registrar-{source_ip}")
        registrar.http.mount("http://", _FromAddress(next(registrar_ips)))
        r = send(rec, "GET /auth/csrf", lambda: registrar.get("/auth/csrf"))
        if r is not None and r.status_code == 200:
            email = unique_email("load")
            token = r.json()["csrfToken"]
            r = send(rec, "POST /auth/register", lambda: registrar.post(
                "/auth/register", json=registration(email, strong_password()), csrf=token))
            if r is not None and r.status_code == 202:
                with rec.lock:
                    rec.registered.append(email)
        if time.monotonic() >= stop_at:
            break
        # 2. log in to one of this client's confirmed accounts (the browser still holds the
        #    previous session's cookies: the login ends that session, more writes) ...
        with rec.lock:
            may_login = rec.logins_by_address[source_ip] < LOGIN_CAP_PER_ADDRESS
            if may_login:
                rec.logins_by_address[source_ip] += 1
        logged_in = False
        if may_login:
            user = accounts[turn % len(accounts)]
            turn += 1
            r = send(rec, "GET /auth/csrf", lambda: b.get("/auth/csrf"))
            if r is not None and r.status_code == 200:
                token = r.json()["csrfToken"]
                r = send(rec, "POST /auth/login", lambda: b.post(
                    "/auth/login", json={"email": user.email, "password": user.password}, csrf=token))
                if r is not None and r.status_code == 200:
                    b.csrf = r.json()["csrfToken"]
                    logged_in = True
        # 3. ... and refresh that session a few times (refresh cookie + session CSRF token)
        if logged_in or (not may_login and b.csrf):
            for _ in range(REFRESHES_PER_LOGIN):
                r = send(rec, "POST /auth/refresh", lambda: b.refresh())
                if r is None or r.status_code != 200:
                    break


# --------------------------------------------------------------------------------------------
# the test


def test_sqlite_survives_concurrent_load_while_the_outbox_retries(backend, launch):
    if backend != "sqlite":
        pytest.skip("SQLite only: issue 14 is about concurrent writers on the SQLite store")

    problems: list[str] = []
    reservation = reserve_closed_port()
    smtp_port = reservation.getsockname()[1]
    sink = None
    try:
        # --- set-up: confirmed accounts to log in with ------------------------------------------
        # The server first runs without SMTP (mail to .eml files), so accounts are registered and
        # confirmed through their real confirmation links; then it restarts on the same database
        # with GATEHOUSE_SMTP_URL pointing at the closed port. (The alternative, setting
        # users.email_verified_at with sqlite3 while the server runs, could itself make a server
        # write fail on SQLite's file lock.)
        s = launch()
        db_path = Path(s.db.url.removeprefix("sqlite://"))
        addresses = client_addresses(CLIENTS)
        accounts = [[make_user_on(s, prefix=f"acct{i}") for _ in range(ACCOUNTS_PER_CLIENT)]
                    for i in range(CLIENTS)]
        s.stop()
        setup_rows = {row[0] for row in read_db(db_path, "SELECT id FROM outbox_messages")}
        unsent_setup = read_db(db_path, "SELECT count(*) FROM outbox_messages WHERE sent_at IS NULL")[0][0]
        assert unsent_setup == 0, f"{unsent_setup} set-up mails were not written to the outbox folder"
        s.env_overrides["GATEHOUSE_SMTP_URL"] = f"smtp://127.0.0.1:{smtp_port}"
        s.restart()
        healthy_at = time.monotonic()
        # Housekeeping sweeps once at start-up (before the server answers its health check) and
        # then every 60 s. Start the load so that the second sweep falls in its middle; the
        # first one already ran, so without waiting the load would not meet housekeeping at all.
        time.sleep(max(0.0, HOUSEKEEPING_INTERVAL - LOAD_SECONDS / 2 - (time.monotonic() - healthy_at)))

        # --- 20 s of load while the outbox worker retries against the closed port ---------------
        rec = Recorder()
        stop_at = time.monotonic() + LOAD_SECONDS
        threads = [threading.Thread(target=client_loop, args=(s, rec, ip, accs, stop_at), daemon=True)
                   for ip, accs in zip(addresses, accounts)]
        started = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=LOAD_SECONDS + 90)
        stuck = [t.name for t in threads if t.is_alive()]
        elapsed = time.monotonic() - started
        summary = (f"load: {CLIENTS} clients from {sorted(set(addresses))} for {elapsed:.1f}s, "
                   f"{len(rec.registered)} registrations answered 202\n{rec.summary()}")
        print("\n" + summary)
        if stuck:
            problems.append(f"client threads still running after the load: {stuck}")

        errors = rec.server_errors()
        if errors:
            samples = "\n".join(f"[{ep} {st}]\n{rec.samples[(ep, st)]}"
                                for ep, c in errors.items() for st in c)
            sqlite_lines = [ln for ln in s.log_text().splitlines() if "SQLite" in ln]
            problems.append(
                f"5xx answers or transport errors during the load: {errors}\nfirst of each:\n{samples}\n"
                f"server log lines naming SQLite ({len(sqlite_lines)}):\n" + "\n".join(sqlite_lines[:10]))
        for endpoint, ok in [("GET /auth/csrf", {200}), ("POST /auth/register", {202}),
                             ("POST /auth/login", {200, 429}), ("POST /auth/refresh", {200})]:
            bad = {k: v for k, v in rec.bad(endpoint, ok).items() if isinstance(k, int) and k < 500}
            if bad:
                problems.append(f"{endpoint}: unexpected answers {bad}; first:\n"
                                + "\n".join(rec.samples[(endpoint, k)] for k in bad))
        if rec.counts["POST /auth/login"].get(429):
            print(f"note: {rec.counts['POST /auth/login'][429]} logins were rate limited (429)")
        assert rec.registered, "no registration succeeded at all\n" + summary + "\n\n" + "\n\n".join(problems)

        # --- an SMTP server appears on the port: every mail goes out, once ----------------------
        reservation.close()
        sink = SmtpSink(smtp_port, s.workdir).start()
        expected = set(rec.registered)
        sink_started = time.monotonic()
        while time.monotonic() < sink_started + DELIVERY_TIMEOUT:
            if len(sink.messages()) >= len(expected):
                break
            time.sleep(0.5)
        waited = time.monotonic() - sink_started
        time.sleep(3)  # anything sent twice right away shows up too
        s.stop()       # the database is read below with the server stopped
        received = sink.messages()
        print(f"mail: {len(received)} messages at the sink after {waited:.0f}s "
              f"(expected {len(expected)})")

        # --- the database: every 202 is a user; every outbox row sent, and sent once -------------
        users = {row[0].lower() for row in read_db(db_path, "SELECT email FROM users")}
        missing = sorted(expected - users)
        if missing:
            problems.append(f"{len(missing)} of {len(expected)} registrations answered 202 but have no "
                            f"row in users, e.g. {missing[:5]}")
        rows = [r for r in read_db(db_path, "SELECT id, recipient, subject, sent_at, failed_at, attempts "
                                            "FROM outbox_messages") if r[0] not in setup_rows]
        unsent = [r for r in rows if r[3] is None]
        if unsent:
            problems.append(f"{len(unsent)} of {len(rows)} outbox rows of the load were not sent within "
                            f"{DELIVERY_TIMEOUT:.0f}s of the SMTP server appearing, e.g. "
                            f"{[(r[1], r[5], 'failed' if r[4] else 'pending') for r in unsent[:5]]}")
        retried = [r for r in rows if (r[5] or 0) > 0]
        print(f"outbox: {len(rows)} rows from the load, {len(retried)} of them failed at least once "
              f"against the closed port before the sink appeared")
        if rows and not retried:
            problems.append("no outbox row failed against the closed port: the scenario (outbox retrying "
                            "during the load) did not happen")
        row_keys = collections.Counter((r[1].lower(), r[2]) for r in rows)
        wrong_rows = {k: n for k, n in row_keys.items() if n != 1 or k[1] != CONFIRM_SUBJECT}
        if wrong_rows:
            problems.append(f"expected one confirmation row per fresh address, found {wrong_rows}")
        row_recipients = {k[0] for k in row_keys}
        if row_recipients != expected:
            problems.append(
                f"outbox rows ({len(row_recipients)} recipients) do not match the 202 registrations "
                f"({len(expected)}): without a row {sorted(expected - row_recipients)[:5]}, "
                f"not answered 202 {sorted(row_recipients - expected)[:5]}")
        mail_keys = collections.Counter((rcpt, subject) for rcpts, subject in received for rcpt in rcpts)
        duplicates = {k: n for k, n in mail_keys.items() if n > 1}
        if duplicates:
            problems.append(f"{len(duplicates)} mails delivered more than once, e.g. "
                            f"{list(duplicates.items())[:5]}")
        sent_keys = {(r[1].lower(), r[2]) for r in rows if r[3] is not None}
        if sent_keys != set(mail_keys):
            problems.append(
                f"the sink's mails and the sent outbox rows differ: sent but not received "
                f"{sorted(sent_keys - set(mail_keys))[:5]}, received but no sent row "
                f"{sorted(set(mail_keys) - sent_keys)[:5]}")
        if len(received) != len(rows):
            problems.append(f"{len(received)} mails received for {len(rows)} outbox rows")

        assert not problems, summary + "\n\n" + "\n\n".join(problems)
    finally:
        if sink:
            sink.stop()
        reservation.close()
