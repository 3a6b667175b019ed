"""RP-initiated logout, the revocation endpoint, and consent for third-party apps."""
from __future__ import annotations

import re
from urllib.parse import urlencode

from idp.directory import Directory, NewAccount, Profile
from idp.provisioning.service import Provisioner
from tests.oidc.conftest import PASSWORD, Browser, LiveProvider, redirect_params
from tests.oidc.helpers import (
    assert_invalid_token,
    code_of,
    error_redirect,
    is_consent_page,
    is_login_page,
    new_rp,
    signed_in_flow,
    silent_code,
    time_out_sessions_of,
    unique,
    verify_id_token,
)


def _logout_url(rp, **params: str) -> str:  # type: ignore[no-untyped-def]
    return rp.metadata["end_session_endpoint"] + "?" + urlencode(params)


def _assert_signed_out(rp, browser: Browser) -> None:  # type: ignore[no-untyped-def]
    with rp.session(scope="openid") as client:
        url, state = rp.authorization_url(client, prompt="none")
    params = error_redirect(browser.open(url), rp.redirect_uri)
    assert params["error"] == "login_required" and params["state"] == state, params


# RP-initiated logout

def test_logout_with_id_token_hint_redirects_to_the_registered_uri_and_ends_the_session(
        live_provider: LiveProvider, browser: Browser, teacher: str) -> None:
    rp = new_rp(live_provider)
    with rp.session(scope="openid") as client:
        token, _ = signed_in_flow(rp, browser, teacher, client)
    state = unique("state")
    response = browser.open(_logout_url(rp, id_token_hint=token["id_token"],
                                        post_logout_redirect_uri=rp.post_logout_redirect_uri, state=state))
    assert response.is_redirect, (response.status_code, response.text[:300])
    assert response.headers["Location"] == f"{rp.post_logout_redirect_uri}?state={state}"
    _assert_signed_out(rp, browser)


def test_logout_to_an_unregistered_post_logout_redirect_uri_does_not_redirect(
        live_provider: LiveProvider, browser: Browser, teacher: str) -> None:
    rp = new_rp(live_provider)
    with rp.session(scope="openid") as client:
        token, _ = signed_in_flow(rp, browser, teacher, client)
    for unregistered in ("https://attacker.example.org/bye", rp.post_logout_redirect_uri + "?foo=bar"):
        response = browser.open(_logout_url(rp, id_token_hint=token["id_token"],
                                            post_logout_redirect_uri=unregistered, state=unique("state")))
        assert not response.is_redirect and "Location" not in response.headers, response.headers.get("Location")
        assert response.url.startswith(live_provider.issuer)
        assert response.status_code in (200, 400), response.status_code
        assert "attacker.example.org" not in response.text


def test_logout_without_id_token_hint_asks_for_confirmation(live_provider: LiveProvider, browser: Browser,
                                                            teacher: str) -> None:
    rp = new_rp(live_provider)
    with rp.session(scope="openid") as client:
        signed_in_flow(rp, browser, teacher, client)
        page = browser.open(_logout_url(rp, client_id=rp.client_id,
                                        post_logout_redirect_uri=rp.post_logout_redirect_uri))
        assert page.status_code == 200 and not page.is_redirect, (page.status_code, page.headers.get("Location"))
        assert "Se déconnecter" in page.text and 'name="csrf_token"' in page.text
        # Not signed out yet: a code without any page.
        silent_code(rp, browser, client, prompt="none")
    confirmed = browser.submit(page, {})
    assert confirmed.status_code in (200, 302, 303), confirmed.status_code
    _assert_signed_out(rp, browser)


def test_se_deconnecter_ends_the_tokens_of_the_session_but_not_offline_access(
        live_provider: LiveProvider, browser: Browser, teacher: str) -> None:
    """Back-Channel Logout 1.0, 2.7: the apps' tokens of a session end with it; `offline_access`
    is for when the person is away, and another browser's session keeps its own."""
    online, offline = new_rp(live_provider, refresh_tokens=True), new_rp(live_provider)
    with online.session(scope="openid") as client:
        ending, _ = signed_in_flow(online, browser, teacher, client)
        other_browser = Browser(live_provider.issuer)
        kept, _ = signed_in_flow(online, other_browser, teacher, client)
    with offline.session(scope="openid offline_access") as client:
        away = offline.fetch_token(client, silent_code(offline, browser, client))
    assert browser.sign_out().status_code == 200

    assert_invalid_token(online.userinfo(ending["access_token"]))
    refused = online.refresh(ending["refresh_token"])
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant", refused.text
    assert online.userinfo(kept["access_token"]).status_code == 200
    assert online.refresh(kept["refresh_token"]).status_code == 200
    assert offline.refresh(away["refresh_token"]).status_code == 200
    _assert_signed_out(online, browser)


def test_a_session_ended_by_its_timeout_ends_its_tokens(live_provider: LiveProvider, browser: Browser,
                                                       teacher: str) -> None:
    rp = new_rp(live_provider, refresh_tokens=True)
    with rp.session(scope="openid") as client:
        token, _ = signed_in_flow(rp, browser, teacher, client)
    assert time_out_sessions_of(live_provider, teacher) >= 1
    assert_invalid_token(rp.userinfo(token["access_token"]))
    assert rp.refresh(token["refresh_token"]).status_code == 400


# Revocation endpoint (RFC 7009)

def test_revocation_of_an_access_token_makes_userinfo_refuse_it(live_provider: LiveProvider, browser: Browser,
                                                                teacher: str) -> None:
    rp = new_rp(live_provider)
    with rp.session(scope="openid") as client:
        token, _ = signed_in_flow(rp, browser, teacher, client)
        assert rp.userinfo(token["access_token"]).status_code == 200
        with client.revoke_token(rp.metadata["revocation_endpoint"], token["access_token"],
                                 token_type_hint="access_token") as response:
            assert response.status_code == 200, response.text
    assert_invalid_token(rp.userinfo(token["access_token"]))
    # Revoking an unknown or already revoked token is not an error (RFC 7009 2.2).
    assert rp.revoke(token["access_token"]).status_code == 200
    assert rp.revoke(unique("unknown")).status_code == 200


def test_revocation_of_a_refresh_token_makes_refresh_fail(live_provider: LiveProvider, browser: Browser,
                                                          teacher: str) -> None:
    rp = new_rp(live_provider, refresh_tokens=True)
    with rp.session(scope="openid") as client:
        token, _ = signed_in_flow(rp, browser, teacher, client)
        with client.revoke_token(rp.metadata["revocation_endpoint"], token["refresh_token"],
                                 token_type_hint="refresh_token") as response:
            assert response.status_code == 200, response.text
    refused = rp.refresh(token["refresh_token"])
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant", refused.text
    assert_invalid_token(rp.userinfo(token["access_token"]))


def test_revocation_needs_the_client_that_owns_the_token(live_provider: LiveProvider, browser: Browser,
                                                         teacher: str) -> None:
    rp, other = new_rp(live_provider), new_rp(live_provider)
    with rp.session(scope="openid") as client:
        token, _ = signed_in_flow(rp, browser, teacher, client)
    other.revoke(token["access_token"])
    assert rp.userinfo(token["access_token"]).status_code == 200


# Consent (third-party apps)

def test_consent_third_party_app_asks_once_then_gives_codes_without_the_page(live_provider: LiveProvider,
                                                                             browser: Browser, teacher: str) -> None:
    rp = new_rp(live_provider, first_party=False)
    with rp.session(scope="openid profile") as client:
        url, state = rp.authorization_url(client)
        page = browser.open(url)
        assert is_login_page(page, live_provider.issuer)
        page = browser.sign_in(page, teacher)
        assert is_consent_page(page), (page.status_code, page.headers.get("Location"), page.text[:300])
        code = code_of(redirect_params(browser.submit(page, {}, button=("decision", "allow"))), state,
                       live_provider.issuer)
        token = rp.fetch_token(client, code)
        verify_id_token(live_provider.issuer, token["id_token"], rp.client_id)
        # Asked once: the next authorization gives a code at once.
        code = silent_code(rp, browser, client)
        assert rp.fetch_token(client, code)["access_token"]


def test_consent_refused_gives_access_denied(live_provider: LiveProvider, browser: Browser, teacher: str) -> None:
    rp = new_rp(live_provider, first_party=False)
    with rp.session(scope="openid profile") as client:
        url, state = rp.authorization_url(client)
    page = browser.sign_in(browser.open(url), teacher)
    assert is_consent_page(page), (page.status_code, page.headers.get("Location"))
    params = error_redirect(browser.submit(page, {}, button=("decision", "deny")), rp.redirect_uri)
    assert params["error"] == "access_denied", params
    assert params["state"] == state and params["iss"] == live_provider.issuer, params
    # Refusing gives no consent: the page comes again.
    assert is_consent_page(browser.open(url))


def test_consent_prompt_none_without_consent_is_consent_required(live_provider: LiveProvider, browser: Browser,
                                                                 teacher: str) -> None:
    rp = new_rp(live_provider, first_party=False)
    other = new_rp(live_provider)
    with other.session(scope="openid") as client:
        signed_in_flow(other, browser, teacher, client)
    with rp.session(scope="openid") as client:
        url, state = rp.authorization_url(client, prompt="none")
    params = error_redirect(browser.open(url), rp.redirect_uri)
    assert params["error"] == "consent_required" and params["state"] == state, params


def _still_signed_in(rp, browser: Browser) -> bool:  # type: ignore[no-untyped-def]
    with rp.session(scope="openid") as client:
        url, _ = rp.authorization_url(client, prompt="none")
    return "code" in redirect_params(browser.open(url))


def test_an_id_token_hint_of_someone_else_or_of_an_old_session_only_asks(
        live_provider: LiveProvider, browser: Browser, directory: Directory, teacher: str) -> None:
    """SECURITY.md 40: a page anywhere links to /logout with an ID token it holds: the person
    signed in is asked, and stays signed in."""
    rp = new_rp(live_provider)
    other = Provisioner(directory, 90).add(NewAccount("Autre", "Personne", Profile.TEACHER, ("0770001H",)))
    directory.activate(other.login, password=PASSWORD)
    with rp.session(scope="openid") as client:
        someone_else, _ = signed_in_flow(rp, Browser(live_provider.issuer), other.login, client)
        old_session, _ = signed_in_flow(rp, browser, teacher, client)
    with rp.session(scope="openid") as client:
        signed_in_flow(rp, browser, teacher, client, prompt="login")  # a new session of the same person
    for hint in (someone_else["id_token"], old_session["id_token"]):
        page = browser.open(_logout_url(rp, id_token_hint=hint, post_logout_redirect_uri=rp.post_logout_redirect_uri))
        assert page.status_code == 200 and "Se déconnecter de l’ENT ?" in page.text
        assert _still_signed_in(rp, browser)


def test_se_deconnecter_is_one_post_and_the_page_after_shows_nobody(live_provider: LiveProvider, browser: Browser,
                                                                    teacher: str) -> None:
    """SECURITY.md 40: the ENT's own « Se déconnecter » is one CSRF-protected POST button, in
    the header and on the home page; a link (GET) or a POST without the token only asks."""
    rp = new_rp(live_provider)
    with rp.session(scope="openid") as client:
        signed_in_flow(rp, browser, teacher, client)
    home = browser.open(live_provider.issuer + "/accueil")
    buttons = re.findall(r'<form method="post" action="/logout" class="deconnexion">\s*'
                         r'<input type="hidden" name="csrf_token" value="[^"]+">\s*<button type="submit"', home.text)
    assert len(buttons) == 2  # header and home page
    assert "Se déconnecter de l’ENT ?" in browser.open(live_provider.issuer + "/logout").text
    assert "Se déconnecter de l’ENT ?" in browser.open(live_provider.issuer + "/logout", "POST", {}).text
    assert _still_signed_in(rp, browser)
    token = re.search(r'name="csrf_token" value="([^"]+)"', home.text).group(1)
    page = browser.open(live_provider.issuer + "/logout", "POST", {"csrf_token": token})
    assert page.status_code == 200 and "Déconnexion réussie" in page.text
    assert teacher not in page.text and 'class="deconnexion"' not in page.text  # the header shows nobody
    _assert_signed_out(rp, browser)
