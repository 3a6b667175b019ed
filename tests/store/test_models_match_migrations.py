"""The models and the migrations agree: a database upgraded from empty is what the models
describe (SQLite and PostgreSQL). A model changed without its migration fails here."""
from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from idp.store import Base, Store
from tests.store.databases import fresh_database


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_a_database_upgraded_from_empty_is_what_the_models_describe(
        dialect: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    postgres_url = request.getfixturevalue("postgres").url if dialect == "postgresql" else None
    store = Store(fresh_database(dialect, tmp_path, postgres_url))
    try:
        with store.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True,
                                                                   "compare_server_default": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        store.dispose()
