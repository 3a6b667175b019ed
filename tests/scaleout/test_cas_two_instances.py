"""CAS on two instances sharing PostgreSQL: a ticket issued by one is validated by the other,
once, as real CAS clients would have it (python-cas, sent to one instance)."""
from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from cas import CASClient

from idp.cas import services as cas_services
from tests.oidc.helpers import is_login_page
from tests.scaleout.conftest import Pair
from tests.scaleout.relying_party import Browser
from tests.scaleout.servers import missing_servers

pytestmark = pytest.mark.skipif(missing_servers() is not None,
                                reason=f"scale-out tests need PostgreSQL and Redis: {missing_servers()}")

SERVICE = "http://127.0.0.1:9/pronote-pair/"


@pytest.fixture
def visitor(pair: Pair) -> Iterator[Browser]:
    found = Browser(pair.issuer)
    yield found
    found.close()


def validated_on(pair: Pair, instance: str, ticket: str) -> tuple:
    """python-cas (CAS 3.0) with its requests sent to `instance` only."""
    session = requests.Session()
    session.headers["X-Backend"] = instance
    return CASClient(version=3, service_url=SERVICE, server_url=pair.issuer + "/cas/", session=session
                     ).verify_ticket(ticket)


def test_a_ticket_issued_by_a_is_validated_once_by_b(pair: Pair, visitor: Browser, teacher: str) -> None:
    cas_services.add(pair.store, name="Pronote (deux instances)", services=[SERVICE], attributes="pronote")
    page = visitor.via("A").open(f"{pair.issuer}/cas/login?" + urlencode({"service": SERVICE}))
    assert is_login_page(page, pair.issuer), (page.status_code, page.url)
    back = visitor.sign_in(page, teacher)
    assert back.status_code == 302 and back.headers["X-Served-By"] == "A"
    [ticket] = parse_qs(urlsplit(back.headers["Location"]).query)["ticket"]

    user, attributes, _ = validated_on(pair, "B", ticket)
    assert user == teacher and attributes["categories"] == "National_3"
    assert validated_on(pair, "A", ticket)[0] is None  # spent, on every instance
