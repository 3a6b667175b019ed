"""`ent-idp keys rotate`: a new key is published in the JWKS at once and signs the tokens
once the relying parties' JWKS caches have expired (`--now`: at once); the older ones
still verify them."""
from __future__ import annotations

import argparse
from pathlib import Path

from idp.audit import audit

from .common import Commands, add_json_option, print_result, settings_of


def register(commands: Commands) -> None:
    keys = commands.add_parser("keys", help="clés de signature des jetons").add_subparsers(metavar="ACTION")
    rotate = keys.add_parser("rotate", help="une nouvelle clé, publiée tout de suite, signe après le délai de cache "
                                            "du JWKS ; les anciennes vérifient encore")
    rotate.add_argument("--now", action="store_true",
                        help="la nouvelle clé signe immédiatement (urgence : une clé a fuité)")
    rotate.set_defaults(run=_rotate)
    add_json_option(rotate)


def _rotate(args: argparse.Namespace) -> int:
    from idp.oidc.keys import KeyRing
    settings = settings_of(args)
    ring = KeyRing(Path(settings.instance_dir) / "keys", settings.oidc.jwks_cache_seconds)
    ring.ensure()
    kid = ring.rotate(immediately=args.now)
    signs_from = ring.signs_from(kid)
    audit("keys.rotated", kid=kid, signs_from=signs_from, immediately=args.now, actor="cli")
    print_result(args, {"kid": kid, "signs_from": signs_from},
                 [f"nouvelle clé de signature : {kid}",
                  f"publiée dans le JWKS dès maintenant ; elle signe à partir de {signs_from}"])
    return 0
