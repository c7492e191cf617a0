"""scripts/smtp_sink.py as a test fixture: a plaintext SMTP server on 127.0.0.1 that keeps every
message it accepts, with its envelope, in a folder; and a way to hold a port closed until the sink
takes it (the Auth Server's outbox then meets "connection refused" and retries)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from support.mail import parse_mail
from support.processes import REPO_ROOT, stop_process_group

SINK_SCRIPT = REPO_ROOT / "scripts" / "smtp_sink.py"


def reserve_closed_port(port: int = 0) -> socket.socket:
    """A port (`port`, or a free one) bound but not listening: connections to it are refused, and
    nobody else can take it until the socket is closed (close it just before starting the sink on
    that port)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    deadline = time.monotonic() + 5
    while True:
        try:
            s.bind(("127.0.0.1", port))
            return s
        except OSError:  # a sink just stopped: the kernel releases its port in a moment
            if time.monotonic() > deadline:
                s.close()
                raise
            time.sleep(0.05)


class SmtpSink:
    """scripts/smtp_sink.py (aiosmtpd, plaintext, no AUTH) on `port`, writing to `workdir/smtp-sink`."""

    def __init__(self, port: int, workdir: Path):
        self.port = port
        self.maildir = workdir / "smtp-sink"
        self.log_path = workdir / "smtp-sink.log"
        self.proc: subprocess.Popen | None = None
        self._log = None
        self._subjects: dict[str, str] = {}

    def start(self, timeout: float = 30.0) -> "SmtpSink":
        self.maildir.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [sys.executable, str(SINK_SCRIPT), "--port", str(self.port), "--maildir", str(self.maildir)],
            stdout=subprocess.PIPE, stderr=self._log, stdin=subprocess.DEVNULL,
            start_new_session=True, text=True)
        ready = threading.Event()

        def watch():
            for line in self.proc.stdout:
                if line.strip() == "READY":
                    ready.set()
        threading.Thread(target=watch, daemon=True).start()
        deadline = time.monotonic() + timeout
        while not ready.wait(0.1):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                err = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
                self.stop()
                raise AssertionError(f"SMTP sink did not start on port {self.port}:\n{err}")
        return self

    def stop(self) -> None:
        stop_process_group(self.proc)
        self.proc = None
        if self._log:
            self._log.close()
            self._log = None

    def deliveries(self) -> list[tuple[str, str]]:
        """(envelope recipient, subject) of every message received so far, one entry per
        recipient, in arrival order. (The sink renames the .eml into place after its .json.)"""
        out = []
        for eml in sorted(self.maildir.glob("*.eml")):
            if eml.name not in self._subjects:
                self._subjects[eml.name] = parse_mail(eml).subject
            meta = json.loads(eml.with_suffix(".json").read_text())
            out.extend((r.lower(), self._subjects[eml.name]) for r in meta["rcpt_tos"])
        return out

    def report_sections(self, item=None) -> list[tuple[str, str]]:
        """For support.plugin.watch(): the sink's log in a failed test's report."""
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            text = ""
        return [(f"SMTP sink log (port {self.port})", "\n".join(text.splitlines()[-30:]))]
