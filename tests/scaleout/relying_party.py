"""A college app and a person's browser talking to a pair of instances through its load
balancer, each request sent to the instance the test names (and checked to be served by it)."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlencode

import requests
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.oidc.conftest import Browser as OidcBrowser
from tests.oidc.helpers import redirect_params

if TYPE_CHECKING:
    from tests.scaleout.conftest import Pair

TIMEOUT = 30


def served_by(response: requests.Response) -> str:
    return response.headers.get("X-Served-By", "?")


class Browser(OidcBrowser):
    """The scripted browser of tests/oidc, sending every request to one instance (`via`)."""

    def via(self, instance: str) -> Browser:
        self.http.headers["X-Backend"] = instance
        return self

    def copy(self) -> Browser:
        """Another browser holding the same cookies (a second tab, a copied cookie)."""
        other = Browser(self.issuer)
        other.http.cookies.update(self.http.cookies)
        return other

    def close(self) -> None:
        self.http.close()


@dataclass
class RelyingParty:
    pair: Pair
    client_id: str
    client_secret: str
    redirect_uri: str
    post_logout_redirect_uri: str

    @classmethod
    def register(cls, pair: Pair) -> RelyingParty:
        name = f"rp-{secrets.token_hex(6)}"
        redirect_uri, signed_out = f"http://127.0.0.1:9/{name}/callback", f"http://127.0.0.1:9/{name}/signed-out"
        registered = pair.register(f"Appli {name}", redirect_uris=[redirect_uri],
                                   post_logout_redirect_uris=[signed_out], refresh_tokens=True)
        return cls(pair, registered.client.client_id, registered.client_secret, redirect_uri, signed_out)

    @property
    def issuer(self) -> str:
        return self.pair.issuer

    def authorization_url(self, scope: str = "openid profile email", **params: str) -> tuple[str, str]:
        state = secrets.token_urlsafe(12)
        query = {"response_type": "code", "client_id": self.client_id, "redirect_uri": self.redirect_uri,
                 "scope": scope, "state": state, **params}
        return f"{self.issuer}/authorize?{urlencode(query)}", state

    def code_of(self, response: requests.Response, state: str) -> str:
        params = redirect_params(response)
        assert response.headers["Location"].startswith(self.redirect_uri), response.headers["Location"]
        assert "error" not in params and params["state"] == state and params["iss"] == self.issuer, params
        return params["code"]

    def error_of(self, response: requests.Response, state: str) -> str:
        params = redirect_params(response)
        assert response.headers["Location"].startswith(self.redirect_uri), response.headers["Location"]
        assert "code" not in params and params["state"] == state, params
        return params["error"]

    def _call(self, via: str, method: str, path: str, **options: object) -> requests.Response:
        headers = {"X-Backend": via, **options.pop("headers", {})}  # type: ignore[dict-item]
        with requests.request(method, self.issuer + path, headers=headers, timeout=TIMEOUT,
                              allow_redirects=False, **options) as response:
            _ = response.content  # read before the connection closes
        assert served_by(response) == via, (served_by(response), via, path)
        return response

    def token_request(self, via: str, data: dict[str, str]) -> requests.Response:
        return self._call(via, "POST", "/token", data=data, auth=(self.client_id, self.client_secret))

    def exchange(self, via: str, code: str) -> requests.Response:
        return self.token_request(via, {"grant_type": "authorization_code", "code": code,
                                        "redirect_uri": self.redirect_uri})

    def refresh(self, via: str, refresh_token: str) -> requests.Response:
        return self.token_request(via, {"grant_type": "refresh_token", "refresh_token": refresh_token})

    def userinfo(self, via: str, access_token: str) -> requests.Response:
        return self._call(via, "GET", "/userinfo", headers={"Authorization": f"Bearer {access_token}"})

    def jwks(self, via: str) -> dict:
        response = self._call(via, "GET", "/jwks.json")
        assert response.status_code == 200, response.text
        return response.json()

    def verify(self, id_token: str, via: str) -> jwt.Token:
        token = jwt.decode(id_token, KeySet.import_key_set(self.jwks(via)), algorithms=["RS256"])
        assert token.claims["iss"] == self.issuer and token.claims["aud"] == self.client_id, token.claims
        return token


def error_of(response: requests.Response, status: int = 400) -> str:
    """The `error` of a refused token request."""
    assert response.status_code == status, (response.status_code, response.text)
    body = response.json()
    assert "access_token" not in body, body
    return body["error"]
