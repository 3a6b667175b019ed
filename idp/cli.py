"""The `ent-idp` command (contract: CONTRACTS.md; usage: README.md).

Errors end with a non-zero exit and one clear line per problem on stderr, never a
traceback; `--json` prints exactly one JSON object on stdout.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from idp.accounts import AccountService
from idp.audit import AuditLog, audit, read_events, use_for_this_process
from idp import clients as client_registry
from idp.config import Settings, SettingsError, load_settings
from idp.contact import ContactError, normalize_email, normalize_mobile
from idp.directory import Account, Directory, DirectoryError, NewAccount, Profile, connect
from idp.outbound import Outbound
from idp.provisioning.csv_import import CsvFileError, read_accounts_csv
from idp.provisioning.letters import ActivationLetter, write_letters
from idp.provisioning.logins import LoginError, clean_name
from idp.provisioning.schools import normalize_uai, uai_problem
from idp.provisioning.service import Provisioned, Provisioner
from idp.services import Services
from idp.store import Store
from idp.store.help_requests import PROBLEMS, HelpRequest, find_request, requests_of

EXIT_ERROR = 1
EXIT_SOME_LINES_REJECTED = 3


class CommandError(Exception):
    """A sentence for the admin; the command stops with EXIT_ERROR."""


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
            OSError) as error:
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

    demo = commands.add_parser("demo", help="annuaire privé, comptes de démonstration et fournisseur")
    demo.add_argument("--data-dir", type=Path, default=Path("ent-idp-demo"))
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=5000)
    demo.add_argument("--college-port", type=int, help="port de l'application de collège de démonstration (--port + 1)")
    demo.set_defaults(run=_demo)

    directory = commands.add_parser("directory", help="annuaire OpenLDAP privé").add_subparsers(metavar="ACTION")
    start = directory.add_parser("start", help="démarre un slapd privé (Ctrl-C l'arrête)")
    start.add_argument("--data-dir", type=Path, required=True)
    start.add_argument("--port", type=int, default=3890)
    start.add_argument("--replicas", type=int, default=1, choices=range(1, 10), metavar="N",
                       help="N slapd qui se répliquent (multi-fournisseur) sur --port, --port + 1… (1 à 9)")
    start.set_defaults(run=_directory_start)

    accounts = commands.add_parser("accounts", help="comptes de l'annuaire").add_subparsers(metavar="ACTION")
    add = accounts.add_parser("add", help="crée un compte en attente d'activation")
    add.add_argument("--given-name", required=True)
    add.add_argument("--surname", required=True)
    add.add_argument("--profile", required=True, choices=[profile.value for profile in Profile])
    add.add_argument("--school", action="append", default=[], metavar="UAI")
    add.add_argument("--email")
    add.add_argument("--mobile")
    add.add_argument("--child", action="append", default=[], metavar="LOGIN")
    add.add_argument("--letters", type=Path, metavar="FILE.pdf", help="lettre d'activation à imprimer")
    add.set_defaults(run=_accounts_add)

    import_ = accounts.add_parser("import", help="crée les comptes d'un export CSV")
    import_.add_argument("file", type=Path, metavar="FILE.csv")
    import_.add_argument("--letters", type=Path, metavar="FILE.pdf", help="une lettre d'activation par compte créé")
    import_.set_defaults(run=_accounts_import)

    for name, run, text in (
        ("show", _accounts_show, "état d'un compte (jamais un secret)"),
        ("reset", _accounts_reset, "remet le compte en attente avec un nouveau code"),
        ("unlock", _accounts_unlock, "lève un verrouillage"),
        ("lock", _accounts_lock, "verrouille jusqu'au déverrouillage par un administrateur"),
    ):
        command = accounts.add_parser(name, help=text)
        command.add_argument("login")
        if name == "reset":
            command.add_argument("--letters", type=Path, metavar="FILE.pdf", help="nouvelle lettre d'activation")
        command.set_defaults(run=run)

    clients = commands.add_parser("clients", help="applications des collèges (OpenID Connect)").add_subparsers(
        metavar="ACTION")
    client_add = clients.add_parser("add", help="enregistre une application")
    client_add.add_argument("--name", required=True)
    client_add.add_argument("--redirect-uri", action="append", required=True, metavar="URI")
    client_add.add_argument("--post-logout-redirect-uri", action="append", default=[], metavar="URI")
    client_add.add_argument("--public", action="store_true", help="sans secret (application mobile ou JavaScript) : PKCE")
    client_add.add_argument("--third-party", action="store_true", help="hors ENT : consentement demandé")
    client_add.add_argument("--require-pkce", action="store_true")
    client_add.set_defaults(run=_clients_add)
    client_list = clients.add_parser("list", help="liste les applications")
    client_list.set_defaults(run=_clients_list)
    for name, run in (("show", _clients_show), ("remove", _clients_remove)):
        command = clients.add_parser(name, help={"show": "détails d'une application",
                                                 "remove": "supprime une application"}[name])
        command.add_argument("client_id")
        command.set_defaults(run=run)

    keys = commands.add_parser("keys", help="clés de signature des jetons").add_subparsers(metavar="ACTION")
    rotate = keys.add_parser("rotate", help="une nouvelle clé signe désormais ; les anciennes vérifient encore")
    rotate.set_defaults(run=_keys_rotate)

    outbox = commands.add_parser("outbox", help="courriels sortants (file d'attente)").add_subparsers(
        metavar="ACTION")
    outbox_list = outbox.add_parser("list", help="courriels non envoyés : en attente ou abandonnés")
    outbox_list.set_defaults(run=_outbox_list)
    outbox_flush = outbox.add_parser("flush", help="envoie maintenant tous les courriels en attente")
    outbox_flush.set_defaults(run=_outbox_flush)

    help_requests = commands.add_parser("help", help="demandes d'aide des parents").add_subparsers(metavar="ACTION")
    help_list = help_requests.add_parser("list", help="les demandes, les plus récentes d'abord")
    help_list.add_argument("--school", metavar="UAI", help="celles d'un collège")
    help_list.add_argument("--status", choices=["open", "closed", "all"], default="open",
                           help="ouvertes (par défaut), closes ou toutes")
    help_list.set_defaults(run=_help_list)
    for name, run, text in (("show", _help_show, "tout d'une demande"), ("close", _help_close, "clôt une demande")):
        command = help_requests.add_parser(name, help=text)
        command.add_argument("reference", metavar="REF", help="numéro de la demande (AIDE-K7Q-M3X)")
        command.set_defaults(run=run)

    audit_events = commands.add_parser("audit", help="journal des événements de sécurité").add_subparsers(
        metavar="ACTION")
    audit_list = audit_events.add_parser("list", help="les événements, les plus récents d'abord")
    audit_list.add_argument("--login", help="ceux d'un identifiant")
    audit_list.add_argument("--since", type=_moment, metavar="DATE",
                            help="depuis cette date (2026-12-01, ou 2026-12-01T08:30)")
    audit_list.add_argument("--event", metavar="E", help="un événement (login.failed) ou une famille (login)")
    audit_list.set_defaults(run=_audit_list)

    conformance = commands.add_parser("conformance", help="rejoue les guides dans Chromium et écrit le rapport")
    conformance.add_argument("--base-url", help="l'ENT à vérifier (défaut : une instance locale ; avec --config : "
                                                "son issuer)")
    conformance.add_argument("--report", type=Path, default=Path("conformance-report"), metavar="DIR")
    conformance.add_argument("--guide", choices=["parents", "teachers", "all"], default="all")
    conformance.add_argument("--accounts", type=Path, metavar="FILE.json",
                             help="comptes de test (format de demo.json) pour un déploiement distant")
    conformance.add_argument("--outbox", type=Path, metavar="DIR", help="dossier des courriels .eml du déploiement")
    conformance.add_argument("--publish-guides", type=Path, metavar="DIR",
                             help="après un passage sans échec, copie les guides illustrés dans DIR")
    conformance.set_defaults(run=_conformance)

    serve = commands.add_parser("serve", help="serveur de production (gunicorn)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=2, help="processus (par défaut 2)")
    serve.add_argument("--connections", type=int, default=1000,
                       help="connexions simultanées par processus (par défaut 1000)")
    serve.set_defaults(run=_serve)

    for command in (add, import_, *(accounts.choices[name] for name in ("show", "reset", "unlock", "lock")),
                    *clients.choices.values(), rotate, outbox_list, outbox_flush, *help_requests.choices.values(),
                    audit_list):
        command.add_argument("--json", action="store_true", help="un objet JSON sur la sortie standard")
    return parser


# Commands

def _demo(args: argparse.Namespace) -> int:
    from idp.demo import run_demo
    run_demo(args.data_dir, host=args.host, port=args.port, college_port=args.college_port)
    return 0


def _directory_start(args: argparse.Namespace) -> int:
    from idp.demo import serve_directory
    serve_directory(args.data_dir, port=args.port, replicas=args.replicas)
    return 0


def _accounts_add(args: argparse.Namespace) -> int:
    settings = _settings(args)
    schools = tuple(normalize_uai(school) for school in args.school)
    for school in schools:
        if uai_problem(school):
            raise CommandError(uai_problem(school))
    person = NewAccount(
        given_name=clean_name(args.given_name), surname=clean_name(args.surname),
        profile=Profile(args.profile), schools=schools,
        recovery_email=normalize_email(args.email) if args.email else None,
        mobile=normalize_mobile(args.mobile) if args.mobile else None,
        children=tuple(child.lower() for child in args.child),
    )
    directory = _directory(settings)
    for child in person.children:
        if directory.find(child) is None:
            raise CommandError(f"enfant inconnu dans l'annuaire : {child}")
    created = _provisioner(settings, directory).add(person)
    _letters(args.letters, [created], settings)
    _print(args, {"login": created.login, "activation_code": created.activation_code, "dn": created.dn},
           _describe_code(created))
    return 0


def _accounts_import(args: argparse.Namespace) -> int:
    settings = _settings(args)
    content = read_accounts_csv(args.file)
    report = _provisioner(settings, _directory(settings)).import_rows(content.rows)
    problems = sorted(content.problems + report.problems, key=lambda problem: problem.line)
    if report.created:
        _letters(args.letters, report.created, settings)
    for line in content.warnings + [str(problem) for problem in problems]:
        print(f"ent-idp : {line}", file=sys.stderr)
    _print(args, {
        "created": [{"login": c.login, "activation_code": c.activation_code, "dn": c.dn} for c in report.created],
        "existing": [{"line": line, "login": login} for line, login in report.existing],
        "problems": [{"line": p.line, "message": p.message} for p in problems],
        "warnings": content.warnings,
    }, [f"{len(report.created)} compte(s) créé(s), {len(report.existing)} déjà présent(s), "
        f"{len(problems)} ligne(s) refusée(s)"]
       + [f"  {c.login}\t{c.activation_code}" for c in report.created])
    return EXIT_SOME_LINES_REJECTED if problems else 0


def _accounts_show(args: argparse.Namespace) -> int:
    settings = _settings(args)
    account = _directory(settings).get(args.login)
    facts = _account_facts(account)
    _print(args, facts, [f"{key} : {_human(value)}" for key, value in facts.items()])
    return 0


def _accounts_reset(args: argparse.Namespace) -> int:
    settings = _settings(args)
    reset = Services(settings).accounts.new_code(args.login, actor="cli")
    _letters(args.letters, [reset], settings)
    _print(args, {"login": reset.login, "activation_code": reset.activation_code, "dn": reset.dn},
           _describe_code(reset))
    return 0


def _accounts_unlock(args: argparse.Namespace) -> int:
    return _admin_action(args, AccountService.unlock, "account.unlocked", "déverrouillé")


def _accounts_lock(args: argparse.Namespace) -> int:
    """Locks, ends the account's browser sessions and revokes its tokens."""
    return _admin_action(args, AccountService.lock, "account.locked", "verrouillé")


def _clients_add(args: argparse.Namespace) -> int:
    registered = client_registry.register(
        _store(_settings(args)), name=args.name, redirect_uris=args.redirect_uri,
        post_logout_redirect_uris=args.post_logout_redirect_uri, public=args.public,
        first_party=not args.third_party, require_pkce=args.require_pkce)
    _print(args, {"client_id": registered.client.client_id, "client_secret": registered.client_secret},
           [f"client_id : {registered.client.client_id}",
            f"client_secret : {registered.client_secret or '(aucun : client public, PKCE obligatoire)'}",
            "Conservez le secret : il ne sera plus affiché."])
    return 0


def _clients_list(args: argparse.Namespace) -> int:
    from sqlalchemy import select
    from idp.store import Client
    rows = _store(_settings(args)).session.scalars(select(Client).order_by(Client.name)).all()
    _print(args, {"clients": [client_registry.describe(row) for row in rows]},
           [f"{row.client_id}\t{row.name}\t{' '.join(row.redirect_uris)}" for row in rows] or ["aucune application"])
    return 0


def _clients_show(args: argparse.Namespace) -> int:
    facts = client_registry.describe(client_registry.find(_store(_settings(args)), args.client_id))
    _print(args, facts, [f"{key} : {_human(value)}" for key, value in facts.items()])
    return 0


def _clients_remove(args: argparse.Namespace) -> int:
    client_registry.remove(_store(_settings(args)), args.client_id)
    _print(args, {"client_id": args.client_id, "removed": True}, [f"{args.client_id} : supprimée"])
    return 0


def _keys_rotate(args: argparse.Namespace) -> int:
    from idp.oidc.keys import KeyRing
    settings = _settings(args)
    ring = KeyRing(Path(settings.instance_dir) / "keys")
    ring.ensure()
    kid = ring.rotate()
    audit("keys.rotated", kid=kid, actor="cli")
    _print(args, {"kid": kid}, [f"nouvelle clé de signature : {kid}"])
    return 0


def _outbox_list(args: argparse.Namespace) -> int:
    messages = _outbound(_settings(args)).pending()
    _print(args, {"messages": messages},
           [f"{m['id']}\t{m['status']}\t{m['attempts']} essai(s)\t"
            f"{'prochain : ' + m['next_attempt_at'] if m['next_attempt_at'] else '—'}\t{m['to']}\t{m['subject']}"
            + (f"\n\t{m['last_error']}" if m["last_error"] else "") for m in messages]
           or ["aucun courriel en attente"])
    return 0


def _outbox_flush(args: argparse.Namespace) -> int:
    outbound = _outbound(_settings(args))
    counts = outbound.flush()
    _print(args, counts, [f"{counts['sent']} envoyé(s), {counts['failed']} abandonné(s), "
                          f"{counts['waiting']} toujours en attente"])
    return 0


def _help_list(args: argparse.Namespace) -> int:
    settings = _settings(args)
    schools = None
    if args.school:
        schools = (normalize_uai(args.school),)
        if uai_problem(schools[0]):
            raise CommandError(uai_problem(schools[0]))
    rows = requests_of(_store(settings).session, schools, None if args.status == "all" else args.status)
    _print(args, {"requests": [row.facts() for row in rows]},
           [f"{row.reference}\t{_local_time(row.created_at)}\t{row.status}\t{row.school}\t{row.parent_name}\t"
            f"{PROBLEMS[row.problem]}" for row in rows] or ["aucune demande"])
    return 0


def _help_show(args: argparse.Namespace) -> int:
    facts = _help_request(_store(_settings(args)), args.reference).facts()
    _print(args, facts, [f"{key} : {_human(value)}" + (f" ({PROBLEMS[value]})" if key == "problem" else "")
                         for key, value in facts.items()])
    return 0


def _help_close(args: argparse.Namespace) -> int:
    store = _store(_settings(args))
    row = _help_request(store, args.reference)
    was_open = row.is_open
    with store.transaction():
        row.close("cli")
    if was_open:
        audit("help.closed", actor="cli", reference=row.reference)
    _print(args, {"reference": row.reference, "status": row.status, "closed_at": row.facts()["closed_at"],
                  "closed_by": row.closed_by},
           [f"{row.reference} : {'close' if was_open else 'déjà close'}"])
    return 0


def _audit_list(args: argparse.Namespace) -> int:
    settings = _settings(args)
    path = AuditLog(settings.audit_log, settings.instance_dir).path
    if path is None:
        raise CommandError(f"le journal d'audit n'est pas un fichier (audit_log = {settings.audit_log!r}) : "
                           "lisez-le là où il est envoyé")
    events = [event for event in read_events(path)
              if (not args.login or event.get("login") == args.login.lower())
              and (not args.event or event.get("event") == args.event
                   or str(event.get("event", "")).startswith(args.event.rstrip(".") + "."))
              and (args.since is None or str(event.get("time", "")) >= args.since)]
    _print(args, {"events": events}, [_event_line(event) for event in events] or ["aucun événement"])
    return 0


def _event_line(event: dict[str, Any]) -> str:
    known = ("time", "event", "outcome", "login", "address", "client")
    moment = datetime.fromisoformat(str(event["time"]).replace("Z", "+00:00")).astimezone()
    details = " ".join(f"{key}={value}" for key, value in event.items() if key not in known)
    columns = [moment.strftime("%d/%m/%Y %H:%M:%S"), str(event.get("event")), str(event.get("outcome", ""))]
    columns += [str(event.get(key) or "—") for key in ("login", "address", "client")]
    return "\t".join([*columns, details]).rstrip()


def _conformance(args: argparse.Namespace) -> int:
    from conformance.report import publish_guides
    from conformance.run import run_conformance
    config = args.config or os.environ.get("ENT_IDP_CONFIG")
    base_url = args.base_url or (load_settings(config).issuer if config else None)
    code = run_conformance(base_url=base_url, report_dir=args.report, guide=args.guide, accounts=args.accounts,
                           outbox=args.outbox, config=config)
    print(f"Rapport : {(args.report / 'index.html').resolve()}")
    if args.publish_guides and code == 0:
        publish_guides(args.report, args.publish_guides)
        print(f"Guides publiés dans {args.publish_guides}")
    return code


def _serve(args: argparse.Namespace) -> int:
    from idp.http_server import serve
    serve(_settings(args), host=args.host, port=args.port, workers=args.workers, connections=args.connections)
    return 0


# Helpers

def _settings(args: argparse.Namespace) -> Settings:
    """The settings of the command; its audit events go to their audit log."""
    settings = load_settings(args.config)
    use_for_this_process(AuditLog(settings.audit_log, settings.instance_dir))
    return settings


def _moment(text: str) -> str:
    """A date or date and time typed by an admin, as the UTC ISO form the audit log compares."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"date invalide : {text!r} (exemple : 2026-12-01 ou 2026-12-01T08:30)")
    if moment.tzinfo is None:
        moment = moment.astimezone()
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _admin_action(args: argparse.Namespace, action: Callable[..., Account], event: str, done: str) -> int:
    accounts = Services(_settings(args)).accounts
    accounts.directory.get(args.login)
    account = action(accounts, args.login, actor="cli")
    audit(event, login=args.login, actor="cli")
    _print(args, {"login": args.login, "state": account.state.value}, [f"{args.login} : {done}"])
    return 0


def _store(settings: Settings) -> Store:
    return Store.for_instance(settings.database_url, settings.instance_dir)


def _outbound(settings: Settings) -> Outbound:
    return Outbound(settings, _store(settings))


def _help_request(store: Store, reference: str) -> HelpRequest:
    row = find_request(store.session, reference)
    if row is None:
        raise CommandError(f"demande d'aide inconnue : {reference}")
    return row


def _local_time(moment: int) -> str:
    return datetime.fromtimestamp(moment).astimezone().strftime("%d/%m/%Y %H:%M")


def _directory(settings: Settings) -> Directory:
    ldap = settings.ldap
    return connect(ldap.url, ldap.base_dn, ldap.bind_dn, ldap.bind_password, ldap.timeout)


def _provisioner(settings: Settings, directory: Directory) -> Provisioner:
    return Provisioner(directory, settings.accounts.activation_code_days)


def _letters(path: Path | None, created: list[Provisioned], settings: Settings) -> None:
    if path is None:
        return
    write_letters(path, [
        ActivationLetter(
            given_name=c.person.given_name, surname=c.person.surname, login=c.login,
            activation_code=c.activation_code, profile=c.person.profile.value,
            school=c.person.schools[0] if c.person.schools else None,
            school_name=settings.schools.get(c.person.schools[0]) if c.person.schools else None,
            expires=c.expires.date(),
        ) for c in created
    ], portal_url=settings.issuer, ent_name=settings.ent_name)


def _account_facts(account: Account) -> dict[str, Any]:
    return {
        "login": account.login,
        "state": account.state.value,
        "profile": account.profile.value,
        "school": account.schools[0] if account.schools else None,
        "schools": list(account.schools),
        "given_name": account.given_name,
        "surname": account.surname,
        "recovery_email_set": bool(account.recovery_email),
        "mobile_set": bool(account.mobile),
        "terms_version": account.terms_version,
        "children": list(account.children),
        "locked_until": _when(account.locked_until),
        "activation_expires": _when(account.activation_expires),
        "dn": account.dn,
    }


def _when(moment: Any) -> str | None:
    if moment is None:
        return None
    return "until-unlocked" if moment.year == 9999 else moment.isoformat()


def _describe_code(provisioned: Provisioned) -> list[str]:
    return [f"identifiant : {provisioned.login}",
            f"code d'activation : {provisioned.activation_code} "
            f"(valable jusqu'au {provisioned.expires:%d/%m/%Y})"]


def _human(value: Any) -> str:
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, list):
        return ", ".join(value) or "—"
    return "—" if value is None else str(value)


def _print(args: argparse.Namespace, data: dict[str, Any], lines: list[str]) -> None:
    if getattr(args, "json", False):
        print(json.dumps(data, ensure_ascii=False))
    else:
        print("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
