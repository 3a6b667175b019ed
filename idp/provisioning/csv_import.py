"""Reading the schools' CSV exports (columns documented in the README)."""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from idp.contact import ContactError, normalize_email, normalize_mobile
from idp.directory import LOGIN_PATTERN, NewAccount, Profile

from .logins import LoginError, base_login, clean_name
from .schools import normalize_uai, uai_problem

REQUIRED_COLUMNS = ("given_name", "surname", "profile", "school")
OPTIONAL_COLUMNS = ("email", "mobile", "children")
_PROFILES = ", ".join(profile.value for profile in Profile)


@dataclass(frozen=True)
class CsvRow:
    line: int
    person: NewAccount


@dataclass(frozen=True)
class CsvProblem:
    line: int
    message: str

    def __str__(self) -> str:
        return f"ligne {self.line} : {self.message}"


@dataclass
class CsvContent:
    rows: list[CsvRow]
    problems: list[CsvProblem]
    warnings: list[str]


class CsvFileError(ValueError):
    """The file as a whole cannot be read (missing columns, not UTF-8…)."""


def read_accounts_csv(path: Path) -> CsvContent:
    """Every line becomes a row or a problem naming its line number; nothing is skipped silently."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise CsvFileError(f"fichier introuvable : {path}") from None
    except UnicodeDecodeError as error:
        raise CsvFileError(
            f"{path} n'est pas en UTF-8 (octet {error.start}) : réenregistrez-le en « CSV UTF-8 »") from None
    lines = text.splitlines()
    if not lines:
        raise CsvFileError(f"{path} est vide")
    header = lines[0]
    delimiter = ";" if header.count(";") > header.count(",") else ","
    reader = csv.DictReader(lines, delimiter=delimiter)
    columns = [name.strip() for name in reader.fieldnames or []]
    reader.fieldnames = columns
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        raise CsvFileError(f"colonnes manquantes dans l'en-tête : {', '.join(missing)}")
    content = CsvContent([], [], [])
    ignored = [name for name in columns if name not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    if ignored:
        content.warnings.append(f"colonnes ignorées : {', '.join(ignored)}")
    for record in reader:
        line = reader.line_num
        if not any((value or "").strip() for value in record.values() if isinstance(value, str)):
            continue
        try:
            content.rows.append(CsvRow(line, _person(record)))
        except ValueError as error:
            content.problems.append(CsvProblem(line, str(error)))
    return content


def _person(record: dict[str, str | None]) -> NewAccount:
    def value(name: str) -> str:
        return (record.get(name) or "").strip()

    if None in record:
        raise ValueError("plus de valeurs que de colonnes")
    try:
        given_name, surname = clean_name(value("given_name")), clean_name(value("surname"))
        if not given_name or not surname:
            raise ValueError("prénom (given_name) et nom (surname) sont obligatoires")
        base_login(given_name, surname)
    except LoginError as error:
        raise ValueError(str(error)) from None
    try:
        profile = Profile(value("profile").lower())
    except ValueError:
        raise ValueError(f"profil « {value('profile')} » inconnu (attendu : {_PROFILES})") from None
    school = normalize_uai(value("school"))
    if not school:
        raise ValueError("l'UAI de l'établissement (school) est obligatoire")
    problem = uai_problem(school)
    if problem:
        raise ValueError(problem)
    try:
        email = normalize_email(value("email")) if value("email") else None
        mobile = normalize_mobile(value("mobile")) if value("mobile") else None
    except ContactError as error:
        raise ValueError(str(error)) from None
    children = tuple(child.strip().lower() for child in value("children").split(";") if child.strip())
    if children and profile is not Profile.PARENT:
        raise ValueError("seul un parent peut avoir des enfants (children)")
    for child in children:
        if not LOGIN_PATTERN.match(child):
            raise ValueError(f"identifiant d'enfant invalide : « {child} »")
    return NewAccount(given_name, surname, profile, (school,), email, mobile, children)
