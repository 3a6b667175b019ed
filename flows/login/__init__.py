"""Sign-in (guide steps C1–C4): « Identifiant », « Mot de passe », « Connexion ».

The secret is checked by slapd (a bind as the person), so its password policy counts
failures. On success the browser gets a new SSO session and goes back to the app that
asked (the interaction), or to the portal.
"""
from __future__ import annotations

from flask import Blueprint, Response, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired

from idp.audit import audit
from idp.directory import AccountLocked, AccountState, ActivationCodeExpired, InvalidCredentials
from idp.oidc import interaction
from idp.provisioning.codes import normalize_typed_code
from idp.services import services

login = Blueprint("login", __name__, template_folder="templates")


class LoginForm(FlaskForm):
    login = StringField("Identifiant", validators=[DataRequired("Saisissez votre identifiant (prénom.nom).")],
                        render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"})
    password = PasswordField("Mot de passe", validators=[DataRequired("Saisissez votre mot de passe.")],
                             render_kw={"autocomplete": "current-password"})
    remember = BooleanField("Se souvenir de moi")
    interaction = HiddenField()


@login.route("/connexion", methods=["GET", "POST"])
def form() -> Response | str | tuple[str, int]:
    form = LoginForm()
    if request.method == "GET":
        form.interaction.data = request.args.get("interaction", "")
        form.login.data = (request.args.get("login_hint") or "").strip()
    pending = interaction.pending(form.interaction.data)
    problem = None
    if form.validate_on_submit():
        name = form.login.data.strip().lower()
        try:
            account = services().directory.verify(name, form.password.data, normalize_code=normalize_typed_code)
        except InvalidCredentials:
            problem = "Identifiant ou mot de passe incorrect."
            audit("login.failed", login=name, address=request.remote_addr)
        except AccountLocked as locked:
            problem = _locked_message(locked)
            audit("login.locked", login=name, address=request.remote_addr)
        except ActivationCodeExpired:
            problem = ("Votre code d'activation a expiré. Demandez un nouveau code à votre établissement.")
        else:
            if account.stored_state is AccountState.PENDING:
                problem = "Votre compte n'est pas encore activé : suivez la lettre de votre établissement."
            else:
                target = interaction.resume_url(pending.id) if pending else url_for("portal.home")
                response = redirect(target)
                services().sessions.start(response, login=account.login, sub=account.uuid, amr=["pwd"],
                                          remember=bool(form.remember.data))
                audit("login.succeeded", login=account.login, address=request.remote_addr)
                return response
    status = 400 if request.method == "POST" else 200
    return render_template("login/form.html", form=form, problem=problem,
                           client_name=pending.client_name if pending else None), status


def _locked_message(locked: AccountLocked) -> str:
    if locked.until is None:
        return "Votre compte est verrouillé. Adressez-vous à votre établissement pour le débloquer."
    local = locked.until.astimezone()
    return (f"Votre compte est temporairement verrouillé après plusieurs essais infructueux. "
            f"Vous pourrez réessayer à partir de {local:%H:%M}.")
