"""The identity a national service proved, kept in the flow cookie (idp.upstream)."""
from __future__ import annotations

from dataclasses import asdict

from flask import session

from idp import upstream
from idp.app import create_app
from idp.config import Settings
from idp.store.models import now


def test_an_identity_is_kept_for_a_while_and_a_cookie_of_another_release_does_not_break_it(
        settings: Settings) -> None:
    app = create_app(settings)
    identity = upstream.Identity("franceconnect", "sub-1", ("franceconnect",), given_name="Nathalie",
                                 linked_by_confirmation=True)
    with app.test_request_context("/"):
        session["federated"] = {**asdict(identity), "at": now()}
        assert upstream.arrived() == identity
        session["federated"] = {**asdict(identity), "at": now(), "named_later": "x"}
        assert upstream.arrived() == identity
        session["federated"] = {"provider": "educonnect", "amr": ["educonnect"], "at": now()}  # no subject
        assert upstream.arrived() is None
        session["federated"] = {**asdict(identity), "at": now() - upstream.LIFETIME - 1}
        assert upstream.arrived() is None
