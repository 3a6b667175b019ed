"""« Télécharger mes données » (RGPD articles 15 and 20): what the ENT holds on the person,
as a JSON file."""
from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from flask import current_app, make_response
from werkzeug.wrappers import Response

from flows.account import account
from flows.account.common import signed_in_only
from idp.apps import apps_used_by
from idp.audit import EXTENSION as AUDIT_EXTENSION
from idp.audit import audit, read_events
from idp.directory import Account
from idp.services import services
from idp.sessions import SignedIn
from idp.store import consents

EXPORTED_EVENT_DAYS = 90
"""How far back the person's security events go."""


@account.get("/compte/mes-donnees")
@signed_in_only
def my_data(signed_in: SignedIn) -> Response:
    """What the ENT holds on the person, as JSON (never a secret: no password, code, cookie,
    token or digest)."""
    person = services().directory.get(signed_in.login)
    data = {
        "generated_at": _iso(datetime.now(UTC).timestamp()),
        "account": _account_data(person),
        "sessions": [{"since": _iso(device.since), "last_seen": _iso(device.last_seen), "remember": device.remember,
                      "device": device.user_agent, "address": device.address}
                     for device in services().sessions.open_sessions(signed_in.login)],
        "apps_used": apps_used_by(signed_in.login),
        "authorised_apps": [{"app": client.name, "scope": consent.scope, "since": _iso(consent.granted_at)}
                            for consent, client in consents.in_force(services().store, signed_in.login)],
        "security_events": _recent_events(signed_in.login),
    }
    audit("account.data_exported", login=signed_in.login)
    response = make_response(json.dumps(data, ensure_ascii=False, indent=2))
    response.headers["Content-Type"] = "application/json; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="mes-donnees-{person.login}.json"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _account_data(person: Account) -> dict[str, Any]:
    return {"login": person.login, "given_name": person.given_name, "family_name": person.surname,
            "profile": person.profile.value, "schools": list(person.schools), "state": person.state.value,
            "recovery_email": person.recovery_email, "mobile": person.mobile, "children": list(person.children),
            "roles": list(person.roles), "terms_version": person.terms_version,
            "terms_accepted_at": person.terms_accepted_at.isoformat() if person.terms_accepted_at else None}


def _recent_events(login: str) -> list[dict[str, object]]:
    path = current_app.extensions[AUDIT_EXTENSION].path
    if path is None:  # events go to syslog or standard error: the ENT does not keep them itself
        return []
    since = _iso(datetime.now(UTC).timestamp() - EXPORTED_EVENT_DAYS * 86400)
    events = []
    for event in read_events(path):
        if str(event.get("time", "")) < since:
            break
        if event.get("login") == login:
            events.append({key: value for key, value in event.items() if key in _EXPORTED_EVENT_FIELDS})
    return events


_EXPORTED_EVENT_FIELDS = {"time", "event", "outcome", "address", "client"}


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
