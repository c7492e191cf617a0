"""Public, unauthenticated endpoints: health, info, issuer metadata, JWKS, providers, CORS."""

import pytest
import requests

from browser import describe
from checks import PRIVATE_JWK_MEMBERS, Tokens
from harness import SPA_URL


def test_health_reports_up(server):
    r = requests.get(server.url("/actuator/health"), timeout=10)
    assert r.status_code == 200, describe(r)
    assert r.headers.get("Content-Type", "").startswith("application/json"), describe(r)
    assert r.json().get("status") == "UP", describe(r)


def test_info_answers_200_with_json(server):
    r = requests.get(server.url("/actuator/info"), timeout=10)
    assert r.status_code == 200, describe(r)
    assert isinstance(r.json(), dict), describe(r)


def test_openid_configuration_names_issuer_and_jwks_uri(server):
    r = requests.get(server.url("/.well-known/openid-configuration"), timeout=10)
    assert r.status_code == 200, describe(r)
    meta = r.json()
    assert meta.get("issuer") == server.public_url, describe(r)
    assert meta.get("jwks_uri") == server.public("/.well-known/jwks.json"), describe(r)


def test_jwks_lists_public_signing_keys_only(server):
    r = requests.get(server.url("/.well-known/jwks.json"), timeout=10)
    assert r.status_code == 200, describe(r)
    assert r.headers.get("Content-Type", "").split(";")[0] in (
        "application/json", "application/jwk-set+json"), describe(r)
    keys = r.json().get("keys")
    assert isinstance(keys, list) and keys, describe(r)
    kids = [k.get("kid") for k in keys]
    assert all(kids) and len(set(kids)) == len(kids), f"kids must be present and unique: {kids}"
    for k in keys:
        assert k.get("use") == "sig", k
        assert k.get("alg") in ("ES256", "RS256"), k
        assert k.get("kty") == {"ES256": "EC", "RS256": "RSA"}[k["alg"]], k
        leaked = PRIVATE_JWK_MEMBERS & set(k)
        assert not leaked, f"JWKS leaks private key members {leaked}"


def test_default_signing_algorithm_is_es256(server, browser):
    token = browser().anon_csrf()
    header, _ = Tokens(server).verify(token, "csrf+jwt")
    assert header["alg"] == "ES256", header


def test_providers_is_an_empty_list_when_none_configured(server):
    r = requests.get(server.url("/auth/providers"), timeout=10)
    assert r.status_code == 200, describe(r)
    assert r.json() == [], describe(r)


# --- CORS ------------------------------------------------------------------------------------


def preflight(server, origin, method="POST", headers="content-type,x-csrf-token", path="/auth/login"):
    return requests.options(server.url(path), headers={
        "Origin": origin,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": headers,
    }, timeout=10)


def test_cors_preflight_from_the_spa_allows_credentials_and_csrf_header(server):
    r = preflight(server, SPA_URL)
    assert r.status_code in (200, 204), describe(r)
    assert r.headers.get("Access-Control-Allow-Origin") == SPA_URL, describe(r)
    assert r.headers.get("Access-Control-Allow-Credentials") == "true", describe(r)
    allowed_headers = r.headers.get("Access-Control-Allow-Headers", "").lower()
    assert "x-csrf-token" in allowed_headers, describe(r)
    assert "content-type" in allowed_headers, describe(r)
    allowed_methods = r.headers.get("Access-Control-Allow-Methods", "").upper()
    assert "POST" in allowed_methods, describe(r)


def test_cors_preflight_for_delete_session_is_allowed_from_the_spa(server):
    r = preflight(server, SPA_URL, method="DELETE", headers="x-csrf-token",
                  path="/auth/sessions/00000000-0000-0000-0000-000000000000")
    assert r.status_code in (200, 204), describe(r)
    assert r.headers.get("Access-Control-Allow-Origin") == SPA_URL, describe(r)
    assert "DELETE" in r.headers.get("Access-Control-Allow-Methods", "").upper(), describe(r)


def test_cors_preflight_from_another_origin_is_not_allowed(server):
    for origin in ("https://evil.example", "http://localhost:5174", "null"):
        r = preflight(server, origin)
        acao = r.headers.get("Access-Control-Allow-Origin")
        assert acao not in (origin, "*"), describe(r)
        assert acao is None or acao == SPA_URL, describe(r)  # a fixed SPA origin is harmless


def test_cors_simple_request_from_the_spa_is_credentialed(server):
    r = requests.get(server.url("/auth/csrf"), headers={"Origin": SPA_URL}, timeout=10)
    assert r.status_code == 200, describe(r)
    assert r.headers.get("Access-Control-Allow-Origin") == SPA_URL, describe(r)
    assert r.headers.get("Access-Control-Allow-Credentials") == "true", describe(r)


def test_cors_simple_request_from_another_origin_gets_no_allow_origin(server):
    r = requests.get(server.url("/auth/csrf"), headers={"Origin": "https://evil.example"}, timeout=10)
    acao = r.headers.get("Access-Control-Allow-Origin")
    assert acao in (None, SPA_URL), describe(r)


def test_health_is_503_down_when_the_database_is_unreachable(backend, launch):
    if backend != "postgres":
        pytest.skip("needs PostgreSQL (GATEHOUSE_TEST_POSTGRES_URL) to take the database away")
    s = launch()
    s.db.drop()  # dropdb --force ends the server's connections too
    r = requests.get(s.url("/actuator/health"), timeout=15)
    assert r.status_code == 503, describe(r)
    assert r.json().get("status") == "DOWN", describe(r)
