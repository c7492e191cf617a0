"""Registering, confirming, logging in, the projects app, form errors, password reset and the
return to the page asked for: driven through the pages by their labels and roles."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from ui import create_project, fill_login, project_actions, project_titles


def test_a_visitor_registers_confirms_by_mail_logs_in_and_manages_a_project(system, new_context, make_email, shots,
                                                                           console_errors):
    email = make_email()
    password = "a long and unusual passphrase 42"
    page = new_context().new_page()

    page.goto(system.spa("/register"))
    expect(page.get_by_role("heading", name="Create your account")).to_be_visible()
    shots(page, "01-register", phone=True)
    page.get_by_label("First name").fill("Ada")
    page.get_by_label("Last name").fill("Lovelace")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_label("Organization").fill("Analytical Engines Ltd")

    # Without the consent box the form says so beside the box and sends nothing.
    page.get_by_role("button", name="Create account").click()
    consent = page.get_by_role("checkbox", name="I accept the terms of service and the privacy policy")
    expect(consent).to_have_attribute("aria-invalid", "true")
    # (The description starts with the "⚠ " the stylesheet puts before every field error.)
    expect(consent).to_have_accessible_description(re.compile(r"Accept the terms to create an account\."))
    expect(page).to_have_url(re.compile(r"/register$"))
    shots(page, "02-register-consent-missing")

    consent.check()
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    expect(page).to_have_url(system.spa("/check-email"))
    shots(page, "03-check-email", phone=True)

    # The mail links to the Auth Server, which confirms and redirects to the SPA.
    link = system.confirmation_link(email)
    assert link.startswith(system.auth_url + "/auth/confirm-account?"), link
    page.goto(link)
    expect(page).to_have_url(system.spa("/confirm-account?status=success"))
    expect(page.get_by_role("heading", name="Your account is confirmed")).to_be_visible()
    shots(page, "04-confirmed", phone=True)

    page.get_by_role("link", name="Log in").click()
    expect(page).to_have_url(system.spa("/login"))
    shots(page, "05-login", phone=True)
    fill_login(page, email, password)

    expect(page.get_by_role("heading", name="Hello, Ada")).to_be_visible()
    expect(page).to_have_url(system.spa("/"))
    profile = page.get_by_role("region", name="Profile")  # from the Resource Server's /api/profiles/me
    expect(profile).to_contain_text("Ada Lovelace")
    expect(profile).to_contain_text(email)
    expect(page.get_by_text("No projects yet.")).to_be_visible()
    shots(page, "06-projects-empty", phone=True)

    # Create.
    page.get_by_label("Project name").fill("Difference Engine")
    page.get_by_label("Description").fill("Tables of polynomials")
    page.get_by_role("button", name="Create project").click()
    expect(page.get_by_role("status").filter(has_text="Created “Difference Engine”.")).to_be_visible()
    expect(project_titles(page)).to_have_text(["Difference Engine"])
    expect(page.get_by_text("Tables of polynomials")).to_be_visible()
    expect(page.get_by_label("Project name")).to_have_value("")
    shots(page, "07-project-created", phone=True)

    # Rename.
    project_actions(page, "Difference Engine").get_by_role("button", name="Rename").click()
    name = page.get_by_label("New name for Difference Engine")
    expect(name).to_be_focused()
    expect(name).to_have_value("Difference Engine")
    name.fill("Analytical Engine")
    shots(page, "08-project-renaming")
    page.get_by_role("button", name="Save").click()
    expect(project_titles(page)).to_have_text(["Analytical Engine"])

    # The change is on the server: a reload shows it.
    page.reload()
    expect(project_titles(page)).to_have_text(["Analytical Engine"])
    shots(page, "09-project-renamed")

    # Delete, with its confirmation step.
    project_actions(page, "Analytical Engine").get_by_role("button", name="Delete").click()
    confirm = page.get_by_role("group", name="Confirm deletion")
    expect(confirm).to_contain_text("Delete Analytical Engine? This can't be undone.")
    shots(page, "10-project-delete-confirm")
    confirm.get_by_role("button", name="Delete project").click()
    expect(page.get_by_text("No projects yet.")).to_be_visible()
    expect(project_titles(page)).to_have_count(0)
    page.reload()
    expect(page.get_by_text("No projects yet.")).to_be_visible()
    shots(page, "11-project-deleted")

    assert console_errors() == []


def test_server_field_errors_appear_beside_their_fields_and_a_wrong_password_is_a_form_error(
        system, new_context, account, make_email, shots):
    page = new_context().new_page()

    # "password123" passes the page's own length check; the Auth Server refuses it with
    # problem+json field errors, which belong beside the password field.
    page.goto(system.spa("/register"))
    page.get_by_label("First name").fill("Common")
    page.get_by_label("Last name").fill("Password")
    page.get_by_label("Email address").fill(make_email())
    password = page.get_by_label("Password", exact=True)
    password.fill("password123")
    page.get_by_role("checkbox", name=re.compile("I accept the terms")).check()
    with page.expect_response(lambda r: r.url.endswith("/auth/register")) as answer:
        page.get_by_role("button", name="Create account").click()
    response = answer.value
    assert response.status == 400, response.status
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["code"] == "validation_failed", problem
    fields = {e["field"] for e in problem["errors"]}
    assert "password" in fields, problem

    expect(password).to_have_attribute("aria-invalid", "true")
    message = next(e["message"] for e in problem["errors"] if e["field"] == "password")
    error = page.locator(".field", has=password).locator(".field-error")
    expect(error).to_be_visible()
    expect(error).to_have_text(message)
    expect(password).to_have_accessible_description(re.compile(re.escape(message)))
    expect(password).to_be_focused()
    for other in ("First name", "Last name", "Email address"):
        expect(page.get_by_label(other)).not_to_have_attribute("aria-invalid", "true")
    expect(page).to_have_url(system.spa("/register"))
    shots(page, "01-register-common-password", phone=True)

    # Correcting the field clears the error once the form is sent again.
    password.fill("a much less common passphrase 9")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()

    # A wrong password on login: one form-level alert, no field blamed, nothing revealed.
    a = account(system)
    page.goto(system.spa("/login"))
    fill_login(page, a.email, "not the password at all")
    alert = page.get_by_role("alert")
    expect(alert).to_have_text("The email address or password is incorrect.")
    expect(page.get_by_label("Password", exact=True)).not_to_have_attribute("aria-invalid", "true")
    expect(page).to_have_url(system.spa("/login"))
    shots(page, "02-login-wrong-password", phone=True)

    # An unknown address gets exactly the same words.
    fill_login(page, make_email("nobody"), "not the password at all")
    expect(page.get_by_role("alert")).to_have_text("The email address or password is incorrect.")


def test_a_forgotten_password_is_reset_through_the_mailed_link_and_only_the_new_one_works(
        system, new_context, account, shots):
    a = account(system)
    new_password = "a brand new passphrase for grace"
    page = new_context().new_page()

    page.goto(system.spa("/login"))
    page.get_by_role("link", name="Forgot your password?").click()
    expect(page.get_by_role("heading", name="Forgot your password?")).to_be_visible()
    shots(page, "01-forgot-password", phone=True)
    page.get_by_label("Email address").fill(a.email)
    page.get_by_role("button", name="Send reset link").click()
    expect(page.get_by_role("status")).to_contain_text("If the address has an account, we've sent a link")
    shots(page, "02-forgot-password-sent")

    link = system.reset_link(a.email)
    assert link.startswith(system.spa("/reset-password?")), link
    page.goto(link)
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    shots(page, "03-reset-password", phone=True)

    # Mismatched confirmation is caught on the page.
    page.get_by_label("New password", exact=True).fill(new_password)
    page.get_by_label("Confirm new password").fill(new_password + "!")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_label("Confirm new password")).to_have_accessible_description(
        re.compile(r"The passwords don't match\."))

    page.get_by_label("Confirm new password").fill(new_password)
    page.get_by_role("button", name="Change password").click()
    expect(page).to_have_url(system.spa("/login"))
    expect(page.get_by_role("status")).to_have_text("Your password has been changed. Log in with your new password.")
    shots(page, "04-password-changed")

    # The link is single use.
    page.goto(link)
    page.get_by_label("New password", exact=True).fill("yet another passphrase 123")
    page.get_by_label("Confirm new password").fill("yet another passphrase 123")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("alert")).to_contain_text("This reset link is invalid or has expired.")
    shots(page, "05-reset-link-used")

    page.goto(system.spa("/login"))
    fill_login(page, a.email, a.password)
    expect(page.get_by_role("alert")).to_have_text("The email address or password is incorrect.")

    page.get_by_label("Password", exact=True).fill(new_password)
    page.get_by_role("button", name="Log in", exact=True).click()
    expect(page.get_by_role("heading", name=f"Hello, {a.first}")).to_be_visible()


def test_an_anonymous_visit_to_the_account_page_goes_to_login_and_comes_back_after_it(system, new_context,
                                                                                      account, shots):
    a = account(system)
    page = new_context().new_page()

    page.goto(system.spa("/account"))
    expect(page).to_have_url(system.spa("/login?next=%2Faccount"))
    expect(page.get_by_role("heading", name="Log in", exact=True)).to_be_visible()
    shots(page, "01-login-with-next")

    fill_login(page, a.email, a.password)
    expect(page).to_have_url(system.spa("/account"))
    expect(page.get_by_role("heading", name="Account", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Account", exact=True)).to_have_attribute("aria-current", "page")
    shots(page, "02-account", phone=True)


def test_a_rename_answered_after_another_change_to_the_list_still_shows_the_new_name(system, new_context, account,
                                                                                   log_in, shots):
    a = account(system)
    page = new_context().new_page()
    log_in(page, system, a)
    create_project(page, "Slow rename")

    # Hold the rename's PATCH until another change has re-rendered the list.
    held = []
    page.route(re.compile(r"/api/projects/[^/?]+$"),
               lambda route: held.append(route) if route.request.method == "PATCH" else route.fallback())
    project_actions(page, "Slow rename").get_by_role("button", name="Rename").click()
    page.get_by_label("New name for Slow rename").fill("Renamed slowly")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("button", name="Saving…")).to_be_visible()
    while not held:
        page.wait_for_timeout(20)
    create_project(page, "Meanwhile")
    held[0].continue_()

    expect(page.get_by_role("status").filter(has_text="Renamed to Renamed slowly.")).to_be_attached()
    shots(page, "01-after-rename")
    expect(project_titles(page)).to_have_text(["Meanwhile", "Renamed slowly"], timeout=3000)
