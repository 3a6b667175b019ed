"""`ent-idp demo` and `ent-idp directory start`: the demonstration and its private slapd."""
from __future__ import annotations

import argparse
from pathlib import Path

from .common import Commands


def register(commands: Commands) -> None:
    demo = commands.add_parser("demo", help="annuaire privé, comptes de démonstration et fournisseur")
    demo.add_argument("--data-dir", type=Path, default=Path("ent-idp-demo"))
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=5000)
    demo.add_argument("--college-port", type=int, help="port de l'application de collège de démonstration (--port + 1)")
    demo.add_argument("--federation", action="store_true",
                      help="aussi « ÉduConnect (démonstration) » et « FranceConnect (démonstration) » (ports suivants)")
    demo.set_defaults(run=_demo)

    directory = commands.add_parser("directory", help="annuaire OpenLDAP privé").add_subparsers(metavar="ACTION")
    start = directory.add_parser("start", help="démarre un slapd privé (Ctrl-C l'arrête)")
    start.add_argument("--data-dir", type=Path, required=True)
    start.add_argument("--port", type=int, default=3890)
    start.add_argument("--replicas", type=int, default=1, choices=range(1, 10), metavar="N",
                       help="N slapd qui se répliquent (multi-fournisseur) sur --port, --port + 1… (1 à 9)")
    start.set_defaults(run=_directory_start)


def _demo(args: argparse.Namespace) -> int:
    from idp.demo import run_demo
    run_demo(args.data_dir, host=args.host, port=args.port, college_port=args.college_port,
             federation=args.federation)
    return 0


def _directory_start(args: argparse.Namespace) -> int:
    from idp.demo import serve_directory
    serve_directory(args.data_dir, port=args.port, replicas=args.replicas)
    return 0
