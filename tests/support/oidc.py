"""A local OpenID provider standing in for Google, for the federated-login tests of both suites."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import requests

from support.processes import ChildProcess, free_port


class OidcProvider(ChildProcess):
    """A local OpenID provider (`oidc-provider-mock`) standing in for Google, on a free port of
    `localhost` (the issuer). People are made with `PUT /users/{sub}`; its authorization page is a
    form where one types a subject and presses Authorize, or presses Deny."""

    def __init__(self, workdir: Path):
        self.port = free_port()
        self.issuer = f"http://localhost:{self.port}"
        super().__init__("oidc-provider-mock", workdir, workdir / "oidc-provider.log",
                         self.issuer + "/.well-known/openid-configuration")

    def command(self) -> list[str]:
        return [sys.executable, "-m", "oidc_provider_mock", "--port", str(self.port), "--host", "127.0.0.1"]

    def person(self, **claims) -> str:
        """A person at the provider with these ID-token claims; returns their subject."""
        sub = f"sub-{time.time_ns()}"
        r = requests.put(f"{self.issuer}/users/{sub}", json=claims, timeout=5)
        assert r.status_code == 204, f"PUT /users/{sub}: {r.status_code} {r.text}"
        return sub

    def google_env(self) -> dict[str, str]:
        """The Auth Server settings that make this provider "Google"."""
        return {"GATEHOUSE_GOOGLE_CLIENT_ID": "gatehouse-test", "GATEHOUSE_GOOGLE_CLIENT_SECRET": "s3cret",
                "GATEHOUSE_GOOGLE_ISSUER": self.issuer}
