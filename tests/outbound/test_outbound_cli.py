"""`ent-idp outbox list|flush`, and the app's wiring."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from idp.cli import main
from idp.config import Settings, load_settings
from idp.outbound import Outbound
from idp.store import Store
from tests.outbound.conftest import RESET


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def write_config(folder: Path, demo: bool) -> Path:
    path = folder / "idp.toml"
    path.write_text(f'demo = {str(demo).lower()}\ninstance_dir = "instance"\noutbox_dir = "outbox"\n'
                    'issuer = "http://127.0.0.1:5000"\n', encoding="utf-8")
    return path


def test_outbox_list_and_flush(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ENT_IDP_CONFIG", "ENT_IDP_DEMO", "ENT_IDP_SMTP_URL", "ENT_IDP_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    production = load_settings(write_config(tmp_path, demo=False), environ={})
    store = Store.for_instance("", production.instance_dir)
    try:
        message_id = Outbound(production, store).mail("d@example.fr", "password_reset", RESET)
    finally:
        store.dispose()

    code, out, _ = run(capsys, "--config", str(tmp_path / "idp.toml"), "outbox", "list", "--json")
    assert code == 0
    [listed] = json.loads(out)["messages"]
    assert listed["id"] == message_id and listed["status"] == "queued" and listed["attempts"] == 1
    assert listed["to"] == "d@example.fr" and listed["subject"] == "Réinitialisation de votre mot de passe"
    assert listed["last_error"] == "aucun serveur de courrier configuré (smtp_url)" and listed["next_attempt_at"]
    assert RESET["link"] not in out  # the list never shows bodies

    code, out, _ = run(capsys, "--config", str(tmp_path / "idp.toml"), "outbox", "list")
    assert code == 0 and "queued" in out and "aucun serveur de courrier configuré" in out

    code, out, _ = run(capsys, "--config", str(tmp_path / "idp.toml"), "outbox", "flush", "--json")
    assert code == 0 and json.loads(out) == {"sent": 0, "failed": 0, "waiting": 1}

    write_config(tmp_path, demo=True)  # the demo writes .eml files instead
    code, out, _ = run(capsys, "--config", str(tmp_path / "idp.toml"), "outbox", "flush", "--json")
    assert code == 0 and json.loads(out) == {"sent": 1, "failed": 0, "waiting": 0}
    assert (tmp_path / "outbox" / f"{message_id}-password_reset.eml").is_file()

    code, out, _ = run(capsys, "--config", str(tmp_path / "idp.toml"), "outbox", "list", "--json")
    assert json.loads(out) == {"messages": []}
    code, out, _ = run(capsys, "--config", str(tmp_path / "idp.toml"), "outbox", "list")
    assert out.strip() == "aucun courriel en attente"
    code, out, _ = run(capsys, "--config", str(tmp_path / "idp.toml"), "outbox", "flush")
    assert out.strip() == "0 envoyé(s), 0 abandonné(s), 0 toujours en attente"


def test_the_app_has_an_outbound_and_its_background_sender(settings: Settings) -> None:
    from idp.app import create_app
    from idp.services import EXTENSION

    app = create_app(settings)
    outbound = app.extensions[EXTENSION].outbound
    try:
        assert isinstance(outbound, Outbound)
        assert outbound._sender is not None and outbound._sender.is_alive() and outbound._sender.daemon
        with app.app_context():
            message_id = outbound.mail("d@example.fr", "login_reminder", {"given_name": "D", "login": "d.adams"})
        assert (Path(settings.outbox_dir) / f"{message_id}-login_reminder.eml").is_file()  # demo settings
    finally:
        outbound.stop_background_sender()
