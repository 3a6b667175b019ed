"""Single sign-on sessions: one random cookie per signed-in browser, the rest in SQL.

« Se souvenir de moi » unchecked: a browser-session cookie (no Expires), which dies
with the browser, and an idle and an absolute timeout. Checked: a persistent cookie
for `remember_days`. Signing out ends the session on the server, whatever the cookie.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Response, after_this_request, current_app, g, request

from idp.directory import Account
from idp.store import Store, sso_sessions
from idp.store.models import digest, now

COOKIE = "ent_sso"
_LAST_SEEN_PRECISION = 60
USER_AGENT_CHARS = 400
"""What is kept of a browser's User-Agent: enough to name the device."""
"""Seconds between two writes of last_seen_at for one session."""


@dataclass(frozen=True)
class SessionPolicy:
    idle_seconds: int
    absolute_seconds: int
    remember_seconds: int
    secure: bool
    """https issuer: Secure cookie with the __Host- prefix."""


@dataclass(frozen=True)
class SignedIn:
    """A person signed in: in a browser session, or behind a code or token issued to them."""

    login: str
    sub: str
    auth_time: int
    amr: tuple[str, ...]
    session_digest: str | None = None
    """The browser session, when there is one."""
    account: Account | None = field(default=None, compare=False, repr=False)
    """The directory entry as this very request read it to sign the person in (never stored)."""
    claims: dict[str, object] | None = field(default=None, compare=False, repr=False)
    """Behind a code or a token: the claims read from the directory when it was issued."""
    remember: bool = False
    """Signed in with « Se souvenir de moi »."""


@dataclass(frozen=True)
class OpenSession:
    """A browser signed in, as « Mon compte » lists it."""

    sid: str
    """Its name outside the store (the `sid` of ID tokens), never its cookie or digest."""
    since: int
    last_seen: int
    remember: bool
    user_agent: str
    address: str
    digest: str = field(repr=False)


class SsoSessions:
    def __init__(self, store: Store, policy: SessionPolicy,
                 on_end: Callable[[list[str], str], None] = lambda digests, login: None) -> None:
        """`on_end`: told of each session this browser ends (single logout)."""
        self.store = store
        self.policy = policy
        self.on_end = on_end
        self.cookie_name = f"__Host-{COOKIE}" if policy.secure else COOKIE

    def start(self, account: Account, *, amr: list[str], remember: bool) -> SignedIn:
        """Signs the browser in with a new session id (never the one it came with): the
        cookie goes with this request's response, and the rest of the request sees the
        person signed in."""
        self._end(self.current())
        session_id = secrets.token_urlsafe(32)  # 256 bits
        lifetime = self.policy.remember_seconds if remember else self.policy.absolute_seconds
        user_agent = request.headers.get("User-Agent", "")[:USER_AGENT_CHARS] or None
        auth_time = sso_sessions.open_session(self.store, digest(session_id), login=account.login, sub=account.uuid,
                                              amr=amr, remember=remember, lifetime=lifetime, user_agent=user_agent,
                                              address=request.remote_addr)

        @after_this_request
        def set_cookie(response: Response) -> Response:
            response.set_cookie(
                self.cookie_name, session_id, max_age=lifetime if remember else None, path="/",
                secure=self.policy.secure, httponly=True, samesite="Lax",
            )
            return response

        signed_in = SignedIn(account.login, account.uuid, auth_time, tuple(amr), digest(session_id), account,
                             remember=remember)
        g.ent_signed_in = signed_in
        return signed_in

    def current(self) -> SignedIn | None:
        """Who this browser is signed in as, if anyone (ended or expired sessions: nobody)."""
        if "ent_signed_in" in g:
            return g.ent_signed_in
        g.ent_signed_in = None
        session_id = request.cookies.get(self.cookie_name)
        if not session_id:
            return None
        moment = now()
        row = sso_sessions.find(self.store, digest(session_id))
        if row is None or row.ended_at is not None or moment >= row.expires_at:
            return None
        if not row.remember and moment - row.last_seen_at > self.policy.idle_seconds:
            return None
        if moment - row.last_seen_at >= _LAST_SEEN_PRECISION:
            sso_sessions.seen(self.store, row.id_digest, moment)
        g.ent_signed_in = SignedIn(row.login, row.sub, row.auth_time, tuple(row.amr), row.id_digest,
                                   remember=row.remember)
        return g.ent_signed_in

    def end_current(self) -> str | None:
        """Signs this browser out (the cookie goes with this request's response); returns the
        login it was signed in as."""
        signed_in = self.current()

        @after_this_request
        def delete_cookie(response: Response) -> Response:
            response.delete_cookie(self.cookie_name, path="/", secure=self.policy.secure, httponly=True,
                                   samesite="Lax")
            return response
        return self._end(signed_in)

    def open_sessions(self, login: str) -> list[OpenSession]:
        """The person's browsers still signed in, newest first, each named by its `sid`."""
        return [OpenSession(self.sid(row.id_digest) or "", row.created_at, row.last_seen_at, row.remember,
                            row.user_agent or "", row.address or "", row.id_digest)
                for row in sso_sessions.open_sessions_of(self.store, login, self.policy.idle_seconds)]

    def end_by_digest(self, session_digest: str, login: str) -> None:
        """Ends one browser session named by its digest (an upstream provider's logout)."""
        if "ent_signed_in" in g and g.ent_signed_in is not None and g.ent_signed_in.session_digest == session_digest:
            g.ent_signed_in = None
        sso_sessions.end(self.store, session_digest)
        self.on_end([session_digest], login)

    def end_one(self, login: str, sid: str) -> bool:
        """Signs out one browser of the person's (« Déconnecter cet appareil »), named by its
        `sid`; False when none of theirs has it (already ended, or someone else's)."""
        for session in self.open_sessions(login):
            if hmac.compare_digest(session.sid, sid):
                sso_sessions.end(self.store, session.digest)
                self.on_end([session.digest], login)
                return True
        return False

    def _end(self, signed_in: SignedIn | None) -> str | None:
        g.ent_signed_in = None
        if signed_in is None:
            return None
        sso_sessions.end(self.store, signed_in.session_digest)
        if signed_in.session_digest:
            self.on_end([signed_in.session_digest], signed_in.login)
        return signed_in.login

    @staticmethod
    def sid(session_digest: str | None) -> str | None:
        """The `sid` of a browser session in ID tokens (OpenID Connect session id): derived
        from the session with the app's key, so it names the session without revealing it,
        and needs no storage."""
        if not session_digest:
            return None
        key = current_app.secret_key
        assert isinstance(key, str)  # set by idp.app.setup_config
        mac = hmac.new(key.encode(), b"sid:" + session_digest.encode(), hashlib.sha256)
        return base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode()
