"""The ENT's SAML service-provider endpoints (`/saml/…`): only when ÉduConnect is configured.

`/saml/connexion` sends the signed AuthnRequest; `/saml/acs` takes the response, which pysaml2
checks (the assertion's signature against ÉduConnect's metadata, InResponseTo, audience, time
conditions; an encrypted assertion is decrypted with the ENT's key), and which is used once;
the identity then goes to the flows (idp.upstream). `/saml/slo` takes ÉduConnect's logouts
both ways: the answer to the ENT's LogoutRequest, and ÉduConnect's own LogoutRequest.
"""
from __future__ import annotations

import hmac
import logging
import secrets
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Flask, Response, abort, current_app, redirect, render_template, request, session
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.client import Saml2Client
from saml2.config import SPConfig
from saml2.response import StatusAuthnFailed, StatusError, StatusNoPassive, StatusRequestDenied
from saml2.saml import NameID, name_id_from_string
from saml2.sigver import verify_redirect_signature
from werkzeug.wrappers import Response as WerkzeugResponse

from idp import upstream
from idp.audit import audit
from idp.services import EXTENSION as SERVICES
from idp.services import services
from idp.store import federation, sso_sessions
from idp.store.federation import Upstream
from idp.store.models import now

from . import educonnect

EXTENSION = "ent_idp_educonnect"
PROVIDER = "educonnect"
PENDING = "educonnect"
"""In the flow cookie: the AuthnRequest sent (its id, for the response's InResponseTo), its
RelayState, and the interaction the sign-in serves."""
AGAIN = "suite"
"""Form field of the ACS's second POST, made from the ENT's own page (see `acs`)."""
saml = Blueprint("saml", __name__, template_folder="templates")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EduConnect:
    config: SPConfig
    metadata: str
    """Signed once, at start: it changes only with the keys."""
    identity_provider: str
    """ÉduConnect's entity id, from its metadata."""
    refresh: educonnect.MetadataRefresh

    def client(self) -> Saml2Client:
        """A client per request: pysaml2's keeps the identities it read in memory otherwise."""
        return Saml2Client(self.config)


def setup_educonnect(app: Flask) -> None:
    settings = app.extensions[SERVICES].settings
    config = educonnect.service_provider(settings)
    app.extensions[EXTENSION] = EduConnect(
        config, educonnect.signed_metadata(config), educonnect.identity_provider(config),
        educonnect.MetadataRefresh(config, settings.federation.educonnect.metadata))
    registry = app.extensions[upstream.EXTENSION]
    registry.leaves[PROVIDER] = _leave
    app.extensions["csrf"].exempt(saml)  # ÉduConnect posts; the response's checks stand for the token
    app.register_blueprint(saml)


def _provider() -> EduConnect:
    provider: EduConnect | None = current_app.extensions.get(EXTENSION)
    if provider is None:
        abort(404)
    provider.refresh.refresh_if_due()
    return provider


@saml.get(educonnect.LOGIN_PATH)
def login() -> WerkzeugResponse:
    """« Se connecter avec ÉduConnect »: a signed AuthnRequest, by HTTP-Redirect to ÉduConnect."""
    provider = _provider()
    relay_state = secrets.token_urlsafe(24)
    request_id, sent = provider.client().prepare_for_authenticate(
        entityid=provider.identity_provider, relay_state=relay_state, binding=BINDING_HTTP_REDIRECT, sign=True)
    session[PENDING] = {"request_id": request_id, "relay_state": relay_state, "at": now(),
                        "interaction": request.args.get("interaction", "")[:100] or None}
    return _no_store(redirect(dict(sent["headers"])["Location"]))


@saml.post(educonnect.ACS_PATH)
def acs() -> WerkzeugResponse | tuple[str, int]:
    """ÉduConnect's response. Its POST comes from ÉduConnect's site, so the browser does not send
    the ENT's flow cookie (SameSite=Lax) with it: the ENT's page posts it again, from the ENT, and
    that second POST has the cookie that says which request it answers (and that this browser
    sent it: nobody can sign someone in with a response of their own)."""
    provider = _provider()
    saml_response = request.form.get("SAMLResponse", "")
    relay_state = request.form.get("RelayState", "")
    pending = session.get(PENDING)
    if not saml_response:
        return upstream.failed(PROVIDER, "invalid", None)
    if pending is None and AGAIN not in request.form:
        return render_template("federation/post_again.html", action=request.path, saml_response=saml_response,
                               relay_state=relay_state, again=AGAIN), 200
    if pending is None or now() - pending.get("at", 0) > upstream.LIFETIME:
        session.pop(PENDING, None)
        return upstream.failed(PROVIDER, "expired", None)
    session.pop(PENDING)
    interaction = pending.get("interaction")
    if not hmac.compare_digest(relay_state, pending["relay_state"]):
        return _refused("relay state mismatch", interaction)
    try:
        response = provider.client().parse_authn_request_response(
            saml_response, BINDING_HTTP_POST, outstanding={pending["request_id"]: "/"})
    except (StatusAuthnFailed, StatusRequestDenied, StatusNoPassive):
        audit("federation.cancelled", provider=PROVIDER, outcome="failure")
        return upstream.failed(PROVIDER, "cancelled", interaction)
    except StatusError as error:
        return _refused(f"status {error}", interaction)
    except Exception as error:  # pysaml2 raises many kinds: a signature, a time, an audience, XML…
        return _refused(f"{type(error).__name__}: {error}", interaction)
    if response is None or response.assertion is None:
        return _refused("no assertion", interaction)
    if not federation.use_assertion_once(services().store, response.assertion.id, int(response.not_on_or_after)):
        return _refused(f"assertion {response.assertion.id} replayed", interaction)
    return upstream.arrive(_identity(response, interaction))


def _identity(response: Any, interaction: str | None) -> upstream.Identity:
    settings = services().settings
    attributes: dict[str, list[str]] = response.ava or {}

    def first(name: str) -> str:
        values = attributes.get(name) or [""]
        return str(values[0]).strip()

    name_id: NameID = response.name_id
    session_index = response.assertion.authn_statement[0].session_index if response.assertion.authn_statement else ""
    return upstream.Identity(
        provider=PROVIDER, subject=str(name_id.text), amr=(PROVIDER,),
        join_keys=educonnect.join_keys([str(value) for value in attributes.get(educonnect.REF_ID, [])],
                                       settings.aaf.academie, settings.aaf.join_key_prefixed),
        given_name=first("givenName"), family_name=first("sn"), email=first("mail"),
        logout={"name_id": str(name_id), "session_index": session_index or ""}, interaction=interaction)


def _refused(reason: str, interaction: str | None) -> tuple[str, int]:
    """A response that does not stand the checks: nobody is signed in, the person is told."""
    log.warning("ÉduConnect response refused: %s", reason)
    audit("federation.refused", provider=PROVIDER, outcome="refused", reason=reason[:300])
    return upstream.failed(PROVIDER, "invalid", interaction)


def _leave(session_started: Upstream) -> WerkzeugResponse:
    """The ENT's « Se déconnecter »: a signed LogoutRequest to ÉduConnect, whose answer comes to
    /saml/slo. Without a logout service in ÉduConnect's metadata, the signed-out page at once."""
    provider = _provider()
    location = educonnect.slo_location(provider.config, provider.identity_provider)
    if location is None:
        return services().single_logout.back_from_upstream(upstream.PROVIDER_NAMES[PROVIDER])
    client = provider.client()
    _, logout_request = client.create_logout_request(
        location, provider.identity_provider, name_id=name_id_from_string(session_started.logout["name_id"]),
        session_indexes=[session_started.logout["session_index"]] if session_started.logout.get("session_index")
        else None)
    relay_state = secrets.token_urlsafe(24)
    sent = client.apply_binding(BINDING_HTTP_REDIRECT, str(logout_request), location, relay_state, sign=True)
    return _no_store(redirect(dict(sent["headers"])["Location"]))


@saml.get(educonnect.SLO_PATH)
def single_logout() -> WerkzeugResponse | tuple[str, int]:
    """ÉduConnect's logouts, by HTTP-Redirect and signed: its answer to the ENT's request, after
    which the signed-out page shows; or its own request (the person signed out of another of
    its services), which ends the ENT sessions it names and answers."""
    provider = _provider()
    message = {name: request.args[name] for name in ("SAMLRequest", "SAMLResponse", "RelayState", "SigAlg",
                                                     "Signature") if name in request.args}
    client = provider.client()
    if not _signed_by_educonnect(provider, client, message):
        log.warning("ÉduConnect logout refused: unsigned or badly signed")
        audit("federation.refused", provider=PROVIDER, outcome="refused", reason="logout signature")
        return upstream.failed(PROVIDER, "invalid", None)
    if "SAMLResponse" in message:
        return services().single_logout.back_from_upstream(upstream.PROVIDER_NAMES[PROVIDER])
    try:
        logout_request = client.parse_logout_request(message["SAMLRequest"], BINDING_HTTP_REDIRECT)
    except Exception as error:
        log.warning("ÉduConnect logout request refused: %s", error)
        return upstream.failed(PROVIDER, "invalid", None)
    if logout_request is None:
        return upstream.failed(PROVIDER, "invalid", None)
    ended = _end_sessions_named_by(logout_request.message)
    audit("session.ended", provider=PROVIDER, reason="upstream_logout", sessions=ended)
    answer = client.create_logout_response(logout_request.message, [BINDING_HTTP_REDIRECT], status=None,
                                           sign=False)
    location = educonnect.slo_location(provider.config, provider.identity_provider) or ""
    sent = client.apply_binding(BINDING_HTTP_REDIRECT, str(answer), location, message.get("RelayState", ""),
                                response=True, sign=True)
    return _no_store(redirect(dict(sent["headers"])["Location"]))


def _end_sessions_named_by(logout_request: Any) -> int:
    """Ends the ENT sessions signed in through the ÉduConnect session the request names."""
    wanted = {str(index.text) for index in logout_request.session_index or []}
    ended = 0
    for started in federation.sessions_of_subject(services().store, PROVIDER, str(logout_request.name_id.text)):
        if wanted and started.logout.get("session_index") not in wanted:
            continue
        federation.take_session(services().store, started.session_digest)
        row = sso_sessions.find(services().store, started.session_digest)
        if row is not None and row.ended_at is None:
            services().sessions.end_by_digest(started.session_digest, row.login)
            ended += 1
    return ended


def _signed_by_educonnect(provider: EduConnect, client: Saml2Client, message: dict[str, str]) -> bool:
    if "Signature" not in message or "SigAlg" not in message:
        return False
    backend = client.sec.sec_backend
    for certificate in educonnect.signing_certificates(provider.config, provider.identity_provider):
        try:
            if verify_redirect_signature(message, backend, cert=certificate):
                return True
        except Exception:  # an algorithm it does not know, a malformed signature
            return False
    return False


@saml.get(educonnect.METADATA_PATH)
def metadata() -> Response:
    return Response(_provider().metadata, mimetype="application/samlmetadata+xml")


def _no_store(response: WerkzeugResponse) -> WerkzeugResponse:
    response.headers["Cache-Control"] = "no-store"
    return response

