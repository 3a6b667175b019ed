"""The flows through Flask's test client, on the session's real slapd."""
from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from idp import cli
from idp.app import create_app
from idp.config import Settings
from idp.directory import Directory, NewAccount, Profile
from idp.provisioning.service import Provisioned, Provisioner
from tests.mail import Mailbox, SmtpServer

__all__ = ["Mailbox", "SmtpServer"]  # where the flows' tests have long imported them from

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


def new_active(directory: Directory, surname: str, mobile: str | None = None) -> str:
    created = new_pending(directory, surname)
    directory.activate(created.login, password=PASSWORD, recovery_email="d@example.fr", mobile=mobile,
                       terms_version="2026-09")
    return created.login




@pytest.fixture
def settings_path(settings: Settings) -> Path:
    """The settings file of `settings` (what `ent-idp --config` reads for the same instance)."""
    return Path(settings.instance_dir).parent / "idp.toml"


def reset_by_command(settings_path: Path, login: str) -> str:
    """`ent-idp accounts reset LOGIN --json`, as the school's admin runs it: the new code."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert cli.main(["--config", str(settings_path), "accounts", "reset", login, "--json"]) == 0
    return json.loads(out.getvalue())["activation_code"]


def command(settings_path: Path, *arguments: str) -> None:
    """Another `ent-idp` command on the same instance (lock, unlock…)."""
    with contextlib.redirect_stdout(io.StringIO()):
        assert cli.main(["--config", str(settings_path), *arguments]) == 0
