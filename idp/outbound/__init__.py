"""Outgoing messages: mail through an outbox table, SMS at once (from a background task:
idp.recovery).

A mail is written to the `outbox` table first, then sent at once when possible; when the
server is down it waits and is retried with back-off (1 min, 2, 4 … at most 1 h apart)
for 3 days, then marked failed. Any number of processes (gunicorn workers, instances
sharing one database) may deliver at the same time: each message is claimed by one
UPDATE … WHERE status='queued' before it is sent, so it goes out once.

Without smtp_url, demo mode writes each mail as `<id>-<template>.eml` in outbox_dir;
outside demo mode mail waits in the outbox until smtp_url is set.

TLS: certificates are checked against the system's authorities (SSL_CERT_FILE adds a
private one); tests pass their own `ssl_context`.
"""
from __future__ import annotations

import logging
import os
import ssl
import threading
import weakref
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.orm import Session

from idp.config import Settings
from idp.store.models import now

from .mail import (
    MailError,
    ServerDown,
    build_message,
    check_address,
    new_message_id,
    parse_smtp_url,
    render,
    send_smtp,
    sender_address,
    write_eml,
)
from .models import FAILED, QUEUED, SENDING, SENT, OutboxMessage
from .sms import SmsUnavailable, gateway_kind, send_sms

if TYPE_CHECKING:
    from idp.store import Store

__all__ = ["Outbound", "OutboxMessage", "SmsUnavailable", "retry_delay"]

log = logging.getLogger("ent_idp.outbound")

FIRST_RETRY_SECONDS = 60
MAX_RETRY_SECONDS = 3600
GIVE_UP_AFTER_SECONDS = 3 * 86400
PURGE_BODIES_AFTER_SECONDS = 86400
CLAIM_LEASE_SECONDS = 15 * 60
"""A message claimed longer ago than this (its process died mid-send) is queued again."""
BATCH = 200
NO_SERVER = "aucun serveur de courrier configuré (smtp_url)"


def retry_delay(attempts: int) -> int:
    """Seconds before the next try after `attempts` failed ones: 60, 120, 240 … at most 3600."""
    return min(FIRST_RETRY_SECONDS * 2 ** max(attempts - 1, 0), MAX_RETRY_SECONDS)


class Outbound:
    def __init__(self, settings: Settings, store: Store, *, ssl_context: ssl.SSLContext | None = None) -> None:
        """`ssl_context` (tests, or a private authority) replaces the default certificate checks."""
        self.settings = settings
        self.store = store
        self.ssl_context = ssl_context
        self._smtp = parse_smtp_url(settings.smtp_url) if settings.smtp_url.strip() else None
        self._envelope_from = sender_address(settings)
        self._sms_kind = gateway_kind(settings)
        self._sender_lock = threading.Lock()
        self._sender: threading.Thread | None = None
        self._sender_pid: int | None = None
        self._stop = threading.Event()

    # SMS

    @property
    def sms_enabled(self) -> bool:
        return self._sms_kind is not None

    def sms(self, to: str, text: str) -> None:
        """Sends at once or raises SmsUnavailable (no outbox: the codes expire in minutes; the
        recovery task that calls this is tried again instead)."""
        send_sms(self.settings, to, text)
        log.info("sms sent via %s gateway", self._sms_kind)

    # Mail

    def mail(self, to: str, template: str, context: dict[str, Any], locale: str = "fr") -> int:
        """Writes the message to the outbox first (so it is never lost), then tries to send
        it at once; on failure it waits for deliver_due. Returns its id.

        Raises ValueError for an unknown template, a missing context key or a bad address
        (nothing is stored then); a database error propagates (nothing was stored)."""
        address = check_address(to)
        rendered = render(self.settings, template, context, locale)
        moment = now()
        row = OutboxMessage(
            to=address, subject=rendered.subject, text_body=rendered.text, html_body=rendered.html,
            template=template, locale=rendered.locale, message_id=new_message_id(self.settings),
            created_at=moment, status=QUEUED, attempts=0, next_attempt_at=moment,
        )
        with Session(self.store.engine) as session, session.begin():
            session.add(row)
            session.flush()
            message_id = row.id
        try:
            self._attempt(message_id, moment)
        except Exception:  # stored: the background sender will try again
            log.exception("mail %s: first attempt failed unexpectedly", message_id)
        return message_id

    def deliver_due(self) -> dict[str, int]:
        """Sends every queued message whose time has come. sent: sent by this call;
        failed: given up by this call; waiting: not sent yet afterwards (queued, or being
        sent by another process). Also gives back
        stale claims and empties the bodies of messages sent (or given up) over 24 h ago."""
        moment = now()
        self._housekeeping(moment)
        with Session(self.store.engine) as session:
            due = session.scalars(
                select(OutboxMessage.id)
                .where(OutboxMessage.status == QUEUED, OutboxMessage.next_attempt_at <= moment)
                .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(BATCH)
            ).all()
        counts = {"sent": 0, "failed": 0, "waiting": 0}
        for message_id in due:
            outcome = self._attempt(message_id, now())
            if outcome in (SENT, FAILED):
                counts[outcome] += 1
            if outcome == "server down":
                break  # the others would wait for the same server: next round
        with Session(self.store.engine) as session:
            counts["waiting"] = session.scalar(
                select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status.in_((QUEUED, SENDING)))
            ) or 0
        return counts

    def flush(self) -> dict[str, int]:
        """`ent-idp outbox flush`: every queued message is due now, then deliver_due."""
        with Session(self.store.engine) as session, session.begin():
            session.execute(update(OutboxMessage).where(OutboxMessage.status == QUEUED)
                            .values(next_attempt_at=now()))
        return self.deliver_due()

    def pending(self) -> list[dict[str, Any]]:
        """Messages not sent (queued, being sent, failed), oldest first, for `outbox list`."""
        with Session(self.store.engine) as session:
            rows = session.scalars(select(OutboxMessage).where(OutboxMessage.status != SENT)
                                   .order_by(OutboxMessage.id)).all()
            return [{
                "id": row.id, "to": row.to, "subject": row.subject, "template": row.template,
                "attempts": row.attempts,
                "next_attempt_at": _iso(row.next_attempt_at) if row.status == QUEUED else None,
                "last_error": row.last_error, "status": row.status, "created_at": _iso(row.created_at),
            } for row in rows]

    # Background sender

    def start_background_sender(self, every_seconds: float = 30) -> None:
        """One daemon thread per process calling deliver_due every `every_seconds` (first
        after one period: mail() already tries at once). Calling it again does nothing
        (called in a forked child, it starts the child's own). Errors are logged, never
        raised; the thread ends with this object."""
        with self._sender_lock:
            if self._sender is not None and self._sender.is_alive() and self._sender_pid == os.getpid():
                return
            self._stop = threading.Event()
            self._sender_pid = os.getpid()
            self._sender = threading.Thread(
                target=_send_forever, args=(weakref.ref(self), every_seconds, self._stop),
                name="ent-idp-outbox", daemon=True)
            self._sender.start()

    def stop_background_sender(self, timeout: float | None = 30) -> None:
        with self._sender_lock:
            sender, self._sender = self._sender, None
            self._stop.set()
        if sender is not None and sender is not threading.current_thread():
            sender.join(timeout)

    # One attempt

    def _attempt(self, message_id: int, moment: int) -> str | None:
        """Claims the message and sends it. Returns sent / failed / queued / "server down",
        or None when another process has it (or it is not due)."""
        with Session(self.store.engine) as session, session.begin():
            claimed = cast(CursorResult[Any], session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == message_id, OutboxMessage.status == QUEUED,
                       OutboxMessage.next_attempt_at <= moment)
                .values(status=SENDING, claimed_at=moment, attempts=OutboxMessage.attempts + 1)
                .execution_options(synchronize_session=False)
            )).rowcount == 1
        if not claimed:
            return None
        with Session(self.store.engine) as session:
            row = session.get(OutboxMessage, message_id)
            assert row is not None
            session.expunge(row)
        try:
            self._send(row)
        except MailError as error:
            return self._failed(row, str(error), error.permanent, isinstance(error, ServerDown))
        except Exception as error:  # a bug or an unexpected failure: keep the message, retry later
            log.exception("mail %s: unexpected error while sending", message_id)
            return self._failed(row, f"erreur inattendue ({type(error).__name__})", False, False)
        self._finish(row.id, status=SENT, sent_at=now(), last_error=None, claimed_at=None)
        log.info("mail %s (%s) sent", row.id, row.template)
        return SENT

    def _send(self, row: OutboxMessage) -> None:
        message = build_message(self.settings, row)
        if self._smtp is not None:
            send_smtp(self._smtp, message, self._envelope_from, row.to, self.ssl_context)
        elif self.settings.demo:
            write_eml(self.settings.outbox_dir, row, message)
        else:
            raise ServerDown(NO_SERVER)

    def _failed(self, row: OutboxMessage, error: str, permanent: bool, server_down: bool) -> str:
        moment = now()
        if permanent or moment - row.created_at >= GIVE_UP_AFTER_SECONDS:
            self._finish(row.id, status=FAILED, last_error=error, claimed_at=None, next_attempt_at=moment)
            log.warning("mail %s (%s) given up after %s attempt(s): %s", row.id, row.template, row.attempts, error)
            return FAILED
        self._finish(row.id, status=QUEUED, last_error=error, claimed_at=None,
                     next_attempt_at=moment + retry_delay(row.attempts))
        log.warning("mail %s (%s) not sent (attempt %s), will retry: %s", row.id, row.template, row.attempts, error)
        return "server down" if server_down else QUEUED

    def _finish(self, message_id: int, **values: Any) -> None:
        with Session(self.store.engine) as session, session.begin():
            session.execute(update(OutboxMessage)
                            .where(OutboxMessage.id == message_id, OutboxMessage.status == SENDING)
                            .values(**values).execution_options(synchronize_session=False))

    def _housekeeping(self, moment: int) -> None:
        with Session(self.store.engine) as session, session.begin():
            session.execute(  # a process died while sending: give the message back
                update(OutboxMessage)
                .where(OutboxMessage.status == SENDING, OutboxMessage.claimed_at < moment - CLAIM_LEASE_SECONDS)
                .values(status=QUEUED, claimed_at=None, next_attempt_at=moment)
                .execution_options(synchronize_session=False))
            # The bodies may hold a reset link: keep them no longer than needed.
            for status, since in ((SENT, OutboxMessage.sent_at),
                                  (FAILED, OutboxMessage.next_attempt_at)):  # failed: when given up
                session.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.status == status, since < moment - PURGE_BODIES_AFTER_SECONDS,
                           OutboxMessage.text_body.is_not(None))
                    .values(text_body=None, html_body=None)
                    .execution_options(synchronize_session=False))


def _send_forever(outbound: weakref.ReferenceType[Outbound], every_seconds: float, stop: threading.Event) -> None:
    """The background sender's loop; it ends with its Outbound (an app thrown away, in tests)."""
    while not stop.wait(every_seconds):
        sender = outbound()
        if sender is None:
            return
        try:
            counts = sender.deliver_due()
            if counts["sent"] or counts["failed"]:
                log.info("outbox: %(sent)s sent, %(failed)s failed, %(waiting)s waiting", counts)
        except Exception as error:  # database down, …: try again next round
            log.warning("outbox: delivery round failed: %s: %s", type(error).__name__, error)
        del sender


def _iso(moment: int | None) -> str | None:
    return None if moment is None else datetime.fromtimestamp(moment, UTC).isoformat()
