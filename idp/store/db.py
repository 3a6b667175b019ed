"""Engine and sessions: one SQL session per request (or per command), closed after it."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import cast

from sqlalchemy import Table, create_engine, event, insert
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, scoped_session, sessionmaker

from .migrations import prepare_schema
from .models import Base


class Store:
    def __init__(self, database_url: str, upgrade: bool = False) -> None:
        """Opens the database; an empty one gets the schema. `upgrade`: an older schema is
        upgraded too (the demo); otherwise it stops with SchemaError (see idp.store.migrations)."""
        self.url = database_url
        self.engine: Engine = create_store_engine(database_url)
        self.sessions = scoped_session(sessionmaker(self.engine, expire_on_commit=False))
        try:
            prepare_schema(self.engine, upgrade=upgrade)
        except BaseException:
            self.engine.dispose()
            raise

    @classmethod
    def for_instance(cls, database_url: str, instance_dir: str, upgrade: bool = False) -> Store:
        """The configured database, or SQLite in the instance folder."""
        return cls(instance_database_url(database_url, instance_dir), upgrade=upgrade)

    @property
    def session(self) -> Session:
        """This thread's session (Flask requests end it in teardown)."""
        return self.sessions()

    def end(self, *_: object) -> None:
        self.sessions.remove()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        session = self.session
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise

    def insert(self, model: type[Base], **values: object) -> None:
        """Writes one row and commits, without the ORM's unit of work (half the CPU: a
        sign-in writes three rows: the browser's session, the code, the tokens)."""
        with self.transaction() as db:
            db.connection().execute(insert(cast(Table, model.__table__)), values)

    def dispose(self) -> None:
        self.sessions.remove()
        self.engine.dispose()


def instance_database_url(database_url: str, instance_dir: str) -> str:
    """The configured URL, or SQLite in the instance folder (created if missing)."""
    if database_url:
        return database_url
    Path(instance_dir).mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{Path(instance_dir) / 'ent-idp.sqlite3'}"


def create_store_engine(database_url: str) -> Engine:
    options: dict = {"pool_pre_ping": not database_url.startswith("sqlite")}
    if database_url.startswith("sqlite"):
        options["connect_args"] = {"check_same_thread": False, "timeout": 30}
    engine = create_engine(database_url, **options)
    if database_url.startswith("sqlite"):
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(connection, _record) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # With WAL, NORMAL syncs at checkpoints rather than at every commit: the database stays
    # consistent; only the last commits may be lost on a power cut (sessions, codes: people sign in again).
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
