"""Interactions: a protocol needs a person, and the flows' pages provide one.

A protocol (OpenID Connect, CAS…) states what it demands of the person (`Demands`) and asks
`person_for` whether the browser's session meets them. When it does not, the protocol hands
its request to `ask`, which keeps it in the browser's signed flow cookie (any instance can
pick it up) and sends the person to the page a flow registered for that need. Once the flow
is done (signed in, consent decided) it calls `resume`, which gives the kept request back to
the protocol through the callback the protocol registered, in the response of the flow's
last step: no round trip through the protocol's endpoint.

So protocols never name a flow's page, and flows never know which protocol asked.
"""
from __future__ import annotations

import enum
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app, redirect, session, url_for
from werkzeug.wrappers import Response

from idp.services import services
from idp.sessions import SignedIn
from idp.store import consents
from idp.store.models import now

EXTENSION = "ent_idp_interactions"
_KEY = "interactions"
_LIFETIME = 1800
"""Seconds a person has to sign in (or decide) before the app's request is forgotten."""
_KEPT = 5
"""Requests kept at once per browser (several tabs, several apps)."""


class Need(enum.StrEnum):
    SIGN_IN = "sign-in"
    CONSENT = "consent"
    HOME = "home"
    """Not an interaction: where a flow sends the person when no app waits any more."""
    FEDERATED = "federated"
    """Nor this one: where a national identity's backend sends the person it identified
    (idp.upstream), for a flow to find their account."""


@dataclass(frozen=True)
class ConsentWanted:
    """An app outside the ENT wants to know the person: asked once per app and scope."""

    app_id: str
    scope: str
    ask_again: bool = False


@dataclass(frozen=True)
class Demands:
    """What a protocol's request demands of the person signed in."""

    fresh: bool = False
    """A sign-in made for this very request (OIDC prompt=login, CAS renew)."""
    max_age: int | None = None
    """Seconds since the sign-in, at most."""
    subject: str | None = None
    """The person must be this one (an ID token hint's `sub`)."""
    consent: ConsentWanted | None = None


@dataclass(frozen=True)
class Interaction:
    """A protocol's request waiting for the person."""

    id: str
    protocol: str
    started: int
    request: dict[str, str]
    """The protocol's own parameters, given back to it by `resume`."""
    app_name: str
    consent_wanted: ConsentWanted | None = None
    """What the consent page asks the person to allow."""
    consent_given: bool = False
    denied: bool = False


@dataclass(frozen=True)
class Verdict:
    """`person` meets the demands when `need` is None."""

    person: SignedIn | None
    need: Need | None = None


Answer = Response | tuple[str, int]
"""What a protocol answers a browser: a response, or a page with its status."""
Resumer = Callable[[Interaction], Answer]


@dataclass
class Interactions:
    """Which flow page serves each need and which protocol resumes each kind of request:
    filled in by the flows and the protocols as the app is built."""

    pages: dict[Need, str] = field(default_factory=dict)
    resumers: dict[str, Resumer] = field(default_factory=dict)

    def serve(self, need: Need, endpoint: str) -> None:
        self.pages[need] = endpoint

    def resume_with(self, protocol: str, resumer: Resumer) -> None:
        self.resumers[protocol] = resumer


def setup_interactions(app: Flask) -> Interactions:
    registry = app.extensions[EXTENSION] = Interactions()
    app.jinja_env.globals["home_url"] = home_url
    return registry


def home_url() -> str:
    """The ENT's home page, wherever a protocol's page links to it."""
    return page_url(Need.HOME)


def page_url(need: Need, **values: Any) -> str:
    """The flow page serving `need`."""
    return url_for(_registry().pages[need], **values)


def sign_in_url() -> str:
    """The sign-in page, for a person who comes with no app's request."""
    return page_url(Need.SIGN_IN)


def _registry() -> Interactions:
    return current_app.extensions[EXTENSION]


def person_for(demands: Demands, waiting: Interaction | None) -> Verdict:
    """Whether the person signed in in this browser meets `demands`, or what they still
    need to do. A request that `waiting` kept is met by a sign-in made after it started,
    and by the consent given on its behalf."""
    signed_in = services().sessions.current()
    if signed_in is None or _must_sign_in_again(signed_in, demands, waiting):
        return Verdict(signed_in, Need.SIGN_IN)
    wanted = demands.consent
    if wanted is not None and not (waiting is not None and waiting.consent_given) and (
            wanted.ask_again or not consents.covers(services().store, signed_in.login, wanted.app_id, wanted.scope)):
        return Verdict(signed_in, Need.CONSENT)
    return Verdict(signed_in)


def _must_sign_in_again(signed_in: SignedIn, demands: Demands, waiting: Interaction | None) -> bool:
    if waiting is not None and signed_in.auth_time >= waiting.started:
        return False
    if demands.fresh:
        return True
    if demands.max_age is not None and now() - signed_in.auth_time >= demands.max_age:
        return True
    return demands.subject is not None and demands.subject != signed_in.sub


def ask(protocol: str, need: Need, request: dict[str, str], app_name: str, *,
        login_hint: str | None = None, consent: ConsentWanted | None = None) -> Response:
    """Keeps the protocol's request and sends the person to the page serving `need`."""
    kept = {key: value for key, value in session.get(_KEY, {}).items() if now() - value["started"] < _LIFETIME}
    interaction_id = secrets.token_urlsafe(12)
    kept[interaction_id] = {"protocol": protocol, "started": now(), "request": request, "app_name": app_name}
    if consent is not None:
        kept[interaction_id]["consent"] = {"app_id": consent.app_id, "scope": consent.scope}
    session[_KEY] = dict(sorted(kept.items(), key=lambda item: item[1]["started"])[-_KEPT:])
    hint: dict[str, Any] = {"login_hint": login_hint} if login_hint and need is Need.SIGN_IN else {}
    return redirect(url_for(_registry().pages[need], interaction=interaction_id, **hint))


def pending(interaction_id: str | None) -> Interaction | None:
    """The request kept under this id in this browser, while it is still worth answering."""
    value = session.get(_KEY, {}).get(interaction_id or "")
    if value is None or now() - value["started"] >= _LIFETIME or "protocol" not in value:
        return None
    wanted = value.get("consent")
    return Interaction(interaction_id or "", value["protocol"], value["started"], value["request"],
                       value["app_name"], ConsentWanted(wanted["app_id"], wanted["scope"]) if wanted else None,
                       value.get("consent_given", False), value.get("denied", False))


def record(interaction_id: str, *, consent_given: bool = False, denied: bool = False) -> None:
    """What the person decided on the consent page."""
    kept = dict(session.get(_KEY, {}))
    if interaction_id in kept:
        kept[interaction_id] = {**kept[interaction_id], "consent_given": consent_given, "denied": denied}
        session[_KEY] = kept


def finish(interaction_id: str) -> None:
    """Forgets a request once its protocol answered it."""
    kept = dict(session.get(_KEY, {}))
    if kept.pop(interaction_id, None) is not None:
        session[_KEY] = kept


def resume(interaction_id: str | None) -> Answer:
    """The answer to the request that waited (the app's redirect, or the next page the
    protocol needs); the home page when nothing waits any more."""
    waiting = pending(interaction_id)
    registry = _registry()
    resumer = registry.resumers.get(waiting.protocol) if waiting else None
    if waiting is None or resumer is None:
        return redirect(home_url())
    return resumer(waiting)
