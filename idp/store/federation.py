"""What the ENT keeps of the national identities: which FranceConnect identity is whose account
(ÉduConnect needs no link: its assertions carry the académie's join key), which browser session
came through which upstream session (to end both together, from either side), and the SAML
assertions already used (each signs in once)."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import JSON, String, UniqueConstraint, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from .db import Store
from .models import Base, Seconds, now


class FederationLink(Base):
    """A person's identity at an upstream provider, linked to their ENT account once."""

    __tablename__ = "federation_links"
    __table_args__ = (UniqueConstraint("provider", "subject"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(255))
    """The upstream's stable identifier of the person (FranceConnect's `sub`)."""
    login: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[int] = mapped_column(Seconds, default=now)


class UpstreamSession(Base):
    """A browser session signed in through an upstream provider, and what its logout needs."""

    __tablename__ = "upstream_sessions"
    session_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    provider: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(255), index=True)
    """The upstream's name of the person in that session (SAML NameID, OpenID `sub`)."""
    logout: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    """The backend's own: the SAML NameID and SessionIndex, the ID token for FranceConnect's logout."""
    created_at: Mapped[int] = mapped_column(Seconds, default=now)


class UsedAssertion(Base):
    __tablename__ = "used_assertions"
    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    expires_at: Mapped[int] = mapped_column(Seconds, index=True)


@dataclass(frozen=True)
class Link:
    provider: str
    subject: str
    login: str
    created_at: int


def linked_login(store: Store, provider: str, subject: str) -> str | None:
    return store.session.scalar(select(FederationLink.login).where(FederationLink.provider == provider,
                                                                    FederationLink.subject == subject))


def links_of(store: Store, login: str) -> list[Link]:
    rows = store.session.scalars(select(FederationLink).where(FederationLink.login == login)
                                 .order_by(FederationLink.created_at))
    return [Link(row.provider, row.subject, row.login, row.created_at) for row in rows]


def link(store: Store, provider: str, subject: str, login: str) -> None:
    """Links the identity to `login` (instead of any account it was linked to before)."""
    with store.transaction() as db:
        db.execute(delete(FederationLink).where(FederationLink.provider == provider,
                                                FederationLink.subject == subject))
        db.add(FederationLink(provider=provider, subject=subject, login=login))


def unlink(store: Store, provider: str, login: str) -> bool:
    """Removes the person's link to `provider`; False when there was none."""
    with store.transaction() as db:
        removed = db.execute(delete(FederationLink).where(FederationLink.provider == provider,
                                                          FederationLink.login == login))
    return bool(getattr(removed, "rowcount", 0))


def unlink_everything_of(store: Store, login: str) -> None:
    with store.transaction() as db:
        db.execute(delete(FederationLink).where(FederationLink.login == login))


def record_session(store: Store, session_digest: str, provider: str, subject: str, logout: dict[str, str]) -> None:
    store.insert(UpstreamSession, session_digest=session_digest, provider=provider, subject=subject,
                 logout=logout, created_at=now())


@dataclass(frozen=True)
class Upstream:
    session_digest: str
    provider: str
    subject: str
    logout: dict[str, str]

    @classmethod
    def of(cls, row: UpstreamSession) -> Upstream:
        return cls(row.session_digest, row.provider, row.subject, dict(row.logout or {}))


def take_session(store: Store, session_digest: str | None) -> Upstream | None:
    """The upstream session of this browser session, forgotten as it is read (it is ended once)."""
    if not session_digest:
        return None
    with store.transaction() as db:
        row = db.get(UpstreamSession, session_digest)
        if row is None:
            return None
        taken = Upstream.of(row)
        db.delete(row)
    return taken


def sessions_of_subject(store: Store, provider: str, subject: str) -> list[Upstream]:
    rows = store.session.scalars(select(UpstreamSession).where(UpstreamSession.provider == provider,
                                                               UpstreamSession.subject == subject))
    return [Upstream.of(row) for row in rows]


def use_assertion_once(store: Store, assertion_id: str, expires_at: int) -> bool:
    """True the first time this assertion id is seen (until it expires): a replay is refused."""
    moment = now()
    try:
        with store.transaction() as db:
            db.execute(delete(UsedAssertion).where(UsedAssertion.expires_at < moment))
            db.add(UsedAssertion(id=assertion_id[:255], expires_at=max(expires_at, moment + 60)))
    except IntegrityError:
        return False
    return True
