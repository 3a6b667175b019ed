"""What the validation endpoints answer, in each of the protocol's forms: CAS 1.0 text, CAS
2.0/3.0 XML, the 3.0 JSON (`format=JSON`), and SAML 1.1 (/samlValidate, CAS 3.0 §4).

XML is built with ElementTree, so every value is escaped; the one XML document read from an
app (the SOAP request of /samlValidate) is parsed with defusedxml: no DTD, no entities."""
from __future__ import annotations

import re
import secrets
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from .tickets import Code, ProxyTicket, Refused, Validated

CAS_NS = "http://www.yale.edu/tp/cas"
SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
SAMLP_NS = "urn:oasis:names:tc:SAML:1.0:protocol"
SAML_NS = "urn:oasis:names:tc:SAML:1.0:assertion"
CAS_ATTRIBUTE_NS = "http://www.ja-sig.org/products/cas/"
SAML_VALIDITY_SECONDS = 30
"""The assertion's window (Conditions): the app reads it at once."""

Result = Validated | Refused
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
"""Characters XML 1.0 cannot hold, even escaped: dropped from values (an app's TARGET, say)."""


# CAS 1.0 (/validate)

def cas1(result: Result) -> str:
    """`yes\\n<user>\\n` or `no\\n\\n` (text/plain)."""
    return f"yes\n{result.user}\n" if isinstance(result, Validated) else "no\n\n"


# CAS 2.0 and 3.0, XML

def validation_xml(result: Result, *, attributes: bool) -> bytes:
    root = _cas_root()
    if isinstance(result, Refused):
        _sub(root, "cas:authenticationFailure", result.message, code=result.code)
        return _document(root)
    success = _sub(root, "cas:authenticationSuccess")
    _sub(success, "cas:user", result.user)
    if attributes:
        container = _sub(success, "cas:attributes")
        for name, values in released_attributes(result).items():
            for value in values:
                _sub(container, f"cas:{name}", value)
    if result.pgt_iou:
        _sub(success, "cas:proxyGrantingTicket", result.pgt_iou)
    if result.proxies:
        proxies = _sub(success, "cas:proxies")
        for proxy in result.proxies:
            _sub(proxies, "cas:proxy", proxy)
    return _document(root)


def proxy_xml(result: ProxyTicket | Refused) -> bytes:
    """/proxy: the proxy ticket, or why not."""
    root = _cas_root()
    if isinstance(result, Refused):
        _sub(root, "cas:proxyFailure", result.message, code=result.code)
    else:
        _sub(_sub(root, "cas:proxySuccess"), "cas:proxyTicket", result.ticket)
    return _document(root)


def released_attributes(result: Validated) -> dict[str, list[str]]:
    """The person's attributes and, first, those of the sign-in (CAS 3.0, appendix)."""
    return {
        "authenticationDate": [_instant(result.authenticated_at)],
        "longTermAuthenticationRequestTokenUsed": [_boolean(result.remembered)],
        "isFromNewLogin": [_boolean(result.from_new_login)],
        **result.attributes,
    }


# CAS 3.0, JSON

def validation_json(result: Result, *, attributes: bool) -> dict[str, object]:
    if isinstance(result, Refused):
        return {"serviceResponse": {"authenticationFailure": {"code": str(result.code),
                                                              "description": result.message}}}
    success: dict[str, object] = {"user": result.user}
    if attributes:
        success["attributes"] = released_attributes(result)
    if result.pgt_iou:
        success["proxyGrantingTicket"] = result.pgt_iou
    if result.proxies:
        success["proxies"] = list(result.proxies)
    return {"serviceResponse": {"authenticationSuccess": success}}


def proxy_json(result: ProxyTicket | Refused) -> dict[str, object]:
    if isinstance(result, Refused):
        return {"serviceResponse": {"proxyFailure": {"code": str(result.code), "description": result.message}}}
    return {"serviceResponse": {"proxySuccess": {"proxyTicket": result.ticket}}}


# SAML 1.1 (/samlValidate)

def saml_request(body: bytes) -> tuple[str, str | None] | None:
    """(ticket, RequestID) of a SOAP-wrapped `samlp:Request`, or None when it is not one."""
    try:
        envelope = SafeET.fromstring(body, forbid_dtd=True)
    except (ET.ParseError, DefusedXmlException, ValueError):
        return None
    if envelope.tag != f"{{{SOAP_NS}}}Envelope":
        return None
    request = envelope.find(f"{{{SOAP_NS}}}Body/{{{SAMLP_NS}}}Request")
    artifact = request.find(f"{{{SAMLP_NS}}}AssertionArtifact") if request is not None else None
    ticket = (artifact.text or "").strip() if artifact is not None else ""
    if request is None or not ticket:
        return None
    return ticket, request.get("RequestID")


def saml_response(result: Result, *, service: str, issuer: str, request_id: str | None = None) -> bytes:
    envelope = ET.Element("SOAP-ENV:Envelope", {"xmlns:SOAP-ENV": SOAP_NS})
    _sub(envelope, "SOAP-ENV:Header")
    moment = datetime.now(UTC)
    response = _sub(_sub(envelope, "SOAP-ENV:Body"), "samlp:Response", **{
        "xmlns:samlp": SAMLP_NS, "xmlns:saml": SAML_NS, "IssueInstant": _instant(moment.timestamp()),
        "MajorVersion": "1", "MinorVersion": "1", "Recipient": service, "ResponseID": _saml_id()})
    if request_id:
        response.set("InResponseTo", request_id)
    status = _sub(response, "samlp:Status")
    if isinstance(result, Refused):
        failed = "samlp:Responder" if result.code is Code.INTERNAL_ERROR else "samlp:Requester"
        _sub(status, "samlp:StatusCode", Value=failed)
        _sub(status, "samlp:StatusMessage", f"{result.code} : {result.message}")
        return _document(envelope)
    _sub(status, "samlp:StatusCode", Value="samlp:Success")
    assertion = _sub(response, "saml:Assertion", AssertionID=_saml_id(), IssueInstant=_instant(moment.timestamp()),
                     Issuer=issuer, MajorVersion="1", MinorVersion="1")
    conditions = _sub(assertion, "saml:Conditions", NotBefore=_instant(moment.timestamp()),
                      NotOnOrAfter=_instant(moment.timestamp() + SAML_VALIDITY_SECONDS))
    _sub(_sub(conditions, "saml:AudienceRestrictionCondition"), "saml:Audience", service)
    statement = _sub(assertion, "saml:AttributeStatement")
    _saml_subject(statement, result.user)
    for name, values in result.attributes.items():
        attribute = _sub(statement, "saml:Attribute", AttributeName=name, AttributeNamespace=CAS_ATTRIBUTE_NS)
        for value in values:
            _sub(attribute, "saml:AttributeValue", value)
    authentication = _sub(assertion, "saml:AuthenticationStatement",
                          AuthenticationInstant=_instant(result.authenticated_at),
                          AuthenticationMethod="urn:oasis:names:tc:SAML:1.0:am:password")
    _saml_subject(authentication, result.user)
    return _document(envelope)


def _saml_subject(parent: ET.Element, user: str) -> None:
    subject = _sub(parent, "saml:Subject")
    _sub(subject, "saml:NameIdentifier", user)
    _sub(_sub(subject, "saml:SubjectConfirmation"), "saml:ConfirmationMethod",
         "urn:oasis:names:tc:SAML:1.0:cm:artifact")


def _saml_id() -> str:
    return "_" + secrets.token_hex(16)


# XML helpers: prefixed names with their xmlns declared on the root, as the spec's examples

def _cas_root() -> ET.Element:
    return ET.Element("cas:serviceResponse", {"xmlns:cas": CAS_NS})


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {name: _NOT_XML.sub("", str(value)) for name, value in attributes.items()})
    if text is not None:
        element.text = _NOT_XML.sub("", text)
    return element


def _document(root: ET.Element) -> bytes:
    return ET.tostring(root, encoding="utf-8", xml_declaration=False)


def _instant(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _boolean(value: bool) -> str:
    return "true" if value else "false"
