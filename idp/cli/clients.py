"""`ent-idp clients …`: the colleges' applications (OpenID Connect relying parties)."""
from __future__ import annotations

import argparse

from idp import clients as client_registry

from .common import Commands, add_json_option, human, open_store, print_result, schools_option, settings_of


def register(commands: Commands) -> None:
    clients = commands.add_parser("clients", help="applications des collèges (OpenID Connect)").add_subparsers(
        metavar="ACTION")
    client_add = clients.add_parser("add", help="enregistre une application")
    client_add.add_argument("--name", required=True)
    client_add.add_argument("--redirect-uri", action="append", required=True, metavar="URI")
    client_add.add_argument("--post-logout-redirect-uri", action="append", default=[], metavar="URI")
    client_add.add_argument("--public", action="store_true",
                            help="sans secret (application mobile ou JavaScript) : PKCE")
    client_add.add_argument("--third-party", action="store_true", help="hors ENT : consentement demandé")
    client_add.add_argument("--require-pkce", action="store_true")
    client_add.add_argument("--backchannel-logout-uri", metavar="URI",
                            help="reçoit un jeton de déconnexion quand une session ouverte pour l'application finit")
    client_add.add_argument("--frontchannel-logout-uri", metavar="URI",
                            help="page chargée (cadre caché) par la page de déconnexion de l'ENT")
    client_add.add_argument("--refresh-tokens", action="store_true",
                            help="jeton de rafraîchissement à chaque connexion, même sans le scope offline_access")
    client_add.add_argument("--school", action="append", default=[], metavar="UAI",
                            help="collège dont la page d'accueil la montre (répétable ; par défaut : tous)")
    client_add.set_defaults(run=_add)
    client_list = clients.add_parser("list", help="liste les applications")
    client_list.set_defaults(run=_list)
    for name, run in (("show", _show), ("remove", _remove)):
        command = clients.add_parser(name, help={"show": "détails d'une application",
                                                 "remove": "supprime une application"}[name])
        command.add_argument("client_id")
        command.set_defaults(run=run)
    for command in clients.choices.values():
        add_json_option(command)


def _add(args: argparse.Namespace) -> int:
    schools = schools_option(args.school)
    registered = client_registry.register(
        open_store(settings_of(args)), name=args.name, redirect_uris=args.redirect_uri,
        post_logout_redirect_uris=args.post_logout_redirect_uri, public=args.public,
        first_party=not args.third_party, require_pkce=args.require_pkce,
        backchannel_logout_uri=args.backchannel_logout_uri, frontchannel_logout_uri=args.frontchannel_logout_uri,
        refresh_tokens=args.refresh_tokens, schools=schools)
    print_result(args, {"client_id": registered.client.client_id, "client_secret": registered.client_secret},
                 [f"client_id : {registered.client.client_id}",
                  f"client_secret : {registered.client_secret or '(aucun : client public, PKCE obligatoire)'}",
                  "Conservez le secret : il ne sera plus affiché."])
    return 0


def _list(args: argparse.Namespace) -> int:
    rows = client_registry.every_client(open_store(settings_of(args)))
    print_result(args, {"clients": [client_registry.describe(row) for row in rows]},
                 [f"{row.client_id}\t{row.name}\t{' '.join(row.redirect_uris)}" for row in rows]
                 or ["aucune application"])
    return 0


def _show(args: argparse.Namespace) -> int:
    facts = client_registry.describe(client_registry.find(open_store(settings_of(args)), args.client_id))
    print_result(args, facts, [f"{key} : {human(value)}" for key, value in facts.items()])
    return 0


def _remove(args: argparse.Namespace) -> int:
    client_registry.remove(open_store(settings_of(args)), args.client_id)
    print_result(args, {"client_id": args.client_id, "removed": True}, [f"{args.client_id} : supprimée"])
    return 0
