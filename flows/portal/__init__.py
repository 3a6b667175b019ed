"""The ENT portal (guide steps P1–P3), the home page once signed in, and the guides."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, redirect, render_template, url_for
from sqlalchemy import select

from conformance.guides import STEPS
from idp.i18n import _l
from idp.services import services
from idp.store import Client

portal = Blueprint("portal", __name__, template_folder="templates")

PROFILE_WORDS = {"parent": _l("Parent"), "teacher": _l("Professeur"), "student": _l("Élève"),
                 "staff": _l("Personnel")}
GUIDES = {
    "parents": (_l("Guide parents"), "parents", ("P", "C", "A", "S", "H", "R")),
    "professeurs": (_l("Guide professeurs"), "teachers", ("C", "A", "S", "R", "T")),
}


@portal.get("/")
def home() -> str:
    settings = current_app.config["ENT_IDP"]
    return render_template("portal/home.html", ent_name=settings.ent_name, partners=settings.partners)


@portal.get("/accueil")
def welcome():  # type: ignore[no-untyped-def]
    """The ENT home page: who is signed in, and the college apps to open."""
    signed_in = services().sessions.current()
    if signed_in is None:
        return redirect(url_for("login.form"))
    account = services().directory.get(signed_in.login)
    schools = current_app.config["ENT_IDP"].schools
    apps = services().store.session.scalars(select(Client).where(Client.first_party.is_(True))
                                            .order_by(Client.name)).all()
    return render_template(
        "portal/welcome.html", account=account, profile=PROFILE_WORDS[account.profile.value],
        schools=[schools.get(uai, uai) for uai in account.schools],
        apps=[(app.name, _home_of(app)) for app in apps])


@portal.get("/guides/<audience>")
def guide(audience: str) -> str:
    if audience not in GUIDES:
        abort(404)
    title, _, sections = GUIDES[audience]
    steps = [step for step in STEPS.values() if step.id[0] in sections and step.guide in ("parents", "teachers")]
    grouped: dict[str, list] = {}
    for step in steps:
        grouped.setdefault(step.section, []).append(step)
    return render_template("portal/guide.html", title=title, grouped=grouped, audience=audience)


def _home_of(app: Client) -> str:
    """Where the home page's tile opens an app: the root of its site (its first redirect URI's origin)."""
    parts = urlsplit(app.redirect_uris[0])
    return f"{parts.scheme}://{parts.netloc}/"
