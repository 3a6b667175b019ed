"""« Mon compte » (guide steps M1, M2, M4): what the person sees of their account, a new
password (current one asked, other browsers signed out, a mail), the browsers signed in with
« Déconnecter cet appareil » and « Me déconnecter partout », and « Télécharger mes données »;
with the real slapd and a real SMTP server."""
from __future__ import annotations

import json
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from flows.account.overview import mask_email, mask_mobile
from idp.directory import Directory, InvalidCredentials
from tests.conftest import audit_events, eventually, has_event
from tests.flows.conftest import PASSWORD, Mailbox, csrf_token, new_active, sign_in

NEW_PASSWORD = "Marronnier2027"
FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
          "Version/17.5 Mobile/15E148 Safari/604.1")


def browser(app: Flask, login: str, user_agent: str = FIREFOX, password: str = PASSWORD) -> FlaskClient:
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = user_agent
    assert sign_in(client, login, password).status_code == 302
    return client


def signed_in(client: FlaskClient) -> bool:
    return client.get("/compte").status_code == 200


def change_password(client: FlaskClient, current: str, new: str, confirmation: str | None = None):  # type: ignore[no-untyped-def]
    token = csrf_token(client.get("/compte/mot-de-passe").text)
    return client.post("/compte/mot-de-passe", data={"csrf_token": token, "current": current, "password": new,
                                                     "confirmation": new if confirmation is None else confirmation})


def test_an_anonymous_browser_is_sent_to_the_login_page(client: FlaskClient) -> None:
    for path in ("/compte", "/compte/mot-de-passe", "/compte/mes-donnees"):
        assert client.get(path).headers["Location"] == "/connexion"


def test_the_account_page_shows_who_the_person_is_with_contacts_masked(app: Flask, person: str) -> None:
    client = browser(app, person)
    home = client.get("/accueil").text
    assert f'<a href="/compte">Mon compte ({person})</a>' in home  # the header
    answer = client.get("/compte")
    assert answer.headers["Cache-Control"] == "no-store"  # the person's own data
    page = answer.text
    assert person in page and "Danièle Compte" in page and "Parent" in page
    assert "d•••@example.fr" in page and "06 •• •• •• 78" in page
    assert "d@example.fr" not in page and "12 34" not in page
    assert "Firefox sur Windows" in page and "cet appareil" in page


def test_a_new_password_ends_the_other_sessions_keeps_this_one_and_mails_the_person(
        app: Flask, person: str, directory: Directory, mailbox: Mailbox) -> None:
    this, other = browser(app, person), browser(app, person, IPHONE)
    changed = change_password(this, PASSWORD, NEW_PASSWORD)
    assert changed.status_code == 302 and changed.headers["Location"] == "/compte?message=password-changed"
    assert "Votre mot de passe a été modifié." in this.get(changed.headers["Location"]).text
    assert signed_in(this) and not signed_in(other)
    directory.verify(person, NEW_PASSWORD)
    with pytest.raises(InvalidCredentials):
        directory.verify(person, PASSWORD)
    [mail] = eventually(lambda: mailbox.text_to("d@example.fr"))
    assert "mot de passe" in mail.lower()
    assert has_event(audit_events(app), event="account.password_changed", login=person, sessions_ended=1)


def test_password_managers_get_the_login_beside_the_new_password(app: Flask, person: str) -> None:
    page = browser(app, person).get("/compte/mot-de-passe").text
    assert f'<input type="text" autocomplete="username" value="{person}" hidden>' in page


def test_a_wrong_current_password_is_refused_and_counted(app: Flask, person: str, directory: Directory) -> None:
    client = browser(app, person)
    refused = change_password(client, "PasLeBon2026", NEW_PASSWORD)
    assert refused.status_code == 400 and "Mot de passe actuel incorrect." in refused.text
    assert 'aria-invalid="true"' in refused.text
    directory.verify(person, PASSWORD)  # unchanged
    assert has_event(audit_events(app), event="account.password_refused", login=person, outcome="failure")


@pytest.mark.parametrize(("new", "confirmation", "message"), [
    ("court1", None, "8 caractères"),
    (NEW_PASSWORD, "Autre2027", "ne sont pas identiques"),
    ("", None, "Choisissez votre nouveau mot de passe."),
])
def test_a_new_password_breaking_the_rules_is_refused_before_the_current_one_is_tried(
        app: Flask, person: str, new: str, confirmation: str | None, message: str) -> None:
    client = browser(app, person)
    refused = change_password(client, "PasLeBon2026", new, confirmation)
    assert refused.status_code == 400 and message in refused.text
    assert not has_event(audit_events(app), event="account.password_refused", login=person)


def test_every_message_of_a_field_is_in_one_element_with_a_unique_id(app: Flask, person: str) -> None:
    refused = change_password(browser(app, person), PASSWORD, "abc")
    assert refused.text.count('id="password-erreur"') == 1
    assert len(re.findall(r'id="([^"]+)"', refused.text)) == len(set(re.findall(r'id="([^"]+)"', refused.text)))


def test_deconnecter_cet_appareil_signs_out_that_browser_only(app: Flask, person: str, directory: Directory) -> None:
    this, phone = browser(app, person), browser(app, person, IPHONE)
    page = this.get("/compte").text
    assert "Mobile Safari sur iOS (iPhone)" in page
    [sid] = _device_handles(page)
    someone_else = browser(app, new_active(directory, "Autre"))
    before = someone_else.get("/compte").text
    form = {"csrf_token": csrf_token(before), "appareil": sid}
    assert someone_else.post("/compte/appareils", data=form).status_code == 302
    assert signed_in(phone)  # another person cannot sign this one's browser out
    form = {"csrf_token": csrf_token(page), "appareil": sid}
    answer = this.post("/compte/appareils", data=form)
    assert answer.headers["Location"] == "/compte?message=device-signed-out"
    assert not signed_in(phone) and signed_in(this)
    assert _device_handles(this.get("/compte").text) == []


def test_me_deconnecter_partout_signs_out_every_browser(app: Flask, person: str) -> None:
    this, phone = browser(app, person), browser(app, person, IPHONE)
    page = this.post("/compte/appareils", data={"csrf_token": csrf_token(this.get("/compte").text), "partout": "1"})
    assert page.status_code == 200 and "Déconnexion réussie" in page.text
    assert not signed_in(this) and not signed_in(phone)


def test_a_device_button_without_its_csrf_token_does_nothing(app: Flask, person: str) -> None:
    this, _ = browser(app, person), browser(app, person, IPHONE)
    assert this.post("/compte/appareils", data={"partout": "1"}).status_code == 400
    assert signed_in(this)


def test_my_data_is_a_json_file_of_what_the_ent_holds_without_a_secret(app: Flask, person: str) -> None:
    client = browser(app, person)
    answer = client.get("/compte/mes-donnees")
    assert answer.status_code == 200 and answer.mimetype == "application/json"
    assert answer.headers["Content-Disposition"] == f'attachment; filename="mes-donnees-{person}.json"'
    data = json.loads(answer.text)
    assert data["account"]["login"] == person and data["account"]["recovery_email"] == "d@example.fr"
    assert data["account"]["mobile"] == "+33612345678" and data["account"]["terms_version"] == "2026-09"
    [session] = data["sessions"]
    assert session["device"] == FIREFOX and session["remember"] is False
    assert {"event": "login.succeeded"}.items() <= data["security_events"][0].items()
    cookie = client.get_cookie("ent_sso")
    assert cookie is not None and cookie.value not in answer.text
    for secret in (PASSWORD, "password", "digest", "token", "code"):
        assert secret not in answer.text.lower()
    assert has_event(audit_events(app), event="account.data_exported", login=person)


@pytest.mark.parametrize(("address", "masked"), [("d@example.fr", "d•••@example.fr"),
                                                 ("marie.curie@ac-creteil.fr", "m•••@ac-creteil.fr"), (None, None)])
def test_mask_email(address: str | None, masked: str | None) -> None:
    assert mask_email(address) == masked


@pytest.mark.parametrize(("number", "masked"), [("+33612345678", "06 •• •• •• 78"), ("0712345678", "07 •• •• •• 78"),
                                                ("", "")])
def test_mask_mobile(number: str, masked: str) -> None:
    assert mask_mobile(number) == masked


def _device_handles(page: str) -> list[str]:
    return re.findall(r'name="appareil" value="([^"]+)"', page)
