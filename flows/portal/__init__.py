"""The ENT portal (guide steps P1–P3): the door to signing in and to help."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template

portal = Blueprint("portal", __name__, template_folder="templates")


@portal.get("/")
def home() -> str:
    settings = current_app.config["ENT_IDP"]
    return render_template("portal/home.html", ent_name=settings.ent_name)
