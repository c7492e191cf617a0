"""Multi-step flows the tests share: registering, confirming and logging in users."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

from browser import Browser, describe
from harness import Server


@dataclass
class User:
    email: str
    password: str
    first_name: str
    last_name: str
    confirm_link: str | None = None


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}-{secrets.token_hex(5)}@example.com"


def strong_password() -> str:
    return "Gh-" + secrets.token_urlsafe(15)


def registration(email: str, password: str, **over) -> dict:
    body = {"email": email, "password": password, "firstName": "Ada", "lastName": "Lovelace",
            "organization": "Analytical Engines", "acceptTerms": True, "marketingOptIn": False}
    body.update(over)
    return {k: v for k, v in body.items() if v is not ...}


def register(server: Server, email: str, password: str, **over):
    b = Browser(server, "registrar")
    return b.post_anon("/auth/register", json=registration(email, password, **over))


def confirmation_link(server: Server, email: str, timeout: float = 15.0) -> str:
    mail = server.outbox.wait_for(email, containing="/auth/confirm-account", timeout=timeout)
    link = mail.link_containing("/auth/confirm-account")
    assert link, f"no confirmation link in mail {mail.path}:\n{mail.text}"
    return link


def follow(browser: Browser, link: str):
    """Open a link from a mail in the browser (a top-level navigation: no Origin header)."""
    parts = urlsplit(link)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return browser.get(path, origin=None)


def make_user_on(server: Server, *, verified: bool = True, password: str | None = None,
                 prefix: str = "user", first: str = "Ada", last: str = "Lovelace") -> User:
    email = unique_email(prefix)
    password = password or strong_password()
    r = register(server, email, password, firstName=first, lastName=last)
    assert r.status_code == 202, describe(r)
    link = confirmation_link(server, email)
    if verified:
        r = follow(Browser(server, "mail-client"), link)
        assert r.status_code in (302, 303), describe(r)  # exact code checked in test_registration
        assert "status=success" in r.headers.get("Location", ""), describe(r)
    return User(email, password, first, last, link)
