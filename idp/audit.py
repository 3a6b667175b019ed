"""Security events (sign-in, failure, lockout, activation, reset, terms accepted, admin
actions): who, what, when, from where, for which app, and how it ended. Never a secret.

Each event is one JSON line, written to the audit log of the app handling the request (or
of the command line's settings): a file in the instance folder by default (`audit_log`),
standard error (`-`), or syslog. `read_events` reads the file back for `ent-idp audit list`.
Every event also goes to the `ent_idp.audit` logger, for deployments that route logs.
"""
from __future__ import annotations

import json
import logging
import logging.handlers
import sys
import weakref
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from flask import current_app, has_app_context, has_request_context, request

audit_log = logging.getLogger("ent_idp.audit")

EXTENSION = "ent_idp.audit"


class AuditLog:
    """Where one app's (or one command's) events go: a file, standard error or syslog."""

    def __init__(self, setting: str, instance_dir: str) -> None:
        self.path: Path | None = None
        """The file the events are appended to; None for standard error and syslog."""
        self._handler: logging.Handler | None = None
        if setting == "-":
            self._handler = logging.StreamHandler(sys.stderr)
        elif setting.startswith("syslog"):
            parts = urlsplit(setting)
            address: str | tuple[str, int] = (parts.hostname, parts.port or 514) if parts.hostname else "/dev/log"
            self._handler = logging.handlers.SysLogHandler(address=address,
                                                           facility=logging.handlers.SysLogHandler.LOG_AUTH)
            self._handler.setFormatter(logging.Formatter("ent-idp-audit: %(message)s"))
            weakref.finalize(self, self._handler.close)
        else:
            self.path = Path(setting) if Path(setting).is_absolute() else Path(instance_dir) / setting
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.touch(mode=0o600, exist_ok=True)

    def write(self, line: str) -> None:
        if self.path is not None:
            # One append per event (O_APPEND): the workers of `ent-idp serve` share the file,
            # and logrotate may move it at any time.
            with self.path.open("a", encoding="utf-8") as file:
                file.write(line + "\n")
        elif self._handler is not None:
            self._handler.handle(logging.LogRecord(audit_log.name, logging.INFO, __file__, 0, line, None, None))


_process_log: AuditLog | None = None
"""The command line's audit log (`use_for_this_process`): commands have no app."""


def use_for_this_process(log: AuditLog) -> None:
    global _process_log
    _process_log = log


def audit(event: str, *, login: str | None = None, address: str | None = None, client: str | None = None,
          outcome: str = "success", **details: object) -> None:
    """Records `event`. `address` defaults to the client address of the request being
    served; `outcome` is success, failure or refused."""
    if address is None and has_request_context():
        address = request.remote_addr
    record: dict[str, object] = {
        "time": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "event": event, "outcome": outcome, "login": login, "address": address, "client": client,
        **details,
    }
    line = json.dumps({key: value for key, value in record.items() if value is not None}, ensure_ascii=False)
    destination = current_app.extensions.get(EXTENSION) if has_app_context() else _process_log
    if destination is not None:
        destination.write(line)
    audit_log.info(line)


def read_events(path: Path) -> Iterator[dict[str, object]]:
    """The events of the audit file and of its rotated copies (`audit.log.1`…), newest first."""
    files = [path] + sorted(path.parent.glob(path.name + ".*"),
                            key=lambda rotated: int(rotated.suffix[1:]) if rotated.suffix[1:].isdigit() else 0)
    for file in files:
        if not file.is_file():
            continue
        with file.open(encoding="utf-8", errors="replace") as lines:
            events = [json.loads(line) for line in lines if line.startswith("{")]
        yield from reversed(events)
