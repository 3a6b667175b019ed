"""Sign-in page and sessions (SECURITY.md 3, 7–9, 13–16)."""
from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from idp.directory import Directory
from idp.services import services
from idp.sessions import COOKIE
from idp.store import SsoSession
from tests.conftest import TEST_LOCKOUT
from tests.flows.conftest import PASSWORD, csrf_token, new_active, new_pending, sign_in


def session_cookie(response) -> str:  # type: ignore[no-untyped-def]
    return next(header for header in response.headers.getlist("Set-Cookie") if header.startswith(f"{COOKIE}="))


def test_login_fields_have_bound_labels_and_standard_autocomplete(client: FlaskClient) -> None:
    page = client.get("/connexion").text
    assert '<label for="login">Identifiant' in page and '<label for="password">Mot de passe</label>' in page
    assert re.search(r'<input[^>]*autocomplete="username"[^>]*id="login"', page)
    assert re.search(r'<input[^>]*autocomplete="current-password"[^>]*id="password"[^>]*type="password"', page)
    # unchecked (S1), and described by the shared-computer warning (S4)
    assert ('<input aria-describedby="remember-avertissement" id="remember" name="remember" type="checkbox" '
            'value="y">') in page and 'id="remember-avertissement"' in page
    assert '<a class="lien-evitement" href="#contenu">' in page
    assert 'aria-label="EN – English"' in page and 'aria-live="polite"' in page


def test_wrong_password_and_unknown_login_get_the_same_answer(client: FlaskClient, directory: Directory,
                                                              unique_surname: str) -> None:
    login = new_active(directory, unique_surname)
    wrong = sign_in(client, login, "Wrong-password-1")
    unknown = sign_in(client, "nobody.at-all", "Wrong-password-1")
    assert wrong.status_code == unknown.status_code == 400
    strip = lambda page: re.sub(r'value="[^"]*"', "", page)  # noqa: E731 - CSRF token and typed login differ
    assert strip(wrong.text) == strip(unknown.text)
    assert "Identifiant ou mot de passe incorrect." in wrong.text


def test_locked_account_is_told_when_to_retry(client: FlaskClient, directory: Directory, unique_surname: str) -> None:
    login = new_active(directory, unique_surname)
    for _ in range(TEST_LOCKOUT.max_failures):
        sign_in(client, login, "Wrong-password-1")
    page = sign_in(client, login, PASSWORD).text
    assert "temporairement verrouillé" in page and re.search(r"à partir de \d\d:\d\d", page)
    directory.unlock(login)


def test_post_without_csrf_token_is_refused(client: FlaskClient, directory: Directory, unique_surname: str) -> None:
    login = new_active(directory, unique_surname)
    response = client.post("/connexion", data={"login": login, "password": PASSWORD})
    assert response.status_code == 400 and "Formulaire expiré" in response.text
    assert COOKIE not in response.headers.get("Set-Cookie", "")
    # « Recommencer » goes back to the form, which shows the login typed, never the password.
    again = re.search(r'<a class="bouton" href="([^"]+)">Recommencer</a>', response.text).group(1)
    assert again == "/connexion" and PASSWORD not in response.text
    page = client.get(again).text
    assert f'value="{login}"' in page and PASSWORD not in page
    assert f'value="{login}"' not in client.get(again).text  # once


def test_an_expired_button_leads_home(client: FlaskClient) -> None:
    expired = client.post("/compte/appareils", data={"partout": "1"})
    assert expired.status_code == 400 and '<a class="bouton" href="/">Recommencer</a>' in expired.text


def test_session_cookie_dies_with_the_browser_unless_remembered(client: FlaskClient, directory: Directory,
                                                                unique_surname: str) -> None:
    login = new_active(directory, unique_surname)
    cookie = session_cookie(sign_in(client, login, PASSWORD))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    assert "Expires" not in cookie and "Max-Age" not in cookie
    remembered = session_cookie(sign_in(client, login, PASSWORD, remember=True))
    assert "Max-Age=2592000" in remembered and "Expires" in remembered


def test_session_id_is_random_and_renewed_at_each_sign_in(client: FlaskClient, directory: Directory,
                                                          unique_surname: str) -> None:
    login = new_active(directory, unique_surname)
    first = session_cookie(sign_in(client, login, PASSWORD)).split(";")[0].split("=", 1)[1]
    second = session_cookie(sign_in(client, login, PASSWORD)).split(";")[0].split("=", 1)[1]
    assert first != second and len(first) >= 43  # 256 random bits, URL-safe base64


def test_signing_out_ends_the_session_on_the_server(app: Flask, directory: Directory, unique_surname: str) -> None:
    login = new_active(directory, unique_surname)
    browser = app.test_client()
    value = session_cookie(sign_in(browser, login, PASSWORD)).split(";")[0].split("=", 1)[1]
    page = browser.get("/logout").text
    browser.post("/logout", data={"csrf_token": csrf_token(page)})
    thief = app.test_client()
    thief.set_cookie(COOKIE, value)  # the old cookie, replayed
    assert thief.get("/accueil").status_code == 302


def test_idle_and_absolute_timeouts_end_sessions(app: Flask, directory: Directory, unique_surname: str) -> None:
    login = new_active(directory, unique_surname)
    browser = app.test_client()
    sign_in(browser, login, PASSWORD)
    assert browser.get("/accueil").status_code == 200
    with app.app_context():
        db = services().store.session
        db.execute(update(SsoSession).where(SsoSession.login == login).values(last_seen_at=0))
        db.commit()
    assert browser.get("/accueil").status_code == 302  # idle too long
    sign_in(browser, login, PASSWORD, remember=True)
    with app.app_context():
        db = services().store.session
        db.execute(update(SsoSession).where(SsoSession.login == login).values(expires_at=1))
        db.commit()
    assert browser.get("/accueil").status_code == 302  # past its lifetime


def test_pending_account_with_its_code_goes_to_activation(client: FlaskClient, directory: Directory,
                                                          unique_surname: str) -> None:
    created = new_pending(directory, unique_surname)
    response = sign_in(client, created.login, created.activation_code.lower().replace("-", " "))
    assert response.status_code == 302 and response.headers["Location"].endswith("/activation")
    assert COOKIE not in response.headers.get("Set-Cookie", "")  # not signed in before activation


def test_https_issuer_gives_secure_host_prefixed_cookies_and_hsts(settings, directory: Directory,  # type: ignore[no-untyped-def]
                                                                  unique_surname: str) -> None:
    from idp.app import create_app
    login = new_active(directory, unique_surname)
    app = create_app(settings.with_changes(issuer="https://ent.example.fr", secret_key="s" * 40, demo=False))
    browser = app.test_client()
    browser.environ_base["wsgi.url_scheme"] = "https"
    page = browser.get("/connexion")
    assert page.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    token = csrf_token(page.text)
    response = browser.post("/connexion", data={"csrf_token": token, "login": login, "password": PASSWORD},
                            headers={"Referer": "https://localhost/connexion"})
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("__Host-ent_sso="))
    assert "Secure" in cookie and "Path=/" in cookie and "Domain" not in cookie


def test_many_sign_in_attempts_from_one_address_are_slowed(settings, directory: Directory) -> None:  # type: ignore[no-untyped-def]
    from idp.app import create_app
    app = create_app(settings.with_changes(rate_limits=True))
    browser = app.test_client()
    statuses = [sign_in(browser, "nobody.at-all", "Wrong-password-1").status_code for _ in range(31)]
    assert statuses[:30] == [400] * 30 and statuses[30] == 429
    page = sign_in(browser, "nobody.at-all", "Wrong-password-1")
    assert "Trop de tentatives" in page.text and "patientez" in page.text


def test_an_exempt_address_is_never_slowed(settings) -> None:  # type: ignore[no-untyped-def]
    from idp.app import create_app
    app = create_app(settings.with_changes(rate_limits=True, rate_limit_exempt="10.0.0.9, 127.0.0.1"))
    browser = app.test_client()
    assert {sign_in(browser, "nobody.at-all", "Wrong-password-1").status_code for _ in range(35)} == {400}


def test_a_refused_sign_in_has_an_error_summary_tied_to_the_fields(client: FlaskClient, directory: Directory,
                                                                   unique_surname: str) -> None:
    """GOV.UK's pattern: the title starts « Erreur : », a summary first on the page (it takes
    the focus: static/error-summary.js) links to the field, and the message describes both fields."""
    login = new_active(directory, unique_surname)
    token = csrf_token(client.get("/connexion").text)
    page = client.post("/connexion", data={"csrf_token": token, "login": login, "password": "PasLeBon2026"}).text
    assert "<title>Erreur : Connexion" in page
    summary = re.search(r'<div class="resume-erreurs" role="alert" tabindex="-1">(.*?)</div>', page, re.S).group(1)
    assert '<a href="#login">Identifiant ou mot de passe incorrect.' in summary
    for field in ("login", "password"):
        tag = re.search(rf'<input[^>]*id="{field}"[^>]*>', page).group(0)
        assert 'aria-invalid="true"' in tag and "probleme" in tag
    assert "<title>Connexion" in client.get("/connexion").text  # no error, no prefix
    assert "resume-erreurs" not in client.get("/connexion").text
