"""Lost password (guide R1, R2) and lost login.

By mail: a single-use link, valid `accounts.reset_link_minutes`, whose token is stored as a
digest and consumed only by the form's POST (a mail scanner opening it uses nothing up).
By SMS, once a gateway is configured: a 6-digit code valid 10 minutes, 3 attempts.
Whether or not the login exists, the answer is the same. On success: the new password
(same rules as activation), the account unlocked, every other session ended, a notification
mail, and the person signed in.
"""
from __future__ import annotations

import secrets

from flask import Blueprint, Response, current_app, redirect, render_template, request, session, url_for
from flask_babel import get_locale, gettext
from sqlalchemy import select, update
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired

from idp.audit import audit
from idp.contact import ContactError, normalize_email
from idp.directory import Account, AccountState
from idp.forms import Form
from idp.i18n import _l
from idp.passwords import RULES_TEXT, normalize_password, password_problems
from idp.ratelimit import RECOVERY, SMS_CODE, limited
from idp.services import services
from idp.sessions import sign_out_everywhere
from idp.store import ResetToken
from idp.store.models import digest, now

recovery = Blueprint("recovery", __name__, template_folder="templates")

SMS_CODE_SECONDS = 600
SMS_ATTEMPTS = 3
_SMS_CHALLENGE = "sms_challenge"


class AskForm(Form):
    who = StringField(_l("Identifiant ou courriel"),
                      validators=[DataRequired(_l("Saisissez votre identifiant ou votre courriel."))],
                      render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"})


class EmailForm(Form):
    email = StringField(_l("Courriel"),
                        validators=[DataRequired(_l("Saisissez l'adresse de courriel donnée à l'activation."))],
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
        accounts = _accounts_for(form.who.data)
        if request.form.get("channel") == "sms" and sms_enabled:
            return _send_sms_code(accounts)
        for account in accounts:
            _send_reset_link(account)
        audit("recovery.asked", login=form.who.data.strip().lower(), address=request.remote_addr, channel="mail")
        return render_template("recovery/sent.html")
    return render_template("recovery/ask.html", form=form, sms_enabled=sms_enabled,
                           channel=request.form.get("channel", "mail"))


@recovery.route("/mot-de-passe-oublie/code", methods=["GET", "POST"])
@limited(SMS_CODE)
def sms_code() -> Response | str | tuple[str, int]:
    challenge = session.get(_SMS_CHALLENGE)
    if not challenge:
        return redirect(url_for("recovery.ask"))
    form = CodeForm()
    problem = None
    if form.validate_on_submit():
        typed = "".join(char for char in form.code.data if char.isdigit())
        row = _usable(digest(challenge["id"])) if challenge["id"] else None
        if row is not None and secrets.compare_digest(row.code_digest or "", digest(typed)):
            session.pop(_SMS_CHALLENGE, None)
            token = _new_token(row.login, "mail", current_app.config["ENT_IDP"].accounts.reset_link_minutes * 60)
            _use(row.id)
            return redirect(url_for("recovery.new_password", jeton=token))
        if row is not None:
            attempts = _count_attempt(row.id)
            if attempts >= SMS_ATTEMPTS:
                _use(row.id)
        problem = gettext("Code incorrect ou expiré. Vérifiez le SMS, ou demandez un nouveau code.")
    return render_template("recovery/code.html", form=form, masked=challenge.get("masked"), problem=problem), \
        (400 if problem else 200)


@recovery.route("/mot-de-passe-oublie/nouveau", methods=["GET", "POST"])
def new_password() -> Response | str | tuple[str, int]:
    form = NewPasswordForm()
    token = form.token.data if request.method == "POST" else request.args.get("jeton", "")
    row = _usable(digest(token)) if token else None
    if row is None:
        return render_template("recovery/invalid.html"), 400
    account = services().directory.get(row.login)
    form.token.data = token
    if form.validate_on_submit() and _check_password(form, account):
        if not _use(row.id):  # consumed by another request meanwhile
            return render_template("recovery/invalid.html"), 400
        return _reset(account, normalize_password(form.password.data))
    status = 400 if request.method == "POST" else 200
    return render_template("recovery/new_password.html", form=form, account=account,
                           rules=gettext(RULES_TEXT)), status


@recovery.route("/identifiant-oublie", methods=["GET", "POST"])
@limited(RECOVERY)
def lost_login() -> str:
    form = EmailForm()
    if form.validate_on_submit():
        try:
            email = normalize_email(form.email.data)
        except ContactError:
            email = ""
        for account in services().directory.find_by_recovery_email(email) if email else []:
            services().outbound.mail(account.recovery_email, "login_reminder", {"given_name": account.given_name,
                                                               "login": account.login}, _locale())
            audit("recovery.login_sent", login=account.login, address=request.remote_addr)
        return render_template("recovery/sent.html", login_reminder=True)
    return render_template("recovery/lost_login.html", form=form)


# Steps

def _accounts_for(who: str) -> list[Account]:
    """Active accounts matching a login or a recovery address (pending ones have no password to reset)."""
    who = who.strip()
    directory = services().directory
    found = directory.find_by_recovery_email(normalize_email(who)) if "@" in who and _is_email(who) \
        else [account for account in [directory.find(who.lower())] if account]
    return [account for account in found if account.stored_state is not AccountState.PENDING]


def _send_reset_link(account: Account) -> None:
    if not account.recovery_email:
        return
    minutes = current_app.config["ENT_IDP"].accounts.reset_link_minutes
    token = _new_token(account.login, "mail", minutes * 60)
    link = current_app.config["ENT_IDP"].issuer.rstrip("/") + url_for("recovery.new_password", jeton=token)
    services().outbound.mail(account.recovery_email, "password_reset",
                             {"given_name": account.given_name, "link": link, "expires_minutes": minutes}, _locale())


def _send_sms_code(accounts: list[Account]) -> Response:
    account = next((account for account in accounts if account.mobile), None)
    challenge: dict[str, str | None] = {"id": None, "masked": None}
    if account is not None:
        challenge_id = secrets.token_urlsafe(16)
        code = f"{secrets.randbelow(10**6):06d}"
        with services().store.transaction() as db:
            db.add(ResetToken(token_digest=digest(challenge_id), code_digest=digest(code), login=account.login,
                              channel="sms", expires_at=now() + SMS_CODE_SECONDS))
        services().outbound.sms(account.mobile, gettext("%(ent_name)s : votre code de réinitialisation est "
                                                        "%(code)s. Il expire dans 10 minutes.",
                                                        ent_name=current_app.config["ENT_IDP"].ent_name, code=code))
        challenge = {"id": challenge_id, "masked": _masked(account.mobile)}
        audit("recovery.sms_sent", login=account.login, address=request.remote_addr)
    session[_SMS_CHALLENGE] = challenge
    return redirect(url_for("recovery.sms_code"))


def _reset(account: Account, password: str) -> Response:
    directory, sessions = services().directory, services().sessions
    directory.set_password(account.login, password)
    directory.unlock(account.login)
    ended = sign_out_everywhere(services().store, account.login)
    if account.recovery_email:
        services().outbound.mail(account.recovery_email, "password_changed",
                                 {"given_name": account.given_name, "when": _now_text()}, _locale())
    audit("recovery.password_reset", login=account.login, address=request.remote_addr, sessions_ended=ended)
    sessions.start(account, amr=["pwd"], remember=False)
    return redirect(url_for("portal.welcome"))


def _check_password(form: NewPasswordForm, account: Account) -> bool:
    password = form.password.data or ""
    form.password.errors = list(password_problems(password, login=account.login, given_name=account.given_name,
                                                  surname=account.surname)) if password else \
        [gettext("Choisissez votre nouveau mot de passe.")]
    if normalize_password(form.confirmation.data or "") != normalize_password(password):
        form.confirmation.errors = [gettext("Les deux mots de passe saisis ne sont pas identiques.")]
    return not (form.password.errors or form.confirmation.errors)


# Tokens

def _new_token(login: str, channel: str, seconds: int) -> str:
    token = secrets.token_urlsafe(32)
    with services().store.transaction() as db:
        db.add(ResetToken(token_digest=digest(token), login=login, channel=channel, expires_at=now() + seconds))
    return token


def _usable(token_digest: str) -> ResetToken | None:
    """A token (or SMS challenge) neither used nor expired."""
    row = services().store.session.scalar(select(ResetToken).where(ResetToken.token_digest == token_digest))
    if row is None or row.used_at is not None or now() >= row.expires_at:
        return None
    return row


def _use(row_id: int) -> bool:
    """Consumes a token; False when another request consumed it first."""
    with services().store.transaction() as db:
        return db.execute(update(ResetToken).where(ResetToken.id == row_id, ResetToken.used_at.is_(None))
                          .values(used_at=now())).rowcount == 1


def _count_attempt(row_id: int) -> int:
    with services().store.transaction() as db:
        db.execute(update(ResetToken).where(ResetToken.id == row_id).values(attempts=ResetToken.attempts + 1))
        return db.get(ResetToken, row_id).attempts


def _masked(mobile: str) -> str:
    national = "0" + mobile[3:] if mobile.startswith("+33") else mobile
    return f"{national[:2]} •• •• •• {national[-2:]}"


def _is_email(text: str) -> bool:
    try:
        normalize_email(text)
    except ContactError:
        return False
    return True


def _locale() -> str:
    return str(get_locale() or "fr")


def _now_text() -> str:
    from datetime import datetime
    moment = datetime.now().astimezone()
    return gettext("%(date)s à %(time)s", date=moment.strftime("%d/%m/%Y"), time=moment.strftime("%H:%M"))
