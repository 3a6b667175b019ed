"""The page of « Mon compte »: who the person is, their contacts masked, the browsers they
are signed in on (« Déconnecter cet appareil », « Me déconnecter partout ») and their apps."""
from __future__ import annotations

from typing import Any

from flask import current_app, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from flows.account import account
from flows.account.common import local_time, signed_in_only
from flows.account.device_names import device_name
from idp import upstream
from idp.apps import apps_for, apps_used_by
from idp.audit import audit
from idp.forms import Form
from idp.i18n import _l
from idp.services import services
from idp.sessions import SignedIn
from idp.store import consents

PROFILE_WORDS = {"parent": _l("Parent"), "teacher": _l("Professeur"), "student": _l("Élève"),
                 "staff": _l("Personnel")}


class ActionForm(Form):
    """A button of the page (its CSRF token only)."""


@account.get("/compte")
@signed_in_only
def overview(signed_in: SignedIn) -> str:
    person = services().directory.get(signed_in.login)
    schools = current_app.config["ENT_IDP"].schools
    return render_template(
        "account/overview.html", account=person, profile=PROFILE_WORDS[person.profile.value],
        schools=[schools.get(uai, uai) for uai in person.schools], email=mask_email(person.recovery_email),
        mobile=mask_mobile(person.mobile), apps=apps_for(person), used=apps_used_by(person.login),
        form=ActionForm(),
        granted=consents.in_force(services().store, signed_in.login), devices=_devices(signed_in),
        franceconnect=_franceconnect_link(person.login),
        message=_MESSAGES.get(request.args.get("message", "")))


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


@account.post("/compte/franceconnect")
@signed_in_only
def franceconnect(signed_in: SignedIn) -> Response:
    """« Retirer le lien avec FranceConnect »: the next sign-in with it asks for the account again."""
    if ActionForm().validate_on_submit() and upstream.unlink(signed_in.login, "franceconnect", actor=signed_in.login):
        return redirect(url_for("account.overview", message="franceconnect-unlinked"))
    return redirect(url_for("account.overview"))


def _franceconnect_link(login: str) -> dict[str, Any] | None:
    """Whether FranceConnect is on, and since when the person's identity there is linked (None: off)."""
    if not upstream.is_enabled("franceconnect"):
        return None
    linked = [link for link in upstream.links_of(login) if link.provider == "franceconnect"]
    return {"since": local_time(linked[0].created_at) if linked else None}


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
             "since": local_time(device.since), "remember": device.remember,
             "this_one": device.digest == signed_in.session_digest}
            for device in services().sessions.open_sessions(signed_in.login)]



_MESSAGES = {
    "password-changed": _l("Votre mot de passe a été modifié. Vos autres appareils ont été déconnectés."),
    "device-signed-out": _l("L’appareil a été déconnecté."),
    "franceconnect-unlinked": _l("Le lien avec FranceConnect est retiré."),
    "email-asked": _l("Un lien de confirmation a été envoyé à la nouvelle adresse : ouvrez-le pour qu’elle serve."),
    "email-changed": _l("Votre nouvelle adresse de courriel est confirmée."),
    "mobile-changed": _l("Votre numéro de mobile a été enregistré."),
    "mobile-removed": _l("Votre numéro de mobile a été retiré."),
}
