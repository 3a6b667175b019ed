import pytest

from idp.provisioning.logins import MAX_LENGTH, LoginError, base_login, homonym_login


@pytest.mark.parametrize(("given_name", "surname", "login"), [
    ("Danièle", "Adams", "daniele.adams"),
    ("ÉLODIE", "LEFÈVRE", "elodie.lefevre"),
    ("François", "Çelik", "francois.celik"),
    ("Jean-Pierre", "Dupont", "jean-pierre.dupont"),
    ("Anne", "Martin-Lefort", "anne.martin-lefort"),
    ("Marie", "de La Fontaine", "marie.de-la-fontaine"),
    ("Louis", "de Broglie", "louis.de-broglie"),
    ("Zoé", "D'Artagnan", "zoe.dartagnan"),
    ("Chloé", "N’Diaye", "chloe.ndiaye"),
    ("Œdipe", "Straße", "oedipe.strasse"),
    ("Marie  Anne", "  Le   Gall ", "marie-anne.le-gall"),
    ("Jean - Luc", "Picard", "jean-luc.picard"),
    ("Ana", "García Márquez", "ana.garcia-marquez"),
    ("Lou", "Nguyễn", "lou.nguyen"),
])
def test_login_is_prenom_dot_nom_without_accents(given_name: str, surname: str, login: str) -> None:
    assert base_login(given_name, surname) == login


def test_login_never_exceeds_the_maximum_length() -> None:
    login = base_login("Marie-Charlotte-Éléonore", "de Saint-Exupéry-Montmorency-" + "x" * 80)
    assert len(login) <= MAX_LENGTH - 2
    assert login.startswith("marie-charlotte") and ".de-saint" in login


@pytest.mark.parametrize(("given_name", "surname"), [("", "Adams"), ("Danièle", "!!!"), ("李", "王")])
def test_names_without_usable_letters_are_refused(given_name: str, surname: str) -> None:
    with pytest.raises(LoginError):
        base_login(given_name, surname)


def test_first_homonym_keeps_the_plain_login() -> None:
    assert homonym_login("daniele.adams", {"daniele.adamson"}) == "daniele.adams"


def test_homonyms_get_2_then_3() -> None:
    assert homonym_login("daniele.adams", {"daniele.adams"}) == "daniele.adams2"
    assert homonym_login("daniele.adams", {"daniele.adams", "daniele.adams2"}) == "daniele.adams3"
