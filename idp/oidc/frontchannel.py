"""OpenID Connect Front-Channel Logout 1.0: each app that got a code in the browser session
that ended, and registered a front-channel logout URI, is loaded by the signed-out page in a
hidden frame, with `iss` and `sid`, so that it ends its own session in that browser."""
from __future__ import annotations

from urllib.parse import urlencode

from sqlalchemy import select

from idp.sessions import SsoSessions
from idp.store import AuthorizationCode, Client, Store


def frames(store: Store, issuer: str, session_digests: list[str]) -> list[str]:
    served = store.session.execute(
        select(Client.frontchannel_logout_uri, AuthorizationCode.sso_session)
        .join(AuthorizationCode, AuthorizationCode.client_id == Client.client_id)
        .where(AuthorizationCode.sso_session.in_(session_digests), Client.frontchannel_logout_uri.is_not(None))
        .distinct()).all()
    return [f"{uri}{'&' if '?' in uri else '?'}{urlencode({'iss': issuer, 'sid': SsoSessions.sid(session)})}"
            for uri, session in served if uri]
