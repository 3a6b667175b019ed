"""Personal e-mail addresses and phone numbers: one place for their rules."""
from __future__ import annotations

import re

_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")
_FRENCH_MOBILE = re.compile(r"^0([67]\d{8})$")
_INTERNATIONAL = re.compile(r"^\+[1-9]\d{7,14}$")
_FRENCH_LANDLINE = re.compile(r"^(?:0|\+330?)([1-59]\d{8})$")
"""01–05 (geographic) and 09 numbers; mobiles (06, 07) and other countries go to `normalize_mobile`."""


class ContactError(ValueError):
    """Its text tells the person what to fix, in French."""


def normalize_email(text: str) -> str:
    address = text.strip()
    if len(address) > 254 or not _EMAIL.match(address) or ".." in address:
        raise ContactError(f"adresse de courriel invalide : « {address} » (exemple : prenom.nom@exemple.fr)")
    local, domain = address.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


def normalize_mobile(text: str) -> str:
    """A mobile number in E.164 (+33612345678). French numbers may be typed the French
    way (06 12 34 56 78, 06.12.34.56.78); others start with + and the country code."""
    digits = re.sub(r"[\s.\-()]", "", text.strip())
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    french = _FRENCH_MOBILE.match(digits)
    if french:
        return "+33" + french.group(1)
    if digits.startswith("+330"):
        digits = "+33" + digits[4:]
    if digits.startswith("+33") and not re.match(r"^\+33[67]\d{8}$", digits):
        raise ContactError(f"numéro de mobile invalide : « {text.strip()} » (un mobile français commence par 06 ou 07)")
    if not _INTERNATIONAL.match(digits):
        raise ContactError(f"numéro de mobile invalide : « {text.strip()} » (exemple : 06 12 34 56 78)")
    return digits


def normalize_phone(text: str) -> str:
    """A phone number to call back, in E.164: French mobiles and landlines (01–05, 09) typed the
    French way or with +33, and other countries with their code. Raises ContactError."""
    digits = re.sub(r"[\s.\-()/]", "", text.strip())
    if digits.startswith("0033"):
        digits = "+33" + digits[4:]
    landline = _FRENCH_LANDLINE.match(digits)
    if landline:
        return "+33" + landline.group(1)
    return normalize_mobile(digits)


def display_phone(number: str) -> str:
    """A French number as people read it, « 06 12 34 56 78 » (others as stored, in E.164)."""
    if re.fullmatch(r"\+33\d{9}", number):
        national = "0" + number[3:]
        return " ".join(national[index:index + 2] for index in range(0, 10, 2))
    return number
