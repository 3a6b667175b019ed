"""A live provider (a real HTTP server in a thread) on the session's slapd, college
apps registered in it, and a scripted browser that signs in through the real pages."""
from __future__ import annotations

import html
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
from werkzeug.serving import make_server

from idp import clients
from idp.app import create_app
from idp.config import load_settings
from idp.directory import Directory
from idp.directory.slapd import PrivateSlapd, free_port
from idp.http_server import closing_bodies
from idp.provisioning.service import Provisioner
from idp.services import services
from tests.conftest import settings_file

PASSWORD = "Tilleul2026"


@dataclass
class LiveProvider:
    issuer: str
    app: object

    def register(self, **options: object) -> clients.Registered:
        with self.app.app_context():
            return clients.register(services().store, **options)


@dataclass(frozen=True)
class App:
    """A registered college app."""

    client_id: str
    client_secret: str | None
    redirect_uri: str
    post_logout_redirect_uri: str


@pytest.fixture(scope="session")
def live_provider(slapd: PrivateSlapd, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveProvider]:
    folder = tmp_path_factory.mktemp("provider")
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    settings = load_settings(settings_file(slapd, folder, f'issuer = "{issuer}"\nsecret_key = "{"k" * 40}"\n'
                                           "[oidc]\ncode_seconds = 600\n"), environ={})
    app = create_app(settings.with_changes(demo=False))
    server = make_server("127.0.0.1", port, closing_bodies(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield LiveProvider(issuer, app)
    server.shutdown()
    thread.join()


@pytest.fixture(scope="session")
def college_app(live_provider: LiveProvider) -> App:
    redirect_uri = "http://127.0.0.1:9/callback"
    registered = live_provider.register(name="Vie scolaire", redirect_uris=[redirect_uri],
                                        post_logout_redirect_uris=["http://127.0.0.1:9/signed-out"])
    return App(registered.client.client_id, registered.client_secret, redirect_uri, "http://127.0.0.1:9/signed-out")


@pytest.fixture(scope="session")
def teacher(directory: Directory) -> str:
    """An active teacher with a known password."""
    from idp.directory import NewAccount, Profile
    created = Provisioner(directory, 90).add(NewAccount("Thomas", "Professeur", Profile.TEACHER,
                                                        ("0770001H", "0770942F"), "thomas@example.fr"))
    directory.set_password(created.login, PASSWORD)
    directory.activate(created.login)
    return created.login


class Browser:
    """A person's browser, scripted: follows redirects on the provider, fills its forms,
    and stops at the college app's redirect URI (which is not served)."""

    def __init__(self, issuer: str) -> None:
        self.issuer = issuer
        self.http = requests.Session()

    def open(self, url: str, method: str = "GET", data: dict | None = None) -> requests.Response:
        """Follows redirects within the provider; returns the last response (a page of the
        provider, or a redirect leaving it)."""
        response = self.http.request(method, url, data=data, allow_redirects=False, timeout=30)
        while response.is_redirect:
            target = urljoin(response.url, response.headers["Location"])
            if not target.startswith(self.issuer):
                return response
            response = self.http.get(target, allow_redirects=False, timeout=30)
        return response

    def submit(self, page: requests.Response, fields: dict[str, str], button: tuple[str, str] | None = None
               ) -> requests.Response:
        """Submits the page's form (not the header's « Se déconnecter ») with its hidden fields
        (CSRF token…) and `fields`."""
        form = re.search(r'<form method="post" action="([^"]+)"(?![^>]*class="deconnexion")[^>]*>(.*?)</form>',
                         page.text, re.S)
        assert form, f"no form on {page.url}"
        data = {}
        for tag in re.findall(r"<input[^>]*>", form.group(2)):
            attributes = dict(re.findall(r'([\w-]+)="([^"]*)"', tag))
            if attributes.get("type") == "hidden":
                data[attributes["name"]] = html.unescape(attributes.get("value", ""))
        data.update(fields)
        if button:
            data[button[0]] = button[1]
        return self.open(urljoin(page.url, form.group(1).replace("&amp;", "&")), "POST", data)

    def sign_in(self, page: requests.Response, login: str, password: str = PASSWORD,
                remember: bool = False) -> requests.Response:
        fields = {"login": login, "password": password}
        if remember:
            fields["remember"] = "y"
        return self.submit(page, fields)

    def sign_out(self) -> requests.Response:
        """« Se déconnecter » on the ENT: the header's POST button, with its CSRF token."""
        home = self.open(self.issuer + "/")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', home.text)
        return self.open(self.issuer + "/logout", "POST", {"csrf_token": csrf.group(1) if csrf else ""})


def redirect_params(response: requests.Response) -> dict[str, str]:
    """The query of a redirect to the college app."""
    assert response.is_redirect, f"expected a redirect, got {response.status_code}: {response.text[:300]}"
    return {key: values[0] for key, values in parse_qs(urlsplit(response.headers["Location"]).query).items()}


@pytest.fixture
def browser(live_provider: LiveProvider) -> Browser:
    return Browser(live_provider.issuer)


