"""CAS single logout (CAS protocol 3.0 §2.3.3): each app a browser session that ended got a
ticket for receives a SAML `LogoutRequest` naming that ticket (`SessionIndex`), POSTed as the
form field `logoutRequest`, as phpCAS, mod_auth_cas and the Java CAS client read it."""
from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape

import requests
from sqlalchemy import select

from idp.store import Store
from idp.store.cas import CasService, CasTicket

from .tickets import PT, ST

KIND = "cas.single_logout"
TIMEOUT_SECONDS = 5
SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"


def apps_to_tell(store: Store, session_digests: list[str], login: str) -> list[tuple[str, dict[str, Any]]]:
    """One task per ticket an app validated in those sessions."""
    spent = store.session.execute(
        select(CasTicket.service, CasTicket.session_index)
        .where(CasTicket.session_digest.in_(session_digests), CasTicket.kind.in_((ST, PT)),
               CasTicket.session_index.is_not(None))).all()
    return [(KIND, {"service": service, "session_index": index}) for service, index in spent]


def app_names(store: Store, session_digests: list[str]) -> list[str]:
    return list(store.session.scalars(
        select(CasService.name).join(CasTicket, CasTicket.service_id == CasService.id)
        .where(CasTicket.session_digest.in_(session_digests), CasTicket.session_index.is_not(None)).distinct()))


def logout_request(session_index: str) -> str:
    """The request as CAS servers word it: clients find the ticket by the literal prefixes
    `samlp:` and `saml:` (phpCAS reads it with a regular expression)."""
    moment = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return (f'<samlp:LogoutRequest xmlns:samlp="{SAMLP}" xmlns:saml="{SAML}" ID="LR-{secrets.token_hex(16)}" '
            f'Version="2.0" IssueInstant="{moment}"><saml:NameID>@NOT_USED@</saml:NameID>'
            f"<samlp:SessionIndex>{escape(session_index)}</samlp:SessionIndex></samlp:LogoutRequest>")


def tell(task: dict[str, Any]) -> None:
    """Any HTTP answer counts as delivered (an app without single logout answers what it
    answers); no answer at all is raised, so the task is retried."""
    requests.post(task["service"], data={"logoutRequest": logout_request(task["session_index"])},
                  timeout=TIMEOUT_SECONDS, allow_redirects=False)
