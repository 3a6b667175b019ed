"""Serving the provider: gunicorn in production, Werkzeug for the demo."""
from __future__ import annotations

import io
import logging
import signal
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

import gevent
from flask import Flask
from gunicorn import glogging
from werkzeug.serving import WSGIRequestHandler, make_server

from idp.app import create_app
from idp.config import Settings, SettingsError
from idp.directory import DirectoryError, connect

KEEPALIVE_SECONDS = 5
"""gunicorn's gevent worker reads each request header (and waits for the next one on a kept
connection) under a timeout of this many seconds: a header that never ends costs a greenlet
for that long, then its connection is dropped."""
BODY_TIMEOUT_SECONDS = 10
"""How long a client has to send a whole request body (see WholeBodies)."""
MAX_BODY_BYTES = 64 * 1024
"""The app's own limit (MAX_CONTENT_LENGTH, idp.app): a larger body is not read at all, the
app answers 413 from its Content-Length."""

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def serve(settings: Settings, *, host: str, port: int, workers: int, connections: int = 1000) -> None:
    """gunicorn with `workers` processes of gevent's greenlets, up to `connections` connections
    each: a slow client (half a header, a body that never ends) then holds a greenlet for a few
    seconds, not a thread for ever. Each worker opens its own directory connections (see
    idp.directory.connection)."""
    from gunicorn.app.base import BaseApplication

    if workers > 1 and settings.rate_limits and settings.ratelimit_storage_url.startswith("memory://"):
        raise SettingsError([f"ratelimit_storage_url : memory:// ne compte que dans un processus ; avec {workers} "
                             "processus, les limites ne tiendraient pas : choisissez database ou redis://…"])
    apply_lockout_policy(settings)

    class GunicornApplication(BaseApplication):
        def load_config(self) -> None:
            for key, value in {
                "bind": f"{host}:{port}", "workers": workers, "worker_class": "gevent",
                "worker_connections": connections, "keepalive": KEEPALIVE_SECONDS,
                "accesslog": "-", "logger_class": AccessLog,
                # The app reads the forwarded headers itself, from trusted hops only (idp.proxy).
                "forwarded_allow_ips": "",
                "control_socket_disable": True,  # unused; instances on one machine would share its path
            }.items():
                self.cfg.set(key, value)

        def load(self) -> WsgiApp:
            return WholeBodies(create_app(settings))

    GunicornApplication().run()


class WholeBodies:
    """WSGI middleware: reads each request body whole, within BODY_TIMEOUT_SECONDS, before the
    app sees it. gunicorn's gevent worker times out header reads only: a body that never ends
    would otherwise hold its greenlet, its connection and whatever the app had taken before
    reading the form. Needs gevent's cooperative sockets (the gevent worker)."""

    def __init__(self, app: WsgiApp, timeout: float = BODY_TIMEOUT_SECONDS, limit: int = MAX_BODY_BYTES) -> None:
        self.app, self.timeout, self.limit = app, timeout, limit

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("HTTP_TRANSFER_ENCODING"):
            return _refuse(start_response, "411 Length Required", "Requête refusée : indiquez la taille du corps "
                                                                  "(Content-Length).")
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if length < 0:
            return _refuse(start_response, "400 Bad Request", "Requête refusée : taille du corps invalide.")
        if length == 0:
            return self.app(environ, start_response)
        if length > self.limit:  # not worth reading: the app refuses it (413) from its Content-Length
            _close_connection(start_response)
            environ["wsgi.input"] = io.BytesIO()
            return self.app(environ, start_response)
        timeout = gevent.Timeout(self.timeout)
        timeout.start()
        try:
            body = environ["wsgi.input"].read(length)
        except gevent.Timeout as error:
            if error is not timeout:
                raise
            return _refuse(start_response, "408 Request Timeout", "Requête trop lente : la connexion a été fermée.")
        finally:
            timeout.close()
        if len(body) < length:  # the client went away mid-body
            return _refuse(start_response, "400 Bad Request", "Requête incomplète : la connexion a été fermée.")
        environ["wsgi.input"] = io.BytesIO(body)
        return self.app(environ, start_response)


def _refuse(start_response: Callable[..., Any], status: str, text: str) -> list[bytes]:
    """A one-line answer, after which the connection is closed."""
    body = (text + "\n").encode()
    _close_connection(start_response)
    start_response(status, [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body))),
                            ("Connection", "close")])
    return [body]


def _close_connection(start_response: Callable[..., Any]) -> None:
    """Closes the connection after this response: what is left of the request body is still
    on it. gunicorn drops a Connection header set by the app (hop by hop) and decides by itself,
    so its response, whose method start_response is, is told directly."""
    force_close = getattr(getattr(start_response, "__self__", None), "force_close", None)
    if callable(force_close):
        force_close()


class AccessLog(glogging.Logger):
    """gunicorn's logger, with a shorter access line: address, time, method, path without
    its query (login hints and interaction ids stay out of the logs), status, size and
    duration. gunicorn's own format costs about a millisecond per sign-in."""

    def access(self, resp, req, environ, request_time) -> None:
        if self.access_log_enabled:
            status = resp.status.split(None, 1)[0] if isinstance(resp.status, str) else resp.status
            self.access_log.info('%s [%s] "%s %s" %s %s %.1fms', environ.get("REMOTE_ADDR", "-"),
                                 time.strftime("%d/%b/%Y:%H:%M:%S %z"), environ["REQUEST_METHOD"],
                                 environ.get("PATH_INFO", ""), status, getattr(resp, "sent", "-"),
                                 request_time.total_seconds() * 1000)


DIRECTORY_LOCKOUT_FACTOR = 2
"""The directory's password policy locks at this many times `accounts.lockout_failures`: a
backstop behind the provider's own counters (idp.signin), which refuse first."""


def apply_lockout_policy(settings: Settings) -> None:
    """Keeps the directory's default password policy in line with the settings."""
    ldap, accounts = settings.ldap, settings.accounts
    directory = connect(ldap.url, ldap.base_dn, ldap.bind_dn, ldap.bind_password, ldap.timeout)
    try:
        directory.configure_lockout(accounts.lockout_failures * DIRECTORY_LOCKOUT_FACTOR,
                                    accounts.lockout_minutes * 60)
    except DirectoryError as error:
        logging.getLogger(__name__).warning("password policy not updated: %s", error)


def closing_bodies(app: Callable[..., Iterable[bytes]]) -> Callable[..., Iterable[bytes]]:
    """`app` for Werkzeug's server, each response body closed even when the client hangs up:
    after the body, that server reads what is left of the request, a reset connection raises
    there, and it never calls the body's `close()` (a file sent stays open until the garbage
    collector finds it). The body goes through a generator whose `finally` closes it."""
    def wrapped(environ: dict, start_response: Callable[..., Any]) -> Iterable[bytes]:
        body = app(environ, start_response)

        def chunks() -> Iterable[bytes]:
            try:
                yield from body
            finally:
                close = getattr(body, "close", None)
                if close is not None:
                    close()
        return chunks()
    return wrapped


def serve_until_stopped(sites: list[tuple[Flask, str, int]], on_ready: Any = None) -> None:
    """Serves each (app, host, port) with Werkzeug (threads) until Ctrl-C or SIGTERM."""
    servers = [make_server(host, port, closing_bodies(app), threaded=True, request_handler=QuietRequestLog)
               for app, host, port in sites]
    threads = [threading.Thread(target=server.serve_forever, daemon=True) for server in servers[1:]]

    def shut_down(*_: object) -> None:
        for server in servers:
            threading.Thread(target=server.shutdown, daemon=True).start()

    previous = signal.signal(signal.SIGTERM, shut_down)
    try:
        for thread in threads:
            thread.start()
        if on_ready:
            on_ready()
        servers[0].serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        for server in servers[1:]:
            server.shutdown()
        for server in servers:
            server.server_close()



class QuietRequestLog(WSGIRequestHandler):
    """Werkzeug's request log (the demo's) without the query string: reset links and login
    hints carry secrets or personal data, and stay out of the log."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        self.log("info", '"%s %s" %s %s', self.command, self.path.split("?", 1)[0], code, size)
