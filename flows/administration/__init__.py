"""The schools' console (`/administration`): the secretariat and the principal follow who has
activated, hand out the letters of a class and act on accounts, for their own schools.

Only for a signed-in person with the `school-admin` role (the schools on their entry) or the
`admin` role (every school). A school, or an account, outside the person's schools is
« introuvable », like one that does not exist: whatever a URL or a form names, nothing is
shown or done outside them. Every action is a POST with the CSRF token and an audit event;
those that change a secret (a new code, a lock, disabling) are confirmed first.
"""
from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlencode

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    make_response,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from werkzeug.wrappers import Response

from idp.audit import audit
from idp.config import Settings
from idp.directory import Account, AccountState, Profile, classes_in
from idp.forms import Form
from idp.i18n import _l
from idp.provisioning.activation import Line, activation_report
from idp.provisioning.schools import normalize_uai, uai_problem
from idp.services import services
from idp.store.schools import names_by_uai

administration = Blueprint("administration", __name__, template_folder="templates")

SCHOOL_ADMIN, ADMIN = "school-admin", "admin"
STATES = {AccountState.PENDING: _l("en attente d’activation"), AccountState.ACTIVE: _l("activé"),
          AccountState.LOCKED: _l("verrouillé"), AccountState.DISABLED: _l("désactivé")}
PROFILES = {Profile.STUDENT.value: _l("Élèves"), Profile.PARENT.value: _l("Parents"),
            Profile.TEACHER.value: _l("Enseignants"), Profile.STAFF.value: _l("Personnels")}
ACTIONS = {
    "code": _l("Nouveau code et lettre d’activation"),
    "debloquer": _l("Débloquer"),
    "verrouiller": _l("Verrouiller"),
    "desactiver": _l("Désactiver"),
}
EVENTS = {"code": "console.code_reissued", "debloquer": "console.unlocked", "verrouiller": "console.locked",
          "desactiver": "console.disabled"}
CONFIRMED = {"code", "verrouiller", "desactiver"}
"""The actions that change a secret or take access away: a confirmation page comes first."""
_DONE = {
    "debloquer": _l("Comptes débloqués : %(count)s."),
    "verrouiller": _l("Comptes verrouillés : %(count)s. Leurs sessions sont fermées."),
    "desactiver": _l("Comptes désactivés : %(count)s. Leurs sessions sont fermées."),
}
MAX_SELECTED = 500


class ActionForm(Form):
    """Buttons and check boxes: the CSRF token is what WTForms checks."""


@administration.before_request
def admins_only() -> Response | tuple[str, int] | None:
    signed_in = services().sessions.current()
    if signed_in is None:
        return redirect(url_for("login.form"))
    account = services().directory.find(signed_in.login)
    if account is None or not ({SCHOOL_ADMIN, ADMIN} & set(account.roles)) or not account.usable:
        return render_template("access_reserved.html", reserved_to=_l(
            "Cette page est réservée aux administrateurs de l’ENT des collèges.")), 403
    g.admin = account
    return None


def _every_school() -> bool:
    return ADMIN in g.admin.roles


def _school(uai: str) -> str:
    """The school of the URL, if it is one of the admin's; otherwise « page introuvable »."""
    school = normalize_uai(uai)
    if uai_problem(school) or not (_every_school() or school in g.admin.schools):
        abort(404)
    return school


def _names() -> dict[str, str]:
    settings: Settings = current_app.config["ENT_IDP"]
    return {**names_by_uai(services().store), **settings.schools}


@administration.get("/administration")
def index() -> str:
    """The admin's schools, each with its totals. For the `admin` role, every school the ENT
    knows (named by the settings or by the académie's exports), without totals: they would
    take reading the whole directory; each school's page gives them."""
    directory = services().directory
    names = _names()
    schools: dict[str, Line | None]
    if _every_school():
        schools = dict.fromkeys(sorted({*names, *g.admin.schools}))
    else:
        totals = {school: activation_report(directory.accounts(school=school), school).schools.get(school)
                  for school in sorted(g.admin.schools)}
        schools = {school: line for school, line in totals.items() if line}
    return render_template("administration/index.html", schools=schools, names=names)


@administration.get("/administration/<uai>")
def school(uai: str) -> str:
    """A school's dashboard: who activated, per profile and class, and activation week by week."""
    school = _school(uai)
    accounts = list(services().directory.accounts(school=school))
    report = activation_report(accounts, school)
    return render_template("administration/school.html", school=school, name=_names().get(school, school),
                           total=report.schools.get(school), lines=report.lines, weeks=_weeks(accounts),
                           profiles=PROFILES)


@administration.get("/administration/<uai>/comptes")
def accounts(uai: str) -> str:
    school = _school(uai)
    return _accounts_page(school)


@administration.post("/administration/<uai>/comptes")
def act(uai: str) -> Response | str | tuple[str, int]:
    """An action on the accounts ticked in the list: confirmed first when it changes a secret."""
    school = _school(uai)
    form = ActionForm()
    action = request.form.get("action", "")
    if not form.validate() or action not in ACTIONS:
        abort(400)
    chosen = (_listed(school) if request.form.get("tous") == "oui"
              else _chosen(school, request.form.getlist("compte")))[:MAX_SELECTED]
    if not chosen:
        return _accounts_page(school, problem=_l("Cochez au moins un compte.")), 400
    if action in CONFIRMED and request.form.get("confirme") != "oui":
        return render_template("administration/confirm.html", school=school, action=action, label=ACTIONS[action],
                               chosen=chosen, action_form=ActionForm(), states=STATES)
    accounts = services().accounts
    for account in chosen:
        audit(EVENTS[action], login=g.admin.login, address=request.remote_addr, account=account.login,
              school=school)
    if action == "code":
        from idp.provisioning.letters import letters_pdf  # the PDF library: imported by the workers that print
        done = [accounts.new_code(account.login, actor=g.admin.login) for account in chosen]
        return _pdf(letters_pdf(done, current_app.config["ENT_IDP"]), f"lettres-{school}.pdf")
    for account in chosen:
        if action == "debloquer":
            accounts.unlock(account.login, actor=g.admin.login)
        elif action == "verrouiller":
            accounts.lock(account.login, actor=g.admin.login)
        else:
            accounts.disable(account.login, actor=g.admin.login, reason="console")
    query = {**_filters(), "fait": action, "n": str(len(chosen))}
    return redirect(url_for("administration.accounts", uai=school) + "?" + urlencode(query))


@administration.get("/administration/<uai>/en-attente.csv")
def pending_csv(uai: str) -> Response:
    """The school's accounts not yet activated (never a secret), for a spreadsheet."""
    school = _school(uai)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(["login", "given_name", "surname", "profile", "class", "code_expires", "code_expired"])
    for account in sorted(services().directory.accounts(school=school), key=_order):
        if account.state is AccountState.PENDING:
            writer.writerow([account.login, account.given_name, account.surname, account.profile.value,
                             _class_in(account, school) or "",
                             account.activation_expires.date().isoformat() if account.activation_expires else "",
                             "oui" if account.activation_expired() else "non"])
    response = make_response("\ufeff" + out.getvalue())  # the BOM: Excel then reads UTF-8
    response.mimetype = "text/csv"
    response.headers["Content-Disposition"] = f"attachment; filename=en-attente-{school}.csv"
    return response


# Helpers

def _filters() -> dict[str, str]:
    """The list's filters, as the query (or the form that comes back to it) gives them."""
    values = request.values
    return {name: values.get(name, "").strip()[:100] for name in ("profil", "classe", "etat", "q")
            if values.get(name, "").strip()}


def _listed(school: str) -> list[Account]:
    """The school's accounts that the filters keep, by class and name."""
    filters = _filters()
    profile = next((p for p in Profile if p.value == filters.get("profil")), None)
    found = services().directory.accounts(school=school, profile=profile, class_name=filters.get("classe"))
    words = filters.get("q", "").casefold().split()
    return sorted((account for account in found
                   if (not filters.get("etat") or account.state.value == filters["etat"])
                   and all(word in f"{account.login} {account.display_name}".casefold() for word in words)),
                  key=_order)


def _accounts_page(school: str, problem: object = None) -> str:
    filters = _filters()
    listed = _listed(school)
    classes = sorted({name for account in services().directory.accounts(school=school, profile=Profile.STUDENT)
                      if (name := _class_in(account, school))})
    done = request.args.get("fait")
    message = (_DONE[done] % {"count": request.args.get("n", "")}) if done in _DONE else None
    return render_template("administration/accounts.html", school=school, name=_names().get(school, school),
                           accounts=listed, filters=filters, classes=classes, profiles=PROFILES, states=STATES,
                           actions=ACTIONS, action_form=ActionForm(), class_in=_class_in, done=message,
                           problem=problem)


def _chosen(school: str, logins: list[str]) -> list[Account]:
    """The ticked accounts that belong to the school (any other login is ignored, as unknown)."""
    directory = services().directory
    chosen = []
    for login in dict.fromkeys(logins):
        account = directory.find(login)
        if account is not None and school in account.schools:
            chosen.append(account)
    return sorted(chosen, key=_order)


def _class_in(account: Account, school: str) -> str | None:
    return next(iter(classes_in(account.classes, school)), None)


def _order(account: Account) -> tuple[str, str, str]:
    return (account.classes[0] if account.classes else "", account.surname.casefold(), account.given_name.casefold())


def _weeks(accounts: list[Account], count: int = 12) -> list[dict[str, object]]:
    """The last `count` weeks: how many activated in each, and the share activated by its end."""
    today = datetime.now(UTC).date()
    monday = today - timedelta(days=today.weekday())
    weeks = [monday - timedelta(weeks=n) for n in range(count - 1, -1, -1)]
    activated: Counter[date] = Counter()
    before = 0
    for account in accounts:
        if account.stored_state is AccountState.ACTIVE and account.terms_accepted_at is not None:
            day = account.terms_accepted_at.astimezone(UTC).date()
            week = day - timedelta(days=day.weekday())
            if week < weeks[0]:
                before += 1
            else:
                activated[week] += 1
    total, rows = before, []
    for week in weeks:
        total += activated[week]
        rows.append({"week": week, "activated": activated[week], "share": round(100 * total / len(accounts))
                     if accounts else 0})
    return rows


def _pdf(content: bytes, name: str) -> Response:
    response = send_file(io.BytesIO(content), mimetype="application/pdf", as_attachment=True, download_name=name,
                         max_age=0)
    response.headers["Cache-Control"] = "no-store"  # the letters carry the codes
    return response
