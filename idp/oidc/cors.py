"""CORS for browser apps: the token, userinfo and revocation endpoints answer scripts of the
origins of public clients' redirect URIs (a single-page app signs in with PKCE and no secret),
and no other. Introspection is for servers: never. Confidential clients call from servers: their
origins get nothing either. Credentials (cookies) are never allowed: these endpoints take tokens."""
from __future__ import annotations

import time
from urllib.parse import urlsplit

from flask import Flask, Response, g, request
from sqlalchemy import select

from idp.store import Client, Store

METHODS = {"/token": "POST", "/revoke": "POST", "/userinfo": "GET, POST"}
"""The endpoints that answer CORS, and the methods a browser may use on each."""
ORIGINS_CACHE_SECONDS = 10.0
"""How long each process keeps the public clients' origins: a removed app lingers that long;
an origin not in the set reloads it, so a new app works at once."""
PREFLIGHT_MAX_AGE = "600"


def origin_of(uri: str) -> str | None:
    """scheme://host[:port] as a browser sends it in `Origin` (no default port), or None."""
    try:
        parts = urlsplit(uri)
        port = parts.port
    except ValueError:
        return None
    scheme, host = parts.scheme.lower(), parts.hostname
    if scheme not in ("http", "https") or not host:
        return None
    if ":" in host:
        host = f"[{host}]"
    default = {"http": 80, "https": 443}[scheme]
    return f"{scheme}://{host}" if port in (None, default) else f"{scheme}://{host}:{port}"


class PublicOrigins:
    """The origins of the public clients' redirect URIs, read from the store at most once per
    ORIGINS_CACHE_SECONDS, or when an origin is not among them."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._origins: frozenset[str] = frozenset()
        self._until = 0.0

    def allows(self, origin: str) -> bool:
        if origin in self._origins and time.monotonic() < self._until:
            return True
        self._reload()
        return origin in self._origins

    def _reload(self) -> None:
        lists = self.store.session.scalars(select(Client.redirect_uris).where(Client.secret_digest.is_(None)))
        self._origins = frozenset(filter(None, (origin_of(uri) for uris in lists for uri in uris)))
        self._until = time.monotonic() + ORIGINS_CACHE_SECONDS


def setup_cors(app: Flask, store: Store) -> None:
    origins = PublicOrigins(store)

    def allowed_origin() -> str | None:
        """The request's Origin if it may read the answer (asked once per request)."""
        if "cors_origin" not in g:
            origin = request.headers.get("Origin")
            g.cors_origin = origin if request.path in METHODS and origin and origins.allows(origin) else None
        return g.cors_origin

    @app.before_request
    def preflight() -> Response | None:
        if (request.method != "OPTIONS" or request.path not in METHODS
                or "Access-Control-Request-Method" not in request.headers):
            return None
        origin = allowed_origin()
        response = Response(status=204 if origin else 403)
        if origin:
            response.headers["Access-Control-Allow-Methods"] = METHODS[request.path]
            response.headers["Access-Control-Allow-Headers"] = "Authorization, Content-Type"
            response.headers["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE
        return response

    @app.after_request
    def allow_origin(response: Response) -> Response:
        if request.path in METHODS:
            response.vary.add("Origin")
            origin = allowed_origin()
            if origin:
                response.headers["Access-Control-Allow-Origin"] = origin
        return response
