"""« ÉduConnect (démonstration) »: a SAML identity provider run by `ent-idp demo --federation`
(and by the tests), built on pysaml2's own identity-provider code (`saml2.server.Server`), so
that the ENT's service provider meets a real one: signed AuthnRequests checked, assertions
signed and encrypted, FrEduCtRefId attributes as ÉduConnect sends them, single logout both
ways. Its sign-in page has a text field, a password field and one button, as ÉduConnect's."""
from __future__ import annotations

import secrets
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.utils import CryptographyDeprecationWarning
from flask import Flask, Response, abort, redirect, request, session
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.authn_context import PASSWORD
from saml2.config import IdPConfig
from saml2.metadata import entity_descriptor
from saml2.s_utils import UnknownPrincipal
from saml2.saml import NAMEID_FORMAT_TRANSIENT, NameID, name_id_from_string
from saml2.samlp import STATUS_AUTHN_FAILED
from saml2.sigver import verify_redirect_signature
from werkzeug.wrappers import Response as WerkzeugResponse

from idp.demo_identity_page import identity_provider_page
from idp.federation.educonnect import DIGEST_ALGORITHM, SIGNING_ALGORITHM, XMLSEC
from idp.federation.saml_keys import key_pairs

with warnings.catch_warnings():  # pysaml2's identity provider names a cipher mode that cryptography moved
    warnings.simplefilter("ignore", CryptographyDeprecationWarning)
    from saml2.server import Server

METADATA_PATH, SSO_PATH, SLO_PATH, LOGOUT_PATH = "/idp/metadata", "/idp/sso", "/idp/slo", "/idp/deconnexion"


@dataclass(frozen=True)
class EduConnectIdentity:
    username: str
    password: str
    attributes: dict[str, list[str]]
    """givenName, sn, mail, FrEduCtRefId… as ÉduConnect sends them."""


@dataclass
class Behaviour:
    """What the tests change to see the service provider refuse a response."""

    sign_assertions: bool = True
    encrypt_assertions: bool = True
    signing_folder: Path | None = None
    """Another key pair than the metadata's: a forged signature."""
    audience: str | None = None
    """Another service provider the assertion is made for."""
    lifetime_minutes: int = 5
    """How long the assertion is valid (negative: expired when it is made)."""
    sent: list[dict[str, str]] = field(default_factory=list)
    """Every response form posted (what a replay sends again)."""


def identity_provider_config(base_url: str, folder: Path, sp_metadata: Path | None,
                             signing_folder: Path | None = None, lifetime_minutes: int = 5) -> IdPConfig:
    keys = key_pairs(signing_folder or folder / "keys", "ÉduConnect (démonstration)")["signing"]
    config = IdPConfig()
    config.load({
        "entityid": base_url + METADATA_PATH,
        "xmlsec_binary": XMLSEC,
        "key_file": str(keys.key),
        "cert_file": str(keys.certificate),
        "metadata": {"local": [str(sp_metadata)]} if sp_metadata else {},
        "allow_unknown_attributes": True,
        "service": {"idp": {
            "name": "ÉduConnect (démonstration)",
            "endpoints": {"single_sign_on_service": [(base_url + SSO_PATH, BINDING_HTTP_REDIRECT)],
                          "single_logout_service": [(base_url + SLO_PATH, BINDING_HTTP_REDIRECT)]},
            "want_authn_requests_signed": True,
            "name_id_format": [NAMEID_FORMAT_TRANSIENT],
            "signing_algorithm": SIGNING_ALGORITHM,
            "digest_algorithm": DIGEST_ALGORITHM,
            "policy": {"default": {"lifetime": {"minutes": lifetime_minutes}, "attribute_restrictions": None,
                                   "name_form": "urn:oasis:names:tc:SAML:2.0:attrname-format:basic"}},
        }},
    })
    return config


def write_metadata(base_url: str, folder: Path) -> Path:
    """The identity provider's metadata, which the ENT's `federation.educonnect.metadata` names."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "educonnect-metadata.xml"
    path.write_text(str(entity_descriptor(identity_provider_config(base_url, folder, None))), encoding="utf-8")
    return path



def create_educonnect_demo(base_url: str, folder: Path, sp_metadata: Path, identities: list[EduConnectIdentity],
                           secret_key: str, behaviour: Behaviour | None = None) -> Flask:
    behaviour = behaviour or Behaviour()
    app = Flask(__name__)
    app.config.update(SECRET_KEY=secret_key, SESSION_COOKIE_NAME="educonnect_demo")
    app.config["IDENTITIES"] = {identity.username: identity for identity in identities}

    def server() -> Server:
        return Server(config=identity_provider_config(base_url, folder, sp_metadata, behaviour.signing_folder,
                                                      behaviour.lifetime_minutes))

    def page(message: str = "", status: int = 200, **values: Any) -> tuple[str, int]:
        return identity_provider_page("ÉduConnect (démonstration)", "Identifiant ÉduConnect", message, status,
                                      **values)

    def signed(idp: Server, entity_id: str) -> bool:
        message = {name: request.args[name] for name in ("SAMLRequest", "SAMLResponse", "RelayState", "SigAlg",
                                                         "Signature") if name in request.args}
        if "Signature" not in message:
            return False
        certificates = idp.metadata.certs(entity_id, "spsso", use="signing")
        return any(verify_redirect_signature(message, idp.sec.sec_backend, cert=certificate)
                   for _, certificate in certificates)

    def parse(idp: Server, kept: dict[str, str]) -> Any:
        """The AuthnRequest, once pysaml2 checked the redirect's signature (want_authn_requests_signed)."""
        try:
            return idp.parse_authn_request(kept["SAMLRequest"], BINDING_HTTP_REDIRECT, kept["RelayState"],
                                           kept["SigAlg"], kept["Signature"])
        except Exception:
            return None

    @app.get(METADATA_PATH)
    def metadata() -> Response:
        return Response(str(entity_descriptor(server().config)), mimetype="application/samlmetadata+xml")

    @app.get(SSO_PATH)
    def sso() -> tuple[str, int]:
        idp = server()
        kept = {name: request.args.get(name, "") for name in ("SAMLRequest", "RelayState", "SigAlg", "Signature")}
        parsed = parse(idp, kept)
        if parsed is None:
            return page("Demande de connexion non signée ou mal signée : refusée.", 400)
        session["request"] = kept
        return page(form=True, asking=parsed.message.issuer.text, username="", cancel=SSO_PATH + "/annuler")

    @app.post(SSO_PATH)
    def sign_in() -> WerkzeugResponse | tuple[str, int]:
        kept = session.get("request")
        if not kept:
            return page("Aucune connexion en cours.", 400)
        person = app.config["IDENTITIES"].get(request.form.get("username", "").strip())
        if person is None or not secrets.compare_digest(person.password, request.form.get("password", "")):
            return page("Identifiant ou mot de passe incorrect.", 400, form=True, asking="",
                        username=request.form.get("username", ""), cancel=SSO_PATH + "/annuler")
        idp = server()
        parsed = parse(idp, kept)
        arguments = idp.response_args(parsed.message, [BINDING_HTTP_POST])
        encryption_certificate = _encryption_certificate(idp, arguments["sp_entity_id"])
        arguments["sp_entity_id"] = behaviour.audience or arguments["sp_entity_id"]
        name_id = NameID(format=NAMEID_FORMAT_TRANSIENT, text=secrets.token_hex(16),
                         sp_name_qualifier=arguments["sp_entity_id"], name_qualifier=idp.config.entityid)
        response = idp.create_authn_response(
            person.attributes, name_id=name_id, userid=person.username,
            authn={"class_ref": PASSWORD, "authn_auth": idp.config.entityid},
            sign_assertion=behaviour.sign_assertions, sign_response=False,
            encrypt_assertion=behaviour.encrypt_assertions,
            encrypt_cert_assertion=encryption_certificate if behaviour.encrypt_assertions else None, **arguments)
        session["signed_in"] = {"name_id": str(name_id), "sp": arguments["sp_entity_id"]}
        return _post(idp, str(response), arguments["destination"], kept["RelayState"], behaviour)

    @app.get(SSO_PATH + "/annuler")
    def cancel() -> WerkzeugResponse | tuple[str, int]:
        kept = session.pop("request", None)
        if not kept:
            return page("Aucune connexion en cours.", 400)
        idp = server()
        parsed = parse(idp, kept)
        arguments = idp.response_args(parsed.message, [BINDING_HTTP_POST])
        response = idp.create_error_response(parsed.message.id, arguments["destination"],
                                             UnknownPrincipal("annulée"), status=None)
        response.status.status_code.status_code.value = STATUS_AUTHN_FAILED
        return _post(idp, str(response), arguments["destination"], kept["RelayState"], behaviour)

    @app.get(SLO_PATH)
    def single_logout() -> WerkzeugResponse | tuple[str, int]:
        """The service provider's LogoutRequest (signed), or its answer to ours."""
        idp = server()
        if "SAMLResponse" in request.args:
            answer = idp.parse_logout_request_response(request.args["SAMLResponse"], BINDING_HTTP_REDIRECT)
            if answer is None or not signed(idp, answer.issuer()):
                return page("Réponse de déconnexion non signée ou mal signée : refusée.", 400)
            return page("Vous êtes déconnecté d’ÉduConnect et du service.")
        try:  # pysaml2 checks the signature (want_authn_requests_signed)
            logout = idp.parse_logout_request(request.args.get("SAMLRequest", ""), BINDING_HTTP_REDIRECT,
                                              request.args.get("RelayState"), request.args.get("SigAlg"),
                                              request.args.get("Signature"))
        except Exception:
            logout = None
        if logout is None:
            return page("Demande de déconnexion non signée ou mal signée : refusée.", 400)
        session.pop("signed_in", None)
        answer = idp.create_logout_response(logout.message, [BINDING_HTTP_REDIRECT], sign=False)
        destination = idp.metadata.single_logout_service(logout.message.issuer.text, BINDING_HTTP_REDIRECT, "spsso")
        sent = idp.apply_binding(BINDING_HTTP_REDIRECT, str(answer), destination[0]["location"],
                                 request.args.get("RelayState", ""), response=True, sign=True)
        return redirect(dict(sent["headers"])["Location"])

    @app.get(LOGOUT_PATH)
    def logout_everywhere() -> WerkzeugResponse | tuple[str, int]:
        """« Se déconnecter » on ÉduConnect's side: a LogoutRequest to the service the person
        signed in to, which ends its session too (named by its transient NameID, made for that
        one sign-in)."""
        signed_in = session.pop("signed_in", None)
        if not signed_in:
            return page("Vous n’êtes pas connecté à ÉduConnect.")
        idp = server()
        destination = idp.metadata.single_logout_service(signed_in["sp"], BINDING_HTTP_REDIRECT, "spsso")
        if not destination:
            abort(404)
        _, logout = idp.create_logout_request(destination[0]["location"], idp.config.entityid,
                                              name_id=name_id_from_string(signed_in["name_id"]))
        sent = idp.apply_binding(BINDING_HTTP_REDIRECT, str(logout), destination[0]["location"], "", sign=True)
        return redirect(dict(sent["headers"])["Location"])

    return app


def _encryption_certificate(idp: Server, sp_entity_id: str) -> str:
    certificates = idp.metadata.certs(sp_entity_id, "spsso", use="encryption")
    return certificates[0][1]


def _post(idp: Server, message: str, destination: str, relay_state: str, behaviour: Behaviour) -> WerkzeugResponse:
    """The HTTP-POST binding: pysaml2's own page that posts the response to the service provider."""
    sent = idp.apply_binding(BINDING_HTTP_POST, message, destination, relay_state, response=True)
    behaviour.sent.append({"destination": destination, "SAMLResponse": _form_value(sent["data"], "SAMLResponse"),
                           "RelayState": relay_state})
    return Response(sent["data"], mimetype="text/html")


def _form_value(html: str, name: str) -> str:
    marker = f'name="{name}" value="'
    start = html.index(marker) + len(marker)
    return html[start:html.index('"', start)]
