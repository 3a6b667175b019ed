"""The store on PostgreSQL: what a deployment of several instances (or several gunicorn
workers) meets that one process on SQLite never does."""
from __future__ import annotations

import secrets
import threading

import pytest
from sqlalchemy import inspect

from idp.store import Base, Store
from tests.scaleout.servers import Postgres, missing_servers

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


def test_rate_counters_on_postgresql_count_every_hit_once(postgres: Postgres) -> None:
    """The default counters' storage (`database`) on PostgreSQL: concurrent hits from many
    connections all count, each sees its own count, and a window ends."""
    import time

    from idp.store.counters import SqlCounters
    stores = [Store(postgres.url) for _ in range(4)]
    counters = [SqlCounters(store=store) for store in stores]
    key = f"test/{secrets.token_hex(4)}"
    seen: list[int] = []
    lock = threading.Lock()

    def hit(index: int) -> None:
        for _ in range(25):
            count = counters[index % 4].incr(key, 60)
            with lock:
                seen.append(count)
    workers = [threading.Thread(target=hit, args=(index,)) for index in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    try:
        assert sorted(seen) == list(range(1, 201)) and counters[0].get(key) == 200
        assert counters[1].incr_many([(key, 60), (key + "/other", 1)]) == [201, 1]
        time.sleep(1.1)
        assert counters[2].get(key + "/other") == 0 and counters[2].incr(key + "/other", 1) == 1
        counters[3].clear_many([key, key + "/other"])
        assert counters[0].get(key) == 0
    finally:
        for store in stores:
            store.dispose()
