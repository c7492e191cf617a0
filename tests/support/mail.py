"""The mail a Gatehouse Auth Server writes as `.eml` files to GATEHOUSE_OUTBOX_DIR (when no SMTP
server is configured), parsed into recipients, subject, text, HTML and links."""

from __future__ import annotations

import email
import email.policy
import email.utils
import html
import re
import time
from dataclasses import dataclass, field
from pathlib import Path


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
