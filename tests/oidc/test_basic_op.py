"""OpenID Foundation "Basic OP" modules: the authorization request, the ID token, the
userinfo endpoint, scopes and the parameters a provider must accept. Each test is one
module, run over real HTTP with Authlib's OAuth2Session, `requests` and joserfc."""
from __future__ import annotations

import base64
import json
from urllib.parse import parse_qsl

import pytest
from joserfc import jwt
from joserfc.errors import BadSignatureError

from tests.oidc.conftest import Browser, LiveProvider, redirect_params
from tests.oidc.helpers import (
    assert_invalid_token,
    code_of,
    discover,
    error_redirect,
    is_login_page,
    jwks,
    new_rp,
    sign_in_for_code,
    signed_in_flow,
    unique,
    verify_id_token,
)

PROFILE_CLAIMS = {"name", "given_name", "family_name", "preferred_username", "profile_type", "school", "schools"}
EMAIL_CLAIMS = {"email", "email_verified"}


def _expect_profile(claims: dict, login: str) -> None:
    assert claims["name"] == "Thomas Professeur", claims
    assert claims["given_name"] == "Thomas" and claims["family_name"] == "Professeur", claims
    assert claims["preferred_username"] == login and claims["profile_type"] == "teacher", claims
    assert claims["school"] == "0770001H" and claims["schools"] == ["0770001H", "0770942F"], claims


def _expect_email(claims: dict) -> None:
    assert claims["email"] == "thomas@example.fr" and claims["email_verified"] is False, claims


def _decode_segment(segment: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


# oidcc-response-type-missing

def test_oidcc_response_type_missing_redirects_an_error_with_state_and_iss(live_provider: LiveProvider,
                                                                           browser: Browser) -> None:
    rp = new_rp(live_provider)
    state = unique("state")
    url = rp.raw_authorization_url(client_id=rp.client_id, redirect_uri=rp.redirect_uri, scope="openid",
                                   state=state, nonce=unique("nonce"))
    params = error_redirect(browser.open(url), rp.redirect_uri)
    assert params["error"] in ("invalid_request", "unsupported_response_type"), params
    assert params["state"] == state and params["iss"] == live_provider.issuer, params


# oidcc-idtoken-signature

def test_oidcc_idtoken_signature_verifies_with_the_jwks_key_of_its_kid(live_provider: LiveProvider,
                                                                       browser: Browser, teacher: str) -> None:
    rp = new_rp(live_provider)
    with rp.session() as client:
        token, _ = signed_in_flow(rp, browser, teacher, client, nonce=unique("nonce"))
    header = _decode_segment(token["id_token"].split(".")[0])
    assert header["alg"] == "RS256" and header["kid"], header
    keys = jwks(live_provider.issuer)
    key = keys.get_by_kid(header["kid"])
    assert key.key_type == "RSA" and key.get("use") == "sig" and key.get("alg") == "RS256", key.as_dict()
    decoded = jwt.decode(token["id_token"], key, algorithms=["RS256"])
    assert decoded.claims["aud"] == rp.client_id
    head, payload, signature = token["id_token"].split(".")
    forged = _decode_segment(payload) | {"sub": "someone-else"}
    forged_payload = base64.urlsafe_b64encode(json.dumps(forged).encode()).rstrip(b"=").decode()
    with pytest.raises(BadSignatureError):
        jwt.decode(f"{head}.{forged_payload}.{signature}", key, algorithms=["RS256"])


# oidcc-idtoken-unsigned

def test_oidcc_idtoken_unsigned_alg_none_is_never_offered_nor_issued(live_provider: LiveProvider,
                                                                     browser: Browser, teacher: str) -> None:
    metadata = discover(live_provider.issuer)
    assert "none" not in metadata["id_token_signing_alg_values_supported"]
    assert metadata["id_token_signing_alg_values_supported"] == ["RS256"]
    rp = new_rp(live_provider)
    with rp.session(scope="openid") as client:
        # A client cannot ask for an unsigned ID token in the request either.
        token, _ = signed_in_flow(rp, browser, teacher, client, id_token_signed_response_alg="none")
    head, _, signature = token["id_token"].split(".")
    assert _decode_segment(head)["alg"] == "RS256" and signature


# oidcc-userinfo-get, oidcc-userinfo-post-header, oidcc-userinfo-post-body

@pytest.mark.parametrize("how", ["get", "post", "body"],
                         ids=["oidcc-userinfo-get", "oidcc-userinfo-post-header", "oidcc-userinfo-post-body"])
def test_oidcc_userinfo_get_post_header_post_body_give_claims_and_refuse_wrong_tokens(
        live_provider: LiveProvider, browser: Browser, teacher: str, how: str) -> None:
    rp = new_rp(live_provider, refresh_tokens=True)
    with rp.session() as client:
        token, id_token = signed_in_flow(rp, browser, teacher, client)
    response = rp.userinfo(token["access_token"], how)
    assert response.status_code == 200, (response.status_code, response.text)
    assert response.headers["Content-Type"].startswith("application/json")
    claims = response.json()
    assert claims["sub"] == id_token.claims["sub"]
    _expect_profile(claims, teacher)
    _expect_email(claims)
    assert_invalid_token(rp.userinfo(token["access_token"] + "x", how))
    assert_invalid_token(rp.userinfo(token["refresh_token"], how))


# oidcc-ensure-request-without-nonce-succeeds-for-code-flow

def test_oidcc_ensure_request_without_nonce_succeeds_for_code_flow(live_provider: LiveProvider,
                                                                   browser: Browser, teacher: str) -> None:
    rp = new_rp(live_provider)
    with rp.session(scope="openid") as client:
        url, state = rp.authorization_url(client)
        assert "nonce=" not in url
        code = code_of(sign_in_for_code(browser, url, teacher), state, live_provider.issuer)
        token = rp.fetch_token(client, code)
    id_token = verify_id_token(live_provider.issuer, token["id_token"], rp.client_id)
    assert "nonce" not in id_token.claims


# oidcc-scope-profile, oidcc-scope-email, oidcc-scope-all, and openid alone

@pytest.mark.parametrize(("scope", "expected"), [
    ("openid", {"sub"}),
    ("openid profile", {"sub"} | PROFILE_CLAIMS),
    ("openid email", {"sub"} | EMAIL_CLAIMS),
    ("openid profile email address phone", {"sub"} | PROFILE_CLAIMS | EMAIL_CLAIMS),
], ids=["openid-only", "oidcc-scope-profile", "oidcc-scope-email", "oidcc-scope-all"])
def test_oidcc_scope_profile_email_all_give_exactly_their_claims_in_userinfo(
        live_provider: LiveProvider, browser: Browser, teacher: str, scope: str, expected: set[str]) -> None:
    rp = new_rp(live_provider)
    with rp.session(scope=scope) as client:
        token, id_token = signed_in_flow(rp, browser, teacher, client, nonce=unique("nonce"))
    response = rp.userinfo(token["access_token"])
    assert response.status_code == 200, (response.status_code, response.text)
    claims = response.json()
    assert set(claims) == expected, claims
    assert claims["sub"] == id_token.claims["sub"]
    if "name" in expected:
        _expect_profile(claims, teacher)
    if "email" in expected:
        _expect_email(claims)


# oidcc-ensure-other-scope-order-succeeds

def test_oidcc_ensure_other_scope_order_succeeds(live_provider: LiveProvider, browser: Browser,
                                                 teacher: str) -> None:
    rp = new_rp(live_provider)
    with rp.session(scope="email openid") as client:
        token, id_token = signed_in_flow(rp, browser, teacher, client, nonce=unique("nonce"))
    assert set(token["scope"].split()) == {"openid", "email"}, token
    response = rp.userinfo(token["access_token"])
    assert response.status_code == 200
    assert response.json() == {"sub": id_token.claims["sub"], "email": "thomas@example.fr", "email_verified": False}


# oidcc-display-page, oidcc-display-popup; oidcc-unknown-parameter; oidcc-ui-locales;
# oidcc-claims-locales: parameters the provider must accept (and may ignore)

@pytest.mark.parametrize("extra", [
    {"display": "page"},
    {"display": "popup"},
    {"extra": "foobar", "this_is_not": "a_parameter"},
    {"ui_locales": "se"},
    {"claims_locales": "se"},
], ids=["oidcc-display-page", "oidcc-display-popup", "oidcc-unknown-parameter", "oidcc-ui-locales",
        "oidcc-claims-locales"])
def test_oidcc_display_unknown_parameter_and_locales_are_accepted(live_provider: LiveProvider, browser: Browser,
                                                                  teacher: str, extra: dict[str, str]) -> None:
    rp = new_rp(live_provider)
    nonce = unique("nonce")
    with rp.session() as client:
        token, id_token = signed_in_flow(rp, browser, teacher, client, nonce=nonce, **extra)
    assert id_token.claims["nonce"] == nonce
    assert rp.userinfo(token["access_token"]).json()["sub"] == id_token.claims["sub"]


# oidcc-ensure-request-with-acr-values-succeeds

def test_oidcc_ensure_request_with_acr_values_succeeds(live_provider: LiveProvider, browser: Browser,
                                                       teacher: str) -> None:
    rp = new_rp(live_provider)
    with rp.session(scope="openid") as client:
        _, id_token = signed_in_flow(rp, browser, teacher, client, acr_values="1 2")
    assert id_token.claims["acr"] == "1"


# oidcc-claims-essential

def test_oidcc_claims_essential_request_still_succeeds(live_provider: LiveProvider, browser: Browser,
                                                       teacher: str) -> None:
    rp = new_rp(live_provider)
    claims_request = json.dumps({"userinfo": {"name": {"essential": True}}, "id_token": {"auth_time": None}})
    with rp.session(scope="openid profile") as client:
        token, id_token = signed_in_flow(rp, browser, teacher, client, claims=claims_request)
    response = rp.userinfo(token["access_token"])
    assert response.status_code == 200
    assert response.json()["sub"] == id_token.claims["sub"] and response.json()["name"] == "Thomas Professeur"


# oidcc-ensure-post-request-succeeds

def test_oidcc_ensure_post_request_succeeds(live_provider: LiveProvider, browser: Browser, teacher: str) -> None:
    rp = new_rp(live_provider)
    with rp.session() as client:
        url, state = rp.authorization_url(client, nonce=unique("nonce"))
        endpoint, query = url.split("?", 1)
        assert endpoint == rp.metadata["authorization_endpoint"]
        page = browser.open(endpoint, "POST", data=dict(parse_qsl(query)))
        assert is_login_page(page, live_provider.issuer), (page.status_code, page.url)
        code = code_of(redirect_params(browser.sign_in(page, teacher)), state, live_provider.issuer)
        token = rp.fetch_token(client, code)
    verify_id_token(live_provider.issuer, token["id_token"], rp.client_id)


# oidcc-client-secret-post (and client_secret_basic, and a wrong secret)

def test_oidcc_client_secret_post_and_basic_authenticate_and_a_wrong_secret_is_refused(
        live_provider: LiveProvider, browser: Browser, teacher: str) -> None:
    rp = new_rp(live_provider)
    with rp.session(scope="openid", auth_method="client_secret_post") as client:
        token, _ = signed_in_flow(rp, browser, teacher, client)
    assert token["token_type"].lower() == "bearer" and token["access_token"]
    with rp.session(scope="openid") as client:  # client_secret_basic
        url, state = rp.authorization_url(client)
        code = code_of(redirect_params(browser.open(url)), state, live_provider.issuer)
        for basic in (True, False):
            refused = rp.exchange(code, secret="not-the-secret", basic=basic)
            assert refused.status_code == 401, (basic, refused.status_code, refused.text)
            assert refused.json()["error"] == "invalid_client", refused.text
            assert "access_token" not in refused.json()
        # Failed client authentication does not use the code up.
        token = rp.fetch_token(client, code)
    verify_id_token(live_provider.issuer, token["id_token"], rp.client_id)


# oidcc-request-uri-unsigned and request objects: cleanly refused

@pytest.mark.parametrize(("parameter", "error"), [
    ("request", "request_not_supported"),
    ("request_uri", "request_uri_not_supported"),
], ids=["request-object", "oidcc-request-uri-unsigned"])
def test_oidcc_request_uri_unsigned_and_request_object_are_refused_to_the_client(
        live_provider: LiveProvider, browser: Browser, parameter: str, error: str) -> None:
    rp = new_rp(live_provider)
    state = unique("state")
    claims = {"iss": rp.client_id, "aud": live_provider.issuer, "response_type": "code", "client_id": rp.client_id,
              "redirect_uri": rp.redirect_uri, "scope": "openid", "state": state}
    unsigned = ".".join(base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()
                        for part in ({"alg": "none"}, claims)) + "."
    value = unsigned if parameter == "request" else "https://rp.example.org/request.jwt"
    url = rp.raw_authorization_url(response_type="code", client_id=rp.client_id, redirect_uri=rp.redirect_uri,
                                   scope="openid", state=state, **{parameter: value})
    params = error_redirect(browser.open(url), rp.redirect_uri)
    assert params["error"] == error, params
    assert params["state"] == state and params["iss"] == live_provider.issuer, params
