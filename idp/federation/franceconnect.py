"""FranceConnect: the ENT as an OpenID Connect relying party, with Authlib's Flask client.

« S'identifier avec FranceConnect » sends the person to FranceConnect with `state`, `nonce`
and `acr_values`; the way back (/franceconnect/retour) exchanges the code, checks the ID
token (signature against FranceConnect's keys, `iss`, `aud`, `nonce`, `exp`, `acr`), reads
the userinfo (a signed JWT in FranceConnect v2, or JSON) and hands the pivot identity to the
flows (idp.upstream). Signing out of the ENT signs out of FranceConnect too.
"""
from __future__ import annotations

import logging
import secrets
from typing import Any
from urllib.parse import urlencode

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.flask_client import OAuth
from flask import Blueprint, Flask, abort, current_app, redirect, request, session, url_for
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from werkzeug.wrappers import Response

from idp import upstream
from idp.audit import audit
from idp.config import Settings
from idp.services import EXTENSION as SERVICES
from idp.services import services
from idp.store.federation import Upstream

PROVIDER = "franceconnect"
EXTENSION = "ent_idp_franceconnect"
SCOPE = "openid given_name family_name birthdate birthplace gender email"
"""The pivot identity (FranceConnect names each claim's scope after it)."""
PENDING = "franceconnect"
"""In the flow cookie: the interaction the sign-in serves (Authlib keeps state and nonce)."""
TIMEOUT = 10
franceconnect = Blueprint("franceconnect", __name__, url_prefix="/franceconnect")
log = logging.getLogger(__name__)


def setup_franceconnect(app: Flask) -> None:
    chosen = app.extensions[SERVICES].settings.federation.franceconnect
    oauth = OAuth(app)
    oauth.register(
        PROVIDER, client_id=chosen.client_id, client_secret=chosen.client_secret,
        server_metadata_url=chosen.issuer.rstrip("/") + "/.well-known/openid-configuration",
        client_kwargs={"scope": SCOPE, "token_endpoint_auth_method": "client_secret_post", "timeout": TIMEOUT})
    app.extensions[EXTENSION] = oauth
    registry = app.extensions[upstream.EXTENSION]
    registry.leaves[PROVIDER] = _leave
    app.register_blueprint(franceconnect)


def _client() -> Any:
    oauth: OAuth | None = current_app.extensions.get(EXTENSION)
    if oauth is None:
        abort(404)
    return oauth.create_client(PROVIDER)


def _settings() -> Settings:
    return services().settings


def _back_url(endpoint: str) -> str:
    return _settings().issuer.rstrip("/") + url_for(endpoint)


@franceconnect.get("/connexion")
def login() -> Response | tuple[str, int]:
    """« S'identifier avec FranceConnect »."""
    client = _client()
    interaction = request.args.get("interaction", "")[:100] or None
    session[PENDING] = {"interaction": interaction}
    try:
        return client.authorize_redirect(_back_url("franceconnect.back"),
                                         acr_values=_settings().federation.franceconnect.acr_values)
    except (requests.RequestException, ValueError) as error:  # the discovery document, unreachable or unreadable
        log.warning("FranceConnect unavailable: %s", error)
        return upstream.failed(PROVIDER, "unavailable", interaction, 503)


@franceconnect.get("/retour")
def back() -> Response | tuple[str, int]:
    """FranceConnect's answer: the code, or the person's cancellation."""
    client = _client()
    interaction = (session.pop(PENDING, None) or {}).get("interaction")
    if request.args.get("error") == "access_denied":
        audit("federation.cancelled", provider=PROVIDER, outcome="failure")
        return upstream.failed(PROVIDER, "cancelled", interaction)
    acr = _settings().federation.franceconnect.acr_values
    try:
        metadata = client.load_server_metadata()
        token = client.authorize_access_token(claims_options={
            "iss": {"essential": True, "values": [metadata["issuer"]]},
            "acr": {"essential": True, "values": acr.split()}})
        claims = _userinfo(client, metadata, token)
    except requests.RequestException as error:
        log.warning("FranceConnect unavailable: %s", error)
        return upstream.failed(PROVIDER, "unavailable", interaction, 503)
    except (AuthlibBaseError, JoseError, KeyError, ValueError) as error:
        log.warning("FranceConnect answer refused: %s", error)
        audit("federation.refused", provider=PROVIDER, outcome="refused", reason=str(error)[:300])
        return upstream.failed(PROVIDER, "invalid", interaction)
    userinfo = token.get("userinfo") or {}
    if claims.get("sub") != userinfo.get("sub"):
        audit("federation.refused", provider=PROVIDER, outcome="refused", reason="userinfo of another sub")
        return upstream.failed(PROVIDER, "invalid", interaction)
    return upstream.arrive(upstream.Identity(
        provider=PROVIDER, subject=str(claims["sub"]), amr=(PROVIDER,), linked_by_confirmation=True,
        given_name=str(claims.get("given_name", "")), family_name=str(claims.get("family_name", "")),
        birthdate=str(claims.get("birthdate", "")), email=str(claims.get("email", "")),
        logout={"id_token": token["id_token"]}, interaction=interaction))


def _userinfo(client: Any, metadata: dict[str, Any], token: dict[str, Any]) -> dict[str, Any]:
    """FranceConnect v2 signs the userinfo (application/jwt): checked with its keys, for this ENT."""
    answer = client.get(metadata["userinfo_endpoint"], token=token, timeout=TIMEOUT)
    answer.raise_for_status()
    if answer.headers.get("Content-Type", "").split(";")[0].strip() != "application/jwt":
        return dict(answer.json())
    decoded = jwt.decode(answer.text, KeySet.import_key_set(client.fetch_jwk_set()))
    registry = jwt.JWTClaimsRegistry(iss={"essential": True, "value": metadata["issuer"]},
                                     aud={"essential": True, "value": client.client_id})
    registry.validate(decoded.claims)
    return dict(decoded.claims)


def _leave(session_started: Upstream) -> Response:
    """The ENT's « Se déconnecter »: FranceConnect's end of session, which comes back here."""
    client = _client()
    try:
        end_session = client.load_server_metadata()["end_session_endpoint"]
    except (requests.RequestException, KeyError, ValueError) as error:
        log.warning("FranceConnect logout unavailable: %s", error)
        return services().single_logout.back_from_upstream(upstream.PROVIDER_NAMES[PROVIDER])
    # FranceConnect requires a state; none is checked on the way back: the ENT session is already over.
    state = secrets.token_urlsafe(24)
    query = urlencode({"id_token_hint": session_started.logout["id_token"], "state": state,
                       "post_logout_redirect_uri": _back_url("franceconnect.signed_out")})
    response = redirect(f"{end_session}?{query}")
    response.headers["Cache-Control"] = "no-store"
    return response


@franceconnect.get("/deconnexion")
def signed_out() -> Response:
    """Back from FranceConnect's logout: the ENT's signed-out page."""
    return services().single_logout.back_from_upstream(upstream.PROVIDER_NAMES[PROVIDER])
