"""The demo's CAS app (« Pronote — Collège Les Tilleuls »): it sends a visitor to the ENT's
CAS login with its own home as the service, and reads the ENT's CAS 3.0 answers safely."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from idp.demo_cas_app import create_cas_app, parse_service_response

ISSUER = "http://127.0.0.1:5000"
SERVICE = "http://127.0.0.1:5003/"
SUCCESS = b"""<cas:serviceResponse xmlns:cas="http://www.yale.edu/tp/cas"><cas:authenticationSuccess>
<cas:user>daniele.adams</cas:user><cas:attributes><cas:givenName>Dani\xc3\xa8le</cas:givenName>
<cas:schools>0770001H</cas:schools><cas:schools>0770942F</cas:schools></cas:attributes>
</cas:authenticationSuccess></cas:serviceResponse>"""


def test_the_home_page_sends_a_visitor_to_the_ent_cas_login_with_its_service() -> None:
    app = create_cas_app(ISSUER, SERVICE, "s" * 40)
    response = app.test_client().get("/")
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == f"{ISSUER}/cas/login"
    assert parse_qs(location.query) == {"service": [SERVICE]}


def test_signing_out_goes_to_the_ent_cas_logout_then_shows_a_french_page() -> None:
    client = create_cas_app(ISSUER, SERVICE, "s" * 40).test_client()
    response = client.post("/deconnexion")
    assert response.headers["Location"] == f"{ISSUER}/cas/logout?service=http%3A%2F%2F127.0.0.1%3A5003%2F"
    back = client.get("/")
    assert back.status_code == 200
    assert "La session est fermée sur l’application et sur l’ENT." in back.get_data(as_text=True)


def test_a_success_gives_the_login_and_every_attribute() -> None:
    validated = parse_service_response(SUCCESS)
    assert validated.user == "daniele.adams"
    assert validated.attributes == {"givenName": ["Danièle"], "schools": ["0770001H", "0770942F"]}


def test_a_failure_gives_its_code_and_no_user() -> None:
    validated = parse_service_response(b'<cas:serviceResponse xmlns:cas="http://www.yale.edu/tp/cas">'
                                       b'<cas:authenticationFailure code="INVALID_TICKET">'
                                       b"non</cas:authenticationFailure>"
                                       b"</cas:serviceResponse>")
    assert (validated.user, validated.failure) == (None, "INVALID_TICKET")


def test_an_answer_with_entities_is_refused() -> None:
    bomb = (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
            b'<cas:serviceResponse xmlns:cas="http://www.yale.edu/tp/cas"><cas:authenticationSuccess>'
            b"<cas:user>&b;</cas:user></cas:authenticationSuccess></cas:serviceResponse>")
    assert parse_service_response(bomb).failure == "unreadable"


class _Answer:
    status_code = 200
    content = SUCCESS


def test_a_ticket_is_validated_server_side_then_the_attributes_are_shown(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    asked: list[tuple[str, dict]] = []

    def get(url: str, params: dict, timeout: float) -> _Answer:
        asked.append((url, params))
        return _Answer()
    monkeypatch.setattr("idp.demo_cas_app.requests.get", get)
    client = create_cas_app(ISSUER, SERVICE, "s" * 40).test_client()
    response = client.get("/?ticket=ST-1-demo")
    assert asked == [(f"{ISSUER}/cas/p3/serviceValidate", {"service": SERVICE, "ticket": "ST-1-demo"})]
    assert response.headers["Location"] == SERVICE
    shown = client.get("/").get_data(as_text=True)
    assert "daniele.adams" in shown and "Danièle" in shown and "0770001H, 0770942F" in shown
    assert "Se déconnecter" in shown
