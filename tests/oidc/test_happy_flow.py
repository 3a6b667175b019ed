"""oidcc-server: the code flow with PKCE, through a real client library."""
from __future__ import annotations

import requests
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.oidc.conftest import App, Browser, LiveProvider, redirect_params


def test_code_flow_with_pkce_gives_a_verified_id_token(live_provider: LiveProvider, college_app: App,
                                                       browser: Browser, teacher: str) -> None:
    metadata = requests.get(live_provider.issuer + "/.well-known/openid-configuration", timeout=10).json()
    assert metadata["issuer"] == live_provider.issuer
    client = OAuth2Session(college_app.client_id, college_app.client_secret, scope="openid profile email",
                           redirect_uri=college_app.redirect_uri, code_challenge_method="S256")
    verifier = "v" * 64
    url, state = client.create_authorization_url(metadata["authorization_endpoint"], nonce="n-0S6_WzA2Mj",
                                                 code_verifier=verifier)
    page = browser.open(url)
    assert page.status_code == 200 and "Identifiant" in page.text
    back = browser.sign_in(page, teacher)
    params = redirect_params(back)
    assert params["state"] == state and params["iss"] == live_provider.issuer
    token = client.fetch_token(metadata["token_endpoint"], code=params["code"], code_verifier=verifier)
    keys = KeySet.import_key_set(requests.get(metadata["jwks_uri"], timeout=10).json())
    id_token = jwt.decode(token["id_token"], keys, algorithms=["RS256"])
    claims = id_token.claims
    assert id_token.header["kid"] and id_token.header["alg"] == "RS256"
    assert claims["iss"] == live_provider.issuer and claims["aud"] == college_app.client_id
    assert claims["nonce"] == "n-0S6_WzA2Mj" and isinstance(claims["auth_time"], int)
    assert claims["preferred_username"] == teacher and claims["profile_type"] == "teacher"
    assert claims["schools"] == ["0770001H", "0770942F"] and claims["school"] == "0770001H"
    assert claims["sub"] != teacher and claims["amr"] == ["pwd"] and claims["acr"] == "1"
    userinfo = client.get(metadata["userinfo_endpoint"]).json()
    assert userinfo["sub"] == claims["sub"] and userinfo["email"] == "thomas@example.fr"
