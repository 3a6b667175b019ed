"""Redirect URIs and clients the provider cannot trust: an error page ON the provider,
in French, never a redirect (oidcc-ensure-registered-redirect-uri,
oidcc-redirect-uri-query-added, a missing redirect_uri, an unknown client_id)."""
from __future__ import annotations

from tests.oidc.conftest import Browser, LiveProvider
from tests.oidc.helpers import assert_provider_error_page, new_rp, unique

REDIRECT_MESSAGE = "L’adresse de retour de l’application n’est pas enregistrée auprès de l’ENT."
CLIENT_MESSAGE = "Cette application n’est pas enregistrée auprès de l’ENT."


def _french(text: str) -> str:
    return text.replace("&#39;", "'").replace("&#x27;", "'")


# oidcc-ensure-registered-redirect-uri

def test_oidcc_ensure_registered_redirect_uri_unregistered_one_gets_an_error_page(live_provider: LiveProvider,
                                                                                  browser: Browser) -> None:
    rp = new_rp(live_provider)
    for unregistered in ("https://attacker.example.org/callback", rp.redirect_uri.replace("/callback", "/other")):
        url = rp.raw_authorization_url(response_type="code", client_id=rp.client_id, redirect_uri=unregistered,
                                       scope="openid", state=unique("state"))
        page = browser.open(url)
        assert_provider_error_page(page, live_provider.issuer)
        assert REDIRECT_MESSAGE in _french(page.text)
        assert unregistered not in page.text


# oidcc-redirect-uri-query-added

def test_oidcc_redirect_uri_query_added_gets_an_error_page(live_provider: LiveProvider, browser: Browser) -> None:
    rp = new_rp(live_provider)
    url = rp.raw_authorization_url(response_type="code", client_id=rp.client_id,
                                   redirect_uri=rp.redirect_uri + "?foo=bar", scope="openid", state=unique("state"))
    page = browser.open(url)
    assert_provider_error_page(page, live_provider.issuer)
    assert REDIRECT_MESSAGE in _french(page.text)


def test_missing_redirect_uri_gets_an_error_page(live_provider: LiveProvider, browser: Browser) -> None:
    rp = new_rp(live_provider)
    url = rp.raw_authorization_url(response_type="code", client_id=rp.client_id, scope="openid",
                                   state=unique("state"))
    page = browser.open(url)
    assert_provider_error_page(page, live_provider.issuer)
    assert REDIRECT_MESSAGE in _french(page.text)


def test_unknown_client_id_gets_an_error_page(live_provider: LiveProvider, browser: Browser) -> None:
    rp = new_rp(live_provider)
    url = rp.raw_authorization_url(response_type="code", client_id=unique("unknown"), redirect_uri=rp.redirect_uri,
                                   scope="openid", state=unique("state"))
    page = browser.open(url)
    assert_provider_error_page(page, live_provider.issuer)
    assert CLIENT_MESSAGE in _french(page.text)


def test_missing_client_id_gets_an_error_page(live_provider: LiveProvider, browser: Browser) -> None:
    rp = new_rp(live_provider)
    url = rp.raw_authorization_url(response_type="code", redirect_uri=rp.redirect_uri, scope="openid",
                                   state=unique("state"))
    assert_provider_error_page(browser.open(url), live_provider.issuer)
