"""Account self-service on the account page: changing the email address through the link mailed
to the new one (the old one is told), downloading one's data, and deleting the account after
typing its address (every session ends, a goodbye is mailed, the password stops working)."""

from __future__ import annotations

import json
import re
import time

from playwright.sync_api import Page, expect

from ui import fill_login

INCORRECT = "The email address or password is incorrect."


def open_account(page: Page, system) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Account", exact=True).click()
    expect(page).to_have_url(system.spa("/account"))
    expect(page.get_by_role("heading", name="Account", exact=True, level=1)).to_be_visible()


def shown_email(page: Page):
    """The address under "Your details" on the account page."""
    details = page.get_by_role("region", name="Your details")
    return details.locator(".facts > div").filter(has=page.locator("dt", has_text=re.compile("^Email$"))).locator("dd")


def mail_with_subject(system, address: str, subject: str, timeout: float = 15.0):
    """The next mail to `address` whose subject is `subject` (mails with other subjects are passed by)."""
    deadline = time.monotonic() + timeout
    passed = []
    while True:
        mail = system.outbox.wait_for(address, timeout=max(0.1, deadline - time.monotonic()))
        if mail.subject == subject:
            return mail
        passed.append(mail.subject)
        assert time.monotonic() < deadline, f"no mail {subject!r} to {address}; other mails: {passed}"


def test_a_person_changes_their_email_address_through_the_link_mailed_to_the_new_one(
        system, new_context, account, log_in, make_email, shots, console_errors):
    a = account(system, first="Katherine", last="Johnson")
    new_email = make_email("new")
    page = new_context().new_page()
    log_in(page, system, a)
    open_account(page, system)
    expect(shown_email(page)).to_contain_text(a.email)

    section = page.get_by_role("region", name="Change email address")
    section.get_by_role("textbox", name="New email address", exact=True).fill(new_email)
    section.get_by_role("button", name="Change email address").click()
    # Just logged in with the password: recently authenticated, so no "Confirm it's you".
    sent = section.get_by_role("status").filter(
        has_text=f"Check your new inbox: we sent a link to {new_email}. Your address changes when you open it.")
    confirm = page.get_by_role("dialog", name="Confirm it's you")
    expect(sent.or_(confirm)).to_be_visible()
    assert not confirm.is_visible(), "asked to confirm it's you right after logging in"
    expect(section.get_by_role("textbox", name="New email address", exact=True)).to_have_value("")
    shots(page, "01-change-email-sent", phone=True)

    # The old address is told at once; the new one gets the link, to the Auth Server.
    notice = mail_with_subject(system, a.email, "Your email address is about to change")
    assert new_email in notice.body, notice.body
    mail = system.outbox.wait_for(new_email, containing="/auth/confirm-email-change")
    link = mail.link_containing("/auth/confirm-email-change")
    assert link and link.startswith(system.auth_url + "/auth/confirm-email-change?token="), mail.links

    # Nothing changes until the link is opened.
    page.reload()
    expect(shown_email(page)).to_contain_text(a.email)
    expect(shown_email(page)).not_to_contain_text(new_email)

    page.goto(link)
    expect(page).to_have_url(system.spa("/confirm-email?status=success"))
    expect(page.get_by_role("heading", name="Email address changed", level=1)).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("Your email address has been changed.")
    shots(page, "02-email-changed", phone=True)

    page.get_by_role("link", name="Go to your account").click()
    expect(page).to_have_url(system.spa("/account"))
    expect(shown_email(page)).to_contain_text(new_email)
    expect(shown_email(page)).not_to_contain_text(a.email)
    expect(page.get_by_role("region", name="Recent security activity")).to_contain_text("Email address changed")
    shots(page, "03-account-new-address", phone=True)

    # The old address no longer signs in; the new one does, and the new token carries it.
    page.get_by_role("button", name="Log out").click()
    fill_login(page, a.email, a.password)
    expect(page.get_by_role("alert")).to_have_text(INCORRECT)
    page.get_by_label("Email address").fill(new_email)
    page.get_by_role("button", name="Log in", exact=True).click()
    expect(page.get_by_role("heading", name=f"Hello, {a.first}")).to_be_visible()
    profile = page.get_by_role("region", name="Profile")  # from the Resource Server's /api/profiles/me
    expect(profile).to_contain_text(new_email)
    expect(profile).not_to_contain_text(a.email)

    # A link that is not one says so.
    page.goto(system.auth_url + "/auth/confirm-email-change?token=not-a-real-token")
    expect(page).to_have_url(system.spa("/confirm-email?status=invalid"))
    expect(page.get_by_role("heading", name="This link doesn't work", level=1)).to_be_visible()
    shots(page, "04-link-invalid")

    assert [line for line in console_errors() if "status of 401" not in line] == []


def test_a_person_downloads_everything_held_about_their_account_as_json(
        system, new_context, account, log_in, shots):
    a = account(system, first="Hedy", last="Lamarr")
    page = new_context().new_page()
    log_in(page, system, a)
    open_account(page, system)

    section = page.get_by_role("region", name="Your data")
    with page.expect_download() as downloading:
        section.get_by_role("button", name="Download my data").click()
    download = downloading.value
    assert download.suggested_filename == "gatehouse-export.json", download.suggested_filename
    expect(section.get_by_role("status")).to_have_text("Your data was saved as gatehouse-export.json.")
    expect(section.get_by_role("button", name="Download my data")).to_be_enabled()
    shots(page, "01-data-saved")

    text = download.path().read_text(encoding="utf-8")
    data = json.loads(text)
    [user] = data["users"]
    assert user["email"] == a.email, user
    assert (user["first_name"], user["last_name"]) == ("Hedy", "Lamarr"), user
    assert user["id"] == page.request.get(system.auth_url + "/auth/user").json()["id"], user
    assert any(s["revoked_at"] is None for s in data["sessions"]), data["sessions"]
    assert "login" in [e["kind"] for e in data["security_events"]], data["security_events"]
    assert data["exportedAt"], data
    # Secrets are named in no row.
    for secret in ("password_hash", a.password, "token_hash"):
        assert secret not in text, f"{secret!r} in the export"


def test_a_person_deletes_their_account_after_typing_its_address_and_can_no_longer_sign_in(
        system, new_context, account, log_in, make_email, shots, console_errors):
    a = account(system, first="Ida", last="Rhodes")
    other = new_context("other-device").new_page()
    log_in(other, system, a)
    page = new_context().new_page()
    log_in(page, system, a)
    open_account(page, system)

    section = page.get_by_role("region", name="Delete account")
    start = section.get_by_role("button", name="Delete account", exact=True)
    confirm = page.get_by_role("group", name="Confirm account deletion")
    expect(confirm).to_have_count(0)

    # Cancel puts the button back.
    start.click()
    expect(confirm).to_be_visible()
    confirm.get_by_role("button", name="Cancel").click()
    expect(confirm).to_have_count(0)
    expect(start).to_be_focused()

    # A wrong address: the field says what to type, and nothing is deleted.
    start.click()
    typed = confirm.get_by_role("textbox", name="Type your email address to confirm")
    expect(typed).to_be_focused()
    typed.fill(make_email("someone-else"))
    confirm.get_by_role("button", name="Delete my account").click()
    expect(typed).to_have_attribute("aria-invalid", "true")
    expect(typed).to_have_accessible_description(re.compile(re.escape(f"Type {a.email} exactly to confirm.")))
    expect(page).to_have_url(system.spa("/account"))
    shots(page, "01-delete-wrong-address", phone=True)

    typed.fill(a.email)
    confirm.get_by_role("button", name="Delete my account").click()
    expect(page).to_have_url(system.spa("/login"))
    expect(page.get_by_role("status")).to_have_text("Your account has been deleted.")
    shots(page, "02-deleted", phone=True)

    goodbye = mail_with_subject(system, a.email, "Your account was deleted")
    assert goodbye.to == [a.email.lower()], goodbye.to

    # The password signs in no more, the same words as for any unknown address.
    fill_login(page, a.email, a.password)
    expect(page.get_by_role("alert")).to_have_text(INCORRECT)
    expect(page).to_have_url(system.spa("/login"))

    # The other device's session ended with the account.
    other.reload()
    expect(other).to_have_url(re.compile(re.escape(system.spa("/login"))))
    expect(other.get_by_role("heading", name="Log in", exact=True)).to_be_visible()

    # And the address is free again: a new registration of it gets as far as "Check your email".
    page.goto(system.spa("/register"))
    page.get_by_label("First name").fill("Ida")
    page.get_by_label("Last name").fill("Rhodes")
    page.get_by_label("Email address").fill(a.email)
    page.get_by_label("Password", exact=True).fill("a fresh start for ida rhodes")
    page.get_by_role("checkbox", name=re.compile("I accept the terms")).check()
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    link = system.confirmation_link(a.email)
    page.goto(link)
    expect(page.get_by_role("heading", name="Your account is confirmed")).to_be_visible()
    page.goto(system.spa("/login"))
    fill_login(page, a.email, "a fresh start for ida rhodes")
    expect(page.get_by_role("heading", name="Hello, Ida")).to_be_visible()

    assert [line for line in console_errors() if "status of 401" not in line] == []
