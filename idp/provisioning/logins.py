"""Logins of the form prénom.nom.

The rule, documented in the README:
1. Each part is lower-cased; accents and other marks are removed (« Danièle » → daniele);
   ligatures are spelled out (œ → oe, æ → ae, ß → ss).
2. Hyphens are kept (« Jean-Pierre » → jean-pierre); spaces become hyphens, so
   particles stay readable (« de La Fontaine » → de-la-fontaine); apostrophes are
   dropped (« D'Artagnan » → dartagnan, « N'Diaye » → ndiaye).
3. Any other character is dropped; repeated hyphens collapse; a part never starts or
   ends with one.
4. given name and surname are joined by a dot; a login is at most 64 characters
   (each part shortened evenly if needed).
5. Homonyms: the first person gets prénom.nom, the next ones prénom.nom2, prénom.nom3…
"""
from __future__ import annotations

import re
import unicodedata

MAX_LENGTH = 64
_SPELLED_OUT = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss", "ø": "o", "Ø": "O",
                              "đ": "d", "Đ": "D", "ł": "l", "Ł": "L"})
_APOSTROPHES = re.compile(r"['’ʼ‘`´]")
_SEPARATORS = re.compile(r"[\s_]+")
_NOT_ALLOWED = re.compile(r"[^a-z0-9-]")
_HYPHENS = re.compile(r"-{2,}")


class LoginError(ValueError):
    """A name that gives no usable login."""


def clean_name(name: str) -> str:
    """A name as stored: spaces collapsed; control characters refused."""
    if any(unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn") for char in name.replace("\t", " ")):
        raise LoginError(f"caractère invalide (caractère de contrôle) dans « {name.strip()!r} »")
    return " ".join(name.split())


def login_part(name: str) -> str:
    """One half of a login (rules 1–3)."""
    text = unicodedata.normalize("NFKD", name.translate(_SPELLED_OUT))
    text = "".join(char for char in text if not unicodedata.combining(char)).lower()
    text = _SEPARATORS.sub("-", _APOSTROPHES.sub("", text.strip()))
    text = _HYPHENS.sub("-", _NOT_ALLOWED.sub("", text))
    return text.strip("-")


def base_login(given_name: str, surname: str) -> str:
    """prénom.nom for a person, before any homonym suffix."""
    given, family = login_part(given_name), login_part(surname)
    if not given:
        raise LoginError(f"prénom inutilisable pour un identifiant : {given_name!r}")
    if not family:
        raise LoginError(f"nom inutilisable pour un identifiant : {surname!r}")
    room = MAX_LENGTH - 3  # the dot and a two-digit homonym suffix
    while len(given) + len(family) > room:
        if len(given) >= len(family):
            given = given[:-1].rstrip("-")
        else:
            family = family[:-1].rstrip("-")
    return f"{given}.{family}"


def homonym_login(base: str, taken: set[str]) -> str:
    """The first free login among base, base2, base3… (rule 5)."""
    if base not in taken:
        return base
    number = 2
    while f"{base}{number}" in taken:
        number += 1
    return f"{base}{number}"
