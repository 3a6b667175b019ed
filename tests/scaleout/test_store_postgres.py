"""The store on PostgreSQL: what a deployment of several instances (or several gunicorn
workers) meets that one process on SQLite never does."""
from __future__ import annotations

import secrets
import threading

import pytest
from sqlalchemy import inspect

from idp.store import Base, Store
from tests.scaleout.conftest import Postgres, missing_servers

pytestmark = pytest.mark.skipif(missing_servers() is not None,
                                reason=f"scale-out tests need PostgreSQL and Redis: {missing_servers()}")

STARTING_TOGETHER = 8


def fresh_database(postgres: Postgres) -> str:
    import psycopg
    name = f"fresh_{secrets.token_hex(4)}"
    with psycopg.connect(host="127.0.0.1", port=postgres.port, user="ent", dbname="postgres",
                         autocommit=True) as db:
        db.execute(f"CREATE DATABASE {name}")
    return postgres.url.rsplit("/", 1)[0] + "/" + name


@pytest.mark.parametrize("round_", range(3))
def test_instances_starting_together_on_an_empty_database_all_start(postgres: Postgres, round_: int) -> None:
    """Replicas (and gunicorn workers, each calling create_app) start at the same moment on a
    new database: each creates the missing tables; none may fail on the others' CREATE TABLE."""
    url = fresh_database(postgres)
    barrier = threading.Barrier(STARTING_TOGETHER)
    stores: list[Store] = []
    failures: list[BaseException] = []

    def start() -> None:
        barrier.wait()
        try:
            stores.append(Store(url))
        except BaseException as error:  # noqa: BLE001  reported below
            failures.append(error)

    threads = [threading.Thread(target=start) for _ in range(STARTING_TOGETHER)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert not failures, [str(error).splitlines()[0] for error in failures]
        assert set(Base.metadata.tables) <= set(inspect(stores[0].engine).get_table_names())
    finally:
        for store in stores:
            store.dispose()
