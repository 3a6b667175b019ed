"""The account service (idp.accounts) on the session's real slapd and an SQLite store."""
from __future__ import annotations

import pytest

from idp.config import Settings
from idp.directory import AccountLocked, AccountState, Directory
from idp.provisioning.codes import normalize_typed_code
from idp.services import Services
from idp.store import SsoSession, Token
from tests.flows.conftest import PASSWORD, new_active, new_pending


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


def test_a_disabled_account_signs_in_nowhere_until_enabled_in_the_state_it_had(
        settings: Settings, directory: Directory, unique_surname: str) -> None:
    services = Services(settings)
    active, pending = new_active(directory, unique_surname), new_pending(directory, unique_surname + "p")
    with services.store.transaction() as db:
        db.add(SsoSession(id_digest=f"disabled-{active}", login=active, sub="s", auth_time=1, amr=["pwd"],
                          remember=False, created_at=1, last_seen_at=1, expires_at=2**31 - 1))
    for login in (active, pending.login):
        services.accounts.disable(login, actor="import-aaf", reason="absent from the full export")
        account = directory.get(login)
        assert account.state is AccountState.DISABLED and account.disabled_at is not None and not account.usable
    with pytest.raises(AccountLocked):
        directory.verify(active, PASSWORD)
    with pytest.raises(AccountLocked):
        directory.verify(pending.login, pending.activation_code, normalize_typed_code)
    services.accounts.unlock(active, actor="admin")  # an unlock does not undo a disabling
    with pytest.raises(AccountLocked):
        directory.verify(active, PASSWORD)
    services.store.end()
    assert services.store.session.get(SsoSession, f"disabled-{active}").ended_at is not None
    assert services.accounts.enable(active, actor="import-aaf").state is AccountState.ACTIVE
    assert directory.verify(active, PASSWORD).login == active
    assert services.accounts.enable(pending.login, actor="import-aaf").state is AccountState.PENDING
    assert directory.verify(pending.login, pending.activation_code, normalize_typed_code).login == pending.login
