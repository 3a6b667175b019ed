"""Consents: what a person allowed an app outside the ENT to know, until withdrawn."""
from __future__ import annotations

from sqlalchemy import select, update

from .db import Store
from .models import Client, Consent, Token, now


def covers(store: Store, login: str, client_id: str, scope: str) -> bool:
    """Whether a consent still in force covers every scope asked."""
    granted = store.session.scalars(select(Consent.scope).where(
        Consent.login == login, Consent.client_id == client_id, Consent.revoked_at.is_(None)))
    wanted = set(scope.split())
    return any(wanted <= set(given.split()) for given in granted)


def give(store: Store, login: str, client_id: str, scope: str) -> None:
    store.insert(Consent, login=login, client_id=client_id, scope=scope)


def in_force(store: Store, login: str) -> list[tuple[Consent, Client]]:
    """The person's consents in force, each with its app."""
    rows = store.session.execute(select(Consent, Client).join(Client, Client.client_id == Consent.client_id)
                                 .where(Consent.login == login, Consent.revoked_at.is_(None)))
    return [(consent, client) for consent, client in rows]


def withdraw(store: Store, login: str, consent_id: int) -> str | None:
    """Withdraws one of `login`'s consents and revokes the app's tokens for them; returns the
    app's client id, or None when no such consent of theirs is in force."""
    with store.transaction() as db:
        granted = db.get(Consent, consent_id)
        if granted is None or granted.login != login or granted.revoked_at is not None:
            return None
        moment = now()
        db.execute(update(Consent).where(Consent.id == consent_id).values(revoked_at=moment))
        db.execute(update(Token).where(Token.login == login, Token.client_id == granted.client_id,
                                       Token.revoked_at.is_(None)).values(revoked_at=moment))
        return granted.client_id
