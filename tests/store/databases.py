"""Databases for the store's tests: fresh ones (SQLite file or PostgreSQL database), and
loading the SQL files of tests/store/previous_releases into them."""
from __future__ import annotations

import secrets
from pathlib import Path

from sqlalchemy import create_engine

PREVIOUS_RELEASES = Path(__file__).parent / "previous_releases"
LAST_BEFORE_MIGRATIONS = "051af6b"
"""The last release that made its tables at start (create_all, then ALTER)."""
OLDER = "449dd57"
"""An older one: no `claims` columns, no `stamp`, no rate_counters nor tasks, 32-bit moments."""


def fresh_database(dialect: str, tmp_path: Path, postgres_url: str | None = None) -> str:
    if dialect == "sqlite":
        return f"sqlite:///{tmp_path / f'db-{secrets.token_hex(4)}.sqlite3'}"
    import psycopg
    assert postgres_url is not None
    name = f"fresh_{secrets.token_hex(4)}"
    admin = postgres_url.rsplit("/", 1)[0].replace("postgresql+psycopg://", "postgresql://") + "/postgres"
    with psycopg.connect(admin, autocommit=True) as db:
        db.execute(f"CREATE DATABASE {name}")
    return postgres_url.rsplit("/", 1)[0] + "/" + name


def load_release(url: str, release: str, dialect: str) -> None:
    """The tables `release` made, and the rows of rows.sql."""
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            for path in (PREVIOUS_RELEASES / f"{release}-{dialect}.sql", PREVIOUS_RELEASES / "rows.sql"):
                for statement in _statements(path.read_text(encoding="utf-8")):
                    connection.exec_driver_sql(statement)
    finally:
        engine.dispose()


def _statements(script: str) -> list[str]:
    lines = [line for line in script.splitlines() if not line.startswith("--")]
    return [statement.strip() for statement in "\n".join(lines).split(";\n") if statement.strip().rstrip(";")]
