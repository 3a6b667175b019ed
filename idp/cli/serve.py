"""`ent-idp serve`: the production server (gunicorn)."""
from __future__ import annotations

import argparse

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
    from idp.server import serve
    serve(settings_of(args), host=args.host, port=args.port, workers=args.workers, connections=args.connections)
    return 0
