"""Process harness for the end-to-end suite: starts real `gatehouse auth` processes, gives them a
fresh database, keys and outbox directory, and reads the mail they write.

The process itself (start, health, stop, restart, logs, settings and their defaults) is
`GatehouseProcess` from tests/support, shared with the browser suite; mail is read with
`support.mail`. This module adds what only this suite needs: `Server` (an auth process with a
fresh SQLite or PostgreSQL database of its own) and its `Database`. The shared names the tests import
from here (`free_port`, `parse_mail`, `OidcProvider`, ...) are re-exported.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import urllib.parse
from pathlib import Path

from support.mail import Mail, Outbox, parse_mail  # noqa: F401
from support.oidc import OidcProvider  # noqa: F401
from support.processes import (DEFAULT_BIN, HEALTH_TIMEOUT, REPO_ROOT,  # noqa: F401
                               GatehouseProcess, free_port, gatehouse_bin, log_tail, stop_process_group)

SPA_URL = "http://localhost:5173"
RESOURCE_URL = "http://localhost:8080"


# --------------------------------------------------------------------------------------------
# Databases


class Database:
    """A fresh database for one server: a new SQLite file or a new PostgreSQL database (on
    GATEHOUSE_TEST_POSTGRES_URL's server, or on `postgres_url`'s, e.g. a test's own cluster)."""

    def __init__(self, backend: str, workdir: Path, postgres_url: str | None = None):
        self.backend = backend
        self._pg_name: str | None = None
        if backend == "sqlite":
            self.url = f"sqlite://{workdir / 'gh.sqlite'}"
        elif backend == "postgres":
            base = postgres_url or os.environ["GATEHOUSE_TEST_POSTGRES_URL"]
            parts = urllib.parse.urlsplit(base)
            self._pg = parts
            self._pg_name = "gh_e2e_" + secrets.token_hex(6)
            self._psql(["createdb", *self._conn_args(), self._pg_name])
            self.url = urllib.parse.urlunsplit(parts._replace(path="/" + self._pg_name))
        else:
            raise ValueError(backend)

    def _conn_args(self) -> list[str]:
        p = self._pg
        args = ["-h", p.hostname or "127.0.0.1", "-p", str(p.port or 5432)]
        if p.username:
            args += ["-U", urllib.parse.unquote(p.username)]
        return args

    def _psql(self, cmd: list[str], check: bool = True) -> subprocess.CompletedProcess:
        env = dict(os.environ)
        if self._pg.password:
            env["PGPASSWORD"] = urllib.parse.unquote(self._pg.password)
        r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
        if check and r.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed: {r.stderr.strip()}")
        return r

    def drop(self) -> None:
        if self._pg_name:
            self._psql(["dropdb", *self._conn_args(), "--if-exists", "--force", self._pg_name],
                       check=False)
            self._pg_name = None


# --------------------------------------------------------------------------------------------
# Server process


class Server(GatehouseProcess):
    """One `gatehouse auth` process with its own port, database, keys and outbox.

    `database`: run on this existing database instead of a fresh one (a second instance of the same
    deployment; whoever made it drops it). `postgres_url`: make the fresh PostgreSQL database there.
    """

    def __init__(self, binary: Path, workdir: Path, backend: str, extra_env: dict[str, str] | None = None,
                 keys_dir: Path | None = None, *, database: Database | None = None,
                 postgres_url: str | None = None):
        super().__init__("auth", workdir, overrides=extra_env, binary=binary, log_path=workdir / "server.log")
        self._owns_db = database is None
        self.db = database or Database(backend, workdir, postgres_url)
        self.keys_dir = keys_dir or (workdir / "keys")
        self.outbox = Outbox(workdir / "outbox")
        self.settings.update({
            "GATEHOUSE_AUTH_URL": self.public_url,            # the token issuer
            "GATEHOUSE_SPA_URL": SPA_URL,
            "GATEHOUSE_RESOURCE_URL": RESOURCE_URL,
            "GATEHOUSE_DATABASE_URL": self.db.url,
            "GATEHOUSE_RESOURCE_DATABASE_URL": f"sqlite://{self.workdir / 'resource.sqlite'}",
            "GATEHOUSE_KEYS_DIR": str(self.keys_dir),
            "GATEHOUSE_OUTBOX_DIR": str(self.outbox.dir),
            "GATEHOUSE_COOKIE_SECURE": "true",
        })

    def close(self) -> None:
        self.stop()
        if not self._owns_db:
            return
        try:
            self.db.drop()
        except Exception:
            pass
