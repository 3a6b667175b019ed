"""Tests for idp.provisioning.letters (PDF activation letters)."""

from __future__ import annotations

import dataclasses
import datetime
import pathlib
import time

import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader

from idp.provisioning.letters import ActivationLetter, write_letters
from tests.typography import faults

PORTAL = "https://ent77.seine-et-marne.fr"

BASE = ActivationLetter(
    given_name="Danièle",
    surname="Adams",
    login="daniele.adams",
    activation_code="K7QM-3XPA-9RT2",
    profile="parent",
    school="0770001H",
    school_name="Collège Jean Moulin",
    expires=datetime.date(2027, 2, 28),
)


def _letter(**changes: object) -> ActivationLetter:
    return dataclasses.replace(BASE, **changes)


def _write(tmp_path: pathlib.Path, letters: list[ActivationLetter], **kw: str) -> list[str]:
    """Write the letters, check the page count, return each page's normalised text."""
    path = tmp_path / "letters.pdf"
    assert write_letters(path, letters, portal_url=PORTAL, **kw) == len(letters)
    pages = PdfReader(path).pages
    assert len(pages) == len(letters)
    # Non-breaking spaces (French typography) and line breaks become plain spaces.
    return [" ".join(page.extract_text().replace("\xa0", " ").split()) for page in pages]


def test_letter_shows_login_and_code(tmp_path: pathlib.Path) -> None:
    (text,) = _write(tmp_path, [BASE])
    assert "Identifiant : daniele.adams" in text
    assert "Code d’activation : K7QM-3XPA-9RT2" in text
    assert "valable jusqu’au 28/02/2027 et ne sert qu’une fois" in text


def test_letter_shows_portal_and_steps(tmp_path: pathlib.Path) -> None:
    (text,) = _write(tmp_path, [BASE])
    assert f"Rendez-vous sur le portail {PORTAL} et cliquez sur « Se connecter »" in text
    assert "Activer son compte" in text
    for number in range(1, 6):
        assert f"{number}. " in text
    assert "« J’accepte les conditions générales d’utilisation »" in text
    assert "« Se souvenir de moi »" in text
    assert "8 caractères au minimum" in text


def test_header_and_footer(tmp_path: pathlib.Path) -> None:
    (text,) = _write(tmp_path, [BASE], ent_name="ENT 77")
    assert "ENT 77 — Espace Numérique de Travail" in text
    assert "Collège Jean Moulin" in text and "UAI 0770001H" in text
    assert "Document personnel et confidentiel" in text
    assert "Le personnel de l’établissement ne vous le demandera jamais." in text


def test_school_is_optional(tmp_path: pathlib.Path) -> None:
    (text,) = _write(tmp_path, [_letter(school=None, school_name=None)])
    assert "UAI" not in text
    assert "daniele.adams" in text


def test_accents_intact(tmp_path: pathlib.Path) -> None:
    (text,) = _write(tmp_path, [BASE])
    assert "Danièle ADAMS" in text
    assert "Numérique" in text and "Collège" in text and "« Connexion »" in text


def test_one_page_per_letter(tmp_path: pathlib.Path) -> None:
    letters = [_letter(login=f"user.{i}", profile=p)
               for i, p in enumerate(["parent", "teacher", "student", "staff"] * 3)]
    texts = _write(tmp_path, letters)
    for i, text in enumerate(texts):
        assert f"Identifiant : user.{i} " in text


def test_accepts_any_iterable(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "gen.pdf"
    count = write_letters(path, (_letter(login=f"u.{i}") for i in range(3)), portal_url=PORTAL)
    assert count == 3 and len(PdfReader(path).pages) == 3


def test_parent_letter_mentions_parent_help(tmp_path: pathlib.Path) -> None:
    (text,) = _write(tmp_path, [_letter(profile="parent")])
    assert "« Problème de connexion parents »" in text
    assert "Madame, Monsieur," in text


def test_teacher_letter_does_not_mention_parent_help(tmp_path: pathlib.Path) -> None:
    teacher, staff = _write(tmp_path, [_letter(profile="teacher"), _letter(profile="staff")])
    for text in (teacher, staff):
        assert "Problème de connexion parents" not in text
        assert "adressez-vous à votre établissement" in text


def test_student_letter_greets_by_first_name(tmp_path: pathlib.Path) -> None:
    (text,) = _write(tmp_path, [_letter(profile="student")])
    assert "Bonjour Danièle," in text
    assert "Madame, Monsieur" not in text
    assert "Problème de connexion parents" not in text


def test_long_names_still_fit_on_one_page(tmp_path: pathlib.Path) -> None:
    surname = "de La Rochefoucauld-Montmorency-Lavalois"
    assert len(surname) == 40
    login = "jean-baptiste-marie.de-la-rochefoucauld-montmorency-lavalois"
    long_one = _letter(
        given_name="Jean-Baptiste-Marie", surname=surname, login=login,
        school_name="Lycée polyvalent d'enseignement général, technologique et professionnel "
                    "Léonard de Vinci - site de Saint-Fargeau-Ponthierry",
    )
    texts = _write(tmp_path, [long_one, BASE, long_one])
    assert f"Identifiant : {login}" in texts[0]  # never wrapped
    assert "Code d’activation : K7QM-3XPA-9RT2" in texts[2]
    assert "ne vous le demandera jamais" in texts[2]


def test_non_latin1_characters_do_not_raise(tmp_path: pathlib.Path) -> None:
    letter = _letter(given_name="Chloé’s", surname="Cœur ŁukaszŞ 🙂",
                     school_name="Collège d’Œuvre – Saint‑Exupéry")
    (text,) = _write(tmp_path, [letter], ent_name="ENT 77 “Seine‑et‑Marne”")
    # ’ œ – are kept (WinAnsi); Ł and Ş are folded to L and S; the emoji becomes "?".
    assert "Chloé’s CŒUR LUKASZS ?" in text
    assert "Collège d’Œuvre – Saint-Exupéry" in text


def test_empty_input_raises(tmp_path: pathlib.Path) -> None:
    with pytest.raises(ValueError, match="aucune lettre"):
        write_letters(tmp_path / "empty.pdf", [], portal_url=PORTAL)
    assert not (tmp_path / "empty.pdf").exists()


def test_thousand_letters_are_fast(tmp_path: pathlib.Path) -> None:
    letters = [_letter(login=f"eleve.{i:04d}", profile="student") for i in range(1000)]
    start = time.perf_counter()
    assert write_letters(tmp_path / "many.pdf", letters, portal_url=PORTAL) == 1000
    assert time.perf_counter() - start < 10  # ~1 s on a laptop; generous for CI
    assert len(PdfReader(tmp_path / "many.pdf").pages) == 1000


def test_absurdly_long_text_raises_instead_of_overprinting(tmp_path: pathlib.Path) -> None:
    with pytest.raises(ValueError, match="trop longue"):
        write_letters(tmp_path / "x.pdf", [_letter(school_name="Collège " * 400)],
                      portal_url=PORTAL)


def test_the_school_help_desk_is_given_when_the_settings_name_it(tmp_path: pathlib.Path) -> None:
    (parent,) = _write(tmp_path, [_letter(help_desk="vie-scolaire.tilleuls@example.fr")])
    assert ("En cas de difficulté, écrivez à vie-scolaire.tilleuls@example.fr ou utilisez le lien "
            "« Problème de connexion parents »") in parent
    (teacher,) = _write(tmp_path, [_letter(profile="teacher", help_desk="vie-scolaire.tilleuls@example.fr")])
    assert "En cas de difficulté, écrivez à vie-scolaire.tilleuls@example.fr." in teacher


def test_each_letter_has_the_portal_as_a_qr_code_a_phone_reads(tmp_path: pathlib.Path) -> None:
    """Decoded with zxing-cpp, as a phone's camera would; one image shared by every page."""

    texts = _write(tmp_path, [BASE, _letter(login="leo.adams")])
    assert all(PORTAL in text and "avec l’appareil photo d’un téléphone" in text for text in texts)
    pages = PdfReader(tmp_path / "letters.pdf").pages
    images = [list(page["/Resources"]["/XObject"].keys()) for page in pages]
    assert images[0] == images[1] and len(images[0]) == 1
    picture = next(iter(pages[0].images)).image
    assert isinstance(picture, Image.Image)
    [decoded] = zxingcpp.read_barcodes(picture)
    assert decoded.text == PORTAL and decoded.format == zxingcpp.BarcodeFormat.QRCode


def test_the_letter_follows_french_typography(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "letter.pdf"
    write_letters(path, [BASE], portal_url=PORTAL)
    text = PdfReader(path).pages[0].extract_text()
    assert "\xa0" in text and not faults(text)
