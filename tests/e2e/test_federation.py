"""Federated login against a real local OpenID provider (oidc-provider-mock) standing in for Google:
code flow with PKCE, state and nonce, ID-token validation, linking by (issuer, subject), the
verified-email link, the unverified-account take-over, and the error paths."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from browser import Browser
from flows import make_user_on, register, unique_email
from harness import free_port

SPA = "http://localhost:5173"

# `oidc_provider` (the local OpenID provider standing in for Google) is shared with the browser
# suite: tests/support/plugin.py.


@pytest.fixture(scope="module")
def provider(oidc_provider) -> str:
    return oidc_provider.issuer


@pytest.fixture(scope="module")
def server(module_launch, oidc_provider):
    return module_launch(**oidc_provider.google_env())


@pytest.fixture(scope="module")
def person(oidc_provider):
    """A person at the provider with these claims; returns their subject."""
    return lambda _issuer, **claims: oidc_provider.person(**claims)


def sign_in(server, browser: Browser, sub: str | None, deny: bool = False):
    """Start at the Auth Server, consent at the provider as `sub`, come back; returns the final redirect."""
    start = browser.get("/oauth2/authorization/google", origin=None)
    assert start.status_code == 302, start.text
    authorize = start.headers["Location"]
    query = parse_qs(urlsplit(authorize).query)
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]
    assert query["state"][0] and query["nonce"][0]
    form = {"action": "deny"} if deny else {"sub": sub}
    consent = requests.post(authorize, data=form, allow_redirects=False, timeout=10)
    assert consent.status_code in (302, 303), consent.text
    back = urlsplit(consent.headers["Location"])
    return browser.get(back.path + "?" + back.query, origin=None)


def test_providers_list_google_with_its_authorization_url(server):
    listed = requests.get(server.url("/auth/providers"), timeout=5).json()
    assert listed == [{"id": "google", "name": "Google", "authorizationUrl": server.public("/oauth2/authorization/google")}]


def test_a_new_person_signs_in_and_gets_the_same_session_as_a_password_login(server, provider, person):
    email = unique_email("fed")
    sub = person(provider, email=email, email_verified=True, given_name="Grace", family_name="Hopper")
    browser = Browser(server)
    done = sign_in(server, browser, sub)
    assert done.status_code == 302 and done.headers["Location"] == f"{SPA}/auth/callback?status=success"
    assert browser.cookie("access_token") and browser.cookie("refresh_token")
    session = browser.get("/auth/session").json()
    assert session["authenticated"] is True and session["user"]["email"] == email
    assert session["user"]["firstName"] == "Grace" and session["user"]["emailVerified"] is True
    browser.csrf = session["csrfToken"]
    assert browser.refresh().status_code == 200
    again = Browser(server)
    assert sign_in(server, again, sub).headers["Location"].endswith("status=success")
    assert again.get("/auth/user").json()["id"] == session["user"]["id"]


def test_a_verified_provider_email_links_to_the_existing_verified_account(server, provider, person):
    user = make_user_on(server)
    browser = Browser(server)
    done = sign_in(server, browser, person(provider, email=user.email, email_verified=True))
    assert done.headers["Location"].endswith("status=success")
    assert browser.get("/auth/user").json()["email"] == user.email
    linked = browser.get("/auth/identities").json()
    assert [(i["provider"], i["name"], i["email"]) for i in linked] == [("google", "Google", user.email)]
    Browser(server).login(user.email, user.password)  # the password still works: it was the owner's


def test_an_unverified_local_account_is_taken_over_and_the_squatters_password_stops_working(server, provider, person):
    email = unique_email("victim")
    squatter_password = "squatter passphrase 1"
    assert register(server, email, squatter_password).status_code == 202
    done = sign_in(server, Browser(server), person(provider, email=email, email_verified=True))
    assert done.headers["Location"].endswith("status=success")
    attempt = Browser(server).post_anon("/auth/login", json={"email": email, "password": squatter_password})
    assert attempt.status_code == 401 and attempt.json()["code"] == "invalid_credentials"


def test_an_unverified_provider_email_never_links(server, provider, person):
    user = make_user_on(server)
    done = sign_in(server, Browser(server), person(provider, email=user.email, email_verified=False))
    assert done.headers["Location"] == f"{SPA}/auth/callback?status=error&code=email_not_verified"


def test_denied_consent_ends_at_the_callback_with_access_denied(server):
    done = sign_in(server, Browser(server), None, deny=True)
    assert done.headers["Location"] == f"{SPA}/auth/callback?status=error&code=access_denied"


def test_a_wrong_or_replayed_state_is_refused(server, provider, person):
    browser = Browser(server)
    start = browser.get("/oauth2/authorization/google", origin=None)
    authorize = start.headers["Location"]
    consent = requests.post(authorize, data={"sub": person(provider, email=unique_email(), email_verified=True)},
                            allow_redirects=False, timeout=10)
    back = urlsplit(consent.headers["Location"])
    query = parse_qs(back.query)
    tampered = browser.clone().get(f"{back.path}?code={query['code'][0]}&state=wrong", origin=None)
    assert tampered.headers["Location"].endswith("status=error&code=invalid_state")
    replayer = browser.clone()
    first = browser.get(back.path + "?" + back.query, origin=None)
    assert first.headers["Location"].endswith("status=success")
    replay = replayer.get(back.path + "?" + back.query, origin=None)
    assert replay.headers["Location"].endswith("status=error&code=invalid_state")
    without_cookie = Browser(server).get(back.path + "?" + back.query, origin=None)
    assert without_cookie.headers["Location"].endswith("status=error&code=invalid_state")


def test_an_unknown_provider_is_not_found(server):
    assert Browser(server).get("/oauth2/authorization/nowhere", origin=None).status_code == 404


def test_an_unreachable_provider_ends_at_the_callback_with_provider_unavailable(module_launch):
    dead = module_launch(GATEHOUSE_GOOGLE_CLIENT_ID="x", GATEHOUSE_GOOGLE_CLIENT_SECRET="y",
                         GATEHOUSE_GOOGLE_ISSUER=f"http://localhost:{free_port()}")
    done = Browser(dead).get("/oauth2/authorization/google", origin=None)
    assert done.status_code == 302
    assert done.headers["Location"] == f"{SPA}/auth/callback?status=error&code=provider_unavailable"


def test_an_unverified_provider_email_creates_no_account_even_for_a_free_address(server, provider, person):
    email = unique_email("unverified")
    browser = Browser(server)
    done = sign_in(server, browser, person(provider, email=email, email_verified=False))
    assert done.headers["Location"] == f"{SPA}/auth/callback?status=error&code=email_not_verified"
    assert browser.cookie("refresh_token") is None
    # Nothing was created: the address can still be registered and confirmed by its owner.
    assert register(server, email, "the owner's passphrase 7").status_code == 202
    assert server.outbox.wait_for(email, containing="/auth/confirm-account")


def test_without_link_by_email_an_existing_account_is_not_joined_but_linked_from_the_account(module_launch, oidc_provider):
    strict = module_launch(**oidc_provider.google_env(), GATEHOUSE_OIDC_GOOGLE_LINK_BY_EMAIL="false")
    user = make_user_on(strict)
    sub = oidc_provider.person(email=user.email, email_verified=True)
    done = sign_in(strict, Browser(strict), sub)
    assert done.headers["Location"] == f"{SPA}/auth/callback?status=error&code=account_exists"

    owner = Browser(strict)
    owner.login(user.email, user.password)
    started = owner.post("/auth/identities/google/link")
    assert started.status_code == 200, started.text
    authorize = started.json()["authorizationUrl"]
    consent = requests.post(authorize, data={"sub": sub}, allow_redirects=False, timeout=10)
    back = urlsplit(consent.headers["Location"])
    linked = owner.get(back.path + "?" + back.query, origin=None)
    assert linked.headers["Location"] == f"{SPA}/auth/callback?status=linked&provider=google"
    identities = owner.get("/auth/identities").json()
    assert [i["provider"] for i in identities] == ["google"] and identities[0]["id"]
    assert strict.outbox.wait_for(user.email, containing="/account")

    # Google now signs in to this account; unlinking leaves the password as the way in.
    elsewhere = Browser(strict)
    assert sign_in(strict, elsewhere, sub).headers["Location"] == f"{SPA}/auth/callback?status=success"
    assert owner.delete(f"/auth/identities/{identities[0]['id']}").status_code == 204
    assert owner.get("/auth/identities").json() == []
