"""The application factory: settings in, a Flask app out. Nothing is read at import time."""
from __future__ import annotations

import secrets
from importlib.metadata import entry_points

from flask import Flask, Response, render_template, request
from flask_wtf.csrf import CSRFError, CSRFProtect

from idp.apps import setup_apps
from idp.audit import EXTENSION as AUDIT_EXTENSION
from idp.audit import AuditLog
from idp.cas import setup_cas
from idp.config import Settings, SettingsError, load_settings, web_problems
from idp.contact import display_phone
from idp.csp import content_security_policy
from idp.directory import DirectoryUnavailable
from idp.federation import setup_federation
from idp.forms import field_aria, keep_what_was_typed
from idp.i18n import setup_i18n
from idp.interactions import setup_interactions
from idp.oidc import setup_oidc
from idp.proxy import TrustedHops, behind_trusted_proxies
from idp.services import EXTENSION, Services, services
from idp.theme import stylesheet
from idp.upstream import setup_upstreams

FLOWS_ENTRY_POINTS = "ent_idp.flows"


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or load_settings()
    app = Flask("idp", instance_path=settings.instance_dir)
    setup_config(app, settings)
    setup_pages(app, settings)
    setup_i18n(app)
    setup_audit(app, settings)
    setup_interactions(app)
    setup_apps(app)
    setup_services(app, settings)
    setup_upstreams(app)
    setup_security(app)
    setup_errors(app)
    setup_oidc(app)
    setup_cas(app)
    setup_federation(app)
    setup_flows(app)
    return app


def setup_config(app: Flask, settings: Settings) -> None:
    problems = web_problems(settings)
    if problems:
        raise SettingsError(problems)
    secure = settings.issuer.startswith("https://")
    app.config.update(
        SECRET_KEY=settings.secret_key or secrets.token_urlsafe(32),
        ENT_IDP=settings,
        SESSION_COOKIE_NAME="__Host-ent_flow" if secure else "ent_flow",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the flow cookie
        MAX_CONTENT_LENGTH=REQUEST_MAX_BYTES,
        MAX_FORM_MEMORY_SIZE=REQUEST_MAX_BYTES,
        MAX_FORM_PARTS=200,
    )


def setup_pages(app: Flask, settings: Settings) -> None:
    """What every page's template uses: the fields' ARIA attributes, phone numbers as people
    read them, and the ENT's colour (`theme_colour`) after the stylesheet's defaults."""
    app.jinja_env.globals["field_aria"] = field_aria
    app.jinja_env.filters["phone"] = display_phone

    @app.get("/theme.css")
    def theme_stylesheet() -> Response:
        return Response(stylesheet(settings.theme_colour), mimetype="text/css",
                        headers={"Cache-Control": "public, max-age=3600"})


def setup_audit(app: Flask, settings: Settings) -> None:
    app.extensions[AUDIT_EXTENSION] = AuditLog(settings.audit_log, settings.instance_dir)


def setup_services(app: Flask, settings: Settings) -> None:
    built = app.extensions[EXTENSION] = Services(settings, app.app_context)
    built.start_background_work()
    app.teardown_appcontext(built.store.end)

    @app.get("/healthz")
    def health() -> tuple[dict[str, str], int]:
        try:
            built.directory.ping()
        except DirectoryUnavailable:
            return {"status": "unavailable", "directory": "down"}, 503
        return {"status": "ok", "directory": "up"}, 200


OAUTH_JSON_PATHS = ("/token", "/revoke", "/userinfo", "/introspect")
"""Endpoints that answer apps in JSON, errors included."""
REQUEST_MAX_BYTES = 64 * 1024
"""The largest request body: the longest form (a help request) is a few kilobytes."""
FIELD_MAX_CHARS = 10_000
"""The longest value of any parameter (a help-desk answer takes 5,000 characters)."""
SAML_FIELDS = ("SAMLResponse", "SAMLRequest")
"""ÉduConnect's messages (an encrypted assertion and its certificates): only the request's size limits them."""


def setup_security(app: Flask) -> None:
    hsts = app.config["SESSION_COOKIE_SECURE"]
    settings: Settings = app.config["ENT_IDP"]
    CSRFProtect(app)
    app.wsgi_app = behind_trusted_proxies(  # type: ignore[method-assign,assignment]  # Flask's way to add middleware
        app.wsgi_app, TrustedHops(settings.forwarded_allow_ips))

    @app.before_request
    def refuse_impossible_parameters() -> tuple[dict[str, str] | str, int] | None:
        """A NUL character is never typed, and no field of any page takes FIELD_MAX_CHARS:
        both are refused before they reach the directory or the database (PostgreSQL rejects
        NUL in text; slapd would hash a password of megabytes)."""
        values = [value for source in (request.args, request.form) for name, items in source.lists()
                  for value in items if name not in SAML_FIELDS]
        values += [str(value) for value in (request.view_args or {}).values()]
        if any("\x00" in value for value in values):
            problem = "NUL character in a parameter"
        elif any(len(value) > FIELD_MAX_CHARS for value in values):
            problem = "parameter too long"
        else:
            return None
        if request.path in OAUTH_JSON_PATHS:
            return {"error": "invalid_request", "error_description": problem}, 400
        return render_template("bad_request.html", too_long=problem == "parameter too long",
                               max_chars=FIELD_MAX_CHARS), 400

    @app.after_request
    def security_headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", content_security_policy())
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if hsts:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if request.method == "POST":  # what was typed may be in the page (a new password kept): never stored
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.context_processor
    def signed_in_person() -> dict[str, object]:
        return {"signed_in": services().sessions.current()}


def _form_again() -> str:
    """The page of the form that expired, which shows again what was typed in it but the
    secrets (idp.forms); home for a button that is no page."""
    if request.url_rule is None or "GET" not in (request.url_rule.methods or ()):
        return "/"
    keep_what_was_typed()
    return request.path


def setup_errors(app: Flask) -> None:
    @app.errorhandler(DirectoryUnavailable)
    def directory_unavailable(error: DirectoryUnavailable) -> tuple[str, int, dict[str, str]]:
        app.logger.error("directory unavailable: %s", error)
        return render_template("unavailable.html"), 503, {"Retry-After": "30"}

    @app.errorhandler(CSRFError)
    def form_expired(error: CSRFError) -> tuple[str, int]:
        return render_template("form_expired.html", again=_form_again()), 400

    @app.errorhandler(404)
    def not_found(error: Exception) -> tuple[str, int]:
        return render_template("not_found.html"), 404

    @app.errorhandler(413)
    def too_large(error: Exception) -> tuple[dict[str, str] | str, int]:
        if request.path in OAUTH_JSON_PATHS:
            return {"error": "invalid_request", "error_description": "request too large"}, 413
        return render_template("too_large.html", max_kib=REQUEST_MAX_BYTES // 1024), 413


def setup_flows(app: Flask) -> None:
    """Plugs in the user flows: every entry point of the group `ent_idp.flows`, called with the
    app. Ours is `flows:register_flows` (pyproject.toml); a department plugs its own flows in the
    same way, from its own package, without touching the core."""
    for plugin in entry_points(group=FLOWS_ENTRY_POINTS):
        plugin.load()(app)
