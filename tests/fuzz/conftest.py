"""Fixtures of the fuzz suite: one `Stack` (local OpenID provider, `gatehouse auth`, `gatehouse
resource`; see stack.py), a confirmed `account` and one with TOTP on (`mfa_account`) for the whole
run, and a summary of what schemathesis ran, printed at the end of the run."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, for the shared `support` package
sys.path.insert(0, str(Path(__file__).parent))

from stack import FuzzAccount, Stack  # noqa: E402
from support import plugin  # noqa: E402
# Shared with the other suites (tests/support/plugin.py): the `binary` under test, and the hook that
# puts the log tails of the servers still watched into a failed test's report.
from support.plugin import binary, pytest_runtest_makereport  # noqa: E402,F401

_report: list[str] = []


@pytest.fixture(scope="session")
def stack(binary, tmp_path_factory):
    s = Stack(binary, tmp_path_factory.mktemp("fuzz")).start()
    plugin.watch(s)
    yield s
    plugin.unwatch(s)
    s.stop()


@pytest.fixture(scope="session")
def account(stack) -> FuzzAccount:
    account = FuzzAccount(stack).register()
    account.login()  # keeps its known-device cookie for the hooks' own logins
    return account


@pytest.fixture(scope="session")
def mfa_account(stack) -> FuzzAccount:
    """A confirmed account with TOTP on: its password login answers `mfaRequired`."""
    return FuzzAccount(stack, prefix="fuzz-mfa").register().enable_totp()


@pytest.fixture(scope="session")
def fuzz_report() -> list[str]:
    return _report


def pytest_terminal_summary(terminalreporter):
    if _report:
        terminalreporter.section("schemathesis")
        for line in _report:
            terminalreporter.write_line(line)
