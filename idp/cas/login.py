"""/cas/login and /cas/logout (CAS protocol 3.0 §2.1–2.3): the browser's side of CAS.

/cas/login gives the person's browser a service ticket to take back to the app, on the SSO
session the OpenID Connect side uses too. When the session does not meet the request
(nobody signed in, `renew=true`), the request is handed to the core's interactions, which
bring it back here once a flow signed the person in; `gateway=true` goes back to the app
without a ticket instead. An unknown service gets a page on the ENT, never a redirect.
"""
from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from flask import redirect, render_template, request
from flask_babel import gettext
from werkzeug.wrappers import Response

from idp import interactions
from idp.audit import audit
from idp.directory import Account, AccountState
from idp.interactions import Answer, Demands, Interaction, Need
from idp.services import services
from idp.sessions import SignedIn

from .endpoints import cas
from .extension import cas_server
from .services import RegisteredService

PROTOCOL = "cas"


@cas.route("/login", methods=["GET", "POST"])
def login() -> Answer:
    params = {name: request.values[name] for name in ("service", "renew", "gateway", "method")
              if request.values.get(name)}
    return answer_login(params)


def resume_login(waiting: Interaction) -> Answer:
    """The /cas/login request kept while the person signed in, answered now."""
    return answer_login(waiting.request, waiting)


def answer_login(params: dict[str, str], waiting: Interaction | None = None) -> Answer:
    service_url = params.get("service", "")
    if not service_url:  # §2.1.1: no app asked; the ENT itself
        signed_in = services().sessions.current()
        return redirect(interactions.home_url() if signed_in else interactions.sign_in_url())
    registered = cas_server().registry.match(service_url)
    if registered is None:
        audit("cas.service_refused", outcome="refused", service=service_url[:200])
        return render_template("sign_in_impossible.html", error=gettext(
            "Cette application n’est pas enregistrée auprès de l’ENT.")), 400
    renew = _is_set(params.get("renew"))
    gateway = _is_set(params.get("gateway")) and not renew  # §2.1.1: renew wins
    verdict = interactions.person_for(Demands(fresh=renew), waiting)
    account = _usable_account(verdict.person) if verdict.need is None else None
    if account is None:
        if gateway:
            return redirect(service_url)
        return interactions.ask(PROTOCOL, Need.SIGN_IN, params, registered.name)
    if waiting is not None:
        interactions.finish(waiting.id)
    signed_in = verdict.person
    assert signed_in is not None  # met the demands
    ticket = cas_server().tickets.issue_service_ticket(
        service_url, registered, account, new_login=waiting is not None and signed_in.auth_time >= waiting.started,
        session_digest=signed_in.session_digest, authenticated_at=signed_in.auth_time, remembered=signed_in.remember,
        methods=signed_in.amr)
    audit("cas.ticket_issued", login=account.login, client=registered.id)
    return _back_to(service_url, ticket, registered, post=params.get("method", "").upper() == "POST")


@cas.route("/logout", methods=["GET", "POST"])
def logout() -> Response | str:
    """§2.3: ends the browser's SSO session (the same one OpenID Connect apps use), then goes
    back to `service` when it is a registered CAS app, or says the person is signed out."""
    signed_in = services().sessions.current()
    login = services().sessions.end_current()
    if login:
        audit("session.ended", login=login, client="cas")
    service_url = request.values.get("service", "")
    if service_url and cas_server().registry.match(service_url) is not None:
        return redirect(service_url)
    return services().single_logout.signed_out_page(signed_in.session_digest if signed_in else None)


def _is_set(value: str | None) -> bool:
    """§2.1.1: `renew` and `gateway` count when set (`true` recommended), unless plainly false."""
    return value is not None and value.lower() not in ("", "false", "0")


def _usable_account(signed_in: SignedIn | None) -> Account | None:
    """The directory's entry of the person signed in, unless it was locked, reset to pending
    or deleted since: no ticket for it (the attributes are read from it anyway)."""
    if signed_in is None:
        return None
    account = signed_in.account or services().directory.find(signed_in.login)
    if account is None or account.state is not AccountState.ACTIVE:
        return None
    return account


def _back_to(service_url: str, ticket: str, registered: RegisteredService, *, post: bool) -> Response:
    """The service URL with the ticket (§2.1.1: `ticket=` added to its query), or, with
    `method=POST`, a form that posts it there."""
    if post:
        response = Response(render_template("cas/post_ticket.html", service=service_url, ticket=ticket,
                                            app_name=registered.name))
        response.headers["Cache-Control"] = "no-store"
        return response
    parts = urlsplit(service_url)
    query = f"{parts.query}&ticket={ticket}" if parts.query else f"ticket={ticket}"
    return redirect(urlunsplit(parts._replace(query=query)))
