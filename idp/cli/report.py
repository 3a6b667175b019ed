"""`ent-idp report activation`: who has activated their account, per school, profile and class."""
from __future__ import annotations

import argparse
import csv
import io
from typing import Any

from idp.provisioning.activation import COUNTS, Line, activation_report
from idp.provisioning.schools import normalize_uai, uai_problem
from idp.services import Services
from idp.store.schools import names_by_uai

from .common import CommandError, Commands, print_result, settings_of


def register(commands: Commands) -> None:
    reports = commands.add_parser("report", help="rapports sur les comptes").add_subparsers(metavar="RAPPORT")
    activation = reports.add_parser("activation", help="qui a activé son compte, par établissement, profil et classe")
    activation.add_argument("--school", metavar="UAI", help="un seul établissement")
    output = activation.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="un objet JSON")
    output.add_argument("--csv", action="store_true", help="une ligne CSV par établissement, profil et classe")
    activation.set_defaults(run=_activation)


def _activation(args: argparse.Namespace) -> int:
    school = normalize_uai(args.school) if args.school else None
    if school and uai_problem(school):
        raise CommandError(uai_problem(school) or "")
    settings = settings_of(args)
    services = Services(settings)
    report = activation_report(services.directory.accounts(school=school), school)
    names = {**names_by_uai(services.store), **settings.schools}
    if args.csv:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["school", "name", "profile", "class", *COUNTS])
        for line in report.lines:
            writer.writerow([line.school, names.get(line.school, ""), line.profile, line.class_name or "",
                             *(line.counts[name] for name in COUNTS)])
        print(out.getvalue(), end="")
        return 0
    data: dict[str, Any] = {"schools": [
        {"school": uai, "name": names.get(uai), **total.counts,
         "lines": [{"profile": line.profile, "class": line.class_name, **line.counts}
                   for line in report.lines if line.school == uai]}
        for uai, total in report.schools.items()]}
    text: list[str] = []
    for uai, total in report.schools.items():
        text.append(f"{uai} {names.get(uai, '')}".rstrip() + " : " + _counted(total))
        text.extend(f"  {line.profile}{' ' + line.class_name if line.class_name else ''} : {_counted(line)}"
                    for line in report.lines if line.school == uai)
    print_result(args, data, text or ["aucun compte"])
    return 0


def _counted(line: Line) -> str:
    counts = line.counts
    share = f" ({round(100 * counts['active'] / counts['accounts'])} %)" if counts["accounts"] else ""
    return (f"{counts['accounts']} comptes, {counts['active']} activés{share}, {counts['pending']} en attente "
            f"dont {counts['expired']} codes expirés, {counts['locked']} verrouillés, {counts['disabled']} désactivés")
