"""Fixtures for the real-browser suite: Chromium (Playwright, sync API) against the three real
Gatehouse processes.

- `system`: auth + resource + web with default settings (shared by the whole run; every test
  makes its own account, so tests do not see each other's data).
- `short_system`: the same with `GATEHOUSE_ACCESS_TOKEN_TTL=4` and `GATEHOUSE_CLOCK_LEEWAY=0`, for
  the tests that let access tokens expire (started on first use).
- `google_system`: the same with "Sign in with Google" pointed at `oidc_provider`, a local
  `oidc-provider-mock` (both started on first use).
- `new_context(system)`: a fresh browser context (one cookie jar, i.e. one "device"), 1280x800.
- `account(system)`: a registered and confirmed account (over HTTP; test 1 registers through the UI).
- `log_in(page, system, account)`: logs in through the login form and waits for the projects page.
- `refreshes(context)`: every `POST /auth/refresh` the context sends, with timestamps.
- `shots`: full-page screenshots into test-artifacts/browser/<test>-<step>.png.
"""

from __future__ import annotations

import itertools
import os
import re
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, Request, expect, sync_playwright

from system import REPO_ROOT, WEB_ROOT, OidcProvider, System, gatehouse_bin
from ui import fill_login

CHROMIUM = os.environ.get("GATEHOUSE_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = REPO_ROOT / "test-artifacts" / "browser"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 812}
SHORT_TTL = 4

_live_systems: list[System] = []
_live_contexts: list["ContextRecord"] = []
_ids = itertools.count(1)

expect.set_options(timeout=10_000)


# --------------------------------------------------------------------------------------------
# Reporting: server logs and browser console errors of a failed test


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed:
        for record in list(_live_contexts):
            if record.console:
                report.sections.append((f"browser console ({record.name})", "\n".join(record.console[-40:])))
            for i, page in enumerate(record.context.pages):
                try:
                    ARTIFACTS.mkdir(parents=True, exist_ok=True)
                    page.screenshot(path=ARTIFACTS / f"{item.name}-FAILED-{record.name}-{i}.png", full_page=True)
                except Exception:
                    pass
        for s in list(_live_systems):
            report.sections.extend((title, text) for title, text in s.log_tails() if text.strip())


# --------------------------------------------------------------------------------------------
# Processes


@pytest.fixture(scope="session")
def built_spa() -> Path:
    if not (WEB_ROOT / "index.html").exists():
        r = subprocess.run([str(REPO_ROOT / "scripts" / "build-web")], capture_output=True, text=True)
        if r.returncode != 0 or not (WEB_ROOT / "index.html").exists():
            pytest.exit(f"could not build the SPA (scripts/build-web):\n{r.stdout}\n{r.stderr}", returncode=3)
    return WEB_ROOT


@pytest.fixture(scope="session")
def binary() -> Path:
    path = gatehouse_bin()
    if not path.exists() or not os.access(path, os.X_OK):
        pytest.exit(f"gatehouse binary not found or not executable at {path}; build it (swift build) "
                    f"or set GATEHOUSE_BIN", returncode=3)
    return path


def _start_system(tmp_path_factory, binary: Path, name: str, **env) -> System:
    s = System(tmp_path_factory.mktemp(name), env, binary=binary)
    s.start()
    _live_systems.append(s)
    return s


@pytest.fixture(scope="session")
def system(tmp_path_factory, binary, built_spa):
    s = _start_system(tmp_path_factory, binary, "gatehouse")
    yield s
    s.stop()
    _live_systems.remove(s)


@pytest.fixture(scope="session")
def short_system(tmp_path_factory, binary, built_spa):
    """Access tokens live SHORT_TTL seconds, with no clock leeway.

    How the SPA refreshes (web/src/session.ts, keepSessionFresh): a visible tab refreshes at
    max(expiry - 30 s, last proactive attempt + 60 s). With a 4 s token it therefore refreshes
    once right after login (or after a reload: a page starts with no "last attempt"), and then
    not again for 60 s. In that minute the access token expires every 4 s and every API call goes
    through the `401 + WWW-Authenticate: Refresh` path, which is what the expiry tests exercise.
    """
    s = _start_system(tmp_path_factory, binary, "gatehouse-short",
                      GATEHOUSE_ACCESS_TOKEN_TTL=SHORT_TTL, GATEHOUSE_CLOCK_LEEWAY=0)
    yield s
    s.stop()
    _live_systems.remove(s)


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory):
    """A local OpenID provider standing in for Google (oidc-provider-mock, issuer http://localhost:<port>)."""
    provider = OidcProvider(tmp_path_factory.mktemp("oidc-provider")).start()
    yield provider
    provider.stop()


@pytest.fixture(scope="session")
def google_system(tmp_path_factory, binary, built_spa, oidc_provider):
    """Gatehouse with "Sign in with Google" pointed at `oidc_provider`."""
    s = _start_system(tmp_path_factory, binary, "gatehouse-google", **oidc_provider.google_env())
    yield s
    s.stop()
    _live_systems.remove(s)


# --------------------------------------------------------------------------------------------
# Browser


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


@dataclass
class ContextRecord:
    name: str
    context: BrowserContext
    console: list[str] = field(default_factory=list)


@pytest.fixture
def new_context(browser):
    """Makes browser contexts (separate cookie jars: separate devices) closed after the test."""
    records: list[ContextRecord] = []

    def make(name: str | None = None, **options) -> BrowserContext:
        options.setdefault("viewport", DESKTOP)
        ctx = browser.new_context(**options)
        record = ContextRecord(name or f"context{len(records) + 1}", ctx)

        def on_page(page: Page) -> None:
            page.on("console", lambda m: m.type in ("error", "warning")
                    and record.console.append(f"[{m.type}] {page.url}: {m.text}"))
            page.on("pageerror", lambda e: record.console.append(f"[pageerror] {page.url}: {e}"))

        ctx.on("page", on_page)
        records.append(record)
        _live_contexts.append(record)
        return ctx

    yield make
    for record in records:
        _live_contexts.remove(record)
        try:
            record.context.close()
        except Exception:
            pass


@pytest.fixture
def console_errors():
    """The console errors and uncaught exceptions seen so far in this test's contexts."""
    def read() -> list[str]:
        return [line for r in _live_contexts for line in r.console if not line.startswith("[warning]")]
    return read


# --------------------------------------------------------------------------------------------
# Accounts and logging in


@dataclass
class Account:
    email: str
    password: str
    first: str
    last: str


@pytest.fixture
def make_email(request):
    def make(tag: str = "") -> str:
        slug = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower())[:40].strip("-")
        return f"{slug}{'-' + tag if tag else ''}-{next(_ids)}-{int(time.time() * 1000) % 10**8}@example.com"
    return make


@pytest.fixture
def account(make_email):
    """account(system) -> a registered and confirmed Account."""
    def make(system: System, first: str = "Grace", last: str = "Hopper") -> Account:
        a = Account(make_email(), "correct horse battery staple 7", first, last)
        system.register_confirmed(a.email, a.password, first, last)
        return a
    return make


@pytest.fixture
def log_in():
    """log_in(page, system, account, path="/login"): the login form, then the page it leads to."""
    def do(page: Page, system: System, a: Account, path: str = "/login") -> None:
        page.goto(system.spa(path))
        fill_login(page, a.email, a.password)
        if path == "/login":
            expect(page.get_by_role("heading", name=f"Hello, {a.first}")).to_be_visible()
            expect(page.get_by_role("region", name="Profile")).to_contain_text(a.email)
    return do


# --------------------------------------------------------------------------------------------
# Counting requests


@dataclass
class RequestLog:
    """Requests whose URL matches `pattern` (optionally `method`), with monotonic timestamps."""
    pattern: re.Pattern
    method: str | None = None
    seen: list[tuple[float, str, str]] = field(default_factory=list)

    def __call__(self, request: Request) -> None:
        if self.pattern.search(request.url) and (self.method is None or request.method == self.method):
            self.seen.append((time.monotonic(), request.method, request.url))

    def count(self, since: float = 0.0) -> int:
        return sum(1 for t, _, _ in self.seen if t >= since)

    def __repr__(self) -> str:
        return f"RequestLog({[f'{m} {u}' for _, m, u in self.seen]})"


@pytest.fixture
def refreshes():
    """refreshes(context_or_page) -> RequestLog of POST /auth/refresh."""
    def watch(target) -> RequestLog:
        log = RequestLog(re.compile(r"/auth/refresh(\?|$)"), "POST")
        target.on("request", log)
        return log
    return watch


@pytest.fixture
def request_log():
    """request_log(context_or_page, regex, method=None) -> RequestLog."""
    def watch(target, pattern: str, method: str | None = None) -> RequestLog:
        log = RequestLog(re.compile(pattern), method)
        target.on("request", log)
        return log
    return watch


# --------------------------------------------------------------------------------------------
# Screenshots


class Shots:
    def __init__(self, test_name: str):
        self.test = re.sub(r"[^A-Za-z0-9_.-]+", "-", test_name)
        self.taken: list[Path] = []
        ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def __call__(self, page: Page, step: str, phone: bool = False) -> None:
        """A full-page screenshot on the desktop viewport; with `phone`, one at 375x812 too."""
        path = ARTIFACTS / f"{self.test}-{step}.png"
        page.screenshot(path=path, full_page=True)
        self.taken.append(path)
        if phone:
            before = page.viewport_size or DESKTOP
            page.set_viewport_size(PHONE)
            try:
                path = ARTIFACTS / f"{self.test}-{step}-phone.png"
                page.screenshot(path=path, full_page=True)
                self.taken.append(path)
            finally:
                page.set_viewport_size(before)


@pytest.fixture
def shots(request) -> Shots:
    return Shots(request.node.name)
