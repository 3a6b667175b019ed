"""A single-page app in Chromium: oidc-client-ts (tests/oidc/spa, installed by `./dev test` with
npm) served from its own origin, registered as a public client. It signs the person in on the
ENT's real login page (code flow with PKCE, the token request over CORS) and reads /userinfo
with the access token (CORS, with a preflight for the Authorization header); « Se déconnecter »
on the ENT signs the person out of it. A page of an origin that is no public client's cannot
read these endpoints."""
from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from idp.directory.slapd import free_port
from tests.cas.conftest import sign_in
from tests.oidc.conftest import LiveProvider

SPA = Path(__file__).parent / "spa"
LIBRARY = SPA / "node_modules" / "oidc-client-ts" / "dist" / "browser" / "oidc-client-ts.min.js"


class SpaFiles(SimpleHTTPRequestHandler):
    """The app's static files, and config.json: the authority and the client_id."""

    config: bytes = b"{}"

    def do_GET(self) -> None:  # noqa: N802  # http.server's name
        if self.path.split("?")[0] != "/config.json":
            super().do_GET()
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.config)))
        self.end_headers()
        self.wfile.write(self.config)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002  # http.server's name
        pass


@pytest.fixture
def serve_spa() -> Iterator[object]:
    """Starts a plain http.server with the app on a port of its own (an origin of its own):
    serve(config) gives its address."""
    if not LIBRARY.is_file():
        pytest.fail(f"{LIBRARY} is missing: `./dev test` installs it (npm ci --prefix tests/oidc/spa)")
    servers: list[ThreadingHTTPServer] = []

    def serve(config: dict[str, str], port: int) -> str:
        handler = type("Files", (SpaFiles,), {"config": json.dumps(config).encode()})
        server = ThreadingHTTPServer(("127.0.0.1", port), partial(handler, directory=str(SPA)))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{port}"

    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()


def test_a_single_page_app_signs_in_with_pkce_and_reads_userinfo(live_provider: LiveProvider, teacher: str,
                                                                 serve_spa, chromium: Browser) -> None:
    origin = _spa(live_provider, serve_spa)
    context = chromium.new_context(locale="fr-FR")
    page = context.new_page()
    calls: list[tuple[str, str]] = []
    page.on("request", lambda request: calls.append((request.method, request.url)))
    complaints: list[str] = []
    page.on("console", lambda message: complaints.append(f"{message.text} {message.location}")
            if message.type in ("warning", "error") else None)
    try:
        _sign_in_to_the_spa(page, origin, live_provider, teacher)
        shown = json.loads(page.locator("#profile").inner_text())
    finally:
        context.close()
    assert complaints == []  # oidc-client-ts found nothing amiss in the metadata or the tokens
    assert shown["sub"]
    assert shown["given_name"] == "Thomas"
    assert shown["family_name"] == "Professeur"
    assert ("POST", f"{live_provider.issuer}/token") in calls
    assert ("GET", f"{live_provider.issuer}/userinfo") in calls


def test_se_deconnecter_on_the_ent_signs_the_person_out_of_the_spa(live_provider: LiveProvider, teacher: str,
                                                                   serve_spa, chromium: Browser) -> None:
    """The ENT revokes the tokens of the session that ends: the app's next call is refused,
    and the app asks for a sign-in again (on a shared computer, the next pupil sees no one)."""
    origin = _spa(live_provider, serve_spa)
    context = chromium.new_context(locale="fr-FR")
    page = context.new_page()
    try:
        _sign_in_to_the_spa(page, origin, live_provider, teacher)
        page.goto(f"{origin}/index.html")
        page.get_by_text("Connecté").wait_for(timeout=15_000)  # still signed in on the app's own page
        page.goto(f"{live_provider.issuer}/accueil")
        page.get_by_role("button", name="Se déconnecter").first.click()
        page.get_by_text("Déconnexion réussie").first.wait_for()
        page.goto(f"{origin}/index.html")
        page.get_by_text("Vous avez été déconnecté de l'ENT : reconnectez-vous.").wait_for(timeout=15_000)
        assert page.get_by_role("button", name="Se connecter avec l'ENT").is_visible()
        assert page.locator("#profile").inner_text() == ""
        assert page.evaluate("() => Object.keys(sessionStorage).filter((key) => key.startsWith('oidc.user'))") == []
    finally:
        context.close()


def _spa(live_provider: LiveProvider, serve_spa) -> str:  # type: ignore[no-untyped-def]
    """The app served on an origin of its own, registered as a public client: its origin."""
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    client = live_provider.register(name="Agenda (navigateur)", redirect_uris=[f"{origin}/callback.html"],
                                    public=True).client
    assert serve_spa({"authority": live_provider.issuer, "client_id": client.client_id}, port) == origin
    return origin


def _sign_in_to_the_spa(page: Page, origin: str, live_provider: LiveProvider, login: str) -> None:
    page.goto(f"{origin}/index.html")
    page.get_by_role("button", name="Se connecter avec l'ENT").click()
    page.wait_for_url(f"{live_provider.issuer}/**")
    sign_in(page, login)
    page.wait_for_url(f"{origin}/index.html")
    page.get_by_text("Connecté").wait_for(timeout=15_000)


def test_a_page_of_another_origin_cannot_read_the_endpoints(live_provider: LiveProvider, serve_spa,
                                                            chromium: Browser) -> None:
    port = free_port()
    live_provider.register(name="Vie scolaire (serveur)", redirect_uris=[f"http://127.0.0.1:{port}/callback.html"])
    origin = serve_spa({"authority": live_provider.issuer, "client_id": "aucune"}, port)
    context = chromium.new_context(locale="fr-FR")
    page = context.new_page()
    try:
        page.goto(f"{origin}/index.html")
        outcomes = page.evaluate("""async (issuer) => {
            const attempt = (path, options) => fetch(issuer + path, options).then(() => "read", () => "blocked");
            return [
                await attempt("/userinfo", { headers: { Authorization: "Bearer x" } }),
                await attempt("/token", { method: "POST", body: new URLSearchParams({ grant_type: "x" }) }),
                await attempt("/revoke", { method: "POST", body: new URLSearchParams({ token: "x" }) }),
                await attempt("/.well-known/openid-configuration", {}),
            ];
        }""", live_provider.issuer)
    finally:
        context.close()
    assert outcomes == ["blocked", "blocked", "blocked", "read"]
