"""CORS on /token, /userinfo and /revoke: for the origins of public clients' redirect URIs only
(a browser app), never for confidential clients' or unknown origins, never on /introspect."""
from __future__ import annotations

import pytest
import requests

from idp.directory.slapd import free_port
from idp.oidc import cors
from tests.oidc.conftest import LiveProvider

CORS_HEADERS = ("Access-Control-Allow-Origin", "Access-Control-Allow-Methods", "Access-Control-Allow-Headers",
                "Access-Control-Max-Age", "Access-Control-Allow-Credentials")


def new_origin() -> str:
    return f"http://127.0.0.1:{free_port()}"


def preflight(live_provider: LiveProvider, path: str, origin: str, method: str = "POST") -> requests.Response:
    return requests.options(f"{live_provider.issuer}{path}", timeout=10, headers={
        "Origin": origin, "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": "authorization, content-type"})


@pytest.fixture(scope="module")
def spa_origin(live_provider: LiveProvider) -> str:
    origin = new_origin()
    live_provider.register(name="Agenda (navigateur)", redirect_uris=[f"{origin}/callback"], public=True)
    return origin


@pytest.mark.parametrize(("path", "methods"), [("/token", "POST"), ("/revoke", "POST"), ("/userinfo", "GET, POST")])
def test_a_public_clients_origin_gets_its_preflight(live_provider: LiveProvider, spa_origin: str, path: str,
                                                    methods: str) -> None:
    response = preflight(live_provider, path, spa_origin)
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == spa_origin
    assert response.headers["Access-Control-Allow-Methods"] == methods
    assert response.headers["Access-Control-Allow-Headers"] == "Authorization, Content-Type"
    assert response.headers["Access-Control-Max-Age"] == "600"
    assert "Origin" in response.headers["Vary"]
    assert "Access-Control-Allow-Credentials" not in response.headers


def test_answers_errors_included_carry_the_origin(live_provider: LiveProvider, spa_origin: str) -> None:
    userinfo = requests.get(f"{live_provider.issuer}/userinfo", headers={"Origin": spa_origin}, timeout=10)
    assert userinfo.status_code == 401
    assert userinfo.headers["Access-Control-Allow-Origin"] == spa_origin
    token = requests.post(f"{live_provider.issuer}/token", headers={"Origin": spa_origin}, timeout=10,
                          data={"grant_type": "authorization_code", "code": "inconnu", "client_id": "inconnu"})
    assert token.status_code in (400, 401)
    assert token.headers["Access-Control-Allow-Origin"] == spa_origin
    assert "Origin" in token.headers["Vary"]
    assert "Access-Control-Allow-Credentials" not in token.headers


def test_a_confidential_clients_origin_gets_nothing(live_provider: LiveProvider) -> None:
    origin = new_origin()
    live_provider.register(name="Vie scolaire (serveur)", redirect_uris=[f"{origin}/callback"])
    for path in cors.METHODS:
        response = preflight(live_provider, path, origin)
        assert response.status_code == 403
        assert not any(header in response.headers for header in CORS_HEADERS)
    actual = requests.get(f"{live_provider.issuer}/userinfo", headers={"Origin": origin}, timeout=10)
    assert not any(header in actual.headers for header in CORS_HEADERS)


@pytest.mark.parametrize("origin", ["http://127.0.0.1:1", "null", "https://evil.example", "http://127.0.0.1"])
def test_other_origins_get_nothing(live_provider: LiveProvider, spa_origin: str, origin: str) -> None:
    response = preflight(live_provider, "/token", origin)
    assert response.status_code == 403
    assert not any(header in response.headers for header in CORS_HEADERS)
    actual = requests.post(f"{live_provider.issuer}/revoke", headers={"Origin": origin}, data={"token": "x"},
                           timeout=10)
    assert not any(header in actual.headers for header in CORS_HEADERS)


def test_introspection_is_for_servers(live_provider: LiveProvider, spa_origin: str) -> None:
    response = preflight(live_provider, "/introspect", spa_origin)
    assert "Access-Control-Allow-Origin" not in response.headers
    actual = requests.post(f"{live_provider.issuer}/introspect", headers={"Origin": spa_origin}, timeout=10,
                           data={"token": "x"})
    assert "Access-Control-Allow-Origin" not in actual.headers


def test_a_new_public_app_works_at_once(live_provider: LiveProvider, spa_origin: str) -> None:
    assert preflight(live_provider, "/token", spa_origin).status_code == 204  # the set is loaded and kept
    origin = new_origin()
    live_provider.register(name="Nouvelle appli", redirect_uris=[f"{origin}/cb"], public=True)
    assert preflight(live_provider, "/token", origin).headers["Access-Control-Allow-Origin"] == origin


def test_a_removed_public_app_lingers_for_the_cache_time_only(live_provider: LiveProvider,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from idp import clients
    from idp.services import services
    clock = [1000.0]
    monkeypatch.setattr(cors.time, "monotonic", lambda: clock[0])
    origin = new_origin()
    registered = live_provider.register(name="Appli retirée", redirect_uris=[f"{origin}/cb"], public=True)
    assert preflight(live_provider, "/token", origin).status_code == 204
    with live_provider.app.app_context():
        clients.remove(services().store, registered.client.client_id)
        services().store.end()
    clock[0] += cors.ORIGINS_CACHE_SECONDS - 1
    assert preflight(live_provider, "/token", origin).status_code == 204
    clock[0] += 2
    assert preflight(live_provider, "/token", origin).status_code == 403


def test_an_options_request_that_is_no_preflight_is_answered_as_before(live_provider: LiveProvider) -> None:
    response = requests.options(f"{live_provider.issuer}/token", timeout=10)
    assert response.status_code == 200
    assert "POST" in response.headers["Allow"]


@pytest.mark.parametrize(("uri", "origin"), [
    ("https://agenda.example/callback", "https://agenda.example"),
    ("https://Agenda.Example:443/cb?x=1", "https://agenda.example"),
    ("http://localhost:8080/cb", "http://localhost:8080"),
    ("http://[::1]:5000/cb", "http://[::1]:5000"),
    ("http://127.0.0.1:80/cb", "http://127.0.0.1"),
    ("com.example.app:/callback", None),
    ("http://127.0.0.1:99999/cb", None),
])
def test_origin_of_a_redirect_uri(uri: str, origin: str | None) -> None:
    assert cors.origin_of(uri) == origin
