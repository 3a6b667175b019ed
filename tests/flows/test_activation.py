"""Activation (guide A1–A8; SECURITY.md 1, 2, 10)."""
from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from idp.directory import AccountState, Directory, InvalidCredentials
from idp.provisioning.codes import normalize_typed_code
from tests.flows.conftest import csrf_token, new_pending, reset_by_command, sign_in

GOOD = {"password": "Tilleul2026", "confirmation": "Tilleul2026", "email": "Daniele.Adams@Example.fr",
        "mobile": "06 12 34 56 78", "accept": "y"}


def activate(client: FlaskClient, **changes: str):  # type: ignore[no-untyped-def]
    page = client.get("/activation")
    data = {"csrf_token": csrf_token(page.text), **GOOD, **changes}
    return client.post("/activation", data={key: value for key, value in data.items() if value is not None})


def test_activation_stores_everything_and_makes_the_code_obsolete(client: FlaskClient, directory: Directory,
                                                                  unique_surname: str) -> None:
    created = new_pending(directory, unique_surname)
    sign_in(client, created.login, created.activation_code)
    page = client.get("/activation").text  # password managers get the login beside the new password
    assert f'<input type="text" autocomplete="username" value="{created.login}" hidden>' in page
    response = activate(client)
    assert response.status_code == 302 and response.headers["Location"].endswith("/accueil")
    home = client.get("/accueil").text
    assert "Votre compte est activé." in home and 'role="status"' in home
    assert "Votre compte est activé." not in client.get("/accueil").text  # said once
    account = directory.get(created.login)
    assert account.state is AccountState.ACTIVE and account.activation_expires is None
    assert (account.recovery_email, account.mobile) == ("Daniele.Adams@example.fr", "+33612345678")
    assert account.terms_version == "2026-09" and account.terms_accepted_at is not None
    assert directory.verify(created.login, "Tilleul2026").login == created.login
    try:
        directory.verify(created.login, normalize_typed_code(created.activation_code))
        raise AssertionError("the activation code still works")
    except InvalidCredentials:
        pass


def test_refusals_keep_what_was_typed_but_refused_passwords_and_save_nothing(client: FlaskClient, directory: Directory,
                                                                   unique_surname: str) -> None:
    created = new_pending(directory, unique_surname)
    sign_in(client, created.login, created.activation_code)
    for changes, message in (({"password": "abcdefgh", "confirmation": "abcdefgh"}, "au moins un chiffre"),
                             ({"password": "12345678", "confirmation": "12345678"}, "au moins une lettre"),
                             ({"password": "abc1234", "confirmation": "abc1234"}, "au moins 8 caractères"),
                             ({"password": "azerty123", "confirmation": "azerty123"}, "trop courant"),
                             ({"confirmation": "Tilleul2027"}, "ne sont pas identiques"),
                             ({"email": "pas-une-adresse"}, "Adresse de courriel invalide"),
                             ({"email": ""}, "Saisissez votre adresse de courriel"),
                             ({"mobile": "12"}, "Numéro de mobile invalide"),
                             ({"accept": None}, "Vous devez accepter les conditions générales")):
        response = activate(client, **changes)
        assert response.status_code == 400 and message in response.text, message
        # The person's new password, not stored yet, is kept when it was valid; a refused one is emptied.
        password_refused = "password" in changes or "confirmation" in changes
        assert ('value="Tilleul2026"' in response.text) is not password_refused, message
        assert response.headers["Cache-Control"] == "no-store"
        assert created.activation_code not in response.text  # the letter's code is never sent back
        if "email" not in changes:
            assert 'value="Daniele.Adams@example.fr"' in response.text  # kept, normalised
    assert directory.get(created.login).state is AccountState.PENDING


def test_unicode_and_long_passwords_are_accepted_whole(client: FlaskClient, directory: Directory,
                                                       unique_surname: str) -> None:
    created = new_pending(directory, unique_surname)
    sign_in(client, created.login, created.activation_code)
    long_password = "Été-" + "x9" * 40  # 84 characters
    assert activate(client, password=long_password, confirmation=long_password).status_code == 302
    assert directory.verify(created.login, long_password).login == created.login
    try:
        directory.verify(created.login, long_password[:72])  # no truncation (bcrypt's limit, say)
        raise AssertionError("a truncated password works")
    except InvalidCredentials:
        pass


def test_two_concurrent_activations_one_wins_the_other_is_told(app: Flask, directory: Directory,
                                                               unique_surname: str) -> None:
    created = new_pending(directory, unique_surname)
    first, second = app.test_client(), app.test_client()
    sign_in(first, created.login, created.activation_code)
    sign_in(second, created.login, created.activation_code)
    page_first, page_second = first.get("/activation").text, second.get("/activation").text
    won = first.post("/activation", data={"csrf_token": csrf_token(page_first), **GOOD})
    lost = second.post("/activation", data={"csrf_token": csrf_token(page_second), **GOOD,
                                            "password": "Autre-2026x", "confirmation": "Autre-2026x"})
    assert won.headers["Location"].endswith("/accueil")
    assert "already-active" in lost.headers["Location"]
    assert "déjà activé" in second.get(lost.headers["Location"]).text
    assert directory.verify(created.login, "Tilleul2026").state is AccountState.ACTIVE


def test_activation_page_needs_a_verified_code(client: FlaskClient) -> None:
    response = client.get("/activation")
    assert response.status_code == 302 and "/connexion" in response.headers["Location"]


def test_a_half_finished_activation_dies_with_a_new_letter(app: Flask, client: FlaskClient, directory: Directory,
                                                           settings_path: Path, unique_surname: str) -> None:
    """SECURITY.md 29: the code was accepted, then the school printed a new letter
    (`ent-idp accounts reset`): the old flow cookie activates nothing, the new code works."""
    created = new_pending(directory, unique_surname)
    sign_in(client, created.login, created.activation_code)
    page = client.get("/activation")
    assert page.status_code == 200
    new_code = reset_by_command(settings_path, created.login)
    response = client.post("/activation", data={"csrf_token": csrf_token(page.text), **GOOD})
    assert response.status_code == 302 and "message=activation-changed" in response.headers["Location"]
    assert "dernière lettre" in client.get(response.headers["Location"]).text
    assert directory.get(created.login).state is AccountState.PENDING
    with pytest.raises(InvalidCredentials):
        directory.verify(created.login, GOOD["password"])
    sign_in(client, created.login, new_code)
    assert activate(client).headers["Location"].endswith("/accueil")


def test_an_activation_started_before_an_admin_lock_is_refused(client: FlaskClient, directory: Directory,
                                                               unique_surname: str) -> None:
    created = new_pending(directory, unique_surname)
    sign_in(client, created.login, created.activation_code)
    page = client.get("/activation")
    directory.lock(created.login)
    response = client.post("/activation", data={"csrf_token": csrf_token(page.text), **GOOD})
    assert "message=activation-changed" in response.headers["Location"]
    assert directory.get(created.login).stored_state is AccountState.PENDING
