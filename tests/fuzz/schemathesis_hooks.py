"""Schemathesis hooks for one run against one Gatehouse server (loaded through SCHEMATHESIS_HOOKS).

The run is described by the JSON file named in GATEHOUSE_FUZZ_CONFIG:

    {"role": "auth" | "resource", "mode": "anonymous" | "session", "auth_url": "http://127.0.0.1:PORT",
     "email", "password", "device": the fuzz account and its known-device cookie,
     "mfa_email", "mfa_password", "mfa_device": an account with TOTP on,
     "providers": ["google", ...], "stats": "/path/to/stats.json"}

Generated values stay as they are except where a random value could never get past the check in
front of the handler; there the hooks put in a real one for some cases, chosen by a hash of the
generated case (so that a replayed case is the same case):

- every request but one in eight gets an `X-Forwarded-For` of its own (the Auth Server trusts it
  from 127.0.0.1 in this suite), so that the per-address limits do not answer everything with 429;
  the others count against 127.0.0.1 and meet 429 in time;
- `{provider}`: one of the N configured provider ids, or (one case in N+1) the generated value;
- `POST /auth/login`: for one case in four, the credentials of the fuzz account or of the TOTP
  account (a real sign-in, or `mfaRequired`);
- `POST /auth/login/second-factor`: for one case in two, a genuine `mfaToken` of the TOTP account
  (the code stays random: `invalid_code`, and after five of them the token is spent);
- mode `anonymous`: the cookies stay as generated (junk); an `X-CSRF-TOKEN` the case sends to an
  operation that takes an anonymous token becomes a fresh one (they are single use);
- mode `session`: the cookies become those of the fuzz account's live session, and an
  `X-CSRF-TOKEN` the case sends becomes that session's token. After every answer the session is
  followed as a browser would follow it: cookies set are kept (with the CSRF token of a refresh or
  a login), cleared ones or a `401` saying the token or session is over end it, and the next
  request logs in again.

At exit the hooks write what they saw (requests, time and 5xx by operation, logins) to `stats`.
"""

from __future__ import annotations

import atexit
import json
import os
import re
import secrets
import threading
import time
import zlib
from collections import Counter, defaultdict

import requests
import schemathesis

# The Resource Server's POST /events takes a Security Event Token: a compact JWT as plain text.
schemathesis.serializer.alias("application/secevent+jwt", "text/plain")

CONFIG = json.loads(open(os.environ["GATEHOUSE_FUZZ_CONFIG"]).read())
ROLE = CONFIG["role"]
MODE = CONFIG["mode"]
AUTH_URL = CONFIG["auth_url"].rstrip("/")
CSRF_HEADER = "X-CSRF-TOKEN"

# Operations of the Auth Server that take an anonymous CSRF token.
ANONYMOUS_CSRF = {
    ("POST", "/auth/register"), ("POST", "/auth/resend-verification"), ("POST", "/auth/login"),
    ("POST", "/auth/login/second-factor"), ("POST", "/auth/forgot-password"), ("POST", "/auth/reset-password"),
    ("POST", "/auth/passkeys/login-options"), ("POST", "/auth/passkeys/login"),
}
# `code`s of a 401 that mean the access token or the session is over (not a wrong password or code).
SESSION_OVER = {"unauthenticated", "token_expired", "session_expired"}
# Put in a generated body where a genuine `mfaToken` is wanted: one can only be had at call time.
MFA_TOKEN_WANTED = "mfa.token.wanted"

_lock = threading.Lock()
_stats = {"requests": 0, "logins": 0, "by_operation": defaultdict(Counter), "server_errors": Counter(),
          "seconds": Counter()}


def _client_address() -> str:
    return f"198.{18 + secrets.randbelow(2)}.{secrets.randbelow(256)}.{1 + secrets.randbelow(254)}"


def _anonymous_csrf() -> str:
    return requests.get(AUTH_URL + "/auth/csrf", timeout=10).json()["csrfToken"]


def _login(email: str, password: str, device: str | None = None) -> requests.Response:
    r = requests.post(AUTH_URL + "/auth/login", json={"email": email, "password": password},
                      cookies={"gatehouse_device": device} if device else {},
                      headers={CSRF_HEADER: _anonymous_csrf(), "X-Forwarded-For": _client_address()}, timeout=30)
    if r.status_code != 200:
        raise RuntimeError(f"login of {email} failed: {r.status_code} {r.text}")
    _stats["logins"] += 1
    return r


def _set_cookies(response) -> dict[str, str]:
    """name -> value of every cookie the answer sets; a cleared cookie (`Max-Age=0`) maps to ''."""
    found: dict[str, str] = {}
    for raw in response.headers.get("set-cookie", []):
        # One header per cookie; tolerate transports that fold them into one with ", ".
        for part in re.split(r",\s*(?=[A-Za-z0-9_]+=)", raw):
            name, _, rest = part.partition("=")
            value, _, attributes = rest.partition(";")
            cleared = re.search(r"(?i)max-age=0\b", attributes) is not None
            found[name.strip()] = "" if cleared else value.strip()
    return found


def _problem_code(response) -> str | None:
    try:
        return json.loads(response.content).get("code")
    except (ValueError, AttributeError):
        return None


class FuzzSession:
    """The fuzz account's session as a browser holds it: cookies and the in-memory CSRF token."""

    def __init__(self):
        self.access = self.refresh = self.csrf = None
        self.device = CONFIG.get("device")

    def ensure(self) -> None:
        if self.access:
            return
        # The known-device cookie spares this account the per-account throttle, which fuzzed
        # change-password and reauthenticate attempts (wrong passwords) fill up.
        r = _login(CONFIG["email"], CONFIG["password"], self.device)
        if r.json().get("mfaRequired"):  # a fuzzed code confirmed a fuzzed TOTP enrolment: one in a million
            raise RuntimeError("the fuzz account now has TOTP on; run again")
        self.access = r.cookies.get("access_token")
        self.refresh = r.cookies.get("refresh_token")
        self.device = r.cookies.get("gatehouse_device") or self.device
        self.csrf = r.json()["csrfToken"]

    def end(self) -> None:
        self.access = self.refresh = self.csrf = None

    def follow(self, case, response) -> None:
        """Keeps what the answer set, as a browser would; forgets a session the server ended."""
        cookies = _set_cookies(response)
        if cookies.get("access_token") == "" or cookies.get("refresh_token") == "":
            self.end()
            return
        if cookies.get("access_token"):
            self.access = cookies["access_token"]
        if cookies.get("refresh_token"):
            self.refresh = cookies["refresh_token"]
        if cookies.get("gatehouse_device"):
            self.device = cookies["gatehouse_device"]
        if response.status_code == 200 and _operation(case) in {("POST", "/auth/refresh"), ("POST", "/auth/login"),
                                                                ("POST", "/auth/login/second-factor")}:
            token = json.loads(response.content).get("csrfToken")
            if token:  # a refresh, or a sign-in that replaced this browser's session
                self.csrf = token
        if response.status_code == 401 and _problem_code(response) in SESSION_OVER:
            self.end()


class MFATokens:
    """Genuine `mfaToken`s of the TOTP account, each used for at most five wrong codes. Wrong codes
    count as login attempts on that account, so its per-account limit ends the supply within a run:
    from then on there is none (and the operation's cases keep their generated token)."""

    def __init__(self):
        self.token = None
        self.uses = 0
        self.at = 0.0
        self.exhausted = False

    def get(self) -> str | None:
        if self.exhausted:
            return None
        if self.token is None or self.uses >= 5 or time.monotonic() - self.at > 240:
            try:
                body = _login(CONFIG["mfa_email"], CONFIG["mfa_password"], CONFIG.get("mfa_device")).json()
            except RuntimeError:  # 429 once the account's attempts are spent
                self.exhausted = True
                return None
            if body.get("mfaRequired") is not True:
                raise RuntimeError(f"the TOTP account signed in without a code: {body}")
            self.token, self.uses, self.at = body["mfaToken"], 0, time.monotonic()
        self.uses += 1
        return self.token


SESSION = FuzzSession() if MODE == "session" else None
MFA_TOKENS = MFATokens()


def _operation(case) -> tuple[str, str]:
    return case.method.upper(), case.operation.path


def _provider(case) -> None:
    """`{provider}`: one of the N configured providers, or (one case in N+1) the generated value,
    chosen by a hash of the case as generated. (A hypothesis choice in a generation hook would not
    do: the fuzzing phase mostly keeps the parameter's documented example.)"""
    providers = CONFIG.get("providers") or []
    if ROLE != "auth" or "provider" not in (case.path_parameters or {}) or not providers:
        return
    generated = json.dumps([case.path_parameters, case.query, dict(case.headers or {}), case.cookies],
                           sort_keys=True, default=repr)
    choice = zlib.crc32(generated.encode("utf-8", "surrogatepass")) % (len(providers) + 1)
    if choice < len(providers):
        case.path_parameters["provider"] = providers[choice]


@schemathesis.hook
def before_generate_body(context, strategy):
    """`POST /auth/login`: for one body in four, the credentials of the fuzz account or of the TOTP
    account. `POST /auth/login/second-factor`: for one body in two, a genuine `mfaToken` (put in
    at call time, see `before_call`). Which bodies is decided by a hash of the generated body, not
    by a hypothesis choice, which would favour one option."""
    operation = context.operation
    if ROLE != "auth" or operation is None or operation.method.upper() != "POST":
        return strategy
    if operation.path == "/auth/login":
        choices = [{}] * 6 + [{"email": CONFIG["email"], "password": CONFIG["password"]}]
        if CONFIG.get("mfa_email"):
            choices.append({"email": CONFIG["mfa_email"], "password": CONFIG["mfa_password"]})
    elif operation.path == "/auth/login/second-factor" and CONFIG.get("mfa_email"):
        choices = [{}, {"mfaToken": MFA_TOKEN_WANTED}]
    else:
        return strategy

    def amend(body):
        if not isinstance(body, dict):
            return body
        digest = zlib.crc32(json.dumps(body, sort_keys=True, default=repr).encode("utf-8", "surrogatepass"))
        return {**body, **choices[digest % len(choices)]}

    return strategy.map(amend)


@schemathesis.hook
def before_call(context, case, kwargs):
    with _lock:
        operation = _operation(case)
        if case.headers is None:
            case.headers = {}
        _provider(case)
        if secrets.randbelow(8):
            case.headers["X-Forwarded-For"] = _client_address()
        if isinstance(case.body, dict) and case.body.get("mfaToken") == MFA_TOKEN_WANTED:
            case.body["mfaToken"] = MFA_TOKENS.get() or "no.token.left"
        if MODE == "anonymous":
            if ROLE == "auth" and operation in ANONYMOUS_CSRF and CSRF_HEADER in case.headers:
                case.headers[CSRF_HEADER] = _anonymous_csrf()
            return
        SESSION.ensure()
        if case.cookies is None:
            case.cookies = {}
        case.cookies["access_token"] = SESSION.access
        if ROLE == "auth":
            case.cookies["refresh_token"] = SESSION.refresh
            if SESSION.device and operation[1] == "/auth/login":
                case.cookies["gatehouse_device"] = SESSION.device
        if CSRF_HEADER in case.headers:
            case.headers[CSRF_HEADER] = SESSION.csrf


@schemathesis.hook
def after_call(context, case, response):
    with _lock:
        method, path = _operation(case)
        key = f"{method} {path}"
        _stats["requests"] += 1
        _stats["by_operation"][key][str(response.status_code)] += 1
        _stats["seconds"][key] += response.elapsed
        if response.status_code >= 500:
            _stats["server_errors"][f"{key} -> {response.status_code} {_problem_code(response)}"] += 1
        if SESSION is not None:
            SESSION.follow(case, response)


@atexit.register
def _write_stats() -> None:
    target = CONFIG.get("stats")
    if not target:
        return
    with open(target, "w") as f:
        json.dump({
            "requests": _stats["requests"], "logins": _stats["logins"],
            "server_errors": dict(_stats["server_errors"]),
            "seconds": {k: round(v, 2) for k, v in _stats["seconds"].most_common()},
            "by_operation": {k: dict(v) for k, v in sorted(_stats["by_operation"].items())},
        }, f, indent=2)
