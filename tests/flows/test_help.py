"""The parents' help form (guide steps H1–H2; SECURITY.md 9, 16, 27), with a real SMTP server."""
from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient
from sqlalchemy import func, select

from idp.app import create_app
from idp.config import Settings
from idp.directory import Directory
from idp.outbound import OutboxMessage
from idp.services import services
from idp.store.help_requests import HelpRequest, normalize_reference
from tests.flows.conftest import SmtpServer, csrf_token, new_active

SCHOOLS = {"0770001H": "Collège Les Tilleuls", "0770942F": "Collège Jean Moulin"}
DESK = "vie-scolaire.tilleuls@example.fr"
REFERENCE = re.compile(r"AIDE-[A-Z2-9]{3}-[A-Z2-9]{3}")


def help_app(settings: Settings, smtp: SmtpServer, **changes: Any) -> Flask:
    return create_app(settings.with_changes(**{"terms_version": "2026-09", "schools": SCHOOLS,
                                               "help_desks": {"0770001H": DESK}, "smtp_url": smtp.url, **changes}))


@pytest.fixture
def app(settings: Settings, smtp: SmtpServer) -> Flask:
    smtp.start()
    return help_app(settings, smtp)


def answers(**changes: str) -> dict[str, str]:
    """What Danièle Adams types in the guide's help form, with `changes`."""
    return {"parent_name": "Danièle Adams", "email": "daniele.adams@example.fr", "phone": "06 12 34 56 78",
            "login": "", "child_name": "Léo Adams", "child_class": "4e B", "school": "0770001H",
            "problem": "activation", "message": "Le code de la lettre est refusé.", **changes}


def send(client: FlaskClient, **changes: str):  # type: ignore[no-untyped-def]
    data = answers(**changes)
    return client.post("/aide", data={"csrf_token": csrf_token(client.get("/aide").text), **data})


def stored(app: Flask) -> list[HelpRequest]:
    with app.app_context():
        return list(services().store.session.scalars(select(HelpRequest).order_by(HelpRequest.id)))


def test_login_page_and_portal_lead_to_the_form(client: FlaskClient, app: Flask) -> None:
    for page in ("/connexion", "/"):
        assert '<a href="/aide">Problème de connexion parents</a>' in client.get(page).text
    with app.test_request_context():
        assert url_for("parents_help.form") == "/aide"
    page = client.get("/aide")
    assert page.status_code == 200 and "<h1>Problème de connexion parents</h1>" in page.text
    assert "prénom.nom, sans accent" in page.text  # the advice stays, as an introduction


def test_fields_have_bound_labels_hints_and_the_configured_colleges(client: FlaskClient) -> None:
    page = client.get("/aide").text
    for name, label in (("parent_name", "Vos nom et prénom"), ("email", "Courriel"), ("phone", "Téléphone"),
                        ("login", "Votre identifiant (si vous le connaissez)"),
                        ("child_name", "Nom et prénom de votre enfant"), ("child_class", "Classe"),
                        ("school", "Collège"), ("message", "Message")):
        assert f'<label for="{name}">{label}' in page, name
    assert re.search(r'<input[^>]*aria-describedby="child_class-aide"[^>]*id="child_class"', page)
    assert 'id="child_class-aide">Facultatif, par exemple 4e B.' in page
    assert '<option value="0770942F">Collège Jean Moulin</option>' in page
    assert '<option value="">— Choisissez le collège —</option>' in page
    assert "<legend class=\"libelle\">Votre problème" in page
    for key, words in (("activation", "Je n’arrive pas à activer mon compte"),
                       ("password", "J’ai perdu mon mot de passe"), ("other", "Autre")):
        assert re.search(rf'<input[^>]*type="radio" value="{key}"', page)
        assert re.search(rf'<label for="problem-\d">{words}</label>', page)
    assert re.search(r'<input[^>]*autocomplete="email"[^>]*id="email"[^>]*type="email"', page)
    assert re.search(r'<input[^>]*autocomplete="tel"[^>]*id="phone"[^>]*type="tel"', page)


def test_bad_input_is_said_next_to_each_field_and_everything_typed_is_kept(client: FlaskClient, app: Flask) -> None:
    response = send(client, parent_name="", email="daniele.adams@", phone="12 34", login="Danièle Adams",
                    child_class="4e B", school="", problem="", message="x" * 2001)
    assert response.status_code == 400
    page = response.text
    assert "Votre demande n’est pas encore envoyée : corrigez les champs signalés ci-dessous." in page
    for name, message in (
            ("parent_name", "Indiquez vos nom et prénom."),
            ("email", "Adresse de courriel invalide : « daniele.adams@ » (exemple : prenom.nom@exemple.fr)."),
            ("phone", "Numéro de téléphone invalide : saisissez un numéro comme 06 12 34 56 78 ou 01 64 12 34 56."),
            ("login", "Un identifiant a la forme prénom.nom (par exemple daniele.adams)."),
            ("school", "Choisissez le collège de votre enfant."),
            ("problem", "Choisissez ce qui correspond le mieux à votre problème."),
            ("message", "Votre message compte 2\u202f001 caractères\u00a0: raccourcissez-le à 2\u202f000 caractères "
                        "au maximum.")):
        assert re.search(rf'<p class="erreur" id="{name}-erreur">{re.escape(message)}', page), name
    assert re.search(r'<input[^>]*aria-describedby="email-aide email-erreur"[^>]*aria-invalid="true"', page)
    for kept in ('value="daniele.adams@"', 'value="12 34"', 'value="Léo Adams"', 'value="4e B"', "x" * 2001):
        assert kept in page, kept
    assert stored(app) == []


def test_fields_keep_what_was_typed_not_its_normal_form(client: FlaskClient) -> None:
    page = send(client, email="daniele.adams@exemple", phone="06.12.34.56.78", login="Daniele.Adams",
                school="0770942F").text
    for kept in ('value="daniele.adams@exemple"', 'value="06.12.34.56.78"', 'value="Daniele.Adams"',
                 '<option selected value="0770942F">'):
        assert kept in page, kept
    assert re.search(r'<input checked[^>]*id="problem-0"[^>]*value="activation"', page)


def test_an_email_or_a_phone_is_needed_to_answer(client: FlaskClient, app: Flask) -> None:
    page = send(client, email="", phone="").text
    assert "Indiquez un courriel ou un numéro de téléphone, pour que le collège puisse vous répondre." in page
    assert 'value="Danièle Adams"' in page and "Le code de la lettre est refusé." in page
    assert send(client, email="").status_code == 302
    assert send(client, phone="").status_code == 302
    assert len(stored(app)) == 2


def test_request_is_stored_then_mailed_and_the_parent_gets_its_reference(client: FlaskClient, app: Flask,
                                                                        smtp: SmtpServer) -> None:
    response = send(client, login="Daniele.Adams ", problem="password",
                    message="J'ai perdu mon mot de passe.\nMerci de m'aider.")
    assert response.status_code == 302 and response.headers["Location"] == "/aide/demande-enregistree"
    page = client.get("/aide/demande-enregistree").text
    [row] = stored(app)
    assert f"Votre demande a bien été enregistrée sous le numéro <strong>{row.reference}</strong>." in page
    assert REFERENCE.fullmatch(row.reference)
    assert (row.status, row.school, row.parent_name, row.email, row.phone, row.child_name, row.child_class,
            row.login, row.problem) == ("open", "0770001H", "Danièle Adams", "daniele.adams@example.fr",
                                        "+33612345678", "Léo Adams", "4e B", "daniele.adams", "password")
    assert row.message == "J'ai perdu mon mot de passe.\nMerci de m'aider."
    assert row.address == "127.0.0.1" and row.created_at > 0 and row.answer is None
    [received] = smtp.mailbox.to("daniele.adams@example.fr")
    assert received["Subject"] == f"Votre demande d’aide n° {row.reference} a bien été reçue"
    assert "Bonjour Danièle Adams," in received.get_body(("plain",)).get_content()
    [notification] = smtp.mailbox.to(DESK)
    assert notification["Subject"] == f"Demande d’aide n° {row.reference} : Léo Adams (4e B)"
    body = notification.get_body(("plain",)).get_content()
    for text in ("Problème : J’ai perdu mon mot de passe", "Parent : Danièle Adams", "Téléphone : +33612345678",
                 "Établissement\u00a0: Collège Les Tilleuls", "Merci de m'aider.",
                 f"http://127.0.0.1:5000/assistance/{row.reference}"):
        assert text in body, text


def test_without_an_email_only_the_help_desk_is_told(client: FlaskClient, app: Flask, smtp: SmtpServer) -> None:
    assert send(client, email="").status_code == 302
    assert "accusé de réception" not in client.get("/aide/demande-enregistree").text
    assert [message["To"] for message in smtp.mailbox.messages] == [DESK]


def test_a_college_without_help_desk_still_keeps_the_request(client: FlaskClient, app: Flask,
                                                            smtp: SmtpServer) -> None:
    assert send(client, school="0770942F").status_code == 302
    assert [row.school for row in stored(app)] == ["0770942F"]
    assert [message["To"] for message in smtp.mailbox.messages] == ["daniele.adams@example.fr"]


def test_mail_server_down_the_request_is_kept_and_its_mails_leave_when_it_returns(settings: Settings,
                                                                                 smtp: SmtpServer) -> None:
    app = help_app(settings, smtp)  # nothing listens on smtp.port yet
    client = app.test_client()
    assert send(client).status_code == 302
    [row] = stored(app)
    assert row.reference in client.get("/aide/demande-enregistree").text
    with app.app_context():
        outbox = services().store.session
        assert outbox.scalar(select(func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.status == "queued")) == 2
        smtp.start()
        counts = services().outbound.flush()  # every queued message due now, then delivered
    assert counts["sent"] == 2 and counts["waiting"] == 0
    assert sorted(message["To"] for message in smtp.mailbox.messages) == sorted(["daniele.adams@example.fr", DESK])
    assert all(row.reference in message["Subject"] for message in smtp.mailbox.messages)


def test_without_configured_colleges_the_parent_types_the_uai(settings: Settings, smtp: SmtpServer) -> None:
    app = help_app(settings, smtp.start(), schools={}, help_desks={})
    client = app.test_client()
    page = client.get("/aide").text
    assert re.search(r'<input[^>]*aria-describedby="school-aide"[^>]*id="school"', page) and "<select" not in page
    assert "(par exemple 0770001H)" in page and "placeholder" not in page  # a hint, not a placeholder
    page = send(client, school="0770001A").text
    assert "Code UAI invalide : « 0770001A »." in page and 'value="0770001A"' in page
    assert "Indiquez le code UAI du collège de votre enfant" in send(client, school=" ").text
    assert send(client, school=" 0770001h ").status_code == 302
    assert [row.school for row in stored(app)] == ["0770001H"]


def test_the_answer_does_not_depend_on_the_login_existing(client: FlaskClient, app: Flask,
                                                          directory: Directory, unique_surname: str) -> None:
    login = new_active(directory, unique_surname)
    pages = []
    for given in (login, "nobody.at-all"):
        response = send(client, login=given)
        assert response.status_code == 302
        pages.append(REFERENCE.sub("REF", client.get(response.headers["Location"]).text))
    assert pages[0] == pages[1]


def test_confirmation_page_without_a_request_goes_to_the_form(client: FlaskClient) -> None:
    response = client.get("/aide/demande-enregistree")
    assert response.status_code == 302 and response.headers["Location"] == "/aide"


def test_post_without_csrf_token_is_refused(client: FlaskClient, app: Flask) -> None:
    response = client.post("/aide", data=answers())
    assert response.status_code == 400 and "Formulaire expiré" in response.text
    assert stored(app) == []


def test_help_requests_are_rate_limited(settings: Settings, smtp: SmtpServer) -> None:
    client = help_app(settings, smtp.start(), rate_limits=True).test_client()
    statuses = [send(client, parent_name="").status_code for _ in range(6)]
    assert statuses == [400] * 5 + [429]
    assert "Trop de tentatives" in send(client).text


def test_references_are_typed_loosely() -> None:
    assert normalize_reference(" aide-k7q-m3x ") == normalize_reference("K7QM3X") == "AIDE-K7Q-M3X"
    assert normalize_reference("AIDE K7Q M3X") == "AIDE-K7Q-M3X"


def test_an_expired_help_form_comes_back_with_what_was_typed(app: Flask, client: FlaskClient) -> None:
    """The flow cookie lost (a browser restarted with the page open): « Recommencer » shows the
    form again as the parent left it."""
    data = answers(parent_name="Danièle Adams", message="Je n'ai jamais reçu la lettre.")
    expired = client.post("/aide", data=data)  # no CSRF token
    assert expired.status_code == 400 and "Formulaire expiré" in expired.text
    page = client.get("/aide").text
    assert 'value="Danièle Adams"' in page and "Je n&#39;ai jamais reçu la lettre." in page
    assert send(client, parent_name="Danièle Adams").status_code == 302  # and it can be sent
