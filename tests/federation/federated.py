"""What the tests of signing in with ÉduConnect share: the servers, a browser's steps, the people."""
from __future__ import annotations

import html
import itertools
import re
import threading
from dataclasses import dataclass

import requests
from flask import Flask
from werkzeug.serving import make_server

from idp.demo_educonnect import Behaviour, EduConnectIdentity
from idp.demo_franceconnect import FranceConnectIdentity, State
from idp.directory import Directory, NewAccount, Profile
from idp.http_server import closing_bodies
from idp.provisioning.service import Provisioner
from idp.services import EXTENSION as SERVICES
from idp.store import sso_sessions

ACADEMIE = "CRE"


@dataclass
class Federation:
    ent: Flask
    issuer: str
    educonnect_url: str
    behaviour: Behaviour
    identities: dict[str, EduConnectIdentity]
    franceconnect_url: str
    franceconnect: State

    def add_franceconnect_identity(self, username: str, given_name: str, family_name: str, birthdate: str,
                                   email: str = "") -> FranceConnectIdentity:
        identity = FranceConnectIdentity(username, "Fc-" + username, given_name, family_name, birthdate,
                                         email=email)
        self.franceconnect.people[username] = identity
        return identity

    def add_identity(self, username: str, *ref_ids: str, given_name: str = "Hélène", surname: str = "Martin",
                     mail: str | None = None) -> EduConnectIdentity:
        attributes = {"givenName": [given_name], "sn": [surname], "FrEduCtRefId": list(ref_ids)}
        if mail:
            attributes["mail"] = [mail]
        identity = EduConnectIdentity(username, "Educ-" + username, attributes)
        self.identities[username] = identity
        return identity


def serve(app: Flask, port: int) -> threading.Thread:
    server = make_server("127.0.0.1", port, closing_bodies(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    thread.server = server  # type: ignore[attr-defined]
    return thread


def auto_posted_form(page: str) -> tuple[str, dict[str, str]]:
    """The action and fields of the page's form that carries a SAML message (the HTTP-POST
    binding's, or the ENT's own page posting it again)."""
    form = next(found for found in re.findall(r"<form.*?</form>", page, re.S) if "SAMLResponse" in found)
    action = html.unescape(re.search(r'action="([^"]*)"', form).group(1))  # type: ignore[union-attr]
    fields = {html.unescape(name): html.unescape(value) for name, value in
              re.findall(r'<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form)}
    return action, fields


def sign_in_at_educonnect(browser: requests.Session, federation: Federation, username: str,
                          start: str = "/saml/connexion") -> requests.Response:
    """« Se connecter avec ÉduConnect » → ÉduConnect's sign-in page → its response posted to the ENT."""
    page = browser.get(federation.issuer + start)
    assert page.url.startswith(federation.educonnect_url), page.text
    identity = federation.identities[username]
    posted = browser.post(page.url.split("?")[0], data={"username": username, "password": identity.password})
    assert posted.status_code == 200, posted.text
    action, fields = auto_posted_form(posted.text)
    return browser.post(action, data=fields)


_keys = itertools.count(1)


def person(directory: Directory, profile: Profile = Profile.PARENT, *, active: bool = True,
           given_name: str = "Hélène", surname: str = "Martin", birth_date: str | None = None) -> tuple[str, str]:
    """An account with a join key of its own: (login, join key)."""
    key = f"{9_000_000 + next(_keys)}"
    created = Provisioner(directory, 90).add(NewAccount(given_name, surname, profile, ("0770001H",), join_key=key,
                                                        birth_date=birth_date))
    if active:
        directory.activate(created.login, password="Tilleul-2026-long", recovery_email="h@example.fr")
    return created.login, key


def ref_id(key: str, academie: str = ACADEMIE) -> str:
    return f"{{AAF}}{academie}|PARENT|{key}"


def signed_in_login(browser: requests.Session, federation: Federation) -> str | None:
    """Who the ENT says this browser is signed in as (its « Mon compte »), or None."""
    page = browser.get(federation.issuer + "/compte", allow_redirects=False)
    if page.status_code != 200:
        return None
    found = re.search(r"Identifiant\s*</dt>\s*<dd[^>]*>([^<]+)<", page.text)
    assert found, page.text
    return found.group(1).strip()


def session_amr(federation: Federation, login: str) -> list[list[str]]:
    store = federation.ent.extensions[SERVICES].store
    with federation.ent.app_context():
        return [row.amr for row in sso_sessions.open_sessions_of(store, login, 3600)]




def sign_in_at_franceconnect(browser: requests.Session, federation: Federation, username: str) -> requests.Response:
    """« S'identifier avec FranceConnect » → FranceConnect's sign-in page → back to the ENT."""
    page = browser.get(federation.issuer + "/franceconnect/connexion")
    assert page.url.startswith(federation.franceconnect_url), page.text
    person = federation.franceconnect.people[username]
    return browser.post(page.url, data={"username": username, "password": person.password})
