"""/cas/login and /cas/logout over real HTTP, on the one SSO session OpenID Connect apps use
too; tickets checked by the real python-cas client."""
from __future__ import annotations

import html
import itertools
import re
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from cas import CASClient

from idp import clients
from idp.cas import services as cas_services
from idp.directory import Directory, NewAccount, Profile
from idp.provisioning.service import Provisioner
from idp.services import services
from tests.cas.conftest import PASSWORD, CasProvider
from tests.conftest import audit_events, has_event
from tests.oidc.conftest import Browser

APP = "http://127.0.0.1:9/gepi/"
"""The CAS app's service URL (nobody listens there: the tests stop at the redirect)."""
SERVICE = APP + "login.php?id=4"
_people = itertools.count(1)


@pytest.fixture(scope="module")
def gepi(cas_provider: CasProvider) -> dict:
    return cas_provider.add_cas_app("GEPI", [APP], attributes="pronote")


def person(directory: Directory, profile: Profile = Profile.PARENT) -> str:
    """A new active account with PASSWORD."""
    created = Provisioner(directory, 90).add(NewAccount("Lina", f"Gepi{next(_people)}", profile, ("0770001H",),
                                                        "lina@example.fr"))
    directory.set_password(created.login, PASSWORD)
    directory.activate(created.login)
    return created.login


def login_url(provider: CasProvider, **params: str) -> str:
    return f"{provider.issuer}/cas/login?{urlencode(params)}"


def ticket_of(location: str, service: str = SERVICE) -> str:
    """The ticket of a redirect to `service`, checked to keep the service's own query."""
    parts = urlsplit(location)
    assert location.startswith(service.split("?")[0]), location
    query = parse_qs(parts.query)
    assert {key: values[0] for key, values in query.items() if key != "ticket"} == \
        {key: values[0] for key, values in parse_qs(urlsplit(service).query).items()}
    [ticket] = query["ticket"]
    return ticket


def validate(provider: CasProvider, ticket: str, service: str = SERVICE) -> tuple:
    return CASClient(version=3, service_url=service, server_url=provider.issuer + "/cas/").verify_ticket(ticket)


def validated_with_renew(provider: CasProvider, ticket: str) -> str | None:
    """The user of a validation that asks `renew=true` (python-cas sends it to /login only)."""
    answer = requests.get(provider.issuer + "/cas/p3/serviceValidate",
                          params={"service": SERVICE, "ticket": ticket, "renew": "true"}, timeout=10)
    found = re.search(r"<cas:user>([^<]+)</cas:user>", answer.text)
    return found.group(1) if found else None


def signed_in_browser(provider: CasProvider, login: str) -> Browser:
    browser = Browser(provider.issuer)
    browser.sign_in(browser.open(provider.issuer + "/connexion"), login)
    return browser


def test_a_person_signed_out_signs_in_and_the_sign_in_answers_with_the_ticket(
        cas_provider: CasProvider, gepi: dict, directory: Directory) -> None:
    login = person(directory)
    browser = Browser(cas_provider.issuer)
    page = browser.open(login_url(cas_provider, service=SERVICE))
    assert "/connexion" in page.url and "L’application « GEPI » vous demande de vous connecter" in page.text
    back = browser.sign_in(page, login)  # the POST itself: no round trip through /cas/login
    assert back.status_code == 302 and back.request.method == "POST"
    ticket = ticket_of(back.headers["Location"])
    user, attributes, _ = validate(cas_provider, ticket)
    assert user == login
    assert attributes["categories"] == "National_2" and attributes["nom"].startswith("Gepi")
    assert validate(cas_provider, ticket)[0] is None  # single use
    assert has_event(audit_events(cas_provider.app), event="cas.ticket_issued", login=login, client=gepi["id"])


def test_a_browser_signed_in_gets_a_ticket_at_once_which_renew_refuses(
        cas_provider: CasProvider, gepi: dict, directory: Directory) -> None:
    login = person(directory)
    browser = signed_in_browser(cas_provider, login)
    back = browser.open(login_url(cas_provider, service=SERVICE))
    ticket = ticket_of(back.headers["Location"])
    assert validated_with_renew(cas_provider, ticket) is None  # not from a fresh sign-in
    again = browser.open(login_url(cas_provider, service=SERVICE))
    assert validate(cas_provider, ticket_of(again.headers["Location"]))[0] == login


def test_renew_asks_a_person_signed_in_to_sign_in_again(cas_provider: CasProvider, gepi: dict,
                                                       directory: Directory) -> None:
    login = person(directory)
    browser = signed_in_browser(cas_provider, login)
    page = browser.open(login_url(cas_provider, service=SERVICE, renew="true", gateway="true"))  # renew wins
    assert "/connexion" in page.url and page.status_code == 200
    ticket = ticket_of(browser.sign_in(page, login).headers["Location"])
    assert validated_with_renew(cas_provider, ticket) == login  # a fresh sign-in: renew is met


def test_gateway_goes_back_without_a_ticket_when_nobody_is_signed_in(cas_provider: CasProvider, gepi: dict,
                                                                     directory: Directory) -> None:
    back = Browser(cas_provider.issuer).open(login_url(cas_provider, service=SERVICE, gateway="true"))
    assert back.status_code == 302 and back.headers["Location"] == SERVICE
    login = person(directory)
    signed_in = signed_in_browser(cas_provider, login).open(login_url(cas_provider, service=SERVICE, gateway="true"))
    assert validate(cas_provider, ticket_of(signed_in.headers["Location"]))[0] == login


@pytest.mark.parametrize("service", ["http://127.0.0.1:9/gepi2/", "http://127.0.0.1:8/gepi/", "https://127.0.0.1:9/gepi/",
                                     "http://evil.example/?http://127.0.0.1:9/gepi/", "javascript:alert(1)"])
def test_an_unknown_service_gets_a_page_on_the_ent_never_a_redirect(cas_provider: CasProvider, gepi: dict,
                                                                    directory: Directory, service: str) -> None:
    browser = signed_in_browser(cas_provider, person(directory))
    page = browser.open(login_url(cas_provider, service=service))
    assert page.status_code == 400 and "Location" not in page.headers
    assert '<html lang="fr">' in page.text
    assert "Cette application n’est pas enregistrée auprès de l’ENT." in html.unescape(page.text)


def test_no_ticket_for_an_account_locked_or_reset_since_it_signed_in(cas_provider: CasProvider, gepi: dict,
                                                                      directory: Directory) -> None:
    """The directory is read when the ticket is issued: a lock after too many wrong passwords
    elsewhere (which leaves sessions alone), or a new activation code, gives no ticket."""
    locked, reset = person(directory), person(directory)
    browsers = {login: signed_in_browser(cas_provider, login) for login in (locked, reset)}
    directory.lock(locked)
    Provisioner(directory, 90).reset(reset)
    for login, browser in browsers.items():
        page = browser.open(login_url(cas_provider, service=SERVICE))
        assert "/connexion" in page.url, (login, page.status_code, page.headers.get("Location"))
        assert "Location" not in page.headers or "ticket=" not in page.headers["Location"]


def test_method_post_sends_the_ticket_in_a_form(cas_provider: CasProvider, gepi: dict, directory: Directory) -> None:
    login = person(directory)
    page = signed_in_browser(cas_provider, login).open(login_url(cas_provider, service=SERVICE, method="POST"))
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    form = re.search(r'<form method="post" action="([^"]+)" data-envoi-automatique>', page.text)
    assert form and form.group(1).replace("&amp;", "&") == SERVICE
    ticket = re.search(r'name="ticket" value="(ST-[A-Za-z0-9]+)"', page.text).group(1)
    assert validate(cas_provider, ticket)[0] == login


def test_one_sign_in_for_cas_and_openid_connect_apps_and_cas_logout_ends_it(
        cas_provider: CasProvider, gepi: dict, directory: Directory) -> None:
    login = person(directory)
    with cas_provider.app.app_context():
        oidc_app = clients.register(services().store, name="Vie scolaire", redirect_uris=["http://127.0.0.1:9/cb"])
    authorize = f"{cas_provider.issuer}/authorize?" + urlencode({
        "client_id": oidc_app.client.client_id, "response_type": "code", "scope": "openid",
        "redirect_uri": "http://127.0.0.1:9/cb", "state": "s", "code_challenge_method": "S256",
        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"})
    browser = Browser(cas_provider.issuer)
    ticket = ticket_of(browser.sign_in(browser.open(login_url(cas_provider, service=SERVICE)), login)
                       .headers["Location"])
    assert validate(cas_provider, ticket)[0] == login
    code = browser.open(authorize)  # signed in through CAS: the OIDC app needs no login
    assert code.status_code == 302 and code.headers["Location"].startswith("http://127.0.0.1:9/cb?code=")

    back = browser.open(f"{cas_provider.issuer}/cas/logout?" + urlencode({"service": APP}))
    assert back.status_code == 302 and back.headers["Location"] == APP  # a registered service
    assert "/connexion" in browser.open(authorize).url  # the same session ended for OIDC
    page = browser.open(f"{cas_provider.issuer}/cas/logout?" + urlencode({"service": "https://evil.example/"}))
    assert page.status_code == 200 and "Déconnexion réussie" in page.text  # never to an unregistered one


def test_without_a_service_the_ent_itself(cas_provider: CasProvider, directory: Directory) -> None:
    assert Browser(cas_provider.issuer).open(cas_provider.issuer + "/cas/login").url.endswith("/connexion")
    signed_in = signed_in_browser(cas_provider, person(directory)).open(cas_provider.issuer + "/cas/login")
    assert signed_in.url.endswith("/") and signed_in.status_code == 200


def test_the_home_page_lists_the_cas_apps_of_the_person_s_colleges(cas_provider: CasProvider,
                                                                   directory: Directory) -> None:
    tilleuls = "http://127.0.0.1:9/pronote-tilleuls/"
    with cas_provider.app.app_context():
        cas_services.add(services().store, name="Pronote Les Tilleuls", services=[tilleuls], attributes="pronote",
                         schools=("0770001H",))
        cas_services.add(services().store, name="Pronote Jean Moulin", services=["http://127.0.0.1:9/pronote-jm/"],
                         attributes="pronote", schools=("0770942F",))
    home = signed_in_browser(cas_provider, person(directory)).open(cas_provider.issuer + "/accueil")
    assert f'href="{tilleuls}">Pronote Les Tilleuls</a>' in home.text  # the person's college (0770001H)
    assert "Pronote Jean Moulin" not in home.text
