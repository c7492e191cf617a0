"""Registration, e-mail confirmation and resending the confirmation mail."""

import time
from urllib.parse import parse_qs, urlsplit

import pytest

from browser import Browser, describe
from checks import comparable_problem
from flows import (confirmation_link, follow, register, registration, strong_password,
                   unique_email)
from harness import SPA_URL


def spa_redirect_status(resp) -> str:
    """The `status` of a redirect to {SPA}/confirm-account. The exact code (302) is checked once,
    in test_confirmation_answers_exactly_302; elsewhere any redirect code is enough."""
    assert resp.status_code in (302, 303, 307), describe(resp)
    location = resp.headers.get("Location", "")
    parts = urlsplit(location)
    assert f"{parts.scheme}://{parts.netloc}" == SPA_URL, f"redirect must go to the SPA\n{describe(resp)}"
    assert parts.path == "/confirm-account", describe(resp)
    status = parse_qs(parts.query).get("status", [None])[0]
    assert status in ("success", "expired", "invalid"), describe(resp)
    return status


def test_register_answers_202_and_mails_a_confirmation_link_to_the_auth_server(server):
    email = unique_email("reg")
    r = register(server, email, strong_password())
    assert r.status_code == 202, describe(r)
    link = confirmation_link(server, email)
    assert link.startswith(server.public("/auth/confirm-account?token=")), link


def test_confirmation_mail_is_rfc5322_multipart_alternative(server):
    email = unique_email("mailfmt")
    r = register(server, email, strong_password())
    assert r.status_code == 202, describe(r)
    mail = server.outbox.wait_for(email, containing="/auth/confirm-account")
    msg = mail.message
    assert msg.get_content_type() == "multipart/alternative", msg.get_content_type()
    kinds = [p.get_content_type() for p in msg.iter_parts()]
    assert "text/plain" in kinds and "text/html" in kinds, kinds
    assert "no-reply@localhost" in str(msg["From"]), msg["From"]
    assert msg["Date"] and msg["Message-ID"], "RFC 5322 needs Date and Message-ID"
    assert mail.subject.strip(), "mail needs a subject"
    assert email in mail.to
    assert "/auth/confirm-account?token=" in mail.text, "the plain-text part must carry the link"
    assert "/auth/confirm-account?token=" in mail.html, "the HTML part must carry the link"


def test_confirmation_answers_exactly_302(server):
    email = unique_email("302")
    assert register(server, email, strong_password()).status_code == 202
    r = follow(Browser(server), confirmation_link(server, email))
    assert r.status_code == 302, describe(r)
    r = Browser(server).get("/auth/confirm-account?token=bogus", origin=None)
    assert r.status_code == 302, describe(r)


def test_confirmation_link_redirects_to_the_spa_with_success(server):
    email, password = unique_email("conf"), strong_password()
    assert register(server, email, password).status_code == 202
    r = follow(Browser(server), confirmation_link(server, email))
    assert spa_redirect_status(r) == "success"
    b = Browser(server)
    login = b.login(email, password)
    assert login.json()["user"]["emailVerified"] is True, describe(login)


def test_opening_a_confirmation_link_twice_is_harmless(server):
    """Link scanners open links before people do: the second GET must not break anything.
    A used token answers `invalid` (or `success`, as the account is verified either way)."""
    email, password = unique_email("twice"), strong_password()
    assert register(server, email, password).status_code == 202
    link = confirmation_link(server, email)
    assert spa_redirect_status(follow(Browser(server), link)) == "success"
    second = spa_redirect_status(follow(Browser(server), link))
    assert second in ("invalid", "success")
    Browser(server).login(email, password)


@pytest.mark.parametrize("query", ["?token=not-a-real-token", "?token=", ""],
                         ids=["garbage", "empty", "missing"])
def test_confirmation_with_a_bad_token_redirects_with_invalid(server, query):
    r = Browser(server).get("/auth/confirm-account" + query, origin=None)
    assert spa_redirect_status(r) == "invalid"


def test_duplicate_registration_answers_the_same_202_and_warns_the_owner(server):
    email, password = unique_email("dup"), strong_password()
    first = register(server, email, password)
    assert first.status_code == 202, describe(first)
    follow(Browser(server), confirmation_link(server, email))

    second = register(server, email, strong_password(), firstName="Mallory")
    assert second.status_code == 202, describe(second)
    assert comparable_problem(second) == comparable_problem(first), \
        f"duplicate answer must equal a new one\nfirst:\n{describe(first)}\nsecond:\n{describe(second)}"
    warning = server.outbox.wait_for(email)
    assert not warning.link_containing("/auth/confirm-account"), \
        f"owner must be warned, not sent a second confirmation:\n{warning.text}"
    time.sleep(1.0)
    extra = [m for m in server.outbox.new_for(email) if m.link_containing("/auth/confirm-account")]
    assert not extra, "a duplicate registration must not send another confirmation link"


def test_duplicate_registration_does_not_change_the_password(server):
    email, password = unique_email("dup2"), strong_password()
    assert register(server, email, password).status_code == 202
    follow(Browser(server), confirmation_link(server, email))
    other = strong_password()
    assert register(server, email, other).status_code == 202
    Browser(server).login(email, other, expect=401)
    Browser(server).login(email, password)


def test_register_answers_identically_for_new_and_existing_addresses(server):
    existing, password = unique_email("enum"), strong_password()
    assert register(server, existing, password).status_code == 202
    follow(Browser(server), confirmation_link(server, existing))
    a = register(server, unique_email("enum-new"), strong_password())
    b = register(server, existing, strong_password())
    assert comparable_problem(a) == comparable_problem(b), f"{describe(a)}\n---\n{describe(b)}"


def test_resend_verification_answers_202_identically_for_unknown_and_known(server):
    known = unique_email("resend-known")
    assert register(server, known, strong_password()).status_code == 202
    a = Browser(server).post_anon("/auth/resend-verification", json={"email": known})
    b = Browser(server).post_anon("/auth/resend-verification", json={"email": unique_email("ghost")})
    assert a.status_code == 202, describe(a)
    assert b.status_code == 202, describe(b)
    assert comparable_problem(a) == comparable_problem(b), \
        f"{describe(a)}\n---\n{describe(b)}"


def test_resend_verification_mails_a_new_link_that_confirms_the_account(server):
    email, password = unique_email("resend"), strong_password()
    assert register(server, email, password).status_code == 202
    confirmation_link(server, email)  # the first mail, left unused
    r = Browser(server).post_anon("/auth/resend-verification", json={"email": email})
    assert r.status_code == 202, describe(r)
    link = confirmation_link(server, email)
    assert spa_redirect_status(follow(Browser(server), link)) == "success"
    Browser(server).login(email, password)


def test_resend_verification_for_an_unknown_address_sends_no_mail(server):
    ghost = unique_email("ghost")
    r = Browser(server).post_anon("/auth/resend-verification", json={"email": ghost})
    assert r.status_code == 202, describe(r)
    time.sleep(1.0)
    assert server.outbox.all_for(ghost) == []


def test_register_with_optional_fields_omitted_is_accepted(server):
    body = registration(unique_email("minimal"), strong_password(), organization=..., marketingOptIn=...)
    r = Browser(server).post_anon("/auth/register", json=body)
    assert r.status_code == 202, describe(r)


def test_register_without_csrf_token_is_refused(server):
    body = registration(unique_email("nocsrf"), strong_password())
    r = Browser(server).post("/auth/register", json=body, csrf=None)
    assert r.status_code == 403, describe(r)
