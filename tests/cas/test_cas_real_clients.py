"""Real CAS clients against the ENT's CAS server, through Chromium: Apache + mod_auth_cas
(validating at /cas/p3/serviceValidate, and at /cas/samlValidate) and phpCAS (CAS 3.0).

The first tests check the harness alone (no server needed): each client sends a visitor to
the ENT's /cas/login with its own page as the service. The others need the CAS server and are
skipped, with the reason, while /cas/login answers 404.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from playwright.sync_api import Browser, BrowserContext, Page, Request

from tests.cas.conftest import CasProvider, on_login_page, shown_json, sign_in
from tests.cas.real_clients import ApacheCas, PhpCas, Validation
from tests.conftest import eventually

NOWHERE = "http://127.0.0.1:9"
"""An issuer no one listens on: the redirect to its login needs no server."""
CLIENTS = ["apache_p3", "apache_saml", "phpcas"]
Client = ApacheCas | PhpCas


def login_redirect(url: str) -> dict[str, str]:
    """The query of the redirect an unauthenticated GET of `url` answers, checked to go to the
    issuer's /cas/login."""
    response = requests.get(url, allow_redirects=False, timeout=10)
    assert response.status_code == 302, response.text[:500]
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == f"{NOWHERE}/cas/login"
    return {name: values[0] for name, values in parse_qs(location.query).items()}


@pytest.mark.parametrize("validation", ["serviceValidate", "p3/serviceValidate", "samlValidate"])
def test_apache_sends_a_visitor_to_the_ent_login_with_the_page_as_service(validation: Validation) -> None:
    with ApacheCas(NOWHERE, validation) as apache:
        assert login_redirect(apache.protected_url) == {"service": apache.protected_url}
        assert login_redirect(apache.renew_url) == {"service": apache.renew_url, "renew": "true"}
        assert login_redirect(apache.gateway_url) == {"service": apache.gateway_url, "gateway": "true"}
        assert f"CASValidateURL {NOWHERE}/cas/{validation}" in apache.config.read_text()


def test_phpcas_sends_a_visitor_to_the_ent_login_with_the_page_as_service() -> None:
    with PhpCas(NOWHERE) as php:
        assert login_redirect(php.protected_url) == {"service": php.protected_url}
        assert login_redirect(php.renew_url) == {"service": php.renew_url, "renew": "true"}
        assert login_redirect(php.gateway_url) == {"service": php.gateway_url, "gateway": "true"}


# From here on, the ENT's CAS server is needed.

@pytest.fixture(params=CLIENTS)
def client(request: pytest.FixtureRequest) -> Client:
    return request.getfixturevalue(request.param)


@pytest.fixture
def person(cas_provider: CasProvider, chromium: Browser) -> Iterator[BrowserContext]:
    """A person's browser, with nothing in it yet."""
    context = chromium.new_context(locale="fr-FR")
    context.set_default_timeout(15_000)
    yield context
    context.close()


def visited(context: BrowserContext) -> list[str]:
    """Every URL the browser asks for from now on (redirects included), in order."""
    urls: list[str] = []

    def seen(request: Request) -> None:
        if request.is_navigation_request():
            urls.append(request.url)
    context.on("request", seen)
    return urls


def ticket_urls(urls: list[str], client: Client) -> list[str]:
    return [url for url in urls if url.startswith(client.base_url) and "ticket=" in url]


def signed_in(page: Page) -> str | None:
    """Who the client's page says is signed in (None: nobody, or not the client's JSON)."""
    try:
        return shown_json(page).get("user")
    except ValueError:
        return None


def attributes(page: Page) -> dict[str, list[str]]:
    """The attributes the app received, by lower-case name. mod_auth_cas exports them as
    CAS-<name> headers (CGI: HTTP_CAS_<NAME>), values joined with « ; »; phpCAS gives a map."""
    received = shown_json(page)["attributes"]
    return {name.lower(): value if isinstance(value, list) else str(value).split(";")
            for name, value in received.items()}


def new_ticket(context: BrowserContext, provider: CasProvider, service: str) -> str:
    """A ticket the ENT gives for `service` to this browser's session, that no app has seen
    (Playwright cannot stop the browser from following the ENT's redirect to the app)."""
    cookies = "; ".join(f"{cookie['name']}={cookie['value']}" for cookie in context.cookies(provider.issuer))
    response = requests.get(f"{provider.issuer}/cas/login", params={"service": service}, headers={"Cookie": cookies},
                            allow_redirects=False, timeout=10)
    assert response.status_code in (302, 303), response.text[:500]
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == service
    return parse_qs(location.query)["ticket"][0]


def sign_in_through(page: Page, url: str, provider: CasProvider, login: str) -> None:
    page.goto(url)
    assert on_login_page(page, provider.issuer), page.url
    sign_in(page, login)
    page.wait_for_url(url)


def test_the_app_receives_the_login_and_the_attributes(client: Client, person: BrowserContext,
                                                       cas_provider: CasProvider, cas_teacher: str) -> None:
    page = person.new_page()
    sign_in_through(page, client.protected_url, cas_provider, cas_teacher)
    assert signed_in(page) == cas_teacher
    received = attributes(page)
    assert received["uid"] == [cas_teacher]
    assert received["givenname"] == ["Camille"]
    assert received["sn"] == ["Enseignante"]
    assert {"0770001H", "0770942F"} <= set(received["schools"])


def test_a_ticket_signs_in_only_once(client: Client, person: BrowserContext, chromium: Browser,
                                     cas_provider: CasProvider, cas_teacher: str) -> None:
    urls = visited(person)
    page = person.new_page()
    sign_in_through(page, client.protected_url, cas_provider, cas_teacher)
    [used] = ticket_urls(urls, client)
    other = chromium.new_context(locale="fr-FR")  # someone who got hold of the ticket's URL
    try:
        replayed = other.new_page()
        replayed.goto(used)
        assert signed_in(replayed) is None, replayed.content()[:500]
    finally:
        other.close()


@pytest.mark.parametrize(("target", "source"), [("apache_p3", "phpcas"), ("apache_saml", "phpcas"),
                                                ("phpcas", "apache_p3")])
def test_a_ticket_for_another_service_is_refused(target: str, source: str, request: pytest.FixtureRequest,
                                                 person: BrowserContext, chromium: Browser,
                                                 cas_provider: CasProvider, cas_teacher: str) -> None:
    to, issued_for = request.getfixturevalue(target), request.getfixturevalue(source)
    page = person.new_page()
    sign_in_through(page, issued_for.protected_url, cas_provider, cas_teacher)
    ticket = new_ticket(person, cas_provider, issued_for.protected_url)
    other = chromium.new_context(locale="fr-FR")
    try:
        elsewhere = other.new_page()
        elsewhere.goto(f"{to.protected_url}?ticket={ticket}")
        assert signed_in(elsewhere) is None, elsewhere.content()[:500]
    finally:
        other.close()


def test_an_unknown_service_gets_a_french_error_page_and_no_redirect(apache_p3: ApacheCas, phpcas: PhpCas,
                                                                     person: BrowserContext,
                                                                     cas_provider: CasProvider,
                                                                     cas_teacher: str) -> None:
    page = person.new_page()
    sign_in_through(page, phpcas.protected_url, cas_provider, cas_teacher)  # signed in at the ENT
    urls = visited(person)
    response = page.goto(apache_p3.unknown_service_url)
    assert response is not None
    assert page.url.startswith(f"{cas_provider.issuer}/cas/login"), page.url
    assert response.status >= 400
    assert page.locator("html").get_attribute("lang") == "fr"
    assert not ticket_urls(urls, apache_p3)
    assert [url for url in urls if url.startswith(apache_p3.base_url)] == [apache_p3.unknown_service_url]


def test_renew_asks_a_signed_in_person_for_the_password_again(client: Client, person: BrowserContext,
                                                              cas_provider: CasProvider, cas_teacher: str) -> None:
    page = person.new_page()
    sign_in_through(page, client.protected_url, cas_provider, cas_teacher)
    page.goto(client.renew_url)
    assert on_login_page(page, cas_provider.issuer), page.url
    sign_in(page, cas_teacher)
    page.wait_for_url(client.renew_url)
    assert signed_in(page) == cas_teacher


def test_gateway_without_a_session_comes_back_without_a_ticket(client: Client, person: BrowserContext,
                                                               cas_provider: CasProvider) -> None:
    urls = visited(person)
    page = person.new_page()
    page.goto(client.gateway_url)
    page.wait_for_load_state()
    assert not on_login_page(page, cas_provider.issuer)
    assert urls[0] == client.gateway_url
    assert urls[1].startswith(f"{cas_provider.issuer}/cas/login") and "gateway=true" in urls[1]
    assert urls[-1] == client.gateway_url  # back, without a ticket
    assert not ticket_urls(urls, client)
    # mod_auth_cas 1.2 then answers 500 on Apache 2.4 (apereo/mod_auth_cas#204: no user set
    # for the anonymous visitor); phpCAS shows the page to nobody.
    assert signed_in(page) is None


def test_gateway_with_a_session_signs_in_without_the_login_page(client: Client, person: BrowserContext,
                                                               cas_provider: CasProvider, cas_teacher: str) -> None:
    page = person.new_page()
    sign_in_through(page, client.protected_url, cas_provider, cas_teacher)
    urls = visited(person)
    page.goto(client.gateway_url)
    page.wait_for_url(client.gateway_url)
    assert signed_in(page) == cas_teacher
    assert not [url for url in urls if url.startswith(cas_provider.issuer) and "/cas/login" not in url]


def test_signed_in_at_the_oidc_college_app_the_cas_app_needs_no_login(client: Client, person: BrowserContext,
                                                                     oidc_college: str, cas_provider: CasProvider,
                                                                     cas_teacher: str) -> None:
    page = person.new_page()
    page.goto(oidc_college)
    page.get_by_role("button", name="Se connecter avec l’ENT").click()
    assert on_login_page(page, cas_provider.issuer), page.url
    sign_in(page, cas_teacher)
    page.wait_for_url(f"{oidc_college}/")
    assert page.get_by_role("heading", name="Bonjour").count() == 1
    urls = visited(person)
    page.goto(client.protected_url)
    page.wait_for_url(client.protected_url)
    assert signed_in(page) == cas_teacher
    assert not [url for url in urls if url.startswith(cas_provider.issuer) and "/cas/login" not in url]


def test_se_deconnecter_on_the_ent_signs_the_person_out_of_phpcas(phpcas: PhpCas, person: BrowserContext,
                                                                  cas_provider: CasProvider,
                                                                  cas_teacher: str) -> None:
    """CAS single logout: the app gets the SAML LogoutRequest naming its ticket and ends its own
    session; its page then sends the person to the ENT's login again."""
    page = person.new_page()
    sign_in_through(page, phpcas.protected_url, cas_provider, cas_teacher)
    assert signed_in(page) == cas_teacher
    page.goto(cas_provider.issuer + "/accueil")
    page.get_by_role("main").get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url(re.compile(".*/logout$"))

    def signed_out_of_the_app() -> bool:
        page.goto(phpcas.protected_url)
        return on_login_page(page, cas_provider.issuer)
    assert eventually(signed_out_of_the_app), phpcas.log_text()[-2000:]
