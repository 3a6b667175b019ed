"""« S'identifier avec FranceConnect » against an OpenID Connect provider built on Authlib's server,
answering as FranceConnect v2 does: linking on the first sign-in (pivot identity proposed,
confirmed with the password or the letter's activation code), then no confirmation (F2)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import requests

from idp.directory import AccountState, Directory, Profile
from idp.services import EXTENSION as SERVICES
from idp.store import federation as links
from tests.conftest import audit_events, has_event
from tests.federation.federated import Federation, person, sign_in_at_franceconnect, signed_in_login
from tests.flows.conftest import csrf_token

CODE = "ABCDEFGHJKLM"


def linked_login(federation: Federation, username: str) -> str | None:
    with federation.ent.app_context():
        return links.linked_login(federation.ent.extensions[SERVICES].store, "franceconnect",
                                  federation.franceconnect.sub(username))


def test_a_pending_parent_found_by_pivot_identity_confirms_with_the_letters_code(federation: Federation,
                                                                                 directory: Directory) -> None:
    login, _ = person(directory, active=False, given_name="Nathalie", surname="Leclerc-Dupont", birth_date="1984-03-12")
    directory.issue_activation_code(login, CODE, datetime.now(UTC) + timedelta(days=9))
    federation.add_franceconnect_identity("nathalie", "Nathalie Marie", "LECLERC-DUPONT", "1984-03-12",
                                          email="nathalie.leclerc@example.fr")
    browser = requests.Session()
    proposal = sign_in_at_franceconnect(browser, federation, "nathalie")
    assert proposal.url == federation.issuer + "/connexion/federee/confirmation", proposal.text
    assert "Nathalie Leclerc-Dupont" in proposal.text and f'value="{login}"' in proposal.text
    wrong = browser.post(proposal.url, data={"csrf_token": csrf_token(proposal.text), "login": login,
                                             "password": "WRONGCODE000"})
    assert wrong.status_code == 400 and "incorrect" in wrong.text and linked_login(federation, "nathalie") is None
    activation = browser.post(proposal.url, data={"csrf_token": csrf_token(proposal.text), "login": login,
                                                  "password": "abcd-efgh-jklm"})
    assert activation.url == federation.issuer + "/connexion/federee/activation", activation.text
    assert 'value="nathalie.leclerc@example.fr"' in activation.text
    done = browser.post(activation.url, data={"csrf_token": csrf_token(activation.text),
                                              "email": "nathalie.leclerc@example.fr", "accept": "y"})
    assert done.url == federation.issuer + "/accueil" and signed_in_login(browser, federation) == login
    assert directory.get(login).stored_state is AccountState.ACTIVE
    assert linked_login(federation, "nathalie") == login
    assert has_event(audit_events(federation.ent), event="federation.linked", login=login, provider="franceconnect")
    # The next time, from another browser: FranceConnect alone signs in.
    again = requests.Session()
    assert sign_in_at_franceconnect(again, federation, "nathalie").url == federation.issuer + "/accueil"
    assert signed_in_login(again, federation) == login


def test_without_a_match_the_person_names_their_account_with_its_password(federation: Federation,
                                                                          directory: Directory) -> None:
    login, _ = person(directory, given_name="Karim", surname="Benali")
    federation.add_franceconnect_identity("karim", "Karim", "BEN ALI", "1979-11-02")
    browser = requests.Session()
    page = sign_in_at_franceconnect(browser, federation, "karim")
    assert "indiquez votre compte" in page.text and 'value=""' not in page.text.split('name="login"')[0][-200:]
    done = browser.post(page.url, data={"csrf_token": csrf_token(page.text), "login": login,
                                        "password": "Tilleul-2026-long"})
    assert done.url == federation.issuer + "/accueil" and signed_in_login(browser, federation) == login
    assert linked_login(federation, "karim") == login


def test_a_pupils_account_is_not_linked_to_franceconnect(federation: Federation, directory: Directory) -> None:
    login, _ = person(directory, Profile.STUDENT, given_name="Lucas", surname="Moreau")
    federation.add_franceconnect_identity("lucas", "Lucas", "MOREAU", "2012-05-05")
    browser = requests.Session()
    page = sign_in_at_franceconnect(browser, federation, "lucas")
    refused = browser.post(page.url, data={"csrf_token": csrf_token(page.text), "login": login,
                                           "password": "Tilleul-2026-long"})
    assert refused.status_code == 400 and "ÉduConnect" in refused.text
    assert linked_login(federation, "lucas") is None and signed_in_login(browser, federation) is None


def test_se_deconnecter_ends_the_franceconnect_session_too(federation: Federation, directory: Directory) -> None:
    login, _ = person(directory, given_name="Sylvie", surname="Garnier")
    federation.add_franceconnect_identity("sylvie", "Sylvie", "GARNIER", "1975-01-20")
    browser = linked_with_password(federation, "sylvie", login)
    home = browser.get(federation.issuer + "/accueil")
    signed_out = browser.post(federation.issuer + "/logout", data={"csrf_token": csrf_token(home.text)})
    visited = [response.url.split("?")[0] for response in signed_out.history]
    assert federation.franceconnect_url + "/api/v2/session/end" in visited, visited
    assert "Déconnexion réussie" in signed_out.text and "FranceConnect" in signed_out.text
    assert signed_in_login(browser, federation) is None
    # FranceConnect asks for the password again.
    assert 'type="password"' in browser.get(federation.issuer + "/franceconnect/connexion").text


def test_franceconnect_cancelled_unavailable_or_forged_says_so(federation: Federation) -> None:
    browser = requests.Session()
    page = browser.get(federation.issuer + "/franceconnect/connexion")
    cancel = page.text.split('href="')[1].split('"')[0].replace("&amp;", "&")
    cancelled = browser.get(federation.franceconnect_url + cancel)
    assert cancelled.status_code == 400 and "La connexion avec FranceConnect a été annulée." in cancelled.text
    # FranceConnect stops answering between the person's sign-in and the ENT's code exchange.
    federation.add_franceconnect_identity("down", "Paul", "Durand", "1970-01-01")
    page = browser.get(federation.issuer + "/franceconnect/connexion")
    back = browser.post(page.url, data={"username": "down", "password": "Fc-down"}, allow_redirects=False)
    federation.franceconnect.available = False
    try:
        down = browser.get(back.headers["Location"])
    finally:
        federation.franceconnect.available = True
    assert down.status_code == 503 and "FranceConnect ne répond pas pour le moment" in down.text
    assert signed_in_login(browser, federation) is None
    forged = requests.get(federation.issuer + "/franceconnect/retour?code=x&state=forged")
    assert forged.status_code == 400 and "n’a pas pu être vérifiée" in forged.text


def test_an_id_token_below_the_level_asked_for_is_refused(federation: Federation) -> None:
    federation.add_franceconnect_identity("low", "Paul", "Durand", "1970-01-01")
    federation.franceconnect.acr = "eidas0"
    try:
        browser = requests.Session()
        refused = sign_in_at_franceconnect(browser, federation, "low")
    finally:
        federation.franceconnect.acr = "eidas1"
    assert refused.status_code == 400 and "n’a pas pu être vérifiée" in refused.text
    assert signed_in_login(browser, federation) is None
    assert has_event(audit_events(federation.ent), event="federation.refused", provider="franceconnect")


def test_mon_compte_shows_the_link_and_removes_it(federation: Federation, directory: Directory) -> None:
    login, _ = person(directory, given_name="Agnès", surname="Roussel")
    federation.add_franceconnect_identity("agnes", "Agnès", "ROUSSEL", "1981-07-14")
    browser = linked_with_password(federation, "agnes", login)
    overview = browser.get(federation.issuer + "/compte")
    assert "Votre identité FranceConnect est reliée à ce compte depuis le" in overview.text
    removed = browser.post(federation.issuer + "/compte/franceconnect", data={"csrf_token": csrf_token(overview.text)})
    assert "Le lien avec FranceConnect est retiré." in removed.text and "Non reliée" in removed.text
    assert linked_login(federation, "agnes") is None
    assert has_event(audit_events(federation.ent), event="federation.unlinked", login=login)
    again = sign_in_at_franceconnect(requests.Session(), federation, "agnes")
    assert again.url == federation.issuer + "/connexion/federee/confirmation"


def test_just_signed_in_with_franceconnect_a_password_is_chosen_without_the_current_one(
        federation: Federation, directory: Directory) -> None:
    login, _ = person(directory, given_name="Yves", surname="Perrin")
    federation.add_franceconnect_identity("yves", "Yves", "PERRIN", "1969-02-28")
    browser = linked_with_password(federation, "yves", login)
    form = browser.get(federation.issuer + "/compte/mot-de-passe")
    assert "Vous venez de vous connecter avec FranceConnect" in form.text and 'name="current"' not in form.text
    changed = browser.post(form.url, data={"csrf_token": csrf_token(form.text), "password": "Marronnier-Vert-2027",
                                           "confirmation": "Marronnier-Vert-2027"})
    assert "Votre mot de passe a été modifié" in changed.text
    directory.verify(login, "Marronnier-Vert-2027")


def linked_with_password(federation: Federation, username: str, login: str) -> requests.Session:
    """A browser signed in with FranceConnect, its identity linked to `login` with its password."""
    browser = requests.Session()
    page = sign_in_at_franceconnect(browser, federation, username)
    linked = browser.post(page.url, data={"csrf_token": csrf_token(page.text), "login": login,
                                          "password": "Tilleul-2026-long"})
    assert linked.url == federation.issuer + "/accueil", linked.text
    return browser
