"""`ent-idp serve`: the production server (gunicorn)."""
from __future__ import annotations

import argparse

from idp.config import Settings
from idp.store import Store

from .common import Commands, settings_of


def register(commands: Commands) -> None:
    serve = commands.add_parser("serve", help="serveur de production (gunicorn)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=2, help="processus (par défaut 2)")
    serve.add_argument("--connections", type=int, default=1000,
                       help="connexions simultanées par processus (par défaut 1000)")
    serve.set_defaults(run=_serve)


def _serve(args: argparse.Namespace) -> int:
    from idp.http_server import serve
    settings = settings_of(args)
    _check_schema(settings)
    serve(settings, host=args.host, port=args.port, workers=args.workers, connections=args.connections)
    return 0


def _check_schema(settings: Settings) -> None:
    """Before gunicorn forks: a schema to upgrade stops here with one line (SchemaError), not
    in each worker with a traceback; a new database is created once, not by every worker."""
    Store.for_instance(settings.database_url, settings.instance_dir).dispose()
