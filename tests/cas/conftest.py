"""The ENT's CAS server and what talks to it: live providers (real HTTP servers in threads)
on the session's slapd, Apache + mod_auth_cas and phpCAS registered in them as CAS apps, the
demo college app (OIDC) for single sign-on across protocols, Chromium, and for unit tests a
store of their own and accounts as the directory reads them."""
from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, sync_playwright
from werkzeug.serving import BaseWSGIServer, make_server

from idp import clients
from idp.app import create_app
from idp.cas import CasServer
from idp.cas.extension import EXTENSION as CAS_EXTENSION
from idp.config import Settings, load_settings
from idp.demo_college import create_demo_college
from idp.directory import Account, AccountState, Directory, NewAccount, Profile
from idp.directory.slapd import PrivateSlapd, free_port
from idp.http_server import closing_bodies
from idp.provisioning.service import Provisioner
from idp.services import services
from idp.store import Store
from tests.cas.real_clients import ApacheCas, PhpCas
from tests.conftest import CHROMIUM, settings_file
from tests.serving import ENT_IDP

PASSWORD = "Tilleul2026"


@dataclass
class CasProvider:
    """The ENT under test (a real HTTP server in a thread), with the settings file its CLI
    reads (`ent-idp --config …`)."""

    issuer: str
    app: Flask
    config: Path

    @property
    def server(self) -> CasServer:
        return self.app.extensions[CAS_EXTENSION]

    @property
    def settings(self) -> Settings:
        return self.app.config["ENT_IDP"]

    def add_cas_app(self, name: str, service_urls: list[str], attributes: str = "default") -> dict:
        """Registers a CAS app as an administrator does (`ent-idp cas add … --json`)."""
        command = [ENT_IDP, "--config", str(self.config), "cas", "add", "--name", name, "--attributes", attributes,
                   "--json"]
        for url in service_urls:
            command += ["--service", url]
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=self.config.parent)
        assert done.returncode == 0, f"{' '.join(command)}:\n{done.stdout}\n{done.stderr}"
        return json.loads(done.stdout)


def _serve_in_thread(app: object, port: int) -> tuple[BaseWSGIServer, threading.Thread]:
    server = make_server("127.0.0.1", port, closing_bodies(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, thread


def _live(slapd: PrivateSlapd, folder: Path, *, demo: bool) -> Iterator[CasProvider]:
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    config = settings_file(slapd, folder, f'issuer = "{issuer}"\nsecret_key = "{"c" * 40}"\n')
    app = create_app(load_settings(config, environ={}).with_changes(demo=demo))
    server, thread = _serve_in_thread(app, port)
    yield CasProvider(issuer, app, config)
    server.shutdown()
    thread.join()


@pytest.fixture(scope="session")
def cas_provider(slapd: PrivateSlapd, tmp_path_factory: pytest.TempPathFactory) -> Iterator[CasProvider]:
    """A provider as in production (demo off): proxy callbacks only over https."""
    yield from _live(slapd, tmp_path_factory.mktemp("cas-provider"), demo=False)


@pytest.fixture(scope="session")
def live_demo_cas(slapd: PrivateSlapd, tmp_path_factory: pytest.TempPathFactory) -> Iterator[CasProvider]:
    """A demo provider: proxy callbacks over http on this machine are accepted."""
    yield from _live(slapd, tmp_path_factory.mktemp("cas-demo-provider"), demo=True)


@pytest.fixture(scope="session")
def cas_teacher(directory: Directory) -> str:
    """An active teacher of two colleges, with PASSWORD."""
    created = Provisioner(directory, 90).add(NewAccount("Camille", "Enseignante", Profile.TEACHER,
                                                        ("0770001H", "0770942F"), "camille@example.fr"))
    directory.set_password(created.login, PASSWORD)
    directory.activate(created.login)
    return created.login


def _started(client: ApacheCas | PhpCas, provider: CasProvider, name: str) -> Iterator[ApacheCas | PhpCas]:
    try:
        client.start()
        provider.add_cas_app(name, client.service_urls)
        yield client
    except BaseException:
        print(client.log_text())
        raise
    finally:
        client.cleanup()


@pytest.fixture(scope="session")
def apache_p3(cas_provider: CasProvider) -> Iterator[ApacheCas]:
    """mod_auth_cas validating at /cas/p3/serviceValidate (CAS 3.0 attributes)."""
    yield from _started(ApacheCas(cas_provider.issuer, "p3/serviceValidate"), cas_provider,
                        "Apache mod_auth_cas (CAS 3.0)")  # type: ignore[misc]


@pytest.fixture(scope="session")
def apache_saml(cas_provider: CasProvider) -> Iterator[ApacheCas]:
    """mod_auth_cas validating at /cas/samlValidate (`CASValidateSAML On`: SAML 1.1 attributes)."""
    yield from _started(ApacheCas(cas_provider.issuer, "samlValidate"), cas_provider,
                        "Apache mod_auth_cas (SAML 1.1)")  # type: ignore[misc]


@pytest.fixture(scope="session")
def phpcas(cas_provider: CasProvider) -> Iterator[PhpCas]:
    yield from _started(PhpCas(cas_provider.issuer), cas_provider, "phpCAS")  # type: ignore[misc]


@pytest.fixture(scope="session")
def oidc_college(cas_provider: CasProvider) -> Iterator[str]:
    """The demo's OIDC college app, registered in the provider; its base URL."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    with cas_provider.app.app_context():  # type: ignore[attr-defined]
        registered = clients.register(services().store, name="Collège Les Tilleuls — Vie scolaire",
                                      redirect_uris=[base_url + "/callback"],
                                      post_logout_redirect_uris=[base_url + "/"])
    app = create_demo_college(issuer=cas_provider.issuer, client_id=registered.client.client_id,
                              client_secret=registered.client_secret or "", base_url=base_url, secret_key="e" * 40)
    server, thread = _serve_in_thread(app, port)
    yield base_url
    server.shutdown()
    thread.join()


@pytest.fixture(scope="module")
def chromium(cas_provider: CasProvider) -> Iterator[Browser]:
    """Chromium for one module, stopped after it: pytest-playwright's session-wide browser would
    keep an event loop running that the Sync API of later tests (conformance reports) refuses."""
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--disable-gpu", "--disable-quic"])
        yield browser
        browser.close()
    finally:
        playwright.stop()


def sign_in(page: Page, login: str, password: str = PASSWORD) -> None:
    """The ENT's login page, filled in as a person does."""
    page.get_by_label("Identifiant").fill(login)
    page.get_by_label("Mot de passe", exact=True).fill(password)
    page.get_by_role("button", name="Connexion").click()


def on_login_page(page: Page, issuer: str) -> bool:
    return page.url.startswith(issuer) and page.get_by_label("Identifiant").count() == 1


def shown_json(page: Page) -> dict:
    """What the CAS client's page says the app received (its JSON body)."""
    return json.loads(page.locator("body").inner_text())


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
