"""Signing in through a national identity (ÉduConnect, FranceConnect), whichever it is.

A federation backend (idp.federation) checks the upstream provider's answer, then hands the
identity it proved to `arrive`, which keeps it in the flow cookie for a few minutes and sends
the person to the flow page serving Need.FEDERATED. That page finds the ENT account
(`accounts_for`, `pivot_match`), has the person choose, confirm or activate it, and signs them
in with `sign_in`, which also keeps what the upstream's logout needs. So the flows never know
SAML from OpenID Connect, and the backends draw no page but `failed`.

On « Se déconnecter », `leave` gives the redirect that ends the upstream session too (the
backend registered it); the upstream sends the person back to the backend, which shows the
signed-out page.
"""
from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields

from flask import Flask, current_app, redirect, render_template, session
from werkzeug.wrappers import Response

from idp import interactions
from idp.audit import audit
from idp.directory import Account, AccountState, Profile
from idp.i18n import _l
from idp.interactions import Need
from idp.services import EXTENSION as SERVICES
from idp.services import services
from idp.sessions import SignedIn
from idp.store import federation
from idp.store.federation import Upstream
from idp.store.models import now

EXTENSION = "ent_idp_upstream"
_KEY = "federated"
LIFETIME = 900
"""Seconds the person has, once identified, to choose or confirm their account."""
PROVIDER_NAMES = {"educonnect": "ÉduConnect", "franceconnect": "FranceConnect"}


@dataclass(frozen=True)
class Identity:
    """Who the upstream provider says the person is."""

    provider: str
    subject: str
    """Its stable name for the person (SAML NameID or FrEduCtId, OpenID `sub`)."""
    amr: tuple[str, ...]
    """How the ENT session will say it was signed in (`amr` of ID tokens)."""
    join_keys: tuple[str, ...] = ()
    """The académie's identifiers it carries (ÉduConnect): they name the accounts."""
    linked_by_confirmation: bool = False
    """It names no account by itself (FranceConnect): the person confirms theirs once, with its
    password or its letter's code, and the link is kept. Adults' identities: never a pupil's account."""
    given_name: str = ""
    family_name: str = ""
    birthdate: str = ""
    """YYYY-MM-DD (FranceConnect's pivot identity)."""
    email: str = ""
    logout: dict[str, str] = field(default_factory=dict)
    """What the backend needs to end the upstream session."""
    interaction: str | None = None
    """The app's request the sign-in serves."""

    @property
    def provider_name(self) -> str:
        return PROVIDER_NAMES.get(self.provider, self.provider)


Leave = Callable[[Upstream], Response]
"""A backend's logout at its upstream: the redirect that ends that session there."""


@dataclass
class Upstreams:
    leaves: dict[str, Leave] = field(default_factory=dict)
    """The providers configured (their buttons are shown), each with its logout."""


def setup_upstreams(app: Flask) -> Upstreams:
    """After the services: the single logout asks here whether to end an upstream session too."""
    registry = app.extensions[EXTENSION] = Upstreams()
    app.extensions[SERVICES].single_logout.leave_upstream = leave
    app.jinja_env.globals["upstream_enabled"] = is_enabled
    return registry


def _registry() -> Upstreams:
    return current_app.extensions[EXTENSION]


EXPIRED = _l("Le délai de connexion est dépassé : reprenez la connexion depuis le début.")
"""A sign-in through a national identity that took too long (LIFETIME), wherever it is said."""
_FAILURES = {
    "cancelled": _l("La connexion avec %(provider)s a été annulée."),
    "unavailable": _l("%(provider)s ne répond pas pour le moment. Réessayez dans quelques minutes, ou connectez-vous "
                      "avec votre identifiant ENT."),
    "invalid": _l("La réponse de %(provider)s n’a pas pu être vérifiée : vous n’êtes pas connecté. Reprenez la "
                  "connexion depuis le début."),
    "expired": EXPIRED,
}


def failed(provider: str, reason: str, interaction: str | None, status: int = 400) -> tuple[str, int]:
    """The page of a sign-in through `provider` that did not succeed (nothing is linked, nobody
    signed in), with the way back to the ENT's own sign-in."""
    forget()
    problem = str(_FAILURES[reason]) % {"provider": PROVIDER_NAMES.get(provider, provider)}
    return render_template("upstream_failed.html", provider=PROVIDER_NAMES.get(provider, provider), problem=problem,
                           sign_in=interactions.page_url(Need.SIGN_IN, interaction=interaction)), status


def arrive(identity: Identity) -> Response:
    """Keeps the proven identity in the flow cookie and sends the person to the flow that signs
    them in with it."""
    session[_KEY] = {**asdict(identity), "at": now()}
    return redirect(interactions.page_url(Need.FEDERATED))


def arrived() -> Identity | None:
    """The identity proven in this browser a few minutes ago, if any."""
    kept = session.get(_KEY)
    if not kept or now() - kept.get("at", 0) > LIFETIME:
        return None
    known = {item.name for item in fields(Identity)}  # a cookie of another release may name others
    values = {key: value for key, value in kept.items() if key in known}
    try:
        return Identity(**{**values, "amr": tuple(values["amr"]), "join_keys": tuple(values.get("join_keys", ()))})
    except (KeyError, TypeError):
        return None


def forget() -> None:
    session.pop(_KEY, None)


def accounts_for(identity: Identity) -> list[Account]:
    """The ENT accounts this identity already leads to, disabled ones left out: the accounts of
    its join keys (ÉduConnect), or the account linked to it (FranceConnect)."""
    directory = services().directory
    if not identity.linked_by_confirmation:
        found = {account.login: account for key in identity.join_keys
                 if (account := directory.find_by_join_key(key)) is not None}
        accounts = list(found.values())
    else:
        login = federation.linked_login(services().store, identity.provider, identity.subject)
        linked = directory.find(login) if login else None
        accounts = [linked] if linked is not None else []
    return [account for account in accounts if account.stored_state is not AccountState.DISABLED]


def pivot_match(identity: Identity) -> Account | None:
    """The one parent of the directory with this identity's family name, first given name and
    birth date (accents, case and hyphens aside); None when there is none, or several."""
    if not (identity.birthdate and identity.family_name and identity.given_name):
        return None
    first_given = _plain(identity.given_name.split()[0])
    matches = [account for account in services().directory.find_by_birth_date(identity.birthdate, Profile.PARENT)
               if account.stored_state is not AccountState.DISABLED
               and _plain(account.surname) == _plain(identity.family_name)
               and _plain(account.given_name.split()[0] if account.given_name else "") == first_given]
    return matches[0] if len(matches) == 1 else None


def _plain(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(char for char in decomposed if char.isalnum())


def link(identity: Identity, account: Account) -> None:
    """Remembers that this identity is this person's (FranceConnect): next time, no confirmation."""
    federation.link(services().store, identity.provider, identity.subject, account.login)
    audit("federation.linked", login=account.login, provider=identity.provider)


def is_enabled(provider: str) -> bool:
    return provider in _registry().leaves


def links_of(login: str) -> list[federation.Link]:
    return federation.links_of(services().store, login)


def unlink(login: str, provider: str, actor: str) -> bool:
    removed = federation.unlink(services().store, provider, login)
    if removed:
        audit("federation.unlinked", login=login, provider=provider, actor=actor)
    return removed


def sign_in(account: Account, identity: Identity) -> SignedIn:
    """Signs the browser in as `account`, through `identity`."""
    signed_in = services().sessions.start(account, amr=list(identity.amr), remember=False)
    if signed_in.session_digest:
        federation.record_session(services().store, signed_in.session_digest, identity.provider,
                                  identity.subject, identity.logout)
    forget()
    audit("login.succeeded", login=account.login, provider=identity.provider)
    return signed_in


PROVEN_SECONDS = 600
"""How long after a sign-in through a national identity it stands for the ENT password (« Mon compte »)."""


def proven_recently(signed_in: SignedIn) -> str | None:
    """The national identity this browser signed in with a few minutes ago, by name, if any."""
    names = [PROVIDER_NAMES[provider] for provider in signed_in.amr if provider in PROVIDER_NAMES]
    return names[0] if names and now() - signed_in.auth_time < PROVEN_SECONDS else None


def leave(session_digest: str | None) -> Response | None:
    """The redirect ending the upstream session the browser session came through (once: the
    record is gone after), or None when there is none to end."""
    if not _registry().leaves:  # no national identity configured: no upstream session to look for
        return None
    upstream = federation.take_session(services().store, session_digest)
    leave_at = _registry().leaves.get(upstream.provider) if upstream else None
    return leave_at(upstream) if upstream and leave_at else None
