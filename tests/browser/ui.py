"""Small page helpers shared by the tests: what a person does on the SPA's pages."""

from __future__ import annotations

from playwright.sync_api import Page, expect


def fill_login(page: Page, email: str, password: str) -> None:
    """Fills and sends the login form of the page shown."""
    expect(page.get_by_role("heading", name="Log in", exact=True)).to_be_visible()
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in", exact=True).click()


def project_actions(page: Page, name: str):
    """The Rename / Delete group of one project in the list."""
    return page.get_by_role("group", name=f"Actions for {name}")


def project_titles(page: Page):
    """The names of the projects listed (the headings of the list labelled "Projects")."""
    return page.get_by_role("list", name="Projects").get_by_role("heading")


def create_project(page: Page, name: str) -> None:
    page.get_by_label("Project name").fill(name)
    page.get_by_role("button", name="Create project").click()
    expect(page.get_by_role("status").filter(has_text=f"Created “{name}”.")).to_be_visible()


def authorize_at_provider(page: Page, sub: str | None) -> None:
    """At the local OpenID provider's consent page: sign in as `sub` and authorize, or (None) deny."""
    expect(page.get_by_role("heading", name="Authorize Client")).to_be_visible()
    if sub is None:
        page.get_by_role("button", name="Deny", exact=True).click()
    else:
        page.get_by_placeholder("sub", exact=True).fill(sub)
        page.get_by_role("button", name="Authorize", exact=True).click()
