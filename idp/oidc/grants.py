"""Authlib grants: authorization code (+ OpenID Connect, PKCE S256) and refresh token."""
from __future__ import annotations

import secrets
from typing import Any

from authlib.oauth2.rfc6749 import InvalidGrantError, InvalidRequestError, grants
from authlib.oauth2.rfc6749.util import scope_to_list
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core.grants import OpenIDCode, OpenIDToken
from sqlalchemy import bindparam, select, update

from idp.audit import audit
from idp.sessions import SignedIn, SsoSessions
from idp.store import AuthorizationCode, Client, Token
from idp.store.models import digest, now


def random_token(*_: object, **__: object) -> str:
    """Codes, access and refresh tokens: 256 random bits, URL-safe (Authlib's own generator
    draws one character at a time from the system's random source, 50 times slower)."""
    return secrets.token_urlsafe(32)


_CODE = select(AuthorizationCode).where(AuthorizationCode.code_digest == bindparam("digest"),
                                        AuthorizationCode.client_id == bindparam("client_id"))
_CLAIM_CODE = (update(AuthorizationCode)
               .where(AuthorizationCode.id == bindparam("code_id"), AuthorizationCode.used_at.is_(None))
               .values(used_at=bindparam("moment")).execution_options(synchronize_session=False))
_SIGN_IN = (select(AuthorizationCode.amr, AuthorizationCode.sso_session)
            .join(Token, Token.code_id == AuthorizationCode.id).where(Token.family == bindparam("family")).limit(1))
"""Built once: each token request runs them. The last: the sign-in a family of refreshed
tokens comes from (its first token has the code)."""


def gets_refresh_token(client: Client, scope: str | None) -> bool:
    """A refresh token only for `offline_access` (OpenID Connect Core 11) or an app
    registered to get them (`--refresh-tokens`)."""
    return client.refresh_tokens or "offline_access" in (scope_to_list(scope) or [])


class CodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]

    def generate_token(self, user=None, scope=None, grant_type=None, expires_in=None,
                       include_refresh_token=True):
        """Authlib asks the client whether it may use the refresh grant at all (it may:
        its tokens of `offline_access` are refreshed); the scope decides for this one."""
        include_refresh_token = include_refresh_token and gets_refresh_token(self.request.client, scope)
        return super().generate_token(user=user, scope=scope, grant_type=grant_type, expires_in=expires_in,
                                      include_refresh_token=include_refresh_token)

    def generate_authorization_code(self) -> str:
        return random_token()

    def save_authorization_code(self, code: str, request) -> None:
        provider = self.server.provider
        user: SignedIn = request.user
        payload = request.payload
        claims = provider.claims_of(user.account, request.scope) if user.account else None
        provider.store.insert(
            AuthorizationCode, code_digest=digest(code), client_id=request.client.client_id, login=user.login,
            sub=user.sub, redirect_uri=payload.redirect_uri, scope=request.scope, nonce=payload.data.get("nonce"),
            auth_time=user.auth_time, amr=list(user.amr), sso_session=user.session_digest,
            code_challenge=payload.data.get("code_challenge"),
            code_challenge_method=payload.data.get("code_challenge_method"),
            expires_at=now() + provider.settings.oidc.code_seconds, claims=claims,
        )

    def query_authorization_code(self, code: str, client: Client) -> AuthorizationCode | None:
        """The code, marked used at once (of two concurrent exchanges only one wins).
        A code already used is a replay: the tokens issued from it, and those refreshed
        from them, are revoked."""
        db = self.server.provider.store.session
        row = db.scalar(_CODE, {"digest": digest(code), "client_id": client.client_id})
        if row is None:
            return None
        claimed = db.execute(_CLAIM_CODE, {"code_id": row.id, "moment": now()}).rowcount
        if not claimed:
            families = select(Token.family).where(Token.code_id == row.id).scalar_subquery()
            revoked = db.execute(update(Token).where(Token.family.in_(families), Token.revoked_at.is_(None))
                                 .values(revoked_at=now())).rowcount
            db.commit()
            audit("oidc.code_replayed", login=row.login, client=client.client_id, tokens_revoked=revoked)
            return None
        db.commit()
        return row if now() < row.expires_at else None

    def delete_authorization_code(self, authorization_code: AuthorizationCode) -> None:
        """Nothing to do: the code was marked used when it was read."""

    def authenticate_user(self, authorization_code: AuthorizationCode) -> SignedIn:
        return SignedIn(authorization_code.login, authorization_code.sub, authorization_code.auth_time,
                         tuple(authorization_code.amr), authorization_code.sso_session,
                         claims=authorization_code.claims)


class IdTokens:
    """How ID tokens are signed and what they say, for both the code and the refresh grant:
    RS256 with `kid`, `aud` = the client id, integer `auth_time`, `acr`, `amr`, `sid`."""

    provider: Any

    def resolve_client_private_key(self, client: Client):
        return self.provider.keys.signing_key

    def get_client_algorithm(self, client: Client) -> str:
        return "RS256"

    def get_encode_header(self, client: Client) -> dict:
        return {"alg": "RS256", "kid": self.provider.keys.signing_key.kid, "typ": "JWT"}

    def get_client_claims(self, client: Client) -> dict:
        moment = now()
        return {"iss": self.provider.issuer, "aud": client.client_id, "iat": moment,
                "exp": moment + self.provider.settings.oidc.id_token_seconds}

    def generate_user_info(self, user: SignedIn, scope: str) -> dict:
        """The ID token's claims: those of the scope, and `sid`, the browser session the person
        signed in with (a logout hint names it)."""
        claims = user.claims if user.claims is not None else self.provider.claims(user.login, scope)
        sid = SsoSessions.sid(user.session_digest)
        return {**claims, "sid": sid} if sid else claims


class OpenIDCodeFlow(IdTokens, OpenIDCode):
    """ID tokens of the code grant (`nonce`, `auth_time`, `acr`, `amr` from the code)."""

    def __init__(self, provider) -> None:
        super().__init__(require_nonce=False)
        self.provider = provider

    def exists_nonce(self, nonce: str, request) -> bool:
        return False  # a nonce is the client's to check; reuse across requests is allowed


class OpenIDRefresh(IdTokens, OpenIDToken):
    """A new ID token in each refresh response (OpenID Connect Core 12.2): same `sub`, the
    `sid` and `auth_time` of the original sign-in, new `iat` and `exp`, no `nonce`."""

    def __init__(self, provider) -> None:
        self.provider = provider

    def get_compatible_claims(self, request) -> dict:
        user: SignedIn = request.user
        return {**super().get_compatible_claims(request), "auth_time": user.auth_time, "acr": "1",
                "amr": list(user.amr)}


class S256CodeChallenge(CodeChallenge):
    """PKCE with S256 only (`plain` refused); required for public clients and for
    confidential clients registered with require_pkce."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]
    DEFAULT_CODE_CHALLENGE_METHOD = "S256"

    def validate_code_challenge(self, grant, redirect_uri):
        data = grant.request.payload.data
        client: Client = grant.request.client
        if data.get("code_challenge") and data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("'code_challenge_method' must be S256 ('plain' is not supported)")
        if (client.public or client.require_pkce) and not data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required for this client: send 'code_challenge' (S256)")
        return super().validate_code_challenge(grant, redirect_uri)


class RefreshGrant(grants.RefreshTokenGrant):
    """Rotated refresh tokens: each use gives a new one; using an old one again
    revokes the whole family (RFC 9700 4.14.2)."""

    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token: str) -> Token | None:
        """The refresh token if still usable. One already used is a replay: its family is revoked."""
        db = self.server.provider.store.session
        row = db.scalar(select(Token).where(Token.refresh_digest == digest(refresh_token)))
        if row is None:
            return None
        if row.refreshed_at is not None:
            _revoke_family(db, row, "oidc.refresh_replayed")
            return None
        if row.revoked_at is not None or not row.refresh_expires_at or now() >= row.refresh_expires_at:
            return None
        return row

    def authenticate_user(self, refresh_token: Token) -> SignedIn:
        """Called once the request is valid. The account is read first: a locked or deleted
        one is refused (invalid_grant) and the token is kept, usable again once the account
        is (after a temporary lock, say). Then the token is used up, atomically, so that of
        two concurrent refreshes only one wins (the other is a replay)."""
        claims = self.server.provider.claims(refresh_token.login, refresh_token.scope)
        db = self.server.provider.store.session
        claimed = db.execute(update(Token).where(Token.id == refresh_token.id, Token.refreshed_at.is_(None))
                             .values(refreshed_at=now())).rowcount
        db.commit()
        if not claimed:
            _revoke_family(db, refresh_token, "oidc.refresh_replayed")
            raise InvalidGrantError("The refresh token was already used.")
        sign_in = db.execute(_SIGN_IN, {"family": refresh_token.family}).first()
        amr, session = (tuple(sign_in.amr), sign_in.sso_session) if sign_in else (("pwd",), None)
        return SignedIn(refresh_token.login, refresh_token.sub, refresh_token.auth_time, amr, session,
                        claims=claims)

    def revoke_old_credential(self, refresh_token: Token) -> None:
        with self.server.provider.store.transaction() as db:
            db.execute(update(Token).where(Token.id == refresh_token.id).values(revoked_at=now()))


def _revoke_family(db, token: Token, event: str) -> None:
    db.execute(update(Token).where(Token.family == token.family, Token.revoked_at.is_(None)).values(revoked_at=now()))
    db.commit()
    audit(event, login=token.login, client=token.client_id)
