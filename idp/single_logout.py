"""Single logout: when browser sessions end, every app that signed the person in during them
is told, whatever protocol it speaks.

The page that ends a session only writes one task (the sessions ended); the task runner then
asks each protocol's channel which apps to tell, and each app is told by a task of its own,
retried on its own when the app does not answer. A session that ends never waits for an app.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import make_response, render_template, session
from werkzeug.wrappers import Response

from idp.csp import content_security_policy
from idp.store import sso_sessions
from idp.tasks import TaskQueue

FAN_OUT = "logout.fan_out"
SIGNED_OUT = "signed_out"
"""In the flow cookie, while the national identity's logout runs: the browser session ended."""
SWEEP_SECONDS = 60.0


@dataclass(frozen=True)
class Channel:
    """A protocol's way of finding the apps to tell (it registers the tasks' handlers)."""

    apps_to_tell: Callable[[list[str], str], list[tuple[str, dict[str, Any]]]]
    """(digests of the browser sessions ended, login) → the tasks telling each app: (kind, payload)."""
    app_names: Callable[[list[str]], list[str]]
    """The names of the apps it tells for those sessions (what the signed-out page lists)."""
    frames: Callable[[list[str]], list[str]] = lambda session_digests: []
    """Pages the signed-out page loads in hidden frames (front-channel logout)."""


class SingleLogout:
    def __init__(self, tasks: TaskQueue) -> None:
        self.tasks = tasks
        self.channels: list[Channel] = []
        self.leave_upstream: Callable[[str | None], Response | None] = lambda session_digest: None
        """The redirect ending the national identity's session too (idp.upstream), if any."""

    def add_channel(self, channel: Channel) -> None:
        self.channels.append(channel)

    def app_names(self, session_digest: str | None) -> list[str]:
        """The apps that will be told when this browser session ends, by name."""
        if not session_digest:
            return []
        names = {name for channel in self.channels for name in channel.app_names([session_digest])}
        return sorted(names, key=str.casefold)

    def signed_out_page(self, session_digest: str | None, *, upstream_left: str | None = None) -> Response:
        """« La session est fermée sur l’ENT et sur ces applications : … », with the hidden
        frames of the apps signed out through the browser, which the page's CSP alone allows.
        A session signed in through ÉduConnect or FranceConnect first goes there to end it, and
        comes back here with `upstream_left`, the name of the one that ended it too."""
        if upstream_left is None:
            leaving = self.leave_upstream(session_digest)
            if leaving is not None:
                session[SIGNED_OUT] = session_digest
                return leaving
        digests = [session_digest] if session_digest else []
        frames = [url for channel in self.channels for url in channel.frames(digests)]
        response = make_response(render_template("signed_out.html", apps=self.app_names(session_digest),
                                                 frames=frames, upstream=upstream_left))
        response.headers["Content-Security-Policy"] = content_security_policy(_origin(url) for url in frames)
        response.headers["Cache-Control"] = "no-store"
        return response

    def back_from_upstream(self, provider_name: str) -> Response:
        """The signed-out page, once the national identity's session ended too."""
        return self.signed_out_page(session.pop(SIGNED_OUT, None), upstream_left=provider_name)

    def sessions_ended(self, session_digests: list[str], login: str) -> None:
        if session_digests:
            self.tasks.submit(FAN_OUT, {"sessions": session_digests, "login": login})

    def handle_tasks(self, idle_seconds: int) -> None:
        """The fan-out, and a sweep every `SWEEP_SECONDS` for sessions that timed out (idle
        or absolute), which no request ends: their apps are told too."""
        self.tasks.register(FAN_OUT, self._fan_out)
        self.tasks.every(SWEEP_SECONDS, lambda: self.sweep(idle_seconds))

    def sweep(self, idle_seconds: int) -> int:
        """Ends the sessions that timed out and tells their apps; returns how many ended."""
        ended = sso_sessions.end_timed_out(self.tasks.store, idle_seconds)
        for session_digest, login in ended:
            self.sessions_ended([session_digest], login)
        return len(ended)

    def _fan_out(self, task: dict[str, Any]) -> None:
        for channel in self.channels:
            for kind, payload in channel.apps_to_tell(task["sessions"], task["login"]):
                self.tasks.submit(kind, payload)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
