"""Counting activations (idp.provisioning.activation): pure logic over accounts."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from idp.directory import Account, AccountState, Profile
from idp.provisioning.activation import activation_report

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def account(login: str, profile: Profile, schools: tuple[str, ...], state: AccountState = AccountState.PENDING,
            classes: tuple[str, ...] = (), expired: bool = False, locked: bool = False) -> Account:
    return Account(login=login, dn=f"uid={login}", given_name="A", surname="B", profile=profile, schools=schools,
                   stored_state=state, classes=classes,
                   activation_expires=NOW + timedelta(days=-1 if expired else 30),
                   locked_until=datetime.now(UTC) + timedelta(minutes=5) if locked else None)


def test_accounts_are_counted_by_school_profile_and_class_and_once_per_school() -> None:
    people = [
        account("zoe", Profile.STUDENT, ("0770001H",), classes=("0770001H$4e B",)),
        account("leo", Profile.STUDENT, ("0770001H",), classes=("0770001H$4e B",), expired=True),
        account("ana", Profile.STUDENT, ("0770001H",), classes=("0770001H$4e B", "0770001H$latin")),
        account("mère", Profile.PARENT, ("0770001H", "0770002J"), AccountState.ACTIVE),
        account("prof", Profile.TEACHER, ("0770002J",), AccountState.ACTIVE, locked=True),
        account("parti", Profile.STUDENT, ("0770002J",), AccountState.DISABLED, classes=("0770002J$3e A",)),
    ]
    report = activation_report(people, now=NOW)
    lines = {(line.school, line.profile, line.class_name): line.counts for line in report.lines}
    assert lines[("0770001H", "student", "4e B")] == {"accounts": 3, "active": 0, "pending": 3, "expired": 1,
                                                      "locked": 0, "disabled": 0}
    assert lines[("0770001H", "student", "latin")]["accounts"] == 1
    assert lines[("0770002J", "parent", None)]["active"] == 1 and lines[("0770002J", "teacher", None)]["locked"] == 1
    assert lines[("0770002J", "student", "3e A")]["disabled"] == 1
    assert report.schools["0770001H"].counts["accounts"] == 4  # Ana once, though in two classes
    assert report.schools["0770002J"].counts == {"accounts": 3, "active": 1, "pending": 0, "expired": 0,
                                                 "locked": 1, "disabled": 1}
    assert list(activation_report(people, "0770002J", NOW).schools) == ["0770002J"]
