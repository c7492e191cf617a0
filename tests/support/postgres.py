"""A throw-away PostgreSQL cluster of a test's own (scripts/postgres-test-server), which the test
may stop and start again on the same data directory and port, to play a database outage.

`scripts/postgres-test-server start DIR` runs initdb and `pg_ctl start` with its options (port,
socket directory, fsync off ...); `pg_ctl` records those options in DIR/data/postmaster.opts, and
`pg_ctl restart` reuses them, also when the server is stopped ("trying to start server anyway").
So `start_again()` brings back the very same cluster without repeating the script's options here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
import urllib.parse
from pathlib import Path

from support.processes import REPO_ROOT

SCRIPT = REPO_ROOT / "scripts" / "postgres-test-server"
PG_LIB = Path("/usr/lib/postgresql")


def _pg_bin() -> Path | None:
    """The newest installed PostgreSQL's bin directory, as the script picks it."""
    if not PG_LIB.is_dir():
        return None
    versions = sorted((p for p in PG_LIB.iterdir() if (p / "bin" / "pg_ctl").exists()),
                      key=lambda p: [int(x) if x.isdigit() else x for x in p.name.split(".")])
    return versions[-1] / "bin" if versions else None


class ThrowawayPostgres:
    """One PostgreSQL cluster on 127.0.0.1 in a fresh directory, removed by `destroy()`."""

    def __init__(self):
        self.dir: Path | None = None
        self.url: str | None = None

    @staticmethod
    def available() -> bool:
        return _pg_bin() is not None and SCRIPT.exists()

    def start(self) -> "ThrowawayPostgres":
        # Not under pytest's tmp dir: that one is mode 0700 and owned by the test's user, and the
        # script runs PostgreSQL as `postgres` when the tests run as root.
        self.dir = Path(tempfile.mkdtemp(prefix="gh-pg-"))
        r = subprocess.run([str(SCRIPT), "start", str(self.dir)], capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            raise AssertionError(f"{SCRIPT} start failed ({r.returncode}):\n{r.stderr}\n{self.log_tail()}")
        self.url = r.stdout.strip().splitlines()[-1]
        return self

    @property
    def port(self) -> int:
        return urllib.parse.urlsplit(self.url).port

    def stop(self) -> None:
        """`pg_ctl stop -m fast` through the script: clients are disconnected, the port closes."""
        if self.dir:
            subprocess.run([str(SCRIPT), "stop", str(self.dir)], capture_output=True, text=True, timeout=120)

    def start_again(self) -> None:
        """Starts the stopped cluster on the same data directory, port and options."""
        cmd = [str(_pg_bin() / "pg_ctl"), "-D", str(self.dir / "data"), "-l", str(self.dir / "server.log"),
               "-w", "-t", "60", "restart"]
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=90)
        if r.returncode != 0:
            raise AssertionError(f"pg_ctl restart failed ({r.returncode}):\n{r.stdout}{r.stderr}\n{self.log_tail()}")

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while self.psql("SELECT 1", check=False).returncode != 0:
            if time.monotonic() > deadline:
                raise AssertionError(f"PostgreSQL at {self.url} not ready within {timeout}s\n{self.log_tail()}")
            time.sleep(0.1)

    def psql(self, sql: str, database_url: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
        """Runs `sql` with psql (unaligned, tuples only, `|`-separated) against the cluster or one
        of its databases."""
        r = subprocess.run(["psql", database_url or self.url, "-X", "-A", "-t", "-F", "|", "-v",
                            "ON_ERROR_STOP=1", "-c", sql], capture_output=True, text=True, timeout=60)
        if check and r.returncode != 0:
            raise AssertionError(f"psql failed: {r.stderr.strip()}")
        return r

    def log_tail(self, lines: int = 30) -> str:
        if not self.dir:
            return ""
        try:
            return "\n".join((self.dir / "server.log").read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no PostgreSQL log)"

    def destroy(self) -> None:
        """Stops the cluster (if running) and removes its directory."""
        if self.dir:
            self.stop()
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def report_sections(self, item=None) -> list[tuple[str, str]]:
        """For support.plugin.watch(): the PostgreSQL log tail in a failed test's report."""
        return [(f"PostgreSQL log ({self.url})", self.log_tail())]
