"""« Mon compte »'s tests: the app with a real SMTP server, and a person signed up with a
recovery e-mail and a mobile."""
from __future__ import annotations

import pytest
from flask import Flask

from idp.app import create_app
from idp.config import Settings
from idp.directory import Directory
from tests.flows.conftest import Mailbox, SmtpServer, new_active


@pytest.fixture
def mailbox(smtp: SmtpServer) -> Mailbox:
    smtp.start()
    return smtp.mailbox


@pytest.fixture
def app(settings: Settings, smtp: SmtpServer, mailbox: Mailbox) -> Flask:
    return create_app(settings.with_changes(terms_version="2026-09", smtp_url=f"smtp://127.0.0.1:{smtp.port}"))


@pytest.fixture
def person(directory: Directory) -> str:
    """Active, with d@example.fr and +33612345678."""
    return new_active(directory, "Compte", mobile="+33612345678")
