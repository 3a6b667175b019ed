"""One-time activation codes printed on the school's letter."""
from __future__ import annotations

import secrets

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
"""No look-alikes: no 0/O, 1/I/L."""
LENGTH = 12
"""31**12 ≈ 2**59 possible codes; slapd's lockout stops guessing long before."""
GROUP = 4


def new_activation_code() -> str:
    """A fresh code in its stored form, e.g. `K7QM3XPA9RT2`."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def printed(code: str) -> str:
    """How letters and screens show a code: `K7QM-3XPA-9RT2`."""
    return "-".join(code[i:i + GROUP] for i in range(0, len(code), GROUP))


def normalize_typed_code(typed: str) -> str:
    """What a person typed, in stored form: case, spaces and hyphens do not matter."""
    return "".join(typed.split()).replace("-", "").upper()
