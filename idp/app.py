"""The application factory: settings in, a Flask app out. Nothing is read at import time."""
from __future__ import annotations

import secrets

from flask import Flask, Response, render_template

from idp.config import Settings, SettingsError, load_settings, web_problems
from idp.directory import Directory, DirectoryUnavailable, connect

DIRECTORY = "ent_idp.directory"


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or load_settings()
    app = Flask("idp", instance_path=settings.instance_dir)
    setup_config(app, settings)
    setup_directory(app, settings)
    setup_security(app)
    setup_errors(app)
    setup_flows(app)
    return app


def setup_config(app: Flask, settings: Settings) -> None:
    problems = web_problems(settings)
    if problems:
        raise SettingsError(problems)
    app.config.update(
        SECRET_KEY=settings.secret_key or secrets.token_urlsafe(32),
        ENT_IDP=settings,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.issuer.startswith("https://"),
    )


def setup_directory(app: Flask, settings: Settings) -> None:
    ldap = settings.ldap
    app.extensions[DIRECTORY] = connect(ldap.url, ldap.base_dn, ldap.bind_dn, ldap.bind_password, ldap.timeout)

    @app.get("/healthz")
    def health() -> tuple[dict[str, str], int]:
        try:
            directory(app).ping()
        except DirectoryUnavailable:
            return {"status": "unavailable", "directory": "down"}, 503
        return {"status": "ok", "directory": "up"}, 200


def setup_security(app: Flask) -> None:
    hsts = app.config["SESSION_COOKIE_SECURE"]

    @app.after_request
    def security_headers(response: Response) -> Response:
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if hsts:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response


def setup_errors(app: Flask) -> None:
    @app.errorhandler(DirectoryUnavailable)
    def directory_unavailable(error: DirectoryUnavailable) -> tuple[str, int, dict[str, str]]:
        app.logger.error("directory unavailable: %s", error)
        return render_template("unavailable.html"), 503, {"Retry-After": "30"}

    @app.errorhandler(404)
    def not_found(error: Exception) -> tuple[str, int]:
        return render_template("not_found.html"), 404


def setup_flows(app: Flask) -> None:
    from flows import register_flows
    register_flows(app)


def directory(app: Flask) -> Directory:
    return app.extensions[DIRECTORY]
