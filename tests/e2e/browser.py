"""A simulated browser tab talking to the Auth Server the way the SPA does.

The server runs on plain http://localhost but sets `Secure` cookies; like a browser treating
localhost as a secure context, this client keeps them itself: it parses every `Set-Cookie`
header, honours `Path`, `Max-Age` and `Expires`, and sends a `Cookie` header explicitly (the
`refresh_token` cookie, with `Path=/auth`, only reaches paths under /auth). The CSRF token lives in
memory, as in the SPA.
"""

from __future__ import annotations

import copy
import email.utils
import http.cookiejar
import itertools
import json as jsonlib
import time
from dataclasses import dataclass, field

import requests
import requests.adapters

from harness import SPA_URL, Server

_DEFAULT = object()
_counter = itertools.count(1)


@dataclass
class SetCookie:
    """One parsed `Set-Cookie` header, attributes kept as sent (names lower-cased)."""

    raw: str
    name: str
    value: str
    attrs: dict[str, str | None] = field(default_factory=dict)

    @classmethod
    def parse(cls, header: str) -> "SetCookie":
        parts = header.split(";")
        name, _, value = parts[0].strip().partition("=")
        attrs: dict[str, str | None] = {}
        for p in parts[1:]:
            p = p.strip()
            if not p:
                continue
            k, eq, v = p.partition("=")
            attrs[k.strip().lower()] = v.strip() if eq else None
        return cls(raw=header, name=name.strip(), value=value.strip(), attrs=attrs)

    def has(self, flag: str) -> bool:
        return flag.lower() in self.attrs

    def attr(self, name: str) -> str | None:
        return self.attrs.get(name.lower())

    @property
    def path(self) -> str | None:
        return self.attr("path")

    @property
    def max_age(self) -> int | None:
        v = self.attr("max-age")
        return int(v) if v is not None else None

    @property
    def expires_at(self) -> float | None:
        """Absolute expiry (epoch seconds) as a browser computes it; None for a session cookie."""
        if self.max_age is not None:
            return time.time() + self.max_age
        exp = self.attr("expires")
        if exp:
            try:
                return email.utils.parsedate_to_datetime(exp).timestamp()
            except (TypeError, ValueError):
                return None
        return None

    @property
    def clears(self) -> bool:
        exp = self.expires_at
        return exp is not None and exp <= time.time()


@dataclass
class StoredCookie:
    name: str
    value: str
    path: str
    expires_at: float | None


def _default_path(request_path: str) -> str:
    if not request_path.startswith("/") or request_path.count("/") <= 1:
        return "/"
    return request_path[: request_path.rfind("/")]


def path_matches(request_path: str, cookie_path: str) -> bool:
    """RFC 6265 §5.1.4 path-match."""
    if request_path == cookie_path:
        return True
    if request_path.startswith(cookie_path):
        return cookie_path.endswith("/") or request_path[len(cookie_path)] == "/"
    return False


class _RejectAll(http.cookiejar.DefaultCookiePolicy):
    def set_ok(self, cookie, request):  # noqa: D401 - requests' own jar must stay empty
        return False

    def return_ok(self, cookie, request):
        return False


class _SourceAddressAdapter(requests.adapters.HTTPAdapter):
    """Connects from a chosen local address, so one test machine can look like many clients."""

    def __init__(self, source: str, **kwargs):
        self.source = source
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.source, 0)
        super().init_poolmanager(*args, **kwargs)


class Browser:
    """One browser profile (cookie jar + the SPA's in-memory CSRF token)."""

    def __init__(self, server: Server, name: str | None = None, user_agent: str | None = None,
                 origin: str | None = SPA_URL, source: str | None = None):
        """`source`: a loopback address (127.0.0.2, ...) to connect from, to look like another client."""
        self.server = server
        self.name = name or f"browser-{next(_counter)}"
        self.user_agent = user_agent or (
            f"Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0 GatehouseE2E/{self.name}")
        self.origin = origin
        self.cookies: dict[tuple[str, str], StoredCookie] = {}
        self.csrf: str | None = None
        self.http = requests.Session()
        self.http.cookies.set_policy(_RejectAll())
        if source:
            self.http.mount("http://", _SourceAddressAdapter(source))
        self.last: requests.Response | None = None

    # cookies ---------------------------------------------------------------------------------

    def _store(self, sc: SetCookie, request_path: str) -> None:
        path = sc.path if sc.path and sc.path.startswith("/") else _default_path(request_path)
        key = (sc.name, path)
        if sc.clears:
            self.cookies.pop(key, None)
            return
        self.cookies[key] = StoredCookie(sc.name, sc.value, path, sc.expires_at)

    def _purge_expired(self) -> None:
        now = time.time()
        for key, c in list(self.cookies.items()):
            if c.expires_at is not None and c.expires_at <= now:
                del self.cookies[key]

    def cookie_header(self, request_path: str) -> str | None:
        self._purge_expired()
        chosen = [c for c in self.cookies.values() if path_matches(request_path, c.path)]
        chosen.sort(key=lambda c: -len(c.path))
        if not chosen:
            return None
        return "; ".join(f"{c.name}={c.value}" for c in chosen)

    def cookie(self, name: str) -> str | None:
        self._purge_expired()
        for (n, _), c in self.cookies.items():
            if n == name:
                return c.value
        return None

    def set_cookie(self, name: str, value: str, path: str) -> None:
        self.cookies[(name, path)] = StoredCookie(name, value, path, None)

    def drop_cookie(self, name: str) -> None:
        for key in [k for k in self.cookies if k[0] == name]:
            del self.cookies[key]

    def clone(self, name: str | None = None) -> "Browser":
        """Another tab of the same profile at this moment (same cookies, same CSRF token)."""
        other = Browser(self.server, name or f"{self.name}-clone", self.user_agent, self.origin)
        other.cookies = copy.deepcopy(self.cookies)
        other.csrf = self.csrf
        return other

    # requests --------------------------------------------------------------------------------

    def request(self, method: str, path: str, *, json=_DEFAULT, data=None, headers=None,
                csrf=_DEFAULT, send_cookies: bool = True, origin=_DEFAULT,
                timeout: float = 30) -> requests.Response:
        """Send a request. `csrf`: default sends the in-memory token on unsafe methods; None sends
        no header; a string sends that string."""
        h = {"User-Agent": self.user_agent, "Accept": "application/json"}
        o = self.origin if origin is _DEFAULT else origin
        if o:
            h["Origin"] = o
        if csrf is _DEFAULT:
            token = self.csrf if method.upper() not in ("GET", "HEAD", "OPTIONS") else None
        else:
            token = csrf
        if token is not None:
            h["X-CSRF-TOKEN"] = token
        if send_cookies:
            ch = self.cookie_header(path.split("?", 1)[0])
            if ch:
                h["Cookie"] = ch
        if headers:
            h.update(headers)
        kwargs = {}
        if json is not _DEFAULT:
            kwargs["data"] = jsonlib.dumps(json)
            h.setdefault("Content-Type", "application/json")
        elif data is not None:
            kwargs["data"] = data
        resp = self.http.request(method, self.server.url(path), headers=h, allow_redirects=False,
                                 timeout=timeout, **kwargs)
        resp.set_cookies = [SetCookie.parse(v) for v in resp.raw.headers.getlist("Set-Cookie")]
        for sc in resp.set_cookies:
            self._store(sc, path.split("?", 1)[0])
        resp.sent_headers = h
        resp.sent_body = kwargs.get("data")
        self.last = resp
        return resp

    def get(self, path: str, **kw) -> requests.Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw) -> requests.Response:
        return self.request("POST", path, **kw)

    def delete(self, path: str, **kw) -> requests.Response:
        return self.request("DELETE", path, **kw)

    # SPA flows ---------------------------------------------------------------------------------

    def anon_csrf(self) -> str:
        """A fresh anonymous CSRF token from GET /auth/csrf (not stored in memory)."""
        r = self.get("/auth/csrf")
        assert r.status_code == 200, describe(r)
        return r.json()["csrfToken"]

    def post_anon(self, path: str, json=_DEFAULT, **kw) -> requests.Response:
        """POST to an anonymous-CSRF route with a freshly fetched anonymous token."""
        kw.setdefault("csrf", self.anon_csrf())
        return self.post(path, json=json, **kw)

    def login(self, email: str, password: str, expect: int | None = 200) -> requests.Response:
        r = self.post_anon("/auth/login", json={"email": email, "password": password})
        if expect is not None:
            assert r.status_code == expect, describe(r)
        if r.status_code == 200:
            self.csrf = r.json()["csrfToken"]
        return r

    def refresh(self, **kw) -> requests.Response:
        r = self.post("/auth/refresh", **kw)
        if r.status_code == 200:
            self.csrf = r.json().get("csrfToken", self.csrf)
        return r

    def logout(self, **kw) -> requests.Response:
        return self.post("/auth/logout", **kw)

    def load_session(self) -> requests.Response:
        """What a reloaded SPA does: GET /auth/session and keep the CSRF token it returns."""
        r = self.get("/auth/session")
        if r.status_code == 200:
            self.csrf = r.json().get("csrfToken")
        return r

    def set_cookie_named(self, resp: requests.Response, name: str) -> list[SetCookie]:
        return [sc for sc in resp.set_cookies if sc.name == name]


def describe(resp: requests.Response, limit: int = 1500) -> str:
    """A readable account of one exchange, for assertion messages and the failure report."""
    req = resp.request
    sent = getattr(resp, "sent_body", None) or req.body
    if isinstance(sent, bytes):
        sent = sent.decode(errors="replace")
    req_headers = {k: v for k, v in req.headers.items()
                   if k.lower() in ("x-csrf-token", "cookie", "origin", "host", "content-type",
                                    "x-forwarded-host", "access-control-request-method",
                                    "access-control-request-headers")}
    for k in list(req_headers):
        if len(req_headers[k]) > 120:
            req_headers[k] = req_headers[k][:60] + "..." + req_headers[k][-20:]
    body = resp.text
    if len(body) > limit:
        body = body[:limit] + "..."
    lines = [
        f"--> {req.method} {req.path_url} {req_headers}" + (f" body={sent[:400]}" if sent else ""),
        f"<-- {resp.status_code} {resp.reason}",
    ]
    for k, v in resp.headers.items():
        if k.lower() == "set-cookie":
            continue
        lines.append(f"    {k}: {v}")
    for v in resp.raw.headers.getlist("Set-Cookie"):
        lines.append(f"    Set-Cookie: {v if len(v) < 200 else v[:40] + '...' + v[-120:]}")
    lines.append(f"    {body}")
    return "\n".join(lines)
