"""`ent-idp help list|show|close`: the parents' help requests."""
from __future__ import annotations

import argparse
from datetime import datetime

from idp.audit import audit
from idp.provisioning.schools import normalize_uai, uai_problem
from idp.store import Store
from idp.store.help_requests import PROBLEMS, HelpRequest, close, find_request, requests_of

from .common import CommandError, Commands, add_json_option, human, open_store, print_result, settings_of


def register(commands: Commands) -> None:
    help_requests = commands.add_parser("help", help="demandes d'aide des parents").add_subparsers(metavar="ACTION")
    help_list = help_requests.add_parser("list", help="les demandes, les plus récentes d'abord")
    help_list.add_argument("--school", metavar="UAI", help="celles d'un collège")
    help_list.add_argument("--status", choices=["open", "closed", "all"], default="open",
                           help="ouvertes (par défaut), closes ou toutes")
    help_list.set_defaults(run=_list)
    for name, run, text in (("show", _show, "tout d'une demande"), ("close", _close, "clôt une demande")):
        command = help_requests.add_parser(name, help=text)
        command.add_argument("reference", metavar="REF", help="numéro de la demande (AIDE-K7Q-M3X)")
        command.set_defaults(run=run)
    for command in help_requests.choices.values():
        add_json_option(command)


def _list(args: argparse.Namespace) -> int:
    settings = settings_of(args)
    schools = None
    if args.school:
        schools = (normalize_uai(args.school),)
        if uai_problem(schools[0]):
            raise CommandError(uai_problem(schools[0]))
    rows = requests_of(open_store(settings), schools, None if args.status == "all" else args.status)
    print_result(args, {"requests": [row.facts() for row in rows]},
                 [f"{row.reference}\t{_local_time(row.created_at)}\t{row.status}\t{row.school}\t{row.parent_name}\t"
                  f"{PROBLEMS[row.problem]}" for row in rows] or ["aucune demande"])
    return 0


def _show(args: argparse.Namespace) -> int:
    facts = _request(open_store(settings_of(args)), args.reference).facts()
    print_result(args, facts, [f"{key} : {human(value)}" + (f" ({PROBLEMS[value]})" if key == "problem" else "")
                               for key, value in facts.items()])
    return 0


def _close(args: argparse.Namespace) -> int:
    store = open_store(settings_of(args))
    row = _request(store, args.reference)
    was_open = row.is_open
    close(store, row, "cli")
    if was_open:
        audit("help.closed", actor="cli", reference=row.reference)
    print_result(args, {"reference": row.reference, "status": row.status, "closed_at": row.facts()["closed_at"],
                        "closed_by": row.closed_by},
                 [f"{row.reference} : {'close' if was_open else 'déjà close'}"])
    return 0


def _request(store: Store, reference: str) -> HelpRequest:
    row = find_request(store, reference)
    if row is None:
        raise CommandError(f"demande d'aide inconnue : {reference}")
    return row


def _local_time(moment: int) -> str:
    return datetime.fromtimestamp(moment).astimezone().strftime("%d/%m/%Y %H:%M")
