"""French typography on every page a person can reach, in French, and on the pages that answer a
refused form: no plain space before « : ; ? ! » or inside « », no straight apostrophe."""
from __future__ import annotations

import re
from collections import deque
from urllib.parse import urljoin, urlsplit

from flask import Flask
from flask.testing import FlaskClient

from idp.directory import Directory
from tests.flows.conftest import PASSWORD, csrf_token, new_active, new_pending, sign_in
from tests.flows.test_helpdesk import new_staff, staff_browser
from tests.typography import html_faults

LINK = re.compile(r'href="([^"#]+)')
NOT_PAGES = ("/static/", "/portail-static/", "/theme.css", "/compte/mes-donnees")
"""Links that lead to files, not pages."""
LEAVING = ("/logout", "/deconnexion")
"""Links that would end the session the crawl goes on with (the language links, « EN », are not
followed either: they change the session's language)."""


def _french(client: FlaskClient) -> FlaskClient:
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr-FR,fr;q=0.9"
    return client


def crawled(client: FlaskClient, *starts: str, limit: int = 80) -> dict[str, str]:
    """The HTML of every page reachable by links from `starts`, by path."""
    pages: dict[str, str] = {}
    queue = deque(starts)
    while queue and len(pages) < limit:
        path = queue.popleft()
        if path in pages:
            continue
        answer = client.get(path, follow_redirects=True)
        if not answer.content_type.startswith("text/html"):
            continue
        pages[path] = answer.text
        for link in LINK.findall(answer.text):
            target = urlsplit(urljoin("http://localhost" + path, link.replace("&amp;", "&")))
            if target.netloc == "localhost" and not target.path.startswith(NOT_PAGES + LEAVING) \
                    and "lang=" not in target.query:
                queue.append(target.path + (f"?{target.query}" if target.query else ""))
    return pages


def assert_typography(pages: dict[str, str]) -> None:
    assert all('<html lang="fr"' in html for html in pages.values())
    found = {path: problems for path, html in pages.items() if (problems := html_faults(html))}
    assert not found, "\n".join(f"{path}: {problem}" for path, problems in found.items() for problem in problems)


def refused(client: FlaskClient, path: str, **fields: str) -> str:
    """The page that answers the form of `path` sent with `fields` only."""
    return client.post(path, data={"csrf_token": csrf_token(client.get(path).text), **fields},
                       follow_redirects=True).text


def test_pages_of_a_visitor(app: Flask) -> None:
    client = _french(app.test_client())
    pages = crawled(client, "/", "/connexion", "/aide", "/mot-de-passe-oublie", "/identifiant-oublie",
                    "/guides/parents", "/guides/professeurs", "/accessibilite", "/charte", "/page-inconnue",
                    "/authorize", "/login?service=https://inconnu.example/", "/logout")
    assert len(pages) >= 12
    pages["connexion refusée"] = refused(client, "/connexion", login="personne.inconnue", password="faux")
    pages["connexion vide"] = refused(client, "/connexion")
    pages["aide vide"] = refused(client, "/aide")
    pages["aide incorrecte"] = refused(client, "/aide", email="pas-une-adresse", school="123", phone="12")
    pages["mot de passe oublié vide"] = refused(client, "/mot-de-passe-oublie")
    pages["identifiant oublié incorrect"] = refused(client, "/identifiant-oublie", email="pas une adresse")
    pages["formulaire expiré"] = client.post("/connexion", data={"login": "a.b"}).text
    assert_typography(pages)


def test_pages_of_a_first_sign_in(app: Flask, directory: Directory, unique_surname: str) -> None:
    client = _french(app.test_client())
    pending = new_pending(directory, unique_surname)
    sign_in(client, pending.login, pending.activation_code)
    pages = {"activation": client.get("/activation").text,
             "activation refusée": refused(client, "/activation", password="court", confirmation="autre",
                                           email="pas-une-adresse", mobile="12")}
    assert "Activation de votre compte" in pages["activation"]
    assert_typography(pages)


def test_pages_of_a_signed_in_parent(app: Flask, directory: Directory, unique_surname: str) -> None:
    client = _french(app.test_client())
    login = new_active(directory, unique_surname, mobile="+33612345678")
    assert sign_in(client, login, PASSWORD).status_code == 302
    pages = crawled(client, "/accueil", "/compte", "/applications")
    assert any(path.startswith("/compte/") for path in pages)
    pages["mot de passe refusé"] = refused(client, "/compte/mot-de-passe", current="faux", password="court",
                                           confirmation="autre")
    pages["courriel refusé"] = refused(client, "/compte/courriel", email="pas-une-adresse", current="faux")
    pages["mobile refusé"] = refused(client, "/compte/mobile", mobile="12", current="faux")
    pages["déconnexion"] = client.get("/logout").text
    assert_typography(pages)


def test_pages_of_the_help_desk(app: Flask, directory: Directory, unique_surname: str) -> None:
    parent = _french(app.test_client())
    assert "demande" in refused(parent, "/aide", parent_name="Danièle Adams", email="d@example.fr",
                                login=new_active(directory, unique_surname), child_name="Léo Adams",
                                school="0770001H", problem="activation", message="Le code est refusé.")
    staff = _french(staff_browser(app, new_staff(directory, unique_surname + "s")))
    pages = crawled(staff, "/assistance")
    assert any(path.startswith("/assistance/") for path in pages)
    assert_typography(pages)
