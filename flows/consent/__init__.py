"""Consent for third-party apps: asked once per person and app, revocable.
College apps of the ENT (first-party clients) never ask."""
from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from werkzeug.wrappers import Response
from wtforms import HiddenField

from idp import interactions
from idp.audit import audit
from idp.forms import Form
from idp.i18n import _l
from idp.services import services
from idp.store import consents

consent = Blueprint("consent", __name__, template_folder="templates")

SCOPE_WORDS = {
    "openid": _l("vous identifier"),
    "profile": _l("connaître vos nom, prénom, identifiant, profil (parent, professeur, élève) et établissement"),
    "email": _l("connaître votre adresse de courriel personnelle"),
    "offline_access": _l("garder l’accès à ces informations même après votre déconnexion"),
}


class DecisionForm(Form):
    interaction = HiddenField()


@consent.route("/autorisation", methods=["GET", "POST"])
def form() -> interactions.Answer | str:
    signed_in = services().sessions.current()
    form = DecisionForm()
    waiting = interactions.pending(request.values.get("interaction") or form.interaction.data)
    if signed_in is None or waiting is None or waiting.consent_wanted is None:
        return redirect(url_for("portal.home"))
    app_id, scope = waiting.consent_wanted.app_id, waiting.consent_wanted.scope
    if form.validate_on_submit():
        if request.form.get("decision") == "allow":
            consents.give(services().store, signed_in.login, app_id, scope)
            interactions.record(waiting.id, consent_given=True)
            audit("consent.given", login=signed_in.login, client=app_id)
        else:
            interactions.record(waiting.id, denied=True)
        return interactions.resume(waiting.id)
    form.interaction.data = waiting.id
    words = [SCOPE_WORDS[item] for item in scope.split() if item in SCOPE_WORDS]
    return render_template("consent/form.html", form=form, client_name=waiting.app_name, words=words)


@consent.route("/applications", methods=["GET", "POST"])
def applications() -> Response | str:
    """The third-party apps a person allowed, each with « Retirer l'autorisation »."""
    signed_in = services().sessions.current()
    if signed_in is None:
        return redirect(url_for("login.form"))
    form = DecisionForm()
    if form.validate_on_submit():
        typed = request.form.get("consent", "")
        client_id = consents.withdraw(services().store, signed_in.login, int(typed)) \
            if typed.isascii() and typed.isdigit() and len(typed) <= 18 else None
        if client_id is None:
            abort(404)
        audit("consent.revoked", login=signed_in.login, client=client_id)
        return redirect(url_for("consent.applications"))
    return render_template("consent/applications.html", form=form,
                           granted=consents.in_force(services().store, signed_in.login))
