"""Signing in with the national identities: the ENT as ÉduConnect's SAML service provider and
FranceConnect's OpenID Connect relying party. Apart from the protocols the ENT serves to the
college apps: here the ENT is the one that asks (idp.upstream takes the identity over)."""
from __future__ import annotations

from flask import Flask

from idp.services import EXTENSION as SERVICES


def setup_federation(app: Flask) -> None:
    """Each backend whose settings are there; the others have no endpoints (404), and their
    libraries are not even imported: pysaml2 weighs on every worker's memory."""
    settings = app.extensions[SERVICES].settings
    if settings.federation.educonnect.metadata:
        from .educonnect_endpoints import setup_educonnect
        setup_educonnect(app)
    if settings.federation.franceconnect.issuer:
        from .franceconnect import setup_franceconnect
        setup_franceconnect(app)
