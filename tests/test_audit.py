"""The audit log (SECURITY.md 28): every security event written by default to the instance's
audit file, by the pages and by the `ent-idp` command alike, with time, event, outcome, login,
client address and app, never a secret; `ent-idp audit list` reads it back."""
from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask

from idp.app import create_app
from idp.audit import AuditLog, audit
from idp.cli import main
from idp.config import Settings
from idp.directory import Directory
from tests.conftest import TEST_LOCKOUT, audit_events, has_event
from tests.flows.conftest import SmtpServer, sign_in
from tests.flows.test_activation import GOOD, activate
from tests.flows.test_recovery import ask, choose, reset_link

NEW_PASSWORD = "Marronnier2027"


def cli(capsys: pytest.CaptureFixture[str], config: Path, *arguments: str) -> dict:
    assert main(["--config", str(config), *arguments, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.fixture
def app(settings: Settings, smtp: SmtpServer) -> Flask:
    smtp.start()
    return create_app(settings.with_changes(smtp_url=smtp.url))


def test_every_security_event_is_written_and_listed(app: Flask, directory: Directory, smtp: SmtpServer,
                                                    settings: Settings, capsys: pytest.CaptureFixture[str],
                                                    unique_surname: str) -> None:
    config = Path(settings.instance_dir).parent / "idp.toml"
    added = cli(capsys, config, "accounts", "add", "--given-name", "Auditée", "--surname", unique_surname,
                "--profile", "parent", "--school", "0770001H")
    login = added["login"]
    browser = app.test_client()
    sign_in(browser, login, "Pas-le-bon-1")                                 # failure
    sign_in(browser, login, added["activation_code"])                        # code accepted
    activate(browser)                                                        # activation, terms
    sign_in(browser, login, GOOD["password"])                                # sign-in
    for _ in range(TEST_LOCKOUT.max_failures + 1):                           # lockout
        sign_in(app.test_client(), login, "Pas-le-bon-1")
    ask(browser, login)                                                      # reset asked, sent, done
    assert choose(browser, reset_link(smtp.mailbox, "Daniele.Adams@example.fr"), NEW_PASSWORD).status_code == 302
    cli(capsys, config, "accounts", "lock", login)                           # admin actions
    cli(capsys, config, "accounts", "unlock", login)
    cli(capsys, config, "accounts", "reset", login)
    cli(capsys, config, "clients", "add", "--name", "Auditée", "--redirect-uri", "https://app.example.fr/cb")

    events = audit_events(app)
    expected = [("account.provisioned", "success"), ("login.failed", "failure"),
                ("activation.code_accepted", "success"), ("account.activated", "success"),
                ("terms.accepted", "success"), ("login.succeeded", "success"),
                ("login.locked", "refused"), ("recovery.asked", "success"), ("recovery.link_sent", "success"),
                ("recovery.password_reset", "success"), ("account.locked", "success"),
                ("account.unlocked", "success"), ("account.reset", "success")]
    for event, outcome in expected:
        assert has_event(events, event=event, login=login, outcome=outcome), event
    assert has_event(events, event="client.registered", actor="cli")
    assert has_event(events, event="terms.accepted", login=login, terms_version="2026-09")
    for event in events:
        assert {"time", "event", "outcome"} <= event.keys()
        datetime.fromisoformat(event["time"].replace("Z", "+00:00"))
    page_events = [event for event in events if event["event"].startswith(("login.", "account.activated"))]
    assert page_events and all(event["address"] == "127.0.0.1" for event in page_events)
    text = Path(settings.instance_dir, "audit.log").read_text(encoding="utf-8")
    for secret in (added["activation_code"], GOOD["password"], NEW_PASSWORD, "Pas-le-bon-1"):
        assert secret not in text

    listed = cli(capsys, config, "audit", "list", "--login", login)["events"]
    assert [event["event"] for event in listed] == [event["event"] for event in events if event.get("login") == login]
    assert listed[0]["time"] >= listed[-1]["time"]  # newest first
    failures = cli(capsys, config, "audit", "list", "--event", "login.failed")["events"]
    assert failures and {event["event"] for event in failures} == {"login.failed"}
    family = cli(capsys, config, "audit", "list", "--event", "login", "--login", login)["events"]
    assert {event["event"] for event in family} == {"login.failed", "login.succeeded", "login.locked"}
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%d")
    assert cli(capsys, config, "audit", "list", "--since", tomorrow)["events"] == []
    assert main(["--config", str(config), "audit", "list"]) == 0
    assert f"login.failed\tfailure\t{login}\t127.0.0.1" in capsys.readouterr().out


def test_audit_log_to_standard_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = AuditLog("-", str(tmp_path))
    assert log.path is None
    log.write('{"event": "x"}')
    assert '{"event": "x"}' in capsys.readouterr().err


def test_audit_list_refuses_a_log_that_is_not_a_file(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    config = Path(settings.instance_dir).parent / "idp.toml"
    config.write_text(config.read_text(encoding="utf-8").replace("[ldap]", 'audit_log = "-"\n[ldap]'),
                      encoding="utf-8")
    assert main(["--config", str(config), "audit", "list"]) == 1
    assert "n'est pas un fichier" in capsys.readouterr().err


def test_an_event_outside_any_app_or_command_goes_to_the_logger_only(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("INFO", logger="ent_idp.audit"):
        audit("test.event", login="x")
    assert '"event": "test.event"' in caplog.text
