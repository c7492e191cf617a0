"""The processes the Python suites start: `GatehouseProcess` (one `gatehouse <role>` process, role
auth, resource or web) on `ChildProcess` (start in its own session, log to a file, wait until a URL
answers 200, stop with its children), which also serves the local OpenID provider (`support.oidc`).

Nothing here knows how the server is built; it only uses what the wire contract promises
(the `auth`, `resource`, `web` and `keys rotate` subcommands, `GATEHOUSE_*` environment variables,
`/actuator/health`).
"""

from __future__ import annotations

import errno
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import requests

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_BIN = REPO_ROOT / ".build" / "debug" / "gatehouse"
HEALTH_TIMEOUT = 60.0
# How long to keep retrying when the binary cannot be executed because it is being relinked.
RELINK_TIMEOUT = 120.0

# The contract's defaults of the settings the tests reason about
# (Sources/AuthServer/App/AuthServerConfiguration.swift), in seconds.
DEFAULT_SETTINGS: dict[str, int] = {
    "GATEHOUSE_ACCESS_TOKEN_TTL": 900,            # 15 minutes
    "GATEHOUSE_REFRESH_TOKEN_TTL": 1_209_600,     # 14 days
    "GATEHOUSE_SESSION_MAX_AGE": 2_592_000,       # 30 days
    "GATEHOUSE_CLOCK_LEEWAY": 30,
    "GATEHOUSE_REFRESH_GRACE": 5,
}

ROLES = ("auth", "resource", "web")
PORT_SETTINGS = {"auth": "GATEHOUSE_AUTH_PORT", "resource": "GATEHOUSE_RESOURCE_PORT", "web": "GATEHOUSE_WEB_PORT"}
HEALTH_PATHS = {"auth": "/actuator/health", "resource": "/actuator/health", "web": "/"}


def gatehouse_bin() -> Path:
    """The executable under test: $GATEHOUSE_BIN, or the debug build."""
    return Path(os.environ.get("GATEHOUSE_BIN") or DEFAULT_BIN)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_ports(n: int) -> list[int]:
    """`n` different free ports."""
    ports: list[int] = []
    while len(ports) < n:
        p = free_port()
        if p not in ports:
            ports.append(p)
    return ports


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


def wait_until_port_is_free(port: int, timeout: float = 5.0) -> None:
    """Gives the kernel a moment to release a port a stopped server listened on."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind(("127.0.0.1", port))
            return
        except OSError:
            time.sleep(0.1)


class ChildProcess:
    """A process started in its own session (stopped with its children), its output appended to
    `log_path`, and healthy when `health_url` answers 200. Subclasses say what to run."""

    def __init__(self, name: str, workdir: Path, log_path: Path, health_url: str):
        self.name = name
        self.workdir = workdir
        self.log_path = log_path
        self.health_url = health_url
        self.proc: subprocess.Popen | None = None
        self._log_file = None
        self.starts = 0

    def command(self) -> list[str]:
        raise NotImplementedError

    def env(self) -> dict[str, str] | None:
        """The environment to start with (None: this process's own)."""
        return None

    # lifecycle ------------------------------------------------------------------------------

    def start(self, timeout: float = HEALTH_TIMEOUT):
        """Starts the process and waits (at most `timeout` seconds) until it is healthy."""
        self.spawn()
        self.wait_healthy(timeout)
        return self

    def spawn(self) -> None:
        self._log_file = open(self.log_path, "ab")
        if self.starts:  # a restart: mark where the new run's output begins
            self._log_file.write(f"\n===== start #{self.starts + 1} =====\n".encode())
            self._log_file.flush()
        deadline = time.monotonic() + RELINK_TIMEOUT
        while True:
            try:
                self.proc = subprocess.Popen(self.command(), env=self.env(), cwd=self.workdir,
                                             stdout=self._log_file, stderr=subprocess.STDOUT,
                                             stdin=subprocess.DEVNULL, start_new_session=True)
                break
            except OSError as e:
                # ETXTBSY / ENOENT: the binary is being relinked right now; wait for the build.
                if e.errno not in (errno.ETXTBSY, errno.ENOENT) or time.monotonic() > deadline:
                    raise
                time.sleep(1)
        self.starts += 1

    def wait_healthy(self, timeout: float = HEALTH_TIMEOUT) -> None:
        """Polls `health_url` until it answers 200; stops the process and fails with its log if it
        exits first or is not healthy within `timeout` seconds."""
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.name} exited with {self.proc.returncode} before "
                                     f"becoming healthy.\n--- log ---\n{self.log_tail(60)}")
            try:
                r = requests.get(self.health_url, timeout=2)
                if r.status_code == 200:
                    return
                last = f"{r.status_code} {r.text[:200]}"
            except requests.RequestException as e:
                last = type(e).__name__
            time.sleep(0.1)
        self.stop()
        raise AssertionError(f"{self.name} not healthy at {self.health_url} within {timeout:.0f}s "
                             f"(last: {last})\n--- log ---\n{self.log_tail(60)}")

    def stop(self) -> None:
        stop_process_group(self.proc)
        self.proc = None
        if self._log_file:
            self._log_file.close()
            self._log_file = None

    # logs -----------------------------------------------------------------------------------

    def log_tail(self, lines: int = 40) -> str:
        return log_tail(self.log_path, lines)

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""


def _seconds(name: str) -> property:
    """A read-only property: the setting `name` of a GatehouseProcess, as configured or by default."""
    return property(lambda self: self.setting(name), doc=f"{name} in seconds (default {DEFAULT_SETTINGS[name]})")


class GatehouseProcess(ChildProcess):
    """One `gatehouse <role>` process (role: auth, resource or web) with its own port and log.

    Its environment is the test run's own minus every inherited `GATEHOUSE_*` variable, plus
    `settings` (the `GATEHOUSE_*` variables it is configured with), its own port variable and
    `env_overrides` (a test's changes, read again at every start).
    """

    def __init__(self, role: str, workdir: Path, settings: dict[str, object] | None = None, *,
                 overrides: dict[str, object] | None = None, port: int | None = None,
                 binary: Path | None = None, log_path: Path | None = None, args: tuple[str, ...] = ()):
        if role not in ROLES:
            raise ValueError(f"unknown gatehouse role {role!r}; one of {ROLES}")
        workdir.mkdir(parents=True, exist_ok=True)
        self.role = role
        self.binary = Path(binary or gatehouse_bin())
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"          # where the tests connect
        self.public_url = f"http://localhost:{self.port}"    # what the servers and browsers are told
        self.settings = {k: str(v) for k, v in (settings or {}).items()}
        self.env_overrides = {k: str(v) for k, v in (overrides or {}).items()}
        self.args = list(args)
        super().__init__(f"gatehouse {role}", workdir, log_path or workdir / f"{role}.log",
                         self.base + HEALTH_PATHS[role])

    # configuration --------------------------------------------------------------------------

    def configured(self) -> dict[str, str]:
        """The `GATEHOUSE_*` variables this process starts with."""
        return {PORT_SETTINGS[self.role]: str(self.port), **self.settings, **self.env_overrides}

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("GATEHOUSE_")}
        env.update(self.configured())
        return env

    def setting(self, name: str, default: int | None = None) -> int:
        """A numeric setting as configured, else `default`, else the contract's default."""
        value = self.configured().get(name)
        if value is not None:
            return int(value)
        return default if default is not None else DEFAULT_SETTINGS[name]

    access_ttl = _seconds("GATEHOUSE_ACCESS_TOKEN_TTL")
    refresh_ttl = _seconds("GATEHOUSE_REFRESH_TOKEN_TTL")
    session_max_age = _seconds("GATEHOUSE_SESSION_MAX_AGE")
    leeway = _seconds("GATEHOUSE_CLOCK_LEEWAY")
    grace = _seconds("GATEHOUSE_REFRESH_GRACE")

    # lifecycle ------------------------------------------------------------------------------

    def command(self) -> list[str]:
        return [str(self.binary), self.role, *self.args]

    def start(self, timeout: float = HEALTH_TIMEOUT):
        if not self.binary.exists():
            raise AssertionError(
                f"gatehouse binary not found at {self.binary}. Build it (swift build) or point "
                f"GATEHOUSE_BIN at it.")
        return super().start(timeout)

    def restart(self) -> None:
        """Stop and start again on the same port, with the same settings and files."""
        self.stop()
        wait_until_port_is_free(self.port)
        self.start()

    def cli(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        """Run another subcommand (`keys rotate`) with this process's environment."""
        return subprocess.run([str(self.binary), *args], env=self.env(), cwd=self.workdir,
                              capture_output=True, text=True, timeout=timeout)

    # addresses and reports ------------------------------------------------------------------

    def url(self, path: str) -> str:
        return self.base + path

    def public(self, path: str) -> str:
        return self.public_url + path

    def report_sections(self, item=None, lines: int = 30) -> list[tuple[str, str]]:
        """What a failed test's report shows of this process (see support.plugin)."""
        return [(f"gatehouse {self.role} log (port {self.port}, last {lines} lines)", self.log_tail(lines))]
