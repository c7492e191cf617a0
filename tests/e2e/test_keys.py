"""Signing keys: persistence across restarts, `gatehouse keys rotate`, RS256."""

import time
from pathlib import Path

import pytest

from browser import Browser, describe
from checks import Tokens, unverified
from flows import make_user_on


def logged_in(server, name="keys"):
    user = make_user_on(server, prefix="keys")
    b = Browser(server, name)
    b.login(user.email, user.password)
    return user, b


def kids(server) -> list[str]:
    return [k["kid"] for k in Tokens(server).jwks()["keys"]]


def rotate(server):
    r = server.cli("keys", "rotate")
    assert r.returncode == 0, f"gatehouse keys rotate exited {r.returncode}\nstdout:{r.stdout}\nstderr:{r.stderr}"
    return r


def test_keys_are_generated_as_pem_on_first_start_and_survive_a_restart(launch):
    s = launch()
    pems = [p for p in Path(s.keys_dir).rglob("*") if p.is_file() and b"PRIVATE KEY" in p.read_bytes()]
    assert pems, f"no PEM private key written to {s.keys_dir}"
    _, b = logged_in(s)
    before = kids(s)
    s.restart()
    assert kids(s) == before
    r = b.get("/auth/validate")
    assert r.status_code == 200, describe(r)
    assert b.refresh().status_code == 200


def check_rotation(s, user, b, old_kid, old_anon_csrf):
    tk = Tokens(s)
    # Both keys are published.
    published = kids(s)
    assert old_kid in published and len(published) >= 2, published
    # New tokens are signed with the new key.
    fresh = Browser(s, "after-rotation")
    fresh.login(user.email, user.password)
    new_kid = tk.kid(fresh.cookie("access_token"))
    assert new_kid != old_kid and new_kid in published, (new_kid, published)
    tk.access(fresh.cookie("access_token"))
    assert tk.kid(fresh.csrf) == new_kid
    # Tokens signed with the old key keep working until they expire.
    assert tk.kid(b.cookie("access_token")) == old_kid
    tk.access(b.cookie("access_token"))
    r = b.get("/auth/validate")
    assert r.status_code == 200, f"a token signed by the retired key must still verify\n{describe(r)}"
    assert b.get("/auth/user").status_code == 200
    r = b.post("/auth/forgot-password", json={"email": "rotation@example.com"}, csrf=old_anon_csrf)
    assert r.status_code == 202, f"an anonymous CSRF token from before the rotation must still work\n{describe(r)}"
    # The old refresh token (old key) still refreshes, and the answer uses the new key.
    r = b.refresh()
    assert r.status_code == 200, describe(r)
    assert tk.kid(b.cookie("access_token")) == new_kid
    assert tk.kid(b.cookie("refresh_token")) == new_kid


def test_keys_rotate_while_running_is_picked_up_without_a_restart(launch):
    s = launch()
    user, b = logged_in(s)
    old_kid = unverified(b.cookie("access_token"))[0]["kid"]
    old_anon_csrf = Browser(s).anon_csrf()
    rotate(s)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and len(kids(s)) < 2:
        time.sleep(0.5)
    assert len(kids(s)) >= 2, \
        "after `gatehouse keys rotate` the running server still publishes only the old key (10 s)"
    check_rotation(s, user, b, old_kid, old_anon_csrf)


def test_keys_rotate_then_restart_keeps_old_tokens_valid(launch):
    s = launch()
    user, b = logged_in(s)
    old_kid = unverified(b.cookie("access_token"))[0]["kid"]
    old_anon_csrf = Browser(s).anon_csrf()
    s.stop()
    rotate(s)
    s.start()
    check_rotation(s, user, b, old_kid, old_anon_csrf)


def test_rs256_server_signs_every_token_with_rs256(launch):
    s = launch(GATEHOUSE_SIGNING_ALG="RS256")
    tk = Tokens(s)
    keys = tk.jwks()["keys"]
    assert keys and all(k["alg"] == "RS256" and k["kty"] == "RSA" for k in keys), keys
    for k in keys:
        assert not ({"d", "p", "q", "dp", "dq", "qi"} & set(k)), k
    _, b = logged_in(s)
    header, _ = tk.verify(b.cookie("access_token"), "at+jwt")
    assert header["alg"] == "RS256", header
    tk.access(b.cookie("access_token"))
    tk.refresh(b.cookie("refresh_token"))
    tk.csrf(b.csrf, "auth_csrf")
    assert b.get("/auth/user").status_code == 200
    assert b.refresh().status_code == 200


@pytest.mark.parametrize("alg", ["HS256", "none"])
def test_an_unsupported_signing_algorithm_is_refused_at_start(launch, alg):
    s = launch(start=False, GATEHOUSE_SIGNING_ALG=alg)
    with pytest.raises(AssertionError, match="exited|not healthy"):
        s.start()
