"""Schema migrations (Alembic), run in code on the store's own engine: no alembic.ini.

An empty database is created at the newest revision by whoever opens it first; an older
schema is upgraded only when asked (`ent-idp db upgrade`, or the demo), since an upgrade
in production is a step an admin plans (after a backup); a newer one always stops.
A new migration: `versions/NNNN_what.py`, its `down_revision` the previous one.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

MIGRATIONS = Path(__file__).resolve().parent
NEWEST = "0008"
"""The newest revision in versions/ (tests/store checks that it is Alembic's head): a database
already there is opened without loading Alembic, which would weigh on every worker's memory."""
SCHEMA_LOCK = 0x656E7469647000
"""Key of the PostgreSQL advisory lock held while the schema is checked or changed ("entidp")."""
UPGRADE_HINT = "lancez « ent-idp db upgrade » (après une sauvegarde de la base)"


class SchemaError(Exception):
    """The database's schema is not the one this code reads: a sentence for the admin."""


class SchemaState(enum.Enum):
    EMPTY = "empty"
    BEFORE_MIGRATIONS = "before-migrations"
    """Tables made by a release before migrations, without alembic_version."""
    OUTDATED = "outdated"
    CURRENT = "current"
    NEWER = "newer"
    """A revision this code does not know: made by a newer release."""


@dataclass(frozen=True)
class SchemaStatus:
    state: SchemaState
    current: str | None
    head: str

    @property
    def upgrade_needed(self) -> bool:
        return self.state in (SchemaState.EMPTY, SchemaState.BEFORE_MIGRATIONS, SchemaState.OUTDATED)

    def facts(self) -> dict[str, object]:
        return {"current": self.current, "head": self.head, "state": self.state.value,
                "upgrade_needed": self.upgrade_needed}


def schema_status(engine: Engine) -> SchemaStatus:
    with engine.connect() as connection:
        return _status(connection)


def upgrade_schema(engine: Engine) -> tuple[str | None, str]:
    """Adopts a database of a release before migrations, then upgrades to the newest
    revision; returns the revisions before and after (None: empty or before migrations)."""
    with engine.begin() as connection:
        _lock(connection)
        before = _status(connection)
        _upgrade(connection, before)
    return before.current, before.head


def prepare_schema(engine: Engine, *, upgrade: bool) -> None:
    """What opening the store does: an empty database gets the schema; an older one is
    upgraded if `upgrade`, else SchemaError; a newer one is always SchemaError.
    Instances (and gunicorn workers) starting together on a new PostgreSQL database take
    turns: without the lock, two CREATE TABLE of the same table race and one start fails
    (duplicate pg_type entry). DDL is transactional there, so the next one in line sees the
    tables once the first commits. SQLite has no such lock: a start that loses the race
    finds the schema the other made."""
    try:
        with engine.begin() as connection:
            _lock(connection)
            if _recorded_revision(connection) == NEWEST:
                return
            status = _status(connection)
            if status.state is SchemaState.CURRENT:
                return
            if status.state is SchemaState.EMPTY or (upgrade and status.upgrade_needed):
                _upgrade(connection, status)
                return
            raise SchemaError(_refusal(status))
    except DBAPIError:
        if engine.dialect.name == "postgresql" or schema_status(engine).state is not SchemaState.CURRENT:
            raise


def head_revision() -> str:
    head = _scripts().get_current_head()
    assert head is not None, "no migration in idp/store/migrations/versions"
    return head


def _recorded_revision(connection: Connection) -> str | None:
    """The revision the database says it is at (Alembic's table), read with SQL alone."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _status(connection: Connection) -> SchemaStatus:
    from alembic.runtime.migration import MigrationContext

    from .adoption import known_tables

    head = head_revision()
    current = MigrationContext.configure(connection).get_current_revision()
    if current is None:
        present = set(inspect(connection).get_table_names()) & known_tables()
        return SchemaStatus(SchemaState.BEFORE_MIGRATIONS if present else SchemaState.EMPTY, None, head)
    if current == head:
        return SchemaStatus(SchemaState.CURRENT, current, head)
    try:
        _scripts().get_revision(current)
    except Exception:  # noqa: BLE001  alembic raises several kinds for an unknown revision
        return SchemaStatus(SchemaState.NEWER, current, head)
    return SchemaStatus(SchemaState.OUTDATED, current, head)


def _upgrade(connection: Connection, status: SchemaStatus) -> None:
    from alembic import command

    from .adoption import adopt

    if status.state is SchemaState.NEWER:
        raise SchemaError(_refusal(status))
    config = _config(connection)
    if status.state is SchemaState.BEFORE_MIGRATIONS:
        adopt(connection)
        command.stamp(config, "0001")
    command.upgrade(config, "head")


def _refusal(status: SchemaStatus) -> str:
    if status.state is SchemaState.NEWER:
        return (f"le schéma de la base de données (révision {status.current}) est plus récent que ce programme "
                f"(révision {status.head}) : installez la version d'ent-idp qui l'a mis à jour")
    was = "antérieur aux migrations" if status.current is None else f"révision {status.current}"
    return f"le schéma de la base de données est celui d'une version précédente ({was}) : {UPGRADE_HINT}"


def _lock(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK})


def _config(connection: Connection) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


@cache
def _scripts() -> ScriptDirectory:
    """The revisions, read once per process (they are the code's, not the database's)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(MIGRATIONS))
