"""The schools' help desk (`/assistance`): the parents' help requests of one's own colleges.

Only for a signed-in person whose account has the `helpdesk` role, and only the requests of
the colleges on that account: a request of another college is « introuvable », like one that
does not exist. Every action is a POST with the CSRF token, and audited: answer the parent
(mailed, and kept with the request), close the request, and, when the request names a parent
account of one's colleges, issue a new activation code (the letter comes back as a PDF to
print) or lift a lockout.
"""
from __future__ import annotations

from datetime import datetime
from io import BytesIO

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
from flask_babel import format_number, gettext
from werkzeug.wrappers import Response
from wtforms import TextAreaField

from idp.audit import audit
from idp.config import Settings
from idp.directory import Account, AccountState, Profile
from idp.forms import Form
from idp.i18n import _l
from idp.services import services
from idp.store import help_requests
from idp.store.help_requests import CLOSED, OPEN, PROBLEMS, HelpRequest

helpdesk = Blueprint("helpdesk", __name__, template_folder="templates")

ROLE = "helpdesk"
ANSWER_MAX = 5000
STATES = {AccountState.PENDING: _l("en attente d’activation"), AccountState.ACTIVE: _l("activé"),
          AccountState.LOCKED: _l("verrouillé"), AccountState.DISABLED: _l("désactivé")}
_DONE = {
    "answered": _l("Votre réponse a été envoyée au parent par courriel."),
    "answer-kept": _l("Votre réponse est enregistrée. Ce parent n’a pas donné de courriel : "
                      "appelez-le pour la lui transmettre."),
    "answer-not-mailed": _l("Votre réponse est enregistrée, mais le courriel n’a pas pu partir : "
                            "appelez le parent pour la lui transmettre."),
    "closed": _l("La demande est close."),
    "already-closed": _l("Cette demande était déjà close."),
    "unlocked": _l("Le compte est débloqué : le parent peut de nouveau se connecter."),
    "no-account": _l("Aucun compte de parent de vos collèges ne porte l’identifiant donné par le parent."),
}
"""What the request page says after an action (`?fait=`)."""
_NOT_DONE = {"answer-kept", "answer-not-mailed", "already-closed", "no-account"}
"""…of which these call for the staff's attention."""


class AnswerForm(Form):
    answer = TextAreaField(_l("Votre réponse"), render_kw={"rows": 6})


class ActionForm(Form):
    """A button: only the CSRF token."""


@helpdesk.before_request
def staff_only() -> Response | tuple[str, int] | None:
    signed_in = services().sessions.current()
    if signed_in is None:
        return redirect(url_for("login.form"))
    account = services().directory.find(signed_in.login)
    if account is None or ROLE not in account.roles:
        return render_template("access_reserved.html", reserved_to=_l(
            "Cette page est réservée aux équipes d’assistance des collèges.")), 403
    g.staff = account
    return None


@helpdesk.get("/assistance")
def index() -> str:
    closed = request.args.get("etat") == "closes"
    rows = help_requests.requests_of(services().store, g.staff.schools, CLOSED if closed else OPEN)
    return render_template("helpdesk/index.html", rows=rows, closed=closed, **_words())


@helpdesk.get("/assistance/<reference>")
def show(reference: str) -> str:
    return _page(_request_of_staff(reference))


@helpdesk.post("/assistance/<reference>/reponse")
def answer(reference: str) -> Response | tuple[str, int]:
    row = _request_of_staff(reference)
    if not row.is_open:
        return _back(row, "already-closed")
    form = AnswerForm()
    text = (form.answer.data or "").strip()
    if not text:
        form.answer.errors = [gettext("Écrivez votre réponse au parent.")]
    elif len(text) > ANSWER_MAX:
        form.answer.errors = [gettext("Votre réponse compte %(count)s caractères : %(max)s au maximum.",
                                      count=format_number(len(text)), max=format_number(ANSWER_MAX))]
    if form.answer.errors:
        return _page(row, answer_form=form), 400
    help_requests.answer(services().store, row, text, by=g.staff.login)
    audit("helpdesk.answered", login=g.staff.login, address=request.remote_addr, reference=row.reference)
    if not row.email:
        return _back(row, "answer-kept")
    return _back(row, "answered" if _mail_answer(row, row.email) else "answer-not-mailed")


@helpdesk.post("/assistance/<reference>/cloture")
def close(reference: str) -> Response:
    row = _request_of_staff(reference)
    if not row.is_open:
        return _back(row, "already-closed")
    help_requests.close(services().store, row, by=g.staff.login)
    audit("helpdesk.closed", login=g.staff.login, address=request.remote_addr, reference=row.reference)
    return _back(row, "closed")


@helpdesk.post("/assistance/<reference>/code")
def new_code(reference: str) -> Response:
    """Back to pending with a new activation code, once confirmed (the parent's password stops
    working); the letter to print comes back as a PDF."""
    found = _actionable(reference)
    if isinstance(found, Response):
        return found
    row, account = found
    if request.form.get("confirme") != "oui":
        return make_response(render_template("helpdesk/confirm_new_code.html", row=row, account=account,
                                             action_form=ActionForm()))
    settings: Settings = current_app.config["ENT_IDP"]
    reset = services().accounts.new_code(account.login, actor=g.staff.login)
    audit("helpdesk.code_reissued", login=g.staff.login, address=request.remote_addr, reference=row.reference,
          account=account.login)
    from idp.provisioning.letters import letters_pdf  # the PDF library: imported by the workers that print
    response = send_file(BytesIO(letters_pdf([reset], settings)), mimetype="application/pdf", as_attachment=True,
                         download_name=f"lettre-activation-{account.login}.pdf", max_age=0)
    response.headers["Cache-Control"] = "no-store"  # the letter carries the code
    return response


@helpdesk.post("/assistance/<reference>/deblocage")
def unlock(reference: str) -> Response:
    found = _actionable(reference)
    if isinstance(found, Response):
        return found
    row, account = found
    services().accounts.unlock(account.login, actor=g.staff.login)
    audit("helpdesk.unlocked", login=g.staff.login, address=request.remote_addr, reference=row.reference,
          account=account.login)
    return _back(row, "unlocked")


def _request_of_staff(reference: str) -> HelpRequest:
    """The request, if it belongs to one of the staff's colleges; otherwise « page introuvable »."""
    row = help_requests.find_request(services().store, reference)
    if row is None or row.school not in g.staff.schools:
        abort(404)
    return row


def _actionable(reference: str) -> tuple[HelpRequest, Account] | Response:
    """The open request and its parent account, or the page saying why nothing can be done."""
    row = _request_of_staff(reference)
    if not row.is_open:
        return _back(row, "already-closed")
    account = _account_of(row)
    if account is None:
        return _back(row, "no-account")
    return row, account


def _account_of(row: HelpRequest) -> Account | None:
    """The parent account the request names, when it is one of the staff's colleges: only then may
    the help desk act on it."""
    if not row.login:
        return None
    account = services().directory.find(row.login)
    if account is None or account.profile is not Profile.PARENT or not set(account.schools) & set(g.staff.schools):
        return None
    return account


def _page(row: HelpRequest, answer_form: AnswerForm | None = None) -> str:
    done = request.args.get("fait", "")
    return render_template("helpdesk/show.html", row=row, account=_account_of(row), done=_DONE.get(done),
                           done_class="avertissement" if done in _NOT_DONE else "succes",
                           answer_form=answer_form or AnswerForm(formdata=None), action_form=ActionForm(),
                           states=STATES, **_words())


def _back(row: HelpRequest, done: str) -> Response:
    return redirect(url_for("helpdesk.show", reference=row.reference, fait=done))


def _words() -> dict[str, object]:
    schools = current_app.config["ENT_IDP"].schools
    return {"problems": {key: gettext(words) for key, words in PROBLEMS.items()},
            "school_name": lambda uai: schools.get(uai, uai), "when": _when}


def _when(moment: int | None) -> str:
    return "" if moment is None else datetime.fromtimestamp(moment).astimezone().strftime("%d/%m/%Y %H:%M")


def _mail_answer(row: HelpRequest, to: str) -> bool:
    """Queued (and sent at once if the mail server is up); False when it could not even be queued."""
    try:
        services().outbound.mail(to, "help_answer", {"reference": row.reference, "name": row.parent_name,
                                                 "answer": row.answer})
    except Exception:  # the answer is saved: the page tells the staff to call instead
        current_app.logger.exception("help request %s: answer could not be queued", row.reference)
        return False
    return True
