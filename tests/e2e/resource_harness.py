"""A real `gatehouse resource` process next to an Auth Server from the harness, sharing its settings
(issuer, audience URLs) but with its own port and database."""

from __future__ import annotations

import subprocess
import time

import requests

from harness import Server, free_port, stop_process_group


class ResourceProcess:
    def __init__(self, auth: Server):
        self.auth = auth
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = auth.workdir / f"resource-{self.port}.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> "ResourceProcess":
        env = self.auth.env()
        env["GATEHOUSE_RESOURCE_PORT"] = str(self.port)
        env["GATEHOUSE_RESOURCE_DATABASE_URL"] = f"sqlite://{self.auth.workdir / f'resource-{self.port}.sqlite'}"
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([str(self.auth.binary), "resource"], env=env, cwd=self.auth.workdir,
                                     stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"gatehouse resource exited:\n{self.log_path.read_text()[-3000:]}"
            try:
                if requests.get(self.base + "/actuator/health", timeout=2).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise AssertionError("gatehouse resource not healthy within 60 s")

    def stop(self) -> None:
        stop_process_group(self.proc)
        self.proc = None

    def call(self, method: str, path: str, browser=None, csrf: str | None = None, json=None) -> requests.Response:
        """Call the API as `browser` would: only its access-token cookie (the refresh cookie is
        scoped to /auth and never reaches the Resource Server), plus a CSRF header when given."""
        headers = {"Accept": "application/json", "Origin": "http://localhost:5173"}
        token = browser.cookie("access_token") if browser else None
        if token:
            headers["Cookie"] = f"access_token={token}"
        if csrf:
            headers["X-CSRF-TOKEN"] = csrf
        return requests.request(method, self.base + path, headers=headers, json=json, timeout=10)
