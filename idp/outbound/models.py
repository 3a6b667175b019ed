"""The outbox: every mail is written here before it is sent, so none is lost when the
mail server is down, and several processes can send from it without sending twice."""
from __future__ import annotations

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from idp.store.models import Base, Seconds, now

QUEUED, SENDING, SENT, FAILED = "queued", "sending", "sent", "failed"


class OutboxMessage(Base):
    """One mail to one address.

    The bodies are the only place where a secret may sit (a password-reset link must be
    in the message, that is unavoidable); they are emptied 24 h after the message is sent
    (or given up), by `Outbound.deliver_due`. Nothing else secret is ever stored here.
    """

    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(primary_key=True)
    to: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(Text)
    text_body: Mapped[str | None] = mapped_column(Text)
    html_body: Mapped[str | None] = mapped_column(Text)
    """None once purged."""
    template: Mapped[str] = mapped_column(String(64))
    locale: Mapped[str] = mapped_column(String(8), default="fr")
    """Content-Language of the message."""
    message_id: Mapped[str] = mapped_column(String(200))
    """The Message-ID header, the same at every attempt."""
    created_at: Mapped[int] = mapped_column(Seconds, default=now)
    status: Mapped[str] = mapped_column(String(10), default=QUEUED, index=True)
    """queued → sending (claimed by one process) → sent, or back to queued, or failed."""
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[int] = mapped_column(Seconds, default=now, index=True)
    claimed_at: Mapped[int | None] = mapped_column(Seconds)
    """When a process claimed it (status sending): a claim older than the lease is given back."""
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[int | None] = mapped_column(Seconds)
