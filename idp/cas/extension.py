"""The app's CAS objects, built once by `setup_cas` and reached from any CAS view."""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from .services import ServiceRegistry
from .tickets import CasTickets

EXTENSION = "ent_idp_cas"


@dataclass
class CasServer:
    """One app's CAS objects, in `app.extensions[EXTENSION]`."""

    registry: ServiceRegistry
    tickets: CasTickets
    issuer: str
    """The provider's public base URL: the SAML assertions' Issuer."""


def cas_server() -> CasServer:
    return current_app.extensions[EXTENSION]
