"""Faults against real processes: the SMTP server down, the Auth Server killed mid-load, PostgreSQL
restarted under a running Auth Server, and two Auth Server instances sharing one PostgreSQL.

(The Resource Server serving valid tokens while the Auth Server is down is
test_resource.py::test_the_resource_server_keeps_working_while_the_auth_server_is_down.)

Each test passes when the server keeps the contract and fails with the exchanges, counts and log
tails that show what went wrong. Requests come from their own loopback addresses (127.0.0.x)
where a test makes more than the per-address rate limits allow from one place.
"""

from __future__ import annotations

import collections
import concurrent.futures
import os
import random
import signal
import threading
import time
from dataclasses import dataclass, field

import pytest

from browser import Browser, describe
from faults import (Answers, Fleet, MailFolder, expect_unavailable, kind_of, loopback, mail_problems, outbox_rows,
                    own_cluster, post_anon, prometheus, recovery, register_many, release_claims, start_again,
                    tab_on, user_emails, wait_for_mail)
from flows import follow, make_user_on, register, registration, strong_password, unique_email
from harness import Outbox, Server
from support import plugin
from support.smtp import SmtpSink, reserve_closed_port


# =============================================================================================
# 1. SMTP down


@pytest.mark.slow
def test_mail_requested_while_smtp_is_down_is_delivered_once_when_it_comes_back(launch):
    """50 mail-producing requests while nothing listens on the SMTP port all answer as usual; once
    an SMTP server appears there, the outbox's retries (after 10 s, then 20 s ...) deliver every
    mail exactly once. About 20 s."""
    reservation = reserve_closed_port()
    smtp_port = reservation.getsockname()[1]
    sink = None
    try:
        # Set-up with mail to the outbox folder (so confirmation links can be followed), then the
        # same server again with GATEHOUSE_SMTP_URL pointing at the closed port.
        s = launch()
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            confirmed = list(pool.map(lambda _: make_user_on(s, prefix="smtp-fp"), range(12)))
        unconfirmed = register_many(s, 12, "smtp-rv")
        folder = MailFolder(s.outbox.dir)
        setup_mails = len(folder.mails())
        s.env_overrides["GATEHOUSE_SMTP_URL"] = f"smtp://127.0.0.1:{smtp_port}"
        s.restart()
        changers = []
        for user in confirmed[:6]:
            b = Browser(s, "changer")
            b.login(user.email, user.password)
            changers.append((user, b))

        jobs = ([("register", unique_email("smtp-new"), None) for _ in range(20)]
                + [("forgot", u.email, None) for u in confirmed]
                + [("resend", email, None) for email, _ in unconfirmed]
                + [("change", u.email, (u, b)) for u, b in changers])
        random.shuffle(jobs)
        expected: collections.Counter = collections.Counter()
        answers = Answers()
        lock = threading.Lock()

        def run(job, source):
            what, email, extra = job
            b = Browser(s, f"smtp-{what}", source=source)
            if what == "register":
                r = post_anon(answers, b, "/auth/register", registration(email, strong_password()))
                ok, kind = r is not None and r.status_code == 202, "confirm"
            elif what == "forgot":
                r = post_anon(answers, b, "/auth/forgot-password", {"email": email})
                ok, kind = r is not None and r.status_code == 202, "reset"
            elif what == "resend":
                r = post_anon(answers, b, "/auth/resend-verification", {"email": email})
                ok, kind = r is not None and r.status_code == 202, "confirm"
            else:
                user, b = extra
                r = answers.call("POST /auth/change-password", lambda: b.post(
                    "/auth/change-password", json={"currentPassword": user.password, "newPassword": strong_password()}))
                ok, kind = r is not None and r.status_code == 200, "password_changed"
            if ok:
                with lock:
                    expected[(email, kind)] += 1

        sources = loopback(5, 41)  # 10 requests each: far below every per-address limit
        started = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(len(sources)) as pool:
            list(pool.map(run, jobs, [sources[i % len(sources)] for i in range(len(jobs))]))
        took = time.monotonic() - started

        problems = answers.unexpected({
            "GET /auth/csrf": {200}, "POST /auth/register": {202}, "POST /auth/forgot-password": {202},
            "POST /auth/resend-verification": {202}, "POST /auth/change-password": {200}})
        print(f"\n{len(jobs)} requests in {took:.1f}s with SMTP down:\n{answers.summary()}")

        failed = prometheus(s, "gatehouse_mails_total", "state").get("retried")
        reservation.close()
        sink = SmtpSink(smtp_port, s.workdir).start()
        plugin.watch(sink)
        got, waited = wait_for_mail(
            lambda: collections.Counter((to, kind_of(subject)) for to, subject in sink.deliveries()),
            expected, timeout=60, settle=3)
        print(f"{sum(got.values())} mails at the sink {waited:.0f}s after it started (expected "
              f"{sum(expected.values())}); failed attempts before it started: {failed}")
        problems += mail_problems(expected, got)
        if len(folder.mails()) != setup_mails:
            problems.append(f"{len(folder.mails()) - setup_mails} mails went to the outbox folder although "
                            f"GATEHOUSE_SMTP_URL was set")
        assert not problems, answers.summary() + "\n\n" + "\n\n".join(problems)
    finally:
        if sink:
            sink.stop()
            plugin.unwatch(sink)
        reservation.close()


# =============================================================================================
# 2. kill -9 under load


KILL_CLIENTS = 4
KILL_AFTER = 4.0         # seconds of load before the kill
KILL_GRACE = 30          # GATEHOUSE_REFRESH_GRACE for this test: the checks after the restart fit in it


@dataclass
class HeldSession:
    """One logged-in browser of the load and the refresh tokens it was given, oldest first."""
    email: str
    browser: Browser
    tokens: list[str]
    refresh_in_flight: bool = False


@dataclass
class KillLoad:
    answers: Answers = field(default_factory=Answers)
    registered: dict[str, str] = field(default_factory=dict)   # 202: email -> password
    unanswered_registrations: set[str] = field(default_factory=set)
    resets: set[str] = field(default_factory=set)               # forgot-password answered 202
    unanswered_resets: set[str] = field(default_factory=set)
    sessions: list[HeldSession] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # seen by the clients before the kill
    lock: threading.Lock = field(default_factory=threading.Lock)


def kill_client(load: KillLoad, server: Server, folder: MailFolder, source: str, stop: threading.Event) -> None:
    """Register, confirm through the mailed link, log in, ask for a reset mail, then refresh every
    session this client holds; again and again until the kill."""
    answers = load.answers
    mine: list[HeldSession] = []

    def lost(r) -> bool:
        # A transport error is expected only from the kill on; `stop` is set right after it.
        if r is None and not stop.is_set():
            time.sleep(0.2)  # the kill and `stop` are a few instructions apart
            if not stop.is_set():
                with load.lock:
                    load.problems.append(f"{source}: transport error before the kill")
        return r is None

    for _ in range(25):  # below the 30 registrations per address and 15 minutes
        if stop.is_set():
            return
        b = Browser(server, "kill-load", source=source)
        email, password = unique_email("kill"), strong_password()
        r = post_anon(answers, b, "/auth/register", registration(email, password))
        if lost(r):
            with load.lock:
                load.unanswered_registrations.add(email)
            return
        if r.status_code != 202:
            continue
        with load.lock:
            load.registered[email] = password
        link = folder.wait_link(email, "confirm", "/auth/confirm-account", timeout=15, stop=stop)
        if link is None:
            return
        r = answers.call("GET /auth/confirm-account", lambda: follow(Browser(server, source=source), link))
        if lost(r):
            return
        if "status=success" not in r.headers.get("Location", ""):
            with load.lock:
                load.problems.append(f"{email}: its confirmation link did not confirm:\n{describe(r)}")
            continue
        r = post_anon(answers, b, "/auth/login", {"email": email, "password": password})
        if lost(r) or r.status_code != 200:
            return
        b.csrf = r.json()["csrfToken"]
        held = HeldSession(email, b, [b.cookie("refresh_token")])
        mine.append(held)
        with load.lock:
            load.sessions.append(held)
        r = post_anon(answers, Browser(server, source=source), "/auth/forgot-password", {"email": email})
        if lost(r):
            with load.lock:
                load.unanswered_resets.add(email)
            return
        if r.status_code == 202:
            with load.lock:
                load.resets.add(email)
        for held in mine:
            held.refresh_in_flight = True
            r = answers.call("POST /auth/refresh", held.browser.refresh)
            if lost(r):
                return
            held.refresh_in_flight = False
            if r.status_code == 200:
                held.tokens.append(held.browser.cookie("refresh_token"))


def refreshes_after_restart(server: Server, held: HeldSession, after: Answers) -> str | None:
    """Refreshes `held`'s session on the restarted server, twice; None when that works, else why not.

    Which token to present: the test's browser stores a cookie only from an answer it received
    whole, so its newest token is the last one a 200 set. If a refresh was in flight at the kill,
    the server either never rotated that token (it is still current) or rotated it and died before
    answering (it is now the immediate predecessor, which the grace rule answers with the same
    successor, within GATEHOUSE_REFRESH_GRACE, set to 30 s here so that every check fits). Either
    way the newest token must work. A real browser may also have stored the Set-Cookie of an answer
    whose body never arrived, and then hold a token one step newer than the page believes; so, for a
    session whose refresh was in flight (and only for it: for any other session the older token is
    a replay), a refused newest token is followed by the previous one.
    """
    candidates = held.tokens[-1:] + (held.tokens[-2:-1] if held.refresh_in_flight else [])
    tried = []
    for n, token in enumerate(candidates):
        tab = Browser(server, "after-restart")
        tab.set_cookie("refresh_token", token, "/auth")
        tab.csrf = held.browser.csrf
        r = after.call("POST /auth/refresh" if n == 0 else "POST /auth/refresh (previous token)", tab.refresh)
        if r is not None and r.status_code == 200:
            again = after.call("POST /auth/refresh", tab.refresh)
            if again is None or again.status_code != 200:
                return f"{held.email}: refreshed once after the restart, then refused:\n" \
                       f"{describe(again) if again is not None else 'no answer'}"
            return None
        tried.append(describe(r) if r is not None else "no answer")
    return (f"{held.email} (refresh in flight at the kill: {held.refresh_in_flight}, {len(held.tokens)} tokens "
            f"held): no token refreshes after the restart:\n" + "\n".join(tried))


def test_a_kill_9_under_load_loses_no_session_account_or_mail(launch):
    """Clients register, confirm, log in, ask for reset mail and refresh for 4 s; the Auth Server
    gets SIGKILL and starts again on the same database, keys and outbox. Every session that was
    answered still refreshes, every account answered 202 exists and can be confirmed and used,
    no 5xx was seen, and every mail asked for before the kill is in the outbox folder exactly once.
    About 10 s."""
    s = launch(GATEHOUSE_REFRESH_GRACE=str(KILL_GRACE))
    folder = MailFolder(s.outbox.dir)
    load, stop = KillLoad(), threading.Event()
    threads = [threading.Thread(target=kill_client, args=(load, s, folder, ip, stop), daemon=True)
               for ip in loopback(KILL_CLIENTS, 31)]
    started = time.monotonic()
    for t in threads:
        t.start()
    while time.monotonic() < started + KILL_AFTER or (len(load.sessions) < KILL_CLIENTS and time.monotonic() < started + 20):
        time.sleep(0.05)
    os.killpg(s.proc.pid, signal.SIGKILL)
    killed_at = time.monotonic()
    stop.set()
    for t in threads:
        t.join(timeout=30)
    assert not any(t.is_alive() for t in threads), "load clients still running 30 s after the kill"
    s.stop()  # reaps the killed process
    start_again(s)
    print(f"\nkilled after {killed_at - started:.1f}s of load, healthy again {time.monotonic() - killed_at:.1f}s "
          f"later\n{load.answers.summary()}")
    problems = list(load.problems)
    assert load.sessions, "the load made no session before the kill\n" + load.answers.summary()
    after = Answers()  # what the restarted server answers: no transport error, no 5xx allowed

    # --- sessions first: the grace window runs from each session's last rotation before the kill
    problems += [p for p in (refreshes_after_restart(s, h, after) for h in load.sessions) if p]

    # --- mail: each 202 before the kill is one mail; an unanswered request at most one -----------
    expected = collections.Counter({(e, "confirm"): 1 for e in load.registered})
    expected.update({(e, "reset"): 1 for e in load.resets})
    maybe = {(e, "confirm") for e in load.unanswered_registrations} | {(e, "reset") for e in load.unanswered_resets}
    got, waited = wait_for_mail(folder.counts, expected, timeout=8)
    # A mail the killed process had claimed (OutboxWorker: locked_until = claim + 120 s) waits for
    # that claim to expire before the restarted server tries it: late, not lost. Rather than wait
    # two minutes, expire those claims in the database (the server stopped meanwhile), which is
    # what the passing of 120 s would do, and watch what the server then delivers: the mail that
    # was missing, or a second copy of one already in the folder if the kill fell between writing
    # the file and saving `sent_at`.
    s.stop()
    claimed = release_claims(s)
    if claimed:
        start_again(s)
        print(f"{len(claimed)} mails claimed at the kill and not sent (their claims expired by the test): "
              f"{[(r['recipient'], kind_of(r['subject'])) for r in claimed[:5]]}; in the folder already: "
              f"{[got[(r['recipient'].lower(), kind_of(r['subject']))] for r in claimed[:5]]}")
        got, waited = wait_for_mail(folder.counts, expected, timeout=15)
        s.stop()
    problems += mail_problems(expected, got, maybe)

    # --- the database, with the server stopped: nothing half-written, nothing left to send -------
    rows = [r for r in outbox_rows(s) if r["recipient"].lower().startswith("kill-")]
    if unsent := [r for r in rows if r["sent_at"] is None]:
        problems.append(f"{len(unsent)} outbox rows of the load are still unsent: {unsent[:5]}")
    users = {e for e in user_emails(s) if e.startswith("kill-")}
    confirm_rows = collections.Counter(r["recipient"].lower() for r in rows if kind_of(r["subject"]) == "confirm")
    if missing := sorted(set(load.registered) - users):
        problems.append(f"{len(missing)} registrations answered 202 but have no account: {missing[:5]}")
    if strays := sorted(users - set(load.registered) - load.unanswered_registrations):
        problems.append(f"accounts nobody registered: {strays[:5]}")
    if half := sorted(u for u in users if confirm_rows[u] != 1):
        problems.append(f"accounts without exactly one confirmation mail row (half-written): "
                        f"{[(u, confirm_rows[u]) for u in half[:5]]}")

    # --- accounts: every 202 exists, its one confirmation link works, its password logs in -------
    start_again(s)
    for email in sorted(load.registered) + sorted(e for e in load.unanswered_registrations if folder.find(e, "confirm")):
        mails = folder.find(email, "confirm")
        if not mails:
            continue  # reported above as a missing mail
        r = after.call("GET /auth/confirm-account",
                       lambda: follow(Browser(s, "mail-client"), mails[0].link_containing("/auth/confirm-account")))
        if r is None or "status=success" not in r.headers.get("Location", ""):
            problems.append(f"{email}: its confirmation link does not confirm after the restart:\n"
                            f"{describe(r) if r is not None else 'no answer'}")
            continue
        if email in load.registered:
            r = post_anon(after, Browser(s, "after-restart"), "/auth/login",
                          {"email": email, "password": load.registered[email]})
            if r is None or r.status_code != 200:
                problems.append(f"{email}: confirmed, but its password does not log in after the restart:\n"
                                f"{describe(r) if r is not None else 'no answer'}")

    problems += load.answers.unexpected({
        "GET /auth/csrf": {200, "error"}, "POST /auth/register": {202, "error"},
        "GET /auth/confirm-account": {302, 303, "error"}, "POST /auth/login": {200, "error"},
        "POST /auth/forgot-password": {202, "error"}, "POST /auth/refresh": {200, "error"}})
    # A refused refresh (401) is judged per session above: the newest token may be refused where
    # the previous one then works.
    problems += after.unexpected({
        "POST /auth/refresh": {200, 401}, "POST /auth/refresh (previous token)": {200, 401},
        "GET /auth/confirm-account": {302, 303}, "GET /auth/csrf": {200}, "POST /auth/login": {200}})
    print(f"{len(load.registered)} accounts, {len(load.sessions)} sessions, {sum(got.values())} mails "
          f"(waited {waited:.1f}s), {sum(h.refresh_in_flight for h in load.sessions)} refreshes in flight at the kill")
    summary = f"before the kill:\n{load.answers.summary()}\nafter the restart:\n{after.summary()}"
    assert not problems, summary + "\n\n" + "\n\n".join(problems)


# =============================================================================================
# 3. PostgreSQL restarted under a running Auth Server


OUTAGE_TIMEOUT = 5.0      # "promptly": an answer slower than this during the outage is a hang
RECOVERY_DEADLINE = 10.0  # "within a few seconds" of PostgreSQL accepting connections again


@pytest.fixture
def fleet(binary, tmp_path_factory):
    fleet = Fleet(binary, tmp_path_factory)
    yield fleet
    fleet.close()


def test_a_postgresql_restart_answers_503_meanwhile_and_heals_without_restarting_gatehouse(fleet):
    """PostgreSQL stops under a running Auth Server: health says DOWN with 503; login, refresh and
    register answer 503 problem+json database_unavailable at once (never a 500, never a hang, no
    cookie cleared). PostgreSQL starts again on the same data directory and port, and within
    seconds health is UP and login and refresh answer 200, the same process still running.
    About 4 s."""
    with own_cluster() as pg:
        s = fleet.server(postgres_url=pg.url)
        try:
            user = make_user_on(s)
            tab = Browser(s, "pg-outage")
            tab.login(user.email, user.password)
            assert tab.refresh().status_code == 200, describe(tab.last)
            # Made while the database is up: making one needs no database, spending one does.
            anon = [tab.anon_csrf() for _ in range(6)]
            held_token, pid = tab.cookie("refresh_token"), s.proc.pid

            pg.stop()
            problems = []
            # The first round meets the pooled connections PostgreSQL has just closed, the later
            # ones a port that refuses connections.
            for _ in range(3):
                try:
                    health = tab.get("/actuator/health", timeout=OUTAGE_TIMEOUT)
                    if health.status_code != 503 or health.json().get("status") != "DOWN":
                        problems.append(f"health: expected 503 DOWN, got:\n{describe(health)}")
                except Exception as e:  # noqa: BLE001 - a timeout is a hang
                    problems.append(f"health: no answer within {OUTAGE_TIMEOUT:.0f}s ({e!r})")
                problems += [p for p in (
                    expect_unavailable("login", lambda: tab.post(
                        "/auth/login", json={"email": user.email, "password": user.password},
                        csrf=anon.pop(), timeout=OUTAGE_TIMEOUT), OUTAGE_TIMEOUT),
                    expect_unavailable("refresh", lambda: tab.refresh(timeout=OUTAGE_TIMEOUT), OUTAGE_TIMEOUT),
                    expect_unavailable("register", lambda: tab.post(
                        "/auth/register", json=registration(unique_email("pgdown"), strong_password()),
                        csrf=anon.pop(), timeout=OUTAGE_TIMEOUT), OUTAGE_TIMEOUT),
                ) if p]
            if tab.cookie("refresh_token") != held_token:
                problems.append("the refresh cookie changed during the outage")

            pg.start_again()
            deadline = time.monotonic() + RECOVERY_DEADLINE
            health_after, why = recovery("health", lambda: tab.get("/actuator/health", timeout=OUTAGE_TIMEOUT), deadline)
            if why:
                problems.append(why)
            fresh = Browser(s, "pg-after")
            login_after, why = recovery("login", lambda: fresh.post(
                "/auth/login", json={"email": user.email, "password": user.password},
                csrf=fresh.anon_csrf(), timeout=OUTAGE_TIMEOUT), deadline)
            if why:
                problems.append(why)
            refresh_after, why = recovery("refresh", lambda: tab.refresh(timeout=OUTAGE_TIMEOUT), deadline)
            if why:
                problems.append("the session from before the outage: " + why)
            if s.proc.pid != pid or s.proc.poll() is not None:
                problems.append("the Auth Server process did not survive the outage")
            print(f"\nPostgreSQL back: health UP after {health_after}, login 200 after {login_after}, "
                  f"refresh 200 after {refresh_after} (seconds)")
            assert not problems, "\n\n".join(problems)
        finally:
            fleet.close()  # drops its database while the cluster still runs


# =============================================================================================
# 4. two Auth Server instances on one PostgreSQL


TWIN_GRACE = 3  # GATEHOUSE_REFRESH_GRACE of both instances: short, so replays can wait it out


@dataclass
class Twins:
    a: Server
    b: Server
    sink: SmtpSink     # where both instances send their mail
    mail: MailFolder   # what reached it

    def both(self) -> tuple[Server, Server]:
        return self.a, self.b


@pytest.fixture(scope="module")
def twins(binary, tmp_path_factory):
    """Two `gatehouse auth` processes sharing one PostgreSQL database, one keys folder (signing keys
    and the outbox seal), one issuer URL and one SMTP server: a deployment of two instances, each
    on its own port, no proxy."""
    with own_cluster() as pg:
        fleet = Fleet(binary, tmp_path_factory)
        reservation = reserve_closed_port()
        sink = SmtpSink(reservation.getsockname()[1], tmp_path_factory.mktemp("twin-smtp"))
        try:
            reservation.close()
            sink.start()
            plugin.watch(sink)
            keys = tmp_path_factory.mktemp("twin-keys")
            env = {"GATEHOUSE_REFRESH_GRACE": str(TWIN_GRACE), "GATEHOUSE_SMTP_URL": f"smtp://127.0.0.1:{sink.port}"}
            a = fleet.server(postgres_url=pg.url, keys_dir=keys, env=env)  # first, alone: it migrates and makes the keys
            b = fleet.server(database=a.db, keys_dir=keys, env={**env, "GATEHOUSE_AUTH_URL": a.public_url})
            a.outbox = b.outbox = Outbox(sink.maildir)  # for flows.make_user_on: the sink keeps .eml files too
            yield Twins(a, b, sink, MailFolder(sink.maildir))
        finally:
            fleet.close()
            sink.stop()
            plugin.unwatch(sink)


def test_six_racing_refreshes_over_both_instances_end_with_one_successor(twins):
    """One session's refresh cookie and CSRF token, six refreshes fired at once, three at each
    instance: all six answer 200 (one rotates, five meet the grace rule) with the same successor,
    and the session goes on with it on both instances."""
    user = make_user_on(twins.a, prefix="twin-race")
    tab = Browser(twins.a, "race")
    tab.login(user.email, user.password)
    original = tab.cookie("refresh_token")
    tabs = [tab_on(tab, twins.both()[i % 2], f"race-{i}") for i in range(6)]
    start = threading.Barrier(len(tabs), timeout=30)

    def fire(t: Browser):
        start.wait()
        return t.refresh()

    before = [prometheus(server, "gatehouse_refreshes_total", "outcome") for server in twins.both()]
    with concurrent.futures.ThreadPoolExecutor(len(tabs)) as pool:
        answers = list(pool.map(fire, tabs))
    after = [prometheus(server, "gatehouse_refreshes_total", "outcome") for server in twins.both()]
    print("\nrefresh outcomes of the race (A, B):",
          [{k: v - b.get(k, 0) for k, v in a.items() if v != b.get(k, 0)} for b, a in zip(before, after)])
    bad = [f"[{t.name} on port {t.server.port}]\n{describe(r)}" for t, r in zip(tabs, answers) if r.status_code != 200]
    assert not bad, "every racing refresh within the grace window must answer 200:\n" + "\n".join(bad)
    successors = {t.cookie("refresh_token") for t in tabs}
    assert len(successors) == 1 and original not in successors, \
        f"the race must end with exactly one successor; the six tabs hold {len(successors)} tokens"
    # The session is live, and the successor goes on rotating, on either instance.
    current = tabs[0]
    for i, server in enumerate((twins.b, twins.a)):
        current = tab_on(current, server, f"after-race-{i}")
        r = current.refresh()
        assert r.status_code == 200, describe(r)
    r = tab_on(current, twins.b, "reload").load_session()
    assert r.status_code == 200 and r.json().get("authenticated") is True, describe(r)


def test_a_retired_refresh_token_replayed_after_the_grace_window_ends_the_session_on_either_instance(twins):
    """A session rotates on one instance, then on the other; its retired token (the current one's
    immediate predecessor) is replayed after the grace window, on A for one session and on B for
    another: 401 session_expired, and the current token is refused on the other instance too."""
    cases = []
    for replay_on, other in (twins.both(), twins.both()[::-1]):
        user = make_user_on(other, prefix="twin-replay")
        tab = Browser(other, "replay")
        tab.login(user.email, user.password)
        assert tab.refresh().status_code == 200, describe(tab.last)
        retired = tab.cookie("refresh_token")
        tab = tab_on(tab, replay_on, "replay")
        assert tab.refresh().status_code == 200, describe(tab.last)
        cases.append((replay_on, other, tab, retired))
    time.sleep(TWIN_GRACE + 1.5)
    for replay_on, other, tab, retired in cases:
        thief = tab_on(tab, replay_on, "thief")
        thief.set_cookie("refresh_token", retired, "/auth")
        r = thief.refresh()
        assert r.status_code == 401 and r.json().get("code") == "session_expired", \
            f"replay on port {replay_on.port} after the grace window:\n{describe(r)}"
        owner = tab_on(tab, other, "owner")
        r = owner.refresh()
        assert r.status_code == 401 and r.json().get("code") == "session_expired", \
            f"the current token after the replay, on the other instance (port {other.port}):\n{describe(r)}"


def test_an_anonymous_csrf_token_is_single_use_across_both_instances(twins):
    """Spent on one instance, refused on the other (403 csrf_invalid), both ways; fired at both at
    once, exactly one request spends it."""
    def forgot(server: Server, token: str):
        return Browser(server, "anon").post("/auth/forgot-password", json={"email": unique_email("twin-nobody")},
                                            csrf=token)

    for first, second in (twins.both(), twins.both()[::-1]):
        token = Browser(first).anon_csrf()
        r = forgot(first, token)
        assert r.status_code == 202, describe(r)
        r = forgot(second, token)
        assert r.status_code == 403 and r.json().get("code") == "csrf_invalid", \
            f"a token spent on port {first.port}, again on port {second.port}:\n{describe(r)}"

    token = Browser(twins.a).anon_csrf()
    racers = [twins.both()[i % 2] for i in range(4)]
    start = threading.Barrier(len(racers), timeout=30)

    def fire(server):
        start.wait()
        return forgot(server, token)

    with concurrent.futures.ThreadPoolExecutor(len(racers)) as pool:
        answers = list(pool.map(fire, racers))
    statuses = sorted(r.status_code for r in answers)
    assert statuses == [202, 403, 403, 403] and all(
        r.json().get("code") == "csrf_invalid" for r in answers if r.status_code == 403), \
        "one anonymous token fired at both instances at once:\n" + "\n".join(describe(r) for r in answers)


def test_each_mail_is_sent_once_with_both_outbox_workers_running(twins):
    """20 mail-producing requests at once, spread over both instances (new registrations, a second
    registration of a confirmed address, forgot-password, resend-verification) while their SMTP
    server is away; it comes back, and the retries of both outbox workers (and the work of both
    link-request workers) deliver every mail exactly once. About 15 s.

    The SMTP server is away at first so that the mails pile up and fall due again together, about
    10 s later, when both workers poll the same rows: delivered at once, the first worker to poll
    would take them all before the other one looked."""
    servers = twins.both()
    confirmed = [make_user_on(servers[i % 2], prefix="twin-mail") for i in range(4)]
    unconfirmed = []
    for i in range(4):
        email = unique_email("twin-mail")
        assert register(servers[i % 2], email, strong_password()).status_code == 202
        unconfirmed.append(email)
    expected = collections.Counter({(u.email, "confirm"): 1 for u in confirmed})
    expected.update({(e, "confirm"): 1 for e in unconfirmed})
    got, _ = wait_for_mail(twins.mail.counts, expected, timeout=15, settle=0)
    assert not mail_problems(expected, collections.Counter({k: got[k] for k in expected})), got

    jobs = ([("/auth/register", registration(unique_email("twin-mail"), strong_password()), "confirm") for _ in range(8)]
            + [("/auth/register", registration(u.email, strong_password()), "already_registered") for u in confirmed]
            + [("/auth/forgot-password", {"email": u.email}, "reset") for u in confirmed]
            + [("/auth/resend-verification", {"email": e}, "confirm") for e in unconfirmed])
    random.shuffle(jobs)
    for _, body, kind in jobs:
        expected[(body["email"], kind)] += 1
    answers = Answers()
    sources = loopback(4, 51)
    start = threading.Barrier(len(jobs), timeout=30)

    def run(i: int):
        path, body, _ = jobs[i]
        b = Browser(servers[i % 2], "twin-mail", source=sources[i % len(sources)])
        token = b.anon_csrf()
        start.wait()
        return answers.call(f"POST {path}", lambda: b.post(path, json=body, csrf=token))

    def mails_by_state() -> list[dict[str, float]]:
        return [prometheus(server, "gatehouse_mails_total", "state") for server in servers]

    before = mails_by_state()
    twins.sink.stop()
    reservation = reserve_closed_port(twins.sink.port)  # refused, and nobody else's meanwhile
    try:
        with concurrent.futures.ThreadPoolExecutor(len(jobs)) as pool:
            list(pool.map(run, range(len(jobs))))
        # Until every mail has failed once (when the server counts it), else a moment.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            retried = sum(m.get("retried", 0) - b.get("retried", 0) for m, b in zip(mails_by_state(), before))
            if retried >= len(jobs) or not before[0]:
                break
            time.sleep(0.2)
        time.sleep(0.5)
    finally:
        reservation.close()
        twins.sink.start()
    problems = answers.unexpected({"POST /auth/register": {202}, "POST /auth/forgot-password": {202},
                                   "POST /auth/resend-verification": {202}})
    got, waited = wait_for_mail(twins.mail.counts, expected, timeout=40, settle=2)
    ours = collections.Counter({k: n for k, n in got.items() if k[0].startswith("twin-mail")})
    problems += mail_problems(expected, ours)
    sent = [m.get("sent", 0) - b.get("sent", 0) for m, b in zip(mails_by_state(), before)]
    print(f"\n{sum(ours.values())} mails {waited:.1f}s after the SMTP server came back (expected "
          f"{sum(expected.values())}); sent by A, B: {sent}")
    assert not problems, answers.summary() + "\n\n" + "\n\n".join(problems)
