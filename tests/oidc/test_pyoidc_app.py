"""A college app on pyoidc (PyPI `oic`), in Chromium: it reads the ENT's metadata without a
warning, signs the person in, and is signed out by « Se déconnecter » on the ENT (back-channel
logout, verified by pyoidc); its resource server, introspecting with pyoidc, then finds the
app's access token inactive."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import RSAKey
from oic.extension.client import Client as IntrospectingClient
from oic.utils.authn.client import CLIENT_AUTHN_METHOD
from playwright.sync_api import Browser, Page

from tests.cas.conftest import on_login_page, sign_in
from tests.conftest import eventually
from tests.oidc.conftest import LiveProvider
from tests.oidc.pyoidc_app import PyoidcApp


@pytest.fixture(scope="module")
def app(live_provider: LiveProvider) -> Iterator[PyoidcApp]:
    agenda = PyoidcApp(live_provider.issuer)
    registered = live_provider.register(name="Agenda (pyoidc)", redirect_uris=[agenda.redirect_uri],
                                        backchannel_logout_uri=agenda.backchannel_logout_uri)
    agenda.configure(registered.client.client_id, registered.client_secret or "")
    with agenda.running():
        yield agenda


@pytest.fixture
def page(chromium: Browser) -> Iterator[Page]:
    context = chromium.new_context(locale="fr-FR")
    yield context.new_page()
    context.close()


def introspected(live_provider: LiveProvider, app: PyoidcApp, token: str) -> bool:
    """What the app's resource server learns of a token, asking with pyoidc (RFC 7662)."""
    server = IntrospectingClient(client_authn_method=CLIENT_AUTHN_METHOD)
    server.client_id, server.client_secret = app.client.client_id, app.client.client_secret
    server.provider_info = app.client.provider_info
    answer = server.do_token_introspection(request_args={"token": token, "token_type_hint": "access_token"},
                                           authn_method="client_secret_basic",
                                           endpoint=app.client.provider_info["introspection_endpoint"])
    return bool(answer["active"])


def test_pyoidc_reads_the_metadata_without_a_warning(app: PyoidcApp, live_provider: LiveProvider) -> None:
    assert app.warnings == []
    info = app.client.provider_info
    assert info["issuer"] == live_provider.issuer and info["backchannel_logout_session_supported"] is True


def test_se_deconnecter_signs_the_person_out_of_the_pyoidc_app(app: PyoidcApp, live_provider: LiveProvider,
                                                               page: Page, teacher: str) -> None:
    page.goto(app.page_url)
    assert on_login_page(page, live_provider.issuer), page.url
    sign_in(page, teacher)
    page.wait_for_url(app.page_url)
    assert page.locator("body").inner_text() == f"Agenda de {teacher}"
    [session] = [session for session in app.sessions.values() if session.get("login") == teacher]
    assert introspected(live_provider, app, session["access_token"])

    page.goto(live_provider.issuer + "/accueil")
    page.get_by_role("main").get_by_role("button", name="Se déconnecter").click()
    assert "Agenda (pyoidc)" in page.get_by_role("main").get_by_role("listitem").all_inner_texts()

    [claims] = eventually(lambda: [claims for claims in app.logouts if claims.get("sid") == session["sid"]])
    assert claims["sub"] == session["sub"] and claims["aud"] == [app.client.client_id]
    page.goto(app.page_url)
    assert on_login_page(page, live_provider.issuer), page.url  # the app asks for a sign-in again
    assert not introspected(live_provider, app, session["access_token"])


def test_a_forged_logout_token_signs_nobody_out(app: PyoidcApp, live_provider: LiveProvider, page: Page,
                                                teacher: str) -> None:
    """pyoidc refuses a logout token that the ENT did not sign: the app's session stays."""
    page.goto(app.page_url)
    sign_in(page, teacher)
    page.wait_for_url(app.page_url)
    [session] = [session for session in app.sessions.values() if session.get("login") == teacher]
    forged = jwt.encode({"alg": "RS256", "kid": "forged", "typ": "logout+jwt"}, {
        "iss": live_provider.issuer, "aud": app.client.client_id, "iat": 0, "jti": "x", "sid": session["sid"],
        "events": {"http://schemas.openid.net/event/backchannel-logout": {}}}, RSAKey.generate_key(2048))
    assert requests.post(app.backchannel_logout_uri, data={"logout_token": forged}, timeout=10).status_code == 400
    page.goto(app.page_url)
    assert page.locator("body").inner_text() == f"Agenda de {teacher}"
