"""The CAS endpoints over real HTTP, validated by a real CAS client (python-cas), with tickets
issued through the API /cas/login will call, for people of the session's slapd."""
from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from cas import CASClient

from idp.cas import services
from idp.directory import Directory, NewAccount, Profile
from idp.provisioning.service import Provisioner
from idp.services import EXTENSION
from idp.store.models import digest
from tests.cas.conftest import CasProvider
from tests.conftest import audit_events, has_event
from tests.serving import RecordingSite


@pytest.fixture(scope="module")
def teacher(directory: Directory):  # type: ignore[no-untyped-def]
    created = Provisioner(directory, 90).add(NewAccount("Camille", "Casserveur", Profile.TEACHER,
                                                        ("0770001H", "0770942F"), "camille@example.fr"))
    return directory.find(created.login)


def register(live: CasProvider, *urls: str, attributes: str = "default") -> services.RegisteredService:
    with live.app.app_context():  # type: ignore[attr-defined]
        record = services.add(live.app.extensions[EXTENSION].store, name="Moodle", services=list(urls),  # type: ignore[attr-defined]
                              attributes=attributes)
    live.server.registry._cached = None  # registered before the app is configured, in real life
    return record


def issue(live: CasProvider, service_url: str, record: services.RegisteredService, person, new_login: bool = True  # type: ignore[no-untyped-def]
          ) -> str:
    with live.app.app_context():  # type: ignore[attr-defined]
        return live.server.tickets.issue_service_ticket(service_url, record, person, new_login=new_login,
                                                        session_digest=digest("a browser"))


@pytest.fixture(scope="module")
def moodle(cas_provider: CasProvider) -> services.RegisteredService:
    return register(cas_provider, "http://127.0.0.1:9/moodle")


SERVICE = "http://127.0.0.1:9/moodle/login/index.php?id=1"


def client(live: CasProvider, version: object, service: str = SERVICE, **options: object) -> CASClient:
    return CASClient(version=version, service_url=service, server_url=live.issuer + "/cas/", **options)


def test_cas3_validates_once_with_attributes(cas_provider: CasProvider, moodle, teacher) -> None:  # type: ignore[no-untyped-def]
    ticket = issue(cas_provider, SERVICE, moodle, teacher)
    user, attributes, pgtiou = client(cas_provider, 3).verify_ticket(ticket)
    assert user == teacher.login and pgtiou is None
    assert attributes["displayName"] == "Camille Casserveur" and attributes["schools"] == ["0770001H", "0770942F"]
    assert attributes["ENTPersonProfils"] == "National_ENS" and attributes["isFromNewLogin"] == "true"
    assert client(cas_provider, 3).verify_ticket(ticket)[0] is None  # replayed
    events = audit_events(cas_provider.app)
    assert has_event(events, event="cas.ticket_validated", login=teacher.login, client=moodle.id, outcome="success")
    assert has_event(events, event="cas.ticket_validated", outcome="failure", code="INVALID_TICKET")


def test_cas2_cas1_and_saml(cas_provider: CasProvider, moodle, teacher) -> None:  # type: ignore[no-untyped-def]
    user, attributes, _ = client(cas_provider, 2).verify_ticket(issue(cas_provider, SERVICE, moodle, teacher))
    assert user == teacher.login and attributes["sn"] == "Casserveur"
    cas1 = client(cas_provider, 1).verify_ticket(issue(cas_provider, SERVICE, moodle, teacher))
    assert cas1 == (teacher.login, None, None)
    saml = client(cas_provider, "CAS_2_SAML_1_0")
    user, attributes, _ = saml.verify_ticket(issue(cas_provider, SERVICE, moodle, teacher))
    assert user == teacher.login and attributes["mail"] == "camille@example.fr"
    ticket = issue(cas_provider, SERVICE, moodle, teacher)
    assert client(cas_provider, "CAS_2_SAML_1_0").verify_ticket(ticket)[0] == teacher.login
    assert client(cas_provider, "CAS_2_SAML_1_0").verify_ticket(ticket)[0] is None


def test_another_service_is_refused_and_the_ticket_dies(cas_provider: CasProvider, moodle, teacher) -> None:  # type: ignore[no-untyped-def]
    ticket = issue(cas_provider, SERVICE, moodle, teacher)
    assert client(cas_provider, 3, service="http://127.0.0.1:9/moodle/").verify_ticket(ticket)[0] is None
    assert client(cas_provider, 3).verify_ticket(ticket)[0] is None
    answer = requests.get(f"{cas_provider.issuer}/cas/p3/serviceValidate", timeout=10,
                          params={"service": SERVICE, "ticket": issue(cas_provider, SERVICE, moodle, teacher),
                                  "renew": "true", "format": "JSON"})
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("application/json")
    assert answer.json()["serviceResponse"]["authenticationSuccess"]["user"] == teacher.login
    renewed = requests.get(f"{cas_provider.issuer}/cas/serviceValidate", timeout=10, params={
        "service": SERVICE, "ticket": issue(cas_provider, SERVICE, moodle, teacher, new_login=False), "renew": "true"})
    assert 'code="INVALID_TICKET"' in renewed.text


def test_validate_refuses_a_proxy_ticket_and_bad_parameters_get_protocol_answers(cas_provider: CasProvider) -> None:
    one = requests.get(f"{cas_provider.issuer}/cas/validate", params={"service": SERVICE, "ticket": "PT-x"}, timeout=10)
    assert (one.status_code, one.text, one.headers["Content-Type"]) == (200, "no\n\n", "text/plain; charset=utf-8")
    missing = requests.get(f"{cas_provider.issuer}/cas/serviceValidate", timeout=10)
    assert 'code="INVALID_REQUEST"' in missing.text and missing.headers["Cache-Control"] == "no-store"
    nul = requests.get(f"{cas_provider.issuer}/cas/serviceValidate", params={"service": SERVICE, "ticket": "ST-\x00"},
                       timeout=10)
    assert nul.status_code == 400 and 'code="INVALID_REQUEST"' in nul.text
    answer = requests.get(f"{cas_provider.issuer}/cas/validate", params={"ticket": "x" * 20_000}, timeout=10)
    assert answer.text == "no\n\n"
    saml = requests.post(f"{cas_provider.issuer}/cas/samlValidate", params={"TARGET": SERVICE}, data=b"<nope/>",
                         headers={"Content-Type": "text/xml"}, timeout=10)
    assert saml.status_code == 200 and "samlp:Requester" in saml.text
    proxy = requests.get(f"{cas_provider.issuer}/cas/proxy", params={"pgt": "PGT-x", "targetService": SERVICE},
                         timeout=10)
    assert 'code="INVALID_TICKET"' in proxy.text and "proxyFailure" in proxy.text


def test_http_callbacks_are_refused_outside_demo(cas_provider: CasProvider, moodle, teacher) -> None:  # type: ignore[no-untyped-def]
    with RecordingSite() as callback:
        register(cas_provider, callback.url)
        cas3 = client(cas_provider, 3, proxy_callback=callback.url + "/cb")
        answer = cas3.get_verification_response(issue(cas_provider, SERVICE, moodle, teacher))
        assert b'code="INVALID_PROXY_CALLBACK"' in answer and queries(callback) == []


def queries(callback: RecordingSite) -> list[dict[str, list[str]]]:
    """What the proxy callback was called with, call by call."""
    return [parse_qs(urlsplit(path).query) for path in callback.paths]


@pytest.fixture
def callback() -> Iterator[RecordingSite]:
    with RecordingSite() as running:
        yield running


def test_the_proxy_flow_in_demo(live_demo_cas: CasProvider, teacher, callback: RecordingSite) -> None:  # type: ignore[no-untyped-def]
    portal = register(live_demo_cas, callback.url + "/portal")
    backend = register(live_demo_cas, "http://127.0.0.1:9/backend")
    portal_url, pgt_url = callback.url + "/portal/", callback.url + "/portal/cb?x=1"
    cas3 = client(live_demo_cas, 3, service=portal_url, proxy_callback=pgt_url)
    user, _, pgtiou = cas3.verify_ticket(issue(live_demo_cas, portal_url, portal, teacher))
    assert user == teacher.login and pgtiou.startswith("PGTIOU-")
    assert queries(callback)[0] == {"x": ["1"]}  # first without the ticket: is the callback there?
    assert queries(callback)[1]["pgtIou"] == [pgtiou] and queries(callback)[1]["x"] == ["1"]
    pgt = queries(callback)[1]["pgtId"][0]
    target = "http://127.0.0.1:9/backend/api"
    proxy_ticket = client(live_demo_cas, 3, service=target).get_proxy_ticket(pgt)
    assert proxy_ticket.startswith("PT-")
    refused = requests.get(f"{live_demo_cas.issuer}/cas/p3/serviceValidate",
                           params={"service": target, "ticket": proxy_ticket}, timeout=10)
    assert 'code="INVALID_TICKET_SPEC"' in refused.text
    answer = requests.get(f"{live_demo_cas.issuer}/cas/p3/proxyValidate",
                          params={"service": target, "ticket": proxy_ticket, "format": "JSON"}, timeout=10).json()
    success = answer["serviceResponse"]["authenticationSuccess"]
    assert success["user"] == teacher.login and success["proxies"] == [pgt_url]
    assert has_event(audit_events(live_demo_cas.app), event="cas.proxy_ticket_issued", client=backend.id)


def test_a_callback_answering_other_than_200_gets_no_pgt(live_demo_cas: CasProvider, teacher) -> None:  # type: ignore[no-untyped-def]
    with RecordingSite(status=302) as callback:
        portal = register(live_demo_cas, callback.url + "/")
        cas3 = client(live_demo_cas, 3, service=callback.url + "/", proxy_callback=callback.url + "/cb")
        answer = cas3.get_verification_response(issue(live_demo_cas, callback.url + "/", portal, teacher))
        assert b'code="INVALID_PROXY_CALLBACK"' in answer and len(queries(callback)) == 1
