"""The ENT's SAML service-provider endpoints (`/saml/…`): only when ÉduConnect is configured."""
from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, Flask, Response, abort, current_app
from saml2.config import SPConfig

from idp.services import EXTENSION as SERVICES

from . import educonnect

EXTENSION = "ent_idp_educonnect"
saml = Blueprint("saml", __name__)


@dataclass(frozen=True)
class EduConnect:
    config: SPConfig
    metadata: str
    """Signed once, at start: it changes only with the keys."""


def setup_federation(app: Flask) -> None:
    settings = app.extensions[SERVICES].settings
    if educonnect.enabled(settings):
        config = educonnect.service_provider(settings)
        app.extensions[EXTENSION] = EduConnect(config, educonnect.signed_metadata(config))
    app.register_blueprint(saml)


@saml.get(educonnect.METADATA_PATH)
def metadata() -> Response:
    provider: EduConnect | None = current_app.extensions.get(EXTENSION)
    if provider is None:
        abort(404)
    return Response(provider.metadata, mimetype="application/samlmetadata+xml")
