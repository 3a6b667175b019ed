"""Helpers for the OpenID Foundation Basic OP / Config OP modules: a relying party per
test, driven over real HTTP with Authlib's OAuth2Session, `requests` and joserfc."""
from __future__ import annotations

import html
import re
import secrets
from dataclasses import dataclass, field
from functools import cache
from urllib.parse import urlencode, urlsplit

import requests
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy import update

from idp.services import services
from idp.store import SsoSession
from tests.oidc.conftest import PASSWORD, Browser, LiveProvider, redirect_params

TIMEOUT = 10
SCOPE = "openid profile email"


@cache
def discover(issuer: str) -> dict:
    """The provider's discovery document (fetched once per test session)."""
    with requests.get(issuer + "/.well-known/openid-configuration", timeout=TIMEOUT) as response:
        response.raise_for_status()
        return response.json()


def jwks(issuer: str) -> KeySet:
    with requests.get(discover(issuer)["jwks_uri"], timeout=TIMEOUT) as response:
        response.raise_for_status()
        return KeySet.import_key_set(response.json())


def verify_id_token(issuer: str, id_token: str, client_id: str) -> jwt.Token:
    """Decodes an ID token with the key of its kid from jwks_uri (RS256 only) and checks
    the claims every ID token must carry."""
    token = jwt.decode(id_token, jwks(issuer), algorithms=["RS256"])
    claims = token.claims
    assert token.header["alg"] == "RS256", token.header
    assert claims["iss"] == issuer and claims["aud"] == client_id, claims
    assert isinstance(claims["iat"], int) and claims["exp"] > claims["iat"], claims
    assert isinstance(claims["auth_time"], int) and claims["sub"], claims
    return token


def unique(prefix: str = "rp") -> str:
    return f"{prefix}-{secrets.token_hex(6)}"


@dataclass
class RelyingParty:
    """A client registered for one test, with its own redirect URIs."""

    provider: LiveProvider
    client_id: str
    client_secret: str | None
    redirect_uri: str
    post_logout_redirect_uri: str
    metadata: dict = field(repr=False, default_factory=dict)

    @property
    def issuer(self) -> str:
        return self.provider.issuer

    def session(self, scope: str = SCOPE, auth_method: str | None = None, pkce: bool = False,
                **options: object) -> OAuth2Session:
        """Authlib's client for this app (client_secret_basic unless told)."""
        if auth_method is None:
            auth_method = "none" if self.client_secret is None else "client_secret_basic"
        if pkce:
            options["code_challenge_method"] = "S256"
        return OAuth2Session(self.client_id, self.client_secret, scope=scope, redirect_uri=self.redirect_uri,
                             token_endpoint_auth_method=auth_method, **options)

    def authorization_url(self, client: OAuth2Session, verifier: str | None = None, **params: object
                          ) -> tuple[str, str]:
        """(url, state) of an authorization request; extra params go into the query."""
        return client.create_authorization_url(self.metadata["authorization_endpoint"], code_verifier=verifier,
                                               **params)

    def raw_authorization_url(self, **params: str) -> str:
        """An authorization request built by hand (for malformed ones)."""
        return self.metadata["authorization_endpoint"] + "?" + urlencode(params)

    def fetch_token(self, client: OAuth2Session, code: str, verifier: str | None = None) -> dict:
        kwargs = {"code_verifier": verifier} if verifier else {}
        return client.fetch_token(self.metadata["token_endpoint"], code=code, **kwargs)

    def token_request(self, data: dict[str, str], *, basic: bool = True, secret: str | None = None
                      ) -> requests.Response:
        """A token request by hand (to see the status and error of a refused one)."""
        secret = self.client_secret if secret is None else secret
        auth = None
        data = dict(data)
        if secret is not None and basic:
            auth = (self.client_id, secret)
        else:
            data["client_id"] = self.client_id
            if secret is not None:
                data["client_secret"] = secret
        with requests.post(self.metadata["token_endpoint"], data=data, auth=auth, timeout=TIMEOUT) as response:
            _ = response.content  # read before closing
            return response

    def exchange(self, code: str, verifier: str | None = None, **options: object) -> requests.Response:
        data = {"grant_type": "authorization_code", "code": code, "redirect_uri": self.redirect_uri}
        if verifier:
            data["code_verifier"] = verifier
        return self.token_request(data, **options)

    def refresh(self, refresh_token: str, **options: object) -> requests.Response:
        return self.token_request({"grant_type": "refresh_token", "refresh_token": refresh_token}, **options)

    def revoke(self, token: str, hint: str | None = None) -> requests.Response:
        data = {"token": token}
        if hint:
            data["token_type_hint"] = hint
        with requests.post(self.metadata["revocation_endpoint"], data=data,
                           auth=(self.client_id, self.client_secret), timeout=TIMEOUT) as response:
            _ = response.content  # read before closing
            return response

    def userinfo(self, access_token: str, how: str = "get") -> requests.Response:
        """The userinfo endpoint: `get` or `post` with the Bearer header, or `body`
        (access_token in a form body, RFC 6750 2.2)."""
        endpoint = self.metadata["userinfo_endpoint"]
        if how == "body":
            call = requests.post(endpoint, data={"access_token": access_token}, timeout=TIMEOUT)
        else:
            call = requests.request(how.upper(), endpoint, headers={"Authorization": f"Bearer {access_token}"},
                                    timeout=TIMEOUT)
        with call as response:
            _ = response.content  # read before closing
            return response


def new_rp(provider: LiveProvider, **options: object) -> RelyingParty:
    """Registers a new client (unique name and redirect URIs) for one test."""
    name = unique()
    redirect_uri = f"http://127.0.0.1:9/{name}/callback"
    post_logout = f"http://127.0.0.1:9/{name}/signed-out"
    options.setdefault("redirect_uris", [redirect_uri])
    options.setdefault("post_logout_redirect_uris", [post_logout])
    registered = provider.register(name=f"Appli {name}", **options)
    return RelyingParty(provider, registered.client.client_id, registered.client_secret, redirect_uri, post_logout,
                        discover(provider.issuer))


def is_login_page(page: requests.Response, issuer: str) -> bool:
    return (page.status_code == 200 and page.url.startswith(issuer) and urlsplit(page.url).path == "/connexion"
            and "Identifiant" in page.text and 'name="password"' in page.text)


def is_consent_page(page: requests.Response) -> bool:
    return page.status_code == 200 and "Autoriser" in page.text and 'name="decision"' in page.text


def login_field_value(page: requests.Response) -> str | None:
    """The value of the « Identifiant » input of a login page."""
    tag = re.search(r'<input[^>]*\bname="login"[^>]*>', page.text)
    assert tag, "no login field"
    value = re.search(r'\bvalue="([^"]*)"', tag.group(0))
    return value.group(1) if value else None


def sign_in_for_code(browser: Browser, url: str, login: str, password: str = PASSWORD) -> dict[str, str]:
    """Opens an authorization URL, expects the login page, signs in and returns the
    query of the redirect back to the app."""
    page = browser.open(url)
    assert is_login_page(page, browser.issuer), f"expected the login page, got {page.status_code} {page.url}"
    return redirect_params(browser.sign_in(page, login, password))


def code_of(params: dict[str, str], state: str, issuer: str) -> str:
    """The code of a successful authorization response, after checking state and iss."""
    assert "error" not in params, params
    assert params["state"] == state, params
    assert params["iss"] == issuer, params
    return params["code"]


def new_verifier() -> str:
    return secrets.token_urlsafe(48)


def page_message(response: requests.Response) -> str:
    """The alert of a page of the provider, or the start of its body."""
    alert = re.search(r'role="alert"[^>]*>(.*?)<', response.text, re.S)
    return html.unescape(alert.group(1).strip()) if alert else response.text[:300]


def error_redirect(response: requests.Response, redirect_uri: str) -> dict[str, str]:
    """The query of an error redirect to the app's registered redirect URI."""
    assert response.is_redirect, (f"expected a redirect to the client, got a page {response.status_code} "
                                  f"{response.url}: {page_message(response)}")
    location = response.headers["Location"]
    assert location.split("?")[0] == redirect_uri, location
    params = redirect_params(response)
    assert "code" not in params, params
    return params


def assert_provider_error_page(response: requests.Response, issuer: str, status: int = 400) -> None:
    """A page of the provider (no redirect anywhere), in French."""
    assert not response.is_redirect, f"redirected to {response.headers.get('Location')}"
    assert "Location" not in response.headers
    assert response.url.startswith(issuer), response.url
    assert response.status_code == status, (response.status_code, response.text[:300])
    assert "Connexion impossible" in response.text, response.text[:300]


def assert_invalid_token(response: requests.Response) -> None:
    """A userinfo response refusing the token (RFC 6750 3.1)."""
    assert response.status_code == 401, (response.status_code, response.text[:300])
    assert response.headers.get("WWW-Authenticate", "").startswith("Bearer"), response.headers
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"], response.headers


def signed_in_flow(rp: RelyingParty, browser: Browser, login: str, client: OAuth2Session,
                   verifier: str | None = None, **params: object) -> tuple[dict, jwt.Token]:
    """A full code flow from a browser not yet signed in: (token, verified ID token)."""
    url, state = rp.authorization_url(client, verifier, **params)
    code = code_of(sign_in_for_code(browser, url, login), state, rp.issuer)
    token = rp.fetch_token(client, code, verifier)
    return token, verify_id_token(rp.issuer, token["id_token"], rp.client_id)


def silent_code(rp: RelyingParty, browser: Browser, client: OAuth2Session, verifier: str | None = None,
                **params: object) -> str:
    """An authorization for a browser already signed in: a code without any page."""
    url, state = rp.authorization_url(client, verifier, **params)
    response = browser.open(url)
    return code_of(redirect_params(response), state, rp.issuer)


def time_out_sessions_of(provider: LiveProvider, login: str) -> int:
    """Puts the person's open browser sessions past their absolute timeout, and runs the
    background sweep that ends them; returns how many it ended."""
    with provider.app.app_context():  # type: ignore[attr-defined]
        with services().store.transaction() as db:
            db.execute(update(SsoSession).where(SsoSession.login == login, SsoSession.ended_at.is_(None))
                       .values(expires_at=SsoSession.created_at))
        return services().single_logout.sweep(idle_seconds=7200)
