"""The ENT's colour, set in one place (`theme_colour`, beside `ent_name`): a département's
ENT has its own identity; the French State's (« bleu France » with the Marianne font) is
reserved to State sites. The pages' stylesheet reads it from /theme.css, and the mails and
activation letters use it too. It must keep text on white readable (WCAG AA, 4.5:1)."""
from __future__ import annotations

import re

DEFAULT_COLOUR = "#1d5c63"
"""A deep teal: 7.2:1 on white."""
MINIMUM_CONTRAST = 4.5

_HEX = re.compile(r"#[0-9a-fA-F]{6}")


def rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def contrast_on_white(colour: str) -> float:
    """WCAG 2.1's contrast ratio of `colour` against white."""
    def channel(value: int) -> float:
        share = value / 255
        return share / 12.92 if share <= 0.03928 else ((share + 0.055) / 1.055) ** 2.4
    red, green, blue = (channel(value) for value in rgb(colour))
    luminance = 0.2126 * red + 0.7152 * green + 0.0722 * blue
    return 1.05 / (luminance + 0.05)


def colour_problem(colour: str) -> str | None:
    if not _HEX.fullmatch(colour):
        return f"theme_colour : couleur #rrvvbb attendue, reçu {colour!r}"
    if contrast_on_white(colour) < MINIMUM_CONTRAST:
        return (f"theme_colour : {colour} n'est pas assez contrastée sur fond blanc "
                f"({contrast_on_white(colour):.1f}:1, {MINIMUM_CONTRAST}:1 au moins)")
    return None


def stylesheet(colour: str) -> str:
    """The pages' colour variables: the colour, a darker one (hover) and a light tint (backgrounds)."""
    return (f":root {{ --couleur: {colour}; --couleur-survol: {_mix(colour, (0, 0, 0), 0.25)}; "
            f"--couleur-claire: {_mix(colour, (255, 255, 255), 0.88)}; }}\n")


def _mix(colour: str, towards: tuple[int, int, int], share: float) -> str:
    mixed = (round(value + (target - value) * share) for value, target in zip(rgb(colour), towards, strict=True))
    return "#" + "".join(f"{value:02x}" for value in mixed)
