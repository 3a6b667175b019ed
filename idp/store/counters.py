"""Rate-limit counters in the provider's own database: a storage for the `limits` library.

Every gunicorn worker and every instance sharing the database counts in the same rows, so
a limit holds for the whole service without Redis. One counter is one row; a hit is one
atomic statement (an upsert that returns the new count), so concurrent requests never
both see room for one more.
"""
from __future__ import annotations

import itertools
import time
from typing import cast

from limits.storage import Storage
from sqlalchemy import Float, Integer, String, Table, bindparam, case, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column

from .db import Store
from .models import Base

PURGE_EVERY = 500
"""Hits between two purges of the expired counters (by each process)."""


class RateCounter(Base):
    __tablename__ = "rate_counters"
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[float] = mapped_column(Float, index=True)
    """When the window ends (seconds since 1970): the counter then starts again from zero."""


class SqlCounters(Storage):
    """`limits` storage on the store's engine (fixed windows: what the provider uses)."""

    STORAGE_SCHEME = ["ent-idp-database"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, *, store: Store,
                 **options: float | str | bool) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.engine = store.engine
        insert = postgresql.insert if self.engine.dialect.name == "postgresql" else sqlite.insert
        table = cast(Table, RateCounter.__table__)
        statement = insert(table)
        expired = table.c.expires_at <= bindparam("now")
        self._upsert = statement.on_conflict_do_update(index_elements=[table.c.key], set_={
            "count": case((expired, statement.excluded.count), else_=table.c.count + statement.excluded.count),
            "expires_at": case((expired, statement.excluded.expires_at), else_=table.c.expires_at),
        }).returning(table.c.key, table.c.count)
        self._hits = itertools.count(1)

    @property
    def base_exceptions(self) -> type[Exception]:
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        return self.incr_many([(key, expiry)], amount)[0]

    def incr_many(self, keys: list[tuple[str, int]], amount: int = 1) -> list[int]:
        """One hit on each (key, expiry), in one statement: the counts after it, in order."""
        moment = time.time()
        rows = [{"key": key, "count": amount, "expires_at": moment + expiry, "now": moment} for key, expiry in keys]
        with self.engine.begin() as connection:
            counts = {key: count for key, count in connection.execute(self._upsert, rows)}
        if next(self._hits) % PURGE_EVERY == 0:
            self._purge(moment)
        return [int(counts[key]) for key, _ in keys]

    def get(self, key: str) -> int:
        with self.engine.connect() as connection:
            count = connection.scalar(select(RateCounter.count).where(RateCounter.key == key,
                                                                      RateCounter.expires_at > time.time()))
        return int(count or 0)

    def get_expiry(self, key: str) -> float:
        with self.engine.connect() as connection:
            expires_at = connection.scalar(select(RateCounter.expires_at).where(RateCounter.key == key))
        return float(expires_at) if expires_at and expires_at > time.time() else time.time()

    def check(self) -> bool:
        try:
            with self.engine.connect() as connection:
                connection.scalar(select(1))
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        with self.engine.begin() as connection:
            return connection.execute(delete(RateCounter)).rowcount

    def clear(self, key: str) -> None:
        self.clear_many([key])

    def clear_many(self, keys: list[str]) -> None:
        with self.engine.begin() as connection:
            connection.execute(delete(RateCounter).where(RateCounter.key.in_(keys)))

    def _purge(self, moment: float) -> None:
        with self.engine.begin() as connection:
            connection.execute(delete(RateCounter).where(RateCounter.expires_at <= moment))
