"""`ent-idp outbox list|flush`: the outgoing mails' queue."""
from __future__ import annotations

import argparse

from .common import Commands, add_json_option, open_outbound, print_result, settings_of


def register(commands: Commands) -> None:
    outbox = commands.add_parser("outbox", help="courriels sortants (file d'attente)").add_subparsers(
        metavar="ACTION")
    outbox_list = outbox.add_parser("list", help="courriels non envoyés : en attente ou abandonnés")
    outbox_list.set_defaults(run=_list)
    outbox_flush = outbox.add_parser("flush", help="envoie maintenant tous les courriels en attente")
    outbox_flush.set_defaults(run=_flush)
    for command in (outbox_list, outbox_flush):
        add_json_option(command)


def _list(args: argparse.Namespace) -> int:
    messages = open_outbound(settings_of(args)).pending()
    print_result(args, {"messages": messages},
                 [f"{m['id']}\t{m['status']}\t{m['attempts']} essai(s)\t"
                  f"{'prochain : ' + m['next_attempt_at'] if m['next_attempt_at'] else '—'}\t{m['to']}\t{m['subject']}"
                  + (f"\n\t{m['last_error']}" if m["last_error"] else "") for m in messages]
                 or ["aucun courriel en attente"])
    return 0


def _flush(args: argparse.Namespace) -> int:
    counts = open_outbound(settings_of(args)).flush()
    print_result(args, counts, [f"{counts['sent']} envoyé(s), {counts['failed']} abandonné(s), "
                                f"{counts['waiting']} toujours en attente"])
    return 0
