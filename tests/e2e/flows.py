"""Multi-step flows the tests share: registering, confirming and logging in users."""

from __future__ import annotations

import secrets
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests

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


def make_users_on(server: Server, *specs: dict) -> list[User]:
    """One user per spec (`make_user_on`'s keyword arguments), made concurrently: most of the time
    of each is waiting for its confirmation mail."""
    with ThreadPoolExecutor(max_workers=max(1, len(specs))) as pool:
        return list(pool.map(lambda spec: make_user_on(server, **spec), specs))


# --- administration ---------------------------------------------------------------------------


def console(server: Server, *args: str, expect: int = 0):
    """Run `gatehouse <args>` on `server`'s database and keys (its environment); fail unless it
    exits with `expect`."""
    r = server.cli(*args)
    assert r.returncode == expect, (f"`gatehouse {' '.join(args)}` exited {r.returncode}, expected {expect}\n"
                                    f"--- stdout ---\n{r.stdout}\n--- stderr ---\n{r.stderr}")
    return r


def change_roles(server: Server, email: str, add: tuple[str, ...] = (), remove: tuple[str, ...] = ()):
    """`gatehouse users roles EMAIL --add ... --remove ...`, which must succeed."""
    args = ["users", "roles", email]
    for role in add:
        args += ["--add", role]
    for role in remove:
        args += ["--remove", role]
    return console(server, *args)


def make_admin_on(server: Server, **kw) -> User:
    """A verified account made an administrator at the console, as the first one is."""
    kw.setdefault("prefix", "admin")
    user = make_user_on(server, **kw)
    out = change_roles(server, user.email, add=("admin",)).stdout
    assert "admin" in out, out
    return user


# --- federation -------------------------------------------------------------------------------


def federated_sign_in(browser: Browser, sub: str, provider: str = "google"):
    """Start at the Auth Server, consent at the (local) provider as `sub`, come back; returns the
    Auth Server's final redirect to the SPA."""
    start = browser.get(f"/oauth2/authorization/{provider}", origin=None)
    assert start.status_code == 302, describe(start)
    consent = requests.post(start.headers["Location"], data={"sub": sub}, allow_redirects=False, timeout=10)
    assert consent.status_code in (302, 303), consent.text
    back = urlsplit(consent.headers["Location"])
    return browser.get(back.path + "?" + back.query, origin=None)
