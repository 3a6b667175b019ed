"""The schools' help desk at /assistance: who may see it, which requests, and its actions."""
from __future__ import annotations

import html
import io
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader

from idp.directory import AccountState, Directory, InvalidCredentials, NewAccount, Profile
from idp.provisioning.codes import normalize_typed_code
from idp.provisioning.service import Provisioner
from tests.conftest import audit_events, has_event
from tests.flows.conftest import PASSWORD, SmtpServer, csrf_token, new_active, new_pending, sign_in
from tests.flows.test_help import DESK, help_app, send, stored

TILLEULS, MOULIN = "0770001H", "0770942F"


@pytest.fixture
def app(settings, smtp: SmtpServer) -> Flask:  # type: ignore[no-untyped-def]
    smtp.start()
    return help_app(settings, smtp)


def new_staff(directory: Directory, surname: str, school: str = TILLEULS,
              roles: tuple[str, ...] = ("helpdesk",)) -> str:
    """An active staff account of `school` (by default on its help desk)."""
    created = Provisioner(directory, 90).add(NewAccount("Hélène", surname, Profile.STAFF, (school,), roles=roles))
    directory.activate(created.login, password=PASSWORD, recovery_email="vie-scolaire@example.fr", terms_version="x")
    return created.login


def staff_browser(app: Flask, login: str) -> FlaskClient:
    browser = app.test_client()
    assert sign_in(browser, login, PASSWORD).status_code == 302
    return browser


def request_of(app: Flask, parent: FlaskClient, **answers: str) -> str:
    """A parent sends the help form; returns the request's reference."""
    assert send(parent, **answers).status_code == 302
    return stored(app)[-1].reference


def post(browser: FlaskClient, path: str, **data: str):  # type: ignore[no-untyped-def]
    """A help-desk button or form (the CSRF token is the browser's, taken from any form)."""
    return browser.post(path, data={"csrf_token": csrf_token(browser.get("/aide").text), **data})


def text_of(browser: FlaskClient, path: str) -> str:
    return html.unescape(browser.get(path).text)


def test_signed_out_people_are_sent_to_the_login_page(client: FlaskClient) -> None:
    for path in ("/assistance", "/assistance/AIDE-K7Q-M3X"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"] == "/connexion"


def test_the_home_page_of_help_desk_staff_links_to_their_requests(app: Flask, directory: Directory,
                                                                  unique_surname: str) -> None:
    link = '<a class="bouton secondaire" href="/assistance">'
    assert link in staff_browser(app, new_staff(directory, unique_surname)).get("/accueil").text
    others = staff_browser(app, new_staff(directory, unique_surname + "b", roles=()))
    assert link not in others.get("/accueil").text


def test_people_without_the_helpdesk_role_are_refused(app: Flask, directory: Directory, unique_surname: str) -> None:
    for login in (new_active(directory, unique_surname), new_staff(directory, unique_surname + "b", roles=())):
        response = staff_browser(app, login).get("/assistance")
        assert response.status_code == 403
        assert "<h1>Accès réservé</h1>" in response.text
        assert "réservée aux équipes d’assistance des collèges" in response.text


def test_staff_see_the_open_requests_of_their_colleges_only_newest_first(app: Flask, client: FlaskClient,
                                                                         directory: Directory,
                                                                         unique_surname: str) -> None:
    first = request_of(app, client, parent_name="Anne Premier")
    elsewhere = request_of(app, client, parent_name="Paul Ailleurs", school=MOULIN)
    second = request_of(app, client, parent_name="Zoé Second", problem="password")
    tilleuls = staff_browser(app, new_staff(directory, unique_surname))
    page = text_of(tilleuls, "/assistance")
    assert "<h1>Assistance aux parents</h1>" in page
    assert page.index(second) < page.index(first) and elsewhere not in page and "Paul Ailleurs" not in page
    assert f'<a href="/assistance/{second}">{second}</a>' in page and "J’ai perdu mon mot de passe" in page
    assert tilleuls.get(f"/assistance/{elsewhere}").status_code == 404
    for action in ("reponse", "cloture", "code", "deblocage"):
        response = post(tilleuls, f"/assistance/{first}/{action}", answer="Bonjour")
        assert response.status_code in (200, 302)
        assert post(tilleuls, f"/assistance/{elsewhere}/{action}", answer="Bonjour").status_code == 404, action
    assert [row.status for row in stored(app) if row.reference == elsewhere] == ["open"]
    moulin = staff_browser(app, new_staff(directory, unique_surname + "m", school=MOULIN)).get("/assistance").text
    assert elsewhere in moulin and first not in moulin and second not in moulin


def test_a_request_page_shows_everything_the_parent_wrote(app: Flask, client: FlaskClient, directory: Directory,
                                                          unique_surname: str) -> None:
    reference = request_of(app, client, login="inconnu.du-tout", message="Première ligne.\nDeuxième ligne.")
    page = text_of(staff_browser(app, new_staff(directory, unique_surname)), f"/assistance/{reference.lower()}")
    for text in (f"<h1>Demande {reference}</h1>", "Danièle Adams", "daniele.adams@example.fr",
                 '<a href="tel:+33612345678">06 12 34 56 78</a>',
                 "Léo Adams", "4e B", "Collège Les Tilleuls (0770001H)", "Je n’arrive pas à activer mon compte",
                 "Première ligne.<br>Deuxième ligne.", "inconnu.du-tout",
                 "Aucun compte de parent de vos collèges ne porte l’identifiant donné par le parent."):
        assert text in page, text
    assert "Envoyer un nouveau code d’activation" not in page


def test_answer_is_mailed_to_the_parent_and_kept(app: Flask, client: FlaskClient, directory: Directory,
                                                 unique_surname: str, smtp: SmtpServer) -> None:
    reference = request_of(app, client)
    staff = new_staff(directory, unique_surname)
    browser = staff_browser(app, staff)
    refused = post(browser, f"/assistance/{reference}/reponse", answer="   ")
    assert refused.status_code == 400
    assert re.search(r'<p class="erreur" id="answer-erreur">Écrivez votre réponse au parent.',
                     refused.text)
    response = post(browser, f"/assistance/{reference}/reponse", answer="Votre nouveau code vous attend au collège.")
    assert response.status_code == 302 and response.headers["Location"].endswith("fait=answered")
    page = browser.get(response.headers["Location"]).text
    assert "Votre réponse a été envoyée au parent par courriel." in page
    assert "Votre nouveau code vous attend au collège." in page and f"Par {staff}, le " in page
    [row] = stored(app)
    assert (row.answer, row.answered_by, row.status) == ("Votre nouveau code vous attend au collège.", staff, "open")
    [mail] = [m for m in smtp.mailbox.to("daniele.adams@example.fr") if "Réponse" in m["Subject"]]
    assert mail["Subject"] == f"Réponse à votre demande d’aide n° {reference}"
    assert "Votre nouveau code vous attend au collège." in mail.get_body(("plain",)).get_content()
    assert has_event(audit_events(app), event="helpdesk.answered", login=staff, address="127.0.0.1",
                     reference=reference, outcome="success")


def test_answer_to_a_parent_without_email_is_kept_for_a_phone_call(app: Flask, client: FlaskClient,
                                                                  directory: Directory, unique_surname: str) -> None:
    reference = request_of(app, client, email="")
    browser = staff_browser(app, new_staff(directory, unique_surname))
    assert "transmettez-la par téléphone" in browser.get(f"/assistance/{reference}").text
    response = post(browser, f"/assistance/{reference}/reponse", answer="Rappelez le collège.")
    assert "Ce parent n’a pas donné de courriel : appelez-le" in text_of(browser, response.headers["Location"])
    assert stored(app)[0].answer == "Rappelez le collège."


def test_closing_a_request(app: Flask, client: FlaskClient, directory: Directory, unique_surname: str) -> None:
    reference = request_of(app, client)
    staff = new_staff(directory, unique_surname)
    browser = staff_browser(app, staff)
    response = post(browser, f"/assistance/{reference}/cloture")
    page = browser.get(response.headers["Location"]).text
    assert "La demande est close." in page and f"par {staff}" in page
    assert "Clore la demande" not in page and "Répondre" not in page
    [row] = stored(app)
    assert (row.status, row.closed_by) == ("closed", staff) and row.closed_at
    assert reference not in browser.get("/assistance").text
    assert reference in browser.get("/assistance?etat=closes").text
    again = post(browser, f"/assistance/{reference}/reponse", answer="Trop tard")
    assert again.headers["Location"].endswith("fait=already-closed") and stored(app)[0].answer is None
    assert has_event(audit_events(app), event="helpdesk.closed", login=staff, reference=reference)


def test_new_activation_code_comes_back_as_the_letter_to_print(app: Flask, client: FlaskClient,
                                                               directory: Directory, unique_surname: str) -> None:
    parent = new_active(directory, unique_surname)
    reference = request_of(app, client, login=parent, problem="password")
    staff = new_staff(directory, unique_surname + "s")
    browser = staff_browser(app, staff)
    page = browser.get(f"/assistance/{reference}").text
    assert f"Compte « {parent} » (Danièle {unique_surname}) : activé." in page
    assert "Débloquer le compte" not in page
    asked = post(browser, f"/assistance/{reference}/code")  # first, the staff confirm
    assert asked.status_code == 200 and "Envoyer un nouveau code d’activation ?" in html.unescape(asked.text)
    directory.verify(parent, PASSWORD)  # nothing changed yet
    response = post(browser, f"/assistance/{reference}/code", confirme="oui")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == f"attachment; filename=lettre-activation-{parent}.pdf"
    assert response.headers["Cache-Control"] == "no-store"
    text = " ".join(PdfReader(io.BytesIO(response.data)).pages[0].extract_text().replace("\xa0", " ").split())
    assert f"Identifiant : {parent}" in text and "Collège Les Tilleuls" in text
    code = re.search(r"Code d’activation : ([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4})", text).group(1)
    with pytest.raises(InvalidCredentials):
        directory.verify(parent, PASSWORD)  # the lost password no longer works
    assert directory.verify(parent, code, normalize_code=normalize_typed_code).stored_state is AccountState.PENDING
    assert has_event(audit_events(app), event="helpdesk.code_reissued", login=staff, account=parent)


def test_unlocking_the_parent_account(app: Flask, client: FlaskClient, directory: Directory,
                                      unique_surname: str) -> None:
    parent = new_active(directory, unique_surname)
    directory.lock(parent)
    reference = request_of(app, client, login=parent)
    browser = staff_browser(app, new_staff(directory, unique_surname + "s"))
    assert "verrouillé." in browser.get(f"/assistance/{reference}").text
    response = post(browser, f"/assistance/{reference}/deblocage")
    assert "Le compte est débloqué" in browser.get(response.headers["Location"]).text
    assert directory.get(parent).state is AccountState.ACTIVE
    assert sign_in(app.test_client(), parent, PASSWORD).status_code == 302


@pytest.mark.parametrize("whose", ["another college's parent", "a teacher"])
def test_no_account_action_outside_the_staff_colleges_parents(app: Flask, client: FlaskClient, directory: Directory,
                                                              unique_surname: str, whose: str) -> None:
    if whose == "a teacher":
        login = new_pending(directory, unique_surname, Profile.TEACHER).login
    else:
        login = Provisioner(directory, 90).add(NewAccount("Paul", unique_surname, Profile.PARENT, (MOULIN,))).login
    reference = request_of(app, client, login=login)
    browser = staff_browser(app, new_staff(directory, unique_surname + "s"))
    assert "Aucun compte de parent de vos collèges" in browser.get(f"/assistance/{reference}").text
    before = directory.get(login)
    for action in ("code", "deblocage"):
        response = post(browser, f"/assistance/{reference}/{action}")
        assert response.status_code == 302 and response.headers["Location"].endswith("fait=no-account")
    assert directory.get(login).activation_expires == before.activation_expires


def test_actions_need_the_csrf_token(app: Flask, client: FlaskClient, directory: Directory,
                                     unique_surname: str) -> None:
    reference = request_of(app, client)
    browser = staff_browser(app, new_staff(directory, unique_surname))
    for action in ("reponse", "cloture"):
        response = browser.post(f"/assistance/{reference}/{action}", data={"answer": "Bonjour"})
        assert response.status_code == 400 and "Formulaire expiré" in response.text
    assert (stored(app)[0].status, stored(app)[0].answer) == ("open", None)


def test_help_desk_mail_links_to_the_request_page(app: Flask, client: FlaskClient, smtp: SmtpServer) -> None:
    reference = request_of(app, client)
    [notification] = smtp.mailbox.to(DESK)
    assert f"/assistance/{reference}" in notification.get_body(("plain",)).get_content()
