"""The private slapd: built from ldap_schema/, fast to start, clean to stop, clear when it cannot."""
from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from idp.directory import DirectoryUnavailable, NewAccount, Profile, SlapdError
from idp.directory import slapd as slapd_module
from idp.directory.slapd import PrivateSlapd, free_port
from idp.provisioning.service import Provisioner
from tests.conftest import TEST_ARGON2, directory_of, start_slapd


def test_starts_in_about_a_second_and_stops_cleanly(tmp_path: Path) -> None:
    began = time.monotonic()
    slapd = start_slapd(tmp_path / "ldap")
    assert time.monotonic() - began < 3
    pid = slapd.pid
    directory_of(slapd).ping()
    assert slapd.stop() == 0
    with pytest.raises(ProcessLookupError):
        import os
        os.kill(pid, 0)


def test_keeps_its_data_across_restarts(tmp_path: Path) -> None:
    slapd = start_slapd(tmp_path / "ldap")
    created = Provisioner(directory_of(slapd), 90).add(NewAccount("Léa", "Durand", Profile.STUDENT))
    slapd.stop()
    slapd.start()
    try:
        assert directory_of(slapd).get(created.login).given_name == "Léa"
    finally:
        assert slapd.stop() == 0


def test_refuses_a_port_already_taken(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(SlapdError, match=f"port {port} est déjà utilisé"):
            PrivateSlapd(tmp_path / "ldap", port=port, argon2=TEST_ARGON2).start()


def test_says_how_to_install_slapd_when_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(slapd_module, "SLAPD", str(tmp_path / "no-slapd"))
    with pytest.raises(SlapdError, match="apt-get install -y slapd ldap-utils"):
        PrivateSlapd(tmp_path / "ldap", port=free_port()).start()


def test_stopped_directory_gives_the_unavailable_error(tmp_path: Path) -> None:
    slapd = start_slapd(tmp_path / "ldap")
    directory = directory_of(slapd)
    directory.ping()
    slapd.stop()
    with pytest.raises(DirectoryUnavailable, match="ne répond pas"):
        directory.find("daniele.adams")
    with pytest.raises(DirectoryUnavailable):
        directory.verify("daniele.adams", "whatever1")
    slapd.start()
    try:
        directory.ping()  # the broken connection is replaced once slapd is back
    finally:
        slapd.stop()


def test_slapd_does_not_outlive_a_killed_owner(tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys
    owner = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from pathlib import Path; from idp.directory.slapd import *; "
        f"s = PrivateSlapd(Path({str(tmp_path / 'ldap')!r}), port=free_port(), argon2=Argon2Cost(1024, 1, 1)); "
        "s.start(); print(s.pid, flush=True); time.sleep(60)")], stdout=subprocess.PIPE, text=True)
    pid = int(owner.stdout.readline())
    owner.send_signal(signal.SIGKILL)
    owner.wait()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        os.kill(pid, signal.SIGKILL)
        raise AssertionError("slapd still running after its owner was killed")
    owner.stdout.close()
