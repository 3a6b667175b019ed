"""Single logout: when browser sessions end, every app that signed the person in during them
is told, whatever protocol it speaks.

The page that ends a session only writes one task (the sessions ended); the task runner then
asks each protocol's channel which apps to tell, and each app is told by a task of its own,
retried on its own when the app does not answer. A session that ends never waits for an app.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from idp.tasks import TaskQueue

FAN_OUT = "logout.fan_out"

Channel = Callable[[list[str], str], list[tuple[str, dict[str, Any]]]]
"""(digests of the browser sessions ended, login) → the tasks telling each app: (kind, payload)."""


class SingleLogout:
    def __init__(self, tasks: TaskQueue) -> None:
        self.tasks = tasks
        self.channels: list[Channel] = []

    def add_channel(self, channel: Channel) -> None:
        """A protocol's way of finding the apps to tell (it registers the tasks' handlers)."""
        self.channels.append(channel)

    def sessions_ended(self, session_digests: list[str], login: str) -> None:
        if session_digests:
            self.tasks.submit(FAN_OUT, {"sessions": session_digests, "login": login})

    def handle_tasks(self) -> None:
        self.tasks.register(FAN_OUT, self._fan_out)

    def _fan_out(self, task: dict[str, Any]) -> None:
        for channel in self.channels:
            for kind, payload in channel(task["sessions"], task["login"]):
                self.tasks.submit(kind, payload)
