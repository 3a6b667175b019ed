"""An outdated schema is upgraded only when asked: the provider, `serve` and the other
commands stop with one French line naming `ent-idp db upgrade`; the demo upgrades it.
A schema newer than the code always stops."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from idp.app import create_app
from idp.cli import main
from idp.config import load_settings
from idp.directory.slapd import PrivateSlapd
from idp.store import SchemaError, Store
from idp.store.migrations import head_revision, schema_status
from tests.conftest import settings_file
from tests.store.databases import LAST_BEFORE_MIGRATIONS, fresh_database, load_release
from tests.test_cli import ENT_IDP

UPGRADE_LINE = ("ent-idp : le schéma de la base de données est celui d'une version précédente (antérieur aux "
                "migrations) : lancez « ent-idp db upgrade » (après une sauvegarde de la base)\n")


def production_settings(slapd: PrivateSlapd, folder: Path, database_url: str) -> Path:
    path = folder / "production.toml"
    path.write_text(
        f'issuer = "https://ent.example"\nsecret_key = "{"s" * 48}"\ndatabase_url = "{database_url}"\n'
        f'rate_limits = false\ninstance_dir = "instance"\n'
        f'[ldap]\nurl = "{slapd.url}"\nbase_dn = "{slapd.base_dn}"\nbind_dn = "{slapd.admin_dn}"\n'
        f'bind_password = "{slapd.admin_password}"\n', encoding="utf-8")
    return path


@pytest.fixture
def outdated(tmp_path: Path) -> str:
    url = fresh_database("sqlite", tmp_path)
    load_release(url, LAST_BEFORE_MIGRATIONS, "sqlite")
    return url


def test_a_command_stops_on_an_outdated_schema(outdated: str, slapd: PrivateSlapd, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    config = production_settings(slapd, tmp_path, outdated)
    assert main(["--config", str(config), "clients", "list", "--json"]) == 1
    output = capsys.readouterr()
    assert output.out == "" and output.err == UPGRADE_LINE


def test_serve_stops_on_an_outdated_schema(outdated: str, slapd: PrivateSlapd, tmp_path: Path) -> None:
    config = production_settings(slapd, tmp_path, outdated)
    done = subprocess.run([ENT_IDP, "--config", str(config), "serve", "--port", "1"], capture_output=True,
                          text=True, timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (1, "", UPGRADE_LINE)


def test_the_provider_stops_on_an_outdated_schema(outdated: str, slapd: PrivateSlapd, tmp_path: Path) -> None:
    settings = load_settings(production_settings(slapd, tmp_path, outdated), environ={})
    with pytest.raises(SchemaError, match="ent-idp db upgrade"):
        create_app(settings)
    assert schema_status(create_engine(outdated)).current is None


def test_the_demo_upgrades_an_outdated_schema(outdated: str, slapd: PrivateSlapd, tmp_path: Path) -> None:
    settings = load_settings(settings_file(slapd, tmp_path, f'database_url = "{outdated}"'), environ={})
    assert settings.demo
    app = create_app(settings)
    assert app is not None
    engine = create_engine(outdated)
    assert schema_status(engine).current == head_revision()
    engine.dispose()


def test_a_schema_newer_than_the_code_stops_even_the_upgrade(slapd: PrivateSlapd, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    url = fresh_database("sqlite", tmp_path)
    Store(url).dispose()
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'f00d'"))
    engine.dispose()
    line = (f"ent-idp : le schéma de la base de données (révision f00d) est plus récent que ce programme "
            f"(révision {head_revision()}) : installez la version d'ent-idp qui l'a mis à jour\n")
    for command in (["clients", "list"], ["db", "upgrade"]):
        assert main(["--config", str(production_settings(slapd, tmp_path, url)), *command]) == 1
        assert capsys.readouterr().err == line
    with pytest.raises(SchemaError):
        Store(url, upgrade=True)
