"""The user flows, one blueprint each, plugged into the provider core by `register_flows`."""
from __future__ import annotations

from flask import Flask

from flows.account import account
from flows.activation import activation
from flows.administration import administration
from flows.consent import consent
from flows.federation import federation
from flows.help import parents_help
from flows.helpdesk import helpdesk
from flows.login import login
from flows.portal import portal
from flows.recovery import recovery
from idp.interactions import EXTENSION as INTERACTIONS
from idp.interactions import Need

ALL_FLOWS = (parents_help, portal, login, activation, consent, recovery, helpdesk, account, administration,
             federation)


def register_flows(app: Flask) -> None:
    """The blueprints, and the pages that serve the protocols' interactions."""
    for blueprint in ALL_FLOWS:
        app.register_blueprint(blueprint)
    pages = app.extensions[INTERACTIONS]
    pages.serve(Need.SIGN_IN, "login.form")
    pages.serve(Need.CONSENT, "consent.form")
    pages.serve(Need.HOME, "portal.home")
    pages.serve(Need.FEDERATED, "federation.arrived")
