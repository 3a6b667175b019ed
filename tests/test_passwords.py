"""The personal-password rule (idp.passwords): guide examples, checklist additions, exact messages."""
from __future__ import annotations

import pytest

from idp.passwords import (
    MAX_LENGTH,
    MIN_LENGTH,
    RULES_TEXT,
    common_passwords,
    normalize_password,
    password_problems,
)

TOO_SHORT = "Le mot de passe doit contenir au moins 8 caractères."
NO_LETTER = "Le mot de passe doit contenir au moins une lettre."
NO_DIGIT = "Le mot de passe doit contenir au moins un chiffre."
TOO_LONG = "Le mot de passe ne doit pas dépasser 256 caractères."
COMMON = "Ce mot de passe est trop courant : choisissez-en un plus personnel."
PERSONAL = "Le mot de passe ne doit pas contenir votre identifiant ni vos nom et prénom."

DANIELE = {"login": "daniele.adams", "given_name": "Danièle", "surname": "Adams"}


def test_constants_match_the_official_guide() -> None:
    assert MIN_LENGTH == 8
    assert MAX_LENGTH == 256
    assert RULES_TEXT == "8 caractères au minimum, parmi lesquels au moins une lettre et au moins un chiffre"


def test_password_without_digit_is_refused() -> None:
    assert password_problems("abcdefgh") == [NO_DIGIT]


def test_password_without_letter_is_refused() -> None:
    assert password_problems("12345678") == [NO_LETTER]


def test_password_of_seven_characters_is_refused() -> None:
    assert password_problems("abc1234") == [TOO_SHORT]


def test_every_broken_rule_is_listed_in_order() -> None:
    assert password_problems("") == [TOO_SHORT, NO_LETTER, NO_DIGIT]
    assert password_problems("azerty", login="azerty.x") == [TOO_SHORT, NO_DIGIT, COMMON, PERSONAL]


@pytest.mark.parametrize("password", ["Tilleul2026", "Été-2024été", "ｒｉｖｉèｒｅ ７ ｃａｉｌｌｏｕｘ"])
def test_good_password_is_accepted(password: str) -> None:
    assert password_problems(password, **DANIELE) == []


@pytest.mark.parametrize("length", [64, 255, 256])
def test_long_password_is_accepted_without_truncation(length: int) -> None:
    password = ("Tilleul2026-" * 30)[:length]
    assert len(password) == length
    assert password_problems(password) == []


def test_password_over_256_characters_is_refused() -> None:
    assert password_problems(("Tilleul2026-" * 30)[:257]) == [TOO_LONG]


def test_length_is_counted_after_normalisation() -> None:
    ligatures = "ﬁ" * 4  # each NFKC-expands to "fi"
    assert password_problems(ligatures + "1") == []
    assert password_problems("Tilleul2026" + "ﬁ" * 123) == [TOO_LONG]  # 11 + 246 characters


def test_full_width_password_is_normalised_and_accepted() -> None:
    assert normalize_password("Ｔｉｌｌｅｕｌ２０２６") == "Tilleul2026"
    assert password_problems("Ｔｉｌｌｅｕｌ２０２６") == []


def test_any_unicode_letter_and_decimal_digit_count() -> None:
    assert password_problems("Ωμέγα٣٤٥xyz") == []  # Greek letters, Arabic-Indic digits
    assert password_problems("ÉÈÊËÀÂÎÏ") == [NO_DIGIT]


@pytest.mark.parametrize(
    "password",
    ["azerty123", "Motdepasse1", "soleil123", "AZERTY123!", "doudou2012", "Azerty123", "Sôleil2024",
     "MARSEILLE13", "chouchou!!", "Pokémon2012", "école1234", "Nicolas2010", "1q2w3e4r", "P@ssw0rd"],
)
def test_common_password_is_refused(password: str) -> None:
    assert COMMON in password_problems(password)


def test_common_password_gives_only_the_common_message_when_composition_is_fine() -> None:
    assert password_problems("azerty123") == [COMMON]


@pytest.mark.parametrize("password", ["soleil20245", "Soleil-du-midi-7", "123soleilx", "doudouX2012"])
def test_base_word_with_longer_or_other_additions_is_not_common(password: str) -> None:
    assert COMMON not in password_problems(password)


def test_common_list_is_french_first_and_large_enough() -> None:
    full, base = common_passwords()
    assert len(full) + len(base) >= 200
    assert {"azerty123", "motdepasse1", "soleil123", "123456", "iloveyou", "ent77"} <= full
    assert {"azerty", "motdepasse", "soleil", "bonjour", "doudou", "chouchou", "loulou", "marseille",
            "paris", "password", "qwerty", "louise", "camille", "nicolas", "julien", "ecole"} <= base
    assert all(entry == entry.lower() and entry.isascii() for entry in full | base)  # folded at load
    assert common_passwords() is common_passwords()  # read once


def test_common_list_leaves_the_guide_examples_to_the_composition_rule() -> None:
    full, base = common_passwords()
    assert not {"12345678", "abcdefgh", "abc1234", "tilleul2026"} & full
    assert not {"abc", "abcd", "tilleul", "ete"} & base


@pytest.mark.parametrize("password", ["Adams2024x", "daniele99", "DANIÈLE-1234", "xx-daniele.adams-7", "1adamsZ-bleu"])
def test_password_containing_login_or_names_is_refused(password: str) -> None:
    assert password_problems(password, **DANIELE) == [PERSONAL]


def test_login_alone_is_enough_to_check_names() -> None:
    assert password_problems("Adams2024x", login="daniele.adams") == [PERSONAL]
    assert password_problems("Adams2024x", given_name="Danièle", surname="Adams") == [PERSONAL]


def test_compound_names_are_checked_word_by_word() -> None:
    person = {"login": "marie-ange.de-la-tour", "given_name": "Marie-Ange", "surname": "de La Tour"}
    assert password_problems("Tour2024!bleue", **person) == [PERSONAL]
    assert password_problems("Ange2024!bleue", **person) == [PERSONAL]
    assert password_problems("Dela2024!bleue", **person) == []  # "de", "la" are under 4 letters


def test_short_names_are_not_checked() -> None:
    leo = {"login": "leo.li", "given_name": "Léo", "surname": "Li"}
    assert password_problems("Leopard2024li", **leo) == []
    assert password_problems("x7leo.li-bleu", **leo) == [PERSONAL]  # the full login still is


def test_no_personal_check_without_login_or_names() -> None:
    assert password_problems("Adams2024x") == []
