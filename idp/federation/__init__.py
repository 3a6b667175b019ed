"""Signing in with the national identities: the ENT as ÉduConnect's SAML service provider and
FranceConnect's OpenID Connect relying party. Apart from the protocols the ENT serves to the
college apps: here the ENT is the one that asks (idp.upstream takes the identity over)."""
from __future__ import annotations

from flask import Flask


def setup_federation(app: Flask) -> None:
    """Each backend whose settings are there (their endpoints answer 404 otherwise)."""
    from .educonnect_endpoints import setup_educonnect
    from .franceconnect import setup_franceconnect

    setup_educonnect(app)
    setup_franceconnect(app)
