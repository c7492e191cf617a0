"""The Resource Server against a real Auth Server: JWKS fetched over HTTP, the 401 / 401 Refresh
split, CSRF bound to the session, ownership, and key rotation while both keep running."""

from __future__ import annotations

import time

import pytest

from browser import Browser, describe
from checks import unverified
from flows import make_user_on
from resource_harness import ResourceProcess


@pytest.fixture(scope="module")
def resource(server):
    process = ResourceProcess(server).start()
    yield process
    process.stop()


def login(server, user=None) -> Browser:
    user = user or make_user_on(server)
    browser = Browser(server)
    browser.login(user.email, user.password)
    return browser


def test_the_resource_server_verifies_a_real_access_token_through_the_jwks(server, resource):
    browser = login(server)
    response = resource.call("GET", "/api/profiles/me", browser)
    assert response.status_code == 200, describe(response)
    me = browser.get("/auth/user").json()
    assert response.json()["sub"] == me["id"]
    assert response.json()["email"] == me["email"]


def test_without_a_token_the_answer_is_401_without_the_refresh_challenge(resource):
    response = resource.call("GET", "/api/projects")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"
    assert "Refresh" not in response.headers.get("WWW-Authenticate", "")
    assert response.headers["Content-Type"].startswith("application/problem+json")


def test_projects_need_the_session_csrf_token_and_belong_to_their_owner(server, resource):
    alice, mallory = login(server), login(server)
    assert resource.call("POST", "/api/projects", alice, json={"name": "Apollo"}).status_code == 403
    assert resource.call("POST", "/api/projects", alice, csrf=mallory.csrf, json={"name": "Apollo"}).json()["code"] == "csrf_invalid"
    created = resource.call("POST", "/api/projects", alice, csrf=alice.csrf, json={"name": "Apollo", "description": "moon"})
    assert created.status_code == 201, describe(created)
    project = created.json()
    assert resource.call("PATCH", f"/api/projects/{project['id']}", mallory, csrf=mallory.csrf, json={"name": "Mine"}).status_code == 404
    assert resource.call("DELETE", f"/api/projects/{project['id']}", mallory, csrf=mallory.csrf).status_code == 404
    assert resource.call("GET", "/api/projects", mallory).json() == []
    renamed = resource.call("PATCH", f"/api/projects/{project['id']}", alice, csrf=alice.csrf, json={"name": "Artemis"})
    assert renamed.status_code == 200 and renamed.json()["name"] == "Artemis"
    assert [p["name"] for p in resource.call("GET", "/api/projects", alice).json()] == ["Artemis"]
    assert resource.call("DELETE", f"/api/projects/{project['id']}", alice, csrf=alice.csrf).status_code == 204


def test_a_key_rotation_reaches_the_running_resource_server(server, resource):
    before = login(server)
    assert resource.call("GET", "/api/profiles/me", before).status_code == 200
    rotated = server.cli("keys", "rotate")
    assert rotated.returncode == 0, rotated.stderr
    time.sleep(1.5)  # the Auth Server looks at its keys directory at most once a second
    after = login(server)
    assert unverified(after.cookie("access_token"))[0]["kid"] != unverified(before.cookie("access_token"))[0]["kid"]
    time.sleep(5.5)  # the Resource Server refetches on an unknown kid at most every 5 s
    assert resource.call("GET", "/api/profiles/me", after).status_code == 200
    assert resource.call("GET", "/api/profiles/me", before).status_code == 200


@pytest.mark.slow
def test_an_expired_access_token_gets_the_refresh_challenge_and_works_after_refresh(module_launch):
    auth = module_launch(GATEHOUSE_ACCESS_TOKEN_TTL=2, GATEHOUSE_CLOCK_LEEWAY=0)
    resource = ResourceProcess(auth).start()
    try:
        browser = login(auth)
        assert resource.call("GET", "/api/profiles/me", browser).status_code == 200
        time.sleep(3.2)
        expired = resource.call("GET", "/api/profiles/me", browser)
        assert expired.status_code == 401, describe(expired)
        assert expired.json()["code"] == "token_expired"
        assert expired.headers.get("WWW-Authenticate") == "Refresh"
        assert browser.refresh().status_code == 200
        assert resource.call("GET", "/api/profiles/me", browser).status_code == 200
    finally:
        resource.stop()


def test_the_resource_server_keeps_working_while_the_auth_server_is_down(module_launch):
    auth = module_launch()
    resource = ResourceProcess(auth).start()
    try:
        browser = login(auth)
        assert resource.call("GET", "/api/profiles/me", browser).status_code == 200
        auth.stop()
        assert resource.call("GET", "/api/profiles/me", browser).status_code == 200
        assert resource.call("GET", "/actuator/health").status_code == 200
    finally:
        resource.stop()
        auth.start()
