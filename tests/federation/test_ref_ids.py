"""From ÉduConnect's FrEduCtRefId values to the directory's AAF join keys (idp.federation.educonnect)."""
from __future__ import annotations

from idp.federation.educonnect import join_keys


def test_the_identifier_of_this_academie_is_the_join_key() -> None:
    assert join_keys(["{AAF}CRE|PARENT|1234567"], "CRE", prefixed=False) == ("1234567",)
    assert join_keys(["{AAF}cre|ELEVE|7654321"], "CRE", prefixed=True) == ("cre$7654321",)


def test_values_of_another_academie_or_another_kind_name_nobody_here() -> None:
    values = ["{AAF}VER|PARENT|1111111", "{ONDE}CRE|ELEVE|2222222", "{AAF}CRE", "{AAF}|x|3333333", "{AAF}CRE||"]
    assert join_keys(values, "CRE", prefixed=False) == ()


def test_without_an_academie_set_every_aaf_value_counts_once() -> None:
    values = ["{AAF}VER|PARENT|1111111", "{AAF}CRE|ENS|2222222", "{AAF}CRE|PARENT|2222222"]
    assert join_keys(values, "", prefixed=False) == ("1111111", "2222222")
