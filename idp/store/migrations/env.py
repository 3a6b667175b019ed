"""Alembic's environment: the connection is always the caller's (idp.store.migrations),
already in a transaction; no alembic.ini, no URL read here."""
from __future__ import annotations

from alembic import context

from idp.store import Base

connection = context.config.attributes["connection"]
# Batch mode lets future migrations alter a column on SQLite, which has no ALTER COLUMN.
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True,
                  compare_type=True)
with context.begin_transaction():
    context.run_migrations()
