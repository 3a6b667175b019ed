"""The ENT's SAML service-provider endpoints (`/saml/…`): only when ÉduConnect is configured."""
from __future__ import annotations

import secrets
from dataclasses import dataclass

from flask import Blueprint, Flask, Response, abort, current_app, redirect, request, session
from saml2 import BINDING_HTTP_REDIRECT
from saml2.client import Saml2Client
from saml2.config import SPConfig
from werkzeug.wrappers import Response as WerkzeugResponse

from idp.services import EXTENSION as SERVICES

from . import educonnect

EXTENSION = "ent_idp_educonnect"
PENDING = "educonnect"
"""In the flow cookie: the AuthnRequest sent (its id, for the response's InResponseTo), its
RelayState, and the interaction the sign-in serves."""
saml = Blueprint("saml", __name__)


@dataclass(frozen=True)
class EduConnect:
    config: SPConfig
    metadata: str
    """Signed once, at start: it changes only with the keys."""
    identity_provider: str
    """ÉduConnect's entity id, from its metadata."""


def setup_federation(app: Flask) -> None:
    settings = app.extensions[SERVICES].settings
    if educonnect.enabled(settings):
        config = educonnect.service_provider(settings)
        app.extensions[EXTENSION] = EduConnect(config, educonnect.signed_metadata(config),
                                               educonnect.identity_provider(config))
    app.register_blueprint(saml)


def _provider() -> EduConnect:
    provider: EduConnect | None = current_app.extensions.get(EXTENSION)
    if provider is None:
        abort(404)
    return provider


@saml.get(educonnect.LOGIN_PATH)
def login() -> WerkzeugResponse:
    """« Se connecter avec ÉduConnect »: a signed AuthnRequest, by HTTP-Redirect to ÉduConnect."""
    provider = _provider()
    relay_state = secrets.token_urlsafe(24)
    request_id, sent = Saml2Client(provider.config).prepare_for_authenticate(
        entityid=provider.identity_provider, relay_state=relay_state, binding=BINDING_HTTP_REDIRECT, sign=True)
    session[PENDING] = {"request_id": request_id, "relay_state": relay_state,
                        "interaction": request.args.get("interaction", "")[:100]}
    location = dict(sent["headers"])["Location"]
    response = redirect(location)
    response.headers["Cache-Control"] = "no-store"
    return response


@saml.get(educonnect.METADATA_PATH)
def metadata() -> Response:
    return Response(_provider().metadata, mimetype="application/samlmetadata+xml")
