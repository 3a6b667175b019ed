"""A new recovery e-mail (guide step M3) or mobile, from « Mon compte ».

Both ask for the current password first: they are how the account is recovered, so a
browser left signed in must not be enough to take them over. The new e-mail is used only
once the link mailed to it is opened (its page's button consumes it, so that a mail scanner
opening the link uses nothing); the old address is told. A new mobile is confirmed by the
code sent to it, when the ENT sends SMS.
"""
from __future__ import annotations

from flask import current_app, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response
from wtforms import EmailField, HiddenField, PasswordField, StringField, TelField

from flows.account import account
from flows.account.common import current_password_checked, page_locale, signed_in_only
from idp.audit import audit
from idp.contact import ContactError, normalize_email, normalize_mobile
from idp.contact_changes import CODE_PLACE, TooManyConfirmations
from idp.directory import Account
from idp.forms import Form
from idp.i18n import _l
from idp.outbound import SmsUnavailable
from idp.services import services
from idp.sessions import SignedIn

_MOBILE_CHALLENGE = "mobile_challenge"
"""Flow-cookie key: the challenge the code sent to the new mobile is typed against."""


class EmailForm(Form):
    email = EmailField(_l("Nouvelle adresse de courriel"), render_kw={"autocomplete": "email", "spellcheck": "false"})
    current = PasswordField(_l("Mot de passe actuel"), render_kw={"autocomplete": "current-password"})


class ConfirmForm(Form):
    token = HiddenField()


class MobileForm(Form):
    mobile = TelField(_l("Nouveau numéro de mobile"), render_kw={"autocomplete": "tel"})
    current = PasswordField(_l("Mot de passe actuel"), render_kw={"autocomplete": "current-password"})


class CodeForm(Form):
    code = StringField(_l("Code reçu par SMS"), render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"})


@account.route("/compte/courriel", methods=["GET", "POST"])
@signed_in_only
def email(signed_in: SignedIn) -> Response:
    person = services().directory.get(signed_in.login)
    form = EmailForm()
    problem = None
    if form.validate_on_submit() and _email_ok(form, person):
        right, problem = current_password_checked(form.current, person)
        if right:
            try:
                services().contact_changes.ask_email(person, form.email.data or "", locale=page_locale(), link_base=(
                    current_app.config["ENT_IDP"].issuer.rstrip("/") + url_for("account.confirm_email")))
            except TooManyConfirmations:
                problem = _too_many()
            else:
                audit("account.email_change_asked", login=person.login)
                return redirect(url_for("account.overview", message="email-asked"))
    return _page("account/email.html", form=form, account=person, problem=problem)


@account.route("/compte/courriel/confirmer", methods=["GET", "POST"])
def confirm_email() -> Response:
    """The link of the mail: a page whose button confirms (no sign-in needed: the link proves
    the address, and the change was asked by the person signed in with their password)."""
    form = ConfirmForm()
    token = form.token.data if request.method == "POST" else request.args.get("jeton", "")
    change = services().contact_changes.email_change(token or "")
    if change is None:
        return make_response(render_template("account/email_link_invalid.html"), 400)
    form.token.data = token
    if form.validate_on_submit():
        if not services().contact_changes.confirm_email(change, locale=page_locale()):
            return make_response(render_template("account/email_link_invalid.html"), 400)
        audit("account.email_changed", login=change.account.login)
        return make_response(render_template("account/email_confirmed.html", address=change.new_address))
    return make_response(render_template("account/email_confirm.html", form=form, address=change.new_address,
                                         account=change.account))


@account.route("/compte/mobile", methods=["GET", "POST"])
@signed_in_only
def mobile(signed_in: SignedIn) -> Response:
    """A new number, or « Retirer mon mobile »."""
    person = services().directory.get(signed_in.login)
    form = MobileForm()
    problem = None
    removing = "retirer" in request.form
    if form.validate_on_submit() and (removing or _mobile_ok(form)):
        right, problem = current_password_checked(form.current, person)
        if right and removing:
            services().contact_changes.remove_mobile(person)
            audit("account.mobile_changed", login=person.login, removed=True)
            return redirect(url_for("account.overview", message="mobile-removed"))
        if right:
            text = gettext("%(ent_name)s : votre code de confirmation est %(code)s. Il expire dans 10 minutes.",
                           ent_name=current_app.config["ENT_IDP"].ent_name, code=CODE_PLACE)
            try:
                challenge = services().contact_changes.ask_mobile(person, form.mobile.data or "", text=text)
            except TooManyConfirmations:
                problem = _too_many()
            except SmsUnavailable:
                problem = gettext("Le SMS n’a pas pu être envoyé. Vérifiez le numéro, ou réessayez dans quelques "
                                  "minutes.")
            else:
                if challenge is None:
                    audit("account.mobile_changed", login=person.login)
                    return redirect(url_for("account.overview", message="mobile-changed"))
                session[_MOBILE_CHALLENGE] = challenge
                return redirect(url_for("account.mobile_code"))
    return _page("account/mobile.html", form=form, account=person, problem=problem,
                 sms_enabled=services().outbound.sms_enabled)


@account.route("/compte/mobile/code", methods=["GET", "POST"])
@signed_in_only
def mobile_code(signed_in: SignedIn) -> Response:
    challenge = session.get(_MOBILE_CHALLENGE)
    if not isinstance(challenge, str):
        return redirect(url_for("account.mobile"))
    form = CodeForm()
    problem = None
    if form.validate_on_submit():
        digits = "".join(char for char in form.code.data or "" if char.isdigit())
        if services().contact_changes.confirm_mobile(signed_in.login, challenge, digits):
            session.pop(_MOBILE_CHALLENGE, None)
            audit("account.mobile_changed", login=signed_in.login)
            return redirect(url_for("account.overview", message="mobile-changed"))
        problem = gettext("Code incorrect ou expiré. Vérifiez le SMS, ou demandez un nouveau code.")
    return _page("account/mobile_code.html", form=form, problem=problem)


def _email_ok(form: EmailForm, person: Account) -> bool:
    typed = (form.email.data or "").strip()
    if not typed:
        form.email.errors = [gettext("Saisissez votre nouvelle adresse de courriel.")]
        return False
    try:
        form.email.data = normalize_email(typed)
    except ContactError:
        form.email.errors = [gettext("Adresse de courriel invalide : « %(address)s » (exemple : "
                                     "prenom.nom@exemple.fr).", address=typed)]
        return False
    if form.email.data == person.recovery_email:
        form.email.errors = [gettext("C’est déjà l’adresse de votre compte.")]
        return False
    return True


def _mobile_ok(form: MobileForm) -> bool:
    try:
        form.mobile.data = normalize_mobile(form.mobile.data or "")
    except ContactError:
        form.mobile.errors = [gettext("Numéro de mobile invalide : saisissez un numéro comme 06 12 34 56 78.")]
        return False
    return True


def _too_many() -> str:
    return gettext("Trop de messages de confirmation ont été envoyés pour ce compte. Réessayez dans une heure.")


def _page(template: str, **context: object) -> Response:
    status = 400 if request.method == "POST" else 200
    return make_response(render_template(template, **context), status)
