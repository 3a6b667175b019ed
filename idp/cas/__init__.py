"""The CAS server (CAS protocol 3.0, Apereo) for the college apps that speak it: Pronote,
Moodle, GEPI. A frontend like `idp.oidc`: the registered apps (services.py), their tickets
(tickets.py), what they learn of a person (attributes.py) and the protocol's answers
(responses.py, endpoints.py), and the browser's side (login.py: /cas/login and /cas/logout), which
hands the person to the core's interactions to sign in."""
from __future__ import annotations

from flask import Flask

from idp.apps import AppLink, add_source
from idp.interactions import EXTENSION as INTERACTIONS
from idp.services import EXTENSION as SERVICES
from idp.single_logout import Channel

from . import single_logout
from .endpoints import cas
from .extension import EXTENSION, CasServer, cas_server
from .login import PROTOCOL, resume_login
from .services import ServiceRegistry, list_services, names_used_by
from .tickets import CasTickets


def setup_cas(app: Flask) -> None:
    provided = app.extensions[SERVICES]
    registry = ServiceRegistry(provided.store)
    tickets = CasTickets(provided.store, provided.settings, registry, provided.directory)
    app.extensions[EXTENSION] = CasServer(registry, tickets, provided.settings.issuer.rstrip("/"))
    app.extensions[INTERACTIONS].resume_with(PROTOCOL, resume_login)
    provided.single_logout.add_channel(Channel(
        apps_to_tell=lambda sessions, login: single_logout.apps_to_tell(provided.store, sessions, login),
        app_names=lambda sessions: single_logout.app_names(provided.store, sessions)))
    provided.tasks.register(single_logout.KIND, single_logout.tell)
    app.register_blueprint(cas)
    app.extensions["csrf"].exempt(cas)
    add_source(app, lambda account: [AppLink(record.name, record.home_url())
                                     for record in list_services(provided.store)  # fresh: a new app shows at once
                                     if not record.schools or set(record.schools) & set(account.schools)],
               used=lambda login: names_used_by(provided.store, login))


__all__ = ["CasServer", "cas_server", "setup_cas"]
