"""Adoption of a database a release before migrations made (tables, no alembic_version):
brought to revision 0001's shape, then stamped 0001 (by the caller).

Those releases created missing tables and added missing columns at each start, so an old
database may lack tables and columns that came later, and on PostgreSQL hold moments in
32-bit integers that 0001 wants 64-bit (past 2038). Every column added since was nullable,
so older rows stay valid.
"""
from __future__ import annotations

from functools import cache
from types import ModuleType

from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import BigInteger, Column, Integer, MetaData, Table, inspect
from sqlalchemy.engine import Connection


def adopt(connection: Connection) -> None:
    inspector = inspect(connection)
    existing = set(inspector.get_table_names())
    operations = Operations(MigrationContext.configure(connection))
    for table in _shape().sorted_tables:
        if table.name not in existing:
            table.create(connection)
            continue
        present = {column["name"]: column for column in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name not in present:
                _add_column(operations, table, column)
            elif (connection.dialect.name == "postgresql" and isinstance(column.type, BigInteger)
                  and not isinstance(present[column.name]["type"], BigInteger)):
                operations.alter_column(table.name, column.name, type_=BigInteger(), existing_type=Integer(),
                                        existing_nullable=present[column.name]["nullable"])


def known_tables() -> set[str]:
    """The tables of revision 0001: one of them in a database without alembic_version is
    the sign of a release before migrations."""
    return set(_shape().tables)


def _add_column(operations: Operations, table: Table, column: Column) -> None:
    if not column.nullable:
        raise RuntimeError(f"table {table.name}: column {column.name} is missing and cannot be added")
    operations.add_column(table.name, Column(column.name, column.type, nullable=True))


@cache
def _shape() -> MetaData:
    shape = MetaData()
    for name, items in _revision_0001().schema().items():
        Table(name, shape, *items)
    return shape


def _revision_0001() -> ModuleType:
    from . import MIGRATIONS
    script = ScriptDirectory(str(MIGRATIONS)).get_revision("0001")
    assert script is not None and script.module is not None
    return script.module
