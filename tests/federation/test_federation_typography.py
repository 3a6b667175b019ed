"""French typography of the pages of signing in with ÉduConnect or FranceConnect (as
tests/flows/test_typography.py checks the others'): the login page with both buttons, the
choice of an account, the unknown identity, the federated activation, the link confirmation,
the failures, the signed-out page."""
from __future__ import annotations

import requests

from idp.directory import Directory, Profile
from tests.federation.federated import (
    Federation,
    person,
    ref_id,
    sign_in_at_educonnect,
    sign_in_at_franceconnect,
)
from tests.flows.conftest import csrf_token
from tests.typography import html_faults


def test_the_federation_pages_follow_french_typography(federation: Federation, directory: Directory) -> None:
    pages: dict[str, str] = {}
    browser = requests.Session()
    browser.headers["Accept-Language"] = "fr-FR,fr;q=0.9"
    pages["connexion"] = browser.get(federation.issuer + "/connexion").text
    parent, parent_key = person(directory)
    teacher, teacher_key = person(directory, Profile.TEACHER)
    federation.add_identity("typo-two", ref_id(parent_key), ref_id(teacher_key))
    pages["choix"] = sign_in_at_educonnect(browser, federation, "typo-two").text
    pages["choix refusé"] = browser.post(federation.issuer + "/connexion/federee",
                                         data={"csrf_token": csrf_token(pages["choix"])}).text
    federation.add_identity("typo-unknown", ref_id("0000001"))
    pages["inconnue"] = sign_in_at_educonnect(requests.Session(), federation, "typo-unknown").text
    pending, pending_key = person(directory, active=False)
    federation.add_identity("typo-pending", ref_id(pending_key))
    activating = requests.Session()
    pages["activation"] = sign_in_at_educonnect(activating, federation, "typo-pending").text
    pages["activation refusée"] = activating.post(federation.issuer + "/connexion/federee/activation",
                                                  data={"csrf_token": csrf_token(pages["activation"]),
                                                        "email": "pas-une-adresse", "mobile": "12"}).text
    federation.add_franceconnect_identity("typo-fc", "Jeanne", "TYPO", "1990-01-01")
    linking = requests.Session()
    pages["confirmation"] = sign_in_at_franceconnect(linking, federation, "typo-fc").text
    pages["confirmation refusée"] = linking.post(federation.issuer + "/connexion/federee/confirmation",
                                                 data={"csrf_token": csrf_token(pages["confirmation"]),
                                                       "login": parent, "password": "faux"}).text
    pages["échec"] = requests.get(federation.issuer + "/franceconnect/retour?code=x&state=y").text
    home = browser.post(federation.issuer + "/connexion/federee",
                        data={"csrf_token": csrf_token(pages["choix"]), "account": teacher})
    pages["accueil"] = home.text
    pages["déconnexion"] = browser.post(federation.issuer + "/logout", data={"csrf_token": csrf_token(home.text)}).text
    assert "ÉduConnect" in pages["déconnexion"]
    found = {name: problems for name, html in pages.items() if (problems := html_faults(html))}
    assert not found, "\n".join(f"{name}: {problem}" for name, problems in found.items() for problem in problems)
