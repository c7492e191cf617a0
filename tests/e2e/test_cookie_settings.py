"""Cookie settings that change attributes: GATEHOUSE_COOKIE_DOMAIN and GATEHOUSE_COOKIE_SECURE."""

import pytest

from browser import Browser, describe
from checks import only_cookie
from flows import make_user_on


@pytest.fixture(scope="module")
def domain_server(module_launch):
    return module_launch(GATEHOUSE_COOKIE_DOMAIN="example.test")


def test_cookie_domain_applies_to_the_access_cookie_only(domain_server):
    user = make_user_on(domain_server)
    b = Browser(domain_server)
    r = b.login(user.email, user.password)
    access = only_cookie(r, "access_token")
    refresh = only_cookie(r, "refresh_token")
    assert (access.attr("domain") or "").lstrip(".").lower() == "example.test", describe(r)
    assert not refresh.has("domain"), f"the refresh cookie must stay host-only\n{describe(r)}"


def test_logout_clears_the_access_cookie_on_the_configured_domain(domain_server):
    user = make_user_on(domain_server)
    b = Browser(domain_server)
    b.login(user.email, user.password)
    r = b.logout()
    assert r.status_code == 200, describe(r)
    access = only_cookie(r, "access_token")
    assert access.max_age == 0 and access.path == "/", describe(r)
    assert (access.attr("domain") or "").lstrip(".").lower() == "example.test", \
        f"clearing must use the same domain as setting\n{describe(r)}"
    refresh = only_cookie(r, "refresh_token")
    assert refresh.max_age == 0 and refresh.path == "/auth" and not refresh.has("domain"), describe(r)


def test_cookie_secure_false_drops_the_secure_attribute(module_launch):
    s = module_launch(GATEHOUSE_COOKIE_SECURE="false")
    user = make_user_on(s)
    r = Browser(s).login(user.email, user.password)
    for name in ("access_token", "refresh_token"):
        sc = only_cookie(r, name)
        assert not sc.has("secure"), describe(r)
        assert sc.has("httponly") and (sc.attr("samesite") or "").lower() == "lax", describe(r)
