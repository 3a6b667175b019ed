"""« Modifier mon mot de passe »: the current password, checked by slapd behind the sign-in
guard's counters (a stolen session cannot guess it), then the new one under the activation
rules; every other browser of the person's is signed out, and a mail tells them.

Someone who signed in with ÉduConnect or FranceConnect in the last minutes may have no ENT
password at all (their account was activated that way): the national identity they just
proved stands for the current password, as a recovery link would."""
from __future__ import annotations

from flask import make_response, redirect, render_template, request, url_for
from werkzeug.wrappers import Response
from wtforms import PasswordField

from flows.account import account
from flows.account.common import current_password_checked, now_text, page_locale, signed_in_only
from idp import upstream
from idp.audit import audit
from idp.forms import Form, NewPasswordField, check_new_password
from idp.i18n import _l
from idp.passwords import normalize_password
from idp.services import services
from idp.sessions import SignedIn


class PasswordForm(Form):
    current = PasswordField(_l("Mot de passe actuel"), render_kw={"autocomplete": "current-password"})
    password = NewPasswordField(_l("Nouveau mot de passe"), render_kw={"autocomplete": "new-password"})
    confirmation = NewPasswordField(_l("Confirmation du nouveau mot de passe"),
                                    render_kw={"autocomplete": "new-password"})


@account.route("/compte/mot-de-passe", methods=["GET", "POST"])
@signed_in_only
def password(signed_in: SignedIn) -> Response:
    person = services().directory.get(signed_in.login)
    form = PasswordForm()
    problem = None
    proven = upstream.proven_recently(signed_in)
    if form.validate_on_submit() and check_new_password(form.password, form.confirmation, person):
        right, problem = (True, None) if proven else current_password_checked(form.current, person)
        if right:
            ended = services().accounts.set_password(person.login, normalize_password(form.password.data or ""),
                                                     actor=person.login, keep=signed_in.session_digest)
            if person.recovery_email:
                services().outbound.mail(person.recovery_email, "password_changed",
                                         {"given_name": person.given_name, "when": now_text()}, page_locale())
            audit("account.password_changed", login=person.login, sessions_ended=ended)
            return redirect(url_for("account.overview", message="password-changed"))
    status = 400 if request.method == "POST" else 200
    return make_response(render_template("account/password.html", form=form, account=person, problem=problem,
                                         proven_by=proven), status)
