"""OpenID Foundation "Basic OP" modules on re-authentication: prompt, max_age,
id_token_hint and login_hint. Each test signs in afresh in its own browser."""
from __future__ import annotations

import time

import pytest

from idp.directory import Directory, NewAccount, Profile
from idp.provisioning.service import Provisioner
from tests.oidc.conftest import PASSWORD, Browser, LiveProvider, redirect_params
from tests.oidc.helpers import (
    code_of,
    error_redirect,
    is_login_page,
    login_field_value,
    new_rp,
    signed_in_flow,
    silent_code,
    unique,
    verify_id_token,
)


@pytest.fixture(scope="module")
def second_teacher(directory: Directory) -> str:
    """Another active teacher with a known password."""
    created = Provisioner(directory, 90).add(NewAccount("Camille", "Remplacante", Profile.TEACHER, ("0770001H",),
                                                        "camille@example.fr"))
    directory.set_password(created.login, PASSWORD)
    directory.activate(created.login)
    return created.login


# oidcc-prompt-login

def test_oidcc_prompt_login_shows_the_login_page_again_and_renews_auth_time(
        live_provider: LiveProvider, browser: Browser, teacher: str) -> None:
    rp = new_rp(live_provider)
    with rp.session(scope="openid") as client:
        _, first = signed_in_flow(rp, browser, teacher, client)
        url, state = rp.authorization_url(client, prompt="login", nonce=unique("nonce"))
        page = browser.open(url)
        assert is_login_page(page, live_provider.issuer), (page.status_code, page.headers.get("Location"))
        code = code_of(redirect_params(browser.sign_in(page, teacher)), state, live_provider.issuer)
        token = rp.fetch_token(client, code)
    second = verify_id_token(live_provider.issuer, token["id_token"], rp.client_id)
    assert second.claims["sub"] == first.claims["sub"]
    assert second.claims["auth_time"] >= first.claims["auth_time"]


# oidcc-prompt-none-not-logged-in

def test_oidcc_prompt_none_not_logged_in_redirects_login_required(live_provider: LiveProvider,
                                                                   browser: Browser) -> None:
    rp = new_rp(live_provider)
    with rp.session(scope="openid") as client:
        url, state = rp.authorization_url(client, prompt="none", nonce=unique("nonce"))
    params = error_redirect(browser.open(url), rp.redirect_uri)
    assert params["error"] == "login_required", params
    assert params["state"] == state and params["iss"] == live_provider.issuer, params


# oidcc-prompt-none-logged-in

def test_oidcc_prompt_none_logged_in_gives_a_code_without_any_page(live_provider: LiveProvider, browser: Browser,
                                                                   teacher: str) -> None:
    rp = new_rp(live_provider)
    with rp.session(scope="openid") as client:
        _, first = signed_in_flow(rp, browser, teacher, client)
        code = silent_code(rp, browser, client, prompt="none")
        token = rp.fetch_token(client, code)
    second = verify_id_token(live_provider.issuer, token["id_token"], rp.client_id)
    assert second.claims["sub"] == first.claims["sub"]
    assert second.claims["auth_time"] == first.claims["auth_time"]


# oidcc-max-age-1

def test_oidcc_max_age_1_asks_to_sign_in_again_with_a_later_auth_time(live_provider: LiveProvider,
                                                                       browser: Browser, teacher: str) -> None:
    rp = new_rp(live_provider)
    with rp.session(scope="openid") as client:
        _, first = signed_in_flow(rp, browser, teacher, client)
        time.sleep(2)
        url, state = rp.authorization_url(client, max_age="1", nonce=unique("nonce"))
        page = browser.open(url)
        assert is_login_page(page, live_provider.issuer), (page.status_code, page.headers.get("Location"))
        code = code_of(redirect_params(browser.sign_in(page, teacher)), state, live_provider.issuer)
        token = rp.fetch_token(client, code)
    second = verify_id_token(live_provider.issuer, token["id_token"], rp.client_id)
    assert second.claims["auth_time"] > first.claims["auth_time"]
    assert second.claims["auth_time"] >= second.claims["iat"] - 5


# oidcc-max-age-10000

def test_oidcc_max_age_10000_keeps_the_session_and_its_auth_time(live_provider: LiveProvider, browser: Browser,
                                                                 teacher: str) -> None:
    rp = new_rp(live_provider)
    with rp.session(scope="openid") as client:
        _, first = signed_in_flow(rp, browser, teacher, client)
        code = silent_code(rp, browser, client, max_age="10000", nonce=unique("nonce"))
        token = rp.fetch_token(client, code)
    second = verify_id_token(live_provider.issuer, token["id_token"], rp.client_id)
    assert second.claims["auth_time"] == first.claims["auth_time"]


# oidcc-id-token-hint

def test_oidcc_id_token_hint_with_prompt_none_gives_a_code(live_provider: LiveProvider, browser: Browser,
                                                           teacher: str) -> None:
    rp = new_rp(live_provider)
    with rp.session(scope="openid") as client:
        token, first = signed_in_flow(rp, browser, teacher, client)
        code = silent_code(rp, browser, client, prompt="none", id_token_hint=token["id_token"])
        renewed = rp.fetch_token(client, code)
    second = verify_id_token(live_provider.issuer, renewed["id_token"], rp.client_id)
    assert second.claims["sub"] == first.claims["sub"]


# oidcc-login-hint

def test_oidcc_login_hint_prefills_the_identifiant_field(live_provider: LiveProvider, browser: Browser,
                                                         teacher: str) -> None:
    rp = new_rp(live_provider)
    with rp.session(scope="openid") as client:
        url, state = rp.authorization_url(client, login_hint=teacher)
        page = browser.open(url)
        assert is_login_page(page, live_provider.issuer), (page.status_code, page.url)
        assert login_field_value(page) == teacher
        code = code_of(redirect_params(browser.sign_in(page, teacher)), state, live_provider.issuer)
        token = rp.fetch_token(client, code)
    verify_id_token(live_provider.issuer, token["id_token"], rp.client_id)


def test_oidcc_prompt_none_with_max_age_0_is_login_required(live_provider: LiveProvider, browser: Browser,
                                                            teacher: str) -> None:
    rp = new_rp(live_provider)
    with rp.session(scope="openid") as client:
        signed_in_flow(rp, browser, teacher, client)
        url, state = rp.authorization_url(client, prompt="none", max_age="0")
    params = error_redirect(browser.open(url), rp.redirect_uri)
    assert params["error"] == "login_required", params
    assert params["state"] == state and params["iss"] == live_provider.issuer, params


def test_oidcc_prompt_none_with_id_token_hint_of_another_person_is_login_required(
        live_provider: LiveProvider, browser: Browser, teacher: str, second_teacher: str) -> None:
    rp = new_rp(live_provider)
    with rp.session(scope="openid") as client:
        token, first = signed_in_flow(rp, browser, second_teacher, client)
    other_browser = Browser(live_provider.issuer)
    with rp.session(scope="openid") as client:
        _, mine = signed_in_flow(rp, other_browser, teacher, client)
        assert mine.claims["sub"] != first.claims["sub"]
        url, state = rp.authorization_url(client, prompt="none", id_token_hint=token["id_token"])
    params = error_redirect(other_browser.open(url), rp.redirect_uri)
    assert params["error"] == "login_required" and params["state"] == state, params


@pytest.mark.parametrize("extra", [{"id_token_hint": "not-a-jwt"}, {"max_age": "soon"}],
                         ids=["invalid-id_token_hint", "invalid-max_age"])
def test_invalid_authorization_parameter_is_returned_to_the_client(live_provider: LiveProvider,
                                                                  browser: Browser, teacher: str,
                                                                  extra: dict[str, str]) -> None:
    """RFC 6749 4.1.2.1: once client and redirect URI are valid, an error goes back to
    the client (invalid_request with state and iss), not to a page of the provider."""
    rp = new_rp(live_provider)
    with rp.session(scope="openid") as client:
        signed_in_flow(rp, browser, teacher, client)
        url, state = rp.authorization_url(client, **extra)
    params = error_redirect(browser.open(url), rp.redirect_uri)
    assert params["error"] == "invalid_request", params
    assert params["state"] == state and params["iss"] == live_provider.issuer, params
