"""The fixtures and hook both suites share. Each suite's conftest.py imports them by name
(`from support.plugin import binary, oidc_provider, pytest_runtest_makereport`), which makes them
that conftest's own.

A failed test's report gets a section for everything registered with `watch()` and not yet
`unwatch()`ed: anything with `report_sections(item) -> [(title, text), ...]`, such as a
`GatehouseProcess` (its log tail), the browser suite's `System` (its three logs) and its browser
contexts (console messages; screenshots are taken as a side effect).
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

import pytest

from support.oidc import OidcProvider
from support.processes import gatehouse_bin

_watched: list = []


def watch(source) -> None:
    """Report on `source` when a test fails, until `unwatch(source)`."""
    _watched.append(source)


def unwatch(source) -> None:
    if source in _watched:
        _watched.remove(source)


@contextmanager
def watching(source):
    watch(source)
    try:
        yield source
    finally:
        unwatch(source)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when in ("setup", "call") and report.failed:
        for source in list(_watched):
            report.sections.extend((title, text) for title, text in source.report_sections(item)
                                   if text.strip())


@pytest.fixture(scope="session")
def binary() -> Path:
    """The gatehouse executable ($GATEHOUSE_BIN or .build/debug/gatehouse); without it the run
    stops with exit code 3."""
    path = gatehouse_bin()
    if not path.exists():
        pytest.exit(f"FATAL: GATEHOUSE_BIN={path} does not exist. Build the server first "
                    f"(swift build) or set GATEHOUSE_BIN to the gatehouse executable.", returncode=3)
    if not os.access(path, os.X_OK):
        pytest.exit(f"FATAL: GATEHOUSE_BIN={path} is not executable.", returncode=3)
    return path


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory):
    """A local OpenID provider standing in for Google (oidc-provider-mock, issuer http://localhost:<port>)."""
    provider = OidcProvider(tmp_path_factory.mktemp("oidc-provider")).start()
    yield provider
    provider.stop()
