"""The personal-password rule: the one place in the product that decides if a password is acceptable.

Composition (official guide): at least ``MIN_LENGTH`` characters, among them at least one letter
(any Unicode letter) and at least one digit (any Unicode decimal digit). The security checklist adds:

* the password is NFKC-normalised first and every check runs on the normalised text (so full-width
  ``Ｔｉｌｌｅｕｌ２０２６`` is ``Tilleul2026``); nothing is trimmed or truncated; up to ``MAX_LENGTH``
  characters are accepted, longer ones are refused with a message;
* *common*: the password is "folded" (lower-cased, accents removed: ``Été`` -> ``ete``). It is refused
  when the folded password is in the ``# full`` section of ``common_passwords.txt``, or when removing
  every trailing non-letter (digits, punctuation, spaces) leaves a word of the ``# base words`` section
  and what was removed is at most ``MAX_COMMON_SUFFIX`` characters (``AZERTY123!``, ``doudou2012``);
* *personal*: refused when the folded password contains the folded login (``prénom.nom``) or any word
  of 4+ letters of the given name, the surname or the login (``Adams2024x``, ``daniele99``). Shorter
  words are not checked, so that a pupil named « Léo » can still choose a password.

``password_problems`` lists every rule broken, as sentences shown next to the field: in the page's
language during a request (``idp.i18n``), in French everywhere else.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from importlib.resources import files

from idp.directory import secret_is_usable
from idp.i18n import N_, _l

MIN_LENGTH = 8
MAX_LENGTH = 256
RULES_TEXT = N_("8 caractères au minimum, parmi lesquels au moins une lettre et au moins un chiffre")
"""In French; pages show ``gettext(RULES_TEXT)``."""

MAX_COMMON_SUFFIX = 4
"""At most this many trailing digits/punctuation after a base word still make a password common."""
MIN_NAME_PART = 4
"""Name or login words shorter than this are not looked for in the password."""

_TOO_SHORT = _l("Le mot de passe doit contenir au moins %(count)d caractères.", count=MIN_LENGTH)
_NO_LETTER = _l("Le mot de passe doit contenir au moins une lettre.")
_NO_DIGIT = _l("Le mot de passe doit contenir au moins un chiffre.")
_TOO_LONG = _l("Le mot de passe ne doit pas dépasser %(count)d caractères.", count=MAX_LENGTH)
_COMMON = _l("Ce mot de passe est trop courant : choisissez-en un plus personnel.")
_UNUSABLE = _l("Ce mot de passe contient un caractère qui ne peut pas servir (caractère invisible ou de contrôle, "
               "ou mélange d’écritures de droite à gauche et de gauche à droite) : choisissez-en un autre.")
_PERSONAL = _l("Le mot de passe ne doit pas contenir votre identifiant ni vos nom et prénom.")

_TRAILING_NON_LETTERS = re.compile(r"[\W\d_]+\Z")
_LETTER_RUNS = re.compile(r"[^\W\d_]+")
_SECTIONS = {"# full": "full", "# base words": "base"}


def normalize_password(text: str) -> str:
    """Unicode NFKC form of ``text`` (what is checked, and what should be hashed)."""
    return unicodedata.normalize("NFKC", text)


def _fold(text: str) -> str:
    """Lower-cased, accent-free form used for comparisons (``Été`` -> ``ete``)."""
    decomposed = unicodedata.normalize("NFKD", normalize_password(text))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


@lru_cache(maxsize=1)
def common_passwords() -> tuple[frozenset[str], frozenset[str]]:
    """The folded ``(full, base words)`` sections of ``common_passwords.txt``, read once."""
    sections: dict[str, set[str]] = {"full": set(), "base": set()}
    current: str | None = None
    text = (files("idp") / "common_passwords.txt").read_text(encoding="utf-8")
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if line.lower() in _SECTIONS:
            current = _SECTIONS[line.lower()]
        elif line and not line.startswith("#"):
            if current is None:
                raise ValueError(f"common_passwords.txt:{number}: entry before any section")
            sections[current].add(_fold(line))
    return frozenset(sections["full"]), frozenset(sections["base"])


def is_common(password: str) -> bool:
    """True when the password is on the list or is a base word plus a short non-letter ending."""
    full, base = common_passwords()
    folded = _fold(password)
    if folded in full:
        return True
    stem = _TRAILING_NON_LETTERS.sub("", folded)
    return stem in base and len(folded) - len(stem) <= MAX_COMMON_SUFFIX


def contains_personal_data(password: str, *, login: str = "", given_name: str = "", surname: str = "") -> bool:
    """True when the password contains the login, or a 4+-letter word of the names or login."""
    folded = _fold(password)
    words = {_fold(login)}
    for text in (login, given_name, surname):
        words.update(_LETTER_RUNS.findall(_fold(text)))
    return any(len(word) >= MIN_NAME_PART and word in folded for word in words)


def password_problems(password: str, *, login: str = "", given_name: str = "", surname: str = "") -> list[str]:
    """Every rule the password breaks, as sentences a parent understands (French, or the page's
    language during a request), in the order: length, letter, digit, too long, common, contains
    the login/name. Empty when fine."""
    text = normalize_password(password)
    problems: list[str] = []
    if len(text) < MIN_LENGTH:
        problems.append(str(_TOO_SHORT))
    if not any(c.isalpha() for c in text):
        problems.append(str(_NO_LETTER))
    if not any(c.isdecimal() for c in text):
        problems.append(str(_NO_DIGIT))
    if len(text) > MAX_LENGTH:
        problems.append(str(_TOO_LONG))
    if is_common(text):
        problems.append(str(_COMMON))
    if contains_personal_data(text, login=login, given_name=given_name, surname=surname):
        problems.append(str(_PERSONAL))
    if text and not secret_is_usable(text):
        problems.append(str(_UNUSABLE))
    return problems
