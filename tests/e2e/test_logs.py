"""Logs (CONTRACT "Operations"): `LOG_FORMAT=json` gives one JSON object a line, and no line at any
level, trace included, holds a password, a token, a one-time link or a hash."""

from __future__ import annotations

import hashlib
import json
import time
from urllib.parse import parse_qs, urlsplit

from browser import Browser
from flows import confirmation_link, follow, register, strong_password, unique_email


def test_trace_logs_are_json_and_hold_no_secret(launch):
    server = launch(LOG_LEVEL="trace", LOG_FORMAT="json")
    email = unique_email("logs")
    first, second, third = strong_password(), strong_password(), strong_password()
    secrets: dict[str, str] = {"first password": first, "reset password": second, "changed password": third}

    assert register(server, email, first).status_code == 202
    link = confirmation_link(server, email)
    secrets["confirmation link token"] = parse_qs(urlsplit(link).query)["token"][0]
    assert follow(Browser(server), link).status_code == 302

    browser = Browser(server)
    browser.login(email, first)
    assert browser.refresh().status_code == 200
    forgot = browser.post_anon("/auth/forgot-password", json={"email": email})
    assert forgot.status_code == 202
    reset_mail = server.outbox.wait_for(email, containing="/reset-password")
    reset_token = parse_qs(urlsplit(reset_mail.link_containing("/reset-password")).query)["token"][0]
    secrets["reset link token"] = reset_token
    assert browser.post_anon("/auth/reset-password", json={"token": reset_token, "newPassword": second}).status_code == 200

    browser = Browser(server)
    browser.login(email, second)
    for name in ("access_token", "refresh_token", "gatehouse_device"):
        secrets[name] = browser.cookie(name)
    secrets["session CSRF token"] = browser.csrf
    changed = browser.post("/auth/change-password", json={"currentPassword": second, "newPassword": third})
    assert changed.status_code == 200, changed.text
    assert browser.refresh().status_code == 200
    secrets["rotated refresh token"] = browser.cookie("refresh_token")
    browser.logout()
    for name in ("confirmation link token", "reset link token"):
        secrets[f"hash of the {name}"] = hashlib.sha256(secrets[name].encode()).hexdigest()
    time.sleep(1)  # the outbox and link-request workers log as they go

    text = server.log_text()
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) > 20, "trace logging produced almost nothing:\n" + text[-2000:]
    assert any(json.loads(line).get("level") == "trace" for line in lines)
    for number, line in enumerate(lines, 1):
        record = json.loads(line)  # one JSON object a line
        assert {"time", "level", "message"} <= record.keys(), line
        for name, value in secrets.items():
            assert value and value not in line, f"line {number} holds the {name}: {line[:300]}"
        assert "$argon2" not in line, f"line {number} holds a password hash: {line[:300]}"
        assert "/reset-password?token=" not in line and "confirm-account?token=" not in line, f"line {number}: {line[:300]}"
