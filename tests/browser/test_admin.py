"""The administration page (`/admin`) as an administrator and as everyone else uses it: hidden and
refused for a person without the `admin` role (by the page and by the Auth Server), and for an
administrator made at the console (`gatehouse users roles EMAIL --add admin`, as the first one
is): find an account, open it, disable it (its devices are signed out and its password refused),
enable it, give it a role (in its next access token), end its sessions, read its events, and the
two ways an administrator could lock themselves out, refused."""

from __future__ import annotations

import re
import time

from playwright.sync_api import Locator, Page, expect

from ui import fill_login

SESSION_ENDED = "Your session has ended. Please log in again."


# --------------------------------------------------------------------------------------------
# Helpers


def make_admin(system, email: str) -> None:
    """`gatehouse users roles EMAIL --add admin` with the Auth Server's own environment (the
    console opens the database directly, while the server runs)."""
    done = system.auth.cli("users", "roles", email, "--add", "admin")
    assert done.returncode == 0, f"gatehouse users roles: {done.returncode}\n{done.stdout}\n{done.stderr}"
    assert re.search(r"\badmin\b", done.stdout), done.stdout


def main_nav(page: Page) -> Locator:
    return page.get_by_role("navigation", name="Main")


def open_admin(page: Page, system) -> None:
    """The Admin link of the navigation, to the administration page with its three sections."""
    main_nav(page).get_by_role("link", name="Admin", exact=True).click()
    expect(page).to_have_url(system.spa("/admin"))
    expect(page.get_by_role("heading", name="Administration", level=1)).to_be_visible()
    expect(page.get_by_test_id("admin-users").get_by_role("heading", name="Accounts")).to_be_visible()
    expect(page.get_by_test_id("admin-events").get_by_role("heading", name="Events")).to_be_visible()


def search(page: Page, text: str) -> Locator:
    """Searches the accounts; returns the rows (once the search has answered)."""
    accounts = page.get_by_test_id("admin-users")
    accounts.get_by_role("textbox", name="Search accounts").fill(text)
    accounts.get_by_role("button", name="Search", exact=True).click()
    expect(accounts.get_by_role("button", name="Search", exact=True)).to_be_enabled()
    return accounts.get_by_test_id("admin-user-row")


def open_account(page: Page, email: str) -> Locator:
    """Finds the account by its address and opens it; returns the detail panel."""
    rows = search(page, email)
    expect(rows).to_have_count(1)
    rows.get_by_role("button", name=email, exact=True).click()
    detail = page.get_by_test_id("admin-user-detail")
    expect(detail.get_by_role("heading", name=email, level=2, exact=True)).to_be_visible()
    return detail


def fact(detail: Locator, term: str) -> Locator:
    """The value beside `term` in the account's facts (Name, Status, Roles, ...)."""
    return detail.locator(".facts > div").filter(has=detail.page.locator("dt", has_text=re.compile(f"^{term}$"))).locator("dd")


def status(detail: Locator, text: str) -> Locator:
    return detail.get_by_role("status").filter(has_text=text)


def cells(row: Locator) -> Locator:
    """A table row's header and data cells, in order."""
    return row.locator("th, td")


def signed_in_id(page: Page, system) -> str:
    """The id of the account signed in in this page's context (`GET /auth/user` with its cookies)."""
    answer = page.request.get(system.auth_url + "/auth/user")
    assert answer.ok, f"{answer.status} {answer.text()}"
    return answer.json()["id"]


# --------------------------------------------------------------------------------------------
# Tests


def test_a_person_without_the_admin_role_sees_no_admin_link_and_is_refused_the_admin_page(
        system, new_context, account, log_in, shots, console_errors):
    a = account(system, first="Plain", last="User")
    page = new_context().new_page()
    log_in(page, system, a)

    nav = main_nav(page)
    expect(nav.get_by_role("link", name="Account", exact=True)).to_be_visible()
    expect(nav.get_by_role("link")).to_have_text(["Projects", "Account"])

    page.goto(system.spa("/admin"))
    expect(page.get_by_role("heading", name="Administration", level=1)).to_be_visible()
    forbidden = page.get_by_test_id("admin-forbidden")
    expect(forbidden).to_have_text("You're not allowed to see this page. It is for administrators only.")
    expect(forbidden).to_have_attribute("role", "alert")
    expect(page.get_by_test_id("admin-users")).to_have_count(0)
    expect(page.get_by_test_id("admin-events")).to_have_count(0)
    expect(page.get_by_role("textbox", name="Search accounts")).to_have_count(0)
    shots(page, "01-forbidden", phone=True)

    # Not only hidden: the Auth Server refuses the admin API to this session's token.
    for path in ("/admin/users", "/admin/events"):
        answer = page.request.get(system.auth_url + path)
        assert answer.status == 403, f"{path}: {answer.status} {answer.text()}"

    # Made an administrator at the console, the same person gets the page at the next login.
    make_admin(system, a.email)
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in", exact=True)).to_be_visible()
    fill_login(page, a.email, a.password)
    expect(page.get_by_role("heading", name=f"Hello, {a.first}")).to_be_visible()
    expect(nav.get_by_role("link")).to_have_text(["Projects", "Account", "Admin"])
    open_admin(page, system)
    expect(page.get_by_test_id("admin-forbidden")).to_have_count(0)
    expect(search(page, a.email)).to_have_count(1)

    assert console_errors() == []


def test_an_administrator_disables_enables_changes_roles_ends_sessions_and_reads_the_events_of_an_account(
        system, new_context, account, log_in, make_email, shots, console_errors):
    admin = account(system, first="Margaret", last="Hamilton")
    make_admin(system, admin.email)
    person = account(system, first="Alan", last="Turing")

    device = new_context("person").new_page()
    log_in(device, system, person)
    expect(device.get_by_role("region", name="Profile")).to_contain_text("user")

    page = new_context("admin").new_page()
    log_in(page, system, admin)
    admin_id = signed_in_id(page, system)
    open_admin(page, system)
    shots(page, "01-admin-page")

    # Search: nothing, then the person by part of their address.
    accounts = page.get_by_test_id("admin-users")
    expect(search(page, make_email("nobody-has-this"))).to_have_count(0)
    expect(accounts.get_by_text("No accounts match.")).to_be_visible()
    rows = search(page, person.email.split("@")[0])
    expect(rows).to_have_count(1)
    expect(cells(rows.first)).to_have_text([person.email, "Alan Turing", "Yes", "No", "user", re.compile(r"\d"),
                                            re.compile(r"ago|now", re.I)])
    shots(page, "02-search", phone=True)

    # Open the account: active, signed in on one device.
    rows.get_by_role("button", name=person.email, exact=True).click()
    detail = page.get_by_test_id("admin-user-detail")
    expect(detail.get_by_role("heading", name=person.email, level=2)).to_be_visible()
    expect(fact(detail, "Status")).to_have_text("Active")
    expect(fact(detail, "Name")).to_have_text("Alan Turing")
    expect(fact(detail, "Roles")).to_have_text("user")
    for section in ("Sessions", "Sign-in providers", "Second factors", "Recent events", "Roles"):
        expect(detail.get_by_role("heading", name=section, level=3, exact=True)).to_be_visible()
    sessions = detail.get_by_role("table", name="Sessions").locator("tbody tr")
    expect(sessions).to_have_count(1)
    expect(detail.get_by_role("table", name="Recent events")).to_contain_text("login")
    shots(page, "03-account-detail", phone=True)

    # Disable: the account's sessions end at once.
    detail.get_by_role("button", name="Disable", exact=True).click()
    expect(status(detail, "The account is disabled, and its sessions have ended.")).to_be_visible()
    expect(fact(detail, "Status")).to_have_text("Disabled")
    expect(detail.get_by_role("button", name="Enable", exact=True)).to_be_visible()
    expect(detail.get_by_role("button", name="Disable", exact=True)).to_have_count(0)
    expect(detail.get_by_text("Not signed in anywhere.")).to_be_visible()
    expect(cells(rows.first).nth(3)).to_have_text("Yes")  # the list was read again
    shots(page, "04-disabled", phone=True)

    # The person's device finds its session gone when it next asks for it (a reload asks the Auth
    # Server about the refresh token, as a refresh does) ...
    device.reload()
    expect(device).to_have_url(re.compile(re.escape(system.spa("/login"))))
    expect(device.get_by_role("heading", name="Log in", exact=True)).to_be_visible()
    # ... and the right password is refused with a reason; a wrong one still says only "incorrect".
    fill_login(device, person.email, "not the password at all")
    expect(device.get_by_role("alert")).to_have_text("The email address or password is incorrect.")
    device.get_by_label("Password", exact=True).fill(person.password)
    device.get_by_role("button", name="Log in", exact=True).click()
    expect(device.get_by_role("alert")).to_have_text("This account has been disabled; contact the administrator.")
    expect(device).to_have_url(re.compile(re.escape(system.spa("/login"))))
    shots(device, "05-disabled-login-refused", phone=True)

    # Enable: the person can sign in again.
    detail.get_by_role("button", name="Enable", exact=True).click()
    expect(status(detail, "The account is enabled: it can sign in again.")).to_be_visible()
    expect(fact(detail, "Status")).to_have_text("Active")
    expect(cells(rows.first).nth(3)).to_have_text("No")
    device.get_by_role("button", name="Log in", exact=True).click()
    expect(device.get_by_role("heading", name=f"Hello, {person.first}")).to_be_visible()

    # A role, added by name: saved, shown, and in the person's token from their next login.
    roles = detail.get_by_role("group", name="Roles")
    expect(roles.get_by_role("checkbox", name="user", exact=True)).to_be_disabled()
    expect(roles.get_by_role("checkbox", name="user", exact=True)).to_be_checked()
    expect(roles.get_by_role("checkbox", name="admin", exact=True)).not_to_be_checked()
    roles.get_by_role("textbox", name="Add roles").fill("support")
    roles.get_by_role("button", name="Save roles").click()
    expect(status(detail, "Roles saved: support, user.")).to_be_visible()
    expect(fact(detail, "Roles")).to_have_text("support, user")
    expect(roles.get_by_role("checkbox", name="support", exact=True)).to_be_checked()
    expect(roles.get_by_role("checkbox", name="admin", exact=True)).not_to_be_checked()
    expect(cells(rows.first).nth(4)).to_have_text("support, user")
    shots(page, "06-roles-saved", phone=True)

    profile = device.get_by_role("region", name="Profile")  # from the Resource Server: the token's roles
    expect(profile).not_to_contain_text("support")
    device.get_by_role("button", name="Log out").click()
    fill_login(device, person.email, person.password)
    expect(device.get_by_role("heading", name=f"Hello, {person.first}")).to_be_visible()
    expect(profile).to_contain_text("support, user")
    expect(main_nav(device).get_by_role("link", name="Admin")).to_have_count(0)

    # End all sessions: the one the person just started; then there are none left.
    rows.get_by_role("button", name=person.email, exact=True).click()  # read the account again
    expect(sessions).to_have_count(1)
    detail.get_by_role("button", name="End all sessions").click()
    expect(status(detail, "Ended 1 session.")).to_be_visible()
    expect(detail.get_by_text("Not signed in anywhere.")).to_be_visible()
    detail.get_by_role("button", name="End all sessions").click()
    expect(status(detail, "There were no sessions to end.")).to_be_visible()
    device.reload()
    expect(device.get_by_role("heading", name="Log in", exact=True)).to_be_visible()
    shots(page, "07-sessions-ended")

    # The account's events, newest first, from "Show all events".
    events = page.get_by_test_id("admin-events")
    event_rows = events.get_by_test_id("admin-event-row")
    detail.get_by_role("button", name="Show all events").click()
    expect(events.get_by_role("textbox", name="Account", exact=True)).to_have_value(person.email)
    expect(event_rows.first).to_contain_text("sessions_revoked")
    kinds = [k.strip() for k in event_rows.locator("code.event-kind").all_inner_texts()]
    for kind in ("sessions_revoked", "roles_changed", "account_enabled", "account_disabled", "login"):
        assert kind in kinds, kinds
    # Newest first: the changes in the order they were made, read backwards.
    assert kinds.index("sessions_revoked") < kinds.index("roles_changed") < kinds.index("account_enabled") \
        < kinds.index("account_disabled"), kinds
    expect(event_rows.filter(has_not_text=person.email)).to_have_count(0)
    shots(page, "08-account-events", phone=True)

    # Filtered by account and kind: the one disabling, by this administrator.
    events.get_by_role("textbox", name="Kind", exact=True).fill("account_disabled")
    events.get_by_role("button", name="Filter events").click()
    expect(event_rows).to_have_count(1)
    expect(cells(event_rows.first).nth(1)).to_contain_text("Account disabled")
    expect(cells(event_rows.first).nth(2)).to_have_text(person.email)
    expect(cells(event_rows.first).nth(3)).to_have_text(admin_id[:8])
    # By kind alone: recorded for the account and for the administrator who acted.
    events.get_by_role("textbox", name="Account", exact=True).fill("")
    events.get_by_role("button", name="Filter events").click()
    expect(event_rows.filter(has_text=person.email)).to_have_count(1)
    expect(event_rows.filter(has_text=admin.email)).to_have_count(1)
    expect(event_rows.filter(has_not_text="account_disabled")).to_have_count(0)
    shots(page, "09-events-by-kind")

    assert [line for line in console_errors() if not re.search(r"status of 40[13]", line)] == []


def test_an_administrator_can_neither_disable_themselves_nor_drop_their_own_admin_role(
        system, new_context, account, log_in, shots):
    admin = account(system, first="Frances", last="Allen")
    make_admin(system, admin.email)
    page = new_context().new_page()
    log_in(page, system, admin)
    open_admin(page, system)
    detail = open_account(page, admin.email)
    expect(fact(detail, "Roles")).to_have_text("admin, user")

    detail.get_by_role("button", name="Disable", exact=True).click()
    expect(detail.get_by_role("alert")).to_have_text("You can't disable your own account. Another administrator can.")
    expect(fact(detail, "Status")).to_have_text("Active")
    shots(page, "01-cannot-disable-self")

    roles = detail.get_by_role("group", name="Roles")
    roles.get_by_role("checkbox", name="admin", exact=True).uncheck()
    roles.get_by_role("button", name="Save roles").click()
    expect(roles.get_by_role("alert")).to_have_text("You can't remove your own admin role. Another administrator can.")
    shots(page, "02-cannot-drop-own-admin")

    # Nothing changed, on the server either: a reload still shows an active administrator.
    page.reload()
    expect(page.get_by_role("heading", name="Administration", level=1)).to_be_visible()
    expect(main_nav(page).get_by_role("link", name="Admin", exact=True)).to_be_visible()
    detail = open_account(page, admin.email)
    expect(fact(detail, "Status")).to_have_text("Active")
    expect(fact(detail, "Roles")).to_have_text("admin, user")
    expect(detail.get_by_role("group", name="Roles").get_by_role("checkbox", name="admin", exact=True)).to_be_checked()


def test_a_disabled_persons_open_page_is_sent_to_login_at_its_next_refresh(
        short_system, new_context, account, log_in, refreshes, shots):
    """On the short-lived-token system: nothing is reloaded on the person's device; its access
    token runs out, the next action refreshes, and the refresh of a disabled account is refused."""
    system = short_system
    admin = account(system, first="Barbara", last="Liskov")
    make_admin(system, admin.email)
    person = account(system, first="Edsger", last="Dijkstra")

    device_context = new_context("person")
    device_refreshes = refreshes(device_context)
    device = device_context.new_page()
    log_in(device, system, person)

    page = new_context("admin").new_page()
    log_in(page, system, admin)
    open_admin(page, system)
    detail = open_account(page, person.email)
    detail.get_by_role("button", name="Disable", exact=True).click()
    expect(status(detail, "The account is disabled, and its sessions have ended.")).to_be_visible()

    # Let the device's access token run out after its last refresh, then act there.
    expect(device.get_by_role("heading", name=f"Hello, {person.first}")).to_be_visible()
    last = max(t for t, _, _ in device_refreshes.seen) if device_refreshes.seen else None
    assert last is not None, "the page refreshes once right after login"
    device.wait_for_timeout(max(0.0, last + system.access_ttl + 1.5 - time.monotonic()) * 1000)
    before = device_refreshes.count()
    device.get_by_label("Project name").fill("Should not be created")
    device.get_by_role("button", name="Create project").click()
    expect(device).to_have_url(system.spa("/login"))
    expect(device.get_by_role("status")).to_have_text(SESSION_ENDED)
    assert device_refreshes.count() > before, "the device was signed out without trying a refresh"
    shots(device, "01-disabled-device-sent-to-login")
