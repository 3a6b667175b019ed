"""Consent for third-party apps: asked once per person and app, revocable.
College apps of the ENT (first-party clients) never ask."""
from __future__ import annotations

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from sqlalchemy import select, update
from wtforms import HiddenField

from idp.audit import audit
from idp.forms import Form
from idp.i18n import _l
from idp.oidc import interaction
from idp.services import services
from idp.store import Client, Consent, Token
from idp.store.models import now

consent = Blueprint("consent", __name__, template_folder="templates")

SCOPE_WORDS = {
    "openid": _l("vous identifier"),
    "profile": _l("connaître vos nom, prénom, identifiant, profil (parent, professeur, élève) et établissement"),
    "email": _l("connaître votre adresse de courriel personnelle"),
    "offline_access": _l("garder l'accès à ces informations quand vous n'êtes pas connecté"),
}


class DecisionForm(Form):
    interaction = HiddenField()


@consent.route("/autorisation", methods=["GET", "POST"])
def form() -> Response | str:
    signed_in = services().sessions.current()
    form = DecisionForm()
    interaction_id = request.values.get("interaction") or form.interaction.data
    pending = interaction.pending(interaction_id)
    if signed_in is None or pending is None:
        return redirect(url_for("portal.home"))
    scope = pending.params.get("scope", "")
    if form.validate_on_submit():
        if request.form.get("decision") == "allow":
            with services().store.transaction() as db:
                db.add(Consent(login=signed_in.login, client_id=pending.params.get("client_id", ""), scope=scope))
            interaction.record(pending.id, consent_given=True)
            audit("consent.given", login=signed_in.login, client=pending.params.get("client_id"))
        else:
            interaction.record(pending.id, denied=True)
        return interaction.resume(pending.id)
    form.interaction.data = pending.id
    words = [SCOPE_WORDS[item] for item in scope.split() if item in SCOPE_WORDS]
    return render_template("consent/form.html", form=form, client_name=pending.client_name, words=words)


@consent.route("/applications", methods=["GET", "POST"])
def applications() -> Response | str:
    """The third-party apps a person allowed, each with « Retirer l'autorisation »."""
    signed_in = services().sessions.current()
    if signed_in is None:
        return redirect(url_for("login.form"))
    form = DecisionForm()
    db = services().store.session
    if form.validate_on_submit():
        typed = request.form.get("consent", "")
        granted = db.get(Consent, int(typed)) if typed.isascii() and typed.isdigit() and len(typed) <= 18 else None
        if granted is None or granted.login != signed_in.login:
            abort(404)
        db.execute(update(Consent).where(Consent.id == granted.id).values(revoked_at=now()))
        db.execute(update(Token).where(Token.login == signed_in.login, Token.client_id == granted.client_id,
                                       Token.revoked_at.is_(None)).values(revoked_at=now()))
        db.commit()
        audit("consent.revoked", login=signed_in.login, client=granted.client_id)
        return redirect(url_for("consent.applications"))
    rows = db.execute(select(Consent, Client).join(Client, Client.client_id == Consent.client_id)
                      .where(Consent.login == signed_in.login, Consent.revoked_at.is_(None))).all()
    return render_template("consent/applications.html", form=form, granted=rows)
