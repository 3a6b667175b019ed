"""Reading AAF exports (idp.provisioning.aaf): the files the project's generator writes as the
académies' tool does, and files an attacker would write."""
from __future__ import annotations

from pathlib import Path

import pytest

from idp.provisioning.aaf import AafFileError, Kind, export_file, in_reading_order, requests
from tests.provisioning.aaf import (
    FOOTER,
    HEADER,
    Pupil,
    Relative,
    School,
    Staff,
    delete_request,
    modify_request,
    write_export,
    write_file,
)

TILLEULS = School("STRUCT-1", "0770001H", "Collège Les Tilleuls")
MERE = Relative("R-1", "Lætitia", "Cœur-Dupré", email="l.coeur@example.fr", mobile="06 11 22 33 44")


def test_an_export_is_read_request_by_request_with_its_accents(tmp_path: Path) -> None:
    pupil = Pupil("E-1", "Zoé", "Cœur-Dupré", "02/03/2013", TILLEULS, "4e B", [(MERE, True)])
    paths = write_export(tmp_path, [TILLEULS], [pupil], [Staff("P-1", "Hélène", "N'Diaye", [TILLEULS])])
    assert b"C\xbdur" in paths[1].read_bytes()  # ISO-8859-15: « œ » is one byte
    files = in_reading_order(list(reversed(paths)))
    assert [file.kind for file in files] == [Kind.SCHOOL, Kind.PUPIL, Kind.RELATIVE, Kind.STAFF]
    assert all(file.full for file in files)
    [school] = requests(files[0].path)
    assert (school.operation, school.identifier, school.attributes["ENTStructureUAI"]) == ("add", "STRUCT-1",
                                                                                          ("0770001H",))
    [read] = requests(files[1].path)
    assert read.identifier == "E-1" and read.number == 1
    assert read.attributes["sn"] == ("Cœur-Dupré",) and read.attributes["givenName"] == ("Zoé",)
    assert read.attributes["ENTEleveClasses"] == ("STRUCT-1$4e B",)
    assert read.attributes["ENTElevePersRelEleve"] == ("R-1$1$0$1$0$0",)
    [relative] = requests(files[2].path)
    assert relative.attributes["givenName"] == ("Lætitia",)
    assert relative.attributes["ENTAuxPersRelEleveEleve"] == ("E-1",)
    [staff] = requests(files[3].path)
    assert staff.attributes["sn"] == ("N'Diaye",)


def test_a_delta_has_modify_and_delete_requests(tmp_path: Path) -> None:
    path = write_file(tmp_path / "ENT_77_Delta_20261002_Eleve_0001.xml",
                      [modify_request("Eleve", "E-1", {"sn": "Martin", "ENTEleveClasses": ["STRUCT-1$3e A"]}),
                       delete_request("Eleve", "E-2")])
    assert export_file(path).full is False
    changed, deleted = requests(path)
    assert (changed.operation, changed.attributes) == ("modify", {"sn": ("Martin",),
                                                                  "ENTEleveClasses": ("STRUCT-1$3e A",)})
    assert (deleted.operation, deleted.identifier, deleted.number) == ("delete", "E-2", 2)


def test_a_file_whose_name_does_not_say_its_kind_is_refused(tmp_path: Path) -> None:
    with pytest.raises(AafFileError, match="le nom ne dit pas"):
        export_file(tmp_path / "export.xml")


def test_an_external_entity_is_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("mot de passe de l'annuaire", encoding="utf-8")
    path = tmp_path / "ENT_77_Complet_20260901_Eleve_0001.xml"
    path.write_text('<?xml version="1.0" encoding="ISO-8859-15"?>\n'
                    f'<!DOCTYPE ficAlimMENESR [<!ENTITY vol SYSTEM "file://{secret}">]>\n<ficAlimMENESR>\n'
                    '<addRequest><identifier><id>E-9</id></identifier><attributes>'
                    '<attr name="sn"><value>&vol;</value></attr></attributes></addRequest>\n' + FOOTER,
                    encoding="iso-8859-15")
    with pytest.raises(AafFileError, match="entité"):
        list(requests(path))


def test_an_internal_entity_bomb_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ENT_77_Complet_20260901_Eleve_0001.xml"
    path.write_text('<?xml version="1.0"?>\n<!DOCTYPE ficAlimMENESR [<!ENTITY a "aaaaaaaaaa">'
                    '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>\n<ficAlimMENESR>&b;</ficAlimMENESR>\n')
    with pytest.raises(AafFileError, match="entité"):
        list(requests(path))


def test_broken_xml_is_said_after_the_requests_read(tmp_path: Path) -> None:
    path = tmp_path / "ENT_77_Complet_20260901_Eleve_0001.xml"
    path.write_text(HEADER + delete_request("Eleve", "E-1") + "<addRequest><identifier>", encoding="iso-8859-15")
    read = []
    with pytest.raises(AafFileError, match="XML illisible après la requête 1"):
        for request in requests(path):
            read.append(request.identifier)
    assert read == ["E-1"]


def test_another_document_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ENT_77_Complet_20260901_Eleve_0001.xml"
    path.write_text('<?xml version="1.0"?><html><body/></html>')
    with pytest.raises(AafFileError, match="ficAlimMENESR attendu"):
        list(requests(path))
