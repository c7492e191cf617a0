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
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, Request, expect, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, for the shared `support` package

from support import plugin  # noqa: E402
# Shared with the end-to-end suite (tests/support/plugin.py): the `binary` under test, the
# `oidc_provider` standing in for Google, and the hook that puts what is watched (here the
# systems' logs, and the browser contexts' console and screenshots) into a failed test's report.
from support.plugin import binary, oidc_provider, pytest_runtest_makereport  # noqa: E402,F401
from system import REPO_ROOT, WEB_ROOT, System  # noqa: E402
from ui import fill_login  # noqa: E402

CHROMIUM = os.environ.get("GATEHOUSE_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = REPO_ROOT / "test-artifacts" / "browser"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 812}
SHORT_TTL = 4

_live_contexts: list["ContextRecord"] = []
_ids = itertools.count(1)

expect.set_options(timeout=10_000)


# --------------------------------------------------------------------------------------------
# Processes


@pytest.fixture(scope="session")
def built_spa() -> Path:
    if not (WEB_ROOT / "index.html").exists():
        r = subprocess.run([str(REPO_ROOT / "scripts" / "build-web")], capture_output=True, text=True)
        if r.returncode != 0 or not (WEB_ROOT / "index.html").exists():
            pytest.exit(f"could not build the SPA (scripts/build-web):\n{r.stdout}\n{r.stderr}", returncode=3)
    return WEB_ROOT


@contextmanager
def _running_system(tmp_path_factory, binary: Path, name: str, **env):
    """A started System whose logs a failed test's report shows; stopped on leaving."""
    s = System(tmp_path_factory.mktemp(name), env, binary=binary).start()
    try:
        with plugin.watching(s):
            yield s
    finally:
        s.stop()


@pytest.fixture(scope="session")
def system(tmp_path_factory, binary, built_spa):
    with _running_system(tmp_path_factory, binary, "gatehouse") as s:
        yield s


@pytest.fixture(scope="session")
def short_system(tmp_path_factory, binary, built_spa):
    """Access tokens live SHORT_TTL seconds, with no clock leeway.

    How the SPA refreshes (web/src/session.ts, keepSessionFresh): a visible tab refreshes at
    max(expiry - 30 s, last proactive attempt + 60 s). With a 4 s token it therefore refreshes
    once right after login (or after a reload: a page starts with no "last attempt"), and then
    not again for 60 s. In that minute the access token expires every 4 s and every API call goes
    through the `401 + WWW-Authenticate: Refresh` path, which is what the expiry tests exercise.
    """
    with _running_system(tmp_path_factory, binary, "gatehouse-short",
                         GATEHOUSE_ACCESS_TOKEN_TTL=SHORT_TTL, GATEHOUSE_CLOCK_LEEWAY=0) as s:
        yield s


@pytest.fixture(scope="session")
def google_system(tmp_path_factory, binary, built_spa, oidc_provider):
    """Gatehouse with "Sign in with Google" pointed at `oidc_provider` (tests/support/plugin.py)."""
    with _running_system(tmp_path_factory, binary, "gatehouse-google", **oidc_provider.google_env()) as s:
        yield s


@pytest.fixture(scope="session")
def google_system_without_linking(tmp_path_factory, binary, built_spa, oidc_provider):
    """As `google_system`, but Google may not link to an existing account by its address."""
    with _running_system(tmp_path_factory, binary, "gatehouse-google-nolink", **oidc_provider.google_env(),
                         GATEHOUSE_OIDC_GOOGLE_LINK_BY_EMAIL="false") as s:
        yield s


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

    def report_sections(self, item) -> list[tuple[str, str]]:
        """For a failed test's report (see support.plugin): the console messages; and a
        screenshot of every open page into test-artifacts/browser."""
        sections = [(f"browser console ({self.name})", "\n".join(self.console[-40:]))] if self.console else []
        for i, page in enumerate(self.context.pages):
            try:
                ARTIFACTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=ARTIFACTS / f"{item.name}-FAILED-{self.name}-{i}.png", full_page=True)
            except Exception:
                pass
        return sections


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
        plugin.watch(record)
        return ctx

    yield make
    for record in records:
        _live_contexts.remove(record)
        plugin.unwatch(record)
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
