"""Tables of the provider's state. Secrets (client secrets, codes, tokens, session ids)
are stored as SHA-256 digests only: a copy of the database signs nobody in."""
from __future__ import annotations

import hashlib
import hmac
import time

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Integer, String, Text, false
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def now() -> int:
    return int(time.time())


Seconds = BigInteger
"""Moments, in seconds since 1970: 64 bits, so past January 2038."""


class Base(DeclarativeBase):
    pass


class Client(Base):
    """A college app (OpenID Connect relying party)."""

    __tablename__ = "clients"
    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    secret_digest: Mapped[str | None] = mapped_column(String(64))
    """None for a public client (no secret; PKCE required)."""
    name: Mapped[str] = mapped_column(String(200))
    redirect_uris: Mapped[list[str]] = mapped_column(JSON, default=list)
    post_logout_redirect_uris: Mapped[list[str]] = mapped_column(JSON, default=list)
    first_party: Mapped[bool] = mapped_column(Boolean, default=True)
    """A college app of the ENT: no consent page."""
    require_pkce: Mapped[bool] = mapped_column(Boolean, default=False)
    scope: Mapped[str] = mapped_column(Text, default="openid profile email offline_access")
    created_at: Mapped[int] = mapped_column(Seconds, default=now)
    backchannel_logout_uri: Mapped[str | None] = mapped_column(Text)
    """OpenID Connect Back-Channel Logout: where the app is told that a session it served ended."""
    frontchannel_logout_uri: Mapped[str | None] = mapped_column(Text)
    """OpenID Connect Front-Channel Logout: the page the signed-out page loads in a hidden frame."""
    refresh_tokens: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    schools: Mapped[list[str]] = mapped_column(JSON, default=list)
    """The UAI of the colleges whose people see it on the home page (none: every college)."""
    """Refresh tokens without `offline_access` in the scope (apps registered before this option: yes)."""

    # Authlib's ClientMixin

    @property
    def public(self) -> bool:
        return self.secret_digest is None

    @property
    def client_metadata(self) -> dict:
        return {"post_logout_redirect_uris": list(self.post_logout_redirect_uris)}

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> None:
        return None  # always ask for redirect_uri, matched exactly

    def get_allowed_scope(self, scope: str | None) -> str:
        if not scope:
            return ""
        allowed = set(self.scope.split())
        return " ".join(item for item in scope.split() if item in allowed)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return self.secret_digest is not None and hmac.compare_digest(self.secret_digest, digest(client_secret))

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if self.public:
            return method == "none"
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in ("authorization_code", "refresh_token")


class SsoSession(Base):
    """A signed-in browser: one random cookie names it."""

    __tablename__ = "sso_sessions"
    id_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    login: Mapped[str] = mapped_column(String(64), index=True)
    sub: Mapped[str] = mapped_column(String(64))
    auth_time: Mapped[int] = mapped_column(Seconds)
    amr: Mapped[list[str]] = mapped_column(JSON, default=list)
    remember: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[int] = mapped_column(Seconds, default=now)
    last_seen_at: Mapped[int] = mapped_column(Seconds, default=now)
    expires_at: Mapped[int] = mapped_column(Seconds)
    ended_at: Mapped[int | None] = mapped_column(Seconds)
    user_agent: Mapped[str | None] = mapped_column(Text)
    """The browser's User-Agent at sign-in (what « Mon compte » names the device by)."""
    address: Mapped[str | None] = mapped_column(String(45))
    """The client's address at sign-in, behind the trusted proxies."""


class AuthorizationCode(Base):
    __tablename__ = "authorization_codes"
    id: Mapped[int] = mapped_column(primary_key=True)
    code_digest: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    client_id: Mapped[str] = mapped_column(String(64), index=True)
    login: Mapped[str] = mapped_column(String(64))
    sub: Mapped[str] = mapped_column(String(64))
    redirect_uri: Mapped[str] = mapped_column(Text)
    scope: Mapped[str] = mapped_column(Text)
    nonce: Mapped[str | None] = mapped_column(Text)
    auth_time: Mapped[int] = mapped_column(Seconds)
    amr: Mapped[list[str]] = mapped_column(JSON, default=list)
    code_challenge: Mapped[str | None] = mapped_column(Text)
    code_challenge_method: Mapped[str | None] = mapped_column(String(10))
    sso_session: Mapped[str | None] = mapped_column(String(64), index=True)
    created_at: Mapped[int] = mapped_column(Seconds, default=now)
    expires_at: Mapped[int] = mapped_column(Seconds)
    used_at: Mapped[int | None] = mapped_column(Seconds)
    """Set when exchanged: a second exchange is a replay."""
    claims: Mapped[dict | None] = mapped_column(JSON)
    """What the scope let the app know, read from the directory when the person signed in to
    get this code: the token endpoint, a few seconds later, needs not read it again."""

    # Authlib's AuthorizationCodeMixin

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.auth_time

    def get_acr(self) -> str:
        return "1"

    def get_amr(self) -> list[str]:
        return list(self.amr)


class Token(Base):
    """An access token and, maybe, its refresh token. A refresh creates a new row in
    the same family; replaying a used refresh token revokes the whole family."""

    __tablename__ = "tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    access_digest: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    refresh_digest: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)
    client_id: Mapped[str] = mapped_column(String(64), index=True)
    login: Mapped[str] = mapped_column(String(64), index=True)
    sub: Mapped[str] = mapped_column(String(64))
    scope: Mapped[str] = mapped_column(Text)
    auth_time: Mapped[int] = mapped_column(Seconds)
    issued_at: Mapped[int] = mapped_column(Seconds, default=now)
    expires_at: Mapped[int] = mapped_column(Seconds)
    refresh_expires_at: Mapped[int | None] = mapped_column(Seconds)
    code_id: Mapped[int | None] = mapped_column(ForeignKey("authorization_codes.id"), index=True)
    family: Mapped[str] = mapped_column(String(64), index=True)
    refreshed_at: Mapped[int | None] = mapped_column(Seconds)
    revoked_at: Mapped[int | None] = mapped_column(Seconds)
    claims: Mapped[dict | None] = mapped_column(JSON)
    """What userinfo answers: the claims of the scope, read from the directory when the
    token was issued (ending an account's sessions revokes its tokens)."""

    def is_active(self, at: int | None = None) -> bool:
        return self.revoked_at is None and (at or now()) < self.expires_at

    # Authlib's TokenMixin (revocation endpoint)

    def check_client(self, client: Client) -> bool:
        return self.client_id == client.client_id

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return self.expires_at - self.issued_at

    def is_expired(self) -> bool:
        return now() >= self.expires_at

    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class Consent(Base):
    """A person agreed that a third-party app may know them (first-party apps need none)."""

    __tablename__ = "consents"
    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(64), index=True)
    client_id: Mapped[str] = mapped_column(String(64))
    scope: Mapped[str] = mapped_column(Text)
    granted_at: Mapped[int] = mapped_column(Seconds, default=now)
    revoked_at: Mapped[int | None] = mapped_column(Seconds)


class ResetToken(Base):
    """A password-reset link (mail) or code (SMS). Only a digest is kept; it is consumed
    by the form's POST only, so a mail scanner opening the link uses nothing up."""

    __tablename__ = "reset_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_digest: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    login: Mapped[str] = mapped_column(String(64), index=True)
    channel: Mapped[str] = mapped_column(String(8))
    """mail (the digest is the link's token's) or sms (the digest is the challenge's; the code's is below)."""
    code_digest: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[int] = mapped_column(Seconds, default=now)
    expires_at: Mapped[int] = mapped_column(Seconds)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    """SMS codes typed against it."""
    used_at: Mapped[int | None] = mapped_column(Seconds)
    stamp: Mapped[str | None] = mapped_column(String(64))
    """The account's security stamp when it was issued: it works only while that is unchanged
    (any new password, code, lock or unlock since makes it useless)."""
    new_address: Mapped[str | None] = mapped_column(Text)
    """Channel `email`: the recovery address waiting for its confirmation link to be opened."""
