"""« Mon compte » (guide steps M1–M4): what the ENT knows of the signed-in person, their
password, their recovery e-mail and mobile, the browsers they are signed in on, the apps
they use, and their data to download (RGPD articles 15 and 20).

Every page needs a browser signed in; each change is an audit event. Changing the password
asks for the current one, through the sign-in guard's counters (a stolen session cannot
guess it), and ends every other session of the person's.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from functools import wraps
from typing import Any

from flask import Blueprint, current_app, make_response, redirect, render_template, request, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response
from wtforms import PasswordField

from flows.account.devices import device_name
from idp.apps import apps_for
from idp.audit import EXTENSION as AUDIT_EXTENSION
from idp.audit import audit, read_events
from idp.directory import Account
from idp.forms import Form
from idp.i18n import _l
from idp.passwords import RULES_TEXT, normalize_password, password_problems
from idp.services import services
from idp.sessions import SignedIn
from idp.signin import TemporarilyRefused, WrongSecret
from idp.store import consents

account = Blueprint("account", __name__, template_folder="templates")

EXPORTED_EVENT_DAYS = 90
"""How far back « Télécharger mes données » gives the person's security events."""
PROFILE_WORDS = {"parent": _l("Parent"), "teacher": _l("Professeur"), "student": _l("Élève"),
                 "staff": _l("Personnel")}


class PasswordForm(Form):
    current = PasswordField(_l("Mot de passe actuel"), render_kw={"autocomplete": "current-password"})
    password = PasswordField(_l("Nouveau mot de passe"), render_kw={"autocomplete": "new-password"})
    confirmation = PasswordField(_l("Confirmation du nouveau mot de passe"), render_kw={"autocomplete": "new-password"})


class ActionForm(Form):
    """A button of the page (its CSRF token only)."""


def signed_in_only(view: Callable[..., Any]) -> Callable[..., Any]:
    """The page for a browser signed in (the view gets who as its first argument); otherwise
    the login page."""
    @wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        signed_in = services().sessions.current()
        if signed_in is None:
            return redirect(url_for("login.form"))
        return view(signed_in, *args, **kwargs)
    return guarded


@account.get("/compte")
@signed_in_only
def overview(signed_in: SignedIn) -> str:
    person = services().directory.get(signed_in.login)
    schools = current_app.config["ENT_IDP"].schools
    return render_template(
        "account/overview.html", account=person, profile=PROFILE_WORDS[person.profile.value],
        schools=[schools.get(uai, uai) for uai in person.schools], email=mask_email(person.recovery_email),
        mobile=mask_mobile(person.mobile), apps=apps_for(person), form=ActionForm(),
        granted=consents.in_force(services().store, signed_in.login), devices=_devices(signed_in),
        message=_MESSAGES.get(request.args.get("message", "")))


@account.route("/compte/mot-de-passe", methods=["GET", "POST"])
@signed_in_only
def password(signed_in: SignedIn) -> Response | tuple[str, int]:
    person = services().directory.get(signed_in.login)
    form = PasswordForm()
    problem = None
    if form.validate_on_submit() and _new_password_ok(form, person):
        try:
            services().sign_in_guard.check(person.login, form.current.data or "", request.remote_addr)
        except WrongSecret as wrong:
            form.current.errors = [gettext("Mot de passe actuel incorrect.")]
            audit("account.password_refused", login=person.login, outcome="failure", tries_left=wrong.tries_left)
        except TemporarilyRefused as refused:
            problem = gettext("Par sécurité, votre compte est temporairement verrouillé après plusieurs essais "
                              "infructueux. Vous pourrez réessayer à partir de %(time)s.",
                              time=refused.until.astimezone().strftime("%H:%M"))
            audit("account.password_refused", login=person.login, outcome="refused")
        else:
            ended = services().accounts.set_password(person.login, normalize_password(form.password.data or ""),
                                                     actor=person.login, keep=signed_in.session_digest)
            if person.recovery_email:
                services().outbound.mail(person.recovery_email, "password_changed",
                                         {"given_name": person.given_name, "when": _now_text()}, _locale())
            audit("account.password_changed", login=person.login, sessions_ended=ended)
            return redirect(url_for("account.overview", message="password-changed"))
    status = 400 if request.method == "POST" else 200
    return make_response(render_template("account/password.html", form=form, account=person, problem=problem,
                                         rules=gettext(RULES_TEXT)), status)


@account.post("/compte/appareils")
@signed_in_only
def devices(signed_in: SignedIn) -> Response:
    """« Déconnecter cet appareil » (another browser of the person's) or « Me déconnecter
    partout » (every browser, this one included)."""
    if not ActionForm().validate_on_submit():
        return redirect(url_for("account.overview"))
    if "partout" in request.form:
        digest = signed_in.session_digest
        services().sessions.end_current()
        services().accounts.end_every_session(signed_in.login, reason="signed_out_everywhere", actor=signed_in.login)
        return services().single_logout.signed_out_page(digest)
    sid = request.form.get("appareil", "")
    if sid and services().sessions.end_one(signed_in.login, sid):
        audit("session.ended", login=signed_in.login, reason="device_signed_out")
        return redirect(url_for("account.overview", message="device-signed-out"))
    return redirect(url_for("account.overview"))


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


def mask_email(address: str | None) -> str | None:
    """« d•••@example.fr »: enough for the person to recognise it, not for a passer-by."""
    if not address or "@" not in address:
        return address
    local, domain = address.rsplit("@", 1)
    return f"{local[0]}•••@{domain}"


def mask_mobile(number: str | None) -> str | None:
    """« 06 •• •• •• 78 » (numbers are stored as +33 6 12 34 56 78 or 0612345678)."""
    if not number:
        return number
    digits = "".join(char for char in number if char.isdigit())
    national = "0" + digits[2:] if number.startswith("+33") else digits
    return f"{national[:2]} •• •• •• {national[-2:]}" if len(national) == 10 else "•• " + national[-2:]


def _devices(signed_in: SignedIn) -> list[dict[str, Any]]:
    return [{"sid": device.sid, "name": device_name(device.user_agent), "address": device.address,
             "since": _local(device.since), "remember": device.remember,
             "this_one": device.digest == signed_in.session_digest}
            for device in services().sessions.open_sessions(signed_in.login)]


def _new_password_ok(form: PasswordForm, person: Account) -> bool:
    new = form.password.data or ""
    form.password.errors = list(password_problems(new, login=person.login, given_name=person.given_name,
                                                  surname=person.surname)) if new else \
        [gettext("Choisissez votre nouveau mot de passe.")]
    if normalize_password(form.confirmation.data or "") != normalize_password(new):
        form.confirmation.errors = [gettext("Les deux mots de passe saisis ne sont pas identiques.")]
    if not form.current.data:
        form.current.errors = [gettext("Saisissez votre mot de passe actuel.")]
    return not (form.password.errors or form.confirmation.errors or form.current.errors)


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


def _local(moment: float) -> str:
    local = datetime.fromtimestamp(moment).astimezone()
    return gettext("%(date)s à %(time)s", date=local.strftime("%d/%m/%Y"), time=local.strftime("%H:%M"))


def _now_text() -> str:
    return _local(datetime.now().timestamp())


def _locale() -> str:
    from flask_babel import get_locale
    return str(get_locale() or "fr")


_MESSAGES = {
    "password-changed": _l("Votre mot de passe a été modifié. Vos autres appareils ont été déconnectés."),
    "device-signed-out": _l("L'appareil a été déconnecté."),
}
