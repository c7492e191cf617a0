"""Sign in with Google, through the pages: "Continue with Google" on the login page, consent at a
local OpenID provider standing in for Google (oidc-provider-mock), back through the Auth Server to
the SPA's /auth/callback, and on to the app. A new person, linking to an existing account, the
take-over of an address someone else registered without confirming it, and denied consent."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from ui import authorize_at_provider, fill_login


def continue_with_google(page: Page, system, sub: str | None) -> None:
    """From the login page: "Continue with Google", then authorize as `sub` (or deny) at the provider."""
    page.goto(system.spa("/login"))
    google = page.get_by_role("link", name="Continue with Google")
    expect(google).to_be_visible()
    google.click()
    authorize_at_provider(page, sub)


def providers_on_account_page(page: Page, system):
    page.goto(system.spa("/account"))
    expect(page.get_by_role("heading", name="Account", exact=True)).to_be_visible()
    section = page.get_by_role("region", name="Sign-in methods")
    expect(section.get_by_role("listitem")).to_have_count(1)
    return section


def test_a_new_person_continues_with_google_and_is_signed_in(google_system, oidc_provider, new_context, make_email,
                                                             shots, console_errors):
    email = make_email()
    sub = oidc_provider.person(email=email, email_verified=True, given_name="Katherine", family_name="Johnson")
    page = new_context().new_page()

    page.goto(google_system.spa("/register"))
    expect(page.get_by_role("link", name="Continue with Google")).to_be_visible()
    shots(page, "01-register-with-google", phone=True)

    page.goto(google_system.spa("/login"))
    expect(page.get_by_role("link", name="Continue with Google")).to_be_visible()
    shots(page, "02-login-with-google", phone=True)
    page.get_by_role("link", name="Continue with Google").click()
    expect(page).to_have_url(re.compile("^" + re.escape(oidc_provider.issuer) + "/"))
    shots(page, "03-provider-consent")
    authorize_at_provider(page, sub)

    expect(page.get_by_role("heading", name="Hello, Katherine")).to_be_visible()
    expect(page).to_have_url(google_system.spa("/"))
    profile = page.get_by_role("region", name="Profile")  # from the Resource Server
    expect(profile).to_contain_text("Katherine Johnson")
    expect(profile).to_contain_text(email)
    shots(page, "04-signed-in", phone=True)

    section = providers_on_account_page(page, google_system)
    expect(section).to_contain_text("Google")
    expect(section).to_contain_text(email)
    expect(section).to_contain_text("Linked")
    expect(page.get_by_role("region", name="Your details")).to_contain_text(email)
    shots(page, "05-account-providers", phone=True)
    # (The provider's own page loads a stylesheet from a CDN this machine may not reach: not ours.)
    on_spa = re.compile(r"^\[\w+\] " + re.escape(google_system.spa_url) + "/")
    assert [e for e in console_errors() if on_spa.match(e)] == []


def test_google_links_to_the_existing_account_with_the_same_verified_address_and_the_password_still_works(
        google_system, oidc_provider, new_context, account, log_in, shots):
    a = account(google_system, first="Dorothy", last="Vaughan")
    page = new_context().new_page()

    # Before: a password account with no provider linked.
    log_in(page, google_system, a)
    page.goto(google_system.spa("/account"))
    expect(page.get_by_role("region", name="Sign-in methods")).to_contain_text("No providers linked.")
    shots(page, "01-account-no-providers")

    # Another device continues with Google as the same address: the same account.
    google = new_context("google").new_page()
    continue_with_google(google, google_system,
                         oidc_provider.person(email=a.email, email_verified=True, given_name="Dot", family_name="V"))
    expect(google.get_by_role("heading", name="Hello, Dorothy")).to_be_visible()
    section = providers_on_account_page(google, google_system)
    expect(section).to_contain_text("Google")
    expect(section).to_contain_text(a.email)
    expect(google.get_by_role("region", name="Your details")).to_contain_text(a.email)
    shots(google, "02-account-google-linked", phone=True)

    # The password still works, and leads to the same account.
    again = new_context("password").new_page()
    log_in(again, google_system, a)
    again.goto(google_system.spa("/account"))
    expect(again.get_by_role("region", name="Sign-in methods")).to_contain_text("Google")


def test_the_owner_signing_in_with_google_takes_the_address_back_from_an_unconfirmed_registration(
        google_system, oidc_provider, new_context, make_email, shots):
    email = make_email()
    squatter_password = "the squatter's passphrase 13"
    google_system.register_unconfirmed(email, squatter_password, "Someone", "Else")

    owner = new_context("owner").new_page()
    continue_with_google(owner, google_system, oidc_provider.person(email=email, email_verified=True,
                                                                    given_name="Mary", family_name="Jackson"))
    expect(owner.get_by_role("heading", name=re.compile(r"^Hello, "))).to_be_visible()
    expect(owner).to_have_url(google_system.spa("/"))
    expect(owner.get_by_role("region", name="Profile")).to_contain_text(email)
    shots(owner, "01-owner-signed-in")
    section = providers_on_account_page(owner, google_system)
    expect(section).to_contain_text(email)

    squatter = new_context("squatter").new_page()
    squatter.goto(google_system.spa("/login"))
    fill_login(squatter, email, squatter_password)
    expect(squatter.get_by_role("alert")).to_have_text("The email address or password is incorrect.")
    expect(squatter).to_have_url(google_system.spa("/login"))
    shots(squatter, "02-squatter-password-refused", phone=True)


def test_denied_consent_at_the_provider_is_explained_on_the_callback_page(google_system, new_context, shots):
    page = new_context().new_page()
    continue_with_google(page, google_system, None)

    expect(page).to_have_url(google_system.spa("/auth/callback?status=error&code=access_denied"))
    expect(page.get_by_role("heading", name="Sign-in didn't complete")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("The sign-in was cancelled at the provider")
    shots(page, "01-access-denied", phone=True)

    page.get_by_role("link", name="Back to log in").click()
    expect(page.get_by_role("heading", name="Log in", exact=True)).to_be_visible()
    # Nobody was signed in on the way.
    page.goto(google_system.spa("/account"))
    expect(page).to_have_url(google_system.spa("/login?next=%2Faccount"))


def test_an_existing_account_links_google_from_the_account_page_and_unlinks_it(
        google_system_without_linking, oidc_provider, new_context, account, log_in, shots):
    system = google_system_without_linking
    a = account(system, first="Annie", last="Easley")
    sub = oidc_provider.person(email=a.email, email_verified=True, given_name="Annie", family_name="Easley")

    # Google may not join the account by its address: the callback says what to do instead.
    stranger = new_context("elsewhere").new_page()
    continue_with_google(stranger, system, sub)
    expect(stranger).to_have_url(system.spa("/auth/callback?status=error&code=account_exists"))
    expect(stranger.get_by_role("alert")).to_contain_text("An account with this email address already exists")
    shots(stranger, "01-account-exists", phone=True)

    # Signed in with the password, the person links Google from the account page.
    page = new_context().new_page()
    log_in(page, system, a)
    page.goto(system.spa("/account"))
    section = page.get_by_role("region", name="Sign-in methods")
    expect(section).to_contain_text("No providers linked.")
    section.get_by_role("group", name="Link a provider").get_by_role("button", name="Link Google", exact=True).click()
    authorize_at_provider(page, sub)
    expect(page).to_have_url(system.spa("/auth/callback?status=linked&provider=google"))
    expect(page.get_by_role("status")).to_contain_text("Google is now linked to your account")
    shots(page, "02-linked", phone=True)
    page.get_by_role("link", name="Back to your account").click()
    section = page.get_by_role("region", name="Sign-in methods")
    expect(section.get_by_role("listitem")).to_have_count(1)
    expect(section).to_contain_text("Google")

    # Now Google signs in to this account from anywhere.
    other = new_context("google").new_page()
    continue_with_google(other, system, sub)
    expect(other.get_by_role("heading", name="Hello, Annie")).to_be_visible()

    # Unlinking keeps the password as the way in.
    section.get_by_role("button", name="Unlink Google").click()
    expect(section.get_by_role("status")).to_contain_text("Google is no longer linked to your account.")
    expect(section).to_contain_text("No providers linked.")
    shots(page, "03-unlinked", phone=True)


def test_an_unverified_provider_address_is_explained_and_signs_no_one_in(
        google_system, oidc_provider, new_context, make_email, shots):
    page = new_context().new_page()
    continue_with_google(page, google_system, oidc_provider.person(email=make_email(), email_verified=False))
    expect(page).to_have_url(google_system.spa("/auth/callback?status=error&code=email_not_verified"))
    expect(page.get_by_role("alert")).to_contain_text("Your email address at the provider is not verified")
    shots(page, "01-email-not-verified", phone=True)
    page.goto(google_system.spa("/account"))
    expect(page).to_have_url(google_system.spa("/login?next=%2Faccount"))
