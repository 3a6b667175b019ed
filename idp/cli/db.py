"""`ent-idp db upgrade|status`: the SQL schema's migrations (idp/store/migrations)."""
from __future__ import annotations

import argparse

from sqlalchemy.engine import Engine

from idp.store.db import create_store_engine, instance_database_url
from idp.store.migrations import SchemaState, SchemaStatus, schema_status, upgrade_schema

from .common import Commands, add_json_option, print_result, settings_of


def register(commands: Commands) -> None:
    db = commands.add_parser("db", help="schéma de la base de données SQL").add_subparsers(metavar="ACTION")
    upgrade = db.add_parser("upgrade", help="applique les migrations du schéma (après une sauvegarde)")
    upgrade.set_defaults(run=_upgrade)
    status = db.add_parser("status", help="révision du schéma, et s'il faut le mettre à jour")
    status.set_defaults(run=_status)
    for command in (upgrade, status):
        add_json_option(command)


def _upgrade(args: argparse.Namespace) -> int:
    engine = _engine(args)
    try:
        before = schema_status(engine)
        _, after = upgrade_schema(engine)
    finally:
        engine.dispose()
    line = (f"schéma de la base de données déjà à jour : révision {after}" if before.current == after else
            f"schéma de la base de données : {_described(before)} → révision {after}")
    print_result(args, {"from": before.current, "to": after}, [line])
    return 0


def _status(args: argparse.Namespace) -> int:
    engine = _engine(args)
    try:
        status = schema_status(engine)
    finally:
        engine.dispose()
    print_result(args, status.facts(), [
        f"schéma de la base de données : {_described(status)}",
        f"révision du programme : {status.head}",
        "mise à jour nécessaire : ent-idp db upgrade" if status.upgrade_needed else
        ("à jour" if status.state is SchemaState.CURRENT else "plus récent que ce programme")])
    return 0


def _engine(args: argparse.Namespace) -> Engine:
    settings = settings_of(args)
    return create_store_engine(instance_database_url(settings.database_url, settings.instance_dir))


def _described(status: SchemaStatus) -> str:
    return {SchemaState.EMPTY: "vide", SchemaState.BEFORE_MIGRATIONS: "antérieur aux migrations"}.get(
        status.state, f"révision {status.current}")
