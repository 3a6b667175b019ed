"""Browser sessions (single sign-on) in SQL: found by the digest of their cookie, never by it."""
from __future__ import annotations

from sqlalchemy import and_, or_, select, update

from .db import Store
from .models import SsoSession, Token, now


def open_session(store: Store, id_digest: str, *, login: str, sub: str, amr: list[str], remember: bool,
                 lifetime: int) -> int:
    """Writes a new session; returns its sign-in time."""
    moment = now()
    store.insert(SsoSession, id_digest=id_digest, login=login, sub=sub, auth_time=moment, amr=amr,
                 remember=remember, created_at=moment, last_seen_at=moment, expires_at=moment + lifetime)
    return moment


def find(store: Store, id_digest: str) -> SsoSession | None:
    return store.session.get(SsoSession, id_digest)


def seen(store: Store, id_digest: str, moment: int) -> None:
    with store.transaction() as db:
        db.execute(update(SsoSession).where(SsoSession.id_digest == id_digest).values(last_seen_at=moment))


def end(store: Store, id_digest: str | None) -> None:
    with store.transaction() as db:
        db.execute(update(SsoSession).where(SsoSession.id_digest == id_digest).values(ended_at=now()))


def end_every_session_of(store: Store, login: str) -> list[str]:
    """Ends every browser session of `login` and revokes its tokens; returns the digests of
    the browser sessions ended."""
    moment = now()
    with store.transaction() as db:
        ended = list(db.scalars(select(SsoSession.id_digest).where(SsoSession.login == login,
                                                                  SsoSession.ended_at.is_(None))))
        if ended:
            db.execute(update(SsoSession).where(SsoSession.id_digest.in_(ended)).values(ended_at=moment))
        db.execute(update(Token).where(Token.login == login, Token.revoked_at.is_(None)).values(revoked_at=moment))
    return ended


def end_timed_out(store: Store, idle_seconds: int, limit: int = 500) -> list[tuple[str, str]]:
    """Marks ended the sessions past their absolute or idle timeout that nobody ended yet, and
    returns them (digest, login). Each is claimed by one conditional write: of two instances
    sweeping at once, one only ends (and reports) a given session."""
    moment = now()
    timed_out = or_(SsoSession.expires_at <= moment,
                    and_(SsoSession.remember.is_(False), SsoSession.last_seen_at < moment - idle_seconds))
    ended = []
    with store.transaction() as db:
        candidates = db.execute(select(SsoSession.id_digest, SsoSession.login)
                                .where(SsoSession.ended_at.is_(None), timed_out).limit(limit)).all()
        for session_digest, login in candidates:
            claimed = db.execute(update(SsoSession).where(SsoSession.id_digest == session_digest,
                                                          SsoSession.ended_at.is_(None)).values(ended_at=moment))
            if claimed.rowcount:  # type: ignore[attr-defined]
                ended.append((session_digest, login))
    return ended
