"""Which claims each scope gives (pure mapping, no server)."""
from idp.directory import Account, AccountState, Profile
from idp.oidc.claims import claims_for

PARENT = Account(login="daniele.adams", dn="uid=daniele.adams,ou=people,dc=ent77,dc=fr", given_name="Danièle",
                 surname="Adams", profile=Profile.PARENT, schools=("0770001H",), stored_state=AccountState.ACTIVE,
                 recovery_email="daniele@example.fr", children=("lucas.adams",), uuid="3f1c-uuid")


def test_openid_alone_gives_only_sub() -> None:
    assert claims_for(PARENT, "openid", ["child-sub"]) == {"sub": "3f1c-uuid"}


def test_profile_gives_names_login_profile_school_and_children() -> None:
    claims = claims_for(PARENT, "openid profile", ["child-sub"])
    assert claims == {"sub": "3f1c-uuid", "name": "Danièle Adams", "given_name": "Danièle", "family_name": "Adams",
                      "preferred_username": "daniele.adams", "profile_type": "parent", "school": "0770001H",
                      "schools": ["0770001H"], "children": ["child-sub"]}


def test_email_scope_gives_the_personal_address_unverified() -> None:
    assert claims_for(PARENT, "openid email", []) == {"sub": "3f1c-uuid", "email": "daniele@example.fr",
                                                     "email_verified": False}


def test_absent_values_are_left_out() -> None:
    teacher = Account(login="t.x", dn="uid=t.x", given_name="T", surname="X", profile=Profile.TEACHER, schools=(),
                      stored_state=AccountState.ACTIVE, uuid="u")
    claims = claims_for(teacher, "openid profile email", [])
    assert "school" not in claims and "children" not in claims and "email" not in claims
    assert claims["schools"] == []
