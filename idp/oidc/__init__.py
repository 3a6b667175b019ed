"""OpenID Connect on Authlib: discovery, keys, grants, endpoints. It never renders a
login page: it hands its request to the core's interactions (idp.interactions), which
give it back once a flow signed the person in."""
from __future__ import annotations

from flask import Flask

from idp.apps import add_source
from idp.interactions import EXTENSION as INTERACTIONS
from idp.services import EXTENSION as EXTENSION_OF_SERVICES
from idp.services import services
from idp.single_logout import Channel


def setup_oidc(app: Flask) -> None:
    """Authlib's server on the app, the endpoints, how a kept authorization request is
    answered, back- and front-channel logout, CORS for public clients, and the ENT's own OIDC apps on the home
    page."""
    from idp.clients import college_apps, names_used_by

    from . import backchannel, frontchannel
    from .cors import setup_cors
    from .endpoints import PROTOCOL, oidc, resume_authorization

    built = app.extensions[EXTENSION_OF_SERVICES]
    built.provider.init_app(app)
    built.single_logout.add_channel(Channel(
        apps_to_tell=lambda sessions, login: backchannel.apps_to_tell(built.store, sessions, login),
        app_names=lambda sessions: backchannel.app_names(built.store, sessions),
        frames=lambda sessions: frontchannel.frames(built.store, built.provider.issuer, sessions)))
    built.tasks.register(backchannel.KIND, lambda task: backchannel.tell(built.provider.keys, built.provider.issuer,
                                                                         task))
    app.extensions[INTERACTIONS].resume_with(PROTOCOL, resume_authorization)
    app.register_blueprint(oidc)
    app.extensions["csrf"].exempt(oidc)
    setup_cors(app, built.store)
    add_source(app, lambda account: college_apps(services().store, account.schools),
               used=lambda login: names_used_by(services().store, login))
