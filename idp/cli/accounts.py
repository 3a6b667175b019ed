"""`ent-idp accounts …`: the directory's accounts (create, import, show, reset, lock, unlock)."""
from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from idp.accounts import AccountService
from idp.audit import audit
from idp.config import Settings
from idp.contact import normalize_email, normalize_mobile
from idp.directory import ROLES, Account, AccountState, Directory, NewAccount, Profile
from idp.provisioning.csv_import import read_accounts_csv
from idp.provisioning.logins import clean_name
from idp.provisioning.schools import normalize_uai, uai_problem
from idp.provisioning.service import Provisioned, Provisioner
from idp.services import Services
from idp.store.schools import save_from_aaf as save_schools
from idp.store.schools import uai_by_aaf_key as school_keys

from .common import (
    EXIT_SOME_LINES_REJECTED,
    CommandError,
    Commands,
    add_json_option,
    human,
    open_directory,
    print_result,
    settings_of,
)


def register(commands: Commands) -> None:
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
    add.set_defaults(run=_add)

    import_ = accounts.add_parser("import", help="crée les comptes d'un export CSV")
    import_.add_argument("file", type=Path, metavar="FILE.csv")
    import_.add_argument("--letters", type=Path, metavar="FILE.pdf", help="une lettre d'activation par compte créé")
    import_.set_defaults(run=_import)

    aaf = accounts.add_parser("import-aaf", help="alimente l'annuaire depuis les exports AAF de l'académie")
    aaf.add_argument("paths", nargs="+", type=Path, metavar="PATH",
                     help="fichiers XML (…_EtabEducNat_…, …_Eleve_…, …_PersRelEleve_…, …_PersEducNat_…) ou dossiers")
    aaf.add_argument("--letters", type=Path, metavar="FILE.pdf", help="une lettre d'activation par compte créé")
    aaf.add_argument("--dry-run", action="store_true", help="dit ce qui serait fait, sans rien écrire")
    aaf.set_defaults(run=_import_aaf)

    listing = accounts.add_parser("list", help="les comptes, par établissement, profil, classe ou état")
    listing.add_argument("--school", metavar="UAI")
    listing.add_argument("--profile", choices=[profile.value for profile in Profile])
    listing.add_argument("--class", dest="class_name", metavar="CLASSE", help="une classe (ex. « 4e B »)")
    listing.add_argument("--state", choices=[state.value for state in AccountState])
    listing.set_defaults(run=_list)

    roles = accounts.add_parser("roles", help="les droits d'un compte au-delà de son profil")
    roles.add_argument("login")
    roles.add_argument("--add", action="append", default=[], choices=ROLES, metavar="ROLE",
                       help="donne un rôle : " + ", ".join(ROLES))
    roles.add_argument("--remove", action="append", default=[], choices=ROLES, metavar="ROLE",
                       help="retire un rôle")
    roles.set_defaults(run=_roles)

    reset = accounts.add_parser("reset", help="remet un compte en attente avec un nouveau code")
    reset.add_argument("login", nargs="?")
    reset.add_argument("--expired", action="store_true",
                       help="tous les comptes de --school dont le code a expiré sans servir")
    reset.add_argument("--school", metavar="UAI")
    reset.add_argument("--letters", type=Path, metavar="FILE.pdf", help="les nouvelles lettres d'activation")
    reset.set_defaults(run=_reset)

    for name, run, text in (
        ("show", _show, "état d'un compte (jamais un secret)"),
        ("unlock", _unlock, "lève un verrouillage"),
        ("lock", _lock, "verrouille jusqu'au déverrouillage par un administrateur"),
    ):
        command = accounts.add_parser(name, help=text)
        command.add_argument("login")
        command.set_defaults(run=run)

    for command in accounts.choices.values():
        add_json_option(command)


def _add(args: argparse.Namespace) -> int:
    settings = settings_of(args)
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
    directory = open_directory(settings)
    for child in person.children:
        if directory.find(child) is None:
            raise CommandError(f"enfant inconnu dans l'annuaire : {child}")
    created = _provisioner(settings, directory).add(person)
    _letters(args.letters, [created], settings)
    print_result(args, {"login": created.login, "activation_code": created.activation_code, "dn": created.dn},
                 _describe_code(created))
    return 0


def _import(args: argparse.Namespace) -> int:
    settings = settings_of(args)
    content = read_accounts_csv(args.file)
    report = _provisioner(settings, open_directory(settings)).import_rows(content.rows)
    problems = sorted(content.problems + report.problems, key=lambda problem: problem.line)
    if report.created:
        _letters(args.letters, report.created, settings)
    for line in content.warnings + [str(problem) for problem in problems]:
        print(f"ent-idp : {line}", file=sys.stderr)
    print_result(args, {
        "created": [{"login": c.login, "activation_code": c.activation_code, "dn": c.dn} for c in report.created],
        "existing": [{"line": line, "login": login} for line, login in report.existing],
        "problems": [{"line": p.line, "message": p.message} for p in problems],
        "warnings": content.warnings,
    }, [f"{len(report.created)} compte(s) créé(s), {len(report.existing)} déjà présent(s), "
        f"{len(problems)} ligne(s) refusée(s)"]
       + [f"  {c.login}\t{c.activation_code}" for c in report.created])
    return EXIT_SOME_LINES_REJECTED if problems else 0


def _import_aaf(args: argparse.Namespace) -> int:
    """Reads the académie's export files (a folder: its *.xml), creates, updates and disables."""
    from idp.provisioning.aaf import AafFileError  # here: `ent-idp serve` loads this module too (see _letters)
    from idp.provisioning.aaf_import import AafImport

    settings = settings_of(args)
    paths = [path for given in args.paths
             for path in (sorted(given.glob("*.xml")) if given.is_dir() else [given])]
    services = Services(settings)
    run = AafImport(services.directory, _provisioner(settings, services.directory),
                    schools=school_keys(services.store), dry_run=args.dry_run,
                    disable=lambda login: services.accounts.disable(login, actor="import-aaf", reason="aaf"),
                    enable=lambda login: services.accounts.enable(login, actor="import-aaf"),
                    remove=lambda login: services.accounts.remove(login, actor="import-aaf"),
                    disabled_days=settings.accounts.disabled_days)
    try:
        report = run.run(paths)
    except AafFileError as error:
        raise CommandError(str(error)) from None
    if not args.dry_run:
        save_schools(services.store, report.schools)
        created = sorted(report.created, key=lambda c: (c.person.schools[:1], c.person.classes[:1],
                                                        c.person.surname, c.person.given_name))
        if created:
            _letters(args.letters, created, settings)
    for line in report.file_errors + [str(refused) for refused in report.refused]:
        print(f"ent-idp : {line}", file=sys.stderr)
    print_result(args, {
        "dry_run": args.dry_run,
        "created": [{"login": c.login, "activation_code": c.activation_code, "dn": c.dn,
                     "profile": c.person.profile.value, "join_key": c.person.join_key} for c in report.created],
        "would_create": report.would_create, "updated": report.updated, "enabled": report.enabled,
        "disabled": report.disabled, "removed": report.removed, "unchanged": report.unchanged,
        "refused": [vars(refused) for refused in report.refused],
        "ignored": [vars(ignored) for ignored in report.ignored], "file_errors": report.file_errors,
    }, [("Simulation : rien n'a été écrit. " if args.dry_run else "")
        + f"{len(report.created) or len(report.would_create)} compte(s) créé(s), {len(report.updated)} mis à jour, "
        f"{len(report.disabled)} désactivé(s), {len(report.enabled)} réactivé(s), {len(report.removed)} supprimé(s), "
        f"{report.unchanged} inchangé(s), "
        f"{len(report.refused)} refusé(s), {len(report.ignored)} ignoré(s)"]
       + [f"  {c.login}\t{c.activation_code}" for c in report.created])
    return EXIT_SOME_LINES_REJECTED if report.refused or report.file_errors else 0


def _list(args: argparse.Namespace) -> int:
    """One line (or JSON object) per account, never a secret; the directory filters by school,
    profile and class, the state (locked is slapd's lockout) is read from each account."""
    school = normalize_uai(args.school) if args.school else None
    if school and uai_problem(school):
        raise CommandError(uai_problem(school) or "")
    found = [account for account in open_directory(settings_of(args)).accounts(
                 school=school, profile=Profile(args.profile) if args.profile else None, class_name=args.class_name)
             if args.state is None or account.state.value == args.state]
    found.sort(key=lambda account: account.login)
    print_result(args, {"accounts": [_account_facts(account) for account in found]},
                 [f"{account.login}\t{account.state.value}\t{account.profile.value}\t{','.join(account.schools)}\t"
                  f"{account.display_name}" for account in found] + [f"{len(found)} compte(s)"])
    return 0


def _roles(args: argparse.Namespace) -> int:
    """Gives and takes roles; prints the roles the person has afterwards."""
    directory = open_directory(settings_of(args))
    account = directory.get(args.login)
    roles = tuple(role for role in (*account.roles, *args.add) if role not in args.remove)
    roles = tuple(dict.fromkeys(roles))
    if roles != account.roles:
        directory.set_roles(account.login, roles)
        audit("account.roles_changed", login=account.login, actor="cli", added=args.add, removed=args.remove)
    print_result(args, {"login": account.login, "roles": list(roles)},
                 [f"{account.login} : {', '.join(roles) if roles else 'aucun rôle'}"])
    return 0


def _show(args: argparse.Namespace) -> int:
    settings = settings_of(args)
    account = open_directory(settings).get(args.login)
    facts = _account_facts(account)
    print_result(args, facts, [f"{key} : {human(value)}" for key, value in facts.items()])
    return 0


def _reset(args: argparse.Namespace) -> int:
    if bool(args.login) == args.expired:
        raise CommandError("donnez un identifiant, ou --expired avec --school")
    settings = settings_of(args)
    accounts = Services(settings).accounts
    if args.login:
        reset = accounts.new_code(args.login, actor="cli")
        _letters(args.letters, [reset], settings)
        print_result(args, {"login": reset.login, "activation_code": reset.activation_code, "dn": reset.dn},
                     _describe_code(reset))
        return 0
    school = normalize_uai(args.school or "")
    if uai_problem(school):
        raise CommandError("--expired demande --school UAI : " + (uai_problem(school) or ""))
    dormant = sorted((account for account in accounts.directory.accounts(school=school)
                      if account.state is AccountState.PENDING and account.activation_expired()),
                     key=lambda account: (account.classes[:1], account.surname, account.given_name))
    done = [accounts.new_code(account.login, actor="cli") for account in dormant]
    if done:
        _letters(args.letters, done, settings)
    print_result(args, {"reset": [{"login": r.login, "activation_code": r.activation_code, "dn": r.dn}
                                  for r in done]},
                 [f"{len(done)} nouveau(x) code(s) pour les codes expirés de {school}"]
                 + [f"  {r.login}\t{r.activation_code}" for r in done])
    return 0


def _unlock(args: argparse.Namespace) -> int:
    return _admin_action(args, AccountService.unlock, "account.unlocked", "déverrouillé")


def _lock(args: argparse.Namespace) -> int:
    """Locks, ends the account's browser sessions and revokes its tokens."""
    return _admin_action(args, AccountService.lock, "account.locked", "verrouillé")


def _admin_action(args: argparse.Namespace, action: Callable[..., Account], event: str, done: str) -> int:
    accounts = Services(settings_of(args)).accounts
    accounts.directory.get(args.login)
    account = action(accounts, args.login, actor="cli")
    audit(event, login=args.login, actor="cli")
    print_result(args, {"login": args.login, "state": account.state.value}, [f"{args.login} : {done}"])
    return 0


def _provisioner(settings: Settings, directory: Directory) -> Provisioner:
    return Provisioner(directory, settings.accounts.activation_code_days)


def _letters(path: Path | None, created: list[Provisioned], settings: Settings) -> None:
    if path is not None:
        # Imported here, not at the top: `ent-idp serve` loads every command's module, and each
        # gunicorn worker it forks would hold the PDF libraries (fpdf2, Pillow, fontTools: about
        # 30 MiB resident) without ever printing a letter.
        from idp.provisioning.letters import write_letters_of
        write_letters_of(path, created, settings)


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
        "roles": list(account.roles),
        "classes": list(account.classes),
        "join_key": account.join_key,
        "disabled_at": _when(account.disabled_at),
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
