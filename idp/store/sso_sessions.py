"""Browser sessions (single sign-on) in SQL: found by the digest of their cookie, never by it."""
from __future__ import annotations

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from .db import Store
from .models import AuthorizationCode, SsoSession, Token, now


def open_session(store: Store, id_digest: str, *, login: str, sub: str, amr: list[str], remember: bool,
                 lifetime: int, user_agent: str | None = None, address: str | None = None) -> int:
    """Writes a new session; returns its sign-in time."""
    moment = now()
    store.insert(SsoSession, id_digest=id_digest, login=login, sub=sub, auth_time=moment, amr=amr,
                 remember=remember, created_at=moment, last_seen_at=moment, expires_at=moment + lifetime,
                 user_agent=user_agent, address=address)
    return moment


def open_sessions_of(store: Store, login: str, idle_seconds: int) -> list[SsoSession]:
    """The person's browser sessions still open (neither ended nor timed out), newest first."""
    moment = now()
    return list(store.session.scalars(
        select(SsoSession).where(SsoSession.login == login, SsoSession.ended_at.is_(None),
                                 SsoSession.expires_at > moment,
                                 or_(SsoSession.remember.is_(True), SsoSession.last_seen_at >= moment - idle_seconds))
        .order_by(SsoSession.last_seen_at.desc())))


def find(store: Store, id_digest: str) -> SsoSession | None:
    return store.session.get(SsoSession, id_digest)


def seen(store: Store, id_digest: str, moment: int) -> None:
    with store.transaction() as db:
        db.execute(update(SsoSession).where(SsoSession.id_digest == id_digest).values(last_seen_at=moment))


def end(store: Store, id_digest: str | None) -> None:
    """Ends one browser session and revokes the tokens its apps got in it."""
    moment = now()
    with store.transaction() as db:
        db.execute(update(SsoSession).where(SsoSession.id_digest == id_digest).values(ended_at=moment))
        _revoke_tokens_of(db, [id_digest], moment)


def end_every_session_of(store: Store, login: str, keep: str | None = None) -> list[str]:
    """Ends every browser session of `login` and revokes its tokens; returns the digests of
    the browser sessions ended. `keep`: one session (the person's own browser, after they
    changed their password) that stays open, with the tokens its apps got in it."""
    moment = now()
    with store.transaction() as db:
        ended = list(db.scalars(select(SsoSession.id_digest).where(SsoSession.login == login,
                                                                  SsoSession.ended_at.is_(None),
                                                                  SsoSession.id_digest != (keep or ""))))
        if ended:
            db.execute(update(SsoSession).where(SsoSession.id_digest.in_(ended)).values(ended_at=moment))
        revoked = update(Token).where(Token.login == login, Token.revoked_at.is_(None))
        if keep:
            kept_families = select(Token.family).join(AuthorizationCode, Token.code_id == AuthorizationCode.id) \
                .where(AuthorizationCode.sso_session == keep)
            revoked = revoked.where(Token.family.not_in(kept_families))
        db.execute(revoked.values(revoked_at=moment))
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
        _revoke_tokens_of(db, [session_digest for session_digest, _ in ended], moment)
    return ended


def _revoke_tokens_of(db: Session, session_digests: list[str | None], moment: int) -> None:
    """The tokens of the codes given in those browser sessions, refreshed ones included, end
    with them; those of `offline_access` do not: they are for when the person is away
    (Back-Channel Logout 1.0, 2.7). Apps lose access at their next request to the ENT."""
    if not session_digests:
        return
    families = db.execute(select(Token.family, Token.scope).join(AuthorizationCode,
                                                                 Token.code_id == AuthorizationCode.id)
                          .where(AuthorizationCode.sso_session.in_(session_digests), Token.revoked_at.is_(None))).all()
    ending = {family for family, scope in families if "offline_access" not in scope.split()}
    if ending:
        db.execute(update(Token).where(Token.family.in_(ending), Token.revoked_at.is_(None)).values(revoked_at=moment))
