"""Process harness for the end-to-end suite: starts real `gatehouse auth` processes, gives them a
fresh database, keys and outbox directory, and reads the mail they write.

Nothing here knows how the server is built; it only uses what the wire contract promises
(environment variables, the `auth` and `keys rotate` subcommands, `.eml` files in the outbox).
"""

from __future__ import annotations

import email
import email.policy
import email.utils
import errno
import html
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import requests

SPA_URL = "http://localhost:5173"
RESOURCE_URL = "http://localhost:8080"
REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_BIN = REPO_ROOT / ".build" / "debug" / "gatehouse"
HEALTH_TIMEOUT = 60.0


def gatehouse_bin() -> Path:
    return Path(os.environ.get("GATEHOUSE_BIN") or DEFAULT_BIN)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------------------------
# Databases


class Database:
    """A fresh database for one server: a new SQLite file or a new PostgreSQL database."""

    def __init__(self, backend: str, workdir: Path):
        self.backend = backend
        self._pg_name: str | None = None
        if backend == "sqlite":
            self.url = f"sqlite://{workdir / 'gh.sqlite'}"
        elif backend == "postgres":
            base = os.environ["GATEHOUSE_TEST_POSTGRES_URL"]
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
# Mail


@dataclass
class Mail:
    path: Path
    message: email.message.EmailMessage
    to: list[str]
    subject: str
    text: str
    html: str
    links: list[str] = field(default_factory=list)

    def link_containing(self, needle: str) -> str | None:
        for link in self.links:
            if needle in link:
                return link
        return None

    @property
    def body(self) -> str:
        return self.text + "\n" + self.html


_LINK_RE = re.compile(r"https?://[^\s<>\"'()\[\]]+")
_HREF_RE = re.compile(r"""href\s*=\s*["']([^"']+)["']""", re.I)


def parse_mail(path: Path) -> Mail:
    msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    to = [addr.lower() for _, addr in email.utils.getaddresses(msg.get_all("To", []))]
    text_parts, html_parts = [], []
    for part in msg.walk():
        if part.is_multipart():
            continue
        ctype = part.get_content_type()
        if ctype == "text/plain":
            text_parts.append(part.get_content())
        elif ctype == "text/html":
            html_parts.append(part.get_content())
    text = "\n".join(text_parts)
    html_text = "\n".join(html_parts)
    links: list[str] = []
    for candidate in _LINK_RE.findall(text) + [html.unescape(h) for h in _HREF_RE.findall(html_text)] \
            + [html.unescape(u) for u in _LINK_RE.findall(html_text)]:
        candidate = candidate.rstrip(".,;:!")
        if candidate not in links:
            links.append(candidate)
    return Mail(path=path, message=msg, to=to, subject=str(msg.get("Subject", "")), text=text,
                html=html_text, links=links)


class Outbox:
    """The `.eml` files a server writes to GATEHOUSE_OUTBOX_DIR. Each mail is handed out once."""

    def __init__(self, directory: Path):
        self.dir = directory
        self._taken: set[str] = set()

    def _files(self) -> list[Path]:
        if not self.dir.exists():
            return []
        files = [p for p in self.dir.rglob("*.eml") if p.is_file()]
        return sorted(files, key=lambda p: (p.stat().st_mtime_ns, p.name))

    def all_for(self, address: str) -> list[Mail]:
        out = []
        for p in self._files():
            try:
                m = parse_mail(p)
            except Exception:
                continue
            if address.lower() in m.to:
                out.append(m)
        return out

    def new_for(self, address: str) -> list[Mail]:
        return [m for m in self.all_for(address) if str(m.path) not in self._taken]

    def wait_for(self, address: str, *, containing: str | None = None, timeout: float = 15.0) -> Mail:
        """The next not-yet-taken mail to `address` (whose links or body contain `containing`)."""
        deadline = time.monotonic() + timeout
        while True:
            for m in self.new_for(address):
                if containing is None or containing in m.body or m.link_containing(containing):
                    self._taken.add(str(m.path))
                    return m
            if time.monotonic() > deadline:
                seen = [(m.path.name, m.subject) for m in self.all_for(address)]
                raise AssertionError(
                    f"no new mail to {address}"
                    + (f" containing {containing!r}" if containing else "")
                    + f" within {timeout}s in {self.dir}; mails to that address so far: {seen}")
            time.sleep(0.1)

    def take_all(self, address: str) -> list[Mail]:
        mails = self.new_for(address)
        for m in mails:
            self._taken.add(str(m.path))
        return mails


# --------------------------------------------------------------------------------------------
# Server process


def log_tail(path: Path, lines: int = 40) -> str:
    """The last `lines` lines of a process log, for failure messages."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"


def stop_process_group(proc: subprocess.Popen | None) -> None:
    """SIGTERM a process started with `start_new_session=True` and its group; SIGKILL after 10 s."""
    if not proc or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=10)


class Server:
    """One `gatehouse auth` process with its own port, database, keys and outbox."""

    def __init__(self, binary: Path, workdir: Path, backend: str, extra_env: dict[str, str] | None = None,
                 keys_dir: Path | None = None):
        self.binary = binary
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"          # where we connect
        self.public_url = f"http://localhost:{self.port}"    # GATEHOUSE_AUTH_URL, the token issuer
        self.db = Database(backend, workdir)
        self.keys_dir = keys_dir or (workdir / "keys")
        self.outbox = Outbox(workdir / "outbox")
        self.log_path = workdir / "server.log"
        self.env_overrides = {k: str(v) for k, v in (extra_env or {}).items()}
        self.proc: subprocess.Popen | None = None
        self._log_file = None
        self.starts = 0

    # configuration --------------------------------------------------------------------------

    def setting(self, name: str, default: int) -> int:
        return int(self.env_overrides.get(name, default))

    @property
    def access_ttl(self) -> int:
        return self.setting("GATEHOUSE_ACCESS_TOKEN_TTL", 900)

    @property
    def refresh_ttl(self) -> int:
        return self.setting("GATEHOUSE_REFRESH_TOKEN_TTL", 1209600)

    @property
    def session_max_age(self) -> int:
        return self.setting("GATEHOUSE_SESSION_MAX_AGE", 2592000)

    @property
    def leeway(self) -> int:
        return self.setting("GATEHOUSE_CLOCK_LEEWAY", 30)

    @property
    def grace(self) -> int:
        return self.setting("GATEHOUSE_REFRESH_GRACE", 5)

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("GATEHOUSE_")}
        env.update({
            "GATEHOUSE_AUTH_PORT": str(self.port),
            "GATEHOUSE_AUTH_URL": self.public_url,
            "GATEHOUSE_SPA_URL": SPA_URL,
            "GATEHOUSE_RESOURCE_URL": RESOURCE_URL,
            "GATEHOUSE_DATABASE_URL": self.db.url,
            "GATEHOUSE_RESOURCE_DATABASE_URL": f"sqlite://{self.workdir / 'resource.sqlite'}",
            "GATEHOUSE_KEYS_DIR": str(self.keys_dir),
            "GATEHOUSE_OUTBOX_DIR": str(self.outbox.dir),
            "GATEHOUSE_COOKIE_SECURE": "true",
        })
        env.update(self.env_overrides)
        return env

    # lifecycle ------------------------------------------------------------------------------

    def start(self) -> "Server":
        if not self.binary.exists():
            raise AssertionError(
                f"gatehouse binary not found at {self.binary}. Build it (swift build) or point "
                f"GATEHOUSE_BIN at it.")
        self._log_file = open(self.log_path, "ab")
        self._log_file.write(f"\n===== start #{self.starts + 1} =====\n".encode())
        self._log_file.flush()
        deadline = time.monotonic() + 120
        while True:
            try:
                self.proc = subprocess.Popen([str(self.binary), "auth"], env=self.env(), cwd=self.workdir,
                                             stdout=self._log_file, stderr=subprocess.STDOUT,
                                             stdin=subprocess.DEVNULL, start_new_session=True)
                break
            except OSError as e:
                # ETXTBSY / ENOENT: the binary is being relinked right now; wait for the build.
                if e.errno not in (errno.ETXTBSY, errno.ENOENT) or time.monotonic() > deadline:
                    raise
                time.sleep(1)
        self.starts += 1
        self.wait_healthy()
        return self

    def wait_healthy(self, timeout: float = HEALTH_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"gatehouse auth exited with {self.proc.returncode} before "
                                     f"becoming healthy.\n--- log ---\n{self.log_tail(60)}")
            try:
                r = requests.get(self.base + "/actuator/health", timeout=2)
                if r.status_code == 200:
                    return
                last = f"{r.status_code} {r.text[:200]}"
            except requests.RequestException as e:
                last = type(e).__name__
            time.sleep(0.1)
        self.stop()
        raise AssertionError(f"gatehouse auth not healthy within {timeout}s (last: {last})\n"
                             f"--- log ---\n{self.log_tail(60)}")

    def stop(self) -> None:
        stop_process_group(self.proc)
        self.proc = None
        if self._log_file:
            self._log_file.close()
            self._log_file = None

    def restart(self) -> None:
        """Stop and start again on the same port, database, keys and outbox."""
        self.stop()
        # Give the kernel a moment to release the port.
        for _ in range(50):
            try:
                with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                    s.bind(("127.0.0.1", self.port))
                break
            except OSError:
                time.sleep(0.1)
        self.start()

    def close(self) -> None:
        self.stop()
        try:
            self.db.drop()
        except Exception:
            pass

    def cli(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        """Run another subcommand (`keys rotate`) with this server's environment."""
        return subprocess.run([str(self.binary), *args], env=self.env(), cwd=self.workdir,
                              capture_output=True, text=True, timeout=timeout)

    def log_tail(self, lines: int = 40) -> str:
        return log_tail(self.log_path, lines)

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def url(self, path: str) -> str:
        return self.base + path

    def public(self, path: str) -> str:
        return self.public_url + path


class OidcProvider:
    """A local OpenID provider (`oidc-provider-mock`) standing in for Google, on a free port of
    `localhost` (the issuer). People are made with `PUT /users/{sub}`; its authorization page is a
    form where one types a subject and presses Authorize, or presses Deny."""

    def __init__(self, workdir: Path):
        self.port = free_port()
        self.issuer = f"http://localhost:{self.port}"
        self.log_path = workdir / "oidc-provider.log"
        self.proc: subprocess.Popen | None = None
        self._log = None

    def start(self) -> "OidcProvider":
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "oidc_provider_mock", "--port", str(self.port), "--host", "127.0.0.1"],
            stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + HEALTH_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"oidc-provider-mock exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                if requests.get(self.issuer + "/.well-known/openid-configuration", timeout=2).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.stop()
        raise AssertionError(f"oidc-provider-mock not ready at {self.issuer}\n{self.log_tail()}")

    def stop(self) -> None:
        stop_process_group(self.proc)
        self.proc = None
        if self._log:
            self._log.close()
            self._log = None

    def log_tail(self, lines: int = 30) -> str:
        return log_tail(self.log_path, lines)

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
