"""The user flows, one blueprint each, plugged into the provider core by `register_flows`."""
from __future__ import annotations

from flask import Flask

from flows.activation import activation
from flows.consent import consent
from flows.login import login
from flows.portal import portal
from flows.recovery import recovery

ALL_FLOWS = (portal, login, activation, consent, recovery)


def register_flows(app: Flask) -> None:
    for blueprint in ALL_FLOWS:
        app.register_blueprint(blueprint)
