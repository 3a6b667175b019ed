"""OpenID Foundation "Config OP": the discovery document and the JWKS it points to."""
from __future__ import annotations

import requests
from authlib.oidc import rpinitiated
from authlib.oidc.discovery import OpenIDProviderMetadata
from joserfc.jwk import KeySet, RSAKey

from tests.oidc.conftest import LiveProvider

TIMEOUT = 10


def _document(issuer: str) -> dict:
    with requests.get(issuer + "/.well-known/openid-configuration", timeout=TIMEOUT) as response:
        assert response.status_code == 200, response.status_code
        assert response.headers["Content-Type"].startswith("application/json")
        return response.json()


def test_oidcc_discovery_issuer_and_endpoints_are_under_the_base_url(live_provider: LiveProvider) -> None:
    metadata = _document(live_provider.issuer)
    assert metadata["issuer"] == live_provider.issuer
    assert not metadata["issuer"].endswith("/")
    for name in ("authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri",
                 "revocation_endpoint", "end_session_endpoint"):
        assert metadata[name].startswith(live_provider.issuer + "/"), (name, metadata[name])
    assert len({metadata[name] for name in ("authorization_endpoint", "token_endpoint", "userinfo_endpoint",
                                            "jwks_uri", "revocation_endpoint", "end_session_endpoint")}) == 6


def test_oidcc_discovery_document_validates_with_authlib(live_provider: LiveProvider) -> None:
    metadata = OpenIDProviderMetadata(_document(live_provider.issuer))
    # Authlib accepts http on the loopback address, as for native apps (RFC 8252 7.3).
    metadata.validate(metadata_classes=[rpinitiated.OpenIDProviderMetadata])
    for required in ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri", "response_types_supported",
                     "subject_types_supported", "id_token_signing_alg_values_supported"):
        assert metadata[required], required


def test_oidcc_discovery_supported_values(live_provider: LiveProvider) -> None:
    metadata = _document(live_provider.issuer)
    assert metadata["response_types_supported"] == ["code"]
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert {"client_secret_basic", "client_secret_post"} <= set(metadata["token_endpoint_auth_methods_supported"])
    assert metadata["subject_types_supported"] and set(metadata["subject_types_supported"]) <= {"public", "pairwise"}
    assert metadata["authorization_response_iss_parameter_supported"] is True
    assert "openid" in metadata["scopes_supported"]
    assert {"profile", "email"} <= set(metadata["scopes_supported"])
    assert "RS256" in metadata["id_token_signing_alg_values_supported"]
    assert "none" not in metadata["id_token_signing_alg_values_supported"]
    assert {"authorization_code", "refresh_token"} <= set(metadata["grant_types_supported"])
    assert "implicit" not in metadata.get("grant_types_supported", [])
    assert {"sub", "name", "email", "preferred_username"} <= set(metadata["claims_supported"])
    assert metadata.get("request_parameter_supported", False) is False
    assert metadata.get("request_uri_parameter_supported") is False


def test_oidcc_discovery_jwks_uri_is_reachable_with_rsa_signing_keys(live_provider: LiveProvider) -> None:
    metadata = _document(live_provider.issuer)
    with requests.get(metadata["jwks_uri"], timeout=TIMEOUT) as response:
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith(("application/json", "application/jwk-set+json"))
        document = response.json()
    assert document["keys"], document
    kids = [key["kid"] for key in document["keys"]]
    assert len(kids) == len(set(kids)) and all(kids)
    for key in document["keys"]:
        assert key["kty"] == "RSA" and key["alg"] == "RS256" and key["use"] == "sig", key
        assert {"n", "e"} <= set(key) and not {"d", "p", "q", "dp", "dq", "qi"} & set(key), sorted(key)
        assert RSAKey.import_key(key).raw_value.key_size >= 2048
    KeySet.import_key_set(document)
