"""The recovery core (idp.recovery): messages limited per account and per recipient, sent
outside the request, and SMS codes whose tries are counted atomically (SECURITY.md 35, 36),
on the real slapd, a real SMTP server and the file SMS gateway."""
from __future__ import annotations

import asyncio
import re
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update

from idp import recovery as recovery_module
from idp.app import create_app
from idp.config import Settings
from idp.directory import Directory
from idp.services import services
from idp.store import ResetToken
from idp.store.tasks import Task
from tests.conftest import audit_events, eventually, has_event, tasks_done
from tests.flows.conftest import Mailbox, SmtpServer, new_active
from tests.flows.test_recovery import ask, reset_links


@pytest.fixture
def app(settings: Settings, smtp: SmtpServer, tmp_path: Path) -> Flask:
    smtp.start()
    return create_app(settings.with_changes(smtp_url=smtp.url, sms_gateway=f"file://{tmp_path / 'sms'}",
                                            rate_limits=True))


def test_reset_mails_are_limited_per_account_and_per_recipient(app: Flask, directory: Directory, smtp: SmtpServer,
                                                               unique_surname: str) -> None:
    first, second = new_active(directory, unique_surname), new_active(directory, unique_surname + "b")
    for _ in range(5):
        assert ask(app.test_client(), first).status_code == 200
    tasks_done(app)
    assert len(reset_links(smtp.mailbox, "d@example.fr")) == 3  # accounts.recovery_messages_per_hour
    assert ask(app.test_client(), second).status_code == 200  # another account, the same address: full too
    tasks_done(app)
    assert len(reset_links(smtp.mailbox, "d@example.fr")) == 3
    events = audit_events(app)
    assert has_event(events, event="recovery.limited", login=first, outcome="refused")
    assert has_event(events, event="recovery.limited", login=second, outcome="refused")


class SlowMailbox(Mailbox):
    """A mail server that takes its time with every message."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.sleep(2)
        return await super().handle_DATA(server, session, envelope)


def test_asking_does_not_wait_for_the_mail_server(app: Flask, directory: Directory, smtp: SmtpServer,
                                                  unique_surname: str) -> None:
    login = new_active(directory, unique_surname)
    smtp.mailbox.__class__ = SlowMailbox
    started = time.monotonic()
    assert ask(app.test_client(), login).status_code == 200
    assert time.monotonic() - started < 1.5  # answered before the server took the message
    eventually(lambda: reset_links(smtp.mailbox, "d@example.fr"))


def test_concurrent_wrong_sms_codes_are_checked_three_times_at_most(app: Flask, directory: Directory,
                                                                    tmp_path: Path, unique_surname: str,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    login = new_active(directory, unique_surname, mobile="+33612345678")
    with app.test_request_context():
        challenge = services().recovery.ask_by_sms(login, text="Code : {code}", address="192.0.2.1")
    sms = eventually(lambda: sorted((tmp_path / "sms").glob("*.txt")) if (tmp_path / "sms").exists() else [])
    code = re.search(r"\d{6}", sms[-1].read_text().split("\n\n", 1)[1]).group(0)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    checked = []
    real_compare = recovery_module.secrets.compare_digest

    def counted(left: str, right: str) -> bool:
        checked.append(1)
        time.sleep(0.01)  # widen the window in which concurrent tries would slip through
        return real_compare(left, right)
    monkeypatch.setattr(recovery_module.secrets, "compare_digest", counted)

    def try_code(typed: str) -> str | None:
        with app.app_context():
            return services().recovery.try_code(challenge, typed)
    with ThreadPoolExecutor(40) as pool:
        assert set(pool.map(try_code, [wrong] * 40)) == {None}
    assert len(checked) <= recovery_module.SMS_ATTEMPTS
    assert try_code(code) is None  # its three tries are used up
    with app.app_context():
        row = services().store.session.scalar(select(ResetToken).where(ResetToken.login == login))
        assert row.attempts == recovery_module.SMS_ATTEMPTS


def test_an_sms_that_did_not_leave_is_sent_again_with_a_code_that_works(app: Flask, directory: Directory,
                                                                        tmp_path: Path, unique_surname: str) -> None:
    """The gateway failed once: the task runs again, and the code of the SMS that left works."""
    login = new_active(directory, unique_surname, mobile="+33612345678")
    (tmp_path / "sms").write_text("not a folder: the gateway cannot write")
    with app.test_request_context():
        challenge = services().recovery.ask_by_sms(login, text="Code : {code}", address="192.0.2.1")
    recovery = app.extensions["ent_idp"].recovery
    eventually(lambda: has_event(audit_events(app), event="recovery.sms_sent") or _failed_once(app))
    (tmp_path / "sms").unlink()
    with app.app_context():
        db = services().store.session
        db.execute(update(Task).values(run_after=0))
        db.commit()
    recovery.tasks.run_due()
    sms = eventually(lambda: sorted((tmp_path / "sms").glob("*.txt")))[-1].read_text()
    code = re.search(r"\d{6}", sms.split("\n\n", 1)[1]).group(0)
    with app.app_context():
        assert services().recovery.try_code(challenge, code) is not None


def _failed_once(app: Flask) -> bool:
    with app.app_context():
        return bool(services().store.session.scalars(select(Task).where(Task.attempts >= 1)).all())
