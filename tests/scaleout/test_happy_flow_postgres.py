"""tests/oidc/test_happy_flow.py against PostgreSQL-backed instances: the code flow with
PKCE through Authlib's client, on instance A alone, then spread over A and B (round robin)."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.oidc.helpers import redirect_params
from tests.scaleout.conftest import Pair
from tests.scaleout.relying_party import Browser, RelyingParty
from tests.scaleout.servers import missing_servers

pytestmark = pytest.mark.skipif(missing_servers() is not None,
                                reason=f"scale-out tests need PostgreSQL and Redis: {missing_servers()}")


@pytest.fixture
def visitor(pair: Pair) -> Iterator[Browser]:
    """A person's browser (not named `browser`: pytest-playwright's fixture)."""
    found = Browser(pair.issuer)
    yield found
    found.close()


@pytest.mark.parametrize("route", ["A", "round robin"])
def test_code_flow_with_pkce_gives_a_verified_id_token(pair: Pair, visitor: Browser, teacher: str,
                                                       route: str) -> None:
    headers = {"X-Backend": route} if route == "A" else {}
    if route == "A":
        visitor.via("A")
    rp = RelyingParty.register(pair)
    start = len(pair.balancer.log)
    with requests.get(pair.issuer + "/.well-known/openid-configuration", headers=headers, timeout=10) as response:
        metadata = response.json()
    assert metadata["issuer"] == pair.issuer
    with OAuth2Session(rp.client_id, rp.client_secret, scope="openid profile email",
                       redirect_uri=rp.redirect_uri, code_challenge_method="S256") as client:
        client.headers.update(headers)
        verifier = "v" * 64
        url, state = client.create_authorization_url(metadata["authorization_endpoint"], nonce="n-0S6_WzA2Mj",
                                                     code_verifier=verifier)
        page = visitor.open(url)
        assert page.status_code == 200 and "Identifiant" in page.text
        back = visitor.sign_in(page, teacher)
        params = redirect_params(back)
        assert params["state"] == state and params["iss"] == pair.issuer
        token = client.fetch_token(metadata["token_endpoint"], code=params["code"], code_verifier=verifier)
        with requests.get(metadata["jwks_uri"], headers=headers, timeout=10) as response:
            keys = KeySet.import_key_set(response.json())
        id_token = jwt.decode(token["id_token"], keys, algorithms=["RS256"])
        claims = id_token.claims
        assert id_token.header["kid"] and id_token.header["alg"] == "RS256"
        assert claims["iss"] == pair.issuer and claims["aud"] == rp.client_id
        assert claims["nonce"] == "n-0S6_WzA2Mj" and isinstance(claims["auth_time"], int)
        assert claims["preferred_username"] == teacher and claims["profile_type"] == "teacher"
        assert claims["schools"] == ["0770001H", "0770942F"] and claims["school"] == "0770001H"
        assert claims["sub"] != teacher and claims["amr"] == ["pwd"] and claims["acr"] == "1"
        with client.get(metadata["userinfo_endpoint"]) as response:
            userinfo = response.json()
        assert userinfo["sub"] == claims["sub"] and userinfo["email"] == "camille@example.fr"
    served = {instance for instance, _, _ in pair.balancer.log[start:]}
    assert served == ({"A"} if route == "A" else {"A", "B"}), pair.balancer.log[start:]


def test_a_nul_character_is_refused_before_postgresql_sees_it(pair: Pair, visitor: Browser, teacher: str) -> None:
    """PostgreSQL rejects NUL in text: the provider refuses it first (400, never 500)."""
    rp = RelyingParty.register(pair)
    page = visitor.open(pair.issuer + "/authorize?response_type=code&scope=openid&nonce=a%00b"
                        f"&client_id={rp.client_id}&redirect_uri={rp.redirect_uri}")
    assert page.status_code == 400 and "Demande incorrecte" in page.text
    with requests.post(pair.issuer + "/token", data={"grant_type": "authorization_code", "code": "a\x00b"},
                       auth=(rp.client_id, rp.client_secret), timeout=10) as response:
        assert response.status_code == 400 and response.json()["error"] == "invalid_request"
