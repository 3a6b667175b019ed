"""The protocol's answers, parsed back as a CAS client reads them."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from idp.cas import responses
from idp.cas.tickets import Code, ProxyTicket, Refused, Validated

CAS = "{http://www.yale.edu/tp/cas}"
SAMLP = "{urn:oasis:names:tc:SAML:1.0:protocol}"
SAML = "{urn:oasis:names:tc:SAML:1.0:assertion}"
VALIDATED = Validated("thomas.professeur", {"displayName": ["Thomas <Professeur> & Cie"],
                                            "schools": ["0770001H", "0770942F"]},
                      "moodle-abc123", 1_700_000_000, True, False, ("https://proxy2/cb", "https://proxy1/cb"),
                      "PGTIOU-abc")
REFUSED = Refused(Code.INVALID_TICKET, "ticket inconnu, déjà utilisé ou expiré")


def test_cas1() -> None:
    assert responses.cas1(VALIDATED) == "yes\nthomas.professeur\n"
    assert responses.cas1(REFUSED) == "no\n\n"


def test_xml_success_with_attributes_proxies_and_pgt() -> None:
    root = ET.fromstring(responses.validation_xml(VALIDATED, attributes=True))
    assert root.tag == f"{CAS}serviceResponse"
    success = root.find(f"{CAS}authenticationSuccess")
    assert success.findtext(f"{CAS}user") == "thomas.professeur"
    attributes = success.find(f"{CAS}attributes")
    assert attributes.findtext(f"{CAS}displayName") == "Thomas <Professeur> & Cie"
    assert [item.text for item in attributes.findall(f"{CAS}schools")] == ["0770001H", "0770942F"]
    assert attributes.findtext(f"{CAS}authenticationDate") == "2023-11-14T22:13:20Z"
    assert attributes.findtext(f"{CAS}isFromNewLogin") == "true"
    assert attributes.findtext(f"{CAS}longTermAuthenticationRequestTokenUsed") == "false"
    assert success.findtext(f"{CAS}proxyGrantingTicket") == "PGTIOU-abc"
    assert [item.text for item in success.find(f"{CAS}proxies")] == ["https://proxy2/cb", "https://proxy1/cb"]


def test_xml_without_attributes_and_failure() -> None:
    plain = Validated("eleve", {}, "x", 0, False, False)
    success = ET.fromstring(responses.validation_xml(plain, attributes=False)).find(f"{CAS}authenticationSuccess")
    assert [child.tag for child in success] == [f"{CAS}user"]
    failure = ET.fromstring(responses.validation_xml(REFUSED, attributes=True)).find(f"{CAS}authenticationFailure")
    assert failure.get("code") == "INVALID_TICKET" and failure.text == REFUSED.message


def test_json() -> None:
    success = json.loads(json.dumps(responses.validation_json(VALIDATED, attributes=True)))
    body = success["serviceResponse"]["authenticationSuccess"]
    assert body["user"] == "thomas.professeur" and body["proxyGrantingTicket"] == "PGTIOU-abc"
    assert body["attributes"]["schools"] == ["0770001H", "0770942F"]
    assert body["attributes"]["isFromNewLogin"] == ["true"]
    assert body["proxies"] == ["https://proxy2/cb", "https://proxy1/cb"]
    assert responses.validation_json(REFUSED, attributes=True) == {"serviceResponse": {"authenticationFailure": {
        "code": "INVALID_TICKET", "description": REFUSED.message}}}


def test_proxy_answers() -> None:
    success = ET.fromstring(responses.proxy_xml(ProxyTicket("PT-abc", "x", "y")))
    assert success.find(f"{CAS}proxySuccess").findtext(f"{CAS}proxyTicket") == "PT-abc"
    failure = ET.fromstring(responses.proxy_xml(Refused(Code.UNAUTHORIZED_SERVICE, "non"))).find(f"{CAS}proxyFailure")
    assert failure.get("code") == "UNAUTHORIZED_SERVICE"
    assert responses.proxy_json(ProxyTicket("PT-abc", "x", "y")) == {
        "serviceResponse": {"proxySuccess": {"proxyTicket": "PT-abc"}}}


SOAP = """<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"><SOAP-ENV:Header/>
<SOAP-ENV:Body><samlp:Request xmlns:samlp="urn:oasis:names:tc:SAML:1.0:protocol" MajorVersion="1" MinorVersion="1"
RequestID="_192.168.16.51.1024506224022" IssueInstant="2002-06-19T17:03:44.022Z">
<samlp:AssertionArtifact> ST-abc </samlp:AssertionArtifact></samlp:Request></SOAP-ENV:Body></SOAP-ENV:Envelope>"""


def test_the_saml_request_is_read() -> None:
    assert responses.saml_request(SOAP.encode()) == ("ST-abc", "_192.168.16.51.1024506224022")


@pytest.mark.parametrize("body", [
    b"", b"not xml", b"<a/>", SOAP.replace("AssertionArtifact> ST-abc </samlp:AssertionArtifact",
                                           "AssertionArtifact></samlp:AssertionArtifact").encode(),
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "ST-abc">]>' + SOAP.replace(" ST-abc ", "&e;").encode(),
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
    + SOAP.replace(" ST-abc ", "&e;").encode(),
])
def test_anything_else_is_not_a_saml_request(body: bytes) -> None:
    assert responses.saml_request(body) is None


def test_saml_success_and_failure() -> None:
    root = ET.fromstring(responses.saml_response(VALIDATED, service="https://app.fr/?a=1&b=2",
                                                 issuer="https://ent.fr", request_id="_r1"))
    response = root.find(".//" + SAMLP + "Response")
    assert response.get("Recipient") == "https://app.fr/?a=1&b=2" and response.get("InResponseTo") == "_r1"
    assert root.find(".//" + SAMLP + "StatusCode").get("Value") == "samlp:Success"
    assertion = response.find(SAML + "Assertion")
    assert assertion.get("Issuer") == "https://ent.fr"
    assert assertion.findtext(f"{SAML}Conditions/{SAML}AudienceRestrictionCondition/{SAML}Audience") == \
        "https://app.fr/?a=1&b=2"
    names = [item.text for item in assertion.iter(SAML + "NameIdentifier")]
    assert names == ["thomas.professeur", "thomas.professeur"]
    attributes = {item.get("AttributeName"): [value.text for value in item]
                  for item in assertion.iter(SAML + "Attribute")}
    assert attributes == {"displayName": ["Thomas <Professeur> & Cie"], "schools": ["0770001H", "0770942F"]}
    statement = assertion.find(SAML + "AuthenticationStatement")
    assert statement.get("AuthenticationInstant") == "2023-11-14T22:13:20Z"
    failed = ET.fromstring(responses.saml_response(REFUSED, service="x\x01y", issuer="https://ent.fr"))
    assert failed.find(".//" + SAMLP + "StatusCode").get("Value") == "samlp:Requester"
    assert "INVALID_TICKET" in failed.findtext(".//" + SAMLP + "StatusMessage")
    assert failed.find(".//" + SAML + "Assertion") is None
