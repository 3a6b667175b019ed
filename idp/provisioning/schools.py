"""UAI: the national identifier of a French school (7 characters and a check letter)."""
from __future__ import annotations

import re

_UAI = re.compile(r"^(\d{7})([A-Z])$")
_CHECK_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"  # 23 letters: no I, O, Q


def normalize_uai(text: str) -> str:
    return text.strip().upper()


def uai_problem(uai: str) -> str | None:
    """Why `uai` is not a valid UAI, in French; None when it is."""
    match = _UAI.match(uai)
    if not match:
        return f"UAI « {uai} » invalide : 7 chiffres suivis d'une lettre attendus (ex. 0770001H)"
    expected = _CHECK_LETTERS[int(match.group(1)) % 23]
    if match.group(2) != expected:
        return f"UAI « {uai} » invalide : la lettre clé devrait être {expected}"
    return None
