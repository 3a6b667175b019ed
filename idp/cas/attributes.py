"""What a CAS app learns about a person, by the attribute profile it was registered with.

Read from the directory's `Account` when a ticket is issued and kept with the ticket: the
validation, a few seconds later, reads nothing again. Every value is a list of strings (CAS
attributes are multi-valued); an attribute the directory does not hold is left out, never sent
empty.

Profiles:
- `default`: `uid`, `displayName`, `givenName`, `sn`, `mail` (the personal recovery address,
  when given), `profile` (parent, teacher, student, staff), `ENTPersonProfils` (the national
  profile of the SDET, below), `school` (UAI of the main school) and `schools` (all of them).
- `pronote`: what Pronote's « Intégration dans un ENT » reads: `nom`, `prenom`, `categories`
  (below, several joined with `;`), and `dateNaissance` (dd/mm/yyyy) and `codePostal` once the
  directory holds them (it does not today: they are left out).
"""
from __future__ import annotations

from datetime import date

from idp.directory import Account, Profile

DEFAULT, PRONOTE = "default", "pronote"
PROFILES = (DEFAULT, PRONOTE)

SDET_PROFILES: dict[Profile, str] = {
    Profile.STUDENT: "National_ELV",
    Profile.PARENT: "National_TUT",
    Profile.TEACHER: "National_ENS",
    Profile.STAFF: "National_ETA",
}
"""`ENTPersonProfils` of the SDET (Schéma directeur des espaces numériques de travail): élève,
tuteur (responsable légal), enseignant, and personnel administratif, technique ou d'encadrement
for our `staff` (the SDET's finer staff profiles — National_DIR direction, National_EVS vie
scolaire, National_DOC documentaliste — need a distinction the directory does not make)."""

PRONOTE_CATEGORIES: dict[Profile, str] = {
    Profile.STUDENT: "National_1",
    Profile.PARENT: "National_2",
    Profile.TEACHER: "National_3",
    Profile.STAFF: "National_4",
}
"""Pronote's categories: élève, responsable, professeur, personnel."""

Attributes = dict[str, list[str]]


def attributes_for(account: Account, profile: str) -> Attributes:
    """The attributes of `account` that an app of `profile` is given."""
    if profile == PRONOTE:
        return pronote_attributes(account)
    return default_attributes(account)


def default_attributes(account: Account) -> Attributes:
    found: dict[str, list[str]] = {
        "uid": [account.login],
        "displayName": [account.display_name],
        "givenName": [account.given_name],
        "sn": [account.surname],
        "mail": [account.recovery_email] if account.recovery_email else [],
        "profile": [account.profile.value],
        "ENTPersonProfils": [SDET_PROFILES[account.profile]],
        "school": list(account.schools[:1]),
        "schools": list(account.schools),
    }
    return _without_empty(found)


def pronote_attributes(account: Account) -> Attributes:
    birth_date: date | None = getattr(account, "birth_date", None)
    postal_code: str | None = getattr(account, "postal_code", None)
    found = {
        "nom": [account.surname],
        "prenom": [account.given_name],
        "categories": [";".join(_pronote_categories(account))],
        "dateNaissance": [birth_date.strftime("%d/%m/%Y")] if birth_date else [],
        "codePostal": [postal_code] if postal_code else [],
    }
    return _without_empty(found)


def _pronote_categories(account: Account) -> list[str]:
    """One category per profile; the directory gives a person one profile today."""
    return [PRONOTE_CATEGORIES[account.profile]]


def _without_empty(found: dict[str, list[str]]) -> Attributes:
    return {name: values for name, values in found.items() if any(values)}
