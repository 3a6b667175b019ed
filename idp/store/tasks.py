"""Background tasks: work a page hands over so that its answer, and the time it takes, do not
depend on that work (recovery: whether an account exists, a mail or an SMS to send).

A task is written first and then claimed by one process (an UPDATE from queued to running):
any instance sharing the database may run it, and it runs once. It is deleted once done (its
payload may hold what a person typed), or after its last attempt.
"""
from __future__ import annotations

from sqlalchemy import JSON, Integer, String, Text, delete, insert, select, update
from sqlalchemy.orm import Mapped, mapped_column

from .db import Store
from .models import Base, Seconds, now

QUEUED, RUNNING = "queued", "running"
LEASE_SECONDS = 300
"""A task claimed longer ago than this (its process died) is queued again."""


class Task(Base):
    __tablename__ = "tasks"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(10), default=QUEUED, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    run_after: Mapped[int] = mapped_column(Seconds, default=now, index=True)
    claimed_at: Mapped[int | None] = mapped_column(Seconds)
    created_at: Mapped[int] = mapped_column(Seconds, default=now)
    last_error: Mapped[str | None] = mapped_column(Text)


def add_task(store: Store, kind: str, payload: dict) -> None:
    moment = now()
    with store.engine.begin() as connection:
        connection.execute(insert(Task), {"kind": kind, "payload": payload, "status": QUEUED, "attempts": 0,
                                          "run_after": moment, "created_at": moment})


def claim_due(store: Store, limit: int = 50) -> list[Task]:
    """Due tasks this process now owns (each claimed by one process only)."""
    moment = now()
    claimed = []
    with store.engine.begin() as connection:
        connection.execute(update(Task).where(Task.status == RUNNING, Task.claimed_at < moment - LEASE_SECONDS)
                           .values(status=QUEUED))
        due = connection.scalars(select(Task.id).where(Task.status == QUEUED, Task.run_after <= moment)
                                 .order_by(Task.id).limit(limit)).all()
    for task_id in due:
        with store.engine.begin() as connection:
            won = connection.execute(update(Task).where(Task.id == task_id, Task.status == QUEUED)
                                     .values(status=RUNNING, claimed_at=moment, attempts=Task.attempts + 1)
                                     ).rowcount == 1
            if won:
                row = connection.execute(select(Task.id, Task.kind, Task.payload, Task.attempts)
                                         .where(Task.id == task_id)).one()
                claimed.append(Task(id=row.id, kind=row.kind, payload=row.payload, attempts=row.attempts))
    return claimed


def finish_task(store: Store, task_id: int) -> None:
    with store.engine.begin() as connection:
        connection.execute(delete(Task).where(Task.id == task_id))


def retry_task(store: Store, task_id: int, after_seconds: int, error: str) -> None:
    with store.engine.begin() as connection:
        connection.execute(update(Task).where(Task.id == task_id)
                           .values(status=QUEUED, claimed_at=None, run_after=now() + after_seconds,
                                   last_error=error[:500]))
