"""A college app written with the OpenID Foundation's pyoidc (PyPI `oic`), served by Werkzeug
on a port of its own: `/agenda` is its protected page, `/callback` its redirect URI, and
`/backchannel-logout` ends its sessions of the `sid` a verified logout token names
(pyoidc's own BackChannelLogoutRequest checks it against the ENT's JWKS). Its own sessions
live in memory, behind a cookie of its own, as such an app keeps them."""
from __future__ import annotations

import logging
import secrets
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from oic.oic import Client
from oic.oic.message import AuthorizationResponse, BackChannelLogoutRequest, RegistrationResponse
from oic.utils.authn.client import CLIENT_AUTHN_METHOD
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from idp.directory.slapd import free_port

COOKIE = "agenda_session"


@dataclass
class PyoidcApp:
    issuer: str
    port: int = field(default_factory=free_port)
    client: Client = field(init=False)
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    """The app's browser sessions: cookie value → {"state"} before the sign-in, {"login", "sid", "sub"} after."""
    logouts: list[dict[str, Any]] = field(default_factory=list)
    """The claims of each logout token it accepted."""
    warnings: list[str] = field(default_factory=list)
    """What pyoidc warned about while reading the ENT's metadata (logging and warnings)."""

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def page_url(self) -> str:
        return self.base_url + "/agenda"

    @property
    def redirect_uri(self) -> str:
        return self.base_url + "/callback"

    @property
    def backchannel_logout_uri(self) -> str:
        return self.base_url + "/backchannel-logout"

    def configure(self, client_id: str, client_secret: str) -> None:
        self.client = Client(client_authn_method=CLIENT_AUTHN_METHOD)
        with _recorded_warnings(self.warnings):
            self.client.provider_config(self.issuer)
        self.client.store_registration_info(RegistrationResponse(
            client_id=client_id, client_secret=client_secret, redirect_uris=[self.redirect_uri]))
        self.client.redirect_uris = [self.redirect_uri]

    def __call__(self, environ: dict, start_response: Any) -> Any:
        request = Request(environ)
        if request.path == "/agenda":
            response = self._page(request)
        elif request.path == "/callback":
            response = self._callback(request)
        elif request.path == "/backchannel-logout" and request.method == "POST":
            response = self._backchannel_logout(request)
        else:
            response = Response("Introuvable", 404)
        return response(environ, start_response)

    def _page(self, request: Request) -> Response:
        session = self.sessions.get(request.cookies.get(COOKIE, ""))
        if session and "login" in session:
            return Response(f"Agenda de {session['login']}", content_type="text/plain; charset=utf-8")
        key, state = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
        self.sessions[key] = {"state": state, "nonce": secrets.token_urlsafe(16)}
        authorization = self.client.construct_AuthorizationRequest(request_args={
            "client_id": self.client.client_id, "response_type": "code", "scope": ["openid", "profile"],
            "redirect_uri": self.redirect_uri, "state": state, "nonce": self.sessions[key]["nonce"]})
        response = Response(status=302, headers={"Location": authorization.request(
            self.client.authorization_endpoint)})
        response.set_cookie(COOKIE, key, httponly=True, samesite="Lax")
        return response

    def _callback(self, request: Request) -> Response:
        session = self.sessions.get(request.cookies.get(COOKIE, ""))
        answer = self.client.parse_response(AuthorizationResponse, info=request.query_string.decode(),
                                            sformat="urlencoded")
        if not session or answer.get("state") != session.get("state") or "code" not in answer:
            return Response("Connexion refusée", 400)
        tokens = self.client.do_access_token_request(state=answer["state"], request_args={"code": answer["code"]},
                                                     authn_method="client_secret_basic")
        id_token = tokens["id_token"]
        if id_token["nonce"] != session["nonce"]:
            return Response("Connexion refusée", 400)
        userinfo = self.client.do_user_info_request(state=answer["state"])
        session.clear()
        session.update(login=userinfo["preferred_username"], sid=id_token["sid"], sub=id_token["sub"],
                       access_token=tokens["access_token"])
        return Response(status=302, headers={"Location": "/agenda"})

    def _backchannel_logout(self, request: Request) -> Response:
        message = BackChannelLogoutRequest().from_urlencoded(request.get_data(as_text=True))
        try:
            message.verify(keyjar=self.client.keyjar, iss=self.issuer, aud=self.client.client_id)
        except Exception:  # noqa: BLE001  # any refusal of pyoidc's is a 400 (Back-Channel Logout 1.0, 2.8)
            return Response("", 400)
        claims = message["logout_token"].to_dict()
        self.logouts.append(claims)
        for key in [key for key, session in self.sessions.items() if session.get("sid") == claims.get("sid")]:
            del self.sessions[key]
        return Response("", 200, headers={"Cache-Control": "no-store"})

    @contextmanager
    def running(self) -> Iterator[PyoidcApp]:
        server = make_server("127.0.0.1", self.port, self, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            yield self
        finally:
            server.shutdown()


class _Recorder(logging.Handler):
    def __init__(self, into: list[str]) -> None:
        super().__init__(logging.WARNING)
        self.into = into

    def emit(self, record: logging.LogRecord) -> None:
        self.into.append(f"{record.name}: {record.getMessage()}")


@contextmanager
def _recorded_warnings(into: list[str]) -> Iterator[None]:
    """pyoidc's warnings, logged (logger `oic`) or raised as Python warnings, into `into`."""
    handler, logger = _Recorder(into), logging.getLogger("oic")
    logger.addHandler(handler)
    try:
        with warnings.catch_warnings(record=True) as raised:
            warnings.simplefilter("always")
            yield
        into.extend(str(warning.message) for warning in raised)
    finally:
        logger.removeHandler(handler)
