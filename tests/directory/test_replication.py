"""A replicated directory: two private slapd as an OpenLDAP multi-provider pair, and the
provider given both URLs, failing over from one to the other."""
from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from ldap3 import BASE, NONE, Connection, Server

from idp.directory import (
    AccountLocked,
    Directory,
    DirectoryUnavailable,
    InvalidCredentials,
    LdapLink,
    NewAccount,
    Profile,
    SlapdError,
    connect,
)
from idp.directory.slapd import MultiProviderSlapd, PrivateSlapd, free_port
from idp.provisioning.service import Provisioner
from tests.conftest import TEST_ARGON2, TEST_LOCKOUT

REPLICATION_DELAY = 5.0
"""How long a change may take to reach the other provider (it usually takes milliseconds)."""


def start_pair(data_dir: Path) -> MultiProviderSlapd:
    """A pair on free ports. Built first, so that little time passes between choosing the
    ports and listening on them; chosen again if another program took one meanwhile."""
    options = {"argon2": TEST_ARGON2, "lockout": TEST_LOCKOUT, "demo_people": True}
    MultiProviderSlapd(data_dir, ports=[0, 1], **options).build()
    for attempt in range(3):
        ports = [free_port()]
        while len(ports) < 2:
            ports = sorted({*ports, free_port()})
        instance = MultiProviderSlapd(data_dir, ports=ports, **options)
        try:
            instance.start()
            return instance
        except SlapdError as error:
            if "déjà utilisé" not in str(error) or attempt == 2:
                raise
    raise AssertionError("unreachable")


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[MultiProviderSlapd]:
    instance = start_pair(tmp_path / "ldap")
    yield instance
    for provider in instance.providers:
        assert provider.stop() in (0, None)


def on(pair: MultiProviderSlapd, *which: int) -> Directory:
    """The directory through provider `which` (1, 2), or through several URLs in that order."""
    url = " ".join(pair.providers[index - 1].url for index in which)
    return connect(url, pair.base_dn, pair.admin_dn, pair.admin_password)


def context_csn(provider: PrivateSlapd) -> set[str]:
    """The suffix's contextCSN: the newest change this provider holds from each serverID."""
    connection = Connection(Server(provider.url, get_info=NONE), provider.admin_dn, provider.admin_password,
                            auto_bind=True)
    try:
        connection.search(provider.base_dn, "(objectClass=*)", BASE, attributes=["contextCSN"])
        return set(connection.response[0]["attributes"]["contextCSN"])
    finally:
        connection.unbind()


def replicated(pair: MultiProviderSlapd, within: float = REPLICATION_DELAY) -> None:
    """Waits until every running provider holds every change made so far.

    Tests wait for this rather than retrying a bind: each refused bind would count
    towards the lockout."""
    running = [provider for provider in pair.providers if provider.pid]
    deadline = time.monotonic() + within
    while len({frozenset(context_csn(provider)) for provider in running}) > 1:
        assert time.monotonic() < deadline, [context_csn(provider) for provider in running]
        time.sleep(0.02)


def new_active_account(directory: Directory, surname: str, password: str) -> str:
    login = Provisioner(directory, 90).add(NewAccount("Léa", surname, Profile.PARENT)).login
    directory.set_password(login, password)
    return login


def test_both_providers_start_with_the_same_entries_and_stop_cleanly(pair: MultiProviderSlapd) -> None:
    first, second = on(pair, 1), on(pair, 2)
    logins = sorted(account.login for account in first.accounts())
    assert logins and logins == sorted(account.login for account in second.accounts())
    assert first.uuids(tuple(logins)) == second.uuids(tuple(logins))  # the same entries, not look-alikes
    assert pair.url == f"{pair.providers[0].url} {pair.providers[1].url}"
    assert [provider.stop() for provider in pair.providers] == [0, 0]


def test_password_set_through_provider_1_binds_on_provider_2(pair: MultiProviderSlapd) -> None:
    login = new_active_account(on(pair, 1), "Repliquée", "Bonjour2024")
    replicated(pair)
    assert on(pair, 2).verify(login, "Bonjour2024").login == login


def test_change_through_provider_2_is_seen_on_provider_1(pair: MultiProviderSlapd) -> None:
    first, second = on(pair, 1), on(pair, 2)
    login = new_active_account(first, "Allerretour", "Premier2024")
    replicated(pair)
    second.set_password(login, "Second2024")
    second.lock(login)
    replicated(pair)
    assert first.get(login).state.value == "locked"
    first.unlock(login)
    replicated(pair)
    assert first.verify(login, "Second2024").login == login
    with pytest.raises(InvalidCredentials):
        second.verify(login, "Premier2024")


def test_a_lockout_on_one_provider_holds_on_the_other(pair: MultiProviderSlapd) -> None:
    first, second = on(pair, 1), on(pair, 2)
    login = new_active_account(first, "Verrou", "Correct2024")
    for _ in range(TEST_LOCKOUT.max_failures):
        with pytest.raises((InvalidCredentials, AccountLocked)):
            first.verify(login, "Faux2024x")
    replicated(pair)
    with pytest.raises(AccountLocked):
        second.verify(login, "Correct2024")
    second.unlock(login)
    replicated(pair)
    assert first.verify(login, "Correct2024").login == login


def test_with_both_urls_the_provider_fails_over_then_says_unavailable(pair: MultiProviderSlapd) -> None:
    provider_1, provider_2 = pair.providers
    directory = on(pair, 1, 2)
    login = new_active_account(directory, "Bascule", "Bascule2024")
    replicated(pair)

    assert provider_1.stop() == 0
    assert directory.verify(login, "Bascule2024").login == login  # through provider 2
    directory.set_password(login, "Pendant2024")                    # writes too
    assert directory.verify(login, "Pendant2024").login == login

    assert provider_2.stop() == 0
    with pytest.raises(DirectoryUnavailable, match="ne répond pas"):
        directory.verify(login, "Pendant2024")
    with pytest.raises(DirectoryUnavailable):
        directory.find(login)

    provider_2.start()
    assert directory.verify(login, "Pendant2024").login == login


def test_the_first_url_serves_again_once_it_answers(pair: MultiProviderSlapd) -> None:
    provider_1, provider_2 = pair.providers
    link = LdapLink(pair.url, pair.admin_dn, pair.admin_password, retry_after=0.3)
    directory = Directory(link, pair.base_dn)

    def served_by() -> str:
        directory.ping()
        return link._idle[-1][0]  # noqa: SLF001  (the connection just given back)

    assert served_by() == provider_1.url
    assert provider_1.stop() == 0
    assert served_by() == provider_2.url
    provider_1.start()
    assert served_by() == provider_2.url  # not retried at once
    time.sleep(0.4)
    directory.ping()  # given back to no pool: provider 1 is preferred again
    assert served_by() == provider_1.url
    link.close()


def test_a_restarted_provider_catches_up(pair: MultiProviderSlapd) -> None:
    provider_1, _ = pair.providers
    second = on(pair, 2)
    login = new_active_account(second, "Rattrapage", "Avant2024")
    replicated(pair)

    assert provider_1.stop() == 0
    second.set_password(login, "Apres2024")
    added = new_active_account(second, "Pendantlarret", "Nouveau2024")

    provider_1.start()
    replicated(pair)
    first = on(pair, 1)
    assert first.verify(added, "Nouveau2024").login == added
    assert first.verify(login, "Apres2024").login == login
    assert provider_1.stop() == 0 and pair.providers[1].stop() == 0


def test_a_pair_keeps_its_data_across_restarts(pair: MultiProviderSlapd) -> None:
    login = new_active_account(on(pair, 1), "Durable", "Durable2024")
    replicated(pair)
    assert pair.stop() == 0
    pair.start()
    assert on(pair, 2).verify(login, "Durable2024").login == login
    assert on(pair, 1).verify(login, "Durable2024").login == login


def test_a_missing_provider_is_rebuilt_from_the_other(pair: MultiProviderSlapd) -> None:
    login = new_active_account(on(pair, 1), "Reconstruit", "Refait2024")
    replicated(pair)
    assert pair.stop() == 0
    shutil.rmtree(pair.providers[1].data_dir)
    pair.start()
    assert on(pair, 2).verify(login, "Refait2024").login == login
    new_active_account(on(pair, 2), "Apres-Reconstruction", "Ensuite2024")
    replicated(pair)


def _consecutive_free_ports() -> int:
    """N and N + 1, both free (free_port keeps below the kernel's ephemeral range)."""
    for _ in range(100):
        port = free_port()
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port
    raise AssertionError("no two consecutive free ports")


def test_directory_start_with_two_replicas_writes_both_urls(tmp_path: Path) -> None:
    port = _consecutive_free_ports()
    command = subprocess.Popen(
        [sys.executable, "-m", "idp.cli", "directory", "start", "--data-dir", str(tmp_path / "ldap"),
         "--port", str(port), "--replicas", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        lines = []
        assert command.stdout is not None
        for line in command.stdout:
            lines.append(line)
            if line.startswith("Ctrl-C"):
                break
        assert lines and lines[-1].startswith("Ctrl-C"), "".join(lines)
        ldap = tomllib.loads((tmp_path / "ldap" / "idp.toml").read_text(encoding="utf-8"))["ldap"]
        assert ldap["url"] == f"ldap://127.0.0.1:{port} ldap://127.0.0.1:{port + 1}"
        for url in ldap["url"].split():
            connect(url, ldap["base_dn"], ldap["bind_dn"], ldap["bind_password"]).ping()
        assert sorted(path.name for path in (tmp_path / "ldap").glob("provider-*")) == ["provider-1", "provider-2"]
        assert oct((tmp_path / "ldap" / "admin.secret").stat().st_mode & 0o777) == "0o600"
    finally:
        command.send_signal(signal.SIGTERM)
        rest = command.communicate(timeout=30)[0]
    assert command.returncode == 0, rest
    assert "code 0" in rest


def test_a_replicated_folder_is_not_started_as_a_single_directory(tmp_path: Path) -> None:
    (tmp_path / "ldap" / "provider-1").mkdir(parents=True)
    done = subprocess.run(
        [sys.executable, "-m", "idp.cli", "directory", "start", "--data-dir", str(tmp_path / "ldap"),
         "--port", str(free_port())],
        capture_output=True, text=True, timeout=30,
    )
    assert done.returncode == 1
    assert "--replicas" in done.stderr
