"""`ent-idp audit list`: the security events, newest first, filtered as an admin asks."""
from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any

from idp.audit import AuditLog, read_events

from .common import CommandError, Commands, add_json_option, print_result, settings_of


def register(commands: Commands) -> None:
    audit_events = commands.add_parser("audit", help="journal des événements de sécurité").add_subparsers(
        metavar="ACTION")
    audit_list = audit_events.add_parser("list", help="les événements, les plus récents d'abord")
    audit_list.add_argument("--login", help="ceux d'un identifiant")
    audit_list.add_argument("--since", type=_moment, metavar="DATE",
                            help="depuis cette date (2026-12-01, ou 2026-12-01T08:30)")
    audit_list.add_argument("--event", metavar="E", help="un événement (login.failed) ou une famille (login)")
    audit_list.set_defaults(run=_list)
    add_json_option(audit_list)


def _list(args: argparse.Namespace) -> int:
    settings = settings_of(args)
    path = AuditLog(settings.audit_log, settings.instance_dir).path
    if path is None:
        raise CommandError(f"le journal d'audit n'est pas un fichier (audit_log = {settings.audit_log!r}) : "
                           "lisez-le là où il est envoyé")
    events = [event for event in read_events(path)
              if (not args.login or event.get("login") == args.login.lower())
              and (not args.event or event.get("event") == args.event
                   or str(event.get("event", "")).startswith(args.event.rstrip(".") + "."))
              and (args.since is None or str(event.get("time", "")) >= args.since)]
    print_result(args, {"events": events}, [_event_line(event) for event in events] or ["aucun événement"])
    return 0


def _event_line(event: dict[str, Any]) -> str:
    known = ("time", "event", "outcome", "login", "address", "client")
    moment = datetime.fromisoformat(str(event["time"]).replace("Z", "+00:00")).astimezone()
    details = " ".join(f"{key}={value}" for key, value in event.items() if key not in known)
    columns = [moment.strftime("%d/%m/%Y %H:%M:%S"), str(event.get("event")), str(event.get("outcome", ""))]
    columns += [str(event.get(key) or "—") for key in ("login", "address", "client")]
    return "\t".join([*columns, details]).rstrip()


def _moment(text: str) -> str:
    """A date or date and time typed by an admin, as the UTC ISO form the audit log compares."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"date invalide : {text!r} (exemple : 2026-12-01 ou 2026-12-01T08:30)") from None
    if moment.tzinfo is None:
        moment = moment.astimezone()
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
