"""`ent-idp cas …`: the colleges' applications that sign in with CAS (Pronote, Moodle, GEPI)."""
from __future__ import annotations

import argparse

from idp.cas import services as cas_services

from .common import Commands, add_json_option, human, open_store, print_result, schools_option, settings_of


def register(commands: Commands) -> None:
    cas = commands.add_parser("cas", help="applications des collèges (CAS : Pronote, Moodle, GEPI…)").add_subparsers(
        metavar="ACTION")
    add = cas.add_parser("add", help="enregistre une application CAS")
    add.add_argument("--name", required=True)
    add.add_argument("--service", action="append", required=True, metavar="URL",
                     help="adresse de l'application ; ses sous-chemins en font partie (répétable)")
    add.add_argument("--attributes", choices=list(cas_services.PROFILES), default=cas_services.DEFAULT,
                     help="attributs transmis : default, ou pronote (nom, prenom, categories…)")
    add.add_argument("--school", action="append", default=[], metavar="UAI",
                     help="collège dont la page d'accueil la montre (répétable ; par défaut : tous)")
    add.set_defaults(run=_add)
    cas.add_parser("list", help="liste les applications CAS").set_defaults(run=_list)
    for name, run, text in (("show", _show, "détails d'une application CAS"),
                            ("remove", _remove, "supprime une application CAS")):
        command = cas.add_parser(name, help=text)
        command.add_argument("service_id", metavar="ID")
        command.set_defaults(run=run)
    for command in cas.choices.values():
        add_json_option(command)


def _add(args: argparse.Namespace) -> int:
    schools = schools_option(args.school)
    record = cas_services.add(open_store(settings_of(args)), name=args.name, services=args.service,
                              attributes=args.attributes, schools=schools)
    print_result(args, cas_services.as_json(record), [f"id : {record.id}", *_lines(record)[1:]])
    return 0


def _list(args: argparse.Namespace) -> int:
    records = cas_services.list_services(open_store(settings_of(args)))
    print_result(args, {"cas_services": [cas_services.as_json(record) for record in records]},
                 [f"{record.id}\t{record.name}\t{' '.join(record.services)}" for record in records]
                 or ["aucune application CAS"])
    return 0


def _show(args: argparse.Namespace) -> int:
    record = cas_services.show(open_store(settings_of(args)), args.service_id)
    print_result(args, cas_services.as_json(record), _lines(record))
    return 0


def _remove(args: argparse.Namespace) -> int:
    cas_services.remove(open_store(settings_of(args)), args.service_id)
    print_result(args, {"id": args.service_id, "removed": True}, [f"{args.service_id} : supprimée"])
    return 0


def _lines(record: cas_services.RegisteredService) -> list[str]:
    return [f"{key} : {human(value)}" for key, value in cas_services.as_json(record).items()]
