"""The parents' help form (guide steps H1–H2): « Problème de connexion parents ».

A parent who cannot activate the account, or who lost the password, says who they are, how
to reach them, who their child is and at which college. The request is saved first, in one
transaction, and only then mailed (to the parent as an acknowledgement, to the college's
help desk): a mail server that is down never loses a request. The parent is shown the
request's reference. Like the other public forms, the answer does not depend on whether the
login typed exists: it is never looked up here.
"""
from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_babel import format_number, gettext
from werkzeug.wrappers import Response
from wtforms import (  # type: ignore[attr-defined]  # SelectChoice (WTForms 3.2) is missing from types-WTForms
    EmailField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
)

from idp.audit import audit
from idp.config import Settings
from idp.contact import ContactError, normalize_email, normalize_phone
from idp.directory import LOGIN_PATTERN
from idp.forms import Form
from idp.i18n import _l, current_language
from idp.provisioning.schools import normalize_uai, uai_problem
from idp.ratelimit import HELP, limited
from idp.services import services
from idp.store import help_requests
from idp.store.help_requests import PROBLEMS, HelpRequest

parents_help = Blueprint("parents_help", __name__, template_folder="templates")

RECEIVED = "help_received"
"""Flow-cookie key: the reference of the request just saved (and whether an e-mail was given),
for the confirmation page."""
MESSAGE_MAX = 2000
NAME_MAX = 200
CLASS_MAX = 40


class HelpForm(Form):
    parent_name = StringField(_l("Vos nom et prénom"), render_kw={"autocomplete": "name"})
    email = EmailField(_l("Courriel"), render_kw={"autocomplete": "email", "spellcheck": "false"})
    phone = TelField(_l("Téléphone"), render_kw={"autocomplete": "tel"})
    login = StringField(_l("Votre identifiant (si vous le connaissez)"),
                        render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"})
    child_name = StringField(_l("Nom et prénom de votre enfant"), render_kw={"autocomplete": "off"})
    child_class = StringField(_l("Classe"), render_kw={"autocomplete": "off"})
    school: SelectField | StringField = SelectField(_l("Collège"), validate_choice=False)
    problem = RadioField(_l("Votre problème"), validate_choice=False,
                         choices=[SelectChoice(key, _l(words)) for key, words in PROBLEMS.items()])
    message = TextAreaField(_l("Message"), render_kw={"rows": 6})


class HelpFormByUai(HelpForm):
    """No school configured (`schools` in the settings): the parent types the college's UAI."""

    school = StringField(_l("Collège"), render_kw={"autocomplete": "off", "autocapitalize": "characters",
                                                   "spellcheck": "false"})


@parents_help.route("/aide", methods=["GET", "POST"])
@limited(HELP)
def form() -> Response | str | tuple[str, int]:
    settings: Settings = current_app.config["ENT_IDP"]
    form = HelpForm() if settings.schools else HelpFormByUai()
    if isinstance(form.school, SelectField):  # the colleges of the settings, to choose from
        form.school.choices = [SelectChoice("", gettext("— Choisissez le collège —"))] + [
            SelectChoice(uai, name) for uai, name in sorted(settings.schools.items(), key=lambda item: item[1])]
        if request.method == "GET" and len(settings.schools) == 1:
            form.school.data = next(iter(settings.schools))
    values = _check(form, settings) if form.validate_on_submit() else None
    if values:
        saved = help_requests.file_request(services().store, values, request.remote_addr)
        audit("help.requested", address=request.remote_addr, reference=saved.reference, school=saved.school)
        _notify(saved, settings)
        session[RECEIVED] = {"reference": saved.reference, "email": bool(saved.email)}
        return redirect(url_for("parents_help.received"))
    status = 400 if request.method == "POST" else 200
    return render_template("help/form.html", form=form, by_uai=not settings.schools, message_max=MESSAGE_MAX), status


@parents_help.get("/aide/demande-enregistree")
def received() -> Response | str:
    saved = session.get(RECEIVED)
    if not saved:
        return redirect(url_for("parents_help.form"))
    return render_template("help/received.html", reference=saved["reference"], email=saved["email"])


def _check(form: HelpForm, settings: Settings) -> dict[str, str | None] | None:
    """Puts a message (in the page's language) on every field that needs fixing; the fields keep
    what was typed. Returns the values to save (spaces tidied, e-mail, phone, login and UAI in
    their normal form), or None while something needs fixing."""
    typed = {name: " ".join((form[name].data or "").split())
             for name in ("parent_name", "email", "phone", "login", "child_name", "child_class", "school")}
    values: dict[str, str | None] = {**typed, "problem": form.problem.data,
                                     "message": (form.message.data or "").strip()}
    if not typed["parent_name"]:
        form.parent_name.errors = [gettext("Indiquez vos nom et prénom.")]
    elif len(typed["parent_name"]) > NAME_MAX:
        form.parent_name.errors = [gettext("Vos nom et prénom : %(max)d caractères au maximum.", max=NAME_MAX)]
    if typed["email"]:
        try:
            values["email"] = normalize_email(typed["email"])
        except ContactError:
            form.email.errors = [gettext("Adresse de courriel invalide : « %(address)s » (exemple : "
                                         "prenom.nom@exemple.fr).", address=typed["email"])]
    if typed["phone"]:
        try:
            values["phone"] = normalize_phone(typed["phone"])
        except ContactError:
            form.phone.errors = [gettext("Numéro de téléphone invalide : saisissez un numéro comme "
                                         "06 12 34 56 78 ou 01 64 12 34 56.")]
    if not typed["email"] and not typed["phone"]:
        form.email.errors = [gettext("Indiquez un courriel ou un numéro de téléphone, pour que le collège puisse "
                                     "vous répondre.")]
    if typed["login"]:
        values["login"] = login = typed["login"].lower()
        if not LOGIN_PATTERN.match(login):
            form.login.errors = [gettext("Un identifiant a la forme prénom.nom (par exemple daniele.adams). "
                                         "Laissez ce champ vide si vous ne le connaissez pas.")]
    if not typed["child_name"]:
        form.child_name.errors = [gettext("Indiquez les nom et prénom de votre enfant.")]
    elif len(typed["child_name"]) > NAME_MAX:
        form.child_name.errors = [gettext("Nom et prénom de votre enfant : %(max)d caractères au maximum.",
                                          max=NAME_MAX)]
    if len(typed["child_class"]) > CLASS_MAX:
        form.child_class.errors = [gettext("Classe : %(max)d caractères au maximum (par exemple 4e B).",
                                           max=CLASS_MAX)]
    values["school"] = _check_school(form, settings, typed["school"])
    if values["problem"] not in PROBLEMS:
        form.problem.errors = [gettext("Choisissez ce qui correspond le mieux à votre problème.")]
    if not values["message"]:
        form.message.errors = [gettext("Décrivez votre problème en quelques mots.")]
    elif len(values["message"]) > MESSAGE_MAX:
        form.message.errors = [gettext("Votre message compte %(count)s caractères : raccourcissez-le à %(max)s "
                                       "caractères au maximum.", count=format_number(len(values["message"])),
                                       max=format_number(MESSAGE_MAX))]
    if any(field.errors for field in form):
        return None
    return {name: value or None for name, value in values.items()}


def _check_school(form: HelpForm, settings: Settings, typed: str) -> str:
    if settings.schools:
        if typed not in settings.schools:
            form.school.errors = [gettext("Choisissez le collège de votre enfant.")]
        return typed
    uai = normalize_uai(typed)
    if not uai:
        form.school.errors = [gettext("Indiquez le code UAI du collège de votre enfant (par exemple 0770001H).")]
    elif uai_problem(uai):
        form.school.errors = [gettext("Code UAI invalide : « %(uai)s ». Il compte 7 chiffres suivis d’une lettre "
                                      "(par exemple 0770001H) ; il figure sur la lettre du collège.", uai=typed)]
    return uai


def _notify(row: HelpRequest, settings: Settings) -> None:
    """The parent's acknowledgement and the help desk's notification. The request is already
    saved: a mail that cannot even be queued is logged, and the parent still gets the reference."""
    mails = []
    if row.email:
        mails.append((row.email, "help_received", {"reference": row.reference, "name": row.parent_name},
                      current_language()))
    desk = settings.help_desks.get(row.school)
    if desk:
        mails.append((desk, "help_notification", notification_context(row, settings), "fr"))
    for to, template, context, locale in mails:
        try:
            services().outbound.mail(to, template, context, locale=locale)
        except Exception:  # the request is saved, and the help desk sees it at /assistance
            current_app.logger.exception("help request %s: %s could not be queued", row.reference, template)


def notification_context(row: HelpRequest, settings: Settings) -> dict[str, str]:
    """What the help desk's mail says (in French: the desk's language)."""
    return {
        "reference": row.reference, "parent_name": row.parent_name,
        "parent_email": row.email or "non indiqué", "parent_phone": row.phone or "", "child_name": row.child_name,
        "child_class": row.child_class or "",
        "school_name": settings.schools.get(row.school, row.school), "problem": PROBLEMS[row.problem],
        "message": row.message,
        "link": settings.issuer.rstrip("/") + url_for("helpdesk.show", reference=row.reference),
    }

