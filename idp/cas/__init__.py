"""The CAS server (CAS protocol 3.0, Apereo) for the college apps that speak it: Pronote,
Moodle, GEPI. A frontend like `idp.oidc`: the registered apps (services.py), their tickets
(tickets.py), what they learn of a person (attributes.py) and the protocol's answers
(responses.py, endpoints.py). Signing in (/cas/login) and out (/cas/logout) belong to the flows."""
from __future__ import annotations

from dataclasses import dataclass

from flask import Flask

from idp.services import EXTENSION as SERVICES

from .endpoints import EXTENSION, cas
from .services import ServiceRegistry
from .tickets import CasTickets


@dataclass
class CasServer:
    """One app's CAS objects, in `app.extensions["ent_idp_cas"]`."""

    registry: ServiceRegistry
    tickets: CasTickets
    issuer: str
    """The provider's public base URL: the SAML assertions' Issuer."""


def setup_cas(app: Flask) -> None:
    provided = app.extensions[SERVICES]
    registry = ServiceRegistry(provided.store)
    tickets = CasTickets(provided.store, provided.settings, registry, provided.directory)
    app.extensions[EXTENSION] = CasServer(registry, tickets, provided.settings.issuer.rstrip("/"))
    app.register_blueprint(cas)
    app.extensions["csrf"].exempt(cas)


def cas_server(app: Flask) -> CasServer:
    return app.extensions[EXTENSION]


__all__ = ["CasServer", "cas_server", "setup_cas"]
