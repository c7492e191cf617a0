"""Second factors through the pages: passkeys with Chromium's virtual authenticator (added on the
account page, a whole sign-in from the login page, the second step after a password, removed),
the browser's prompt closed without a word, a browser without WebAuthn; and two-step verification
with TOTP (enrolled from the key the account page shows, codes computed with pyotp, then a login
with a code, one with a recovery code, and one with the passkey where both are offered)."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

import pyotp
from playwright.sync_api import CDPSession, Page, expect

from ui import fill_login

# A platform authenticator (like Touch ID or Windows Hello) that keeps discoverable credentials,
# verifies the person and answers without anyone touching it.
PLATFORM_AUTHENTICATOR = {
    "protocol": "ctap2",
    "transport": "internal",
    "hasResidentKey": True,
    "hasUserVerification": True,
    "isUserVerified": True,
    "automaticPresenceSimulation": True,
}


@dataclass
class VirtualAuthenticator:
    """Chromium's virtual WebAuthn authenticator on one page (DevTools protocol, WebAuthn domain).
    Its credentials live as long as it does, across the page's navigations."""
    cdp: CDPSession
    id: str

    @classmethod
    def attach(cls, page: Page) -> "VirtualAuthenticator":
        cdp = page.context.new_cdp_session(page)
        cdp.send("WebAuthn.enable", {"enableUI": False})
        answer = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": PLATFORM_AUTHENTICATOR})
        return cls(cdp, answer["authenticatorId"])

    def credentials(self) -> list[dict]:
        return self.cdp.send("WebAuthn.getCredentials", {"authenticatorId": self.id})["credentials"]

    def set_user_verified(self, verified: bool) -> None:
        self.cdp.send("WebAuthn.setUserVerified", {"authenticatorId": self.id, "isUserVerified": verified})


def log_out(page: Page) -> None:
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in", exact=True)).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("You have logged out.")


def open_account(page: Page, system):
    page.goto(system.spa("/account"))
    expect(page.get_by_role("heading", name="Account", exact=True)).to_be_visible()


def page_errors(console_errors) -> list[str]:
    """The console errors, less Chromium's own line for each refused code or passkey (a 401 when
    signing in, a 400 when signed in)."""
    refused = ("the server responded with a status of 401", "the server responded with a status of 400")
    return [line for line in console_errors() if not any(r in line for r in refused)]


def confirm_dialog(page: Page):
    return page.get_by_role("dialog", name="Confirm it's you")


def test_a_person_adds_a_passkey_signs_in_with_it_uses_it_after_the_password_and_removes_it(
        system, new_context, account, log_in, request_log, shots, console_errors):
    a = account(system, first="Radia", last="Perlman")
    page = new_context().new_page()
    authenticator = VirtualAuthenticator.attach(page)
    passwords_sent = request_log(page, r"/auth/login$", "POST")

    log_in(page, system, a)
    open_account(page, system)
    passkeys = page.get_by_role("region", name="Passkeys")
    expect(passkeys.get_by_text("No passkeys yet.")).to_be_visible()
    passkeys.scroll_into_view_if_needed()
    shots(page, "01-account-no-passkeys")

    # "Add a passkey" offers a name after the browser, which the person changes.
    passkeys.get_by_role("button", name="Add a passkey").click()
    name = passkeys.get_by_label("Passkey name")
    expect(name).to_be_focused()
    expect(name).to_have_value(re.compile(r"^Passkey on .*Chrom"))
    name.fill("Radia's laptop")
    shots(page, "02-passkey-name")
    passkeys.get_by_role("button", name="Create passkey").click()

    # Just logged in with the password: recently authenticated, so no "Confirm it's you".
    added = page.get_by_role("status").filter(has_text="“Radia's laptop” was added.")
    expect(added.or_(confirm_dialog(page))).to_be_visible()
    assert not confirm_dialog(page).is_visible(), "asked to confirm it's you right after logging in"
    item = passkeys.get_by_role("listitem")
    expect(item).to_have_count(1)
    expect(item).to_contain_text("Radia's laptop")
    expect(item).to_contain_text("Not used yet")
    expect(passkeys.get_by_role("button", name="Add a passkey")).to_be_visible()
    [credential] = authenticator.credentials()
    assert credential["isResidentCredential"], credential
    assert credential["rpId"] == "localhost", credential
    shots(page, "03-passkey-added", phone=True)
    expect(page.get_by_role("region", name="Recent security activity")).to_contain_text("Passkey added")

    # A whole sign-in with the passkey, no address or password typed; `?next=` is honoured.
    log_out(page)
    page.goto(system.spa("/login?next=%2Faccount"))
    sign_in = page.get_by_role("button", name="Sign in with a passkey")
    expect(sign_in).to_be_visible()
    shots(page, "04-login-with-passkey-button", phone=True)
    before = passwords_sent.count()
    sign_in.click()
    expect(page).to_have_url(system.spa("/account"))
    expect(page.get_by_role("heading", name="Account", exact=True)).to_be_visible()
    assert passwords_sent.count() == before, "a passkey sign-in sent the password form"
    item = page.get_by_role("region", name="Passkeys").get_by_role("listitem")
    expect(item).to_contain_text("Last used just now")
    shots(page, "05-signed-in-with-passkey")

    # A passkey alone does not turn on two-step verification (TOTP does, with its recovery codes):
    # the password still signs in by itself; the passkey as a second step is in the TOTP test.
    log_out(page)
    fill_login(page, a.email, a.password)
    expect(page.get_by_role("heading", name=f"Hello, {a.first}")).to_be_visible()
    expect(page).to_have_url(system.spa("/"))

    # Removed from the account page (recently authenticated again: no dialog); the password alone
    # is enough again.
    open_account(page, system)
    passkeys = page.get_by_role("region", name="Passkeys")
    passkeys.get_by_role("button", name="Remove Radia's laptop").click()
    confirm = passkeys.get_by_role("group", name="Remove Radia's laptop?")
    expect(confirm).to_contain_text("You won't be able to sign in with it any more.")
    expect(confirm.get_by_role("button", name="Keep it")).to_be_focused()
    shots(page, "07-remove-passkey-confirm")
    confirm.get_by_role("button", name="Remove passkey").click()
    expect(page.get_by_role("status").filter(has_text="“Radia's laptop” was removed.")).to_be_visible()
    assert not confirm_dialog(page).is_visible()
    expect(passkeys.get_by_text("No passkeys yet.")).to_be_visible()
    expect(page.get_by_role("region", name="Recent security activity")).to_contain_text("Passkey removed")
    shots(page, "08-passkey-removed")

    log_out(page)
    fill_login(page, a.email, a.password)
    expect(page.get_by_role("heading", name=f"Hello, {a.first}")).to_be_visible()

    # The credential is still in the authenticator, but the server no longer knows it.
    log_out(page)
    page.get_by_role("button", name="Sign in with a passkey").click()
    expect(page.get_by_role("alert")).to_contain_text("That passkey wasn't accepted.")
    expect(page.get_by_role("button", name="Sign in with a passkey")).to_be_enabled()
    shots(page, "09-removed-passkey-refused")

    assert page_errors(console_errors) == []


def test_closing_the_browsers_passkey_prompt_says_nothing_and_a_browser_without_passkeys_is_told(
        system, new_context, account, log_in, shots, console_errors):
    a = account(system)
    page = new_context().new_page()
    authenticator = VirtualAuthenticator.attach(page)
    # The authenticator refuses to verify the person: the browser rejects with NotAllowedError,
    # exactly as when the person closes its prompt.
    authenticator.set_user_verified(False)

    page.goto(system.spa("/login"))
    sign_in = page.get_by_role("button", name="Sign in with a passkey")
    with page.expect_response(lambda r: r.url.endswith("/auth/passkeys/login-options")):
        sign_in.click()
    expect(sign_in).to_have_text("Sign in with a passkey")
    expect(sign_in).to_be_enabled()
    expect(page.get_by_role("alert")).to_have_count(0)
    expect(page.get_by_role("heading", name="Log in", exact=True)).to_be_visible()

    log_in(page, system, a)
    open_account(page, system)
    passkeys = page.get_by_role("region", name="Passkeys")
    passkeys.get_by_role("button", name="Add a passkey").click()
    create = passkeys.get_by_role("button", name="Create passkey")
    with page.expect_response(lambda r: r.url.endswith("/auth/passkeys/registration-options")):
        create.click()
    expect(create).to_be_enabled()
    expect(page.get_by_role("alert")).to_have_count(0)
    expect(passkeys.get_by_label("Passkey name")).to_be_visible()
    assert authenticator.credentials() == []

    # Cancel puts the button back.
    passkeys.get_by_role("button", name="Cancel").click()
    expect(passkeys.get_by_role("button", name="Add a passkey")).to_be_focused()
    expect(passkeys.get_by_text("No passkeys yet.")).to_be_visible()

    # A browser without WebAuthn: no passkey button on the login page, and the account page says why.
    bare = new_context().new_page()
    bare.add_init_script("delete window.PublicKeyCredential")
    log_in(bare, system, a)
    open_account(bare, system)
    passkeys = bare.get_by_role("region", name="Passkeys")
    expect(passkeys).to_contain_text("This browser can't use passkeys.")
    expect(passkeys.get_by_role("button", name="Add a passkey")).to_have_count(0)
    passkeys.scroll_into_view_if_needed()
    shots(bare, "01-account-without-webauthn")
    log_out(bare)
    expect(bare.get_by_role("button", name="Sign in with a passkey")).to_have_count(0)

    assert console_errors() == []


def next_code(totp: pyotp.TOTP) -> str:
    """The code of the next 30-second step: accepted now (one step of drift is allowed) and always
    later than any code already used, which the server refuses to take twice."""
    return totp.at(time.time() + totp.interval)


def test_a_person_turns_on_two_step_verification_then_logs_in_with_a_code_and_with_a_recovery_code(
        system, new_context, account, log_in, shots, console_errors):
    a = account(system, first="Whitfield", last="Diffie")
    page = new_context().new_page()
    log_in(page, system, a)
    open_account(page, system)

    section = page.get_by_role("region", name="Two-step verification")
    section.get_by_role("button", name="Set up two-step verification").click()
    # Just logged in: no "Confirm it's you" on the way to the QR code.
    expect(section.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    assert not confirm_dialog(page).is_visible()
    key = section.locator(".totp-key code").inner_text()
    secret = re.sub(r"\s+", "", key)
    assert re.fullmatch(r"[A-Z2-7]{32}", secret), key  # 160 bits in base32
    totp = pyotp.TOTP(secret)
    section.scroll_into_view_if_needed()
    shots(page, "01-totp-enrolment", phone=True)

    # A wrong code first: said beside the field, nothing turned on.
    code = section.get_by_label("6-digit code")
    wrong = f"{(int(totp.now()) + 1) % 1_000_000:06d}"
    code.fill(wrong if wrong != next_code(totp) else f"{(int(wrong) + 1) % 1_000_000:06d}")
    section.get_by_role("button", name="Turn on").click()
    expect(code).to_have_accessible_description(re.compile(r"That code is not right"))

    code.fill(totp.now())
    section.get_by_role("button", name="Turn on").click()
    codes = section.get_by_role("list", name="Recovery codes").get_by_role("listitem")
    expect(codes).to_have_count(10)
    recovery_codes = codes.all_inner_texts()
    assert all(re.fullmatch(r"[a-z0-9]{4}(-[a-z0-9]{4}){3}", c.strip().lower()) for c in recovery_codes), recovery_codes
    expect(page.get_by_role("status").filter(has_text="Two-step verification is on.")).to_be_visible()
    shots(page, "02-recovery-codes", phone=True)
    section.get_by_role("button", name="I have saved them").click()
    expect(section).to_contain_text("Two-step verification is on.")
    expect(page.get_by_role("region", name="Recent security activity")).to_contain_text("Two-step verification turned on")

    # Password, then a code from the app.
    log_out(page)
    fill_login(page, a.email, a.password)
    expect(page.get_by_role("heading", name="Two-step verification")).to_be_visible()
    expect(page.get_by_role("button", name="Use your passkey")).to_have_count(0)  # no passkey on this account
    field = page.get_by_label("Authentication code")
    expect(field).to_be_focused()
    shots(page, "03-login-code-step", phone=True)
    field.fill(next_code(totp))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", name=f"Hello, {a.first}")).to_be_visible()

    # Password, then a recovery code (typed in capitals, as people do); each works once.
    log_out(page)
    fill_login(page, a.email, a.password)
    expect(page.get_by_role("heading", name="Two-step verification")).to_be_visible()
    page.get_by_role("button", name="Use a recovery code instead").click()
    field = page.get_by_label("Recovery code")
    expect(field).to_be_focused()
    field.fill(recovery_codes[3].strip().upper())
    shots(page, "04-login-recovery-code")
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", name=f"Hello, {a.first}")).to_be_visible()

    # With a passkey as well, the second step offers both; a recovery code works only once.
    authenticator = VirtualAuthenticator.attach(page)
    open_account(page, system)
    passkeys = page.get_by_role("region", name="Passkeys")
    passkeys.get_by_role("button", name="Add a passkey").click()
    passkeys.get_by_role("button", name="Create passkey").click()
    expect(page.get_by_role("status").filter(has_text="was added.")).to_be_visible()
    assert len(authenticator.credentials()) == 1

    log_out(page)
    fill_login(page, a.email, a.password)
    expect(page.get_by_label("Authentication code")).to_be_focused()
    expect(page.get_by_role("button", name="Use your passkey")).to_be_visible()
    page.get_by_role("button", name="Use a recovery code instead").click()
    page.get_by_label("Recovery code").fill(recovery_codes[3])
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("alert")).to_have_text("That code is not right.")
    shots(page, "05-second-step-code-or-passkey", phone=True)
    page.get_by_role("button", name="Use your passkey").click()
    expect(page.get_by_role("heading", name=f"Hello, {a.first}")).to_be_visible()

    # Turned off from the account page (just signed in: no confirm-it's-you), the password alone
    # signs in again.
    open_account(page, system)
    section = page.get_by_role("region", name="Two-step verification")
    section.get_by_role("button", name="Turn off", exact=True).click()
    section.get_by_role("button", name="Turn off two-step verification").click()
    expect(section).to_contain_text("Two-step verification is off.")
    shots(page, "06-two-step-off")
    log_out(page)
    fill_login(page, a.email, a.password)
    expect(page.get_by_role("heading", name=f"Hello, {a.first}")).to_be_visible()

    assert page_errors(console_errors) == []
