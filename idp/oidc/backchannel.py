"""OpenID Connect Back-Channel Logout 1.0: each app that got a code in a browser session that
ended, and registered a back-channel logout URI, receives a signed logout token (POST, form
field `logout_token`) naming the session (`sid`) and the person (`sub`)."""
from __future__ import annotations

import logging
import secrets
from typing import Any

import requests
from joserfc import jwt
from sqlalchemy import or_, select

from idp.sessions import SsoSessions
from idp.store import AuthorizationCode, Client, Store
from idp.store.models import now

from .keys import KeyRing

KIND = "oidc.backchannel_logout"
EVENT = "http://schemas.openid.net/event/backchannel-logout"
TOKEN_SECONDS = 120
TIMEOUT_SECONDS = 5
log = logging.getLogger(__name__)


def apps_to_tell(store: Store, session_digests: list[str], login: str) -> list[tuple[str, dict[str, Any]]]:
    """One task per app with a back-channel logout URI, per session it got a code in."""
    served = store.session.execute(
        select(AuthorizationCode.client_id, AuthorizationCode.sso_session, AuthorizationCode.sub)
        .where(AuthorizationCode.sso_session.in_(session_digests)).distinct()).all()
    uris = dict(store.session.execute(
        select(Client.client_id, Client.backchannel_logout_uri)
        .where(Client.client_id.in_({client_id for client_id, _, _ in served}),
               Client.backchannel_logout_uri.is_not(None))).all())
    return [(KIND, {"client_id": client_id, "uri": uris[client_id], "sid": SsoSessions.sid(session), "sub": sub})
            for client_id, session, sub in served if client_id in uris]


def app_names(store: Store, session_digests: list[str]) -> list[str]:
    return list(store.session.scalars(
        select(Client.name).join(AuthorizationCode, AuthorizationCode.client_id == Client.client_id)
        .where(AuthorizationCode.sso_session.in_(session_digests),
               or_(Client.backchannel_logout_uri.is_not(None), Client.frontchannel_logout_uri.is_not(None)))
        .distinct()))


def logout_token(keys: KeyRing, issuer: str, client_id: str, sid: str | None, sub: str) -> str:
    """§2.4: iss, aud, iat, exp, jti, sid, sub and the events claim; never a nonce."""
    moment = now()
    claims: dict[str, Any] = {"iss": issuer, "aud": client_id, "iat": moment, "exp": moment + TOKEN_SECONDS,
                              "jti": secrets.token_urlsafe(16), "sub": sub, "events": {EVENT: {}}}
    if sid:
        claims["sid"] = sid
    key = keys.signing_key
    return jwt.encode({"alg": "RS256", "kid": key.kid, "typ": "logout+jwt"}, claims, key)


def tell(keys: KeyRing, issuer: str, task: dict[str, Any]) -> None:
    """Sends the logout token. No answer or a server error: raised, so the task is retried; a
    refusal (4xx) is the app's to fix: logged, not retried."""
    token = logout_token(keys, issuer, task["client_id"], task["sid"], task["sub"])
    response = requests.post(task["uri"], data={"logout_token": token}, timeout=TIMEOUT_SECONDS,
                             allow_redirects=False, headers={"Cache-Control": "no-store"})
    if response.status_code >= 500:
        raise RuntimeError(f"back-channel logout to {task['client_id']}: HTTP {response.status_code}")
    if response.status_code >= 300:
        log.warning("back-channel logout refused by %s: HTTP %s", task["client_id"], response.status_code)
