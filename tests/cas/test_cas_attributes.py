"""What each attribute profile tells an app."""
from __future__ import annotations

import pytest

from idp.cas.attributes import SDET_PROFILES, attributes_for
from idp.directory import Profile
from tests.cas.conftest import account


def test_the_default_profile() -> None:
    assert attributes_for(account(), "default") == {
        "uid": ["thomas.professeur"], "displayName": ["Thomas Professeur"], "givenName": ["Thomas"],
        "sn": ["Professeur"], "mail": ["thomas@example.fr"], "profile": ["teacher"],
        "ENTPersonProfils": ["National_ENS"], "school": ["0770001H"], "schools": ["0770001H", "0770942F"],
    }


@pytest.mark.parametrize("profile, national", [
    (Profile.STUDENT, "National_ELV"), (Profile.PARENT, "National_TUT"), (Profile.TEACHER, "National_ENS"),
    (Profile.STAFF, "National_ETA"),
])
def test_the_sdet_national_profile(profile: Profile, national: str) -> None:
    assert attributes_for(account(profile), "default")["ENTPersonProfils"] == [national]
    assert set(SDET_PROFILES) == set(Profile)


def test_what_the_directory_does_not_hold_is_left_out() -> None:
    bare = attributes_for(account(Profile.PARENT, recovery_email=None, schools=()), "default")
    assert "mail" not in bare and "school" not in bare and "schools" not in bare
    assert all(values and all(isinstance(value, str) for value in values) for values in bare.values())


@pytest.mark.parametrize("profile, category", [
    (Profile.STUDENT, "National_1"), (Profile.PARENT, "National_2"), (Profile.TEACHER, "National_3"),
    (Profile.STAFF, "National_4"),
])
def test_the_pronote_profile(profile: Profile, category: str) -> None:
    assert attributes_for(account(profile), "pronote") == {"nom": ["Professeur"], "prenom": ["Thomas"],
                                                           "categories": [category]}
