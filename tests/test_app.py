"""The application factory and what every page shares."""
from __future__ import annotations

import html
from pathlib import Path

import pytest

from idp.app import create_app
from idp.config import Settings, SettingsError, load_settings
from tests.conftest import directory_of, settings_file, start_slapd


def test_portal_page_is_french_with_security_headers(settings: Settings) -> None:
    response = create_app(settings).test_client().get("/")
    assert response.status_code == 200
    assert '<html lang="fr">' in response.text and "Espace Numérique de Travail" in response.text
    policy = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy and "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_every_page_links_to_the_accessibility_statement(settings: Settings) -> None:
    """The RGAA's model: the compliance status in the footer, and a statement that says what was
    tested, what is not accessible, how to report a problem and the remedies."""
    client = create_app(settings).test_client()
    for path in ("/", "/connexion", "/aide"):
        assert '<a href="/accessibilite">Accessibilité : partiellement conforme</a>' in client.get(path).text
    page = html.unescape(client.get("/accessibilite").text)
    for words in ("Déclaration d’accessibilité", "partiellement conforme", "Résultats des tests",
                  "Contenus non accessibles", "Retour d’information et contact", "Défenseur des droits",
                  'href="/aide"'):
        assert words in page, words
    english = client.get("/accessibilite?lang=en").text
    assert "Accessibility statement" in english and '<p lang="fr">' in english


def test_stylesheet_is_served_locally(settings: Settings) -> None:
    with create_app(settings).test_client().get("/static/ent.css") as response:
        assert response.status_code == 200 and "var(--couleur)" in response.text
        assert "Marianne" not in response.text and "#000091" not in response.text  # the State's identity


def test_the_ents_colour_is_set_in_one_place(settings: Settings) -> None:
    client = create_app(settings.with_changes(theme_colour="#6a1b5f")).test_client()
    assert '<link rel="stylesheet" href="/theme.css">' in client.get("/").text
    theme = client.get("/theme.css")
    assert theme.mimetype == "text/css" and "--couleur: #6a1b5f;" in theme.text


@pytest.mark.parametrize(("colour", "problem"), [("bleu", "couleur #rrvvbb attendue"),
                                                 ("#ffcc00", "pas assez contrastée sur fond blanc")])
def test_an_unreadable_or_malformed_colour_is_refused(colour: str, problem: str) -> None:
    with pytest.raises(SettingsError, match=problem):
        load_settings(environ={"ENT_IDP_THEME_COLOUR": colour})


def test_unknown_page_is_a_french_404(settings: Settings) -> None:
    response = create_app(settings).test_client().get("/nulle-part")
    assert response.status_code == 404 and "Page introuvable" in response.text


def test_health_follows_the_directory(tmp_path: Path) -> None:
    slapd = start_slapd(tmp_path / "ldap")
    client = create_app(load_settings(settings_file(slapd, tmp_path), environ={})).test_client()
    try:
        assert client.get("/healthz").json == {"status": "ok", "directory": "up"}
    finally:
        slapd.stop()
    response = client.get("/healthz")
    assert response.status_code == 503 and response.json["directory"] == "down"


def test_directory_down_shows_the_unavailable_page(tmp_path: Path) -> None:
    slapd = start_slapd(tmp_path / "ldap")
    app = create_app(load_settings(settings_file(slapd, tmp_path), environ={}))

    @app.get("/needs-directory")
    def needs_directory() -> str:
        return directory_of(slapd).get("daniele.adams").login

    slapd.stop()
    response = app.test_client().get("/needs-directory")
    assert response.status_code == 503 and response.headers["Retry-After"] == "30"
    assert "Service momentanément indisponible" in response.text and "Traceback" not in response.text


def test_weak_secret_key_stops_the_app_outside_demo(settings: Settings) -> None:
    with pytest.raises(SettingsError, match="secret_key"):
        create_app(settings.with_changes(demo=False, secret_key="short"))


@pytest.mark.parametrize("method, path, data", [
    ("GET", "/authorize?client_id=x&nonce=a%00b", None),
    ("GET", "/connexion?login_hint=a%00b", None),
    ("POST", "/authorize", {"client_id": "x", "nonce": "a\x00b"}),
])
def test_a_nul_character_gets_a_french_error_page(settings: Settings, method: str, path: str,
                                                  data: dict | None) -> None:
    response = create_app(settings).test_client().open(path, method=method, data=data)
    assert response.status_code == 400 and "Demande incorrecte" in response.text


@pytest.mark.parametrize("path", ["/token", "/revoke", "/userinfo"])
def test_a_nul_character_gets_an_oauth_error_from_the_json_endpoints(settings: Settings, path: str) -> None:
    response = create_app(settings).test_client().post(path, data={"code": "a\x00b", "token": "a\x00b"})
    assert response.status_code == 400 and response.json["error"] == "invalid_request"


def test_a_huge_body_gets_a_french_413_and_nothing_is_read(settings: Settings) -> None:
    """SECURITY.md 37: a 50 MB password once took slapd 50 s; bodies stop at 64 KiB."""
    client = create_app(settings).test_client()
    huge = {"login": "daniele.adams", "password": "x" * 1_000_000}
    page = client.post("/connexion", data=huge)
    assert page.status_code == 413 and "Demande trop volumineuse" in page.text and "64 Ko" in page.text
    token = client.post("/token", data={"grant_type": "authorization_code", "code": "x" * 1_000_000})
    assert token.status_code == 413 and token.json["error"] == "invalid_request"


def test_a_field_longer_than_any_form_takes_is_refused(settings: Settings) -> None:
    client = create_app(settings).test_client()
    page = client.get("/connexion", query_string={"login_hint": "x" * 20_000})
    assert page.status_code == 400 and "dépasse 10000 caractères" in page.text
    repeated = client.get("/connexion?login_hint=ok&login_hint=" + "y" * 20_000)  # the second value counts too
    assert repeated.status_code == 400


def test_a_password_over_1024_characters_is_refused_before_slapd(settings: Settings) -> None:
    from tests.flows.conftest import sign_in
    client = create_app(settings).test_client()
    page = sign_in(client, "daniele.adams", "x" * 1025)
    assert page.status_code == 400 and "Le mot de passe compte 1\u202f024 caractères au plus." in page.text
    assert "Identifiant ou mot de passe incorrect" not in page.text
