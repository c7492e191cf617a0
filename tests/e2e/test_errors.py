"""Every error is application/problem+json with a stable code; input rules give validation_failed."""

import time

import pytest

from browser import describe
from checks import assert_problem
from flows import registration, strong_password, unique_email


def test_unknown_path_is_a_404_problem(browser):
    r = browser().get("/auth/does-not-exist")
    assert_problem(r, 404)


def test_unknown_top_level_path_is_a_404_problem(browser):
    r = browser().get("/nothing/here")
    assert_problem(r, 404)


def test_wrong_method_on_a_known_path_is_a_405_problem_with_allow(browser):
    r = browser().get("/auth/login")
    assert_problem(r, 405)
    assert "POST" in r.headers.get("Allow", "").upper(), f"405 needs an Allow header\n{describe(r)}"


def test_malformed_json_is_bad_request(browser):
    b = browser()
    r = b.post("/auth/login", data='{"email": "a@example.com", "password": ',
               headers={"Content-Type": "application/json"}, csrf=b.anon_csrf())
    assert_problem(r, 400, "bad_request")


def test_malformed_json_on_register_is_bad_request(browser):
    b = browser()
    r = b.post("/auth/register", data="{not json", headers={"Content-Type": "application/json"},
               csrf=b.anon_csrf())
    assert_problem(r, 400, "bad_request")


@pytest.mark.parametrize("body", [
    [],
    "just a string",
    {"email": 42, "password": True},
    {"email": ["a@example.com"], "password": "Gh-long-enough-1"},
], ids=["array", "string", "wrong-types", "email-as-array"])
def test_json_of_the_wrong_shape_on_login_is_bad_request(browser, body):
    b = browser()
    r = b.post("/auth/login", json=body, csrf=b.anon_csrf())
    assert_problem(r, 400, "bad_request")


def test_json_of_the_wrong_shape_on_register_is_bad_request(browser):
    b = browser()
    body = registration(unique_email(), strong_password(), acceptTerms="yes please", firstName=7)
    r = b.post("/auth/register", json=body, csrf=b.anon_csrf())
    assert_problem(r, 400, "bad_request")


def register_expecting_validation(browser, field, **over):
    b = browser()
    body = registration(over.pop("email", unique_email("val")), over.pop("password", strong_password()),
                        **over)
    r = b.post("/auth/register", json=body, csrf=b.anon_csrf())
    return assert_problem(r, 400, "validation_failed", fields={field})


@pytest.mark.parametrize("email", ["not-an-email", "a@", "@example.com", "a b@example.com", ""])
def test_register_with_a_bad_email_fails_validation(browser, email):
    register_expecting_validation(browser, "email", email=email)


def test_register_with_a_seven_character_password_fails_validation(browser):
    register_expecting_validation(browser, "password", password="Gh-7chr")


def test_register_with_an_eight_character_password_is_accepted(browser):
    b = browser()
    r = b.post("/auth/register", json=registration(unique_email(), "Zq8#xk2!"), csrf=b.anon_csrf())
    assert r.status_code == 202, describe(r)


def test_register_with_a_257_character_password_fails_validation(browser):
    register_expecting_validation(browser, "password", password="x9Q" + "a" * 254)


def test_register_with_a_256_character_password_is_accepted(browser):
    b = browser()
    r = b.post("/auth/register", json=registration(unique_email(), "x9Q" + "k" * 253), csrf=b.anon_csrf())
    assert r.status_code == 202, describe(r)


@pytest.mark.parametrize("password", ["password123", "12345678"])
def test_register_with_a_common_password_fails_validation(browser, password):
    register_expecting_validation(browser, "password", password=password)


def test_register_with_accept_terms_false_fails_validation(browser):
    register_expecting_validation(browser, "acceptTerms", acceptTerms=False)


def test_register_without_accept_terms_is_refused(browser):
    """Missing acceptTerms: validation_failed on acceptTerms (bad_request is tolerated: the body
    lacks a required member, which some read as 'wrong shape')."""
    b = browser()
    body = registration(unique_email(), strong_password(), acceptTerms=...)
    r = b.post("/auth/register", json=body, csrf=b.anon_csrf())
    problem = assert_problem(r, 400)
    assert problem["code"] in ("validation_failed", "bad_request"), describe(r)
    if problem["code"] == "validation_failed":
        assert "acceptTerms" in {e["field"] for e in problem["errors"]}, describe(r)


def test_register_reports_every_broken_field_at_once(browser):
    b = browser()
    body = registration("nope", "short", acceptTerms=False)
    r = b.post("/auth/register", json=body, csrf=b.anon_csrf())
    assert_problem(r, 400, "validation_failed", fields={"email", "password", "acceptTerms"})


def test_validation_failure_does_not_send_mail(server, browser):
    email = unique_email("nomail")
    b = browser()
    r = b.post("/auth/register", json=registration(email, "short"), csrf=b.anon_csrf())
    assert_problem(r, 400, "validation_failed", fields={"password"})
    time.sleep(1.0)
    assert server.outbox.all_for(email) == []


def test_invalid_utf8_body_is_a_bad_request_without_a_stack_trace(browser):
    b = browser()
    r = b.post("/auth/reset-password", data="\x00\xff garbage", headers={"Content-Type": "application/json"},
               csrf=b.anon_csrf())
    assert_problem(r, 400, "bad_request")
