"""The directory module against the session's real slapd."""
from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from idp.directory import (
    AccountLocked,
    AccountNotFound,
    AccountState,
    ActivationCodeExpired,
    Directory,
    InvalidCredentials,
    NewAccount,
    Profile,
)
from idp.directory.slapd import PrivateSlapd
from idp.provisioning.codes import normalize_typed_code
from idp.provisioning.service import Provisioner
from tests.conftest import TEST_LOCKOUT, directory_of


def new_parent(provisioner: Provisioner, surname: str):
    return provisioner.add(NewAccount("Danièle", surname, Profile.PARENT, ("0770001H",)))


def test_provisioned_account_is_pending_with_its_profile(provisioner: Provisioner, directory: Directory,
                                                         unique_surname: str) -> None:
    created = new_parent(provisioner, unique_surname)
    account = directory.get(created.login)
    assert account.state is AccountState.PENDING
    assert (account.profile, account.schools, account.given_name) == (Profile.PARENT, ("0770001H",), "Danièle")
    assert account.activation_expires > datetime.now(UTC) + timedelta(days=89)


def test_a_removed_account_is_gone_and_its_login_free_again(provisioner: Provisioner, directory: Directory,
                                                            unique_surname: str) -> None:
    created = new_parent(provisioner, unique_surname)
    directory.remove(created.login)
    assert directory.find(created.login) is None
    with pytest.raises(AccountNotFound):
        directory.remove(created.login)
    assert new_parent(provisioner, unique_surname).login == created.login


def test_activation_code_is_stored_hashed_by_slapd(provisioner: Provisioner, slapd: PrivateSlapd,
                                                   unique_surname: str) -> None:
    from ldap3 import BASE, NONE, Connection, Server
    created = new_parent(provisioner, unique_surname)
    admin = Connection(Server(slapd.url, get_info=NONE), slapd.admin_dn, slapd.admin_password, auto_bind=True)
    admin.search(created.dn, "(objectClass=*)", BASE, attributes=["userPassword"])
    stored = admin.response[0]["attributes"]["userPassword"][0]
    stored = stored if isinstance(stored, bytes) else stored.encode()
    admin.unbind()
    assert stored.startswith(b"{ARGON2}$argon2")
    assert normalize_typed_code(created.activation_code).encode() not in stored


def test_personal_password_is_stored_hashed_by_slapd(provisioner: Provisioner, slapd: PrivateSlapd,
                                                     directory: Directory, unique_surname: str) -> None:
    """SECURITY.md 4: a personal password set by a reset (a plain modify) is hashed by slapd too."""
    from ldap3 import BASE, NONE, Connection, Server
    created = new_parent(provisioner, unique_surname)
    directory.activate(created.login, password="Tilleul2026")
    directory.set_password(created.login, "Marronnier2027")
    admin = Connection(Server(slapd.url, get_info=NONE), slapd.admin_dn, slapd.admin_password, auto_bind=True)
    admin.search(created.dn, "(objectClass=*)", BASE, attributes=["userPassword"])
    stored = admin.response[0]["attributes"]["userPassword"][0]
    admin.unbind()
    stored = stored if isinstance(stored, bytes) else stored.encode()
    assert stored.startswith(b"{ARGON2}$argon2") and b"Marronnier2027" not in stored


def test_activation_code_verifies_only_while_pending(provisioner: Provisioner, directory: Directory,
                                                     unique_surname: str) -> None:
    created = new_parent(provisioner, unique_surname)
    code = normalize_typed_code(created.activation_code)
    assert directory.verify(created.login, code).state is AccountState.PENDING
    directory.set_password(created.login, "Tilleul2026")
    directory.activate(created.login)
    with pytest.raises(InvalidCredentials):
        directory.verify(created.login, code)
    assert directory.verify(created.login, "Tilleul2026").state is AccountState.ACTIVE


def test_expired_activation_code_is_refused(directory: Directory, provisioner: Provisioner,
                                            unique_surname: str) -> None:
    created = new_parent(provisioner, unique_surname)
    directory.issue_activation_code(created.login, "ABCDEFGH2345", datetime.now(UTC) - timedelta(seconds=1))
    with pytest.raises(ActivationCodeExpired):
        directory.verify(created.login, "ABCDEFGH2345")


def test_wrong_secret_and_unknown_login_get_the_same_error(directory: Directory, provisioner: Provisioner,
                                                           unique_surname: str) -> None:
    created = new_parent(provisioner, unique_surname)
    with pytest.raises(InvalidCredentials) as wrong:
        directory.verify(created.login, "not-the-code")
    with pytest.raises(InvalidCredentials) as unknown:
        directory.verify("nobody.here", "not-the-code")
    assert str(wrong.value) == str(unknown.value)


def test_empty_secret_never_signs_in(directory: Directory) -> None:
    with pytest.raises(InvalidCredentials):
        directory.verify("daniele.adams", "")


def test_repeated_failures_lock_then_unlock_restores(directory: Directory, provisioner: Provisioner,
                                                     unique_surname: str) -> None:
    created = new_parent(provisioner, unique_surname)
    code = normalize_typed_code(created.activation_code)
    for _ in range(TEST_LOCKOUT.max_failures):
        with pytest.raises((InvalidCredentials, AccountLocked)):
            directory.verify(created.login, "wrong-secret")
    assert directory.get(created.login).state is AccountState.LOCKED
    with pytest.raises(AccountLocked) as locked:
        directory.verify(created.login, code)  # even the right code, while locked
    assert locked.value.until is not None and locked.value.until > datetime.now(UTC)
    directory.unlock(created.login)
    assert directory.get(created.login).state is AccountState.PENDING
    assert directory.verify(created.login, code).login == created.login


def test_admin_lock_holds_until_unlocked(directory: Directory, provisioner: Provisioner,
                                         unique_surname: str) -> None:
    created = new_parent(provisioner, unique_surname)
    directory.lock(created.login)
    with pytest.raises(AccountLocked) as locked:
        directory.verify(created.login, normalize_typed_code(created.activation_code))
    assert locked.value.until is None
    directory.unlock(created.login)
    directory.verify(created.login, normalize_typed_code(created.activation_code))


def test_reset_makes_old_password_and_code_stop_working(directory: Directory, provisioner: Provisioner,
                                                        unique_surname: str) -> None:
    created = new_parent(provisioner, unique_surname)
    directory.set_password(created.login, "Tilleul2026")
    directory.activate(created.login)
    reset = provisioner.reset(created.login)
    for old in ("Tilleul2026", normalize_typed_code(created.activation_code)):
        with pytest.raises(InvalidCredentials):
            directory.verify(created.login, old)
    account = directory.verify(created.login, normalize_typed_code(reset.activation_code))
    assert account.state is AccountState.PENDING


def test_only_one_of_two_activations_wins(directory: Directory, provisioner: Provisioner,
                                          unique_surname: str) -> None:
    created = new_parent(provisioner, unique_surname)
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def activate() -> None:
        barrier.wait()
        try:
            directory.activate(created.login)
            outcomes.append("won")
        except Exception:
            outcomes.append("lost")

    threads = [threading.Thread(target=activate) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["lost", "won"]
    assert directory.get(created.login).state is AccountState.ACTIVE


@pytest.mark.parametrize("login", ["*", "daniele*", "a)(uid=*", "x\\2a", "uid=x,ou=people", "daniele.adams\x00"])
def test_filter_characters_in_a_login_never_widen_a_search(directory: Directory, login: str) -> None:
    assert directory.find(login) is None
    with pytest.raises(InvalidCredentials):
        directory.verify(login, "whatever1")


def test_logins_with_prefix_escapes_the_prefix(directory: Directory) -> None:
    assert directory.logins_with_prefix("*") == set()
    assert "daniele.adams" in directory.logins_with_prefix("daniele.adams")


def test_unknown_account_operations_say_so(directory: Directory) -> None:
    for operation in (directory.unlock, directory.lock):
        with pytest.raises(AccountNotFound):
            operation("nobody.here")
    with pytest.raises(AccountNotFound):
        directory.set_password("nobody.here", "Tilleul2026")


def test_concurrent_threads_share_the_directory(directory: Directory) -> None:
    errors: list[Exception] = []

    def read() -> None:
        try:
            for _ in range(30):
                assert directory.get("daniele.adams").profile is Profile.PARENT
        except Exception as error:  # collected for the assertion below
            errors.append(error)

    threads = [threading.Thread(target=read) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_parent_lists_children_logins(directory: Directory) -> None:
    assert directory.get("daniele.adams").children == ("lucas.adams",)


def test_lockout_policy_follows_the_settings(tmp_path) -> None:
    from idp.config import load_settings
    from idp.http_server import apply_lockout_policy
    from tests.conftest import settings_file, start_slapd

    slapd = start_slapd(tmp_path / "ldap")
    try:
        settings = load_settings(settings_file(slapd, tmp_path, "[accounts]\nlockout_failures = 1\n"
                                                                "address_failures = 1\n"), environ={})
        apply_lockout_policy(settings)  # the directory locks at twice the provider's lockout
        directory = directory_of(slapd)
        created = new_parent(Provisioner(directory, 90), "Adams")
        for _ in range(2):
            with pytest.raises(InvalidCredentials):
                directory.verify(created.login, "wrong-secret")
        account = directory.get(created.login)
        assert account.state is AccountState.LOCKED
        assert account.locked_until - datetime.now(UTC) > timedelta(minutes=14)
    finally:
        slapd.stop()


def test_a_forked_worker_opens_its_own_connections(directory: Directory) -> None:
    """gunicorn forks workers after the app is built: a child must not share its parent's sockets."""
    import multiprocessing

    directory.get("daniele.adams")  # the parent now holds a pooled connection
    context = multiprocessing.get_context("fork")
    results = context.Queue()

    def worker() -> None:
        results.put(directory.get("daniele.adams").login)

    children = [context.Process(target=worker) for _ in range(3)]
    for child in children:
        child.start()
    logins = [results.get(timeout=30) for _ in children]
    for child in children:
        child.join(30)
    assert logins == ["daniele.adams"] * 3 and all(child.exitcode == 0 for child in children)
    assert directory.get("daniele.adams").login == "daniele.adams"  # the parent's pool still works


def test_unknown_login_costs_slapd_a_password_check_too(directory: Directory) -> None:
    """An unknown login is checked against a decoy entry hashed like a real password,
    so that response times do not reveal which logins exist."""
    from ldap3 import BASE
    with pytest.raises(InvalidCredentials):
        directory.verify("nobody.here", "wrong-secret-1")

    def read_decoy(connection):  # type: ignore[no-untyped-def]
        connection.search(f"cn=timing-decoy,ou=policies,{directory.base_dn}", "(objectClass=*)", BASE,
                          attributes=["userPassword"])
        return connection.response

    stored = directory._link.run(read_decoy)[0]["attributes"]["userPassword"][0]  # noqa: SLF001
    # Only the scheme is looked at: the hash after it is bytes, not always UTF-8 as ldap3 returns them.
    assert (stored.encode() if isinstance(stored, str) else stored).startswith(b"{ARGON2}$argon2")


def test_secrets_are_checked_over_kept_connections_that_survive_a_restart(tmp_path) -> None:
    """Binds reuse an open connection (never one used for reading), one bind's identity
    never leaks into the next, and a connection slapd closed (restart) is replaced."""
    from tests.conftest import start_slapd

    slapd = start_slapd(tmp_path / "ldap")
    try:
        directory = directory_of(slapd)
        provisioner = Provisioner(directory, 90)
        first, second = new_parent(provisioner, "Garde"), new_parent(provisioner, "Reprise")
        directory.activate(first.login, password="Premier-2026")
        directory.activate(second.login, password="Second-2026")
        directory.verify(first.login, "Premier-2026")
        kept = directory._link._binders[-1][1]  # noqa: SLF001
        directory.verify(second.login, "Second-2026")
        with pytest.raises(InvalidCredentials):
            directory.verify(first.login, "Second-2026")
        assert directory._link._binders[-1][1] is kept and kept.password is None  # noqa: SLF001

        assert slapd.stop() == 0
        slapd.start()
        assert directory.verify(first.login, "Premier-2026").login == first.login
        assert directory._link._binders[-1][1] is not kept  # noqa: SLF001
    finally:
        slapd.stop()


def test_the_feed_finds_a_person_by_join_key_and_updates_what_the_school_knows(
        provisioner: Provisioner, directory: Directory, unique_surname: str) -> None:
    pupil = provisioner.add(NewAccount("Léo", unique_surname, Profile.STUDENT, ("0770001H",),
                                       join_key="E-" + unique_surname))
    parent = provisioner.add(NewAccount("Danièle", unique_surname, Profile.PARENT, ("0770001H",),
                                        join_key="R-" + unique_surname, birth_date="1984-03-02",
                                        school_email="d.adams@ecole.example.fr"))
    directory.activate(parent.login, password="Tilleul2026", recovery_email="perso@example.fr", terms_version="x")
    assert directory.find_by_join_key("R-" + unique_surname).login == parent.login
    assert directory.find_by_join_key("R-inconnu") is None
    directory.update_from_feed(parent.login, NewAccount(
        "Danièle", unique_surname + "-Martin", Profile.PARENT, ("0770001H", "0770002J"), children=(pupil.login,),
        join_key="R-" + unique_surname, birth_date="1984-03-02", school_mobile="+33611223344"))
    account = directory.get(parent.login)
    assert (account.login, account.surname, account.schools) == (parent.login, unique_surname + "-Martin",
                                                                 ("0770001H", "0770002J"))
    assert account.children == (pupil.login,) and account.birth_date == "1984-03-02"
    assert (account.school_email, account.school_mobile) == (None, "+33611223344")
    assert account.state is AccountState.ACTIVE and account.recovery_email == "perso@example.fr"
    assert directory.verify(parent.login, "Tilleul2026").login == parent.login  # secrets untouched
