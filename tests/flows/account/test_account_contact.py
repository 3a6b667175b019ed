"""« Mon compte »: a new recovery e-mail (guide step M3: used only once its link is opened,
the old address told) and a new mobile (confirmed by an SMS code when the ENT sends SMS);
both ask for the current password. With the real slapd, a real SMTP server and the file
SMS gateway."""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from idp.app import create_app
from idp.config import Settings
from idp.directory import Directory
from tests.conftest import audit_events, eventually, has_event
from tests.flows.conftest import PASSWORD, Mailbox, SmtpServer, csrf_token, sign_in

NEW = "daniele.nouvelle@example.org"


@pytest.fixture
def browser(app: Flask, person: str) -> FlaskClient:
    client = app.test_client()
    assert sign_in(client, person, PASSWORD).status_code == 302
    return client


def ask_email(client: FlaskClient, address: str, current: str = PASSWORD):  # type: ignore[no-untyped-def]
    token = csrf_token(client.get("/compte/courriel").text)
    return client.post("/compte/courriel", data={"csrf_token": token, "email": address, "current": current})


def confirmation_link(mailbox: Mailbox, address: str) -> str:
    [body] = eventually(lambda: mailbox.text_to(address))
    found = re.search(r"https?://\S+/compte/courriel/confirmer\?jeton=[\w-]+", body)
    assert found, body
    parts = urlsplit(found.group(0))
    return f"{parts.path}?{parts.query}"


def confirm(client: FlaskClient, link: str):  # type: ignore[no-untyped-def]
    page = client.get(link)
    assert page.status_code == 200, page.text
    return client.post("/compte/courriel/confirmer", data={"csrf_token": csrf_token(page.text),
                                                           "token": link.split("jeton=")[1]})


def test_a_new_address_is_used_only_once_its_link_is_opened_and_the_old_one_is_told(
        app: Flask, browser: FlaskClient, person: str, directory: Directory, mailbox: Mailbox) -> None:
    asked = ask_email(browser, "  daniele.nouvelle@Example.ORG ")
    assert asked.headers["Location"] == "/compte?message=email-asked"
    assert "Un lien de confirmation a été envoyé" in browser.get(asked.headers["Location"]).text
    link = confirmation_link(mailbox, NEW)
    assert directory.get(person).recovery_email == "d@example.fr"  # not before the link is opened
    assert browser.get(link).status_code == 200 and browser.get(link).status_code == 200  # opening uses nothing
    elsewhere = app.test_client()  # the mail is opened on the phone: no sign-in needed
    confirmed = confirm(elsewhere, link)
    assert confirmed.status_code == 200 and NEW in confirmed.text
    assert directory.get(person).recovery_email == NEW
    [told] = eventually(lambda: mailbox.text_to("d@example.fr"))
    assert NEW in told and "d@example.fr" in told
    assert elsewhere.get(link).status_code == 400  # single use
    events = audit_events(app)
    assert has_event(events, event="account.email_change_asked", login=person)
    assert has_event(events, event="account.email_changed", login=person)


def test_a_link_stops_working_once_the_account_changed(browser: FlaskClient, person: str, directory: Directory,
                                                       mailbox: Mailbox) -> None:
    ask_email(browser, NEW)
    link = confirmation_link(mailbox, NEW)
    directory.set_password(person, "Marronnier2027")  # a new password since: a new stamp
    assert browser.get(link).status_code == 400
    assert directory.get(person).recovery_email == "d@example.fr"


@pytest.mark.parametrize(("address", "current", "message"), [
    ("pas-une-adresse", PASSWORD, "Adresse de courriel invalide"),
    ("", PASSWORD, "Saisissez votre nouvelle adresse de courriel."),
    ("d@example.fr", PASSWORD, "C’est déjà l’adresse de votre compte."),
    (NEW, "PasLeBon2026", "Mot de passe actuel incorrect."),
    (NEW, "", "Saisissez votre mot de passe actuel."),
])
def test_a_refused_change_keeps_what_was_typed_and_mails_nothing(
        browser: FlaskClient, address: str, current: str, message: str, mailbox: Mailbox) -> None:
    refused = ask_email(browser, address, current)
    assert refused.status_code == 400 and message in refused.text, refused.text
    if address:
        assert f'value="{address}"' in refused.text
    assert mailbox.text_to(NEW) == []


def test_without_sms_a_new_mobile_is_the_account_s_at_once_and_can_be_removed(
        browser: FlaskClient, person: str, directory: Directory) -> None:
    token = csrf_token(browser.get("/compte/mobile").text)
    changed = browser.post("/compte/mobile", data={"csrf_token": token, "mobile": "07 11 22 33 44",
                                                   "current": PASSWORD})
    assert changed.headers["Location"] == "/compte?message=mobile-changed"
    assert directory.get(person).mobile == "+33711223344"
    refused = browser.post("/compte/mobile", data={"csrf_token": token, "mobile": "12", "current": PASSWORD})
    assert refused.status_code == 400 and "Numéro de mobile invalide" in refused.text
    removed = browser.post("/compte/mobile", data={"csrf_token": token, "retirer": "1", "current": PASSWORD})
    assert removed.headers["Location"] == "/compte?message=mobile-removed"
    assert directory.get(person).mobile is None


def test_with_sms_a_new_mobile_needs_the_code_sent_to_it(settings: Settings, smtp: SmtpServer, mailbox: Mailbox,
                                                        person: str, directory: Directory, tmp_path: Path) -> None:
    app = create_app(settings.with_changes(terms_version="2026-09", smtp_url=f"smtp://127.0.0.1:{smtp.port}",
                                           sms_gateway=(tmp_path / "sms").as_uri()))
    client = app.test_client()
    assert sign_in(client, person, PASSWORD).status_code == 302
    token = csrf_token(client.get("/compte/mobile").text)
    asked = client.post("/compte/mobile", data={"csrf_token": token, "mobile": "07 11 22 33 44", "current": PASSWORD})
    assert asked.headers["Location"] == "/compte/mobile/code"
    [sms] = list((tmp_path / "sms").glob("*.txt"))
    assert sms.read_text().startswith("To: +33711223344")
    code = re.search(r"\b(\d{6})\b", sms.read_text()).group(1)
    page = client.get("/compte/mobile/code")
    wrong = client.post("/compte/mobile/code", data={"csrf_token": csrf_token(page.text), "code": "000000"})
    assert wrong.status_code == 400 and "Code incorrect" in wrong.text
    assert directory.get(person).mobile == "+33612345678"
    right = client.post("/compte/mobile/code", data={"csrf_token": csrf_token(page.text), "code": code})
    assert right.headers["Location"] == "/compte?message=mobile-changed"
    assert directory.get(person).mobile == "+33711223344"
    assert has_event(audit_events(app), event="account.mobile_changed", login=person)
