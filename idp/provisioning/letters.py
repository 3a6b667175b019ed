"""Paper activation letters (one A4 page per account) for new ENT users."""

from __future__ import annotations

import datetime
import io
import pathlib
import tempfile
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import segno
from fpdf import FPDF

from idp.directory import classes_in
from idp.theme import DEFAULT_COLOUR, rgb

if TYPE_CHECKING:
    from idp.config import Settings

    from .service import Provisioned

__all__ = ["ActivationLetter", "write_letters"]

# Core PDF fonts are written with WinAnsiEncoding (cp1252): latin-1 plus ’ œ – — € etc.
# Anything else is approximated by `_safe` so that no encoding error is ever raised.
_ENCODING = "windows-1252"
_REPLACEMENTS = str.maketrans({"\u202f": "\u00a0", "\u2009": " ", "\u200b": "", "\u2010": "-",
                               "\u2011": "-", "\u2212": "-", "Ł": "L", "ł": "l", "ı": "i"})
_NBSP = "\u00a0"
_RGB = tuple[int, int, int]
_INK: _RGB = (25, 25, 25)
_GREY: _RGB = (90, 90, 90)
_LEFT, _WIDTH = 20.0, 170.0
_RIGHT = _LEFT + _WIDTH
_FOOTER_Y = 268.0
_QR_SIZE = 24.0
"""The portal's address as a QR code (mm), above the footer."""
_QR_TOP = _FOOTER_Y - _QR_SIZE - 4
_CGU = "J’accepte les conditions générales d’utilisation"
_PROFILES = {"parent": "Parent", "teacher": "Enseignant(e)", "student": "Élève",
             "staff": "Personnel de l’établissement"}


@dataclass(frozen=True)
class ActivationLetter:
    """Data printed on one activation letter."""

    given_name: str
    surname: str
    login: str                 # e.g. "daniele.adams"
    activation_code: str       # as printed, e.g. "K7QM-3XPA-9RT2"
    profile: str               # "parent" | "teacher" | "student" | "staff"
    school: str | None         # UAI, e.g. "0770001H"
    school_name: str | None    # e.g. "Collège Jean Moulin", may be None
    expires: datetime.date     # last day the code works
    help_desk: str | None = None  # the school's help desk (an e-mail address), when the settings name one
    class_name: str | None = None  # a pupil's class, « 4e B »: letters are handed out by class


def _safe(text: str) -> str:
    """Return `text` with characters the core fonts cannot encode approximated."""
    try:
        text.encode(_ENCODING)
        return text
    except UnicodeEncodeError:
        out = list(text.translate(_REPLACEMENTS))
    for i, char in enumerate(out):
        try:
            char.encode(_ENCODING)
        except UnicodeEncodeError:  # "ş" -> "s", anything else -> "?"
            base = "".join(c for c in unicodedata.normalize("NFKD", char)
                           if not unicodedata.combining(c))
            out[i] = base.encode(_ENCODING, "replace").decode(_ENCODING) or "?"
    return "".join(out)


def _q(text: str) -> str:
    """French quotes with non-breaking spaces: « text »."""
    return f"«{_NBSP}{text}{_NBSP}»"


class _LetterPDF(FPDF):
    """FPDF with a cheap line layout (multi_cell is far too slow for 1,000 pages)."""

    def __init__(self) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.core_fonts_encoding = _ENCODING
        self.set_auto_page_break(False)
        self._wrapped: dict[tuple[str, str, str, float, float], list[str]] = {}
        self.cy = 0.0  # top of the next line

    def normalize_text(self, text: str) -> str:
        return super().normalize_text(_safe(text))

    def style(self, style: str = "", size: float = 11, color: _RGB = _INK,
              family: str = "Helvetica") -> None:
        """Select font and text colour."""
        self.set_font(family, style, size)
        self.set_text_color(*color)

    def wrap(self, text: str, width: float) -> list[str]:
        """Greedy word wrap with the current font, memoised across pages."""
        key = (text, self.font_family, self.font_style, self.font_size_pt, width)
        if key not in self._wrapped:
            lines, line = [], ""
            for word in text.split(" "):
                candidate = f"{line} {word}" if line else word
                if line and self.get_string_width(candidate) > width:
                    lines.append(line)
                    line = word
                else:
                    line = candidate
            self._wrapped[key] = lines + [line]
        return self._wrapped[key]

    def put(self, x: float, text: str, h: float) -> None:
        """Draw one line in a slot of height `h` starting at `cy` (text() is 10x cell())."""
        self.text(x, self.cy + (h + self.font_size * 0.7) / 2, text)

    def para(self, text: str, h: float = 5.4, after: float = 2.0, x: float = _LEFT,
             width: float = _WIDTH, right: bool = False) -> None:
        """Draw `text` wrapped in [x, x + width] from `cy`, then move `cy` down."""
        for line in self.wrap(text, width):
            self.put(x + width - self.get_string_width(line) if right else x, line, h)
            self.cy += h
        self.cy += after

    def item(self, label: str, text: str, indent: float, color: _RGB = _INK,
             after: float = 1.2) -> None:
        """A hanging-indent list item: `label` in the margin, `text` wrapped beside it."""
        style, size = self.font_style, self.font_size_pt
        self.style("B", size, color)
        self.put(_LEFT, label, 5.4)
        self.style(style, size)
        self.para(text, x=_LEFT + indent, width=_WIDTH - indent, after=after)


def _steps(portal_url: str) -> list[str]:
    """The activation steps, in the words of the user guide."""
    return [
        f"Rendez-vous sur le portail {portal_url} et cliquez sur {_q('Se connecter')}.",
        f"Saisissez votre identifiant (prénom.nom) dans {_q('Identifiant')} et le code "
        f"d’activation dans {_q('Mot de passe')}, puis cliquez sur {_q('Connexion')}.",
        f"Choisissez votre mot de passe personnel{_NBSP}: 8 caractères au minimum, parmi "
        "lesquels au moins une lettre et au moins un chiffre. Confirmez-le.",
        "Renseignez une adresse de courriel strictement personnelle (elle permet de récupérer "
        "votre mot de passe en cas d’oubli) et, si vous le souhaitez, votre téléphone mobile.",
        f"Après avoir lu la charte d’utilisation, cochez {_q(_CGU)} puis cliquez sur "
        f"{_q('Activer')}.",
    ]


def _notes(profile: str, help_desk: str | None = None) -> list[str]:
    """Closing remarks; the parents' help link only on parent letters; the school's help desk
    when the settings name it."""
    notes = [f"Une fois votre compte activé, le code d’activation devient obsolète{_NBSP}: "
             "connectez-vous ensuite avec votre identifiant et votre mot de passe.",
             f"Sur un ordinateur partagé, ne cochez pas {_q('Se souvenir de moi')}."]
    if profile == "parent":
        notes.append((f"En cas de difficulté, écrivez à {help_desk} ou utilisez" if help_desk else
                      "En cas de difficulté, utilisez") + f" le lien {_q('Problème de connexion parents')} de la "
                     "page de connexion.")
    elif profile == "student":
        notes.append("En cas de difficulté, adressez-vous à la vie scolaire ou à votre "
                     "professeur principal.")
    else:
        notes.append(f"En cas de difficulté, écrivez à {help_desk}." if help_desk else
                     "En cas de difficulté, adressez-vous à votre établissement.")
    return notes


def _page(pdf: _LetterPDF, letter: ActivationLetter, steps: list[str], ent_name: str, colour: _RGB,
          portal_url: str, portal_code: io.BytesIO) -> None:
    """Lay out one letter on a new page, its headings in the ENT's colour."""
    pdf.add_page()
    pdf.cy = 16.0
    pdf.style("B", 15, colour)
    pdf.para(f"{ent_name} — Espace Numérique de Travail", h=7, after=1)
    school = " — ".join(p for p in (letter.school_name,
                                    letter.school and f"UAI {letter.school}") if p)
    if school:
        pdf.style()
        pdf.para(school, after=0.5)
    pdf.style("B", 9.5, colour)
    pdf.para("Document personnel et confidentiel", after=1.5)
    pdf.set_draw_color(*colour)
    pdf.set_line_width(0.5)
    pdf.line(_LEFT, pdf.cy, _RIGHT, pdf.cy)
    pdf.cy += 6
    pdf.style("B", 11)  # addressee, right-aligned as in a letter
    pdf.para(f"{letter.given_name} {letter.surname.upper()}".strip(), h=5.5, after=0, right=True)
    pdf.style("", 10, _GREY)
    profile = _PROFILES.get(letter.profile, letter.profile.capitalize())
    pdf.para(f"{profile} — {letter.class_name}" if letter.class_name else profile, after=6, right=True)
    pdf.style()
    pdf.para(f"Bonjour {letter.given_name}," if letter.profile == "student"
             else "Madame, Monsieur,", after=2.5)
    pdf.para("Votre compte sur l’ENT a été créé. Vous trouverez ci-dessous ce dont vous avez "
             "besoin pour l’activer.", after=4)
    # Boxed credentials, Courier shrunk (never wrapped) if a login is very long.
    top = pdf.cy
    pdf.cy += 4
    lines = (f"Identifiant{_NBSP}: {letter.login}",
             f"Code d’activation{_NBSP}: {letter.activation_code}")
    pdf.style("B", 15, family="Courier")
    longest = max(pdf.get_string_width(line) for line in lines)
    pdf.style("B", min(15.0, 14.9 * (_WIDTH - 12) / longest), family="Courier")
    for line in lines:
        pdf.put(_LEFT + 6, line, 9)
        pdf.cy += 9
    pdf.style("", 10.5)
    pdf.para(f"Ce code est valable jusqu’au {letter.expires:%d/%m/%Y} et ne sert qu’une fois.",
             after=0, x=_LEFT + 6, width=_WIDTH - 12)
    pdf.cy += 4
    pdf.set_line_width(0.4)
    pdf.rect(_LEFT, top, _WIDTH, pdf.cy - top)
    pdf.cy += 8
    pdf.style("B", 12.5, colour)
    pdf.para("Activer son compte", h=6, after=2)
    pdf.style()
    for number, step in enumerate(steps, 1):
        pdf.item(f"{number}.", step, 7, colour)
    pdf.cy += 3
    pdf.style("", 10.5)
    for note in _notes(letter.profile, letter.help_desk):
        pdf.item("-", note, 5, after=1)
    if pdf.cy > _QR_TOP:  # only with absurdly long names: never print over the portal's code or the footer
        raise ValueError(f"lettre de {letter.login} trop longue pour une page")
    pdf.image(portal_code, x=_LEFT, y=_QR_TOP + 2, w=_QR_SIZE, h=_QR_SIZE)
    pdf.style("", 10)
    pdf.cy = _QR_TOP + 2 + _QR_SIZE / 2 - 5
    pdf.para("Le portail de l’ENT, avec l’appareil photo d’un téléphone :", x=_LEFT + _QR_SIZE + 5,
             width=_WIDTH - _QR_SIZE - 5, after=0)
    pdf.style("B", 10)
    pdf.para(portal_url, x=_LEFT + _QR_SIZE + 5, width=_WIDTH - _QR_SIZE - 5, after=0)
    pdf.cy = _FOOTER_Y
    pdf.set_line_width(0.3)
    pdf.line(_LEFT, pdf.cy, _RIGHT, pdf.cy)
    pdf.cy += 2
    pdf.style("B", 9.5, colour)
    pdf.para("Ne communiquez jamais votre mot de passe. Le personnel de l’établissement "
             "ne vous le demandera jamais.", h=4.5, after=0)


def write_letters(path: pathlib.Path, letters: Iterable[ActivationLetter], *,
                  portal_url: str, ent_name: str = "ENT 77", colour: str = DEFAULT_COLOUR) -> int:
    """Writes one page per letter to `path` (PDF); returns the number of pages."""
    pdf = _LetterPDF()
    pdf.set_lang("fr")
    pdf.set_title(f"{ent_name} — lettres d’activation")
    pdf.set_creator("idp.provisioning.letters")
    steps = _steps(portal_url)
    portal_code = io.BytesIO()  # one image, which every page of the file shows
    segno.make(portal_url, error="m").save(portal_code, kind="png", scale=8, border=2)
    for letter in letters:
        _page(pdf, letter, steps, ent_name, rgb(colour), portal_url, portal_code)
    if pdf.pages_count == 0:
        raise ValueError("aucune lettre à écrire")
    pdf.output(str(path))
    return pdf.pages_count


def letters_of(provisioned: Iterable[Provisioned], settings: Settings) -> list[ActivationLetter]:
    """The letters of accounts just created or given a new code, with each one's first school
    (its name and help desk from the settings) and, for a pupil, their class there."""
    letters = []
    for done in provisioned:
        person = done.person
        school = person.schools[0] if person.schools else None
        class_name = next(iter(classes_in(person.classes, school)), None) if school else None
        letters.append(ActivationLetter(
            given_name=person.given_name, surname=person.surname, login=done.login,
            activation_code=done.activation_code, profile=person.profile.value, school=school,
            school_name=settings.schools.get(school) if school else None, expires=done.expires.date(),
            help_desk=settings.help_desks.get(school) if school else None, class_name=class_name))
    return letters


def write_letters_of(path: pathlib.Path, provisioned: Iterable[Provisioned], settings: Settings) -> int:
    """`letters_of` written to `path` in the ENT's name and colour; returns the number of pages."""
    return write_letters(path, letters_of(provisioned, settings), portal_url=settings.issuer,
                         ent_name=settings.ent_name, colour=settings.theme_colour)


def letters_pdf(provisioned: Iterable[Provisioned], settings: Settings) -> bytes:
    """The same as a PDF document in memory (a page's download)."""
    with tempfile.TemporaryDirectory() as folder:
        path = pathlib.Path(folder) / "lettres.pdf"
        write_letters_of(path, provisioned, settings)
        return path.read_bytes()
