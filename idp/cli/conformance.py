"""`ent-idp conformance`: replays the guides in Chromium and writes the report."""
from __future__ import annotations

import argparse
import os
from pathlib import Path

from idp.config import load_settings

from .common import Commands


def register(commands: Commands) -> None:
    conformance = commands.add_parser("conformance", help="rejoue les guides dans Chromium et écrit le rapport")
    conformance.add_argument("--base-url", help="l'ENT à vérifier (défaut : une instance locale ; avec --config : "
                                                "son issuer)")
    conformance.add_argument("--report", type=Path, default=Path("conformance-report"), metavar="DIR")
    conformance.add_argument("--guide", choices=["parents", "teachers", "all"], default="all")
    conformance.add_argument("--accounts", type=Path, metavar="FILE.json",
                             help="comptes de test (format de demo.json) pour un déploiement distant")
    conformance.add_argument("--outbox", type=Path, metavar="DIR", help="dossier des courriels .eml du déploiement")
    conformance.add_argument("--publish-guides", type=Path, metavar="DIR",
                             help="après un passage sans échec, copie les guides illustrés dans DIR")
    conformance.set_defaults(run=_conformance)


def _conformance(args: argparse.Namespace) -> int:
    from conformance.report import publish_guides
    from conformance.run import run_conformance
    config = args.config or os.environ.get("ENT_IDP_CONFIG")
    base_url = args.base_url or (load_settings(config).issuer if config else None)
    code = run_conformance(base_url=base_url, report_dir=args.report, guide=args.guide, accounts=args.accounts,
                           outbox=args.outbox, config=config)
    print(f"Rapport : {(args.report / 'index.html').resolve()}")
    if args.publish_guides and code == 0:
        publish_guides(args.report, args.publish_guides)
        print(f"Guides publiés dans {args.publish_guides}")
    return code
