"""Interactions: when an authorization request needs a person (sign in, consent), the
protocol hands it to a flow and resumes once the flow reports back.

The pending request lives in the browser's signed flow cookie, so any instance can
resume it. Flows only call `pending(interaction_id)` and, once done, `resume(interaction_id)`.
"""
from __future__ import annotations

import io
import secrets
from dataclasses import dataclass
from urllib.parse import urlencode

from flask import Request, Response, redirect, request, session, url_for

from idp.store.models import now

_KEY = "interactions"
_LIFETIME = 1800
_KEPT = 5


@dataclass(frozen=True)
class Interaction:
    id: str
    started: int
    params: dict[str, str]
    client_name: str
    consent_given: bool = False
    denied: bool = False


def start(params: dict[str, str], client_name: str) -> Interaction:
    """Remembers an authorization request that waits for the person."""
    pending_ones = {key: value for key, value in session.get(_KEY, {}).items() if now() - value["started"] < _LIFETIME}
    interaction_id = secrets.token_urlsafe(12)
    pending_ones[interaction_id] = {"started": now(), "params": params, "client_name": client_name}
    session[_KEY] = dict(sorted(pending_ones.items(), key=lambda item: item[1]["started"])[-_KEPT:])
    return pending(interaction_id)  # type: ignore[return-value]


def pending(interaction_id: str | None) -> Interaction | None:
    value = session.get(_KEY, {}).get(interaction_id or "")
    if value is None or now() - value["started"] >= _LIFETIME:
        return None
    return Interaction(interaction_id, value["started"], value["params"], value["client_name"],
                       value.get("consent_given", False), value.get("denied", False))


def record(interaction_id: str, *, consent_given: bool = False, denied: bool = False) -> None:
    """What the person decided on the consent page."""
    pending_ones = dict(session.get(_KEY, {}))
    if interaction_id in pending_ones:
        pending_ones[interaction_id] = {**pending_ones[interaction_id], "consent_given": consent_given,
                                        "denied": denied}
        session[_KEY] = pending_ones


def finish(interaction_id: str) -> None:
    pending_ones = dict(session.get(_KEY, {}))
    if pending_ones.pop(interaction_id, None) is not None:
        session[_KEY] = pending_ones


def resume(interaction_id: str) -> Response:
    """Answers the authorization request that waited, in the response of the flow's last
    step: the app's redirect URI with a code (or an error), or the next step (consent).
    No round trip back to /authorize. Home when nothing waits any more."""
    interaction = pending(interaction_id)
    if interaction is None:
        return redirect(url_for("portal.home"))
    from .endpoints import answer_authorization  # the endpoints use this module

    authorize = url_for("oidc.authorize")
    resumed = Request({
        **request.environ, "REQUEST_METHOD": "GET", "PATH_INFO": authorize[len(request.script_root):],
        "QUERY_STRING": urlencode({**interaction.params, "interaction": interaction_id}),
        "CONTENT_TYPE": "", "CONTENT_LENGTH": "0", "wsgi.input": io.BytesIO(),
    })
    return answer_authorization(resumed)
