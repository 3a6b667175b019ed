"""« FranceConnect (démonstration) »: an OpenID Connect provider built on Authlib's server, run by
`ent-idp demo --federation` (and by the tests), which answers as FranceConnect v2 does: the
pivot identity's claims as scopes, `acr` eidas1, a pairwise `sub`, the userinfo as a signed JWT,
and RP-initiated logout. Its sign-in page has a text field, a password field and one button."""
from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientMixin, grants
from authlib.oauth2.rfc6749.errors import OAuth2Error
from authlib.oidc.core.grants import OpenIDCode
from flask import Flask, Response, jsonify, redirect, request, session
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from werkzeug.wrappers import Response as WerkzeugResponse

from idp.demo_identity_page import identity_provider_page

API = "/api/v2"
PIVOT_SCOPES = ("openid", "given_name", "family_name", "birthdate", "birthplace", "birthcountry", "gender", "email",
                "preferred_username")
ACR = "eidas1"


@dataclass(frozen=True)
class FranceConnectIdentity:
    """A person as FranceConnect knows them (from impots.gouv.fr, ameli.fr…)."""

    username: str
    password: str
    given_name: str
    family_name: str
    birthdate: str
    gender: str = "female"
    birthplace: str = "75056"
    email: str = ""


@dataclass
class Registered:
    """The one relying party of the demo: the ENT."""

    client_id: str
    client_secret: str
    redirect_uris: list[str]
    post_logout_redirect_uris: list[str]


class Client(ClientMixin):
    def __init__(self, registered: Registered) -> None:
        self.registered = registered

    def get_client_id(self) -> str:
        return self.registered.client_id

    def get_default_redirect_uri(self) -> str:
        return self.registered.redirect_uris[0]

    def get_allowed_scope(self, scope: str) -> str:
        return " ".join(item for item in (scope or "").split() if item in PIVOT_SCOPES)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.registered.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return secrets.compare_digest(client_secret, self.registered.client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in ("client_secret_post", "client_secret_basic")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


@dataclass
class Code:
    client_id: str
    redirect_uri: str
    scope: str
    nonce: str | None
    username: str
    auth_time: int
    acr: str = ACR
    expires_at: float = field(default_factory=lambda: time.time() + 60)

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.auth_time

    def get_acr(self) -> str:
        return self.acr

    def get_amr(self) -> list[str]:
        return ["pwd"]


@dataclass
class State:
    registered: Registered
    people: dict[str, FranceConnectIdentity]
    key: RSAKey
    issuer: str
    codes: dict[str, Code] = field(default_factory=dict)
    tokens: dict[str, tuple[str, str, float]] = field(default_factory=dict)
    """access token → (username, scope, expiry)."""
    acr: str = ACR
    """What ID tokens say (the tests' FranceConnect that signs in at a lower level)."""
    available: bool = True
    """False: every endpoint answers 503 (the tests' FranceConnect that does not answer)."""

    def sub(self, username: str) -> str:
        """FranceConnect's `sub`: pairwise, a hash of the person and the relying party."""
        return hashlib.sha256(f"{self.registered.client_id}:{username}".encode()).hexdigest()

    def claims(self, username: str, scope: str) -> dict[str, Any]:
        person = self.people[username]
        values = {"given_name": person.given_name, "family_name": person.family_name, "birthdate": person.birthdate,
                  "gender": person.gender, "birthplace": person.birthplace, "birthcountry": "99100",
                  "email": person.email, "preferred_username": ""}
        wanted = set(scope.split())
        return {"sub": self.sub(username), **{name: value for name, value in values.items() if name in wanted}}


class CodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_post", "client_secret_basic"]

    def save_authorization_code(self, code: str, request: Any) -> None:
        state: State = self.server.state
        state.codes[code] = Code(request.client.get_client_id(), request.payload.redirect_uri, request.scope,
                                 request.payload.data.get("nonce"), request.user, int(time.time()), state.acr)

    def query_authorization_code(self, code: str, client: Client) -> Code | None:
        found = self.server.state.codes.pop(code, None)
        if found is None or found.client_id != client.get_client_id() or found.expires_at < time.time():
            return None
        return found

    def delete_authorization_code(self, authorization_code: Code) -> None:
        """Taken out when read."""

    def authenticate_user(self, authorization_code: Code) -> str:
        return authorization_code.username


class IdTokens(OpenIDCode):
    def __init__(self, state: State) -> None:
        super().__init__(require_nonce=True)
        self.state = state

    def exists_nonce(self, nonce: str, request: Any) -> bool:
        return False

    def resolve_client_private_key(self, client: Client) -> RSAKey:
        return self.state.key

    def get_client_algorithm(self, client: Client) -> str:
        return "RS256"

    def get_encode_header(self, client: Client) -> dict:
        return {"alg": "RS256", "kid": self.state.key.kid, "typ": "JWT"}

    def get_client_claims(self, client: Client) -> dict:
        moment = int(time.time())
        return {"iss": self.state.issuer, "aud": client.get_client_id(), "iat": moment, "exp": moment + 60}

    def generate_user_info(self, user: str, scope: str) -> dict:
        return self.state.claims(user, scope)



def create_franceconnect_demo(base_url: str, registered: Registered, identities: list[FranceConnectIdentity],
                              secret_key: str) -> Flask:
    app = Flask(__name__)
    app.config.update(SECRET_KEY=secret_key, SESSION_COOKIE_NAME="franceconnect_demo")
    issuer = base_url + API
    state = State(registered, {person.username: person for person in identities}, RSAKey.generate_key(
        2048, parameters={"kid": secrets.token_hex(8), "use": "sig", "alg": "RS256"}, private=True), issuer)
    app.extensions["franceconnect_demo"] = state
    server = AuthorizationServer(app, query_client=lambda client_id: Client(registered)
                                 if client_id == registered.client_id else None,
                                 save_token=lambda token, oauth_request: state.tokens.__setitem__(
                                     token["access_token"], (oauth_request.user, token.get("scope", ""),
                                                             time.time() + token.get("expires_in", 60))))
    server.state = state
    server.register_grant(CodeGrant, [IdTokens(state)])

    @app.before_request
    def unavailable() -> tuple[str, int] | None:
        return None if state.available else ("Service indisponible", 503)

    def page(message: str = "", status: int = 200, **values: Any) -> tuple[str, int]:
        return identity_provider_page("FranceConnect (démonstration)", "Identifiant", message, status, **values)

    @app.get(API + "/.well-known/openid-configuration")
    def discovery() -> Response:
        return jsonify({
            "issuer": issuer, "authorization_endpoint": issuer + "/authorize", "token_endpoint": issuer + "/token",
            "userinfo_endpoint": issuer + "/userinfo", "jwks_uri": issuer + "/jwks",
            "end_session_endpoint": issuer + "/session/end", "response_types_supported": ["code"],
            "subject_types_supported": ["pairwise"], "id_token_signing_alg_values_supported": ["RS256"],
            "userinfo_signing_alg_values_supported": ["RS256"], "scopes_supported": list(PIVOT_SCOPES),
            "acr_values_supported": [ACR], "token_endpoint_auth_methods_supported": ["client_secret_post",
                                                                                      "client_secret_basic"],
            "claims_supported": ["sub", *PIVOT_SCOPES[1:]]})

    @app.get(API + "/jwks")
    def jwks() -> Response:
        return jsonify(KeySet([state.key]).as_dict(private=False))

    @app.route(API + "/authorize", methods=["GET", "POST"])
    def authorize() -> WerkzeugResponse | tuple[str, int]:
        try:
            grant = server.get_consent_grant(end_user=None)
        except OAuth2Error as error:
            return page(f"Demande refusée : {error.error}", 400)
        back = {"redirect_uri": grant.redirect_uri, "state": request.values.get("state", "")}
        cancel = f"{API}/authorize/annuler?{urlencode(back)}"
        if request.method == "GET" and session.get("username") in state.people:
            return server.create_authorization_response(grant_user=session["username"], grant=grant)
        if request.method == "GET":
            return page(form=True, asking="ENT", username="", cancel=cancel)
        username = request.form.get("username", "").strip()
        person = state.people.get(username)
        if person is None or not secrets.compare_digest(person.password, request.form.get("password", "")):
            return page("Identifiant ou mot de passe incorrect.", 400, form=True, asking="ENT", username=username,
                        cancel=cancel)
        session["username"] = username
        return server.create_authorization_response(grant_user=username, grant=grant)

    @app.get(API + "/authorize/annuler")
    def cancel() -> WerkzeugResponse | tuple[str, int]:
        redirect_uri = request.args.get("redirect_uri", "")
        if redirect_uri not in registered.redirect_uris:
            return page("Adresse de retour inconnue.", 400)
        answer = {"error": "access_denied", "state": request.args.get("state", "")}
        return redirect(f"{redirect_uri}?{urlencode(answer)}")

    @app.post(API + "/token")
    def token() -> Response:
        return server.create_token_response()

    @app.get(API + "/userinfo")
    def userinfo() -> Response | tuple[dict[str, str], int]:
        """As FranceConnect v2: the claims in a JWT signed with the provider's key."""
        presented = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        found = state.tokens.get(presented)
        if found is None or found[2] < time.time():
            return {"error": "invalid_token"}, 401
        username, scope, _ = found
        claims = {**state.claims(username, scope), "iss": issuer, "aud": registered.client_id}
        signed = jwt.encode({"alg": "RS256", "kid": state.key.kid}, claims, state.key)
        return Response(signed, mimetype="application/jwt")

    @app.get(API + "/session/end")
    def end_session() -> WerkzeugResponse | tuple[str, int]:
        """RP-initiated logout: a valid id_token_hint of the ENT, a registered return address."""
        try:
            hint = jwt.decode(request.args.get("id_token_hint", ""), KeySet([state.key]))
        except Exception:
            return page("Déconnexion refusée : id_token_hint invalide.", 400)
        back = request.args.get("post_logout_redirect_uri", "")
        if hint.claims.get("aud") != registered.client_id or back not in registered.post_logout_redirect_uris:
            return page("Déconnexion refusée : adresse de retour inconnue.", 400)
        session.pop("username", None)
        return redirect(f"{back}?{urlencode({'state': request.args.get('state', '')})}")

    return app
