"""Token introspection (RFC 7662), over real HTTP with Authlib's client: a confidential
client learns about its own tokens only."""
from __future__ import annotations

import time

import requests
from sqlalchemy import update

from idp.services import services
from idp.store import Token
from idp.store.models import digest
from tests.oidc.conftest import Browser, LiveProvider
from tests.oidc.helpers import SCOPE, TIMEOUT, RelyingParty, new_rp, signed_in_flow


def _introspect(rp: RelyingParty, token: str, hint: str | None = None, auth_method: str = "client_secret_basic"
                ) -> requests.Response:
    with rp.session(auth_method=auth_method) as client:
        return client.introspect_token(rp.metadata["introspection_endpoint"], token=token, token_type_hint=hint)


def _tokens(live_provider: LiveProvider, browser: Browser, login: str, scope: str = SCOPE + " offline_access"
            ) -> tuple[RelyingParty, dict]:
    rp = new_rp(live_provider)
    with rp.session(scope=scope) as client:
        token, _ = signed_in_flow(rp, browser, login, client)
    return rp, token


def test_discovery_names_the_introspection_endpoint(live_provider: LiveProvider) -> None:
    rp = new_rp(live_provider)
    assert rp.metadata["introspection_endpoint"] == live_provider.issuer + "/introspect"
    assert rp.metadata["introspection_endpoint_auth_methods_supported"] == ["client_secret_basic",
                                                                            "client_secret_post"]


def test_an_access_token_of_the_client_is_active_with_its_fields(live_provider: LiveProvider, browser: Browser,
                                                                  teacher: str) -> None:
    before = int(time.time())
    rp, token = _tokens(live_provider, browser, teacher)
    for auth_method in ("client_secret_basic", "client_secret_post"):
        response = _introspect(rp, token["access_token"], auth_method=auth_method)
        assert response.status_code == 200, response.text
        assert response.headers["Cache-Control"] == "no-store"
        answer = response.json()
        assert answer["active"] is True, answer
        assert set(answer["scope"].split()) == set((SCOPE + " offline_access").split()), answer
        assert answer["client_id"] == rp.client_id and answer["aud"] == rp.client_id, answer
        assert answer["username"] == teacher and answer["sub"], answer
        assert answer["token_type"] == "Bearer" and answer["iss"] == live_provider.issuer, answer
        assert before - 1 <= answer["iat"] <= time.time() + 1 and answer["exp"] > answer["iat"], answer
        assert answer["exp"] - answer["iat"] == token["expires_in"], answer


def test_a_refresh_token_is_active_whatever_the_hint_and_spent_once_used(
        live_provider: LiveProvider, browser: Browser, teacher: str) -> None:
    rp, token = _tokens(live_provider, browser, teacher)
    for hint in (None, "refresh_token", "access_token"):
        answer = _introspect(rp, token["refresh_token"], hint).json()
        assert answer["active"] is True and answer["token_type"] == "refresh_token", answer
        assert answer["username"] == teacher and answer["client_id"] == rp.client_id, answer
        assert answer["exp"] > answer["iat"] + token["expires_in"], answer
    assert _introspect(rp, token["access_token"], "refresh_token").json()["token_type"] == "Bearer"
    refreshed = rp.refresh(token["refresh_token"])
    assert refreshed.status_code == 200, refreshed.text
    assert _introspect(rp, token["refresh_token"]).json() == {"active": False}
    assert _introspect(rp, refreshed.json()["refresh_token"]).json()["active"] is True


def test_another_clients_token_or_an_unknown_one_is_inactive(live_provider: LiveProvider, browser: Browser,
                                                            teacher: str) -> None:
    rp, token = _tokens(live_provider, browser, teacher)
    other = new_rp(live_provider)
    for presented in (token["access_token"], token["refresh_token"]):
        response = _introspect(other, presented)
        assert response.status_code == 200 and response.json() == {"active": False}, response.text
    assert _introspect(rp, "not-a-token").json() == {"active": False}


def test_a_revoked_or_expired_token_is_inactive(live_provider: LiveProvider, browser: Browser, teacher: str) -> None:
    rp, token = _tokens(live_provider, browser, teacher)
    assert rp.revoke(token["access_token"], "access_token").status_code == 200
    assert _introspect(rp, token["access_token"]).json() == {"active": False}

    rp, token = _tokens(live_provider, Browser(live_provider.issuer), teacher)
    with live_provider.app.app_context(), services().store.transaction() as db:
        db.execute(update(Token).where(Token.access_digest == digest(token["access_token"]))
                   .values(expires_at=int(time.time()) - 1, refresh_expires_at=int(time.time()) - 1))
    assert _introspect(rp, token["access_token"]).json() == {"active": False}
    assert _introspect(rp, token["refresh_token"]).json() == {"active": False}


def test_a_public_client_may_not_introspect(live_provider: LiveProvider, browser: Browser, teacher: str) -> None:
    rp = new_rp(live_provider, public=True)
    response = requests.post(rp.metadata["introspection_endpoint"], data={"token": "x", "client_id": rp.client_id},
                             timeout=TIMEOUT)
    assert response.status_code == 401 and response.json()["error"] == "invalid_client", response.text


def test_bad_client_credentials_are_refused(live_provider: LiveProvider) -> None:
    rp = new_rp(live_provider)
    endpoint = rp.metadata["introspection_endpoint"]
    for data, auth in (({"token": "x"}, (rp.client_id, "wrong")),
                       ({"token": "x", "client_id": rp.client_id, "client_secret": "wrong"}, None),
                       ({"token": "x"}, None),
                       ({"token": "x"}, ("unknown-client", "secret"))):
        response = requests.post(endpoint, data=data, auth=auth, timeout=TIMEOUT)
        assert response.status_code == 401, (data, auth, response.status_code, response.text)
        assert response.json()["error"] == "invalid_client", response.text


def test_a_request_without_a_token_is_invalid(live_provider: LiveProvider) -> None:
    rp = new_rp(live_provider)
    response = requests.post(rp.metadata["introspection_endpoint"], data={}, auth=(rp.client_id, rp.client_secret),
                             timeout=TIMEOUT)
    assert response.status_code == 400 and response.json()["error"] == "invalid_request", response.text
