"""Engine and sessions: one SQL session per request (or per command), closed after it."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import BigInteger, create_engine, event, insert, inspect, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, scoped_session, sessionmaker

from .models import Base


class Store:
    def __init__(self, database_url: str) -> None:
        self.url = database_url
        options: dict = {"pool_pre_ping": not database_url.startswith("sqlite")}
        if database_url.startswith("sqlite"):
            options["connect_args"] = {"check_same_thread": False, "timeout": 30}
        self.engine: Engine = create_engine(database_url, **options)
        if database_url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self.sessions = scoped_session(sessionmaker(self.engine, expire_on_commit=False))
        try:
            _create_tables(self.engine)
        except BaseException:
            self.engine.dispose()
            raise

    @classmethod
    def for_instance(cls, database_url: str, instance_dir: str) -> Store:
        """The configured database, or SQLite in the instance folder."""
        if not database_url:
            Path(instance_dir).mkdir(parents=True, exist_ok=True)
            database_url = f"sqlite:///{Path(instance_dir) / 'ent-idp.sqlite3'}"
        return cls(database_url)

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
            db.connection().execute(insert(model.__table__), values)  # type: ignore[attr-defined]

    def dispose(self) -> None:
        self.sessions.remove()
        self.engine.dispose()


_SCHEMA_LOCK = 0x656E7469647000
"""Key of the PostgreSQL advisory lock held while the tables are created ("entidp")."""


def _create_tables(engine: Engine) -> None:
    """Creates the missing tables, and the columns a newer version added to existing ones.
    Instances (and gunicorn workers) starting together on a new PostgreSQL database take
    turns: without the lock, two CREATE TABLE of the same table race and one start fails
    (duplicate pg_type entry). DDL is transactional there, so the next one in line sees the
    tables once the first commits."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SCHEMA_LOCK})
        Base.metadata.create_all(connection)
        _upgrade_columns(connection)


def _upgrade_columns(connection: Connection) -> None:
    """What a newer version changed in existing tables: each missing column is added (new
    columns are always nullable, so that older rows stay valid), and on PostgreSQL each
    32-bit integer column the models now want 64-bit is widened (moments past 2038)."""
    inspector = inspect(connection)
    for table in Base.metadata.sorted_tables:
        present = {column["name"]: column["type"] for column in inspector.get_columns(table.name)}
        for column in table.columns:
            kind = column.type.compile(dialect=connection.dialect)
            if column.name not in present:
                if not column.nullable:
                    raise RuntimeError(f"table {table.name}: column {column.name} is missing and cannot be added")
                connection.execute(text(f"ALTER TABLE {table.name} ADD COLUMN {column.name} {kind}"))
            elif (connection.dialect.name == "postgresql" and isinstance(column.type, BigInteger)
                  and not isinstance(present[column.name], BigInteger)):
                connection.execute(text(f"ALTER TABLE {table.name} ALTER COLUMN {column.name} TYPE {kind}"))


def _sqlite_pragmas(connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # With WAL, NORMAL syncs at checkpoints rather than at every commit: the database stays
    # consistent; only the last commits may be lost on a power cut (sessions, codes: people sign in again).
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
