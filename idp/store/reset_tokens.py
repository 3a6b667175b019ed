"""Password-reset links (mail) and codes (SMS): their rows, each read and changed in one
statement where two requests could race."""
from __future__ import annotations

import secrets

from sqlalchemy import delete, insert, select, update

from .db import Store
from .models import ResetToken, digest, now


def new_link(store: Store, login: str, stamp: str, seconds: int, *, channel: str = "mail",
             new_address: str | None = None) -> str:
    """A link's token (only its digest is kept), valid `seconds` while `stamp` is the account's:
    a reset link (`mail`), or the confirmation of a new recovery address (`email`, with it)."""
    token = secrets.token_urlsafe(32)
    with store.engine.begin() as connection:
        connection.execute(insert(ResetToken), {
            "token_digest": digest(token), "code_digest": None, "login": login, "stamp": stamp, "channel": channel,
            "new_address": new_address, "expires_at": now() + seconds, "created_at": now(), "attempts": 0})
    return token


def new_code(store: Store, challenge_digest: str, login: str, stamp: str, seconds: int, *, channel: str = "sms",
             new_address: str | None = None) -> str:
    """A 6-digit SMS code for the browser holding the challenge of `challenge_digest` (it
    replaces one made for that challenge by an attempt whose SMS did not leave): a reset
    (`sms`), or the confirmation of a new mobile (`mobile`, with it)."""
    code = f"{secrets.randbelow(10**6):06d}"
    with store.engine.begin() as connection:
        connection.execute(delete(ResetToken).where(ResetToken.token_digest == challenge_digest,
                                                    ResetToken.used_at.is_(None)))
        connection.execute(insert(ResetToken), {
            "token_digest": challenge_digest, "code_digest": digest(code), "login": login, "stamp": stamp,
            "channel": channel, "new_address": new_address, "expires_at": now() + seconds, "created_at": now(),
            "attempts": 0})
    return code


def usable(store: Store, token_digest: str) -> ResetToken | None:
    """A link (or SMS challenge) neither used nor expired."""
    with store.engine.connect() as connection:
        row = connection.execute(select(ResetToken.__table__).where(ResetToken.token_digest == token_digest)).first()
    if row is None or row.used_at is not None or now() >= row.expires_at:
        return None
    return ResetToken(**row._mapping)


def count_attempt(store: Store, row_id: int, attempts: int) -> bool:
    """Counts one try of a code, and says whether it may be checked: the count and the check
    are one statement, so that of concurrent tries only `attempts` are ever checked."""
    with store.engine.begin() as connection:
        return connection.execute(
            update(ResetToken)
            .where(ResetToken.id == row_id, ResetToken.attempts < attempts, ResetToken.used_at.is_(None),
                   ResetToken.expires_at > now())
            .values(attempts=ResetToken.attempts + 1)).rowcount == 1


def use(store: Store, row_id: int) -> bool:
    """Consumes a link or code; False when another request consumed it first."""
    with store.engine.begin() as connection:
        return connection.execute(update(ResetToken).where(ResetToken.id == row_id, ResetToken.used_at.is_(None))
                                  .values(used_at=now())).rowcount == 1

