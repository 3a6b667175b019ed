"""Runs the background tasks (idp.store.tasks) in a thread of each process: woken at once when
this process submits one, and every few seconds for those of other instances or to retry.

Handlers run in the app's context (settings, services, audit log) and are registered by
kind. A handler that raises is tried again, later and later, up to `MAX_ATTEMPTS` times.
"""
from __future__ import annotations

import logging
import os
import threading
import time
import weakref
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from idp.store import Store
from idp.store.tasks import add_task, claim_due, finish_task, retry_task

log = logging.getLogger("ent_idp.tasks")

MAX_ATTEMPTS = 5
RETRY_SECONDS = 20
"""Wait before the second attempt; doubled at each one after."""
POLL_SECONDS = 5.0

Handler = Callable[[dict[str, Any]], None]


class TaskQueue:
    def __init__(self, store: Store, context: Callable[[], AbstractContextManager[Any]] | None) -> None:
        """`context` enters the app's context (handlers run in it); without one (a command),
        tasks are written and left for the web app's runner."""
        self.store = store
        self._context = context
        self._handlers: dict[str, Handler] = {}
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid: int | None = None
        self._periodic: list[tuple[float, Callable[[], object]]] = []
        self._next_runs: dict[int, float] = {}

    def register(self, kind: str, handler: Handler) -> None:
        self._handlers[kind] = handler

    def every(self, seconds: float, job: Callable[[], object]) -> None:
        """Runs `job` (in the app's context) about every `seconds`, in this process's runner."""
        self._periodic.append((seconds, job))

    def run_periodic(self) -> None:
        """The periodic jobs whose time has come; one that fails is logged and tried next time."""
        if self._context is None:
            return
        moment = time.monotonic()
        for index, (seconds, job) in enumerate(self._periodic):
            if self._next_runs.get(index, 0.0) > moment:
                continue
            self._next_runs[index] = moment + seconds
            try:
                with self._context():
                    job()
            except Exception as error:  # database down…: next time
                log.warning("periodic job %s failed: %s: %s", getattr(job, "__name__", job), type(error).__name__,
                            error)

    def submit(self, kind: str, payload: dict[str, Any]) -> None:
        """Writes the task (it is not lost if this process stops) and wakes the runner."""
        add_task(self.store, kind, payload)
        self.start()
        self._wake.set()

    def run_due(self) -> int:
        """Runs every due task this process can claim; returns how many ran."""
        if self._context is None:
            return 0
        ran = 0
        for task in claim_due(self.store):
            handler = self._handlers.get(task.kind)
            try:
                if handler is None:
                    raise LookupError(f"no handler for {task.kind!r}")
                with self._context():
                    handler(task.payload)
            except Exception as error:  # logged and retried; never lost silently
                if task.attempts >= MAX_ATTEMPTS:
                    log.error("task %s (%s) given up after %d attempts: %s", task.id, task.kind, task.attempts, error)
                    finish_task(self.store, task.id)
                else:
                    log.warning("task %s (%s) failed (attempt %d), will retry: %s", task.id, task.kind,
                                task.attempts, error)
                    retry_task(self.store, task.id, RETRY_SECONDS * 2 ** (task.attempts - 1), str(error))
                continue
            finish_task(self.store, task.id)
            ran += 1
        return ran

    def start(self) -> None:
        """The runner thread of this process (again in a forked child: its own)."""
        if self._context is None:
            return
        with self._lock:
            if self._thread is not None and self._thread.is_alive() and self._pid == os.getpid():
                return
            self._pid = os.getpid()
            self._thread = threading.Thread(target=_run_forever, args=(weakref.ref(self), self._wake),
                                            name="ent-idp-tasks", daemon=True)
            self._thread.start()


def _run_forever(queue: weakref.ReferenceType[TaskQueue], wake: threading.Event) -> None:
    """The runner's loop; it ends with its queue (an app thrown away, in tests)."""
    while True:
        wake.wait(POLL_SECONDS)
        wake.clear()
        runner = queue()
        if runner is None:
            return
        try:
            runner.run_due()
            runner.run_periodic()
        except Exception as error:  # database down…: next round
            log.warning("tasks: round failed: %s: %s", type(error).__name__, error)
        del runner
