"""Signing in with ÉduConnect or FranceConnect (steps F1–F2): the person the national identity
proved is led to their ENT account.

- ÉduConnect's assertion carries the académie's identifiers: the accounts with those join keys
  are the person's. One: signed in; several (a parent with several profiles): they choose;
  none: the school has not registered this identity, and the help form is offered.
- FranceConnect's identity is linked to an account once: the person confirms the account by
  its login and its password, or the activation code of the letter; a parent of the directory
  with the same family name, first given name and birth date is proposed.
- A pending account is activated there, without an ENT password: the charter accepted and a
  recovery e-mail given (prefilled from the identity when it has one).
"""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response
from wtforms import PasswordField, RadioField, StringField
from wtforms.validators import DataRequired, Length

from flows.activation import ActivationForm, check_contact_and_charter
from flows.login import CODE_EXPIRED, SECRET_MAX_CHARS, refused_message
from flows.portal import PROFILE_WORDS
from idp import interactions, upstream
from idp.audit import audit
from idp.directory import Account, AccountState, ActivationCodeExpired, AlreadyActivated, CredentialsChanged, Profile
from idp.forms import Form
from idp.i18n import _l
from idp.provisioning.codes import normalize_typed_code
from idp.ratelimit import SIGN_IN, limited
from idp.services import services
from idp.signin import TemporarilyRefused, WrongSecret

federation = Blueprint("federation", __name__, template_folder="templates")

ACTIVATING = "federated_activation"
"""Flow-cookie key: the pending account the identity leads to, and its stamp then."""


class ChoiceForm(Form):
    account = RadioField(_l("Compte"), choices=[], validate_choice=True)


class ConfirmForm(Form):
    login = StringField(_l("Identifiant"), validators=[DataRequired(_l("Saisissez votre identifiant (prénom.nom)."))],
                        render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"})
    password = PasswordField(_l("Mot de passe ou code d’activation"), validators=[
        DataRequired(_l("Saisissez votre mot de passe, ou le code d’activation de votre lettre.")),
        Length(max=SECRET_MAX_CHARS)], render_kw={"autocomplete": "current-password"})


class FederatedActivationForm(ActivationForm):
    """The activation form without the ENT password (WTForms drops a field set to None)."""

    password = None  # type: ignore[assignment]
    confirmation = None  # type: ignore[assignment]


def _identity_or_login() -> upstream.Identity | Response:
    identity = upstream.arrived()
    if identity is None:
        return redirect(url_for("login.form", message="federation-expired"))
    return identity


@federation.route("/connexion/federee", methods=["GET", "POST"])
def arrived() -> Response | str | tuple[str, int]:
    """Where the backends send the person they identified: their account, or the choice of it."""
    identity = _identity_or_login()
    if isinstance(identity, Response):
        return identity
    accounts = upstream.accounts_for(identity)
    if not accounts:
        if not identity.linked_by_confirmation:
            audit("federation.no_account", provider=identity.provider, outcome="failure")
            upstream.forget()
            return render_template("federation/unknown.html", provider=identity.provider_name,
                                   interaction=identity.interaction), 403
        return redirect(url_for("federation.confirm"))
    if len(accounts) == 1:
        return _continue(accounts[0], identity)
    form = ChoiceForm()
    form.account.choices = [(account.login, account.login) for account in accounts]
    if form.validate_on_submit():
        return _continue(next(account for account in accounts if account.login == form.account.data), identity)
    if request.method == "POST":
        form.account.errors = [gettext("Choisissez le compte avec lequel vous connecter.")]
    status = 400 if request.method == "POST" else 200
    return render_template("federation/choose.html", form=form, accounts=accounts, provider=identity.provider_name,
                           schools=services().settings.schools, profile_words=PROFILE_WORDS), status


@federation.route("/connexion/federee/confirmation", methods=["GET", "POST"])
@limited(SIGN_IN)
def confirm() -> Response | str | tuple[str, int]:
    """FranceConnect, the first time: the person says which ENT account is theirs by its login
    and its password or its letter's activation code; then the identity is linked to it."""
    identity = _identity_or_login()
    if isinstance(identity, Response):
        return identity
    if not identity.linked_by_confirmation:  # its join keys alone name the accounts
        return redirect(url_for("federation.arrived"))
    form = ConfirmForm()
    problem: str | None = None
    if form.validate_on_submit():
        name = (form.login.data or "").strip().lower()
        try:
            account = services().sign_in_guard.check(name, form.password.data or "", request.remote_addr,
                                                     normalize_code=normalize_typed_code)
        except WrongSecret:
            problem = gettext("Identifiant, mot de passe ou code d’activation incorrect.")
            audit("federation.link_failed", login=name, provider=identity.provider, outcome="failure")
        except TemporarilyRefused as refused:
            problem = refused_message(refused.until)
        except ActivationCodeExpired:
            problem = str(CODE_EXPIRED)
        else:
            if account.profile is Profile.STUDENT:
                problem = gettext("Un compte d’élève ne se relie pas à %(provider)s : utilisez ÉduConnect, ou votre "
                                  "identifiant et votre mot de passe ENT.", provider=identity.provider_name)
            else:
                upstream.link(identity, account)
                return _continue(account, identity)
    proposed = upstream.pivot_match(identity)  # only for the page: a confirmation names its account
    if request.method == "GET" and proposed is not None:
        form.login.data = proposed.login
    status = 400 if request.method == "POST" else 200
    return render_template("federation/confirm.html", form=form, problem=problem, proposed=proposed,
                           identity=identity, provider=identity.provider_name), status


def _continue(account: Account, identity: upstream.Identity) -> Response | tuple[str, int]:
    """Signs the person in with their account, or has them activate it first."""
    if not account.usable:
        upstream.forget()
        audit("federation.refused", login=account.login, provider=identity.provider, outcome="refused",
              reason="account locked")
        return render_template("federation/unusable.html", provider=identity.provider_name), 403
    if account.stored_state is AccountState.PENDING:
        session[ACTIVATING] = {"login": account.login, "stamp": account.security_stamp}
        return redirect(url_for("federation.activate"))
    upstream.sign_in(account, identity)
    return interactions.resume(identity.interaction) if identity.interaction else redirect(url_for("portal.welcome"))


@federation.route("/connexion/federee/activation", methods=["GET", "POST"])
def activate() -> Response | str | tuple[str, int]:
    """A pending account reached through a national identity: activated without an ENT password,
    once the charter is accepted and a recovery e-mail given."""
    identity = _identity_or_login()
    started = session.get(ACTIVATING)
    if isinstance(identity, Response) or not started:
        session.pop(ACTIVATING, None)
        return identity if isinstance(identity, Response) else redirect(url_for("federation.arrived"))
    account = services().directory.get(started["login"])
    if account.stored_state is not AccountState.PENDING or account.security_stamp != started["stamp"]:
        session.pop(ACTIVATING, None)
        return redirect(url_for("federation.arrived"))
    form = FederatedActivationForm()
    if request.method == "GET":
        form.email.data = identity.email or account.school_email or ""
    terms_version = current_app.config["ENT_IDP"].terms_version
    if form.validate_on_submit() and check_contact_and_charter(form):
        try:
            services().directory.activate(account.login, recovery_email=form.email.data, mobile=form.mobile.data or "",
                                          terms_version=terms_version, expected_stamp=started["stamp"],
                                          without_password=True)
        except (AlreadyActivated, CredentialsChanged):
            session.pop(ACTIVATING, None)
            return redirect(url_for("federation.arrived"))
        session.pop(ACTIVATING, None)
        audit("account.activated", login=account.login, provider=identity.provider)
        audit("terms.accepted", login=account.login, terms_version=terms_version)
        activated = services().directory.get(account.login)
        upstream.sign_in(activated, identity)
        if identity.interaction and interactions.pending(identity.interaction):
            return interactions.resume(identity.interaction)
        flash(gettext("Votre compte est activé. Désormais, connectez-vous avec %(provider)s.",
                      provider=identity.provider_name))
        return redirect(url_for("portal.welcome"))
    status = 400 if request.method == "POST" else 200
    return render_template("federation/activate.html", form=form, account=account, provider=identity.provider_name,
                           sms_enabled=bool(current_app.config["ENT_IDP"].sms_gateway)), status

