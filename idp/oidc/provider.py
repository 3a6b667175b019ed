"""The OpenID Connect provider: Authlib's authorization server wired to our store,
keys and directory. Pages are not its business (see idp.interactions)."""
from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, replace

from authlib.integrations.flask_oauth2 import AuthorizationServer as FlaskAuthorizationServer
from authlib.oauth2.rfc6749 import InvalidGrantError, OAuth2Request
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from authlib.oauth2.rfc9207 import IssuerParameter
from authlib.oidc.rpinitiated import EndSessionEndpoint
from flask import Flask
from sqlalchemy import bindparam, or_, select, update

from idp.audit import audit
from idp.config import Settings
from idp.directory import Account, Directory
from idp.sessions import SignedIn
from idp.store import Client, Store, Token
from idp.store.models import digest, now

from .claims import claims_for
from .grants import CodeGrant, OpenIDCodeFlow, OpenIDRefresh, RefreshGrant, S256CodeChallenge, random_token
from .keys import KeyRing

CLIENT_CACHE_SECONDS = 10.0
_TOKEN = select(Token).where(Token.access_digest == bindparam("digest"))


class OidcProvider:
    def __init__(self, settings: Settings, store: Store, directory: Directory, keys: KeyRing) -> None:
        self.settings = settings
        self.store = store
        self.directory = directory
        self.keys = keys
        self.issuer = settings.issuer.rstrip("/")
        self.server = AuthorizationServer()
        self.server.provider = self
        self._clients: dict[str, tuple[Client, float]] = {}

    def init_app(self, app: Flask) -> None:
        oidc = self.settings.oidc
        app.config["OAUTH2_ACCESS_TOKEN_GENERATOR"] = random_token
        app.config["OAUTH2_REFRESH_TOKEN_GENERATOR"] = random_token
        app.config["OAUTH2_TOKEN_EXPIRES_IN"] = {"authorization_code": oidc.access_token_seconds,
                                                 "refresh_token": oidc.access_token_seconds}
        self.keys.ensure()
        self.server.init_app(app, query_client=self.query_client, save_token=self.save_token)
        self.server.register_grant(CodeGrant, [OpenIDCodeFlow(self), S256CodeChallenge(required=True)])
        self.server.register_grant(RefreshGrant, [OpenIDRefresh(self)])
        self.server.register_endpoint(Revocation)
        self.server.register_endpoint(Introspection)
        self.server.register_endpoint(EndSession)
        self.server.register_extension(Issuer(self.issuer))

    def query_client(self, client_id: str) -> Client | None:
        """The registered client, read at most once per `CLIENT_CACHE_SECONDS` by each
        process: a sign-in asks for it four times. A client just removed is still served
        for that long; one just added, at once."""
        cached = self._clients.get(client_id)
        moment = time.monotonic()
        if cached is not None and cached[1] > moment:
            return cached[0]
        client = self.store.session.scalar(select(Client).where(Client.client_id == client_id))
        if client is None:
            self._clients.pop(client_id, None)
        else:
            self.store.session.expunge(client)  # read-only from now on, shared by the threads
            self._clients[client_id] = (client, moment + CLIENT_CACHE_SECONDS)
        return client

    def save_token(self, token: dict, request) -> None:
        """Stores the token with the claims userinfo will answer: those kept with the code
        of a sign-in, or read now (a refresh, a code from the browser's session), which
        refuses a locked or vanished account. The ID token gets the same claims."""
        user: SignedIn = request.user
        code = getattr(request, "authorization_code", None)
        previous = getattr(request, "refresh_token", None)
        moment = now()
        refresh = token.get("refresh_token")
        scope = token.get("scope", "")
        claims = user.claims
        if claims is None and "openid" in scope.split():
            claims = self.claims(user.login, scope)
            request.user = replace(user, claims=claims)
        self.store.insert(
            Token, access_digest=digest(token["access_token"]), refresh_digest=digest(refresh) if refresh else None,
            client_id=request.client.client_id, login=user.login, sub=user.sub, scope=scope,
            auth_time=user.auth_time, issued_at=moment, expires_at=moment + int(token["expires_in"]),
            refresh_expires_at=moment + self.settings.oidc.refresh_token_days * 86400 if refresh else None,
            code_id=code.id if code is not None else None,
            family=previous.family if isinstance(previous, Token) else secrets.token_hex(16), claims=claims,
        )
        audit("oidc.token_issued", login=user.login, client=request.client.client_id)

    def claims(self, login: str, scope: str) -> dict[str, object]:
        """What `scope` lets a client know of `login`, read from the directory now; refused
        for a locked or vanished account."""
        account = self.directory.find(login)
        if account is None or not account.usable:
            raise InvalidGrantError("The account is no longer usable.")
        return self.claims_of(account, scope)

    def claims_of(self, account: Account, scope: str) -> dict[str, object]:
        """What `scope` lets a client know of `account`, as read."""
        wanted = account.children and "profile" in scope.split()
        children = list(self.directory.uuids(account.children).values()) if wanted else []
        return claims_for(account, scope, children)

    def token_for(self, access_token: str) -> Token | None:
        """An access token still valid (userinfo)."""
        row = self.store.session.scalar(_TOKEN, {"digest": digest(access_token)})
        return row if row is not None and row.is_active() else None


class AuthorizationServer(FlaskAuthorizationServer):
    """Authlib's, able to answer an authorization request other than the current HTTP
    request: the one kept while the person signed in (endpoints.resume_authorization)."""

    def create_oauth2_request(self, request):
        return request if isinstance(request, OAuth2Request) else super().create_oauth2_request(request)


class Issuer(IssuerParameter):
    """RFC 9207: `iss` in every authorization response."""

    def __init__(self, issuer: str) -> None:
        self.issuer = issuer

    def get_issuer(self) -> str:
        return self.issuer


class Revocation(RevocationEndpoint):
    CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]

    def query_token(self, token_string: str, token_type_hint: str | None) -> Token | None:
        hashed = digest(token_string)
        return self.server.provider.store.session.scalar(
            select(Token).where(or_(Token.access_digest == hashed, Token.refresh_digest == hashed)))

    def revoke_token(self, token: Token, request) -> None:
        """Revoking a refresh token revokes its whole family; an access token, itself."""
        hashed = digest(request.form["token"])
        condition = Token.family == token.family if token.refresh_digest == hashed else Token.id == token.id
        with self.server.provider.store.transaction() as db:
            db.execute(update(Token).where(condition, Token.revoked_at.is_(None)).values(revoked_at=now()))


@dataclass(frozen=True)
class Presented:
    """A token as presented to introspection: the row, and which of its two tokens it is."""

    row: Token
    refresh: bool

    @property
    def expires_at(self) -> int:
        return (self.row.refresh_expires_at or 0) if self.refresh else self.row.expires_at

    def is_expired(self) -> bool:
        return now() >= self.expires_at

    def is_revoked(self) -> bool:
        """A refresh token once used is spent, even before its row is revoked."""
        return self.row.revoked_at is not None or (self.refresh and self.row.refreshed_at is not None)


class Introspection(IntrospectionEndpoint):
    """RFC 7662, for the resource servers of the apps: a confidential client learns about
    its own tokens only; any other token is merely inactive."""

    CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def query_token(self, token_string: str, token_type_hint: str | None) -> Presented | None:
        """Looked up as both kinds whatever the hint (RFC 7662 2.1: a hint only)."""
        hashed = digest(token_string)
        row = self.server.provider.store.session.scalar(
            select(Token).where(or_(Token.access_digest == hashed, Token.refresh_digest == hashed)))
        return Presented(row, row.refresh_digest == hashed) if row is not None else None

    def check_permission(self, token: Presented, client: Client, request) -> bool:
        return token.row.check_client(client)

    def introspect_token(self, token: Presented) -> dict[str, object]:
        row = token.row
        return {"active": True, "scope": row.scope, "client_id": row.client_id, "sub": row.sub,
                "username": row.login, "token_type": "refresh_token" if token.refresh else "Bearer",
                "exp": token.expires_at, "iat": row.issued_at, "iss": self.server.provider.issuer,
                "aud": row.client_id}


class EndSession(EndSessionEndpoint):
    def get_server_jwks(self):
        return self.server.provider.keys.verification_keys()

    def get_algorithms(self) -> list[str]:
        return ["RS256"]

    def is_post_logout_redirect_uri_legitimate(self, request, post_logout_redirect_uri, client, logout_hint) -> bool:
        return True  # the URI was matched exactly against the client's registered list

    def end_session(self, end_session_request) -> None:
        """The view ends the browser's session on the response it sends."""
