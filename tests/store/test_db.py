"""Opening the store: an empty database gets the schema at once; opening again changes nothing."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect

from idp.store import Base, Store
from idp.store.migrations import head_revision, schema_status


def test_an_empty_database_gets_the_schema_when_the_store_opens(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'new.sqlite3'}")
    try:
        assert set(Base.metadata.tables) <= set(inspect(store.engine).get_table_names())
        assert schema_status(store.engine).current == head_revision()
    finally:
        store.dispose()


def test_opening_twice_changes_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    Store(url).dispose()
    Store(url).dispose()


def test_newest_is_alembics_head() -> None:
    """A database at NEWEST is opened without Alembic: NEWEST must be the last migration."""
    from idp.store.migrations import NEWEST
    assert NEWEST == head_revision()
