"""Background tasks (idp.tasks on idp.store.tasks): each runs once whatever the number of
processes, a failing one is tried again later, and one that keeps failing is given up."""
from __future__ import annotations

import contextlib
import threading
from pathlib import Path

import pytest
from sqlalchemy import select, update

from idp.store import Store
from idp.store.tasks import Task
from idp.tasks import MAX_ATTEMPTS, TaskQueue
from tests.conftest import eventually


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(f"sqlite:///{tmp_path / 'tasks.sqlite3'}")


def queue_on(store: Store) -> TaskQueue:
    return TaskQueue(store, contextlib.nullcontext)


def tasks(store: Store) -> list[Task]:
    return list(store.session.scalars(select(Task)))


def due_now(store: Store) -> None:
    with store.transaction() as db:
        db.execute(update(Task).values(run_after=0))


def test_a_submitted_task_runs_at_once_in_the_background_then_is_gone(store: Store) -> None:
    ran = threading.Event()
    queue = queue_on(store)
    queue.register("greet", lambda payload: ran.set() if payload == {"who": "Danièle"} else None)
    queue.submit("greet", {"who": "Danièle"})
    assert ran.wait(5)
    eventually(lambda: not tasks(store))


def test_two_processes_on_one_database_run_each_task_once(store: Store) -> None:
    seen: list[int] = []
    lock = threading.Lock()

    def record(payload: dict) -> None:
        with lock:
            seen.append(payload["n"])
    queues = [queue_on(Store(store.url)) for _ in range(2)]
    for queue in queues:
        queue.register("count", record)
    for n in range(40):
        queues[0].store.session.add(Task(kind="count", payload={"n": n}, status="queued", attempts=0, run_after=0,
                                         created_at=0))
    queues[0].store.session.commit()
    workers = [threading.Thread(target=queue.run_due) for queue in queues]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert sorted(seen) == list(range(40))


def test_a_failing_task_is_tried_again_later_then_given_up(store: Store, caplog: pytest.LogCaptureFixture) -> None:
    attempts = []

    def flaky(payload: dict) -> None:
        attempts.append(1)
        raise ConnectionError("la passerelle SMS ne répond pas")
    queue = queue_on(store)
    queue.register("sms", flaky)
    store.session.add(Task(kind="sms", payload={}, status="queued", attempts=0, run_after=0, created_at=0))
    store.session.commit()
    assert queue.run_due() == 0
    [waiting] = tasks(store)
    assert waiting.status == "queued" and waiting.attempts == 1 and "ne répond pas" in waiting.last_error
    assert queue.run_due() == 0 and len(attempts) == 1  # not due yet: later and later
    for _ in range(MAX_ATTEMPTS - 1):
        due_now(store)
        queue.run_due()
    assert len(attempts) == MAX_ATTEMPTS and not tasks(store)
    assert "given up after 5 attempts" in caplog.text


def test_a_periodic_job_runs_once_per_interval_and_survives_its_failures(store: Store,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [100.0]
    monkeypatch.setattr("idp.tasks.time.monotonic", lambda: clock[0])
    runs: list[float] = []
    queue = queue_on(store)
    queue.every(60, lambda: runs.append(clock[0]))
    queue.every(60, lambda: 1 / 0)  # logged, tried again next time
    queue.run_periodic()
    queue.run_periodic()
    clock[0] += 61
    queue.run_periodic()
    assert runs == [100.0, 161.0]
