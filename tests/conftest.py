"""Shared fixtures: one real slapd per test session, built from ldap_schema/."""
from __future__ import annotations

import itertools
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from idp.config import Settings, load_settings
from idp.directory import Directory, connect
from idp.directory.slapd import Argon2Cost, Lockout, PrivateSlapd, free_port
from idp.provisioning.service import Provisioner
from tests.mail import SmtpServer

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Playwright

    from tests.scaleout.servers import Postgres

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
"""Debian's Chromium (Playwright's own browser download does not work here)."""

TEST_ARGON2 = Argon2Cost(memory_kib=1024, iterations=1, parallelism=1)
"""Cheap hashing for tests; production uses OWASP's cost (idp.directory.slapd.OWASP_ARGON2)."""
TEST_LOCKOUT = Lockout(max_failures=3, duration_seconds=600)


def start_slapd(data_dir: Path, **options: object) -> PrivateSlapd:
    slapd = PrivateSlapd(data_dir, port=free_port(), argon2=TEST_ARGON2, lockout=TEST_LOCKOUT, **options)
    slapd.start()
    return slapd


@pytest.fixture(scope="session")
def slapd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateSlapd]:
    instance = start_slapd(tmp_path_factory.mktemp("slapd"), demo_people=True)
    yield instance
    assert instance.stop() == 0


def directory_of(slapd: PrivateSlapd) -> Directory:
    return connect(slapd.url, slapd.base_dn, slapd.admin_dn, slapd.admin_password)


@pytest.fixture(scope="session")
def directory(slapd: PrivateSlapd) -> Directory:
    return directory_of(slapd)


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """A real SMTP server, started by the test when it wants (before: the server is down)."""
    server = SmtpServer()
    yield server
    server.stop()


@pytest.fixture
def provisioner(directory: Directory) -> Provisioner:
    return Provisioner(directory, activation_code_days=90)


def settings_file(slapd: PrivateSlapd, folder: Path, extra: str = "") -> Path:
    """An idp.toml pointing at `slapd`, as the demo writes one."""
    path = folder / "idp.toml"
    path.write_text(
        f'demo = true\ninstance_dir = "instance"\nrate_limits = false\n{extra}\n[ldap]\nurl = "{slapd.url}"\n'
        f'base_dn = "{slapd.base_dn}"\nbind_dn = "{slapd.admin_dn}"\nbind_password = "{slapd.admin_password}"\n',
        encoding="utf-8",
    )
    return path


@pytest.fixture
def settings(slapd: PrivateSlapd, tmp_path: Path) -> Settings:
    return load_settings(settings_file(slapd, tmp_path), environ={})


_names = itertools.count(1)


@pytest.fixture
def unique_surname() -> str:
    """A surname no other test uses, so tests sharing the session's slapd stay apart."""
    return f"Testeur{next(_names)}"


def audit_events(app: object) -> list[dict]:
    """The events the app wrote to its audit log, newest first."""
    from flask import Flask

    from idp.audit import EXTENSION, read_events
    assert isinstance(app, Flask)
    return list(read_events(app.extensions[EXTENSION].path))


def has_event(events: list[dict], **fields: object) -> bool:
    """Whether one of `events` has all these fields with these values."""
    return any(all(event.get(name) == value for name, value in fields.items()) for event in events)


def eventually(probe, timeout: float = 10.0, interval: float = 0.05):  # type: ignore[no-untyped-def]
    """What `probe()` returns once it is truthy (work done in the background: mail, SMS, tasks)."""
    deadline = time.monotonic() + timeout
    while True:
        found = probe()
        if found or time.monotonic() > deadline:
            assert found, f"still nothing after {timeout} s"
            return found
        time.sleep(interval)


def tasks_done(app: object) -> None:
    """Waits until the app's background tasks have all run."""
    from sqlalchemy import func, select

    from idp.services import EXTENSION
    from idp.store.tasks import Task
    store = app.extensions[EXTENSION].store  # type: ignore[attr-defined]

    def none_left() -> bool:
        with store.engine.connect() as connection:
            return connection.scalar(select(func.count()).select_from(Task)) == 0
    eventually(none_left)


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    """A private PostgreSQL for the whole run (tests/store and tests/scaleout), on a free port."""
    from tests.scaleout.servers import missing_servers, running_postgres
    reason = missing_servers()
    if reason:
        pytest.skip(f"these tests need PostgreSQL and Redis: {reason}")
    with running_postgres() as found:
        yield found


@pytest.fixture(scope="module")
def chromium(playwright: Playwright) -> Iterator[Browser]:
    """Debian's Chromium, one per test module, on pytest-playwright's Playwright (one per test
    session: a second one started in the same thread after it would refuse to run)."""
    launched = playwright.chromium.launch(executable_path=CHROMIUM)
    yield launched
    launched.close()
