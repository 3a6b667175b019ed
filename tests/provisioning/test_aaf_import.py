"""Feeding the session's slapd from generated AAF exports (idp.provisioning.aaf_import)."""
from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from idp.directory import AccountState, Directory, Profile
from idp.provisioning.aaf_import import AafImport, AafReport
from idp.provisioning.service import Provisioner
from tests.provisioning.aaf import (
    Export,
    Pupil,
    School,
    delete_request,
    modify_request,
    write_file,
)

SCHOOLS: dict[str, str] = {}
"""The schools' AAF keys the imports read so far (what `ent-idp accounts import-aaf` keeps in SQL)."""


def run(directory: Directory, paths: list[Path], dry_run: bool = False) -> AafReport:
    report = AafImport(directory, Provisioner(directory, 90), schools=SCHOOLS, dry_run=dry_run).run(paths)
    SCHOOLS.update({key: uai for key, (uai, _) in report.schools.items()})
    return report


@pytest.fixture
def export(unique_surname: str) -> Export:
    return Export(unique_surname)


def test_a_full_export_creates_everyone_pending_with_what_the_school_knows(
        directory: Directory, export: Export, tmp_path: Path) -> None:
    report = run(directory, export.write(tmp_path))
    assert not report.refused and not report.file_errors
    assert len(report.created) == 6  # three pupils, the mother, two staff
    assert [ignored.identifier for ignored in report.ignored] == [export.stepfather.key]
    zoe, hugo, homonym = (directory.find_by_join_key(pupil.key) for pupil in export.pupils)
    assert zoe is not None and hugo is not None and homonym is not None
    assert homonym.login == zoe.login + "2"  # the README's homonym rule
    tilleuls, moulin = export.tilleuls.uai, export.moulin.uai
    assert (zoe.profile, zoe.schools, zoe.classes, zoe.birth_date) == (Profile.STUDENT, (tilleuls,),
                                                                        (f"{tilleuls}$4e B",), "2013-03-02")
    assert zoe.state is AccountState.PENDING
    mother = directory.find_by_join_key(export.mother.key)
    assert mother is not None and mother.profile is Profile.PARENT
    assert set(mother.children) == {zoe.login, hugo.login} and mother.schools == (tilleuls, moulin)
    assert (mother.school_email, mother.school_mobile) == ("l.parent@example.fr", "+33611223344")
    assert mother.recovery_email is None and mother.mobile is None  # never the personal recovery contacts
    teacher, secretary = (directory.find_by_join_key(person.key) for person in export.staff)
    assert teacher is not None and secretary is not None
    assert teacher.login.startswith("helene.ndiaye") and teacher.profile is Profile.TEACHER
    assert secretary.profile is Profile.STAFF
    codes = {created.login: created.activation_code for created in report.created}
    assert directory.verify(zoe.login, codes[zoe.login].replace("-", "")).login == zoe.login


def test_the_same_export_twice_writes_nothing_the_second_time(directory: Directory, export: Export,
                                                              tmp_path: Path) -> None:
    paths = export.write(tmp_path)
    run(directory, paths)
    again = run(directory, paths)
    assert (again.created, again.updated, again.disabled, again.enabled) == ([], [], [], [])
    assert again.unchanged == 6


def test_an_active_account_keeps_its_password_email_and_terms(directory: Directory, export: Export,
                                                               tmp_path: Path) -> None:
    run(directory, export.write(tmp_path / "septembre"))
    mother = directory.find_by_join_key(export.mother.key)
    assert mother is not None
    directory.activate(mother.login, password="Tilleul2026", recovery_email="perso@example.fr", terms_version="v1")
    export.mother.surname += "-Martin"  # a new name
    export.mother.email = None
    report = run(directory, export.write(tmp_path / "octobre", stamp="20261001"))
    assert report.updated == [mother.login]
    after = directory.get(mother.login)
    assert after.surname.endswith("-Martin") and after.login == mother.login  # a new name keeps the login
    assert after.school_email is None and after.recovery_email == "perso@example.fr"
    assert after.state is AccountState.ACTIVE and after.terms_version == "v1"
    assert directory.verify(mother.login, "Tilleul2026").login == mother.login


def test_whoever_leaves_a_full_export_is_disabled_and_comes_back_as_they_were(
        directory: Directory, export: Export, tmp_path: Path) -> None:
    run(directory, export.write(tmp_path / "septembre"))
    hugo = directory.find_by_join_key(export.hugo.key)
    assert hugo is not None
    export.pupils.remove(export.hugo)
    report = run(directory, export.write(tmp_path / "octobre", stamp="20261001"))
    assert report.disabled == [hugo.login]
    assert directory.get(hugo.login).state is AccountState.DISABLED
    mother = directory.find_by_join_key(export.mother.key)
    assert mother is not None and hugo.login not in mother.children and mother.schools == (export.tilleuls.uai,)
    export.pupils.append(export.hugo)
    back = run(directory, export.write(tmp_path / "novembre", stamp="20261101"))
    assert back.enabled == [hugo.login] and directory.get(hugo.login).state is AccountState.PENDING


def test_a_delta_renames_moves_and_deletes(directory: Directory, export: Export, tmp_path: Path) -> None:
    run(directory, export.write(tmp_path / "septembre"))
    zoe, homonym, teacher = (directory.find_by_join_key(person.key)
                             for person in (export.zoe, export.homonym, export.teacher))
    assert zoe is not None and homonym is not None and teacher is not None
    delta = tmp_path / "delta"
    delta.mkdir()
    pupils = write_file(delta / "ENT_77_Delta_20261015_Eleve_0001.xml", [
        modify_request("Eleve", export.zoe.key, {"sn": "Martin", "ENTPersonStructRattach": export.moulin.key,
                                                 "ENTEleveClasses": f"{export.moulin.key}$4e A"}),
        delete_request("Eleve", export.homonym.key)])
    staff = write_file(delta / "ENT_77_Delta_20261015_PersEducNat_0001.xml", [
        delete_request("PersEducNat", export.teacher.key)])
    report = run(directory, [pupils, staff])
    assert not report.refused
    assert sorted(report.disabled) == sorted([homonym.login, teacher.login])
    moved = directory.get(zoe.login)
    moulin = export.moulin.uai
    assert (moved.login, moved.surname, moved.schools, moved.classes) == (zoe.login, "Martin", (moulin,),
                                                                          (f"{moulin}$4e A",))
    mother = directory.find_by_join_key(export.mother.key)
    assert mother is not None and mother.schools == (moulin,)  # her children are both at Jean Moulin now
    secretary = directory.find_by_join_key(export.secretary.key)
    assert secretary is not None and secretary.state is AccountState.PENDING  # a delta disables no one else


def test_bad_records_are_refused_alone_and_nothing_of_them_is_written(directory: Directory, export: Export,
                                                                       tmp_path: Path) -> None:
    export.pupils.append(Pupil("E-sans-ecole", "Léa", export.zoe.surname, "01/01/2014",
                               School("S-inconnue", export.tilleuls.uai, "?"), "5e A"))
    paths = export.write(tmp_path)
    nameless = write_file(tmp_path / "ENT_77_Delta_20260902_Eleve_0001.xml", [
        modify_request("Eleve", "E-jamais-vu", {"sn": "Martin"})])
    report = run(directory, [*paths, nameless])
    assert [(refused.identifier, refused.reason) for refused in report.refused] == [
        ("E-sans-ecole", "établissement inconnu : « S-inconnue » (ni dans EtabEducNat, ni un UAI)"),
        ("E-jamais-vu", "modification d'une personne absente de l'annuaire")]
    assert report.refused[0].file.endswith("_Eleve_0001.xml") and report.refused[0].record == 4
    assert directory.find_by_join_key("E-sans-ecole") is None and len(report.created) == 6


def test_a_dry_run_says_what_it_would_do_and_writes_nothing(directory: Directory, export: Export,
                                                             tmp_path: Path) -> None:
    report = run(directory, export.write(tmp_path), dry_run=True)
    assert len(report.would_create) == 6 and not report.created
    assert directory.find_by_join_key(export.zoe.key) is None


def test_a_truncated_full_export_disables_no_one(directory: Directory, export: Export, tmp_path: Path) -> None:
    run(directory, export.write(tmp_path / "septembre"))
    paths = export.write(tmp_path / "octobre", stamp="20261001")
    pupils = paths[1]
    pupils.write_bytes(pupils.read_bytes()[:600])  # cut within the first pupil
    report = run(directory, paths)
    assert report.file_errors and not report.disabled


def test_an_account_disabled_for_longer_than_disabled_days_is_removed(directory: Directory, export: Export,
                                                                      tmp_path: Path) -> None:
    run(directory, export.write(tmp_path / "septembre"))
    hugo, zoe = directory.find_by_join_key(export.hugo.key), directory.find_by_join_key(export.zoe.key)
    assert hugo is not None and zoe is not None
    directory.disable(hugo.login, datetime.now(UTC) - timedelta(days=366))
    directory.disable(zoe.login, datetime.now(UTC) - timedelta(days=366))
    export.pupils.remove(export.hugo)  # Zoé is back in October's export: she stays
    report = run(directory, export.write(tmp_path / "octobre", stamp="20261001"))
    assert report.removed == [hugo.login] and report.enabled == [zoe.login]
    assert directory.find(hugo.login) is None and directory.find_by_join_key(export.hugo.key) is None


def test_a_generated_departement_is_imported_whole(directory: Directory, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from idp.provisioning import aaf_import
    from tests.provisioning.aaf import departement, departement_delta

    monkeypatch.setattr(aaf_import, "_IN_FLIGHT", 16)  # many waits for the entries on their way

    paths = departement(tmp_path, schools=2, pupils=60, staff=4, first_school=7790500)
    report = run(directory, paths)
    assert not report.refused and not report.file_errors
    profiles = Counter(created.person.profile for created in report.created)
    assert (profiles[Profile.STUDENT], profiles[Profile.TEACHER], profiles[Profile.STAFF]) == (120, 6, 2)
    parents = [created.person for created in report.created if created.person.profile is Profile.PARENT]
    assert len(parents) > 60  # one or two for each family of pupils
    assert any(len(parent.children) == 2 for parent in parents)  # siblings
    assert any(len(parent.schools) == 2 for parent in parents)  # a child in each school
    assert report.ignored  # relatives who are no legal representative
    assert run(directory, paths).unchanged == len(report.created)
    logins = {created.person.join_key: created.login for created in report.created}
    delta = run(directory, departement_delta(tmp_path / "delta", first_school=7790500))
    assert delta.updated == [logins["E-0"]] and delta.disabled == [logins["E-2"]]
    renamed = directory.get(logins["E-0"])
    assert (renamed.surname, renamed.classes, renamed.login) == ("Martin-Durand", (f"{renamed.schools[0]}$4e B",),
                                                                 logins["E-0"])
