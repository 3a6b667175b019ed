"""Single logout with ÉduConnect, both ways: the ENT's « Se déconnecter » ends the ÉduConnect
session too, and ÉduConnect's own logout ends the ENT session."""
from __future__ import annotations

import requests

from idp.directory import Directory
from tests.federation.federated import Federation, person, ref_id, sign_in_at_educonnect, signed_in_login
from tests.flows.conftest import csrf_token


def signed_in(federation: Federation, directory: Directory, username: str) -> tuple[requests.Session, str]:
    login, key = person(directory)
    federation.add_identity(username, ref_id(key))
    browser = requests.Session()
    sign_in_at_educonnect(browser, federation, username)
    assert signed_in_login(browser, federation) == login
    return browser, login


def test_se_deconnecter_ends_the_educonnect_session_too(federation: Federation, directory: Directory) -> None:
    browser, _ = signed_in(federation, directory, "logout-ent")
    home = browser.get(federation.issuer + "/accueil")
    signed_out = browser.post(federation.issuer + "/logout", data={"csrf_token": csrf_token(home.text)})
    # The ENT → ÉduConnect's logout service (a signed LogoutRequest) → back to the ENT's signed-out page.
    visited = [response.url.split("?")[0] for response in signed_out.history]
    assert visited[1] == federation.educonnect_url + "/idp/slo", visited
    assert signed_out.url.split("?")[0] == federation.issuer + "/saml/slo" or "Déconnexion réussie" in signed_out.text
    assert "Déconnexion réussie" in signed_out.text and "ÉduConnect" in signed_out.text
    assert signed_in_login(browser, federation) is None
    # ÉduConnect forgot the person too: its own logout has nobody to sign out.
    assert "pas connecté" in browser.get(federation.educonnect_url + "/idp/deconnexion").text


def test_logging_out_of_educonnect_ends_the_ent_session(federation: Federation, directory: Directory) -> None:
    browser, _ = signed_in(federation, directory, "logout-idp")
    other, _ = signed_in(federation, directory, "logout-other")
    done = browser.get(federation.educonnect_url + "/idp/deconnexion")
    visited = [response.url.split("?")[0] for response in done.history]
    assert federation.issuer + "/saml/slo" in visited, visited
    assert done.status_code == 200 and "Vous êtes déconnecté d’ÉduConnect et du service." in done.text
    assert signed_in_login(browser, federation) is None
    assert signed_in_login(other, federation) is not None  # someone else's session stays


def test_an_unsigned_logout_request_is_refused(federation: Federation, directory: Directory) -> None:
    browser, login = signed_in(federation, directory, "logout-forged")
    done = browser.get(federation.educonnect_url + "/idp/deconnexion", allow_redirects=False)
    location = done.headers["Location"]
    unsigned = location.split("&SigAlg=")[0]
    refused = requests.get(unsigned)
    assert refused.status_code == 400 and "n’a pas pu être vérifiée" in refused.text
    assert signed_in_login(browser, federation) == login
