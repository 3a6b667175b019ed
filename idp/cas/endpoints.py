"""The CAS validation endpoints, called by the apps' servers (never by a browser): no page,
no CSRF token, no rate limit. Every answer is 200 in the protocol's own form, failures
included, as CAS clients expect."""
from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Blueprint, Response, jsonify, request
from sqlalchemy.exc import SQLAlchemyError

from idp.audit import audit
from idp.directory import DirectoryUnavailable

from . import responses
from .extension import cas_server
from .tickets import Code, ProxyTicket, Refused, Validated

cas = Blueprint("cas", __name__, url_prefix="/cas", template_folder="templates")
log = logging.getLogger(__name__)


@cas.get("/validate")
def validate() -> Response:
    """CAS 1.0: no attributes, no proxies (a proxy ticket is refused)."""
    result = _validate(request.args.get("ticket", ""), request.args.get("service", ""), proxy_tickets=False,
                       pgt_url=None)
    return _text(responses.cas1(result))


@cas.get("/serviceValidate")
@cas.get("/p3/serviceValidate")
def service_validate() -> Response:
    """CAS 2.0 and 3.0; both release attributes (phpCAS and mod_auth_cas read them here too)."""
    return _validation(proxy_tickets=False)


@cas.get("/proxyValidate")
@cas.get("/p3/proxyValidate")
def proxy_validate() -> Response:
    return _validation(proxy_tickets=True)


@cas.get("/proxy")
def proxy() -> Response:
    pgt, target = request.args.get("pgt", ""), request.args.get("targetService", "")
    result: ProxyTicket | Refused
    try:
        result = cas_server().tickets.issue_proxy_ticket(pgt, target)
    except (SQLAlchemyError, DirectoryUnavailable) as error:
        log.error("CAS proxy ticket not issued: %s", error)
        result = Refused(Code.INTERNAL_ERROR, "erreur interne, réessayez")
    if isinstance(result, Refused):
        audit("cas.proxy_ticket_issued", outcome="failure", login=result.login, client=result.service_id,
              code=str(result.code))
    else:
        audit("cas.proxy_ticket_issued", login=result.login, client=result.service_id)
    if _wants_json():
        return _no_store(jsonify(responses.proxy_json(result)))
    return _xml(responses.proxy_xml(result))


@cas.post("/samlValidate")
def saml_validate() -> Response:
    """CAS 3.0 §4: the ticket is the SOAP body's AssertionArtifact, the service is TARGET."""
    service = request.args.get("TARGET", "")
    asked = responses.saml_request(request.get_data(cache=False))
    if asked is None:
        result: Validated | Refused = Refused(Code.INVALID_REQUEST, "requête SAML (SOAP) attendue")
        request_id = None
    else:
        ticket, request_id = asked
        result = _validate(ticket, service, proxy_tickets=False, pgt_url=None)
    body = responses.saml_response(result, service=service, issuer=cas_server().issuer, request_id=request_id)
    return _xml(body, "text/xml")


def _validation(*, proxy_tickets: bool) -> Response:
    result = _validate(request.args.get("ticket", ""), request.args.get("service", ""),
                       proxy_tickets=proxy_tickets, pgt_url=request.args.get("pgtUrl") or None)
    if _wants_json():
        return _no_store(jsonify(responses.validation_json(result, attributes=True)))
    return _xml(responses.validation_xml(result, attributes=True))


def _validate(ticket: str, service: str, *, proxy_tickets: bool, pgt_url: str | None) -> Validated | Refused:
    renew = request.args.get("renew", "false").lower() not in ("false", "0", "")
    try:
        result = cas_server().tickets.validate(ticket, service, renew=renew, pgt_url=pgt_url,
                                            proxy_tickets=proxy_tickets)
    except (SQLAlchemyError, DirectoryUnavailable) as error:
        log.error("CAS ticket not validated: %s", error)
        result = Refused(Code.INTERNAL_ERROR, "erreur interne, réessayez")
    if isinstance(result, Refused):
        audit("cas.ticket_validated", outcome="failure", login=result.login, client=result.service_id,
              code=str(result.code))
    else:
        audit("cas.ticket_validated", login=result.user, client=result.service_id)
    return result


def _wants_json() -> bool:
    return request.args.get("format", "").upper() == "JSON"


def _text(body: str) -> Response:
    return _no_store(Response(body, mimetype="text/plain"))


def _xml(body: bytes, mimetype: str = "application/xml") -> Response:
    return _no_store(Response(body, content_type=f"{mimetype}; charset=utf-8"))


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


_BAD_REQUEST = Refused(Code.INVALID_REQUEST, "paramètre trop long, caractère NUL ou requête trop grosse")
_PROTOCOL_FORMS: dict[str, Callable[[], Response]] = {
    "cas.validate": lambda: _text(responses.cas1(_BAD_REQUEST)),
    "cas.service_validate": lambda: _xml(responses.validation_xml(_BAD_REQUEST, attributes=False)),
    "cas.proxy_validate": lambda: _xml(responses.validation_xml(_BAD_REQUEST, attributes=False)),
    "cas.proxy": lambda: _xml(responses.proxy_xml(_BAD_REQUEST)),
    "cas.saml_validate": lambda: _xml(responses.saml_response(
        _BAD_REQUEST, service="", issuer=cas_server().issuer), "text/xml"),
}


@cas.after_request
def in_protocol_form(response: Response) -> Response:
    """The app's guards (a NUL character, a parameter or body too long) answer with a page;
    an app's CAS client reads the protocol's failure instead (with the guard's status)."""
    form = _PROTOCOL_FORMS.get(request.endpoint or "")
    if form is None or response.status_code not in (400, 413) or response.mimetype != "text/html":
        return response
    rewritten = form()
    rewritten.status_code = response.status_code
    return rewritten
