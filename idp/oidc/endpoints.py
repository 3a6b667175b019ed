"""HTTP endpoints of the provider (the ones discovery names)."""
from __future__ import annotations

import base64
from urllib.parse import parse_qsl, urlencode, urlsplit

from authlib.integrations.flask_oauth2.requests import FlaskOAuth2Request
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import InvalidRequestError, OAuth2Request
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from authlib.oidc.core.errors import ConsentRequiredError, LoginRequiredError
from flask import Blueprint, jsonify, render_template, request, url_for
from flask_babel import gettext
from flask_wtf.csrf import CSRFError, validate_csrf
from joserfc import jwt
from joserfc.errors import JoseError
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response
from wtforms import ValidationError

from idp import interactions
from idp.audit import audit
from idp.i18n import N_
from idp.interactions import ConsentWanted, Demands, Need
from idp.services import services
from idp.sessions import SignedIn, SsoSessions
from idp.store import Client

from .claims import SCOPE_CLAIMS, SUPPORTED_CLAIMS

oidc = Blueprint("oidc", __name__, template_folder="templates")
PROTOCOL = "oidc"

RESPONSE_MODES = ("query", "form_post")
"""How an authorization response reaches the app: in the redirect URI's query, or posted
to it by a page (OAuth 2.0 Form Post Response Mode)."""

INCORRECT_REQUEST = N_("La demande de connexion de l’application est incorrecte.")


@oidc.get("/.well-known/openid-configuration")
def discovery() -> Response:
    issuer = services().provider.issuer
    response = jsonify({
        "issuer": issuer,
        "authorization_endpoint": issuer + url_for("oidc.authorize"),
        "token_endpoint": issuer + url_for("oidc.token"),
        "userinfo_endpoint": issuer + url_for("oidc.userinfo"),
        "jwks_uri": issuer + url_for("oidc.jwks"),
        "revocation_endpoint": issuer + url_for("oidc.revoke"),
        "end_session_endpoint": issuer + url_for("oidc.logout"),
        "scopes_supported": ["openid", *SCOPE_CLAIMS, "offline_access"],
        "response_types_supported": ["code"],
        "response_modes_supported": list(RESPONSE_MODES),
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "code_challenge_methods_supported": ["S256"],
        "introspection_endpoint": issuer + url_for("oidc.introspect"),
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "claims_supported": list(SUPPORTED_CLAIMS),
        "claim_types_supported": ["normal"],
        "claims_parameter_supported": False,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "require_request_uri_registration": False,
        "authorization_response_iss_parameter_supported": True,
        "prompt_values_supported": ["none", "login", "consent"],
        "display_values_supported": ["page", "popup"],
        "ui_locales_supported": ["fr", "en"],
        "acr_values_supported": ["1"],
        "backchannel_logout_supported": True,
        "backchannel_logout_session_supported": True,
        "frontchannel_logout_supported": True,
        "frontchannel_logout_session_supported": True,
        "service_documentation": issuer + "/",
    })
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@oidc.get("/jwks.json")
def jwks() -> Response:
    response = jsonify(services().provider.keys.public_jwks())
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = f"public, max-age={services().provider.keys.cache_seconds}"
    return response


@oidc.route("/authorize", methods=["GET", "POST"])
def authorize() -> interactions.Answer:
    return answer_authorization(FlaskOAuth2Request(request), {key: value for key, value in request.values.items()})


def resume_authorization(waiting: interactions.Interaction) -> interactions.Answer:
    """The authorization request kept while the person signed in or consented, answered now."""
    kept = KeptAuthorizationRequest(request.host_url.rstrip("/") + url_for("oidc.authorize"), waiting.request)
    return answer_authorization(kept, waiting.request, waiting)


def answer_authorization(oauth_request: OAuth2Request, params: dict[str, str],
                         waiting: interactions.Interaction | None = None) -> interactions.Answer:
    """Checks, in order: client and redirect URI (an error page, never a redirect),
    the request itself, then whether a person must sign in or consent (`waiting`: the
    request as kept while they did)."""
    provider = services().provider
    form_post = params.get("response_mode") == "form_post"
    try:
        grant = provider.server.get_consent_grant(oauth_request, end_user=services().sessions.current())
    except OAuth2Error as error:
        return _authorization_error(error, None, form_post=form_post)
    except ValueError:  # Authlib refuses to word an error with what was sent (control or non-ASCII characters)
        return render_template("sign_in_impossible.html", error=gettext(INCORRECT_REQUEST)), 400
    redirect_uri, state = grant.redirect_uri, params.get("state")
    client = grant.request.client
    try:
        for unsupported in ("request", "request_uri"):
            if unsupported in params:
                refusal = InvalidRequestError(f"'{unsupported}' is not supported", redirect_uri=redirect_uri)
                refusal.error = f"{unsupported}_not_supported"
                raise refusal
        if params.get("response_mode") and params["response_mode"] not in RESPONSE_MODES:
            raise InvalidRequestError("Unsupported 'response_mode'", redirect_uri=redirect_uri)
        if waiting and waiting.denied:
            interactions.finish(waiting.id)
            return _in_mode(provider.server.create_authorization_response(grant.request, grant_user=None, grant=grant),
                            redirect_uri, client, form_post=form_post)
        prompts = set(params.get("prompt", "").split())
        demands = _demands(params, prompts, client, grant.request.scope)
        verdict = interactions.person_for(demands, waiting)
        if verdict.need is not None:
            if "none" in prompts:
                raise (LoginRequiredError if verdict.need is Need.SIGN_IN else ConsentRequiredError)(
                    redirect_uri=redirect_uri)
            return interactions.ask(PROTOCOL, verdict.need, params, client.name, login_hint=params.get("login_hint"),
                                    consent=demands.consent)
    except OAuth2Error as error:
        error.state = state
        error.redirect_uri = error.redirect_uri or redirect_uri  # the client and its URI are known by now
        return _authorization_error(error, client, form_post=form_post)
    if waiting:
        interactions.finish(waiting.id)
    person = verdict.person
    assert person is not None  # no need left: someone is signed in
    audit("oidc.authorized", login=person.login, client=client.client_id)
    return _in_mode(provider.server.create_authorization_response(grant.request, grant_user=person, grant=grant),
                    redirect_uri, client, form_post=form_post)


def _in_mode(response: Response, redirect_uri: str | None, client: Client | None, *, form_post: bool) -> Response:
    """An authorization response (a redirect to the app) as the request's response_mode
    wants it: as is, or as a page that posts its parameters to the redirect URI, by itself
    (static/auto-submit.js: the CSP allows no inline script) or with its button. The
    parameters are those the response added to the registered URI's own query."""
    if not form_post or not response.location or not redirect_uri:
        return response
    own = len(parse_qsl(urlsplit(redirect_uri).query, keep_blank_values=True))
    fields = parse_qsl(urlsplit(response.location).query, keep_blank_values=True)[own:]
    page = Response(render_template("oidc/form_post.html", action=redirect_uri, fields=fields,
                                    app_name=client.name if client is not None else None))
    page.headers["Cache-Control"] = "no-store"
    page.headers["Pragma"] = "no-cache"
    return page


class KeptAuthorizationRequest(OAuth2Request):
    """An authorization request as kept in the flow cookie, for Authlib to answer now."""

    def __init__(self, uri: str, params: dict[str, str]) -> None:
        super().__init__("GET", uri + "?" + urlencode(params))
        self.payload = BasicOAuth2Payload(params)
        self._args = MultiDict(params)

    @property
    def args(self) -> MultiDict:
        return self._args

    @property
    def form(self) -> MultiDict:
        return MultiDict()


def _demands(params: dict[str, str], prompts: set[str], client: Client, scope: str) -> Demands:
    """What an authorization request demands of the person: prompt=login, max_age, an
    id_token_hint naming someone, consent for a third-party app."""
    max_age = params.get("max_age")
    if max_age is not None and not (max_age.isascii() and max_age.isdigit()):
        raise InvalidRequestError("Invalid 'max_age'")
    subject = None
    if params.get("id_token_hint"):
        try:
            claims = jwt.decode(params["id_token_hint"], services().provider.keys.verification_keys(),
                                algorithms=["RS256"]).claims
        except (JoseError, ValueError):
            raise InvalidRequestError("Invalid 'id_token_hint'") from None
        subject = claims.get("sub")
    consent = None if client.first_party else ConsentWanted(client.client_id, scope, ask_again="consent" in prompts)
    return Demands(fresh="login" in prompts, max_age=int(max_age) if max_age is not None else None,
                   subject=subject, consent=consent)


@oidc.post("/token")
def token() -> Response:
    return _unreadable_credentials() or services().provider.server.create_token_response()


@oidc.route("/userinfo", methods=["GET", "POST"])
def userinfo() -> Response:
    """Bearer token in the Authorization header, or `access_token` in a form body (RFC 6750)."""
    header = request.headers.get("Authorization", "")
    access_token = header[7:].strip() if header[:7].lower() == "bearer " else request.form.get("access_token")
    provider = services().provider
    row = provider.token_for(access_token) if access_token else None
    if row is None or "openid" not in row.scope.split():
        response = jsonify({"error": "invalid_token"})
        response.status_code = 401
        response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"' if access_token else "Bearer"
        return response
    try:
        claims = row.claims if row.claims is not None else provider.claims(row.login, row.scope)
    except OAuth2Error:
        return _unauthorized()
    response = jsonify(claims)
    response.headers["Cache-Control"] = "no-store"
    return response


@oidc.post("/revoke")
def revoke() -> Response:
    return _unreadable_credentials() or services().provider.server.create_endpoint_response("revocation")


def _unreadable_credentials() -> Response | None:
    """An Authorization header that cannot be read (no credentials after its scheme, Basic
    credentials that are not base64 of UTF-8): invalid_client, as for wrong credentials,
    rather than letting Authlib trip over it."""
    header = request.headers.get("Authorization", "")
    if " " not in header:
        return None
    parts = header.split(None, 1)
    try:
        if len(parts) < 2:
            raise ValueError("no credentials")
        if parts[0].lower() == "basic":
            base64.b64decode(parts[1]).decode("utf-8")
    except ValueError:
        response = jsonify({"error": "invalid_client", "error_description": "unreadable Authorization header"})
        response.status_code = 401
        response.headers["WWW-Authenticate"] = 'Basic realm="ent-idp"'
        return response
    return None


@oidc.post("/introspect")
def introspect() -> Response:
    """RFC 7662: what a confidential client's resource server may know of one of its tokens."""
    response = _unreadable_credentials() or services().provider.server.create_endpoint_response("introspection")
    response.headers["Cache-Control"] = "no-store"
    return response


@oidc.route("/logout", methods=["GET", "POST"])
def logout() -> Response | str | tuple[str, int]:
    """RP-initiated logout, and the ENT's own « Se déconnecter » (a POST with the CSRF token).
    An id_token_hint confirms only when it names the person signed in, in this very session:
    otherwise the person is asked (a page anywhere cannot sign a pupil out by a link).
    Redirection only to a registered URI."""
    provider, sessions = services().provider, services().sessions
    try:
        end_request = provider.server.validate_endpoint_request("end_session")
    except OAuth2Error as error:
        return render_template("sign_in_impossible.html", error=error.description or error.error), 400
    signed_in = sessions.current()
    confirmed = signed_in is None or _names_this_session(end_request.id_token_claims, signed_in)
    if request.method == "POST" and not confirmed:
        try:
            validate_csrf(request.form.get("csrf_token"))
            confirmed = True
        except (ValidationError, CSRFError):
            confirmed = False
    if not confirmed:
        return render_template("oidc/logout_confirm.html", params=request.values,
                               client_name=end_request.client.name if end_request.client else None)
    login = sessions.end_current()  # before the page is drawn: its header shows nobody signed in
    if login:
        audit("session.ended", login=login, client=end_request.client.client_id if end_request.client else None)
    response = provider.server.create_endpoint_response("end_session", end_request)
    return response if response is not None else services().single_logout.signed_out_page(
        signed_in.session_digest if signed_in else None)


def _names_this_session(claims: dict | None, signed_in: SignedIn) -> bool:
    """Whether an ID token's claims are those of the person signed in, in this session (`sid`)."""
    if not claims:
        return False
    return claims.get("sub") == signed_in.sub and claims.get("sid") == SsoSessions.sid(signed_in.session_digest)


def _authorization_error(error: OAuth2Error, client: Client | None, *, form_post: bool = False
                         ) -> Response | tuple[str, int]:
    """Back to the client when its redirect URI is known and valid (in the response mode
    asked for); otherwise a page here."""
    if error.redirect_uri:
        provider = services().provider
        response = provider.server.handle_error_response(None, error)
        if response.location:
            response.location = _with_issuer(response.location, provider.issuer)
        return _in_mode(response, error.redirect_uri, client, form_post=form_post)
    return render_template("sign_in_impossible.html", error=_french(error)), 400


def _with_issuer(location: str, issuer: str) -> str:
    from authlib.common.urls import add_params_to_uri
    return add_params_to_uri(location, {"iss": issuer})


def _french(error: OAuth2Error) -> str:
    description = error.description or ""
    if "client" in description and "not exist" in description or error.error == "invalid_client":
        return gettext("Cette application n’est pas enregistrée auprès de l’ENT.")
    if "redirect_uri" in description.lower() or "Redirect URI" in description:
        return gettext("L’adresse de retour de l’application n’est pas enregistrée auprès de l’ENT.")
    return gettext(INCORRECT_REQUEST)


def _unauthorized() -> Response:
    response = jsonify({"error": "invalid_token"})
    response.status_code = 401
    response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    return response
