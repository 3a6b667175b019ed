"""First-login activation (guide steps A1–A8): personal password, personal e-mail, optional
mobile, charter accepted, « Activer ».

Reached only from the login page with a valid activation code. Everything is written in one
LDAP modify, so the account is activated completely or not at all, and the code stops
working at once. Every refusal keeps what was typed (but secrets) and says what to fix.
"""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response
from wtforms import BooleanField, EmailField, TelField

from flows.login import ACTIVATION
from idp import interactions
from idp.audit import audit
from idp.contact import ContactError, normalize_email, normalize_mobile
from idp.directory import Account, AccountState, AlreadyActivated, CredentialsChanged
from idp.forms import Form, NewPasswordField, check_new_password
from idp.i18n import _l
from idp.passwords import normalize_password
from idp.services import services
from idp.store.models import now

activation = Blueprint("activation", __name__, template_folder="templates")

ACTIVATION_WINDOW = 30 * 60
"""Seconds between the code being accepted and « Activer »."""


class ActivationForm(Form):
    password = NewPasswordField(_l("Nouveau mot de passe"), render_kw={"autocomplete": "new-password"})
    confirmation = NewPasswordField(_l("Confirmation du nouveau mot de passe"),
                                    render_kw={"autocomplete": "new-password"})
    email = EmailField(_l("Courriel"), render_kw={"autocomplete": "email", "spellcheck": "false"})
    mobile = TelField(_l("Téléphone mobile (facultatif)"), render_kw={"autocomplete": "tel"})
    accept = BooleanField(_l("J’accepte les conditions générales d’utilisation"))


@activation.route("/activation", methods=["GET", "POST"])
def form() -> Response | str | tuple[str, int]:
    started = session.get(ACTIVATION)
    if not started or now() - started["at"] > ACTIVATION_WINDOW:
        session.pop(ACTIVATION, None)
        return redirect(url_for("login.form", message="activation-expired" if started else None))
    account = services().directory.get(started["login"])
    if account.stored_state is not AccountState.PENDING:
        session.pop(ACTIVATION, None)
        return redirect(url_for("login.form", message="already-active"))
    if account.security_stamp != started.get("stamp"):  # a new code, or a lock, since the code was typed
        session.pop(ACTIVATION, None)
        return redirect(url_for("login.form", message="activation-changed"))
    form = ActivationForm()
    terms_version = current_app.config["ENT_IDP"].terms_version
    if form.validate_on_submit() and _check(form, account):
        try:
            services().directory.activate(
                account.login, password=normalize_password(form.password.data or ""),
                recovery_email=form.email.data, mobile=form.mobile.data or "",
                terms_version=terms_version, expected_stamp=started["stamp"])
        except AlreadyActivated:
            session.pop(ACTIVATION, None)
            return redirect(url_for("login.form", message="already-active"))
        except CredentialsChanged:
            session.pop(ACTIVATION, None)
            return redirect(url_for("login.form", message="activation-changed"))
        session.pop(ACTIVATION, None)
        audit("account.activated", login=account.login)
        audit("terms.accepted", login=account.login, terms_version=terms_version)
        waiting = interactions.pending(started.get("interaction"))
        activated = services().directory.get(account.login)  # with its new contact details
        services().sessions.start(activated, amr=["pwd"], remember=bool(started.get("remember")))
        if waiting:
            return interactions.resume(waiting.id)
        flash(gettext("Votre compte est activé. Désormais, connectez-vous avec votre identifiant et votre mot de "
                      "passe personnel."))
        return redirect(url_for("portal.welcome"))
    status = 400 if request.method == "POST" else 200
    return render_template("activation/form.html", form=form, account=account,
                           sms_enabled=bool(current_app.config["ENT_IDP"].sms_gateway)), status


@activation.get("/charte")
def charter() -> str:
    return render_template("activation/charte.html", version=current_app.config["ENT_IDP"].terms_version)


def _check(form: ActivationForm, account: Account) -> bool:
    """Puts a message (in the page's language) on every field that needs fixing; True when all is right."""
    check_new_password(form.password, form.confirmation, account,
                       missing=gettext("Choisissez votre mot de passe personnel."))
    return check_contact_and_charter(form)


def check_contact_and_charter(form: Form) -> bool:
    """The e-mail (required), the mobile (optional) and the charter of an activation form, with
    a message on each field that needs fixing; e-mail and mobile replaced by their normalised form.
    True when no field of the form has an error."""
    email, mobile, accept = form["email"], form["mobile"], form["accept"]
    if not (email.data or "").strip():
        email.errors = [gettext("Saisissez votre adresse de courriel personnelle : elle sert à récupérer votre "
                                "mot de passe.")]
    else:
        try:
            email.data = normalize_email(email.data or "")
        except ContactError as error:
            email.errors = [gettext("Adresse de courriel invalide : « %(address)s » (exemple : "
                                    "prenom.nom@exemple.fr).", address=(email.data or "").strip())
                            if "invalide" in str(error) else str(error)]
    if not (mobile.data or "").strip():
        mobile.data = ""  # blanks only (tabs, non-breaking spaces…): no mobile
    else:
        try:
            mobile.data = normalize_mobile(mobile.data or "")
        except ContactError:
            mobile.errors = [gettext("Numéro de mobile invalide : saisissez un numéro comme 06 12 34 56 78.")]
    if not accept.data:
        accept.errors = [gettext("Vous devez accepter les conditions générales d’utilisation pour activer "
                                 "votre compte.")]
    return not any(field.errors for field in form)
