"""Serving the provider: gunicorn in production, Werkzeug for the demo."""
from __future__ import annotations

import logging
import signal
import threading
import time
from typing import Any

from flask import Flask
from gunicorn import glogging

from idp.app import create_app
from idp.config import Settings
from idp.directory import DirectoryError, connect


def serve(settings: Settings, *, host: str, port: int, workers: int, threads: int = 4) -> None:
    """gunicorn with `workers` processes of `threads` threads each; each worker opens its
    own directory connections (see idp.directory.connection)."""
    from gunicorn.app.base import BaseApplication

    apply_lockout_policy(settings)

    class Provider(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            for key, value in {
                "bind": f"{host}:{port}", "workers": workers, "threads": threads,
                "worker_class": "gthread", "accesslog": "-", "logger_class": AccessLog,
                # The app reads the forwarded headers itself, from trusted hops only (idp.proxy).
                "forwarded_allow_ips": "",
            }.items():
                self.cfg.set(key, value)

        def load(self) -> Flask:
            return create_app(settings)

    Provider().run()


class AccessLog(glogging.Logger):
    """gunicorn's logger, with a shorter access line: address, time, method, path without
    its query (login hints and interaction ids stay out of the logs), status, size and
    duration. gunicorn's own format costs about a millisecond per sign-in."""

    def access(self, resp, req, environ, request_time) -> None:  # type: ignore[no-untyped-def]
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
        directory.configure_lockout(accounts.lockout_failures * DIRECTORY_LOCKOUT_FACTOR, accounts.lockout_minutes * 60)
    except DirectoryError as error:
        logging.getLogger(__name__).warning("password policy not updated: %s", error)


def serve_until_stopped(sites: list[tuple[Flask, str, int]], on_ready: Any = None) -> None:
    """Serves each (app, host, port) with Werkzeug (threads) until Ctrl-C or SIGTERM."""
    from werkzeug.serving import make_server

    servers = [make_server(host, port, app, threaded=True) for app, host, port in sites]
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
