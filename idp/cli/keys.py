"""`ent-idp keys rotate`: a new key signs the tokens; the older ones still verify them."""
from __future__ import annotations

import argparse
from pathlib import Path

from idp.audit import audit

from .common import Commands, add_json_option, print_result, settings_of


def register(commands: Commands) -> None:
    keys = commands.add_parser("keys", help="clés de signature des jetons").add_subparsers(metavar="ACTION")
    rotate = keys.add_parser("rotate", help="une nouvelle clé signe désormais ; les anciennes vérifient encore")
    rotate.set_defaults(run=_rotate)
    add_json_option(rotate)


def _rotate(args: argparse.Namespace) -> int:
    from idp.oidc.keys import KeyRing
    settings = settings_of(args)
    ring = KeyRing(Path(settings.instance_dir) / "keys")
    ring.ensure()
    kid = ring.rotate()
    audit("keys.rotated", kid=kid, actor="cli")
    print_result(args, {"kid": kid}, [f"nouvelle clé de signature : {kid}"])
    return 0
