"""The flows through Flask's test client, on the session's real slapd."""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from flask.testing import FlaskClient

from idp.app import create_app
from idp.config import Settings
from idp.directory import Directory, NewAccount, Profile
from idp.directory.slapd import free_port
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


@dataclass
class Mailbox:
    """What an aiosmtpd server received."""

    messages: list[EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.original_content, policy=policy.default))
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [message for message in self.messages if message["To"] == address]

    def text_to(self, address: str) -> list[str]:
        """The plain-text bodies of the messages to `address`."""
        return [message.get_body(("plain",)).get_content() for message in self.to(address)]


class SmtpServer:
    """A real SMTP server on a port chosen beforehand, so it can start after the app (server down)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.mailbox = Mailbox()
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> SmtpServer:
        self._controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    yield server
    server.stop()
