"""Refresh tokens only for `offline_access` or apps registered with `--refresh-tokens`; a
refresh response carries a new ID token (OpenID Connect Core 11 and 12.2), checked with
Authlib's client and with the OpenID Foundation's pyoidc (PyPI `oic`)."""
from __future__ import annotations

import time
from urllib.parse import urlsplit

from oic.oic import Client as PyoidcClient
from oic.oic.message import AuthorizationResponse, RegistrationResponse
from oic.utils.authn.client import CLIENT_AUTHN_METHOD

from tests.oidc.conftest import Browser, LiveProvider
from tests.oidc.helpers import is_login_page, new_rp, signed_in_flow, unique, verify_id_token


def test_a_new_app_gets_no_refresh_token_without_offline_access(live_provider: LiveProvider, browser: Browser,
                                                                teacher: str) -> None:
    rp = new_rp(live_provider)
    with rp.session(scope="openid profile") as client:
        token, _ = signed_in_flow(rp, browser, teacher, client)
    assert "refresh_token" not in token, token
    assert token["access_token"] and token["id_token"]


def test_offline_access_gives_a_first_party_app_a_refresh_token_without_consent(
        live_provider: LiveProvider, browser: Browser, teacher: str) -> None:
    rp = new_rp(live_provider)
    with rp.session(scope="openid offline_access") as client:
        token, _ = signed_in_flow(rp, browser, teacher, client)
    assert token["refresh_token"], token
    assert "offline_access" in token["scope"].split()
    assert rp.refresh(token["refresh_token"]).status_code == 200


def test_an_app_registered_with_refresh_tokens_gets_one_without_offline_access(
        live_provider: LiveProvider, browser: Browser, teacher: str) -> None:
    rp = new_rp(live_provider, refresh_tokens=True)
    with rp.session(scope="openid") as client:
        token, _ = signed_in_flow(rp, browser, teacher, client)
    assert token["refresh_token"], token


def test_a_refresh_response_has_a_new_id_token_of_the_same_sign_in(live_provider: LiveProvider, browser: Browser,
                                                                   teacher: str) -> None:
    rp = new_rp(live_provider)
    with rp.session(scope="openid profile offline_access") as client:
        token, first = signed_in_flow(rp, browser, teacher, client, nonce=unique("nonce"))
    time.sleep(1.1)  # a new iat
    response = rp.refresh(token["refresh_token"])
    assert response.status_code == 200, response.text
    body = response.json()
    second = verify_id_token(live_provider.issuer, body["id_token"], rp.client_id)
    claims, original = second.claims, first.claims
    assert claims["sub"] == original["sub"] and claims["auth_time"] == original["auth_time"]
    assert claims["sid"] == original["sid"] and claims["amr"] == original["amr"] and claims["acr"] == "1"
    assert claims["iat"] > original["iat"] and claims["exp"] > original["exp"]
    assert "nonce" in original and "nonce" not in claims
    assert body["refresh_token"] and body["refresh_token"] != token["refresh_token"]
    # Refreshed again, the ID token still tells of the same sign-in.
    third = verify_id_token(live_provider.issuer, rp.refresh(body["refresh_token"]).json()["id_token"],
                            rp.client_id).claims
    assert (third["sub"], third["auth_time"], third["sid"]) == (original["sub"], original["auth_time"],
                                                              original["sid"])


def test_pyoidc_signs_in_refreshes_and_logs_out_with_the_new_id_token(live_provider: LiveProvider,
                                                                     browser: Browser, teacher: str) -> None:
    rp = new_rp(live_provider)
    client = PyoidcClient(client_authn_method=CLIENT_AUTHN_METHOD)
    client.provider_config(live_provider.issuer)
    client.store_registration_info(RegistrationResponse(
        client_id=rp.client_id, client_secret=rp.client_secret, redirect_uris=[rp.redirect_uri],
        post_logout_redirect_uris=[rp.post_logout_redirect_uri]))
    client.redirect_uris = [rp.redirect_uri]
    state, nonce = unique("state"), unique("nonce")
    request = client.construct_AuthorizationRequest(request_args={
        "client_id": rp.client_id, "response_type": "code", "scope": ["openid", "offline_access"],
        "nonce": nonce, "redirect_uri": rp.redirect_uri, "state": state})
    page = browser.open(request.request(client.authorization_endpoint))
    assert is_login_page(page, live_provider.issuer)
    redirect = browser.sign_in(page, teacher)
    assert redirect.is_redirect, redirect.status_code
    answer = client.parse_response(AuthorizationResponse, info=urlsplit(redirect.headers["Location"]).query,
                                   sformat="urlencoded")
    assert answer["state"] == state
    first = client.do_access_token_request(state=state, request_args={"code": answer["code"]},
                                           authn_method="client_secret_basic")
    assert first["id_token"]["nonce"] == nonce and first["refresh_token"]

    refreshed = client.do_access_token_refresh(state=state, authn_method="client_secret_basic")
    new_id_token = refreshed["id_token"]
    assert new_id_token["sub"] == first["id_token"]["sub"]
    assert new_id_token["auth_time"] == first["id_token"]["auth_time"]
    assert refreshed["refresh_token"] != first["refresh_token"]
    # pyoidc verified it (signature by the JWKS, iss, aud) and keeps it for the logout hint.
    kept = client._get_id_token(state=state)
    assert kept == new_id_token.jwt and kept != first["id_token"].jwt

    logout = client.construct_EndSessionRequest(state=state, request_args={
        "post_logout_redirect_uri": rp.post_logout_redirect_uri, "state": "bye"})
    assert logout["id_token_hint"] == kept
    response = browser.open(logout.request(client.end_session_endpoint))  # no confirmation page
    assert response.is_redirect, (response.status_code, response.text[:300])
    assert response.headers["Location"] == f"{rp.post_logout_redirect_uri}?state=bye"
