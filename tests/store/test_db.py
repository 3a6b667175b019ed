"""The store creates its tables, and adds the columns a newer version brings to a
database an older version created."""
from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import select

from idp.store import AuthorizationCode, Store


def test_a_new_column_is_added_to_an_existing_table(tmp_path: Path) -> None:
    database = tmp_path / "old.sqlite3"
    store = Store(f"sqlite:///{database}")
    store.dispose()
    with sqlite3.connect(database) as old:  # as an older version left it: no `claims` column
        old.execute("ALTER TABLE authorization_codes DROP COLUMN claims")
        old.execute("INSERT INTO authorization_codes (code_digest, client_id, login, sub, redirect_uri, scope,"
                    " auth_time, amr, created_at, expires_at) VALUES ('d', 'c', 'l', 's', 'u', 'openid', 1, '[]', 1, 2)")
    old.close()

    store = Store(f"sqlite:///{database}")
    try:
        row = store.session.scalar(select(AuthorizationCode))
        assert row is not None and row.login == "l" and row.claims is None
        row.claims = {"sub": "s"}
        store.session.commit()
    finally:
        store.dispose()
    with sqlite3.connect(database) as reopened:
        columns = [line[1] for line in reopened.execute("PRAGMA table_info(authorization_codes)")]
    reopened.close()
    assert "claims" in columns


def test_opening_twice_changes_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    Store(url).dispose()
    Store(url).dispose()
