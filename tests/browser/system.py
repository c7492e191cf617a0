"""The whole of Gatehouse as a browser sees it: three real processes (`gatehouse auth`,
`gatehouse resource`, `gatehouse web`) sharing one environment, on free ports of `localhost`.

Every URL handed to the servers and to the browser uses `localhost`, never 127.0.0.1: the SPA, the
Auth Server and the Resource Server must be the same *site* (ports do not count), or the
`SameSite=Lax` cookies would not travel with the SPA's `fetch` calls.

Each process is a `GatehouseProcess` and mail is read from the `.eml` files in the outbox with
`Outbox`, both from tests/support (shared with the end-to-end suite).
"""

from __future__ import annotations

import time
import urllib.parse
from pathlib import Path

import requests

from support.mail import Outbox
from support.processes import HEALTH_TIMEOUT, REPO_ROOT, GatehouseProcess, free_ports, gatehouse_bin

WEB_ROOT = REPO_ROOT / "web" / "dist"
# All three processes must be healthy within this many seconds of the start.
START_TIMEOUT = HEALTH_TIMEOUT


class System:
    """Auth Server, Resource Server and the SPA's web server, started together."""

    def __init__(self, workdir: Path, extra_env: dict[str, object] | None = None,
                 binary: Path | None = None, web_root: Path = WEB_ROOT):
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.binary = binary or gatehouse_bin()
        self.auth_port, self.resource_port, self.web_port = free_ports(3)
        self.auth_url = f"http://localhost:{self.auth_port}"
        self.resource_url = f"http://localhost:{self.resource_port}"
        self.spa_url = f"http://localhost:{self.web_port}"
        self.outbox = Outbox(workdir / "outbox")
        self.extra_env = {k: str(v) for k, v in (extra_env or {}).items()}
        # The settings all three share (each process adds its own port variable too).
        self.settings = {
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
        }
        ports = {"auth": self.auth_port, "resource": self.resource_port, "web": self.web_port}
        # The Auth Server first: it makes the signing keys the Resource Server fetches.
        self.processes = [
            GatehouseProcess(role, workdir, self.settings, overrides=self.extra_env, port=port, binary=self.binary,
                             args=("--log", "error"))
            for role, port in ports.items()
        ]
        self.auth, self.resource, self.web = self.processes

    # lifecycle ------------------------------------------------------------------------------

    def start(self) -> "System":
        try:
            deadline = time.monotonic() + START_TIMEOUT
            for p in self.processes:
                p.start(timeout=max(0.0, deadline - time.monotonic()))
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        for p in reversed(self.processes):
            p.stop()

    def log_tails(self, lines: int = 30) -> list[tuple[str, str]]:
        return [section for p in self.processes for section in p.report_sections(lines=lines)]

    def report_sections(self, item=None) -> list[tuple[str, str]]:
        """What a failed test's report shows of the system (see support.plugin): the three logs."""
        return self.log_tails()

    # configuration --------------------------------------------------------------------------

    @property
    def access_ttl(self) -> int:
        return self.auth.access_ttl

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
