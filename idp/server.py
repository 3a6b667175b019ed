"""Serving the provider: gunicorn in production, Werkzeug for the demo."""
from __future__ import annotations

import logging
import signal
import threading
from typing import Any

from flask import Flask

from idp.app import create_app
from idp.config import Settings
from idp.directory import DirectoryError, connect


def serve(settings: Settings, *, host: str, port: int, workers: int) -> None:
    """gunicorn with `workers` processes and a few threads each; each worker opens its
    own directory connections (see idp.directory.connection)."""
    from gunicorn.app.base import BaseApplication

    apply_lockout_policy(settings)

    class Provider(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            for key, value in {
                "bind": f"{host}:{port}", "workers": workers, "threads": 4,
                "worker_class": "gthread", "accesslog": "-",
                "forwarded_allow_ips": settings.forwarded_allow_ips,
            }.items():
                self.cfg.set(key, value)

        def load(self) -> Flask:
            return create_app(settings)

    Provider().run()


def apply_lockout_policy(settings: Settings) -> None:
    """Keeps the directory's default password policy in line with the settings."""
    ldap, accounts = settings.ldap, settings.accounts
    directory = connect(ldap.url, ldap.base_dn, ldap.bind_dn, ldap.bind_password, ldap.timeout)
    try:
        directory.configure_lockout(accounts.lockout_failures, accounts.lockout_minutes * 60)
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
