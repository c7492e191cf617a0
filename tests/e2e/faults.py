"""What the fault tests (test_faults.py) share: mail counted per recipient and kind (from an outbox
folder or an SMTP sink), a record of every answer a load got, the servers and PostgreSQL clusters a
test starts itself, a look into the Auth Server's outbox table, and a few client moves."""

from __future__ import annotations

import collections
import concurrent.futures
import copy
import re
import socket
import sqlite3
import subprocess
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable

import pytest
import requests

from browser import Browser, describe
from flows import register, strong_password, unique_email
from harness import Server
from support import plugin
from support.mail import Mail, parse_mail
from support.postgres import ThrowawayPostgres
from support.processes import wait_until_port_is_free

# Sources/AuthServer/Mail/MailTemplates.swift: the subject names the kind of mail.
KINDS = {
    "Confirm your email address": "confirm",
    "Reset your password": "reset",
    "Your password was changed": "password_changed",
    "You already have an account": "already_registered",
}

MailKey = tuple[str, str]  # (recipient, kind)


def kind_of(subject: str) -> str:
    return KINDS.get(subject.strip(), f"other: {subject.strip()}")


# --------------------------------------------------------------------------------------------
# mail


class MailFolder:
    """The `.eml` files in an outbox folder, read incrementally (each file parsed once) and safe to
    share between threads. Unlike `support.mail.Outbox` nothing is "taken": a test counts every
    file, so a mail written twice shows up twice."""

    def __init__(self, directory: Path):
        self.dir = directory
        self._lock = threading.Lock()
        self._mails: dict[str, Mail] = {}

    def mails(self) -> list[Mail]:
        with self._lock:
            if self.dir.exists():
                for p in sorted(self.dir.glob("*.eml")):  # the server renames finished files into place
                    if p.name not in self._mails:
                        self._mails[p.name] = parse_mail(p)
            return list(self._mails.values())

    def counts(self) -> collections.Counter:
        return collections.Counter((to, kind_of(m.subject)) for m in self.mails() for to in m.to)

    def find(self, address: str, kind: str) -> list[Mail]:
        return [m for m in self.mails() if address.lower() in m.to and kind_of(m.subject) == kind]

    def wait_link(self, address: str, kind: str, needle: str, timeout: float,
                  stop: threading.Event | None = None) -> str | None:
        """The link containing `needle` of the first `kind` mail to `address`; None when `stop` is set
        or `timeout` passes first."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not (stop and stop.is_set()):
            for m in self.find(address, kind):
                link = m.link_containing(needle)
                if link:
                    return link
            time.sleep(0.1)
        return None


def wait_for_mail(counts: Callable[[], collections.Counter], expected: collections.Counter,
                  timeout: float, settle: float = 2.0) -> tuple[collections.Counter, float]:
    """Waits (at most `timeout` s) until every expected (recipient, kind) has arrived at least as
    often as expected, then `settle` s more, so that a mail sent twice in quick succession shows
    too. Returns the final counts and the seconds waited for the expected ones."""
    started = time.monotonic()
    while True:
        got = counts()
        if all(got[k] >= n for k, n in expected.items()) or time.monotonic() - started > timeout:
            break
        time.sleep(0.25)
    waited = time.monotonic() - started
    time.sleep(settle)
    return counts(), waited


def mail_problems(expected: collections.Counter, got: collections.Counter,
                  at_most_once: set[MailKey] = frozenset()) -> list[str]:
    """What differs between the mail expected (exact counts) and the mail delivered. Keys in
    `at_most_once` (requests whose answer never came) may have arrived once or not at all."""
    problems = []
    missing = {k: (n, got[k]) for k, n in expected.items() if got[k] < n}
    if missing:
        problems.append(f"{len(missing)} expected mails not delivered, (recipient, kind): (expected, got) "
                        f"{dict(list(missing.items())[:8])}")
    extra = {k: (n, got[k]) for k, n in expected.items() if got[k] > n}
    extra.update({k: (1, got[k]) for k in at_most_once if k not in expected and got[k] > 1})
    if extra:
        problems.append(f"{len(extra)} mails delivered more than once, (recipient, kind): (expected, got) "
                        f"{dict(list(extra.items())[:8])}")
    stray = {k: n for k, n in got.items() if k not in expected and k not in at_most_once}
    if stray:
        problems.append(f"{len(stray)} mails nobody asked for: {dict(list(stray.items())[:8])}")
    return problems


# --------------------------------------------------------------------------------------------
# answers


class Answers:
    """Every answer (or transport error) a load got, by operation, with the first exchange of each
    kind kept for the failure message. Thread-safe."""

    def __init__(self):
        self.lock = threading.Lock()
        self.counts: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
        self.samples: dict[tuple[str, object], str] = {}

    def call(self, op: str, send: Callable[[], requests.Response]) -> requests.Response | None:
        """Sends, records and returns the answer; None on a transport error (recorded as such)."""
        try:
            r = send()
        except requests.RequestException as e:
            self.note(op, f"error:{type(e).__name__}", repr(e))
            return None
        self.note(op, r.status_code, describe(r, limit=600))
        return r

    def note(self, op: str, status: object, sample: str) -> None:
        with self.lock:
            self.counts[op][status] += 1
            self.samples.setdefault((op, status), sample)

    def unexpected(self, allowed: dict[str, set]) -> list[str]:
        """One line per answer outside `allowed[op]` (transport errors are allowed only where the
        set holds "error"), with the first such exchange."""
        out = []
        for op, c in sorted(self.counts.items()):
            ok = allowed.get(op, set())
            for status, n in c.items():
                is_error = isinstance(status, str) and status.startswith("error:")
                if status in ok or (is_error and "error" in ok):
                    continue
                out.append(f"{op}: {n}× {status}; first:\n{self.samples[(op, status)]}")
        return out

    def summary(self) -> str:
        return "\n".join(f"  {op:<40} " + " ".join(f"{k}={v}" for k, v in sorted(c.items(), key=lambda kv: str(kv[0])))
                         for op, c in sorted(self.counts.items()))


# --------------------------------------------------------------------------------------------
# client moves


def loopback(n: int, first: int) -> list[str]:
    """`n` loopback addresses to connect from (127.0.0.<first> ...), each its own client to the
    per-address rate limits. Skips the test when this machine cannot bind them."""
    ips = [f"127.0.0.{first + i}" for i in range(n)]
    for ip in ips:
        try:
            with socket.socket() as s:
                s.bind((ip, 0))
        except OSError:
            pytest.skip(f"cannot connect from {ip}: the test needs several loopback addresses")
    return ips


def tab_on(browser: Browser, server: Server, name: str) -> Browser:
    """Another tab of `browser`'s profile (same cookies and CSRF token) talking to `server`."""
    tab = Browser(server, name, browser.user_agent, browser.origin)
    tab.cookies = copy.deepcopy(browser.cookies)
    tab.csrf = browser.csrf
    return tab


def post_anon(answers: Answers, b: Browser, path: str, body: dict) -> requests.Response | None:
    """What the SPA does for an anonymous form: a fresh anonymous CSRF token, then the POST; both
    recorded. None when either got no answer (or the token none)."""
    r = answers.call("GET /auth/csrf", lambda: b.get("/auth/csrf"))
    if r is None or r.status_code != 200:
        return None
    token = r.json()["csrfToken"]
    return answers.call(f"POST {path}", lambda: b.post(path, json=body, csrf=token))


def register_many(server: Server, count: int, prefix: str) -> list[tuple[str, str]]:
    """`count` registrations (left unconfirmed), sent concurrently; each one's mail waited for."""
    people = [(unique_email(prefix), strong_password()) for _ in range(count)]
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda p: register(server, *p), people))
    for r in answers:
        assert r.status_code == 202, describe(r)
    for email, _ in people:
        server.outbox.wait_for(email, containing="/auth/confirm-account")
    return people


def expect_unavailable(name: str, send: Callable[[], requests.Response], timeout: float) -> str | None:
    """None when `send()` (which must use `timeout`) answers 503 problem+json `database_unavailable`
    without clearing cookies; else what it did instead (a timeout counts as a hang)."""
    started = time.monotonic()
    try:
        r = send()
    except requests.RequestException as e:
        return f"{name}: no answer within {timeout:.0f}s ({type(e).__name__}: {e})"
    took = time.monotonic() - started
    if r.status_code != 503 or not r.headers.get("Content-Type", "").startswith("application/problem+json") \
            or r.json().get("code") != "database_unavailable":
        return f"{name}: expected 503 database_unavailable, got after {took:.2f}s:\n{describe(r)}"
    if any(sc.clears for sc in r.set_cookies):
        return f"{name}: a database outage must not clear the caller's cookies:\n{describe(r)}"
    return None


def recovery(name: str, send: Callable[[], requests.Response], deadline: float) -> tuple[float | None, str]:
    """Retries `send()` while it answers 503 (or not at all) until it answers 200: (seconds taken,
    "") or (None, what it answered last). Any other answer ends the wait at once."""
    started, last = time.monotonic(), "nothing"
    while time.monotonic() < deadline:
        try:
            r = send()
            if r.status_code == 200:
                return time.monotonic() - started, ""
            last = describe(r)
            if r.status_code != 503:
                break
        except Exception as e:  # noqa: BLE001 - a refused connection, or anon_csrf's assertion
            last = repr(e)
        time.sleep(0.1)
    return None, f"{name}: not 200 within the deadline; last answer:\n{last}"


def prometheus(server: Server, metric: str, label: str) -> dict[str, float]:
    """`metric`'s values by `label` from GET /actuator/prometheus ({} when the server has no such
    metric: the tests use it only to explain, never to decide)."""
    try:
        text = requests.get(server.url("/actuator/prometheus"), timeout=5).text
    except requests.RequestException:
        return {}
    pattern = re.compile(rf'^{re.escape(metric)}\{{[^}}]*{re.escape(label)}="([^"]+)"[^}}]*\}} ([0-9.e+]+)$', re.M)
    return {k: float(v) for k, v in pattern.findall(text)}


def start_again(server: Server) -> None:
    """Starts a stopped (or killed) server again on the same port, database, keys and outbox."""
    wait_until_port_is_free(server.port)
    server.start()


# --------------------------------------------------------------------------------------------
# servers and PostgreSQL clusters a test starts itself


class Fleet:
    """Auth Servers started by one test, watched for the failure report and closed at the end."""

    def __init__(self, binary: Path, tmp_factory):
        self.binary = binary
        self.tmp_factory = tmp_factory
        self.servers: list[Server] = []

    def server(self, backend: str = "postgres", start: bool = True, env: dict | None = None, **kw) -> Server:
        """`kw`: Server's `keys_dir`, `database` (share another's) or `postgres_url`."""
        s = Server(self.binary, self.tmp_factory.mktemp("gh"), backend, env or {}, **kw)
        self.servers.append(s)
        plugin.watch(s)
        if start:
            s.start()
        return s

    def close(self) -> None:
        for s in reversed(self.servers):  # later instances first: the first one owns the database
            s.close()
            plugin.unwatch(s)
        self.servers.clear()


@contextmanager
def own_cluster():
    """A throw-away PostgreSQL (scripts/postgres-test-server) in the failure report while it runs,
    destroyed afterwards. Skips the test when PostgreSQL is not installed here."""
    if not ThrowawayPostgres.available():
        pytest.skip("needs PostgreSQL binaries (/usr/lib/postgresql/*/bin) for scripts/postgres-test-server")
    pg = ThrowawayPostgres()
    plugin.watch(pg)
    try:
        yield pg.start()
    finally:
        plugin.unwatch(pg)
        pg.destroy()


# --------------------------------------------------------------------------------------------
# the Auth Server's tables (SQLite: only with the server stopped)


OUTBOX_COLUMNS = ["recipient", "subject", "attempts", "sent_at", "locked_until", "failed_at", "created_at"]


def run_sql(server: Server, sql: str) -> list[list]:
    """Runs `sql` on the server's database and returns the rows (NULL as None). On SQLite call it
    only with the server stopped: a reader's lock can make one of the server's writes fail."""
    url = server.db.url
    if url.startswith("sqlite://"):
        con = sqlite3.connect(url.removeprefix("sqlite://"), timeout=10)
        try:
            rows = [list(row) for row in con.execute(sql).fetchall()]
            con.commit()
            return rows
        finally:
            con.close()
    r = subprocess.run(["psql", url, "-X", "-A", "-t", "-q", "-F", "\t", "-P", "null=<null>", "-v", "ON_ERROR_STOP=1",
                        "-c", sql], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, f"psql failed: {r.stderr}"
    return [[None if v == "<null>" else v for v in line.split("\t")] for line in r.stdout.splitlines() if line]


def outbox_rows(server: Server) -> list[dict]:
    """Every row of the server's `outbox_messages`, without bodies."""
    rows = run_sql(server, f"SELECT {', '.join(OUTBOX_COLUMNS)} FROM outbox_messages")
    return [dict(zip(OUTBOX_COLUMNS, row)) for row in rows]


def release_claims(server: Server) -> list[dict]:
    """Expires every claim on an unsent mail, as the passing of the claim time (OutboxWorker.claimFor,
    120 s) would, and returns those mails. Call it with the server stopped."""
    claimed = [r for r in outbox_rows(server)
               if r["sent_at"] is None and r["failed_at"] is None and r["locked_until"] is not None]
    if claimed:
        run_sql(server, "UPDATE outbox_messages SET locked_until = NULL "
                        "WHERE sent_at IS NULL AND failed_at IS NULL AND locked_until IS NOT NULL")
    return claimed


def user_emails(server: Server) -> set[str]:
    """Every address in the server's `users` table."""
    return {row[0].lower() for row in run_sql(server, "SELECT email FROM users")}
