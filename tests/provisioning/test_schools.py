import pytest

from idp.provisioning.schools import uai_problem


@pytest.mark.parametrize("uai", ["0750654D", "0770001H", "0770942F"])
def test_real_uai_are_accepted(uai: str) -> None:
    assert uai_problem(uai) is None


def test_wrong_check_letter_names_the_right_one() -> None:
    assert "devrait être H" in uai_problem("0770001A")


@pytest.mark.parametrize("uai", ["077001H", "07700011", "ABCDEFGH", ""])
def test_malformed_uai_is_refused(uai: str) -> None:
    assert "invalide" in uai_problem(uai)
