"""The ENT portal (guide steps P1–P3), the home page once signed in, and the guides."""
from __future__ import annotations

import json
from pathlib import Path

from flask import Blueprint, abort, current_app, redirect, render_template, url_for

from conformance.guides import STEPS
from idp.apps import apps_for
from idp.i18n import _l
from idp.services import services

portal = Blueprint("portal", __name__, template_folder="templates", static_folder="static",
                   static_url_path="/portail-static")
"""Its static files (the living guides, `static/guides/`) are under /portail-static, apart from the app's /static."""

PROFILE_WORDS = {"parent": _l("Parent"), "teacher": _l("Professeur"), "student": _l("Élève"),
                 "staff": _l("Personnel")}
GUIDES = {
    "parents": (_l("Guide parents"), "parents", ("P", "C", "A", "S", "H", "R", "M")),
    "professeurs": (_l("Guide professeurs"), "teachers", ("C", "A", "S", "R", "T", "M")),
}
SHIPPED_GUIDES = "guides"
"""Folder of `static/` where `conformance.report.publish_guides` ships the guides' screenshots
and PDFs, with their manifest `guides.json`."""


@portal.get("/")
def home() -> str:
    settings = current_app.config["ENT_IDP"]
    return render_template("portal/home.html", ent_name=settings.ent_name, partners=settings.partners)


@portal.get("/accueil")
def welcome():
    """The ENT home page: who is signed in, and the college apps to open."""
    signed_in = services().sessions.current()
    if signed_in is None:
        return redirect(url_for("login.form"))
    account = services().directory.get(signed_in.login)
    schools = current_app.config["ENT_IDP"].schools
    return render_template(
        "portal/welcome.html", account=account, profile=PROFILE_WORDS[account.profile.value],
        schools=[schools.get(uai, uai) for uai in account.schools], apps=apps_for(account))


@portal.get("/accessibilite")
def accessibility() -> str:
    """The accessibility statement (RGAA's model), linked from every page's footer."""
    settings = current_app.config["ENT_IDP"]
    return render_template("portal/accessibility.html", ent_name=settings.ent_name, issuer=settings.issuer)


@portal.get("/guides/<audience>")
def guide(audience: str) -> str:
    if audience not in GUIDES:
        abort(404)
    title, _, sections = GUIDES[audience]
    steps = [step for step in STEPS.values() if step.id[0] in sections and step.guide in ("parents", "teachers")]
    grouped: dict[str, list] = {}
    for step in steps:
        grouped.setdefault(step.section, []).append(step)
    images, pdf = _shipped_guide(audience, [step.id for step in steps])
    return render_template("portal/guide.html", title=title, grouped=grouped, audience=audience, images=images,
                           pdf=pdf)


def _shipped_guide(audience: str, step_ids: list[str]) -> tuple[dict[str, dict], str | None]:
    """The shipped screenshots of these steps ({id: {"file", "size", "alt"}}, files relative to
    static/) and the guide's PDF, when the manifest `static/guides/guides.json` exists;
    without it, none (the guide is text only). Files missing from the folder are left out."""
    folder = Path(portal.static_folder or "", SHIPPED_GUIDES)
    try:
        manifest = json.loads((folder / "guides.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}, None

    def shipped(name: object) -> str | None:
        if not isinstance(name, str) or name.startswith("/") or ".." in Path(name).parts:
            return None
        return f"{SHIPPED_GUIDES}/{name}" if (folder / name).is_file() else None

    images = {}
    for step_id in step_ids:
        file = shipped(manifest.get("steps", {}).get(step_id))
        if file:
            size = manifest.get("sizes", {}).get(step_id)
            alt = manifest.get("alts", {}).get(step_id)
            images[step_id] = {"file": file, "size": size if isinstance(size, list) and len(size) == 2 else None,
                               "alt": alt if isinstance(alt, str) else None}
    return images, shipped(manifest.get("pdf", {}).get(audience, f"guide-{audience}.pdf"))
