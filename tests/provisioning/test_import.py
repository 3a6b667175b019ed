"""CSV import against the real slapd."""
from __future__ import annotations

import threading
from pathlib import Path

import pytest

from idp.directory import AccountState, Directory, DirectoryUnavailable
from idp.provisioning.csv_import import CsvFileError, read_accounts_csv
from idp.provisioning.service import Provisioner
from tests.conftest import directory_of, start_slapd

SCHOOL = "0770001H"


def write_csv(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def people(count: int, surname: str, profile: str = "student") -> list[str]:
    return [f"Élève{i},{surname},{profile},{SCHOOL}" for i in range(count)]


def test_import_of_1000_rows_creates_1000_pending_accounts(tmp_path: Path, directory: Directory,
                                                            provisioner: Provisioner, unique_surname: str) -> None:
    csv_file = write_csv(tmp_path / "export.csv", ["given_name,surname,profile,school"] + people(1000, unique_surname))
    report = provisioner.import_rows(read_accounts_csv(csv_file).rows)
    assert len(report.created) == 1000 and report.problems == []
    logins = {created.login for created in report.created}
    assert len(logins) == 1000
    assert f"eleve0.{unique_surname.lower()}" in logins
    assert directory.get(f"eleve999.{unique_surname.lower()}").state is AccountState.PENDING


def test_running_the_same_file_again_creates_nothing_twice(tmp_path: Path, provisioner: Provisioner,
                                                           unique_surname: str) -> None:
    csv_file = write_csv(tmp_path / "export.csv", ["given_name,surname,profile,school"] + people(5, unique_surname))
    first = provisioner.import_rows(read_accounts_csv(csv_file).rows)
    second = provisioner.import_rows(read_accounts_csv(csv_file).rows)
    assert len(first.created) == 5
    assert second.created == [] and sorted(login for _, login in second.existing) == sorted(
        created.login for created in first.created)


def test_bad_lines_are_reported_with_their_number_and_the_rest_is_imported(
        tmp_path: Path, directory: Directory, provisioner: Provisioner, unique_surname: str) -> None:
    csv_file = write_csv(tmp_path / "export.csv", [
        "surname;given_name;profile;school;email;mobile;children;classe",
        f"{unique_surname};Lucas;student;{SCHOOL};;;;4B",
        f"{unique_surname};Danièle;parent;{SCHOOL};daniele@example.fr;06 12 34 56 78;lucas.{unique_surname.lower()};",
        f"{unique_surname};;parent;{SCHOOL};;;;",
        f"{unique_surname};Paul;director;{SCHOOL};;;;",
        f"{unique_surname};Rose;teacher;0770001A;;;;",
        f"{unique_surname};Anne;parent;{SCHOOL};not-an-address;;;",
        f"{unique_surname};Marc;parent;{SCHOOL};;01 23 45 67 89;;",
        f"{unique_surname};Jean;parent;{SCHOOL};;;nobody.at-all;",
        f"{unique_surname};Léo;student;{SCHOOL};;;lucas.x;",
    ])
    content = read_accounts_csv(csv_file)
    report = provisioner.import_rows(content.rows)
    problems = {problem.line: problem.message for problem in content.problems + report.problems}
    assert sorted(problems) == [4, 5, 6, 7, 8, 9, 10]
    assert "obligatoires" in problems[4] and "director" in problems[5] and "lettre clé" in problems[6]
    assert "courriel" in problems[7] and "mobile" in problems[8] and "nobody.at-all" in problems[9]
    assert "seul un parent" in problems[10]
    assert content.warnings == ["colonnes ignorées : classe"]
    assert sorted(created.login for created in report.created) == [
        f"daniele.{unique_surname.lower()}", f"lucas.{unique_surname.lower()}"]
    parent = directory.get(f"daniele.{unique_surname.lower()}")
    assert (parent.recovery_email, parent.mobile) == ("daniele@example.fr", "+33612345678")
    assert parent.children == (f"lucas.{unique_surname.lower()}",)
    assert directory.find(f"jean.{unique_surname.lower()}") is None  # nothing of a bad line is written


def test_homonyms_in_one_file_get_suffixes(tmp_path: Path, provisioner: Provisioner, unique_surname: str) -> None:
    csv_file = write_csv(tmp_path / "export.csv", [
        "given_name,surname,profile,school",
        f"Léa,{unique_surname},student,{SCHOOL}",
        f"Léa,{unique_surname},parent,{SCHOOL}",
        f"Lea,{unique_surname},teacher,0770942F",
    ])
    report = provisioner.import_rows(read_accounts_csv(csv_file).rows)
    base = f"lea.{unique_surname.lower()}"
    assert [created.login for created in report.created] == [base, f"{base}2", f"{base}3"]


def test_file_without_required_columns_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CsvFileError, match="colonnes manquantes.*profile"):
        read_accounts_csv(write_csv(tmp_path / "export.csv", ["given_name,surname,school", "A,B,0770001H"]))


def test_file_not_in_utf8_is_refused_with_a_hint(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes("given_name,surname,profile,school\nDanièle,Adams,parent,0770001H\n".encode("latin-1"))
    with pytest.raises(CsvFileError, match="UTF-8"):
        read_accounts_csv(path)


def test_directory_stopped_mid_import_then_rerun_completes_without_duplicates(tmp_path: Path) -> None:
    slapd = start_slapd(tmp_path / "ldap")
    try:
        provisioner = Provisioner(directory_of(slapd), 90)
        rows = read_accounts_csv(write_csv(
            tmp_path / "export.csv", ["given_name,surname,profile,school"] + people(600, "Coupure"))).rows
        stop = threading.Timer(0.3, slapd.stop)
        stop.start()
        with pytest.raises(DirectoryUnavailable, match="ne répond pas"):
            provisioner.import_rows(rows)
        stop.join()
        slapd.start()
        partial = sum(1 for _ in directory_of(slapd).accounts())
        assert 0 < partial < 600
        report = Provisioner(directory_of(slapd), 90).import_rows(rows)
        assert len(report.created) + len(report.existing) == 600
        assert sum(1 for _ in directory_of(slapd).accounts()) == 600
    finally:
        slapd.stop()



def test_names_with_control_characters_are_refused(tmp_path: Path) -> None:
    content = read_accounts_csv(write_csv(tmp_path / "export.csv", [
        "given_name,surname,profile,school", f"Bruno\x00,Martin,parent,{SCHOOL}", f"Anne,Mar\x07tin,parent,{SCHOOL}"]))
    assert [(problem.line, "caractère invalide" in problem.message) for problem in content.problems] == [
        (2, True), (3, True)]
