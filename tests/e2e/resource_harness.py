"""A real `gatehouse resource` process next to an Auth Server from the harness, sharing its settings
(issuer, audience URLs) but with its own port and database."""

from __future__ import annotations

import requests

from harness import Server
from support.processes import GatehouseProcess, free_port


class ResourceProcess(GatehouseProcess):
    def __init__(self, auth: Server):
        port = free_port()
        super().__init__("resource", auth.workdir,
                         {"GATEHOUSE_RESOURCE_DATABASE_URL": f"sqlite://{auth.workdir / f'resource-{port}.sqlite'}"},
                         port=port, binary=auth.binary, log_path=auth.workdir / f"resource-{port}.log")
        self.auth = auth

    def configured(self) -> dict[str, str]:
        """The Auth Server's settings (read at every start), with this process's port and database."""
        return {**self.auth.configured(), **super().configured()}

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
