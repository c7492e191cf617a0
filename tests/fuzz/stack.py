"""The processes the fuzz suite runs against, and the account it fuzzes as.

`Stack` starts, on free ports of 127.0.0.1 and with a fresh temporary database, keys and outbox:

- a local OpenID provider (`support.oidc.OidcProvider`) standing in for Google, so the federated
  paths reach a real discovery document;
- `DiscoveryDouble`, issuers whose discovery documents go wrong in the ways a provider's can;
- `gatehouse auth`, with the providers `google` (the local provider, working) and `down`,
  `mismatch`, `badendpoint`, `garbage` (the double's);
- `gatehouse resource`, pointed at the Auth Server's JWKS, with its own database.

`FuzzAccount` registers and confirms an account through the outbox and logs in as it (and can turn
TOTP on for it); the schemathesis hooks (`schemathesis_hooks.py`) log in again by themselves
whenever a fuzzed request ended that session.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import struct
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests

from support.mail import Outbox
from support.oidc import OidcProvider
from support.processes import GatehouseProcess, free_ports

REPO_ROOT = Path(__file__).resolve().parents[2]
AUTH_DOCUMENT = REPO_ROOT / "Sources" / "AuthServer" / "Resources" / "openapi.json"
RESOURCE_DOCUMENT = REPO_ROOT / "Sources" / "ResourceServer" / "Resources" / "openapi.json"
SPA_URL = "http://localhost:5173"
# The Auth Server trusts X-Forwarded-For from this peer only; see `Stack.auth_settings`.
TRUSTED_PROXY = "127.0.0.1"


class DiscoveryDouble:
    """Issuers whose discovery documents go wrong, at http://127.0.0.1:PORT/<name>:

    - `down`: no document (404), so the provider "cannot be reached", at once (an issuer that
      refuses connections costs each request the HTTP client's 10 s deadline, which would dominate
      the run; tests/e2e/test_federation.py covers that one);
    - `mismatch`: a document naming another issuer (OpenID Discovery §4.3: a provider error);
    - `badendpoint`: the right issuer, but an `authorization_endpoint` that is no URL;
    - `garbage`: not JSON.
    """

    def __init__(self):
        double = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                name, _, rest = self.path.lstrip("/").partition("/")
                if rest != ".well-known/openid-configuration" or name not in ("mismatch", "badendpoint", "garbage"):
                    return self.answer(404, b"not found", "text/plain")
                if name == "garbage":
                    return self.answer(200, b"<html>not json", "application/json")
                issuer = "https://elsewhere.invalid" if name == "mismatch" else double.issuer(name)
                endpoint = "http://[::1" if name == "badendpoint" else f"{double.issuer(name)}/authorize"
                document = {"issuer": issuer, "authorization_endpoint": endpoint,
                            "token_endpoint": f"{double.issuer(name)}/token", "jwks_uri": f"{double.issuer(name)}/jwks"}
                self.answer(200, json.dumps(document).encode(), "application/json")

            def answer(self, status, body, content_type):
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def issuer(self, name: str) -> str:
        return f"{self.base}/{name}"

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Stack:
    """OIDC provider + `gatehouse auth` + `gatehouse resource`, all fresh, in `workdir`."""

    def __init__(self, binary: Path, workdir: Path):
        self.workdir = workdir
        self.oidc = OidcProvider(workdir / "oidc")
        self.discovery = DiscoveryDouble()
        (workdir / "oidc").mkdir(parents=True, exist_ok=True)
        auth_port, resource_port = free_ports(2)
        self.outbox = Outbox(workdir / "outbox")
        self.auth = GatehouseProcess("auth", workdir / "auth", port=auth_port, binary=binary,
                                     log_path=workdir / "auth.log")
        self.resource = GatehouseProcess("resource", workdir / "resource", port=resource_port, binary=binary,
                                         log_path=workdir / "resource.log")
        shared = {
            "GATEHOUSE_AUTH_URL": self.auth.public_url,
            "GATEHOUSE_RESOURCE_URL": self.resource.public_url,
            "GATEHOUSE_SPA_URL": SPA_URL,
            "GATEHOUSE_AUTH_PORT": auth_port,
            "GATEHOUSE_RESOURCE_PORT": resource_port,
        }
        self.auth.settings.update({k: str(v) for k, v in {**shared, **self.auth_settings()}.items()})
        self.resource.settings.update({k: str(v) for k, v in {
            **shared,
            "GATEHOUSE_RESOURCE_DATABASE_URL": f"sqlite://{workdir / 'resource.sqlite'}",
        }.items()})

    def auth_settings(self) -> dict[str, object]:
        return {
            "GATEHOUSE_DATABASE_URL": f"sqlite://{self.workdir / 'auth.sqlite'}",
            "GATEHOUSE_KEYS_DIR": self.workdir / "keys",
            "GATEHOUSE_OUTBOX_DIR": self.outbox.dir,
            # The limits (30 registrations or mail requests per address, 10 failed logins per account
            # and address, per 15 minutes) would otherwise answer most fuzzed requests with 429 after
            # the first seconds, and the handlers behind them would go untested. Trusting X-Forwarded-
            # For from the harness's own address lets the hooks give every request a client address of
            # its own. 429 stays documented and is still reached: requests without the header count
            # against 127.0.0.1.
            "GATEHOUSE_TRUSTED_PROXIES": TRUSTED_PROXY,
            # Per-account limits cannot be dodged that way: fuzzed change-password and reauthenticate
            # calls with wrong passwords fill the fuzz account's, and the hooks must still be able to
            # sign it in again. Ten times the limits keeps them reachable (the requests from
            # 127.0.0.1 still meet them) without locking the harness out.
            "GATEHOUSE_RATE_LIMIT_SCALE": "10",
            "GATEHOUSE_GOOGLE_CLIENT_ID": "gatehouse-fuzz",
            "GATEHOUSE_GOOGLE_CLIENT_SECRET": "fuzz-secret",
            "GATEHOUSE_GOOGLE_ISSUER": self.oidc.issuer,
            "GATEHOUSE_OIDC_PROVIDERS": ",".join(self.providers[1:]),
            **{f"GATEHOUSE_OIDC_{p.upper()}_{k}": v for p in self.providers[1:] for k, v in {
                "ISSUER": self.discovery.issuer(p), "CLIENT_ID": "gatehouse-fuzz", "CLIENT_SECRET": "fuzz-secret",
            }.items()},
        }

    # `google` is the local OpenID provider; the others are issuers of `DiscoveryDouble`.
    providers = ("google", "mismatch", "badendpoint", "garbage", "down")

    def start(self) -> "Stack":
        self.discovery.start()
        self.oidc.start()
        self.auth.start()
        self.resource.start()
        return self

    def stop(self) -> None:
        for process in (self.resource, self.auth, self.oidc):
            process.stop()
        self.discovery.stop()

    def processes(self) -> list:
        return [self.auth, self.resource]

    def report_sections(self, item=None, lines: int = 40) -> list[tuple[str, str]]:
        return [section for p in (self.auth, self.resource) for section in p.report_sections(item, lines)]


def client_address() -> str:
    """A random client address for X-Forwarded-For, in 198.18.0.0/15 (RFC 2544, benchmarking): only
    ever a header value, never a destination."""
    return f"198.{18 + secrets.randbelow(2)}.{secrets.randbelow(256)}.{1 + secrets.randbelow(254)}"


@dataclass
class Session:
    access_token: str
    refresh_token: str
    csrf_token: str


class FuzzAccount:
    """A confirmed account on the stack's Auth Server, made through the API and the outbox."""

    def __init__(self, stack: Stack, prefix: str = "fuzz"):
        self.stack = stack
        self.email = f"{prefix}-{secrets.token_hex(5)}@example.com"
        self.password = "Fz-" + secrets.token_urlsafe(18)
        self.device: str | None = None

    def anonymous_csrf(self) -> str:
        r = requests.get(self.stack.auth.url("/auth/csrf"), timeout=10)
        r.raise_for_status()
        return r.json()["csrfToken"]

    def register(self) -> "FuzzAccount":
        r = requests.post(self.stack.auth.url("/auth/register"), timeout=30, json={
            "email": self.email, "password": self.password, "firstName": "Fuzz", "lastName": "Account",
            "acceptTerms": True,
        }, headers={"X-CSRF-TOKEN": self.anonymous_csrf(), "X-Forwarded-For": client_address()})
        assert r.status_code == 202, f"register: {r.status_code} {r.text}"
        mail = self.stack.outbox.wait_for(self.email, containing="/auth/confirm-account", timeout=20)
        link = mail.link_containing("/auth/confirm-account")
        path = link.split("://", 1)[1].split("/", 1)[1]
        r = requests.get(self.stack.auth.url("/" + path), allow_redirects=False, timeout=10)
        assert r.status_code == 302 and "status=success" in r.headers.get("Location", ""), \
            f"confirm: {r.status_code} {r.headers}"
        return self

    def login(self) -> Session:
        """Logs in (with the known-device cookie of the last login, which spares the account the
        per-account throttle that fuzzed wrong passwords fill up) and returns the session."""
        cookies = {"gatehouse_device": self.device} if self.device else {}
        r = requests.post(self.stack.auth.url("/auth/login"), json={"email": self.email, "password": self.password},
                          cookies=cookies, headers={"X-CSRF-TOKEN": self.anonymous_csrf(),
                                                    "X-Forwarded-For": client_address()}, timeout=30)
        assert r.status_code == 200 and "csrfToken" in r.json(), f"login: {r.status_code} {r.text}"
        self.device = r.cookies.get("gatehouse_device") or self.device
        return Session(access_token=r.cookies.get("access_token"), refresh_token=r.cookies.get("refresh_token"),
                       csrf_token=r.json()["csrfToken"])

    def enable_totp(self) -> "FuzzAccount":
        """Turns TOTP on (right after a login, which counts as recent authentication)."""
        session = self.login()
        cookies = {"access_token": session.access_token, "refresh_token": session.refresh_token}
        headers = {"X-CSRF-TOKEN": session.csrf_token}
        r = requests.post(self.stack.auth.url("/auth/mfa/totp"), cookies=cookies, headers=headers, timeout=10)
        assert r.status_code == 200, f"begin TOTP: {r.status_code} {r.text}"
        self.totp_secret = r.json()["secret"]
        r = requests.post(self.stack.auth.url("/auth/mfa/totp/confirm"), json={"code": totp(self.totp_secret)},
                          cookies=cookies, headers=headers, timeout=10)
        assert r.status_code == 200, f"confirm TOTP: {r.status_code} {r.text}"
        return self


def totp(secret: str, at: float | None = None) -> str:
    """RFC 6238 (SHA-1, 6 digits, 30 s) of a base32 secret."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", int((at or time.time()) // 30)), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return f"{(struct.unpack('>I', digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}"


def write_json(path: Path, value) -> Path:
    path.write_text(json.dumps(value, indent=2))
    return path
