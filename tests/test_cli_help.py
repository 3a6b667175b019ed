"""`ent-idp help list|show|close`: the parents' help requests from the command line."""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from idp.config import load_settings
from idp.directory.slapd import PrivateSlapd
from idp.store import Store
from idp.store.help_requests import HelpRequest, new_reference
from tests.conftest import settings_file
from tests.test_cli import ENT_IDP, run


@pytest.fixture
def config(slapd: PrivateSlapd, tmp_path: Path) -> str:
    return str(settings_file(slapd, tmp_path))


def add_request(config: str, created_at: int, school: str = "0770001H", status: str = "open", **values: str) -> str:
    settings = load_settings(config, environ={})
    store = Store.for_instance(settings.database_url, settings.instance_dir)
    reference = new_reference()
    with store.transaction() as db:
        db.add(HelpRequest(**{
            "reference": reference, "created_at": created_at, "status": status, "school": school,
            "parent_name": "Danièle Adams", "email": "daniele.adams@example.fr", "phone": None,
            "child_name": "Léo Adams", "child_class": "4e B", "login": None, "problem": "password",
            "message": "J'ai perdu mon mot de passe.", "address": "127.0.0.1", **values}))
    store.dispose()
    return reference


def test_list_shows_open_requests_newest_first(capsys: pytest.CaptureFixture[str], config: str) -> None:
    assert run(capsys, "--config", config, "help", "list")[1] == "aucune demande\n"
    old = add_request(config, 1_780_000_000, parent_name="Anne Ancienne")
    new = add_request(config, 1_780_000_600, parent_name="Nina Nouvelle", school="0770942F")
    closed = add_request(config, 1_780_001_200, status="closed")
    code, out, err = run(capsys, "--config", config, "help", "list")
    lines = out.splitlines()
    assert code == 0 and err == "" and len(lines) == 2
    assert lines[0].startswith(f"{new}\t")
    assert "\topen\t0770942F\tNina Nouvelle\tJ’ai perdu mon mot de passe" in lines[0]
    assert lines[1].startswith(f"{old}\t") and closed not in out
    code, out, _ = run(capsys, "--config", config, "help", "list", "--school", "0770001h", "--status", "all", "--json")
    listed = json.loads(out)["requests"]
    assert [item["reference"] for item in listed] == [closed, old]
    assert listed[1]["created_at"] == "2026-05-28T20:26:40+00:00" and listed[1]["parent_name"] == "Anne Ancienne"
    code, out, _ = run(capsys, "--config", config, "help", "list", "--status", "closed", "--json")
    assert [item["reference"] for item in json.loads(out)["requests"]] == [closed]


def test_list_refuses_a_bad_uai(capsys: pytest.CaptureFixture[str], config: str) -> None:
    code, out, err = run(capsys, "--config", config, "help", "list", "--school", "0770001A")
    assert code == 1 and out == ""
    assert err == "ent-idp : UAI « 0770001A » invalide : la lettre clé devrait être H\n"


def test_show_gives_everything_about_a_request(capsys: pytest.CaptureFixture[str], config: str) -> None:
    reference = add_request(config, 1_780_000_000, login="daniele.adams")
    code, out, _ = run(capsys, "--config", config, "help", "show", reference.lower().replace("-", " "), "--json")
    shown = json.loads(out)
    assert code == 0 and shown["reference"] == reference and shown["status"] == "open"
    assert (shown["login"], shown["child_class"], shown["problem"], shown["phone"]) == (
        "daniele.adams", "4e B", "password", None)
    assert set(shown) >= {"created_at", "answer", "answered_by", "answered_at", "closed_at", "closed_by", "address"}
    code, out, _ = run(capsys, "--config", config, "help", "show", reference)
    assert f"reference : {reference}" in out and "problem : password (J’ai perdu mon mot de passe)" in out
    assert "phone : —" in out


def test_show_and_close_of_an_unknown_request_fail_in_one_line(capsys: pytest.CaptureFixture[str],
                                                               config: str) -> None:
    for action in ("show", "close"):
        code, out, err = run(capsys, "--config", config, "help", action, "AIDE-ZZZ-ZZZ", "--json")
        assert (code, out, err) == (1, "", "ent-idp : demande d'aide inconnue : AIDE-ZZZ-ZZZ\n")


def test_close_once_then_it_stays_closed(capsys: pytest.CaptureFixture[str], config: str) -> None:
    reference = add_request(config, 1_780_000_000)
    code, out, _ = run(capsys, "--config", config, "help", "close", reference, "--json")
    closed = json.loads(out)
    assert code == 0 and closed["status"] == "closed" and closed["closed_by"] == "cli" and closed["closed_at"]
    assert run(capsys, "--config", config, "help", "close", reference) == (0, f"{reference} : déjà close\n", "")
    assert run(capsys, "--config", config, "help", "list")[1] == "aucune demande\n"
    shown = json.loads(run(capsys, "--config", config, "help", "show", reference, "--json")[1])
    assert shown["closed_at"] == closed["closed_at"]


def test_a_fresh_instance_has_no_request_yet(config: str) -> None:
    """In a new process, on a new database: the table exists, the list is empty."""
    done = subprocess.run([ENT_IDP, "help", "list", "--json"], env={**os.environ, "ENT_IDP_CONFIG": config},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"requests": []}
