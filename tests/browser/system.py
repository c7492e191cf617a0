"""The whole of Gatehouse as a browser sees it: three real processes (`gatehouse auth`,
`gatehouse resource`, `gatehouse web`) sharing one environment, on free ports of `localhost`.

Every URL handed to the servers and to the browser uses `localhost`, never 127.0.0.1: the SPA, the
Auth Server and the Resource Server must be the same *site* (ports do not count), or the
`SameSite=Lax` cookies would not travel with the SPA's `fetch` calls.

Mail is read from the `.eml` files in the outbox with the end-to-end suite's `Outbox`
(tests/e2e/harness.py), imported rather than copied.
"""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import requests

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT / "tests" / "e2e"))

from harness import OidcProvider, Outbox, free_port, gatehouse_bin, log_tail, parse_mail, stop_process_group  # noqa: E402,F401

WEB_ROOT = REPO_ROOT / "web" / "dist"
START_TIMEOUT = 60.0


class Process:
    """One `gatehouse <role>` process with its own log file."""

    def __init__(self, role: str, binary: Path, env: dict[str, str], workdir: Path, health_url: str):
        self.role = role
        self.binary = binary
        self.env = env
        self.workdir = workdir
        self.health_url = health_url
        self.log_path = workdir / f"{role}.log"
        self.proc: subprocess.Popen | None = None
        self._log = None

    def start(self) -> None:
        self._log = open(self.log_path, "ab")
        deadline = time.monotonic() + 120
        while True:
            try:
                self.proc = subprocess.Popen(
                    [str(self.binary), self.role, "--log", "error"], env=self.env, cwd=self.workdir,
                    stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                    start_new_session=True)
                return
            except OSError as e:
                # The binary is being relinked right now: wait for the build to finish.
                if e.errno not in (errno.ETXTBSY, errno.ENOENT) or time.monotonic() > deadline:
                    raise
                time.sleep(1)

    def wait_ready(self, deadline: float) -> None:
        last = "no answer"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"gatehouse {self.role} exited with {self.proc.returncode} before "
                                     f"becoming ready.\n--- log ---\n{self.log_tail()}")
            try:
                r = requests.get(self.health_url, timeout=2)
                if r.status_code == 200:
                    return
                last = f"{r.status_code} {r.text[:200]}"
            except requests.RequestException as e:
                last = type(e).__name__
            time.sleep(0.1)
        raise AssertionError(f"gatehouse {self.role} not ready at {self.health_url} "
                             f"(last: {last})\n--- log ---\n{self.log_tail()}")

    def stop(self) -> None:
        stop_process_group(self.proc)
        self.proc = None
        if self._log:
            self._log.close()
            self._log = None

    def log_tail(self, lines: int = 40) -> str:
        return log_tail(self.log_path, lines)


class System:
    """Auth Server, Resource Server and the SPA's web server, started together."""

    def __init__(self, workdir: Path, extra_env: dict[str, object] | None = None,
                 binary: Path | None = None, web_root: Path = WEB_ROOT):
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.binary = binary or gatehouse_bin()
        self.auth_port, self.resource_port, self.web_port = _three_free_ports()
        self.auth_url = f"http://localhost:{self.auth_port}"
        self.resource_url = f"http://localhost:{self.resource_port}"
        self.spa_url = f"http://localhost:{self.web_port}"
        self.outbox = Outbox(workdir / "outbox")
        self.extra_env = {k: str(v) for k, v in (extra_env or {}).items()}
        env = {k: v for k, v in os.environ.items() if not k.startswith("GATEHOUSE_")}
        env.update({
            "GATEHOUSE_AUTH_URL": self.auth_url,
            "GATEHOUSE_RESOURCE_URL": self.resource_url,
            "GATEHOUSE_SPA_URL": self.spa_url,
            "GATEHOUSE_AUTH_PORT": str(self.auth_port),
            "GATEHOUSE_RESOURCE_PORT": str(self.resource_port),
            "GATEHOUSE_WEB_PORT": str(self.web_port),
            "GATEHOUSE_DATABASE_URL": f"sqlite://{workdir / 'auth.sqlite'}",
            "GATEHOUSE_RESOURCE_DATABASE_URL": f"sqlite://{workdir / 'resource.sqlite'}",
            "GATEHOUSE_KEYS_DIR": str(workdir / "keys"),
            "GATEHOUSE_OUTBOX_DIR": str(self.outbox.dir),
            "GATEHOUSE_WEB_ROOT": str(web_root),
        })
        env.update(self.extra_env)
        self.env = env
        # The Auth Server first: it makes the signing keys the Resource Server fetches.
        self.processes = [
            Process("auth", self.binary, env, workdir, f"http://127.0.0.1:{self.auth_port}/actuator/health"),
            Process("resource", self.binary, env, workdir,
                    f"http://127.0.0.1:{self.resource_port}/actuator/health"),
            Process("web", self.binary, env, workdir, f"http://127.0.0.1:{self.web_port}/"),
        ]

    # lifecycle ------------------------------------------------------------------------------

    def start(self) -> "System":
        if not self.binary.exists():
            raise AssertionError(f"gatehouse binary not found at {self.binary}; build it (swift build) "
                                 f"or set GATEHOUSE_BIN")
        try:
            deadline = time.monotonic() + START_TIMEOUT
            for p in self.processes:
                p.start()
                p.wait_ready(deadline)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        for p in reversed(self.processes):
            p.stop()

    def log_tails(self, lines: int = 30) -> list[tuple[str, str]]:
        return [(f"gatehouse {p.role} log (last {lines} lines)", p.log_tail(lines)) for p in self.processes]

    # configuration --------------------------------------------------------------------------

    @property
    def access_ttl(self) -> int:
        return int(self.extra_env.get("GATEHOUSE_ACCESS_TOKEN_TTL", 900))

    def spa(self, path: str = "/") -> str:
        return self.spa_url + path

    # accounts without the browser (for tests about something else) ---------------------------

    def register_unconfirmed(self, email: str, password: str, first: str = "Ada", last: str = "Lovelace") -> None:
        """Registers an account over HTTP, as the SPA would, and leaves the confirmation mail unopened."""
        with requests.Session() as s:
            s.headers["Origin"] = self.spa_url
            csrf = s.get(self.auth_url + "/auth/csrf", timeout=10).json()["csrfToken"]
            r = s.post(self.auth_url + "/auth/register", timeout=10, headers={"X-CSRF-TOKEN": csrf},
                       json={"email": email, "password": password, "firstName": first, "lastName": last,
                             "acceptTerms": True})
            assert r.status_code == 202, f"register: {r.status_code} {r.text}"

    def register_confirmed(self, email: str, password: str, first: str = "Ada", last: str = "Lovelace") -> None:
        """Registers and confirms an account over HTTP, as the SPA and the mail link would."""
        self.register_unconfirmed(email, password, first, last)
        with requests.Session() as s:
            link = self.confirmation_link(email)
            r = s.get(link, allow_redirects=False, timeout=10)
            assert r.status_code in (302, 303), f"confirm: {r.status_code} {r.text}"
            assert "status=success" in r.headers.get("Location", ""), r.headers.get("Location")

    def confirmation_link(self, email: str) -> str:
        mail = self.outbox.wait_for(email, containing="/auth/confirm-account")
        link = mail.link_containing("/auth/confirm-account")
        assert link, f"no confirmation link in {mail.links}"
        return link

    def reset_link(self, email: str) -> str:
        mail = self.outbox.wait_for(email, containing="reset-password")
        link = mail.link_containing("reset-password")
        assert link, f"no reset link in {mail.links}"
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)
        assert query.get("token"), f"reset link without a token: {link}"
        return link


def _three_free_ports() -> tuple[int, int, int]:
    ports: list[int] = []
    while len(ports) < 3:
        p = free_port()
        if p not in ports:
            ports.append(p)
    return ports[0], ports[1], ports[2]
