"""`ent-idp db upgrade` adopts a database that a release before migrations made (SQLite and
PostgreSQL, the last such release and an older one): rows kept, schema at head, store working."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import inspect, select

from idp.cli import main
from idp.directory.slapd import PrivateSlapd
from idp.outbound.models import OutboxMessage
from idp.store import AuthorizationCode, Base, Client, Consent, ResetToken, SsoSession, Store, Token
from idp.store.counters import RateCounter
from idp.store.help_requests import HelpRequest
from idp.store.migrations import head_revision
from idp.store.tasks import Task
from tests.conftest import settings_file
from tests.store.databases import LAST_BEFORE_MIGRATIONS, OLDER, fresh_database, load_release

DIALECTS = ["sqlite", "postgresql"]


@pytest.fixture(params=DIALECTS)
def dialect(request: pytest.FixtureRequest) -> str:
    return request.param


def database_of(dialect: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    postgres_url = request.getfixturevalue("postgres").url if dialect == "postgresql" else None
    return fresh_database(dialect, tmp_path, postgres_url)


def db_command(capsys: pytest.CaptureFixture[str], config: Path, *arguments: str) -> dict:
    capsys.readouterr()
    assert main(["--config", str(config), "db", *arguments, "--json"]) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("release", [LAST_BEFORE_MIGRATIONS, OLDER])
def test_upgrade_adopts_a_database_of_a_release_before_migrations(
        release: str, dialect: str, slapd: PrivateSlapd, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        request: pytest.FixtureRequest) -> None:
    url = database_of(dialect, tmp_path, request)
    load_release(url, release, dialect)
    config = settings_file(slapd, tmp_path, f'database_url = "{url}"')
    assert db_command(capsys, config, "status")["state"] == "before-migrations"

    assert db_command(capsys, config, "upgrade") == {"from": None, "to": head_revision()}
    assert db_command(capsys, config, "upgrade") == {"from": head_revision(), "to": head_revision()}
    assert db_command(capsys, config, "status") == {"current": head_revision(), "head": head_revision(),
                                                    "state": "current", "upgrade_needed": False}

    store = Store(url)
    try:
        assert set(Base.metadata.tables) <= set(inspect(store.engine).get_table_names())
        db = store.session
        assert db.scalar(select(Client)).name == "Collège Les Tilleuls"
        assert db.scalar(select(SsoSession)).login == "lea.martin"
        code = db.scalar(select(AuthorizationCode))
        token = db.scalar(select(Token))
        assert token.code_id == code.id and token.claims is None and code.claims is None
        assert db.scalar(select(Consent)).client_id == "college-a"
        assert db.scalar(select(ResetToken)).stamp is None
        assert db.scalar(select(OutboxMessage)).to == "parent@example.fr"
        assert db.scalar(select(HelpRequest)).parent_name == "Danièle Adams"
        assert db.scalars(select(Task)).all() == [] and db.scalars(select(RateCounter)).all() == []
        token.expires_at = 2**31 + 1  # past 2038-01-19: the 32-bit columns were widened
        token.claims = {"sub": "sub-lea"}
        store.session.commit()
        store.end()
        assert store.session.scalar(select(Token)).expires_at == 2**31 + 1
        store.insert(Client, client_id="college-b", name="Collège B", redirect_uris=[], post_logout_redirect_uris=[],
                     first_party=True, require_pkce=False, scope="openid", created_at=1)
        assert len(store.session.scalars(select(Client)).all()) == 2
    finally:
        store.dispose()


def test_upgrade_of_an_empty_database_creates_the_schema(
        dialect: str, slapd: PrivateSlapd, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        request: pytest.FixtureRequest) -> None:
    url = database_of(dialect, tmp_path, request)
    config = settings_file(slapd, tmp_path, f'database_url = "{url}"')
    assert db_command(capsys, config, "status")["state"] == "empty"
    assert db_command(capsys, config, "upgrade") == {"from": None, "to": head_revision()}
    capsys.readouterr()
    assert main(["--config", str(config), "db", "upgrade"]) == 0
    assert capsys.readouterr().out == f"schéma de la base de données déjà à jour : révision {head_revision()}\n"
