"""response_mode: `query` (the default) and `form_post` (OAuth 2.0 Form Post Response
Mode: a page posts the response to the redirect URI); any other is refused."""
from __future__ import annotations

import html
import re

import requests

from tests.oidc.conftest import Browser, LiveProvider, redirect_params
from tests.oidc.helpers import code_of, error_redirect, is_login_page, new_rp, new_verifier, verify_id_token


def _posted_form(page: requests.Response) -> tuple[str, dict[str, str]]:
    """(action, fields) of a form_post page, after checking it sends itself."""
    assert page.status_code == 200 and not page.is_redirect, (page.status_code, page.headers.get("Location"))
    assert page.headers["Cache-Control"] == "no-store", page.headers
    form = re.search(r'<form method="post" action="([^"]+)" data-envoi-automatique>(.*?)</form>', page.text, re.S)
    assert form, page.text[:500]
    assert "<button" in form.group(2) and "Continuer vers l’application" in html.unescape(form.group(2))
    assert re.search(r'<script src="/static/auto-submit.js[^"]*" defer></script>', page.text), page.text
    assert "form-action" not in page.headers["Content-Security-Policy"]
    fields = {}
    for tag in re.findall(r"<input[^>]*>", form.group(2)):
        attributes = dict(re.findall(r'([\w-]+)="([^"]*)"', tag))
        assert attributes["type"] == "hidden", tag
        fields[attributes["name"]] = html.unescape(attributes["value"])
    return html.unescape(form.group(1)), fields


def test_discovery_advertises_query_and_form_post(live_provider: LiveProvider) -> None:
    rp = new_rp(live_provider)
    assert rp.metadata["response_modes_supported"] == ["query", "form_post"]


def test_form_post_straight_after_signing_in_posts_code_state_and_iss(live_provider: LiveProvider, browser: Browser,
                                                                      teacher: str) -> None:
    rp = new_rp(live_provider)
    verifier = new_verifier()
    with rp.session(pkce=True) as client:
        url, state = rp.authorization_url(client, verifier, response_mode="form_post", nonce="n-1")
        page = browser.open(url)
        assert is_login_page(page, live_provider.issuer)
        answer = browser.sign_in(page, teacher)
        action, fields = _posted_form(answer)
        assert action == rp.redirect_uri
        assert set(fields) == {"code", "state", "iss"}, fields
        code = code_of(fields, state, live_provider.issuer)
        token = rp.fetch_token(client, code, verifier)
    assert verify_id_token(rp.issuer, token["id_token"], rp.client_id).claims["nonce"] == "n-1"

    # Signed in already: the page comes at once.
    with rp.session() as client:
        url, state = rp.authorization_url(client, response_mode="form_post")
        action, fields = _posted_form(browser.open(url))
        assert action == rp.redirect_uri
        assert rp.exchange(code_of(fields, state, live_provider.issuer)).status_code == 200


def test_form_post_to_a_redirect_uri_with_a_query_keeps_it_in_the_action(live_provider: LiveProvider,
                                                                         browser: Browser, teacher: str) -> None:
    redirect_uri = "http://127.0.0.1:9/app-with-query/callback?ecole=0770001H"
    rp = new_rp(live_provider, redirect_uris=[redirect_uri])
    rp.redirect_uri = redirect_uri
    with rp.session() as client:
        url, state = rp.authorization_url(client, response_mode="form_post")
        action, fields = _posted_form(browser.sign_in(browser.open(url), teacher))
    assert action == redirect_uri and set(fields) == {"code", "state", "iss"}, (action, fields)
    assert rp.exchange(code_of(fields, state, live_provider.issuer)).status_code == 200


def test_form_post_posts_an_error_too(live_provider: LiveProvider, browser: Browser) -> None:
    rp = new_rp(live_provider)
    with rp.session() as client:
        url, state = rp.authorization_url(client, response_mode="form_post", prompt="none")
    action, fields = _posted_form(browser.open(url))
    assert action == rp.redirect_uri
    assert fields["error"] == "login_required" and fields["state"] == state, fields
    assert fields["iss"] == live_provider.issuer and "code" not in fields, fields


def test_response_mode_query_is_the_default_redirect(live_provider: LiveProvider, browser: Browser,
                                                     teacher: str) -> None:
    rp = new_rp(live_provider)
    with rp.session() as client:
        url, state = rp.authorization_url(client, response_mode="query")
        page = browser.open(url)
        params = redirect_params(browser.sign_in(page, teacher))
    assert rp.exchange(code_of(params, state, live_provider.issuer)).status_code == 200


def test_an_unknown_response_mode_is_refused_back_to_the_client(live_provider: LiveProvider,
                                                                browser: Browser) -> None:
    rp = new_rp(live_provider)
    for mode in ("fragment", "web_message", "form_post.jwt", "FORM_POST"):
        with rp.session() as client:
            url, state = rp.authorization_url(client, response_mode=mode)
        params = error_redirect(browser.open(url), rp.redirect_uri)
        assert params["error"] == "invalid_request" and params["state"] == state, (mode, params)
        assert params["iss"] == live_provider.issuer, params
