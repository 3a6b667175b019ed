"""Languages of the pages (idp.i18n): French by default and unchanged, English on demand."""
from __future__ import annotations

import io
import re
from pathlib import Path
from urllib.parse import urlencode

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient

from idp import clients
from idp.app import create_app
from idp.config import Settings
from idp.directory import Directory, NewAccount, Profile
from idp.i18n import COOKIE
from idp.passwords import RULES_TEXT, password_problems
from idp.provisioning.service import Provisioner
from idp.services import services

ROOT = Path(__file__).resolve().parents[1]
CATALOG = ROOT / "idp" / "translations" / "en" / "LC_MESSAGES"
FRENCH_LOGIN = ('<label for="login">Identifiant', '<label for="password">Mot de passe</label>',
                '<label for="remember">Se souvenir de moi</label>', "<h1>Connexion</h1>",
                '<button type="submit" class="bouton large">Connexion</button>',
                "Ne cochez pas « Se souvenir de moi » sur un ordinateur partagé", "Sous la forme prénom.nom",
                'data-afficher="Afficher le mot de passe"', ">Afficher</button>")
ENGLISH_LOGIN = ('<label for="login">Username', '<label for="password">Password</label>',
                 '<label for="remember">Remember me</label>', "<h1>Sign in</h1>",
                 '<button type="submit" class="bouton large">Sign in</button>', 'data-afficher="Show password"',
                 "The first time, type your letter's activation code here.")


@pytest.fixture
def app(settings: Settings) -> Flask:
    return create_app(settings.with_changes(terms_version="2026-09"))


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def language_cookie(response) -> str | None:  # type: ignore[no-untyped-def]
    return next((header for header in response.headers.getlist("Set-Cookie") if header.startswith(f"{COOKIE}=")),
                None)


def csrf_token(page: str) -> str:
    tag = re.search(r'<input[^>]*name="csrf_token"[^>]*>', page).group(0)
    return re.search(r'value="([^"]+)"', tag).group(1)


def test_pages_are_french_by_default(client: FlaskClient) -> None:
    response = client.get("/connexion")
    assert '<html lang="fr">' in response.text
    for text in FRENCH_LOGIN:
        assert text in response.text, text
    assert "Username" not in response.text and "Sign in" not in response.text
    assert language_cookie(response) is None
    assert "Accept-Language" in response.headers["Vary"]


@pytest.mark.parametrize("header", ["en", "en-GB,en;q=0.9", "en-US", "de-DE, en;q=0.5", "EN"])
def test_browser_asking_for_english_gets_english(client: FlaskClient, header: str) -> None:
    response = client.get("/connexion", headers={"Accept-Language": header})
    assert '<html lang="en">' in response.text
    for text in ENGLISH_LOGIN:
        assert text in response.text, text
    assert "Identifiant" not in response.text
    assert language_cookie(response) is None  # the browser's wish is not stored


@pytest.mark.parametrize("header", ["fr-FR,fr;q=0.9,en;q=0.8", "de", "es, it;q=0.5", "*", ""])
def test_other_browser_languages_get_french(client: FlaskClient, header: str) -> None:
    response = client.get("/connexion", headers={"Accept-Language": header})
    assert '<html lang="fr">' in response.text and '<label for="login">Identifiant' in response.text


def test_lang_parameter_is_remembered_in_a_cookie(client: FlaskClient) -> None:
    response = client.get("/connexion?lang=en", headers={"Accept-Language": "fr"})
    assert '<label for="login">Username' in response.text
    cookie = language_cookie(response)
    assert cookie.startswith(f"{COOKIE}=en;")
    assert "Max-Age=31536000" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    for page in ("/connexion", "/", "/aide", "/charte"):  # later pages, a French browser: the choice wins
        later = client.get(page, headers={"Accept-Language": "fr"})
        assert '<html lang="en">' in later.text, page
    assert "<h1>Sign-in help for parents</h1>" in client.get("/aide").text
    back = client.get("/connexion?lang=fr", headers={"Accept-Language": "en"})
    assert '<html lang="fr">' in back.text and '<label for="login">Identifiant' in back.text
    assert language_cookie(back).startswith(f"{COOKIE}=fr;")
    assert '<html lang="fr">' in client.get("/", headers={"Accept-Language": "en"}).text


def test_unknown_lang_parameter_changes_nothing(client: FlaskClient) -> None:
    response = client.get("/connexion?lang=de")
    assert '<html lang="fr">' in response.text and language_cookie(response) is None


def test_language_switch_is_in_the_header_and_accessible(client: FlaskClient) -> None:
    """The visible code is in each link's name (WCAG 2.5.3, axe label-content-name-mismatch)."""
    page = client.get("/aide").text
    switch = re.search(r'<nav class="langues" aria-label="Langue">(.*?)</nav>', page, re.S).group(1)
    assert '<a href="?lang=fr" lang="fr" hreflang="fr" aria-label="FR – Français" aria-current="true">FR</a>' in switch
    assert '<a href="?lang=en" lang="en" hreflang="en" aria-label="EN – English">EN</a>' in switch
    english = client.get("/aide?lang=en").text
    switch = re.search(r'<nav class="langues" aria-label="Language">(.*?)</nav>', english, re.S).group(1)
    assert '<a href="?lang=fr" lang="fr" hreflang="fr" aria-label="FR – Français">FR</a>' in switch
    assert '<a href="?lang=en" lang="en" hreflang="en" aria-label="EN – English" aria-current="true">EN</a>' in switch
    assert switch.count("aria-current") == 1


def test_language_switch_keeps_the_sign_in_in_progress(client: FlaskClient) -> None:
    page = client.get("/connexion?interaction=abc&login_hint=daniele.adams&id_token_hint=the-token"
                      "&post_logout_redirect_uri=https://attacker.example.org/").text
    assert 'href="?lang=en&amp;interaction=abc&amp;login_hint=daniele.adams"' in page
    assert "the-token" not in page and "attacker" not in page  # nothing else of the query is copied
    failed = client.post("/connexion", data={"csrf_token": csrf_token(page), "interaction": "abc",
                                             "login": "nobody.at-all", "password": "Wrong-password-1"})
    assert failed.status_code == 400 and 'href="?lang=en&amp;interaction=abc"' in failed.text


def test_ui_locales_of_an_authorization_request_is_honoured(app: Flask, client: FlaskClient) -> None:
    redirect_uri = "http://127.0.0.1:9/callback"
    with app.app_context():
        client_id = clients.register(services().store, name="Vie scolaire", redirect_uris=[redirect_uri],
                                     public=True).client.client_id
    query = {"client_id": client_id, "response_type": "code", "scope": "openid", "redirect_uri": redirect_uri,
             "state": "s", "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
             "code_challenge_method": "S256", "ui_locales": "de-DE en-GB fr"}
    response = client.get("/authorize?" + urlencode(query), headers={"Accept-Language": "fr"})
    assert response.status_code == 302 and "/connexion?interaction=" in response.headers["Location"]
    assert language_cookie(response).startswith(f"{COOKIE}=en;")
    page = client.get(response.headers["Location"], headers={"Accept-Language": "fr"}).text
    assert '<html lang="en">' in page and '<label for="login">Username' in page
    assert "The app “Vie scolaire” asks you to sign in to the ENT." in page


def test_ui_locales_on_any_page_and_unsupported_ones(client: FlaskClient) -> None:
    response = client.get("/connexion?ui_locales=en")
    assert '<label for="login">Username' in response.text and language_cookie(response).startswith(f"{COOKIE}=en;")
    assert '<label for="login">Username' in client.get("/connexion").text
    other = client.get("/connexion?ui_locales=se")  # unsupported: the stored choice stays
    assert '<label for="login">Username' in other.text and language_cookie(other) is None
    assert '<label for="login">Identifiant' in client.get("/connexion?ui_locales=en&lang=fr").text  # lang wins


def sign_in_pending(client: FlaskClient, directory: Directory, surname: str, lang: str | None = None) -> None:
    created = Provisioner(directory, 90).add(NewAccount("Danièle", surname, Profile.PARENT, ("0770001H",)))
    page = client.get("/connexion" + (f"?lang={lang}" if lang else "")).text
    response = client.post("/connexion", data={"csrf_token": csrf_token(page), "login": created.login,
                                               "password": created.activation_code})
    assert response.status_code == 302 and response.headers["Location"].endswith("/activation")


def test_french_login_and_activation_keep_their_labels(client: FlaskClient, directory: Directory,
                                                       unique_surname: str) -> None:
    assert client.get("/activation").status_code == 302
    sign_in_pending(client, directory, unique_surname)
    page = client.get("/activation").text
    for text in ('<html lang="fr">', "<h1>Activation de votre compte</h1>", "Bonjour Danièle " + unique_surname,
                 '<label for="password">Nouveau mot de passe</label>',
                 '<label for="confirmation">Confirmation du nouveau mot de passe</label>',
                 '<label for="email">Courriel</label>',
                 "Sauf mention contraire, tous les champs sont obligatoires.",
                 '<label for="mobile">Téléphone mobile (facultatif)</label>',
                 "<legend>(4) Charte d’utilisation</legend>",
                 '<label for="accept">J’accepte les conditions générales d’utilisation</label>',
                 "<li data-regle=\"longueur\">8 caractères au minimum</li>",
                 "SMS quand le service sera disponible", '<button type="submit" class="bouton large">Activer</button>'):
        assert text in page, text
    refused = client.post("/activation", data={"csrf_token": csrf_token(page), "password": "abc1234",
                                               "confirmation": "abc1234", "email": "x", "mobile": "12"})
    for text in ("Le mot de passe doit contenir au moins 8 caractères.", "Adresse de courriel invalide : « x »",
                 "Numéro de mobile invalide", "Vous devez accepter les conditions générales d’utilisation"):
        assert text in refused.text, text


def test_english_activation_page_and_its_messages(client: FlaskClient, directory: Directory,
                                                  unique_surname: str) -> None:
    sign_in_pending(client, directory, unique_surname, lang="en")
    page = client.get("/activation").text
    for text in ('<html lang="en">', "<h1>Activate your account</h1>", '<label for="password">New password</label>',
                 '<label for="accept">I accept the terms of use</label>',
                 '<li data-regle="longueur">at least 8 characters</li>',
                 '<button type="submit" class="bouton large">Activate</button>'):
        assert text in page, text
    refused = client.post("/activation", data={"csrf_token": csrf_token(page), "password": "abcdefgh",
                                               "confirmation": "abcdefgh", "email": "", "mobile": "12"})
    assert refused.status_code == 400
    for text in ("The password must contain at least one digit.", "Enter your personal email address",
                 "Invalid mobile number", "You must accept the terms of use"):
        assert text in refused.text, text


def test_english_login_refusal(client: FlaskClient) -> None:
    page = client.get("/connexion?lang=en").text
    response = client.post("/connexion", data={"csrf_token": csrf_token(page), "login": "", "password": ""})
    assert "Enter your username (firstname.lastname)." in response.text and "Enter your password." in response.text
    response = client.post("/connexion", data={"csrf_token": csrf_token(page), "login": "nobody.at-all",
                                               "password": "Wrong-password-1"})
    assert "Incorrect username or password." in response.text


def test_charter_keeps_its_french_text_in_english(client: FlaskClient) -> None:
    french = client.get("/charte").text
    assert "<h2>1. Objet</h2>" in french and "publiée en français" not in french and '<p lang="fr">' not in french
    english = client.get("/charte?lang=en").text
    assert "<h2>1. Purpose</h2>" in english and "only the French text below is binding" in english
    assert '<p lang="fr">L’Espace Numérique de Travail (ENT) donne aux élèves' in english


def test_guides_quote_the_french_guide(client: FlaskClient) -> None:
    french = client.get("/guides/parents").text
    assert "<h1>Guide parents — Activer son compte</h1>" in french and '<ol class="etapes" lang="fr">' not in french
    english = client.get("/guides/parents?lang=en").text
    assert "<h1>Parents&#39; guide — Activating your account</h1>" in english
    assert '<ol class="etapes" lang="fr">' in english and "« Se connecter »" in english


def test_error_pages_follow_the_language(client: FlaskClient) -> None:
    assert "Page introuvable" in client.get("/nulle-part").text
    assert "Page not found" in client.get("/nulle-part", headers={"Accept-Language": "en"}).text
    expired = client.post("/connexion?lang=en", data={"login": "a", "password": "b"})
    assert expired.status_code == 400 and "<h1>Form expired</h1>" in expired.text


def test_texts_outside_a_request_stay_french(app: Flask) -> None:
    french = ["Le mot de passe doit contenir au moins un chiffre."]
    assert password_problems("abcdefgh") == french
    with app.app_context():
        assert password_problems("abcdefgh") == french
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert password_problems("abcdefgh") == ["The password must contain at least one digit."]
    assert RULES_TEXT == "8 caractères au minimum, parmi lesquels au moins une lettre et au moins un chiffre"


def test_catalogue_is_complete_and_compiled() -> None:
    """Every marked text has an English translation, and messages.mo is messages.po compiled."""
    with (CATALOG / "messages.po").open("rb") as file:
        catalog = read_po(file)
    translated = {_hashable(message.id): _hashable(message.string) for message in catalog if message.id}
    assert all(translated.values()), [key for key, value in translated.items() if not value]
    assert not [message.id for message in catalog if message.id and message.fuzzy]
    with (CATALOG / "messages.mo").open("rb") as file:
        compiled = {_hashable(message.id): _hashable(message.string) for message in read_mo(file) if message.id}
    assert compiled == translated, "run: .venv/bin/pybabel compile -d idp/translations"
    with (ROOT / "babel.cfg").open(encoding="utf-8") as file:
        method_map, options_map = parse_mapping_cfg(io.StringIO(file.read()))
    keywords = {**DEFAULT_KEYWORDS, "_l": None}
    marked = {message[2] for message in extract_from_dir(str(ROOT), method_map, options_map, keywords=keywords)}
    missing = sorted((text for text in marked if text not in translated), key=str)
    assert not missing, f"texts without translation (extract, update, translate, compile: see babel.cfg): {missing}"


def _hashable(text: object) -> object:
    """A message's id or text: a tuple for the plural forms."""
    return tuple(text) if isinstance(text, (list, tuple)) else text
