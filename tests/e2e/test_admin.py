"""The admin API under /admin/ (CONTRACT "Administration"): who may call it (a token with `admin`
and an account that still has it), listing by cursor, one account in full, disabling and enabling
(sessions end, password and federated sign-in refused, refresh refused), roles, ending sessions,
the session CSRF token on every change, no self-lockout, and every change recorded as a security
event of the account (actor: the administrator) and of the administrator (target: the account)."""

from __future__ import annotations

import datetime as dt
import secrets
from concurrent.futures import ThreadPoolExecutor

import pyotp
import pytest

from browser import Browser, describe
from checks import assert_problem, parse_utc
from flows import (User, change_roles, federated_sign_in, make_admin_on, make_user_on, make_users_on, register,
                   strong_password)
from harness import SPA_URL, Server

ACCOUNT_KEYS = {"id", "email", "firstName", "lastName", "emailVerified", "disabled", "roles", "createdAt"}
EVENT_KEYS = {"id", "kind", "at", "ipAddress", "userAgent"}
NO_SUCH_ID = "6f1c2a4e-0b7d-4c1e-9a55-3f2e8d9b7c10"
LOCAL_ADDRESSES = ("127.0.0.1", "::1", "::ffff:127.0.0.1")


@pytest.fixture(scope="module")
def server(module_launch, oidc_provider) -> Server:
    """With "Google" (the local provider), and room for the many registrations from one address."""
    return module_launch(GATEHOUSE_RATE_LIMIT_SCALE=10, **oidc_provider.google_env())


@pytest.fixture
def admin(server) -> User:
    return make_admin_on(server)


@pytest.fixture
def admin_browser(server, admin) -> Browser:
    return login(server, admin, "admin-console")


def login(server: Server, user: User, name: str | None = None, ua: str | None = None) -> Browser:
    b = Browser(server, name, user_agent=ua)
    b.login(user.email, user.password)
    return b


def me(b: Browser) -> dict:
    r = b.get("/auth/user")
    assert r.status_code == 200, describe(r)
    return r.json()


def ok(resp, status: int = 200) -> dict:
    assert resp.status_code == status, describe(resp)
    assert resp.headers.get("Content-Type", "").startswith("application/json"), describe(resp)
    return resp.json()


def patch(b: Browser, account_id: str, body, **kw):
    return b.request("PATCH", f"/admin/users/{account_id}", json=body, **kw)


def detail(admin: Browser, account_id: str) -> dict:
    return ok(admin.get(f"/admin/users/{account_id}"))


def events(admin: Browser, **query) -> list[dict]:
    """Every page of GET /admin/events for these filters."""
    found, cursor = [], None
    while True:
        params = {**query, **({"cursor": cursor} if cursor else {})}
        page = ok(admin.get("/admin/events?" + "&".join(f"{k}={v}" for k, v in params.items())))
        assert set(page) == {"events", "nextCursor"}, page
        found += page["events"]
        cursor = page["nextCursor"]
        if cursor is None:
            return found


def person(oidc_provider, email: str) -> str:
    """A person at the local provider with a verified `email`; returns their subject."""
    return oidc_provider.person(email=email, email_verified=True, given_name="Ada", family_name="Lovelace")


# --- who may call it --------------------------------------------------------------------------


def test_without_an_access_token_every_admin_route_is_401(server):
    b = Browser(server)
    csrf = b.anon_csrf()
    answers = [b.get("/admin/users"), b.get(f"/admin/users/{NO_SUCH_ID}"), b.get("/admin/events"),
               patch(b, NO_SUCH_ID, {"disabled": True}, csrf=csrf), b.post(f"/admin/users/{NO_SUCH_ID}/logout", csrf=csrf)]
    for r in answers:
        assert_problem(r, 401, "unauthenticated")


def test_a_plain_user_is_forbidden_every_admin_route_and_changes_nothing(server, admin_browser):
    plain_user, target_user = make_users_on(server, {"prefix": "plain"}, {"prefix": "target"})
    plain, target = login(server, plain_user, "plain"), login(server, target_user, "target")
    plain_id, target_id = me(plain)["id"], me(target)["id"]
    answers = [plain.get("/admin/users"), plain.get(f"/admin/users/{target_id}"), plain.get("/admin/events"),
               plain.get(f"/admin/events?user={target_id}"),
               patch(plain, plain_id, {"roles": ["admin", "user"]}), patch(plain, target_id, {"disabled": True}),
               plain.post(f"/admin/users/{target_id}/logout")]
    for r in answers:
        assert_problem(r, 403, "forbidden")
    assert detail(admin_browser, plain_id)["user"]["roles"] == ["user"]
    target_detail = detail(admin_browser, target_id)
    assert target_detail["user"]["disabled"] is False and len(target_detail["sessions"]) == 1, target_detail
    assert target.refresh().status_code == 200
    # And the admin's own browser is answered, so the 403s above are about the caller.
    assert ok(admin_browser.get("/admin/users"))["users"]


def test_the_admin_api_asks_the_database_not_only_the_token(server, admin_browser, tokens):
    other_admin = make_admin_on(server, prefix="admin-b")
    b = login(server, other_admin, "admin-b")
    b_id = me(b)["id"]
    assert ok(b.get("/admin/users"))
    assert ok(patch(admin_browser, b_id, {"roles": ["user"]}))["roles"] == ["user"]
    # b's access token still carries `admin`; its account no longer does.
    assert "admin" in tokens.access(b.cookie("access_token"))["roles"]
    assert_problem(b.get("/admin/users"), 403, "forbidden")
    assert ok(patch(admin_browser, b_id, {"roles": ["admin", "user"]}))["roles"] == ["admin", "user"]
    assert ok(b.get("/admin/users"))
    # A disabled administrator is stopped at once too, before the access token expires: disabling
    # ended the session the token names.
    assert ok(patch(admin_browser, b_id, {"disabled": True}))["disabled"] is True
    assert "admin" in tokens.access(b.cookie("access_token"))["roles"]
    assert_problem(b.get("/admin/users"), 401, "unauthenticated")
    assert_problem(b.get(f"/admin/users/{b_id}"), 401, "unauthenticated")


# --- listing --------------------------------------------------------------------------------------


def test_users_are_listed_by_email_fifty_a_page_with_an_opaque_cursor(server, admin_browser):
    tag = "pg" + secrets.token_hex(4)
    emails = [f"{tag}-{i:02d}@example.com" for i in range(55)]
    password = strong_password()
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda e: register(server, e, password).status_code, reversed(emails)))
    assert answers == [202] * 55, answers

    first = ok(admin_browser.get(f"/admin/users?query={tag}"))
    assert set(first) == {"users", "nextCursor"}, first
    assert len(first["users"]) == 50 and isinstance(first["nextCursor"], str), first["nextCursor"]
    assert [u["email"] for u in first["users"]] == emails[:50]
    second = ok(admin_browser.get(f"/admin/users?query={tag}&cursor={first['nextCursor']}"))
    assert [u["email"] for u in second["users"]] == emails[50:]
    assert "nextCursor" in second and second["nextCursor"] is None, second
    for account in first["users"] + second["users"]:
        assert ACCOUNT_KEYS <= set(account), account
        assert account["emailVerified"] is False and account["disabled"] is False and account["roles"] == ["user"], account
        assert account.get("lastLoginAt") is None, account
        parse_utc(account["createdAt"])
    assert len({u["id"] for u in first["users"] + second["users"]}) == 55
    # Any case; and the whole server paged through without a query: every account once, in order.
    assert ok(admin_browser.get(f"/admin/users?query={tag.upper()}"))["users"] == first["users"]
    everyone, cursor, pages = [], None, 0
    while True:
        page = ok(admin_browser.get("/admin/users" + (f"?cursor={cursor}" if cursor else "")))
        everyone += [u["email"] for u in page["users"]]
        pages += 1
        assert len(page["users"]) == 50 or page["nextCursor"] is None, page["nextCursor"]
        cursor = page["nextCursor"]
        if cursor is None:
            break
    assert pages >= 2 and everyone == sorted(everyone) and len(everyone) == len(set(everyone)), everyone
    assert set(emails) <= set(everyone)
    # LIKE's wildcards match themselves; a cursor must be one the server gave out.
    assert ok(admin_browser.get("/admin/users?query=%25"))["users"] == []
    assert ok(admin_browser.get("/admin/users?query=_"))["users"] == []
    assert_problem(admin_browser.get("/admin/users?cursor=bm90LWEtY3Vyc29y"), 400, "validation_failed", fields={"cursor"})
    assert_problem(admin_browser.get("/admin/users?query=" + "x" * 201), 400, "validation_failed", fields={"query"})


# --- one account ----------------------------------------------------------------------------------


def test_one_account_in_full_sessions_providers_second_factors_and_events(server, admin_browser, oidc_provider):
    user = make_user_on(server, prefix="detail", first="Hedy", last="Lamarr")
    federated = Browser(server, "federated", user_agent="Mozilla/5.0 (Federated) Admin-Detail")
    done = federated_sign_in(federated, person(oidc_provider, user.email))
    assert done.headers["Location"] == f"{SPA_URL}/auth/callback?status=success", describe(done)
    b = login(server, user, "password", ua="Mozilla/5.0 (Password) Admin-Detail")
    uid = me(b)["id"]
    begun = b.post("/auth/mfa/totp")
    assert begun.status_code == 200, describe(begun)
    confirmed = b.post("/auth/mfa/totp/confirm", json={"code": pyotp.TOTP(begun.json()["secret"]).now()})
    assert confirmed.status_code == 200, describe(confirmed)

    shown = detail(admin_browser, uid)
    assert set(shown) >= {"user", "sessions", "identities", "secondFactors", "events"}, shown
    assert shown["user"]["id"] == uid and shown["user"]["email"] == user.email, shown["user"]
    assert (shown["user"]["firstName"], shown["user"]["lastName"]) == ("Hedy", "Lamarr")
    parse_utc(shown["user"]["lastLoginAt"])
    assert sorted(s["userAgent"] for s in shown["sessions"]) == [
        "Mozilla/5.0 (Federated) Admin-Detail", "Mozilla/5.0 (Password) Admin-Detail"], shown["sessions"]
    assert all(s["ipAddress"] in LOCAL_ADDRESSES for s in shown["sessions"]), shown["sessions"]
    assert [(i["provider"], i["email"]) for i in shown["identities"]] == [("google", user.email)], shown["identities"]
    parse_utc(shown["identities"][0]["linkedAt"])
    assert shown["secondFactors"] == {"totp": True, "recoveryCodesLeft": 10, "passkeys": []}, shown["secondFactors"]
    kinds = [e["kind"] for e in shown["events"]]
    assert kinds.count("login") == 2 and "mfa_enabled" in kinds, kinds
    assert all(e["userId"] == uid and e["email"] == user.email for e in shown["events"]), shown["events"]
    assert_problem(admin_browser.get(f"/admin/users/{NO_SUCH_ID}"), 404, "not_found")
    assert_problem(admin_browser.get("/admin/users/not-a-uuid"), 404)


# --- disabling ------------------------------------------------------------------------------------


def test_disabling_needs_the_session_csrf_token_ends_sessions_and_refuses_sign_in(server, admin, admin_browser):
    user = make_user_on(server, prefix="disabled")
    b = login(server, user, "victim")
    uid, admin_id = me(b)["id"], me(admin_browser)["id"]
    admin_tab2 = login(server, admin, "admin-other-session")

    refused = [patch(admin_browser, uid, {"disabled": True}, csrf=None),
               patch(admin_browser, uid, {"disabled": True}, csrf=admin_browser.anon_csrf()),
               patch(admin_browser, uid, {"disabled": True}, csrf=admin_tab2.csrf),
               patch(admin_browser, uid, {"disabled": True}, csrf=b.csrf)]
    for r in refused:
        assert_problem(r, 403, "csrf_invalid")
    assert detail(admin_browser, uid)["user"]["disabled"] is False
    assert b.refresh().status_code == 200

    changed = ok(patch(admin_browser, uid, {"disabled": True}))
    assert ACCOUNT_KEYS <= set(changed) and changed["id"] == uid and changed["disabled"] is True, changed
    assert_problem(b.refresh(), 401, "session_expired")
    assert_problem(Browser(server).login(user.email, user.password, expect=None), 403, "account_disabled")
    assert_problem(Browser(server).login(user.email, "wrong " + user.password, expect=None), 401, "invalid_credentials")
    shown = detail(admin_browser, uid)
    assert shown["user"]["disabled"] is True and shown["sessions"] == [], shown
    # Both attempts are failed sign-ins, the one with the right password included.
    assert len(events(admin_browser, user=uid, kind="login_failed")) == 2
    assert ok(admin_browser.get(f"/admin/users?query={user.email}"))["users"][0]["disabled"] is True

    assert ok(patch(admin_browser, uid, {"disabled": False}))["disabled"] is False
    assert login(server, user, "back").refresh().status_code == 200

    for kind in ("account_disabled", "account_enabled"):
        on_account = events(admin_browser, user=uid, kind=kind)
        assert len(on_account) == 1, on_account
        e = on_account[0]
        assert (e["userId"], e["email"], e.get("actorId"), e.get("targetId")) == (uid, user.email, admin_id, None), e
        assert e["ipAddress"] in LOCAL_ADDRESSES and e["userAgent"] == admin_browser.user_agent, e
        on_admin = events(admin_browser, user=admin.email, kind=kind)
        assert len(on_admin) == 1, on_admin
        assert (on_admin[0]["userId"], on_admin[0].get("targetId"), on_admin[0].get("actorId")) == (admin_id, uid, None), on_admin


def test_a_disabled_account_cannot_sign_in_with_its_provider_either(server, admin_browser, oidc_provider):
    user = make_user_on(server, prefix="fed-disabled")
    sub = person(oidc_provider, user.email)
    first = Browser(server)
    assert federated_sign_in(first, sub).headers["Location"] == f"{SPA_URL}/auth/callback?status=success"
    uid = me(first)["id"]
    assert first.load_session().json()["authenticated"] is True  # the SPA's CSRF token, after the redirect
    assert ok(patch(admin_browser, uid, {"disabled": True}))["disabled"] is True
    assert_problem(first.refresh(), 401, "session_expired")

    refused = Browser(server)
    done = federated_sign_in(refused, sub)
    assert done.status_code == 302, describe(done)
    assert done.headers["Location"] == f"{SPA_URL}/auth/callback?status=error&code=account_disabled", describe(done)
    assert refused.cookie("access_token") is None and refused.cookie("refresh_token") is None
    assert detail(admin_browser, uid)["sessions"] == []

    assert ok(patch(admin_browser, uid, {"disabled": False}))["disabled"] is False
    again = Browser(server)
    assert federated_sign_in(again, sub).headers["Location"] == f"{SPA_URL}/auth/callback?status=success"
    assert me(again)["id"] == uid


# --- roles ----------------------------------------------------------------------------------------


def test_roles_change_through_the_api_and_reach_the_token_at_refresh(server, admin_browser, tokens):
    user = make_user_on(server, prefix="api-roles")
    b = login(server, user, "roles")
    uid = me(b)["id"]

    assert ok(patch(admin_browser, uid, {"roles": ["support", "user"]}))["roles"] == ["support", "user"]
    assert ok(patch(admin_browser, uid, {"roles": ["support"]}))["roles"] == ["support", "user"]  # "user" stays
    assert ok(patch(admin_browser, uid, {"roles": ["support"]}))["roles"] == ["support", "user"]  # unchanged
    for bad in (["Admin"], ["has space"], ["x" * 33], [""], ["1st"], ["user", "admin!"]):
        assert_problem(patch(admin_browser, uid, {"roles": bad}), 400, "validation_failed", fields={"roles"})
    assert_problem(patch(admin_browser, uid, {"roles": "admin"}), 400)
    r = admin_browser.request("PATCH", f"/admin/users/{uid}", data="{not json",
                              headers={"Content-Type": "application/json"})
    assert_problem(r, 400, "bad_request")
    assert_problem(patch(admin_browser, NO_SUCH_ID, {"roles": ["user"]}), 404, "not_found")
    assert detail(admin_browser, uid)["user"]["roles"] == ["support", "user"]

    assert tokens.access(b.cookie("access_token"))["roles"] == ["user"]
    assert b.refresh().status_code == 200
    assert tokens.access(b.cookie("access_token"))["roles"] == ["support", "user"]
    assert_problem(b.get("/admin/users"), 403, "forbidden")

    assert ok(patch(admin_browser, uid, {"roles": ["admin", "user"]}))["roles"] == ["admin", "user"]
    assert_problem(b.get("/admin/users"), 403, "forbidden")  # the token says "support", not "admin"
    assert b.refresh().status_code == 200
    assert tokens.access(b.cookie("access_token"))["roles"] == ["admin", "user"]
    assert ok(b.get("/admin/users"))["users"]

    changes = events(admin_browser, user=uid, kind="roles_changed")
    assert len(changes) == 2, changes  # ["support", "user"], ["admin", "user"]: unchanged and refused ones record nothing


def test_an_administrator_cannot_lock_themselves_out(server, admin, admin_browser):
    admin_id = me(admin_browser)["id"]
    for body in ({"disabled": True}, {"roles": ["user"]}, {"roles": []}, {"roles": ["user", "support"], "disabled": False},
                 {"disabled": True, "roles": ["admin", "support", "user"]}):
        assert_problem(patch(admin_browser, admin_id, body), 409, "self_lockout")
    shown = detail(admin_browser, admin_id)["user"]
    assert shown["disabled"] is False and shown["roles"] == ["admin", "user"], shown  # nothing half-done
    # Only the console's grant of `admin`, nothing of the refused changes.
    assert [e["ipAddress"] for e in events(admin_browser, user=admin_id, kind="roles_changed")] == ["console"]
    # What keeps them an administrator is allowed.
    assert ok(patch(admin_browser, admin_id, {"roles": ["admin", "support", "user"], "disabled": False}))["roles"] \
        == ["admin", "support", "user"]
    assert ok(admin_browser.get("/admin/users"))
    assert admin_browser.refresh().status_code == 200


# --- ending sessions ------------------------------------------------------------------------------


def test_ending_every_session_of_an_account(server, admin, admin_browser):
    user, other_user = make_users_on(server, {"prefix": "admin-logout"}, {"prefix": "admin-logout-other"})
    browsers = [login(server, user, f"device-{i}") for i in range(2)]
    other = login(server, other_user, "other")
    uid, admin_id = me(browsers[0])["id"], me(admin_browser)["id"]

    assert_problem(admin_browser.post(f"/admin/users/{uid}/logout", csrf=None), 403, "csrf_invalid")
    assert len(detail(admin_browser, uid)["sessions"]) == 2
    assert ok(admin_browser.post(f"/admin/users/{uid}/logout")) == {"revoked": 2}
    for b in browsers:
        assert_problem(b.refresh(), 401, "session_expired")
    assert other.refresh().status_code == 200
    assert detail(admin_browser, uid)["sessions"] == []
    assert ok(admin_browser.post(f"/admin/users/{uid}/logout")) == {"revoked": 0}
    assert_problem(admin_browser.post(f"/admin/users/{NO_SUCH_ID}/logout"), 404, "not_found")

    # Recorded once on each side; ending no session (the second time) records nothing.
    on_account = events(admin_browser, user=uid, kind="sessions_revoked")
    assert [(e.get("actorId"), e.get("targetId")) for e in on_account] == [(admin_id, None)], on_account
    on_admin = events(admin_browser, user=admin_id, kind="sessions_revoked")
    assert [(e.get("actorId"), e.get("targetId")) for e in on_admin] == [(None, uid)], on_admin
    assert login(server, user, "again").refresh().status_code == 200  # logged out, not locked out


# --- events ---------------------------------------------------------------------------------------


def test_events_are_paged_newest_first_and_filtered_by_account_kind_and_time(server, admin, admin_browser):
    started = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=2)
    user = make_user_on(server, prefix="paged-events")
    uid = me(login(server, user))["id"]
    admin_id = me(admin_browser)["id"]
    for i in range(52):
        assert ok(patch(admin_browser, uid, {"roles": ["user", f"r{i}"]}))["roles"] == [f"r{i}", "user"]

    first = ok(admin_browser.get(f"/admin/events?user={uid}&kind=roles_changed"))
    assert len(first["events"]) == 50 and isinstance(first["nextCursor"], str), first["nextCursor"]
    second = ok(admin_browser.get(f"/admin/events?user={uid}&kind=roles_changed&cursor={first['nextCursor']}"))
    assert len(second["events"]) == 2 and second["nextCursor"] is None, second
    paged = first["events"] + second["events"]
    assert len({e["id"] for e in paged}) == 52
    ats = [parse_utc(e["at"]) for e in paged]
    assert ats == sorted(ats, reverse=True), "newest first, across pages"
    for e in paged:
        assert EVENT_KEYS <= set(e), e
        assert (e["kind"], e["userId"], e["email"], e.get("actorId")) == ("roles_changed", uid, user.email, admin_id), e
    # By email as by id; the administrator's side names the account as target.
    assert [e["id"] for e in events(admin_browser, user=user.email, kind="roles_changed")] == [e["id"] for e in paged]
    on_admin = [e for e in events(admin_browser, user=admin_id, kind="roles_changed") if e["ipAddress"] != "console"]
    assert len(on_admin) == 52 and all(e.get("targetId") == uid and e["email"] == admin.email for e in on_admin), on_admin
    # Every kind of the account, and from a moment on.
    kinds = {e["kind"] for e in events(admin_browser, user=uid)}
    assert {"login", "roles_changed"} <= kinds, kinds
    since = started.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert len(events(admin_browser, user=uid, kind="roles_changed", since=since)) == 52
    future = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert ok(admin_browser.get(f"/admin/events?user={uid}&since={future}")) == {"events": [], "nextCursor": None}
    assert ok(admin_browser.get("/admin/events?user=nobody-" + user.email)) == {"events": [], "nextCursor": None}
    everything = ok(admin_browser.get("/admin/events"))
    assert len(everything["events"]) == 50 and everything["nextCursor"], everything["nextCursor"]
    assert_problem(admin_browser.get("/admin/events?since=yesterday"), 400, "validation_failed", fields={"since"})
    assert_problem(admin_browser.get("/admin/events?cursor=garbage"), 400, "validation_failed", fields={"cursor"})
    # A cursor of the user list is not one of the event list.
    users_cursor = ok(admin_browser.get("/admin/users?query=example"))["nextCursor"] or "YTp4"
    assert_problem(admin_browser.get(f"/admin/events?cursor={users_cursor}"), 400, "validation_failed", fields={"cursor"})
    assert_problem(admin_browser.get("/admin/events?kind=" + "k" * 65), 400, "validation_failed", fields={"kind"})


def test_event_pages_neither_repeat_nor_skip_events_recorded_at_the_same_moment(server, admin, admin_browser):
    """An administrator's change to their own account is recorded twice at one instant (on the
    account, and on the administrator as actor), so the pairs of equal timestamps straddle page
    boundaries; each event must still come exactly once."""
    admin_id = me(admin_browser)["id"]
    for i in range(125):
        assert ok(patch(admin_browser, admin_id, {"roles": ["admin", "user", f"r{i}"]}))["roles"][0] == "admin"
    # One more event, from the console (recorded once), shifts the pairs so that every boundary splits one.
    change_roles(server, admin.email, add=("single",))
    pages, cursor = [], None
    while True:
        page = ok(admin_browser.get(f"/admin/events?user={admin_id}&kind=roles_changed"
                                    + (f"&cursor={cursor}" if cursor else "")))
        pages.append([e["id"] for e in page["events"]])
        cursor = page["nextCursor"]
        if cursor is None or len(pages) > 10:
            break
    flat = [i for p in pages for i in p]
    repeated = sorted({i for i in flat if flat.count(i) > 1})
    # 2 x 125 from the API, the console's grant of `admin` and its "single".
    assert (len(flat), repeated) == (252, []), (
        f"pages of {[len(p) for p in pages]}: {len(flat)} events listed, {len(set(flat))} distinct, "
        f"of 252 recorded; repeated: {repeated}")
