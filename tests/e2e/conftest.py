"""Fixtures for the Gatehouse end-to-end suite.

Each test module gets its own `gatehouse auth` process (fixture `server`), on SQLite and, when
GATEHOUSE_TEST_POSTGRES_URL is set, on a fresh PostgreSQL database too. Tests that need special
settings (short token lifetimes, a rate-limit budget of their own) start extra servers through
`launch` (function scope) or `module_launch` (module scope).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, for the shared `support` package
sys.path.insert(0, str(Path(__file__).parent))

from browser import Browser  # noqa: E402
from checks import Tokens  # noqa: E402
from flows import User, make_user_on  # noqa: E402
from harness import Server  # noqa: E402
from support import plugin  # noqa: E402
# Shared with the browser suite (tests/support/plugin.py): the `binary` under test, the
# `oidc_provider` standing in for Google, and the hook that puts the logs of the servers still
# watched into a failed test's report.
from support.plugin import binary, oidc_provider, pytest_runtest_makereport  # noqa: E402,F401

BACKENDS = ["sqlite"] + (["postgres"] if os.environ.get("GATEHOUSE_TEST_POSTGRES_URL") else [])


def pytest_configure(config):
    config.addinivalue_line("markers", "ratelimit: exercises rate limiting (many failed attempts)")
    config.addinivalue_line("markers", "slow: waits for tokens to expire")


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request) -> str:
    return request.param


class Launcher:
    def __init__(self, binary: Path, backend: str, tmp_factory):
        self.binary = binary
        self.backend = backend
        self.tmp_factory = tmp_factory
        self.servers: list[Server] = []

    def __call__(self, start: bool = True, keys_dir: Path | None = None, **env) -> Server:
        workdir = self.tmp_factory.mktemp("gh")
        s = Server(self.binary, workdir, self.backend, env, keys_dir=keys_dir)
        self.servers.append(s)
        plugin.watch(s)
        if start:
            s.start()
        return s

    def close(self) -> None:
        for s in self.servers:
            s.close()
            plugin.unwatch(s)


@pytest.fixture(scope="module")
def module_launch(binary, backend, tmp_path_factory):
    launcher = Launcher(binary, backend, tmp_path_factory)
    yield launcher
    launcher.close()


@pytest.fixture
def launch(binary, backend, tmp_path_factory):
    launcher = Launcher(binary, backend, tmp_path_factory)
    yield launcher
    launcher.close()


@pytest.fixture(scope="module")
def server(module_launch) -> Server:
    """A server with default settings, shared by the tests of one module."""
    return module_launch()


@pytest.fixture
def tokens(server) -> Tokens:
    return Tokens(server)


# ---------------------------------------------------------------------------------------------
# users and browsers


@pytest.fixture
def make_user(server):
    def make(**kw) -> User:
        return make_user_on(server, **kw)
    return make


@pytest.fixture
def browser(server):
    def make(name: str | None = None, **kw) -> Browser:
        return Browser(server, name, **kw)
    return make


@pytest.fixture
def logged_in(server):
    """A browser logged in as the given user."""
    def make(user: User, name: str | None = None, **kw) -> Browser:
        b = Browser(server, name, **kw)
        b.login(user.email, user.password)
        return b
    return make
