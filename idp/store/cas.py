"""Tables of the CAS server: the registered apps and their tickets.

Tickets live here, not in a process's memory, so that any instance behind the load balancer
validates a ticket another one issued; only their digests are kept."""
from __future__ import annotations

from sqlalchemy import JSON, Boolean, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .models import Base, Seconds, now


class CasService(Base):
    """A college app that signs people in with CAS (Pronote, Moodle, GEPI…)."""

    __tablename__ = "cas_services"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    """A slug of the name and a random suffix (`moodle-4fz8qk`): readable in the audit log."""
    name: Mapped[str] = mapped_column(String(200))
    services: Mapped[list[str]] = mapped_column(JSON, default=list)
    """The URLs it is reached at; a ticket's service must lie under one of them."""
    attributes: Mapped[str] = mapped_column(String(16), default="default")
    """Which attribute profile it is given (idp.cas.attributes)."""
    schools: Mapped[list[str]] = mapped_column(JSON, default=list)
    """UAI of the colleges whose home page shows it; empty: every college."""
    created_at: Mapped[int] = mapped_column(Seconds, default=now)


class CasTicket(Base):
    """A service ticket (ST-), a proxy ticket (PT-) or a proxy-granting ticket (PGT-)."""

    __tablename__ = "cas_tickets"
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_digest: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    kind: Mapped[str] = mapped_column(String(3))
    """ST, PT or PGT: the prefix of the ticket."""
    login: Mapped[str] = mapped_column(String(64), index=True)
    service_id: Mapped[str] = mapped_column(String(40))
    """The registered app the ticket was issued for (for a PGT: the one its callback belongs to)."""
    service: Mapped[str] = mapped_column(Text)
    """The exact service URL of an ST or PT; the callback URL (pgtUrl) of a PGT."""
    issued_at: Mapped[int] = mapped_column(Seconds, default=now)
    expires_at: Mapped[int] = mapped_column(Seconds, index=True)
    used_at: Mapped[int | None] = mapped_column(Seconds)
    """Set by the one validation that claims an ST or PT; a PGT is never used up."""
    authenticated_at: Mapped[int] = mapped_column(Seconds)
    """When the person signed in (cas:authenticationDate)."""
    from_new_login: Mapped[bool] = mapped_column(Boolean, default=False)
    """Issued right after a fresh sign-in (what `renew=true` asks for)."""
    remembered: Mapped[bool] = mapped_column(Boolean, default=False)
    """The sign-in was « Se souvenir de moi » (cas:longTermAuthenticationRequestTokenUsed)."""
    session_digest: Mapped[str | None] = mapped_column(String(64), index=True)
    """The browser session it came from: single logout ends the apps that session visited."""
    attributes: Mapped[dict] = mapped_column(JSON, default=dict)
    """What the app is told of the person, read from the directory when the ticket was issued."""
    session_index: Mapped[str | None] = mapped_column(String(64))
    """The ticket itself once spent (it can never validate again): the app knows its session by
    it, and single logout names it (SessionIndex)."""
    proxies: Mapped[list[str]] = mapped_column(JSON, default=list)
    """The proxy chain of a PT or PGT, the most recent callback first."""
