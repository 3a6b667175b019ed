"""The account service (idp.accounts) on the session's real slapd and an SQLite store."""
from __future__ import annotations

from idp.config import Settings
from idp.directory import Directory
from idp.services import Services
from idp.store import SsoSession, Token
from tests.flows.conftest import new_active


def test_a_removed_account_is_signed_out_everywhere_and_its_login_freed(settings: Settings, directory: Directory,
                                                                        unique_surname: str) -> None:
    login = new_active(directory, unique_surname)
    services = Services(settings)
    with services.store.transaction() as db:
        for who in (login, "someone.else"):
            db.add(SsoSession(id_digest=f"removed-{who}", login=who, sub="s", auth_time=1, amr=["pwd"],
                              remember=False, created_at=1, last_seen_at=1, expires_at=2**31 - 1))
            db.add(Token(access_digest=f"removed-{who}", client_id="c", login=who, sub="s", scope="openid",
                         auth_time=1, issued_at=1, expires_at=2**31 - 1, family=f"removed-{who}"))
    services.accounts.remove(login, actor="admin")
    assert directory.find(login) is None
    services.store.end()
    ended = {row.login: row.ended_at is not None for row in services.store.session.query(SsoSession)}
    revoked = {row.login: row.revoked_at is not None for row in services.store.session.query(Token)}
    assert ended == revoked == {login: True, "someone.else": False}
    new_again = new_active(directory, unique_surname)
    assert new_again == login
