"""Parents' help requests (« Problème de connexion parents »): kept in SQL before any mail
is sent, so a request is never lost, and read by the school's help desk and by `ent-idp help`.
The flows and the command line read and write them through the functions at the end."""
from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import String, Text, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from idp.i18n import N_
from idp.provisioning.codes import ALPHABET

from .db import Store
from .models import Base, Seconds, now

OPEN, CLOSED = "open", "closed"
PROBLEMS = {
    "activation": N_("Je n’arrive pas à activer mon compte"),
    "password": N_("J’ai perdu mon mot de passe"),
    "other": N_("Autre"),
}
"""What the parent ticked, stored as the key; the French words for the help desk and the command
line (`gettext(words)` on the parent's page)."""
REFERENCE_PREFIX = "AIDE"
_REFERENCE_GROUPS = (3, 3)
_TYPED_REFERENCE = re.compile(r"[\s\-_.]")
_SAVE_ATTEMPTS = 3


class HelpRequest(Base):
    __tablename__ = "help_requests"
    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True, index=True)
    """What the parent is shown and quotes: AIDE-K7Q-M3X (random, so it tells nothing of the volume)."""
    created_at: Mapped[int] = mapped_column(Seconds, default=now, index=True)
    status: Mapped[str] = mapped_column(String(10), default=OPEN, index=True)
    school: Mapped[str] = mapped_column(String(8), index=True)
    """UAI of the child's school: its help desk handles the request."""
    parent_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(20))
    """E.164 (+33612345678, +33164000000)."""
    child_name: Mapped[str] = mapped_column(String(200))
    child_class: Mapped[str | None] = mapped_column(String(40))
    login: Mapped[str | None] = mapped_column(String(64))
    """The login the parent says is theirs (never checked on the public form)."""
    problem: Mapped[str] = mapped_column(String(20))
    message: Mapped[str] = mapped_column(Text)
    answer: Mapped[str | None] = mapped_column(Text)
    """The help desk's latest answer, mailed to the parent."""
    answered_by: Mapped[str | None] = mapped_column(String(64))
    answered_at: Mapped[int | None] = mapped_column(Seconds)
    closed_at: Mapped[int | None] = mapped_column(Seconds)
    closed_by: Mapped[str | None] = mapped_column(String(64))
    """The staff login, or `cli` when closed with `ent-idp help close`."""
    address: Mapped[str | None] = mapped_column(String(64))
    """The client address the request came from."""

    @property
    def is_open(self) -> bool:
        return self.status == OPEN

    def close(self, by: str) -> None:
        if self.is_open:
            self.status, self.closed_at, self.closed_by = CLOSED, now(), by

    def facts(self) -> dict[str, Any]:
        """Everything about the request, for `ent-idp help show --json` (times in ISO 8601, UTC)."""
        return {
            "reference": self.reference, "status": self.status, "created_at": _iso(self.created_at),
            "school": self.school, "parent_name": self.parent_name, "email": self.email, "phone": self.phone,
            "child_name": self.child_name, "child_class": self.child_class, "login": self.login,
            "problem": self.problem, "message": self.message, "answer": self.answer,
            "answered_by": self.answered_by, "answered_at": _iso(self.answered_at),
            "closed_at": _iso(self.closed_at), "closed_by": self.closed_by, "address": self.address,
        }


def new_reference() -> str:
    """AIDE-K7Q-M3X: 31**6 ≈ 887 million, from the activation codes' alphabet (no look-alikes)."""
    groups = ("".join(secrets.choice(ALPHABET) for _ in range(size)) for size in _REFERENCE_GROUPS)
    return "-".join((REFERENCE_PREFIX, *groups))


def normalize_reference(typed: str) -> str:
    """What someone typed, as stored: case, spaces, hyphens and the AIDE prefix do not matter."""
    text = _TYPED_REFERENCE.sub("", typed).upper()
    text = text.removeprefix(REFERENCE_PREFIX)
    size = sum(_REFERENCE_GROUPS)
    if len(text) != size:
        return typed.strip().upper()
    return f"{REFERENCE_PREFIX}-{text[:_REFERENCE_GROUPS[0]]}-{text[_REFERENCE_GROUPS[0]:]}"


def file_request(store: Store, values: dict[str, str | None], address: str | None) -> HelpRequest:
    """Saves a parent's request, in one transaction (before anything is mailed). A reference
    drawn twice (about one chance in a billion) is drawn again."""
    for attempt in range(_SAVE_ATTEMPTS):
        row = HelpRequest(reference=new_reference(), address=address, **values)
        try:
            with store.transaction() as db:
                db.add(row)
            return row
        except IntegrityError:
            if attempt == _SAVE_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def find_request(store: Store, reference: str) -> HelpRequest | None:
    query = select(HelpRequest).where(HelpRequest.reference == normalize_reference(reference))
    return store.session.scalars(query).first()


def requests_of(store: Store, schools: tuple[str, ...] | None, status: str | None = OPEN) -> list[HelpRequest]:
    """Newest first; `schools` None: every school; `status` None: open and closed."""
    query = select(HelpRequest).order_by(HelpRequest.created_at.desc(), HelpRequest.id.desc())
    if schools is not None:
        query = query.where(HelpRequest.school.in_(schools))
    if status is not None:
        query = query.where(HelpRequest.status == status)
    return list(store.session.scalars(query))


def answer(store: Store, row: HelpRequest, text: str, by: str) -> None:
    """Keeps the help desk's answer (the latest one) with the request."""
    with store.transaction():
        row.answer, row.answered_by, row.answered_at = text, by, now()


def close(store: Store, row: HelpRequest, by: str) -> None:
    """Closes an open request (a closed one stays as it was); `by`: the staff login, or `cli`."""
    with store.transaction():
        row.close(by)


def _iso(moment: int | None) -> str | None:
    return None if moment is None else datetime.fromtimestamp(moment, UTC).isoformat()
