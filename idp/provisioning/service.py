"""Provisioning: creating accounts with activation codes, one at a time or from a CSV."""
from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from idp.audit import audit
from idp.directory import Directory, LoginTaken, NewAccount, OperationFailed

from .codes import new_activation_code, printed
from .csv_import import CsvProblem, CsvRow
from .logins import base_login, homonym_login, login_part

_ATTEMPTS = 20
_PARALLEL_REQUESTS = 4


@dataclass(frozen=True)
class Provisioned:
    """An account just created or reset, with the only copy of its activation code."""

    login: str
    dn: str
    activation_code: str
    """As printed on the letter (K7QM-3XPA-9RT2)."""
    expires: datetime
    person: NewAccount


@dataclass
class ImportReport:
    created: list[Provisioned] = field(default_factory=list)
    existing: list[tuple[int, str]] = field(default_factory=list)
    """(line, login) of people already in the directory: left as they are."""
    problems: list[CsvProblem] = field(default_factory=list)


class Provisioner:
    def __init__(self, directory: Directory, activation_code_days: int) -> None:
        self.directory = directory
        self.code_lifetime = timedelta(days=activation_code_days)

    def add(self, person: NewAccount, taken: set[str] | None = None) -> Provisioned:
        """Creates a pending account under the first free login (homonyms get a suffix)."""
        base = base_login(person.given_name, person.surname)
        taken = self.directory.logins_with_prefix(base) if taken is None else taken
        for _ in range(_ATTEMPTS):
            login = homonym_login(base, taken)
            taken.add(login)
            created = self.create(login, person)
            if created:
                return created
        raise LoginTaken(base)

    def reset(self, login: str) -> Provisioned:
        """Back to pending with a new code; the old password and code stop working."""
        account = self.directory.get(login)
        code, expires = new_activation_code(), self._expiry()
        self.directory.issue_activation_code(login, code, expires)
        audit("account.reset", login=login)
        return Provisioned(login, account.dn, printed(code), expires, NewAccount.of(account))

    def import_rows(self, rows: Iterable[CsvRow]) -> ImportReport:
        """Creates the people not yet in the directory. A person is the same when
        names, profile and school match; running a file twice creates nothing twice.
        Parents come after everyone else, so that their children's logins exist."""
        report = ImportReport()
        known: dict[tuple[str, str, str, str], str] = {}
        taken: set[str] = set()
        for account in self.directory.accounts():
            taken.add(account.login)
            for school in account.schools or ("",):
                known[_identity(NewAccount.of(account), school)] = account.login
        ordered = sorted(rows, key=lambda row: row.line)
        for stage in ([row for row in ordered if not row.person.children],
                      [row for row in ordered if row.person.children]):
            planned: list[tuple[CsvRow, str]] = []
            for row in stage:
                identity = _identity(row.person, row.person.schools[0] if row.person.schools else "")
                if identity in known:
                    report.existing.append((row.line, known[identity]))
                    continue
                unknown = [child for child in row.person.children if child not in taken]
                if unknown:
                    report.problems.append(
                        CsvProblem(row.line, f"enfant inconnu dans l'annuaire : {', '.join(unknown)}"))
                    continue
                login = homonym_login(base_login(row.person.given_name, row.person.surname), taken)
                taken.add(login)
                known[identity] = login
                planned.append((row, login))
            for outcome in self._create_all(planned, taken):
                if isinstance(outcome, CsvProblem):
                    report.problems.append(outcome)
                else:
                    report.created.append(outcome)
        report.problems.sort(key=lambda problem: problem.line)
        return report

    def _create_all(self, planned: list[tuple[CsvRow, str]], taken: set[str]) -> list[Provisioned | CsvProblem]:
        """Creates accounts on a few connections at once: while slapd hashes one code,
        the next request is already on its way. Keeps the file's order. A line slapd
        refuses becomes a problem of that line; an unavailable directory stops it all."""
        def create(item: tuple[CsvRow, str]) -> Provisioned | CsvProblem | None:
            row, login = item
            try:
                return self.create(login, row.person)
            except OperationFailed as error:
                return CsvProblem(row.line, str(error))

        with ThreadPoolExecutor(max_workers=_PARALLEL_REQUESTS) as pool:
            outcomes = list(pool.map(create, planned))
        # A login someone else created meanwhile: choose again, one at a time.
        return [outcome or self.add(row.person, taken) for outcome, (row, _) in zip(outcomes, planned, strict=True)]

    def create(self, login: str, person: NewAccount) -> Provisioned | None:
        """Creates a pending account under `login`; None when the login is taken."""
        code, expires = new_activation_code(), self._expiry()
        try:
            dn = self.directory.add(login, person, code, expires)
        except LoginTaken:
            return None
        audit("account.provisioned", login=login, profile=person.profile.value)
        return Provisioned(login, dn, printed(code), expires, person)

    def _expiry(self) -> datetime:
        return (datetime.now(UTC) + self.code_lifetime).replace(microsecond=0)


def _identity(person: NewAccount, school: str) -> tuple[str, str, str, str]:
    return (login_part(person.given_name), login_part(person.surname), person.profile.value, school)
