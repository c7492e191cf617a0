"""The session as the browser keeps it: across reloads, across tabs, and across devices."""

from __future__ import annotations

import time

from playwright.sync_api import expect

from ui import create_project, fill_login, project_titles

FIREFOX_ON_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"


def test_a_reload_keeps_you_logged_in_with_one_session_request_before_the_page_renders(
        system, new_context, account, log_in, request_log, refreshes, shots):
    a = account(system)
    context = new_context()
    page = context.new_page()
    log_in(page, system, a)
    create_project(page, "Survives reloads")
    shots(page, "01-before-reload")

    # Every request to either server, in order, from the reload on.
    calls = request_log(context, rf"^({system.auth_url}|{system.resource_url})/")
    refreshed = refreshes(context)
    page.reload()
    expect(page.get_by_role("heading", name=f"Hello, {a.first}")).to_be_visible()
    expect(project_titles(page)).to_have_text(["Survives reloads"])
    expect(page.get_by_role("region", name="Profile")).to_contain_text(a.email)
    shots(page, "02-after-reload", phone=True)

    sent = [f"{m} {u.split('//', 1)[1].split('/', 1)[1]}" for _, m, u in calls.seen]
    assert sent.count("GET auth/session") == 1, sent
    assert sent[0] == "GET auth/session", f"the session request must come first: {sent}"
    assert "GET api/profiles/me" in sent and "GET api/projects" in sent, sent
    assert refreshed.count() == 0, f"no refresh is due with a 15-minute token: {refreshed}"

    # The same on a deep link typed into the address bar.
    page.goto(system.spa("/account"))
    expect(page.get_by_role("heading", name="Account", exact=True)).to_be_visible()
    expect(page.get_by_text("This device", exact=True)).to_be_visible()
    sent = [f"{m} {u.split('//', 1)[1].split('/', 1)[1]}" for _, m, u in calls.seen]
    assert sent.count("GET auth/session") == 2, sent


def test_logging_out_in_one_tab_shows_the_login_page_in_the_other_within_a_second(system, new_context, account,
                                                                                  log_in, shots):
    a = account(system)
    context = new_context()
    first = context.new_page()
    log_in(first, system, a)
    second = context.new_page()
    second.goto(system.spa("/account"))
    expect(second.get_by_role("heading", name="Account", exact=True)).to_be_visible()

    first.bring_to_front()
    first.get_by_role("button", name="Log out").click()
    expect(first.get_by_role("heading", name="Log in", exact=True)).to_be_visible()
    expect(first.get_by_role("status")).to_have_text("You have logged out.")
    shots(first, "01-logged-out-tab", phone=True)

    # The other tab hears it over the BroadcastChannel, without any action of its own.
    started = time.monotonic()
    expect(second.get_by_role("heading", name="Log in", exact=True)).to_be_visible(timeout=1500)
    took = time.monotonic() - started
    expect(second).to_have_url(system.spa("/login"))
    shots(second, "02-other-tab")
    assert took < 1.5, took

    # And the cookies are gone, not just the page: a reload stays logged out.
    second.goto(system.spa("/"))
    expect(second).to_have_url(system.spa("/login"))
    expect(second.get_by_role("heading", name="Log in", exact=True)).to_be_visible()


def test_ending_another_devices_session_from_the_account_page_sends_that_device_to_login(
        short_system, new_context, account, log_in, refreshes, shots):
    """On the short-lived-token system: ending a session revokes its refresh token, and access
    tokens are not looked up, so the other device notices at its next refresh (within 4 s here;
    within the access-token lifetime in general)."""
    system = short_system
    a = account(system)
    laptop = new_context("laptop").new_page()
    log_in(laptop, system, a)
    laptop.get_by_role("link", name="Account", exact=True).click()
    expect(laptop.get_by_role("heading", name="Account", exact=True)).to_be_visible()
    sessions = laptop.get_by_role("list", name="Signed-in devices").get_by_role("listitem")
    expect(sessions).to_have_count(1)
    expect(sessions.first).to_contain_text("This device")
    expect(laptop.get_by_text("You're not signed in anywhere else.")).to_be_visible()
    shots(laptop, "01-account-one-session", phone=True)

    other_context = new_context("other-device", user_agent=FIREFOX_ON_WINDOWS)
    other_refreshes = refreshes(other_context)
    other = other_context.new_page()
    log_in(other, system, a)
    shots(other, "02-other-device-projects")

    laptop.reload()
    expect(sessions).to_have_count(2)
    expect(sessions.first).to_contain_text("This device")
    expect(sessions.nth(1)).to_contain_text("Firefox 128 on Windows")
    expect(sessions.nth(1)).not_to_contain_text("This device")
    shots(laptop, "03-account-two-sessions", phone=True)

    laptop.get_by_role("button", name="End session on Firefox 128 on Windows").click()
    expect(laptop.get_by_role("status").filter(has_text="Ended the session on Firefox 128 on Windows.")).to_be_visible()
    expect(sessions).to_have_count(1)
    expect(sessions.first).to_contain_text("This device")
    shots(laptop, "04-account-other-ended")

    # Let the other device's access token run out (it refreshed once after login), then act there.
    last = max(t for t, _, _ in other_refreshes.seen) if other_refreshes.seen else time.monotonic()
    time.sleep(max(0.0, last + system.access_ttl + 1.5 - time.monotonic()))
    other.get_by_label("Project name").fill("Should not be created")
    other.get_by_role("button", name="Create project").click()
    expect(other).to_have_url(system.spa("/login"))
    expect(other.get_by_role("status")).to_have_text("Your session has ended. Please log in again.")
    shots(other, "05-other-device-sent-to-login", phone=True)

    # The laptop itself is still fine.
    laptop.get_by_role("link", name="Projects", exact=True).click()
    expect(laptop.get_by_role("heading", name=f"Hello, {a.first}")).to_be_visible()
    expect(project_titles(laptop)).to_have_count(0)
    expect(laptop.get_by_text("No projects yet.")).to_be_visible()

    # And logging in again on the other device works.
    fill_login(other, a.email, a.password)
    expect(other.get_by_role("heading", name=f"Hello, {a.first}")).to_be_visible()
