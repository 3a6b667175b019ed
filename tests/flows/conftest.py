"""The flows through Flask's test client, on the session's real slapd."""
from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from idp.app import create_app
from idp.config import Settings
from idp.directory import Directory, NewAccount, Profile
from idp.provisioning.service import Provisioned, Provisioner

PASSWORD = "Tilleul2026"


@pytest.fixture
def app(settings: Settings) -> Flask:
    return create_app(settings.with_changes(terms_version="2026-09"))


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def csrf_token(page: str) -> str:
    tag = re.search(r'<input[^>]*name="csrf_token"[^>]*>', page).group(0)
    return re.search(r'value="([^"]+)"', tag).group(1)


def sign_in(client: FlaskClient, login: str, secret: str, remember: bool = False):  # type: ignore[no-untyped-def]
    token = csrf_token(client.get("/connexion").text)
    data = {"csrf_token": token, "login": login, "password": secret}
    if remember:
        data["remember"] = "y"
    return client.post("/connexion", data=data)


def new_pending(directory: Directory, surname: str, profile: Profile = Profile.PARENT) -> Provisioned:
    return Provisioner(directory, 90).add(NewAccount("Danièle", surname, profile, ("0770001H",)))


def new_active(directory: Directory, surname: str) -> str:
    created = new_pending(directory, surname)
    directory.activate(created.login, password=PASSWORD, recovery_email="d@example.fr", terms_version="2026-09")
    return created.login
