"""Account self-service (CONTRACT "Account self-service"): changing the email address through the
mailed link, the data export (the person's rows and nobody else's, no secrets), and deleting the
account, which the Auth Server announces to the Resource Server with a Security Event Token
(RFC 8417, pushed per RFC 8935) so the projects kept by that `sub` go too. The Resource Server's
`POST /events` refuses anything but a genuine `secevent+jwt` for it; `GET /api/admin/stats` is for
administrators only.

The Auth Server here is told the Resource Server's real address (GATEHOUSE_RESOURCE_URL), so the
default event receiver, `{GATEHOUSE_RESOURCE_URL}/events`, is the running Resource Server."""

from __future__ import annotations

import json
import re
import time
import uuid

import pyotp
import pytest
import requests
from joserfc import jwt as jose_jwt

from browser import Browser, describe
from checks import assert_cleared, assert_problem, attacker_key, compact, find_forger, parse_utc, tamper_signature
from flows import (User, console, follow, make_admin_on, make_user_on, make_users_on, register, strong_password,
                   unique_email)
from harness import SPA_URL, Server
from resource_harness import ResourceProcess
from support import plugin

ACCOUNT_DELETED = "urn:gatehouse:secevent:account-deleted"
EXPORT_TABLES = {"users", "sessions", "identities", "security_events", "one_time_tokens", "totp_factors",
                 "recovery_codes", "passkeys", "webauthn_challenges", "outbox_messages", "link_requests"}
SECRET_COLUMN = re.compile(r"hash|secret|jti|password|public_key", re.I)


@pytest.fixture(scope="module")
def stack(module_launch):
    auth = module_launch(start=False, GATEHOUSE_RATE_LIMIT_SCALE=10)
    resource = ResourceProcess(auth)
    # Access tokens name this Resource Server in `aud`, and account events are pushed to its /events.
    auth.env_overrides["GATEHOUSE_RESOURCE_URL"] = resource.public_url
    plugin.watch(resource)
    auth.start()
    resource.start()
    yield auth, resource
    resource.stop()
    plugin.unwatch(resource)


@pytest.fixture(scope="module")
def server(stack) -> Server:
    return stack[0]


@pytest.fixture(scope="module")
def resource(stack) -> ResourceProcess:
    return stack[1]


@pytest.fixture(scope="module")
def admin(server, resource) -> Browser:
    """An administrator's browser (the role given at the console before logging in)."""
    return login(server, make_admin_on(server), "admin")


def login(server: Server, user: User, name: str | None = None) -> Browser:
    b = Browser(server, name)
    b.login(user.email, user.password)
    return b


def me(b: Browser) -> dict:
    r = b.get("/auth/user")
    assert r.status_code == 200, describe(r)
    return r.json()


def attempt_login(server: Server, email: str, password: str):
    return Browser(server).login(email, password, expect=None)


def projects(resource: ResourceProcess, b: Browser) -> list[dict]:
    r = resource.call("GET", "/api/projects", b)
    assert r.status_code == 200, describe(r)
    return r.json()


def create_projects(resource: ResourceProcess, b: Browser, *names: str) -> None:
    for name in names:
        r = resource.call("POST", "/api/projects", b, csrf=b.csrf, json={"name": name})
        assert r.status_code == 201, describe(r)


def stats(resource: ResourceProcess, admin: Browser) -> dict:
    r = resource.call("GET", "/api/admin/stats", admin)
    assert r.status_code == 200, describe(r)
    body = r.json()
    assert set(body) == {"projects", "owners"} and all(isinstance(v, int) for v in body.values()), body
    return body


def wait_until(condition, timeout: float = 15.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"{what} not met within {timeout:.0f}s")
        time.sleep(0.2)


def outcome(resp) -> str:
    assert resp.status_code == 302, describe(resp)
    location = resp.headers["Location"]
    assert location.startswith(f"{SPA_URL}/confirm-email?status="), describe(resp)
    return location.split("status=", 1)[1]


def change_email(b: Browser, new_email: str, **kw):
    return b.post("/auth/change-email", json={"newEmail": new_email}, **kw)


# --- change email -------------------------------------------------------------------------------


def test_the_email_address_changes_when_the_link_mailed_to_the_new_address_is_opened(server):
    user = make_user_on(server, prefix="mover", first="Margaret")
    b = login(server, user, "mover")
    new = unique_email("moved")
    assert Browser(server).post_anon("/auth/forgot-password", json={"email": user.email}).status_code == 202
    reset_link = server.outbox.wait_for(user.email, containing="/reset-password").link_containing("/reset-password")

    assert_problem(change_email(b, new, csrf=None), 403, "csrf_invalid")
    assert_problem(change_email(Browser(server), new, csrf=Browser(server).anon_csrf()), 401, "unauthenticated")
    accepted = change_email(b, new)
    assert accepted.status_code == 202, describe(accepted)

    mail = server.outbox.wait_for(new, containing="/auth/confirm-email-change")
    link = mail.link_containing("/auth/confirm-email-change")
    assert link.startswith(server.public("/auth/confirm-email-change?token=")), link
    notice = server.outbox.wait_for(user.email, containing=new)
    assert not any("confirm-email-change" in l for l in notice.links), notice.links
    # Until the link is opened nothing has changed.
    assert me(b)["email"] == user.email
    assert_problem(attempt_login(server, new, user.password), 401, "invalid_credentials")
    assert outcome(follow(Browser(server, "other-mail-client"), server.public("/auth/confirm-email-change?token=forged"))) == "invalid"

    assert outcome(follow(Browser(server, "mail-client"), link)) == "success"
    assert me(b)["email"] == new
    assert attempt_login(server, new, user.password).status_code == 200
    assert_problem(attempt_login(server, user.email, user.password), 401, "invalid_credentials")
    kinds = [e["kind"] for e in b.get("/auth/security-events").json()]
    assert "email_changed" in kinds, kinds
    # A reset link mailed to the old address no longer acts on the account.
    reset = Browser(server).post_anon("/auth/reset-password", json={"token": reset_link.split("token=", 1)[1],
                                                                    "newPassword": strong_password()})
    assert_problem(reset, 400, "invalid_token")


def test_an_address_with_an_account_gets_a_notice_not_a_link_and_the_same_answer(server):
    user, owner = make_users_on(server, {"prefix": "wants"}, {"prefix": "owner"})
    b = login(server, user, "wants")
    taken = change_email(b, owner.email.upper())
    free = change_email(b, unique_email("free"))
    assert taken.status_code == 202 and free.status_code == 202, (describe(taken), describe(free))
    assert taken.json() == free.json(), "the answer must not tell whether the address has an account"

    mail = server.outbox.wait_for(owner.email, containing="already has an account")
    assert "already has an account" in mail.subject.lower(), mail.subject
    assert not any("confirm-email-change" in l for l in mail.links), mail.links
    assert server.outbox.wait_for(user.email, containing=owner.email)
    assert me(b)["email"] == user.email
    assert attempt_login(server, owner.email, owner.password).status_code == 200
    assert attempt_login(server, user.email, user.password).status_code == 200


def test_a_link_loses_to_an_address_taken_since(server):
    first_user, second_user = make_users_on(server, {"prefix": "race-a"}, {"prefix": "race-b"})
    first, second = login(server, first_user, "a"), login(server, second_user, "b")
    wanted = unique_email("wanted")
    assert change_email(first, wanted).status_code == 202
    first_link = server.outbox.wait_for(wanted, containing="/auth/confirm-email-change").link_containing("confirm-email-change")
    assert change_email(second, wanted).status_code == 202
    second_link = server.outbox.wait_for(wanted, containing="/auth/confirm-email-change").link_containing("confirm-email-change")
    assert first_link != second_link

    assert outcome(follow(Browser(server), second_link)) == "success"
    assert outcome(follow(Browser(server), first_link)) == "taken"
    assert me(second)["email"] == wanted and me(first)["email"] == first_user.email
    assert attempt_login(server, first_user.email, first_user.password).status_code == 200


def test_change_email_validates_the_new_address(server):
    user = make_user_on(server, prefix="validate")
    b = login(server, user, "validate")
    for bad in ("not-an-address", "", user.email, user.email.upper()):
        assert_problem(change_email(b, bad), 400, "validation_failed", fields={"newEmail"})
    assert_problem(b.post("/auth/change-email", json={}), 400, "validation_failed", fields={"newEmail"})


# --- export ---------------------------------------------------------------------------------------


def test_the_export_holds_the_persons_rows_and_nothing_of_anyone_else_nor_any_secret(server):
    alice, bob = make_users_on(server, {"prefix": "export-a", "first": "Alicia", "last": "Export"},
                               {"prefix": "export-b", "first": "Bartholomew", "last": "Other"})
    a1, a2 = login(server, alice, "alice-laptop"), login(server, alice, "alice-phone")
    assert a2.logout().status_code == 200
    Browser(server).login(alice.email, "not the password", expect=401)
    begun = a1.post("/auth/mfa/totp")
    assert begun.status_code == 200, describe(begun)
    secret = begun.json()["secret"]
    confirmed = a1.post("/auth/mfa/totp/confirm", json={"code": pyotp.TOTP(secret).now()})
    assert confirmed.status_code == 200, describe(confirmed)
    recovery_codes = confirmed.json()["recoveryCodes"]
    b1 = login(server, bob, "bob")
    alice_id, bob_id = me(a1)["id"], me(b1)["id"]

    assert_problem(Browser(server).get("/auth/account/export"), 401, "unauthenticated")
    r = a1.get("/auth/account/export")
    assert r.status_code == 200, describe(r)
    assert r.headers["Content-Type"].startswith("application/json"), describe(r)
    assert "attachment" in r.headers.get("Content-Disposition", ""), describe(r)
    assert "no-store" in r.headers.get("Cache-Control", ""), describe(r)
    export = r.json()
    assert set(export) == {"exportedAt"} | EXPORT_TABLES, sorted(export)
    parse_utc(export["exportedAt"])

    # The person's rows, under the database's own column names.
    [row] = export["users"]
    assert (row["id"], row["email"], row["first_name"], row["last_name"]) == (alice_id, alice.email, "Alicia", "Export"), row
    assert row["organization"] == "Analytical Engines" and row["roles"] == "user" and row["disabled_at"] is None, row
    parse_utc(row["email_verified_at"]), parse_utc(row["created_at"])
    sessions = {s["id"]: s for s in export["sessions"]}
    live = {s["id"] for s in a1.get("/auth/sessions").json()}
    assert len(sessions) == 2 and live < set(sessions), export["sessions"]
    assert [s["revoked_at"] is not None for s in sessions.values()].count(True) == 1, export["sessions"]
    kinds = sorted(e["kind"] for e in export["security_events"])
    assert kinds == sorted(e["kind"] for e in a1.get("/auth/security-events").json()), kinds
    assert kinds.count("login") == 2 and "login_failed" in kinds and "mfa_enabled" in kinds, kinds
    assert [t["purpose"] for t in export["one_time_tokens"]] == ["confirm_account"], export["one_time_tokens"]
    assert len(export["totp_factors"]) == 1 and export["totp_factors"][0]["confirmed_at"], export["totp_factors"]
    assert len(export["recovery_codes"]) == 10, export["recovery_codes"]
    assert "Confirm your email address" in [m["subject"] for m in export["outbox_messages"]], export["outbox_messages"]

    # No secret: no such column, and none of the secrets the person was shown or holds.
    text = r.text
    for table in EXPORT_TABLES:
        for row in export[table]:
            leaked = [k for k in row if SECRET_COLUMN.search(k)]
            assert not leaked, f"{table} exports {leaked}"
    assert secret not in text and alice.password not in text
    for code in recovery_codes:
        assert code not in text and code.replace("-", "") not in text, code
    for token in (a1.cookie("access_token"), a1.cookie("refresh_token"), alice.confirm_link.split("token=")[1]):
        assert token not in text

    # Nothing of Bob's, and Bob's export nothing of Alice's.
    bob_export = b1.get("/auth/account/export")
    assert bob_export.status_code == 200, describe(bob_export)
    assert [u["email"] for u in bob_export.json()["users"]] == [bob.email]
    for mine, theirs in ((r, bob_export), (bob_export, r)):
        assert len(ids(mine.json()) & ids(theirs.json())) == 0
    for trace in (bob.email, bob_id, "Bartholomew"):
        assert trace not in text, trace
    for trace in (alice.email, alice_id, "Alicia"):
        assert trace not in bob_export.text, trace


def ids(export: dict) -> set[str]:
    return {row["id"] for table in EXPORT_TABLES for row in export[table] if row.get("id")}


# --- delete ---------------------------------------------------------------------------------------


def test_deleting_the_account_removes_it_here_and_its_projects_at_the_resource_server(server, resource, admin):
    user, bystander_user = make_users_on(server, {"prefix": "leaver", "first": "Ada"}, {"prefix": "stayer"})
    b = login(server, user, "leaver")
    bystander = login(server, bystander_user, "stayer")
    create_projects(resource, b, "Difference Engine", "Analytical Engine")
    create_projects(resource, bystander, "Stays")
    old_id = me(b)["id"]
    before = stats(resource, admin)
    assert before["projects"] >= 3 and before["owners"] >= 2, before

    assert_problem(Browser(server).delete("/auth/account", csrf=Browser(server).anon_csrf()), 401, "unauthenticated")
    assert_problem(b.delete("/auth/account", csrf=None), 403, "csrf_invalid")
    assert_problem(b.delete("/auth/account", csrf=b.anon_csrf()), 403, "csrf_invalid")
    assert_problem(b.delete("/auth/account", csrf=bystander.csrf), 403, "csrf_invalid")
    assert me(b)["id"] == old_id and len(projects(resource, b)) == 2

    kept = b.clone("kept-cookies")  # what a stolen copy of the cookies would still try
    gone = b.delete("/auth/account")
    assert gone.status_code == 204, describe(gone)
    assert_cleared(gone, "access_token", "/")
    assert_cleared(gone, "refresh_token", "/auth")

    # The Resource Server hears of it and forgets the projects (the still-unexpired access token
    # now lists nothing); the bystander's stay.
    wait_until(lambda: projects(resource, kept) == [], what="the deleted account's projects gone")
    assert stats(resource, admin) == {"projects": before["projects"] - 2, "owners": before["owners"] - 1}
    assert [p["name"] for p in projects(resource, bystander)] == ["Stays"]

    goodbye = server.outbox.wait_for(user.email, containing="were deleted")
    assert goodbye.subject == "Your account was deleted", goodbye.subject
    assert_problem(attempt_login(server, user.email, user.password), 401, "invalid_credentials")
    assert_problem(kept.refresh(), 401, "session_expired")
    assert_problem(kept.get("/auth/user"), 401, "unauthenticated")
    assert_problem(admin.get(f"/admin/users/{old_id}"), 404, "not_found")
    assert user.email in console(server, "users", "show", user.email, expect=1).stderr

    # The address is free again, for a new account.
    password = strong_password()
    assert register(server, user.email, password).status_code == 202
    link = server.outbox.wait_for(user.email, containing="/auth/confirm-account").link_containing("/auth/confirm-account")
    assert follow(Browser(server), link).headers["Location"] == f"{SPA_URL}/confirm-account?status=success"
    again = login(server, User(user.email, password, "Ada", "Lovelace"), "returning")
    assert me(again)["id"] != old_id
    assert projects(resource, again) == []


# --- the Resource Server's /events ------------------------------------------------------------------


def post_event(resource: ResourceProcess, body: str) -> requests.Response:
    return requests.post(resource.url("/events"), data=body.encode(),
                         headers={"Content-Type": "application/secevent+jwt", "Accept": "application/json"}, timeout=10)


def test_only_a_genuine_security_event_token_for_this_server_is_accepted(server, resource):
    forger = find_forger(server)
    if forger is None:
        pytest.skip("no private key matching the JWKS in GATEHOUSE_KEYS_DIR")
    user = make_user_on(server, prefix="target")
    b = login(server, user, "target")
    create_projects(resource, b, "Keep me")
    sub = me(b)["id"]
    now = int(time.time())

    def claims(**over) -> dict:
        c = {"iss": server.public_url, "aud": [resource.public_url], "iat": now, "exp": now + 600,
             "jti": str(uuid.uuid4()), "sub": sub, "events": {ACCOUNT_DELETED: {}}}
        c.update(over)
        return {k: v for k, v in c.items() if v is not None}

    def signed(header: dict | None = None, **over) -> str:
        return forger.sign(claims(**over), {"typ": "secevent+jwt", **(header or {})})

    genuine = signed()
    attacker = attacker_key()
    refused = {
        "the user's access token": b.cookie("access_token"),
        "the user's refresh token": b.cookie("refresh_token"),
        "typ at+jwt": signed({"typ": "at+jwt"}),
        "no typ": signed({"typ": None}),
        "audience the Auth Server": signed(aud=[server.public_url]),
        "no audience": signed(aud=None),
        "another issuer": signed(iss="https://evil.example"),
        "expired": signed(iat=now - 7200, exp=now - 3600),
        "tampered signature": tamper_signature(genuine),
        "alg none": compact({"alg": "none", "typ": "secevent+jwt", "kid": forger.kid}, claims()),
        "attacker's key under the server's kid": jose_jwt.encode(
            {"alg": "ES256", "typ": "secevent+jwt", "kid": forger.kid}, claims(), attacker),
        "garbage": "not a token",
        "empty": "",
        "JSON": json.dumps(claims()),
    }
    for what, token in refused.items():
        r = post_event(resource, token)
        assert r.status_code == 400, f"{what}: {r.status_code} {r.text}"
        assert r.json().get("err"), f"{what}: RFC 8935 error object expected: {r.text}"
    assert [p["name"] for p in projects(resource, b)] == ["Keep me"]

    # The positive control: the same claims, correctly signed, are acted upon (twice is harmless).
    accepted = post_event(resource, genuine)
    assert accepted.status_code == 202, accepted.text
    assert projects(resource, b) == []
    assert post_event(resource, genuine).status_code == 202


# --- the Resource Server's admin route ----------------------------------------------------------------


def test_resource_admin_stats_are_for_administrators_only(server, resource, admin):
    first_user, second_user, candidate_user = make_users_on(server, {"prefix": "owner-a"}, {"prefix": "owner-b"},
                                                            {"prefix": "candidate"})
    first, second, candidate = (login(server, u) for u in (first_user, second_user, candidate_user))

    unauthenticated = resource.call("GET", "/api/admin/stats")
    assert_problem(unauthenticated, 401, "unauthenticated")
    assert_problem(resource.call("GET", "/api/admin/stats", first), 403, "forbidden")

    before = stats(resource, admin)
    create_projects(resource, first, "One", "Two")
    create_projects(resource, second, "Three")
    assert stats(resource, admin) == {"projects": before["projects"] + 3, "owners": before["owners"] + 2}

    # The role reaches the token at the next refresh, and the Resource Server goes by the token.
    console(server, "users", "roles", candidate_user.email, "--add", "admin")
    assert_problem(resource.call("GET", "/api/admin/stats", candidate), 403, "forbidden")
    assert candidate.refresh().status_code == 200
    assert stats(resource, candidate) == stats(resource, admin)
