"""The `ent-idp` command (contract: CONTRACTS.md; usage: README.md): one module per group
of commands, each adding its parsers in `register`.

Errors end with a non-zero exit and one clear line per problem on stderr, never a
traceback; `--json` prints exactly one JSON object on stdout.
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from idp import clients as client_registry
from idp.cas.services import ServiceError
from idp.config import SettingsError
from idp.contact import ContactError
from idp.directory import DirectoryError
from idp.provisioning.csv_import import CsvFileError
from idp.provisioning.logins import LoginError
from idp.store import SchemaError

from . import accounts, audit, cas, clients, conformance, db, demo, help_requests, keys, outbox, report, serve
from .common import EXIT_ERROR, EXIT_SOME_LINES_REJECTED, CommandError

__all__ = ["EXIT_ERROR", "EXIT_SOME_LINES_REJECTED", "CommandError", "main"]

GROUPS = (demo, accounts, report, clients, cas, keys, outbox, help_requests, audit, conformance, serve, db)
"""In the order `ent-idp --help` lists them."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return EXIT_ERROR
    try:
        return args.run(args) or 0
    except SettingsError as error:
        for problem in error.problems:
            print(f"ent-idp : réglages : {problem}", file=sys.stderr)
    except (CommandError, DirectoryError, CsvFileError, LoginError, ContactError, client_registry.ClientError,
            ServiceError, SchemaError, OSError) as error:
        print(f"ent-idp : {error}", file=sys.stderr)
    except KeyboardInterrupt:
        print("ent-idp : interrompu", file=sys.stderr)
    except Exception as error:  # the contract: never a traceback
        print(f"ent-idp : erreur inattendue ({type(error).__name__}: {error})", file=sys.stderr)
    return EXIT_ERROR


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ent-idp", description="Service de connexion de l'ENT.")
    parser.add_argument("--config", metavar="FILE", help="fichier de réglages TOML (ou ENT_IDP_CONFIG)")
    commands = parser.add_subparsers(metavar="COMMAND")
    for group in GROUPS:
        group.register(commands)
    return parser
