"""Sign-in (guide steps C1–C4, S1–S4): « Identifiant », « Mot de passe », « Se souvenir
de moi », « Connexion ».

The secret is checked by slapd (a bind as the person) behind the sign-in guard's counters
(idp.signin), which tell how many tries are left and refuse for a while after too many. A
pending account's activation code leads to the activation page (C4), for as long as no new
code or lock changed the account; a personal password signs the browser in and goes back to
the app that asked, or home.
"""
from __future__ import annotations

from datetime import datetime

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask_babel import format_number, gettext, ngettext
from flask_babel.speaklater import LazyString
from werkzeug.wrappers import Response
from wtforms import BooleanField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from idp import interactions, upstream
from idp.audit import audit
from idp.directory import Account, AccountState, ActivationCodeExpired
from idp.forms import Form
from idp.i18n import _l
from idp.provisioning.codes import normalize_typed_code
from idp.ratelimit import SIGN_IN, limited
from idp.services import services
from idp.signin import TemporarilyRefused, WrongSecret
from idp.store.models import now

login = Blueprint("login", __name__, template_folder="templates")

SECRET_MAX_CHARS = 1024
"""What « Mot de passe » takes: personal passwords are 256 characters at most (idp.passwords),
activation codes 14; longer is refused before slapd hashes it."""
CODE_EXPIRED = _l("Votre code d’activation a expiré. Demandez un nouveau code à votre établissement.")
ACTIVATION = "activation"
"""Flow-cookie key: who proved their activation code, and when (never the code itself)."""


class LoginForm(Form):
    login = StringField(_l("Identifiant"), validators=[DataRequired(_l("Saisissez votre identifiant (prénom.nom)."))],
                        render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"})
    password = PasswordField(_l("Mot de passe"), validators=[
        DataRequired(_l("Saisissez votre mot de passe.")),
        Length(max=SECRET_MAX_CHARS, message=_l("Le mot de passe compte %(max)s caractères au plus.",
                                                    max=LazyString(format_number, SECRET_MAX_CHARS)))],
                             render_kw={"autocomplete": "current-password"})
    remember = BooleanField(_l("Se souvenir de moi"))
    interaction = HiddenField()


@login.route("/connexion", methods=["GET", "POST"])
@limited(SIGN_IN)
def form() -> Response | str | tuple[str, int]:
    form = LoginForm()
    if request.method == "GET":  # the app's request and login hint, or what an expired form kept
        form.interaction.data = request.args.get("interaction") or form.interaction.data or ""
        form.login.data = (request.args.get("login_hint") or form.login.data or "").strip()
    waiting = interactions.pending(form.interaction.data)
    problem: str | LazyString | None = request.args.get("message") and _MESSAGES.get(request.args["message"])
    if form.validate_on_submit():
        name = (form.login.data or "").strip().lower()
        try:
            account = services().sign_in_guard.check(name, form.password.data or "", request.remote_addr,
                                                     normalize_code=normalize_typed_code)
        except WrongSecret as wrong:
            problem = _wrong_secret_message(wrong.tries_left)
            audit("login.failed", login=name, outcome="failure", tries_left=wrong.tries_left)
        except TemporarilyRefused as refused:
            problem = refused_message(refused.until)
            audit("login.locked", login=name, outcome="refused")
        except ActivationCodeExpired:
            problem = str(CODE_EXPIRED)
            audit("login.code_expired", login=name, outcome="refused")
        else:
            return _signed_in(account, bool(form.remember.data), waiting)
    status = 400 if request.method == "POST" else 200
    return render_template("login/form.html", form=form, problem=problem,
                           client_name=waiting.app_name if waiting else None), status


def _signed_in(account: Account, remember: bool,
               waiting: interactions.Interaction | None) -> interactions.Answer:
    if account.stored_state is AccountState.PENDING:
        session[ACTIVATION] = {"login": account.login, "at": now(), "remember": remember,
                               "stamp": account.security_stamp, "interaction": waiting.id if waiting else None}
        audit("activation.code_accepted", login=account.login)
        return redirect(url_for("activation.form"))
    services().sessions.start(account, amr=["pwd"], remember=remember)
    audit("login.succeeded", login=account.login)
    return interactions.resume(waiting.id) if waiting else redirect(url_for("portal.welcome"))


def _wrong_secret_message(tries_left: int | None) -> str:
    wrong = gettext("Identifiant ou mot de passe incorrect.")
    if tries_left is None:
        return wrong
    return wrong + " " + ngettext("Il vous reste %(num)d essai avant un verrouillage temporaire.",
                                  "Il vous reste %(num)d essais avant un verrouillage temporaire.", tries_left)


def refused_message(until: datetime) -> str:
    return gettext("Par sécurité, la connexion à ce compte est temporairement verrouillée après plusieurs essais "
                   "infructueux. Vous pourrez réessayer à partir de %(time)s.",
                   time=until.astimezone().strftime("%H:%M"))


_MESSAGES = {
    "activation-expired": _l("Le délai pour activer votre compte est dépassé : saisissez de nouveau votre code "
                             "d’activation."),
    "activation-changed": _l("Votre compte a changé depuis que vous avez saisi votre code d’activation : saisissez "
                             "de nouveau l’identifiant et le code de votre dernière lettre."),
    "federation-expired": upstream.EXPIRED,
    "already-active": _l("Ce compte est déjà activé : connectez-vous avec votre mot de passe personnel."),
}
