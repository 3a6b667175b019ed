"""Codes, tokens, refresh and PKCE: oidcc-codereuse, oidcc-codereuse-30seconds,
oidcc-refresh-token and the PKCE rules (S256 only; required for public clients)."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from idp.directory import AccountLocked, AccountState, Directory, InvalidCredentials, NewAccount, Profile
from idp.provisioning.service import Provisioner
from tests.conftest import TEST_LOCKOUT
from tests.oidc.conftest import PASSWORD, Browser, LiveProvider
from tests.oidc.helpers import (
    assert_invalid_token,
    code_of,
    error_redirect,
    new_rp,
    new_verifier,
    sign_in_for_code,
    signed_in_flow,
    silent_code,
    unique,
    verify_id_token,
)


def _error(response, status: int = 400) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == status, (response.status_code, response.text)
    body = response.json()
    assert "access_token" not in body, body
    return body["error"]


# oidcc-codereuse

def test_oidcc_codereuse_second_exchange_is_invalid_grant(live_provider: LiveProvider, browser: Browser,
                                                          teacher: str) -> None:
    rp = new_rp(live_provider)
    with rp.session(scope="openid") as client:
        url, state = rp.authorization_url(client)
        code = code_of(sign_in_for_code(browser, url, teacher), state, live_provider.issuer)
    first = rp.exchange(code)
    assert first.status_code == 200, first.text
    assert first.headers.get("Cache-Control") == "no-store"
    verify_id_token(live_provider.issuer, first.json()["id_token"], rp.client_id)
    assert _error(rp.exchange(code)) == "invalid_grant"


# oidcc-codereuse-30seconds

def test_oidcc_codereuse_30seconds_revokes_the_tokens_of_the_first_exchange(live_provider: LiveProvider,
                                                                           browser: Browser, teacher: str) -> None:
    rp = new_rp(live_provider, refresh_tokens=True)
    with rp.session(scope="openid profile") as client:
        url, state = rp.authorization_url(client)
        code = code_of(sign_in_for_code(browser, url, teacher), state, live_provider.issuer)
    first = rp.exchange(code)
    assert first.status_code == 200, first.text
    tokens = first.json()
    assert rp.userinfo(tokens["access_token"]).status_code == 200
    assert _error(rp.exchange(code)) == "invalid_grant"
    assert_invalid_token(rp.userinfo(tokens["access_token"]))
    assert _error(rp.refresh(tokens["refresh_token"])) == "invalid_grant"


# oidcc-refresh-token

def test_oidcc_refresh_token_rotates_and_a_replay_revokes_the_family(live_provider: LiveProvider,
                                                                     browser: Browser, teacher: str) -> None:
    rp = new_rp(live_provider, refresh_tokens=True)
    with rp.session(scope="openid profile") as client:
        first, id_token = signed_in_flow(rp, browser, teacher, client)
        second = client.refresh_token(rp.metadata["token_endpoint"], refresh_token=first["refresh_token"])
    assert second["access_token"] and second["access_token"] != first["access_token"]
    assert second["refresh_token"] and second["refresh_token"] != first["refresh_token"]
    assert set(second["scope"].split()) == {"openid", "profile"}, second
    if "id_token" in second:
        renewed = verify_id_token(live_provider.issuer, second["id_token"], rp.client_id)
        assert renewed.claims["sub"] == id_token.claims["sub"]
        assert renewed.claims["auth_time"] == id_token.claims["auth_time"]
    response = rp.userinfo(second["access_token"])
    assert response.status_code == 200, response.text
    assert response.json()["sub"] == id_token.claims["sub"]
    assert response.json()["preferred_username"] == teacher
    # The old refresh token again: a replay. The whole family goes.
    assert _error(rp.refresh(first["refresh_token"])) == "invalid_grant"
    assert_invalid_token(rp.userinfo(second["access_token"]))
    assert _error(rp.refresh(second["refresh_token"])) == "invalid_grant"


def test_refresh_token_of_another_client_is_refused(live_provider: LiveProvider, browser: Browser,
                                                    teacher: str) -> None:
    rp, other = new_rp(live_provider, refresh_tokens=True), new_rp(live_provider)
    with rp.session(scope="openid") as client:
        token, _ = signed_in_flow(rp, browser, teacher, client)
    assert _error(other.refresh(token["refresh_token"])) == "invalid_grant"


# PKCE

def test_pkce_s256_code_flow_succeeds(live_provider: LiveProvider, browser: Browser, teacher: str) -> None:
    rp = new_rp(live_provider, require_pkce=True)
    verifier = new_verifier()
    with rp.session(scope="openid", pkce=True) as client:
        url, _ = rp.authorization_url(client, verifier)
        assert f"code_challenge={create_s256_code_challenge(verifier)}" in url
        assert "code_challenge_method=S256" in url
        token, _ = signed_in_flow(rp, browser, teacher, client, verifier)
    assert rp.userinfo(token["access_token"]).status_code == 200


def test_pkce_plain_method_is_refused_with_invalid_request(live_provider: LiveProvider, browser: Browser) -> None:
    rp = new_rp(live_provider)
    state = unique("state")
    url = rp.raw_authorization_url(response_type="code", client_id=rp.client_id, redirect_uri=rp.redirect_uri,
                                   scope="openid", state=state, code_challenge=new_verifier(),
                                   code_challenge_method="plain")
    params = error_redirect(browser.open(url), rp.redirect_uri)
    assert params["error"] == "invalid_request", params
    assert params["state"] == state and params["iss"] == live_provider.issuer, params


def test_pkce_wrong_verifier_is_invalid_grant(live_provider: LiveProvider, browser: Browser, teacher: str) -> None:
    rp = new_rp(live_provider)
    verifier = new_verifier()
    with rp.session(scope="openid", pkce=True) as client:
        url, state = rp.authorization_url(client, verifier)
        code = code_of(sign_in_for_code(browser, url, teacher), state, live_provider.issuer)
    assert _error(rp.exchange(code, new_verifier())) == "invalid_grant"


def test_pkce_public_client_without_code_challenge_is_refused(live_provider: LiveProvider,
                                                              browser: Browser) -> None:
    rp = new_rp(live_provider, public=True)
    assert rp.client_secret is None
    with rp.session(scope="openid") as client:
        url, state = rp.authorization_url(client)
    assert "code_challenge" not in url
    params = error_redirect(browser.open(url), rp.redirect_uri)
    assert params["error"] == "invalid_request", params
    assert params["state"] == state and params["iss"] == live_provider.issuer, params


def test_pkce_public_client_with_s256_gets_tokens_without_a_secret(live_provider: LiveProvider,
                                                                   browser: Browser, teacher: str) -> None:
    rp = new_rp(live_provider, public=True)
    verifier = new_verifier()
    with rp.session(scope="openid profile", pkce=True) as client:
        assert client.client_secret is None
        token, id_token = signed_in_flow(rp, browser, teacher, client, verifier)
        # Without the verifier, a public client's code is worth nothing.
        code = silent_code(rp, browser, client, new_verifier())
    response = rp.userinfo(token["access_token"])
    assert response.status_code == 200 and response.json()["sub"] == id_token.claims["sub"]
    assert _error(rp.exchange(code)) in ("invalid_request", "invalid_grant")


# Tokens: two token requests in the same second, same person and client

def test_two_token_requests_in_the_same_second_both_succeed_with_different_tokens(
        live_provider: LiveProvider, browser: Browser, teacher: str) -> None:
    rp = new_rp(live_provider, refresh_tokens=True)
    with rp.session(scope="openid") as client:
        url, state = rp.authorization_url(client)
        codes = [code_of(sign_in_for_code(browser, url, teacher), state, live_provider.issuer),
                 silent_code(rp, browser, client)]
    barrier = threading.Barrier(2)

    def exchange(code: str):  # type: ignore[no-untyped-def]
        barrier.wait(timeout=10)
        return rp.exchange(code)

    with ThreadPoolExecutor(2) as pool:
        responses = list(pool.map(exchange, codes))
    assert [response.status_code for response in responses] == [200, 200], [r.text for r in responses]
    tokens = [response.json() for response in responses]
    assert tokens[0]["access_token"] != tokens[1]["access_token"]
    assert tokens[0]["refresh_token"] != tokens[1]["refresh_token"]
    for token in tokens:
        assert rp.userinfo(token["access_token"]).status_code == 200
    # Codes are single use.
    assert all(_error(rp.exchange(code)) == "invalid_grant" for code in codes)


def test_oidcc_codereuse_also_revokes_tokens_refreshed_from_the_code(live_provider: LiveProvider,
                                                                     browser: Browser, teacher: str) -> None:
    """RFC 6749 4.1.2: a reused code SHOULD revoke all tokens issued based on it, and
    the tokens of a refresh are based on the same code."""
    rp = new_rp(live_provider, refresh_tokens=True)
    with rp.session(scope="openid") as client:
        url, state = rp.authorization_url(client)
        code = code_of(sign_in_for_code(browser, url, teacher), state, live_provider.issuer)
    first = rp.exchange(code)
    assert first.status_code == 200, first.text
    refreshed = rp.refresh(first.json()["refresh_token"])
    assert refreshed.status_code == 200, refreshed.text
    assert rp.userinfo(refreshed.json()["access_token"]).status_code == 200
    assert _error(rp.exchange(code)) == "invalid_grant"
    assert_invalid_token(rp.userinfo(refreshed.json()["access_token"]))
    assert _error(rp.refresh(refreshed.json()["refresh_token"])) == "invalid_grant"


def test_code_is_bound_to_its_client_and_redirect_uri(live_provider: LiveProvider, browser: Browser,
                                                      teacher: str) -> None:
    rp, other = new_rp(live_provider), new_rp(live_provider)
    with rp.session(scope="openid") as client:
        url, state = rp.authorization_url(client)
        code = code_of(sign_in_for_code(browser, url, teacher), state, live_provider.issuer)
        other_code = silent_code(rp, browser, client)
    assert _error(other.exchange(code)) == "invalid_grant"
    wrong_redirect = rp.token_request({"grant_type": "authorization_code", "code": other_code,
                                       "redirect_uri": rp.redirect_uri + "/other"})
    assert _error(wrong_redirect) == "invalid_grant"
    assert rp.exchange(code).status_code == 200


def test_refresh_token_wider_scope_is_refused_without_burning_the_token(live_provider: LiveProvider,
                                                                        browser: Browser, teacher: str) -> None:
    """A refresh asking for more than was granted is invalid_scope; the refused request
    is not a use of the refresh token (only a replay revokes the family)."""
    rp = new_rp(live_provider, refresh_tokens=True)
    with rp.session(scope="openid") as client:
        token, _ = signed_in_flow(rp, browser, teacher, client)
    wider = rp.token_request({"grant_type": "refresh_token", "refresh_token": token["refresh_token"],
                              "scope": "openid profile email"})
    assert _error(wider) == "invalid_scope"
    assert rp.userinfo(token["access_token"]).status_code == 200
    again = rp.refresh(token["refresh_token"])
    assert again.status_code == 200, again.text
    assert rp.userinfo(again.json()["access_token"]).json().keys() == {"sub"}


def test_refresh_refused_while_the_account_is_locked_keeps_the_token(live_provider: LiveProvider,
                                                                     browser: Browser, directory: Directory) -> None:
    """SECURITY.md 24, issue of a refused refresh: a temporarily locked account's app gets
    invalid_grant, and once the lock is lifted the same refresh token still works."""
    created = Provisioner(directory, 90).add(NewAccount("Refus", "Verrouille", Profile.TEACHER, ("0770001H",)))
    directory.activate(created.login, password=PASSWORD)
    rp = new_rp(live_provider)
    with rp.session(scope="openid profile offline_access") as client:
        token, _ = signed_in_flow(rp, browser, created.login, client)
    for _ in range(TEST_LOCKOUT.max_failures):  # slapd's own lockout, as many wrong passwords would cause
        with pytest.raises((InvalidCredentials, AccountLocked)):
            directory.verify(created.login, "Pas-le-bon-1")
    assert directory.get(created.login).state is AccountState.LOCKED
    assert _error(rp.refresh(token["refresh_token"])) == "invalid_grant"
    directory.unlock(created.login)
    again = rp.refresh(token["refresh_token"])
    assert again.status_code == 200, again.text
    assert rp.userinfo(again.json()["access_token"]).json()["preferred_username"] == created.login
