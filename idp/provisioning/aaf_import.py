"""Feeding the directory from the académie's AAF exports (the mapping is in ldap_schema/README.md).

A person is known by their join key (the export's identifier): a later export updates the
same entry, whatever their name has become. New people get a pending account with an
activation code; known ones are updated in place (never their password, their own e-mail
and mobile, their consents); whoever is missing from a full export of their kind, or
deleted by a delta, is disabled. A bad record is reported (file, record, reason) and nothing
of it is written. Running the same files twice writes nothing the second time.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from idp.audit import audit
from idp.contact import ContactError, normalize_email, normalize_mobile
from idp.directory import Account, AccountState, Directory, NewAccount, OperationFailed, Profile

from .aaf import AafFileError, ExportFile, Kind, Request, in_reading_order, requests
from .logins import LoginError, base_login, clean_name, homonym_login
from .schools import normalize_uai, uai_problem
from .service import Provisioned, Provisioner

_PARALLEL_CREATIONS = 4
_IN_FLIGHT = 200
"""Entries on their way to slapd at most, before the import waits for them."""
PROFILES = {Kind.PUPIL: (Profile.STUDENT,), Kind.RELATIVE: (Profile.PARENT,),
            Kind.STAFF: (Profile.TEACHER, Profile.STAFF)}
"""The accounts each kind of record feeds: those a full export of the kind vouches for."""
TEACHER_PROFILES = ("National_ENS", "National_DOC")
LEGAL_REPRESENTATIVE = "1"
"""In `ENTElevePersRelEleve` (`id$link$financial$legal$contact$payment`), the legal flag."""


@dataclass(frozen=True)
class Refused:
    file: str
    record: int
    identifier: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}, requête {self.record} ({self.identifier or 'sans identifiant'}) : {self.reason}"


@dataclass
class AafReport:
    created: list[Provisioned] = field(default_factory=list)
    would_create: list[str] = field(default_factory=list)
    """Logins a dry run would have given."""
    updated: list[str] = field(default_factory=list)
    enabled: list[str] = field(default_factory=list)
    disabled: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    """Disabled for longer than `accounts.disabled_days`: deleted, their logins free again."""
    unchanged: int = 0
    refused: list[Refused] = field(default_factory=list)
    ignored: list[Refused] = field(default_factory=list)
    """Records that are not people of the ENT (a relative who is no pupil's legal representative)."""
    file_errors: list[str] = field(default_factory=list)
    schools: dict[str, tuple[str, str]] = field(default_factory=dict)
    """The schools of the export: AAF key → UAI and name (for the deltas to come)."""


@dataclass
class _Known:
    """What the import needs of an account already in the directory."""

    login: str
    profile: Profile
    state: AccountState
    schools: tuple[str, ...]
    feed: tuple
    """What the export last said of the person (see _feed_of): unchanged, nothing is written."""
    children: tuple[str, ...] = ()


class _Problem(ValueError):
    pass


class AafImport:
    def __init__(self, directory: Directory, provisioner: Provisioner, *, schools: dict[str, str] | None = None,
                 dry_run: bool = False, disable: Callable[[str], None] | None = None,
                 enable: Callable[[str], object] | None = None, remove: Callable[[str], None] | None = None,
                 disabled_days: int = 365) -> None:
        """`schools`: the AAF keys of the schools known from earlier exports (a delta names
        schools by key only). `disable`, `enable` and `remove`: AccountService's, which also end
        the sessions; by default the directory's own. An account disabled more than
        `disabled_days` ago, and not back in this export, is removed."""
        self.directory = directory
        self.provisioner = provisioner
        self.dry_run = dry_run
        self._disable = disable or (lambda login: directory.disable(login, datetime.now(UTC)))
        self._enable = enable or directory.enable
        self._remove = remove or directory.remove
        self._removal_date = datetime.now(UTC) - timedelta(days=disabled_days)
        self._long_disabled: list[str] = []
        self.report = AafReport()
        self._pool: ThreadPoolExecutor
        self._record = Refused("", 0, "", "")
        """The record being read (what a failure to create its account reports)."""
        self._creating: list[tuple[Refused, NewAccount, Future[Provisioned | None]]] = []
        """The entries on their way, each with what a failure would report."""
        self._known: dict[str, _Known] = {}
        self._whole = True
        """Whether every account was read at the start (a full export), or is read when named."""
        self._absent: set[str] = set()
        """Join keys the directory was asked for, in vain."""
        self._just_read: dict[str, Account] = {}
        """The account the record being read made the import read (a modify needs it whole: once is enough)."""
        self._bases: set[str] = set()
        """The logins' stems whose homonyms were read (for a delta's new people)."""
        self._key_of: dict[str, str] = {}
        """Login → join key."""
        self._moved: set[str] = set()
        """Logins of the pupils whose schools changed: their parents belong to the new ones."""
        self._taken: set[str] = set()
        self._structures: dict[str, str] = dict(schools or {})
        self._seen: dict[Kind, set[str]] = {kind: set() for kind in PROFILES}
        self._legal: dict[str, set[str]] = {}
        """Relative's key → the pupils who name them as a legal representative."""
        self._not_legal: dict[str, set[str]] = {}

    def run(self, paths: Iterable[Path]) -> AafReport:
        with ThreadPoolExecutor(max_workers=_PARALLEL_CREATIONS) as self._pool:
            return self._run(paths)

    def _run(self, paths: Iterable[Path]) -> AafReport:
        files = in_reading_order(list(paths))
        # A full export reads the whole directory once (it must know who is missing); a delta
        # reads only the accounts it names, and the disabled ones (for the removals).
        self._whole = any(file.full for file in files)
        for account in self.directory.accounts(state=None if self._whole else AccountState.DISABLED):
            self._taken.add(account.login)
            if account.stored_state is AccountState.DISABLED and account.disabled_at \
                    and account.disabled_at < self._removal_date:
                self._long_disabled.append(account.login)
            self._note(account)
        complete = {kind: True for kind in PROFILES}
        for file in files:
            try:
                for request in requests(file.path):
                    self._one(file, request)
            except AafFileError as error:
                self.report.file_errors.append(str(error))
                complete[file.kind] = False
            self._created_so_far()
        for kind, vouched in PROFILES.items():
            if complete[kind] and any(file.full and file.kind is kind for file in files):
                self._disable_missing(kind, vouched)
        self._follow_moved_children()
        self._remove_long_disabled()
        audit("accounts.imported", source="aaf", dry_run=self.dry_run, created=len(self.report.created),
              updated=len(self.report.updated), disabled=len(self.report.disabled), removed=len(self.report.removed),
              refused=len(self.report.refused))
        return self.report

    # One request

    def _one(self, file: ExportFile, request: Request) -> None:
        self._record = Refused(file.path.name, request.number, request.identifier, "")
        self._just_read.clear()
        if file.kind in self._seen and request.identifier:
            self._seen[file.kind].add(request.identifier)  # a refused record does not disable its person
        try:
            if not request.identifier:
                raise _Problem("identifiant absent")
            if file.kind is Kind.SCHOOL:
                self._school(request)
            elif request.operation == "delete":
                self._delete(request)
            else:
                self._person(file.kind, request)
        except _Ignored as ignored:
            self.report.ignored.append(Refused(file.path.name, request.number, request.identifier, str(ignored)))
        except _Problem as problem:
            self.report.refused.append(Refused(file.path.name, request.number, request.identifier, str(problem)))

    def _school(self, request: Request) -> None:
        uai = normalize_uai(_first(request.attributes, "ENTStructureUAI", "ENTEtablissementUAI"))
        if uai_problem(uai):
            raise _Problem(uai_problem(uai) or "")
        self._structures[request.identifier] = uai
        self.report.schools[request.identifier] = (uai, _first(request.attributes, "ENTStructureNomCourant"))

    def _delete(self, request: Request) -> None:
        known = self._known_of(request.identifier)
        if known is None or known.state is AccountState.DISABLED:
            self.report.unchanged += 1
            return
        self._disable_one(request.identifier, known)

    def _person(self, kind: Kind, request: Request) -> None:
        key = request.identifier
        known = self._known_of(key)
        attributes = request.attributes
        if request.operation == "modify":
            if known is None:
                raise _Problem("modification d'une personne absente de l'annuaire")
            self._created_so_far()  # the entry may be on its way
            account = self._just_read.pop(key, None) or self.directory.get(known.login)
            attributes = {**self._as_attributes(kind, account), **attributes}
        person = self._new_account(kind, key, attributes)
        if known is not None and known.profile not in PROFILES[kind]:
            raise _Problem(f"l'identifiant est celui d'un compte « {known.profile.value} » ({known.login})")
        if kind is Kind.PUPIL:
            self._note_relatives(key, attributes)
        if known is None:
            self._create(key, person)
            return
        if kind is Kind.PUPIL and set(person.schools) != set(known.schools):
            self._moved.add(known.login)
        changed = _feed_of(person) != known.feed
        if changed and not self.dry_run:
            self.directory.update_from_feed(known.login, person)
        if known.state is AccountState.DISABLED:
            if not self.dry_run:
                self._enable(known.login)
            self.report.enabled.append(known.login)
        elif changed:
            self.report.updated.append(known.login)
        else:
            self.report.unchanged += 1
        # Enabled: no longer disabled, which is all the rest of the import asks of the state.
        state = AccountState.ACTIVE if known.state is AccountState.DISABLED else known.state
        self._remember(key, _Known(known.login, known.profile, state, person.schools, _feed_of(person),
                                   person.children))

    def _create(self, key: str, person: NewAccount) -> None:
        """The login is chosen now (a relative names their children by it); the entry is added
        by one of a few connections, so that slapd hashes the next code while one is written."""
        try:
            base = base_login(person.given_name, person.surname)
        except LoginError as error:
            raise _Problem(str(error)) from None
        if not self._whole and base not in self._bases:
            self._taken |= self.directory.logins_with_prefix(base)
            self._bases.add(base)
        login = homonym_login(base, self._taken)
        self._taken.add(login)
        if self.dry_run:
            self.report.would_create.append(login)
        else:
            self._creating.append((self._record, person, self._pool.submit(self.provisioner.create, login, person)))
        self._remember(key, _Known(login, person.profile, AccountState.PENDING, person.schools, _feed_of(person),
                                   person.children))
        if len(self._creating) >= _IN_FLIGHT:
            self._created_so_far()

    def _created_so_far(self) -> None:
        """Waits for the entries on their way, in the order of the records. One whose login
        someone else took meanwhile gets the next free one."""
        creating, self._creating = self._creating, []
        for record, person, future in creating:
            key = record.identifier
            try:
                created = future.result() or self.provisioner.add(person, self._taken)
            except OperationFailed as error:
                self.report.refused.append(dataclasses.replace(record, reason=str(error)))
                del self._known[key]
                continue
            self.report.created.append(created)
            if created.login != self._known[key].login:
                self._remember(key, dataclasses.replace(self._known[key], login=created.login))

    def _remember(self, key: str, known: _Known) -> None:
        self._known[key] = known
        self._key_of[known.login] = key

    def _note(self, account: Account) -> None:
        if account.join_key:
            self._remember(account.join_key, _Known(account.login, account.profile, account.stored_state,
                                                    account.schools, _feed_of(NewAccount.of(account)),
                                                    account.children))

    def _known_of(self, key: str) -> _Known | None:
        """The account of this join key: read with the directory at the start, or now."""
        if key not in self._known and not self._whole and key not in self._absent:
            account = self.directory.find_by_join_key(key)
            if account is None:
                self._absent.add(key)
            else:
                self._note(account)
                self._just_read[key] = account
        return self._known.get(key)

    def _key_of_login(self, login: str) -> str | None:
        if login not in self._key_of and not self._whole:
            account = self.directory.find(login)
            if account is not None:
                self._note(account)
        return self._key_of.get(login)

    # From the record to the account

    def _new_account(self, kind: Kind, key: str, attributes: dict[str, tuple[str, ...]]) -> NewAccount:
        try:
            given_name = clean_name(_first(attributes, "givenName", "ENTPersonPrenom"))
            surname = clean_name(_first(attributes, "sn", "ENTPersonNomPatro"))
        except LoginError as error:
            raise _Problem(str(error)) from None
        if not given_name or not surname:
            raise _Problem("prénom ou nom absent")
        children: tuple[str, ...] = ()
        classes: tuple[str, ...] = ()
        if kind is Kind.RELATIVE:
            children_keys = self._children_of(key, attributes)
            children = tuple(self._known[child].login for child in children_keys)
            schools = tuple(sorted({school for child in children_keys for school in self._known[child].schools}))
            profile = Profile.PARENT
        else:
            schools = self._schools(attributes, "ENTPersonStructRattach", "ENTEleveStructRattachId")
            if kind is Kind.PUPIL:
                profile = Profile.STUDENT
                classes = tuple(sorted({self._class(value) for value in attributes.get("ENTEleveClasses", ())}))
            else:
                functions = tuple(value.split("$", 1)[0] for value in attributes.get("ENTPersonFonctions", ()))
                schools = tuple(sorted({*schools, *self._schools({"f": functions}, "f", strict=False)}))
                teaches = (set(attributes.get("ENTPersonProfils", ())) & set(TEACHER_PROFILES)
                           or _first(attributes, "PersEducNatPresenceDevantEleves") == "O")
                profile = Profile.TEACHER if teaches else Profile.STAFF
        if not schools:
            raise _Problem("aucun établissement connu pour cette personne")
        return NewAccount(given_name, surname, profile, schools, children=children, join_key=key, classes=classes,
                          birth_date=_birth_date(_first(attributes, "ENTPersonDateNaissance")),
                          school_email=_or_none(normalize_email, _first(attributes, "mail")),
                          school_mobile=_or_none(normalize_mobile, _first(attributes, "ENTPersonMobileSMS", "mobile")))

    def _schools(self, attributes: dict[str, tuple[str, ...]], *names: str, strict: bool = True) -> tuple[str, ...]:
        found = set()
        for name in names:
            for value in attributes.get(name, ()):
                uai = self._uai(value)
                if uai is None:
                    if strict:
                        raise _Problem(f"établissement inconnu : « {value} » (ni dans EtabEducNat, ni un UAI)")
                    continue
                found.add(uai)
        return tuple(sorted(found))

    def _uai(self, value: str) -> str | None:
        if value in self._structures:
            return self._structures[value]
        uai = normalize_uai(value)
        return None if uai_problem(uai) else uai

    def _class(self, value: str) -> str:
        structure, _, name = value.partition("$")
        uai = self._uai(structure)
        if uai is None or not name.strip():
            raise _Problem(f"classe illisible : « {value} » (établissement$classe attendu)")
        return f"{uai}${name.strip()}"

    def _note_relatives(self, pupil: str, attributes: dict[str, tuple[str, ...]]) -> None:
        legal = set(attributes.get("ENTEleveAutoriteParentale", ()))
        for value in attributes.get("ENTElevePersRelEleve", ()):
            fields = value.split("$")
            if len(fields) > 3 and fields[3] == LEGAL_REPRESENTATIVE:
                legal.add(fields[0])
            elif fields[0] not in legal:
                self._not_legal.setdefault(fields[0], set()).add(pupil)
        for relative in legal:
            self._legal.setdefault(relative, set()).add(pupil)
            self._not_legal.get(relative, set()).discard(pupil)

    def _children_of(self, relative: str, attributes: dict[str, tuple[str, ...]]) -> list[str]:
        """The pupils this relative is a legal representative of: as the pupils' records say,
        or as the relative's says when the pupils' are not in this import."""
        named = set(attributes.get("ENTAuxPersRelEleveEleve", ())) | self._legal.get(relative, set())
        children = sorted(key for key in named - self._not_legal.get(relative, set())
                          if self._known_of(key) is not None)
        if not children:
            raise _Ignored("représentant légal d'aucun élève connu")
        return children

    def _as_attributes(self, kind: Kind, account: Account) -> dict[str, tuple[str, ...]]:
        """An account as the record that made it (for a modify, which gives only what changed)."""
        values: dict[str, tuple[str, ...]] = {
            "givenName": (account.given_name,), "sn": (account.surname,),
            "ENTPersonStructRattach": account.schools,
            "ENTEleveClasses": account.classes,
            "ENTAuxPersRelEleveEleve": tuple(key for child in account.children if (key := self._key_of_login(child))),
            "mail": (account.school_email,) if account.school_email else (),
            "ENTPersonMobileSMS": (account.school_mobile,) if account.school_mobile else (),
            "ENTPersonProfils": ("National_ENS",) if account.profile is Profile.TEACHER else (),
        }
        if account.birth_date:
            year, month, day = account.birth_date.split("-")
            values["ENTPersonDateNaissance"] = (f"{day}/{month}/{year}",)
        return values

    # Who has left

    def _disable_missing(self, kind: Kind, profiles: tuple[Profile, ...]) -> None:
        """Who a full export of `kind` no longer lists, among the people of its schools (those
        of its EtabEducNat file): someone of a school it does not cover is not its to disable."""
        covered = {uai for uai, _ in self.report.schools.values()}
        for key, known in list(self._known.items()):
            if (known.profile in profiles and key not in self._seen[kind] and known.state is not AccountState.DISABLED
                    and known.schools and set(known.schools) <= covered):
                self._disable_one(key, known)

    def _disable_one(self, key: str, known: _Known) -> None:
        self._created_so_far()
        if not self.dry_run:
            self._disable(known.login)
        self.report.disabled.append(known.login)
        self._remember(key, _Known(known.login, known.profile, AccountState.DISABLED, known.schools, known.feed,
                                   known.children))

    def _remove_long_disabled(self) -> None:
        for login in self._long_disabled:
            key = self._key_of.get(login)
            if key is not None and self._known[key].state is not AccountState.DISABLED:
                continue  # back in this export
            if not self.dry_run:
                self._remove(login)
            self.report.removed.append(login)
            if key is not None:
                del self._known[key]

    def _follow_moved_children(self) -> None:
        """Parents not in this import whose child changed school: they belong to the new one."""
        if not self._moved:
            return
        if not self._whole:  # the parents of the moved pupils, read now
            for pupil in self._moved:
                for parent in self.directory.accounts(child=pupil):
                    self._note(parent)
        for key, known in list(self._known.items()):
            if (known.profile is not Profile.PARENT or key in self._seen[Kind.RELATIVE]
                    or not self._moved & set(known.children)):
                continue
            schools = tuple(sorted({school for child in known.children if (child_key := self._key_of_login(child))
                                    for school in self._known[child_key].schools}))
            if schools and schools != tuple(sorted(known.schools)):
                person = dataclasses.replace(NewAccount.of(self.directory.get(known.login)), schools=schools)
                if not self.dry_run:
                    self.directory.update_from_feed(known.login, person)
                self.report.updated.append(known.login)
                self._remember(key, _Known(known.login, known.profile, known.state, schools, _feed_of(person),
                                           known.children))


class _Ignored(_Problem):
    """Not a person of the ENT: reported apart from the refused records."""


def _first(attributes: dict[str, tuple[str, ...]], *names: str) -> str:
    return next((values[0] for name in names if (values := attributes.get(name))), "")


def _birth_date(value: str) -> str | None:
    """dd/mm/yyyy → yyyy-mm-dd (None when absent or unreadable: it is not needed to sign in)."""
    try:
        return datetime.strptime(value, "%d/%m/%Y").date().isoformat() if value else None
    except ValueError:
        return None


def _or_none(normalize: Callable[[str], str], value: str) -> str | None:
    """A contact the school knows, normalized; dropped when unusable (it is not needed to sign in)."""
    try:
        return normalize(value) if value else None
    except ContactError:
        return None


def _feed_of(person: NewAccount) -> tuple:
    return (person.given_name, person.surname, tuple(sorted(person.schools)), tuple(sorted(person.classes)),
            tuple(sorted(person.children)), person.birth_date, person.school_email, person.school_mobile)
