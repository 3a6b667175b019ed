"""CAS fixtures: a store of its own for unit tests, accounts as the directory gives them, and
live providers (real HTTP, the session's slapd) for the CAS clients to validate against."""
from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from idp.app import create_app
from idp.cas import CasServer, cas_server
from idp.config import Settings, load_settings
from idp.directory import Account, AccountState, Profile
from idp.directory.slapd import PrivateSlapd, free_port
from idp.store import Store
from tests.conftest import settings_file


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = Store(f"sqlite:///{tmp_path / 'cas.sqlite3'}")
    yield store
    store.dispose()


def account(profile: Profile = Profile.TEACHER, **changes: object) -> Account:
    """An account as the directory reads it."""
    values: dict = {"login": "thomas.professeur", "dn": "uid=thomas.professeur,ou=people,dc=ent77,dc=fr",
                    "given_name": "Thomas", "surname": "Professeur", "profile": profile,
                    "schools": ("0770001H", "0770942F"), "stored_state": AccountState.ACTIVE,
                    "recovery_email": "thomas@example.fr", "uuid": "4f1e0c1a-0000-4000-8000-000000000001"}
    values.update(changes)
    return Account(**values)


@dataclass
class LiveCas:
    issuer: str
    app: object

    @property
    def server(self) -> CasServer:
        return cas_server(self.app)  # type: ignore[arg-type]

    @property
    def settings(self) -> Settings:
        return self.app.config["ENT_IDP"]  # type: ignore[attr-defined]


def _live(slapd: PrivateSlapd, folder: Path, demo: bool) -> Iterator[LiveCas]:
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    settings = load_settings(settings_file(slapd, folder, f'issuer = "{issuer}"\nsecret_key = "{"k" * 40}"\n'),
                             environ={})
    app = create_app(settings.with_changes(demo=demo))
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield LiveCas(issuer, app)
    server.shutdown()
    thread.join()


@pytest.fixture(scope="session")
def live_cas(slapd: PrivateSlapd, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveCas]:
    """A provider as in production (demo off): proxy callbacks only over https."""
    yield from _live(slapd, tmp_path_factory.mktemp("cas-provider"), demo=False)


@pytest.fixture(scope="session")
def live_demo_cas(slapd: PrivateSlapd, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveCas]:
    """A demo provider: proxy callbacks over http on this machine are accepted."""
    yield from _live(slapd, tmp_path_factory.mktemp("cas-demo-provider"), demo=True)
