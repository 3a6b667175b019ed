"""The demo college app (idp.demo_college), a real relying party, against the live provider:
sign in, claims shown, sign out through the provider, errors as French pages."""
from __future__ import annotations

import threading
from collections.abc import Iterator
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
from werkzeug.serving import make_server

from idp.demo_college import REDIRECT_PATH, create_demo_college
from idp.directory.slapd import free_port
from tests.oidc.conftest import Browser, LiveProvider


@pytest.fixture(scope="module")
def college(live_provider: LiveProvider) -> Iterator[str]:
    """The demo college app, registered in the provider and served on its own port; its base URL."""
    base_url = f"http://127.0.0.1:{free_port()}"
    registered = live_provider.register(name="Collège Les Tilleuls — Vie scolaire",
                                        redirect_uris=[base_url + REDIRECT_PATH],
                                        post_logout_redirect_uris=[base_url + "/"])
    app = create_demo_college(issuer=live_provider.issuer, client_id=registered.client.client_id,
                              client_secret=registered.client_secret, base_url=base_url, secret_key="c" * 40)
    server = make_server("127.0.0.1", int(base_url.rsplit(":", 1)[1]), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield base_url
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def person(live_provider: LiveProvider) -> Iterator[Browser]:
    browser = Browser(live_provider.issuer)
    yield browser
    browser.http.close()


def follow(browser: Browser, response: requests.Response) -> requests.Response:
    """Follows a redirect that left the provider (to the college app), to its last page."""
    assert response.is_redirect, f"expected a redirect, got {response.status_code}: {response.text[:300]}"
    return browser.http.get(urljoin(response.url, response.headers["Location"]), timeout=30)


def test_signing_in_and_out_of_the_college_through_the_ent(college: str, live_provider: LiveProvider,
                                                           person: Browser, teacher: str) -> None:
    home = person.http.get(college + "/", timeout=30)
    assert home.status_code == 200 and "Application de démonstration d’un collège connecté à l’ENT" in home.text
    assert "Se connecter avec l’ENT" in home.text and 'action="/login"' in home.text

    login_page = person.open(college + "/login", "POST")
    assert login_page.status_code == 200 and login_page.url.startswith(live_provider.issuer + "/")
    back = person.sign_in(login_page, teacher)
    assert back.headers["Location"].startswith(college + REDIRECT_PATH + "?")
    params = parse_qs(urlsplit(back.headers["Location"]).query)
    assert params["iss"] == [live_provider.issuer] and "code" in params
    signed_in = follow(person, back)
    assert signed_in.status_code == 200 and signed_in.url == college + "/", signed_in.text[:500]
    assert "Bonjour" in signed_in.text and teacher in signed_in.text
    assert "<td>professeur</td>" in signed_in.text and "0770001H, 0770942F" in signed_in.text
    assert "thomas@example.fr" in signed_in.text and "Se déconnecter" in signed_in.text
    assert {name for name in person.http.cookies.keys() if name.startswith("demo_college_")} and \
        "ent_sso" in person.http.cookies.keys()

    leaving = person.http.post(college + "/logout", allow_redirects=False, timeout=30)
    end_session = urlsplit(leaving.headers["Location"])
    assert leaving.headers["Location"].startswith(live_provider.issuer + "/")
    query = {key: values[0] for key, values in parse_qs(end_session.query).items()}
    assert query["post_logout_redirect_uri"] == college + "/" and query["id_token_hint"].count(".") == 2
    assert query["client_id"] and query["state"]
    back_home = person.open(urljoin(leaving.url, leaving.headers["Location"]))
    assert back_home.headers["Location"] == f"{college}/?state={query['state']}"
    signed_out = follow(person, back_home)
    assert signed_out.status_code == 200 and "Bonjour" not in signed_out.text
    assert "La session est fermée" in signed_out.text and "Se connecter avec l’ENT" in signed_out.text

    again = person.open(college + "/login", "POST")
    assert again.status_code == 200 and again.url.startswith(live_provider.issuer + "/"), \
        "the ENT session should have ended with the college's"


def test_pkce_state_and_nonce_are_sent(college: str, live_provider: LiveProvider, person: Browser) -> None:
    started = person.http.post(college + "/login", allow_redirects=False, timeout=30)
    location = started.headers["Location"]
    assert location.startswith(live_provider.issuer + "/")
    query = {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}
    assert query["response_type"] == "code" and query["scope"] == "openid profile email"
    assert query["redirect_uri"] == college + REDIRECT_PATH and query["code_challenge_method"] == "S256"
    assert len(query["code_challenge"]) == 43 and query["state"] and query["nonce"]


@pytest.mark.parametrize(("query", "message"), [
    ("error=access_denied&state=s", "La connexion a été refusée"),
    ("error=login_required&state=s", "Aucune session n’est ouverte sur l’ENT"),
    ("error=server_error&error_description=Oups", "La connexion à l’ENT a échoué (server_error\u00a0: Oups)"),
    ("code=c&state=s&iss=http%3A%2F%2Fevil.example", "ne vient pas de l’ENT attendu"),
    ("code=c&state=unknown", "Cette demande de connexion a expiré"),
])
def test_a_failed_callback_is_a_french_page(college: str, live_provider: LiveProvider, person: Browser,
                                            query: str, message: str) -> None:
    query = query if "iss=" in query else f"{query}&iss={live_provider.issuer}"
    page = person.http.get(f"{college}{REDIRECT_PATH}?{query}", timeout=30)
    assert page.status_code == 400 and "Connexion impossible" in page.text
    assert message in page.text


def test_a_callback_without_iss_is_refused(college: str, person: Browser) -> None:
    """The provider announces authorization_response_iss_parameter_supported: iss is required."""
    page = person.http.get(f"{college}{REDIRECT_PATH}?code=c&state=s", timeout=30)
    assert page.status_code == 400 and "ne vient pas de l’ENT attendu" in page.text


def test_signing_out_when_not_signed_in_goes_home(college: str, person: Browser) -> None:
    response = person.http.post(college + "/logout", allow_redirects=False, timeout=30)
    assert response.status_code == 302 and urljoin(college, response.headers["Location"]) == college + "/"


def test_an_unreachable_provider_is_a_french_page() -> None:
    app = create_demo_college(issuer=f"http://127.0.0.1:{free_port()}", client_id="c", client_secret="s",
                              base_url="http://127.0.0.1:9", secret_key="c" * 40)
    response = app.test_client().post("/login")
    assert response.status_code == 502 and "L’ENT ne répond pas" in response.get_data(as_text=True)
