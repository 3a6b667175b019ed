"""Lost password (guide R1, R2) and lost login.

By mail: a single-use link, valid `accounts.reset_link_minutes`, consumed only by the form's
POST (a mail scanner opening it uses nothing up). By SMS, once a gateway is configured: a
6-digit code valid 10 minutes, 3 tries. Whatever was typed, the answer is the same, and as
quick: the core (idp.recovery) sends what is due in the background. On success: the new
password (same rules as activation), the account unlocked (unless an admin locked it), every
other session ended, a notification mail, and the person signed in.
"""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import get_locale, gettext
from werkzeug.wrappers import Response
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired

from idp.audit import audit
from idp.contact import ContactError, normalize_email
from idp.directory import Account, CredentialsChanged
from idp.forms import Form, check_new_password
from idp.i18n import _l
from idp.passwords import normalize_password
from idp.ratelimit import RECOVERY, SMS_CODE, limited
from idp.recovery import CODE_PLACE
from idp.services import services

recovery = Blueprint("recovery", __name__, template_folder="templates")

_SMS_CHALLENGE = "sms_challenge"
"""Flow-cookie key: the challenge the SMS code is typed against (never the code)."""


class AskForm(Form):
    who = StringField(_l("Identifiant ou courriel"),
                      validators=[DataRequired(_l("Saisissez votre identifiant ou votre courriel."))],
                      render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"})


class EmailForm(Form):
    email = StringField(_l("Courriel"),
                        validators=[DataRequired(_l("Saisissez l’adresse de courriel donnée à l’activation."))],
                        render_kw={"autocomplete": "email", "spellcheck": "false", "type": "email"})


class CodeForm(Form):
    code = StringField(_l("Code reçu par SMS"), validators=[DataRequired(_l("Saisissez le code à 6 chiffres."))],
                       render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"})


class NewPasswordForm(Form):
    token = HiddenField()
    password = PasswordField(_l("Nouveau mot de passe"), render_kw={"autocomplete": "new-password"})
    confirmation = PasswordField(_l("Confirmation du nouveau mot de passe"),
                                 render_kw={"autocomplete": "new-password"})


@recovery.route("/mot-de-passe-oublie", methods=["GET", "POST"])
@limited(RECOVERY)
def ask() -> Response | str:
    form = AskForm()
    sms_enabled = services().outbound.sms_enabled
    if form.validate_on_submit():
        who, core = (form.who.data or "").strip(), services().recovery
        if request.form.get("channel") == "sms" and sms_enabled:
            text = gettext("%(ent_name)s : votre code de réinitialisation est %(code)s. Il expire dans 10 minutes.",
                           ent_name=current_app.config["ENT_IDP"].ent_name, code=CODE_PLACE)
            session[_SMS_CHALLENGE] = core.ask_by_sms(who, text=text, address=request.remote_addr)
            audit("recovery.asked", login=who.lower(), channel="sms")
            return redirect(url_for("recovery.sms_code"))
        core.ask_by_mail(who, locale=_locale(), address=request.remote_addr,
                         link_base=current_app.config["ENT_IDP"].issuer.rstrip("/") + url_for("recovery.new_password"))
        audit("recovery.asked", login=who.lower(), channel="mail")
        return render_template("recovery/sent.html")
    return render_template("recovery/ask.html", form=form, sms_enabled=sms_enabled,
                           channel=request.form.get("channel", "mail"))


@recovery.route("/mot-de-passe-oublie/code", methods=["GET", "POST"])
@limited(SMS_CODE)
def sms_code() -> Response | str | tuple[str, int]:
    challenge = session.get(_SMS_CHALLENGE)
    if not isinstance(challenge, str):
        return redirect(url_for("recovery.ask"))
    form = CodeForm()
    problem = None
    if form.validate_on_submit():
        digits = "".join(char for char in form.code.data or "" if char.isdigit())
        token = services().recovery.try_code(challenge, digits)
        if token is not None:
            session.pop(_SMS_CHALLENGE, None)
            return redirect(url_for("recovery.new_password", jeton=token))
        problem = gettext("Code incorrect ou expiré. Vérifiez le SMS, ou demandez un nouveau code.")
        audit("recovery.code_refused", outcome="failure")
    return render_template("recovery/code.html", form=form, problem=problem), (400 if problem else 200)


@recovery.route("/mot-de-passe-oublie/nouveau", methods=["GET", "POST"])
def new_password() -> Response | str | tuple[str, int]:
    form = NewPasswordForm()
    token = form.token.data if request.method == "POST" else request.args.get("jeton", "")
    link = services().recovery.link(token or "")
    if link is None:
        return render_template("recovery/invalid.html"), 400
    form.token.data = token
    if form.validate_on_submit() and check_new_password(form.password, form.confirmation, link.account):
        try:
            account = services().recovery.reset(link, normalize_password(form.password.data or ""))
        except CredentialsChanged:  # used meanwhile, or the account changed
            return render_template("recovery/invalid.html"), 400
        return _signed_in_again(account)
    status = 400 if request.method == "POST" else 200
    return render_template("recovery/new_password.html", form=form, account=link.account), status


@recovery.route("/identifiant-oublie", methods=["GET", "POST"])
@limited(RECOVERY)
def lost_login() -> str | tuple[str, int]:
    form = EmailForm()
    if form.validate_on_submit() and _address_well_formed(form):
        services().recovery.remind_login(form.email.data or "", locale=_locale(), address=request.remote_addr)
        audit("recovery.login_asked")
        return render_template("recovery/sent.html", login_reminder=True)
    return render_template("recovery/lost_login.html", form=form), (400 if request.method == "POST" else 200)


def _address_well_formed(form: EmailForm) -> bool:
    """The format only: whether an account has this address is never said."""
    typed = (form.email.data or "").strip()
    try:
        normalize_email(typed)
    except ContactError:
        form.email.errors = [gettext("Adresse de courriel invalide : « %(address)s » (exemple : "
                                     "prenom.nom@exemple.fr).", address=typed)]
        return False
    return True


def _signed_in_again(account: Account) -> Response:
    """After the new password: every other session ends, the person is told by mail, and
    this browser is signed in."""
    if account.recovery_email:
        services().outbound.mail(account.recovery_email, "password_changed",
                                 {"given_name": account.given_name, "when": _now_text()}, _locale())
    audit("recovery.password_reset", login=account.login)
    services().sessions.start(account, amr=["pwd"], remember=False)
    flash(gettext("Votre mot de passe a été modifié. Vos autres appareils ont été déconnectés."))
    return redirect(url_for("portal.welcome"))


def _locale() -> str:
    return str(get_locale() or "fr")


def _now_text() -> str:
    from datetime import datetime
    moment = datetime.now().astimezone()
    return gettext("%(date)s à %(time)s", date=moment.strftime("%d/%m/%Y"), time=moment.strftime("%H:%M"))
