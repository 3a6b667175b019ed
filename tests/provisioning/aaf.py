"""Writes AAF exports (`ficAlimMENESR` XML, as the académies' tool writes them: ISO-8859-15, a
DOCTYPE naming a DTD that is not there, one kind of record per file) for the tests and the
benchmark."""
from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

HEADER = ('<?xml version="1.0" encoding="ISO-8859-15"?>\n'
          '<!DOCTYPE ficAlimMENESR SYSTEM "ficAlimMENESR.dtd">\n<ficAlimMENESR>\n')
FOOTER = "</ficAlimMENESR>\n"


@dataclass
class School:
    key: str
    uai: str
    name: str


@dataclass
class Relative:
    key: str
    given_name: str
    surname: str
    email: str | None = None
    mobile: str | None = None


@dataclass
class Pupil:
    key: str
    given_name: str
    surname: str
    birth_date: str
    """dd/mm/yyyy, as AAF writes it."""
    school: School
    class_name: str
    relatives: list[tuple[Relative, bool]] = field(default_factory=list)
    """Each relative, and whether they are a legal representative."""


@dataclass
class Staff:
    key: str
    given_name: str
    surname: str
    schools: list[School]
    teacher: bool = True


def _attrs(values: dict[str, str | Iterable[str] | None]) -> str:
    parts = []
    for name, raw in values.items():
        if raw is None:
            continue
        items = [raw] if isinstance(raw, str) else list(raw)
        if items:
            parts.append(f"<attr name={quoteattr(name)}>"
                         + "".join(f"<value>{escape(item)}</value>" for item in items) + "</attr>")
    return "\n".join(parts)


def add_request(category: str, key: str, values: dict[str, str | Iterable[str] | None]) -> str:
    category_attr = "categorieStructure" if category == "EtabEducNat" else "categoriePersonne"
    return (f"<addRequest>\n<operationalAttributes><attr name=\"{category_attr}\"><value>{category}</value></attr>"
            f"</operationalAttributes>\n<identifier><id>{escape(key)}</id></identifier>\n"
            f"<attributes>\n{_attrs(values)}\n</attributes>\n</addRequest>\n")


def modify_request(category: str, key: str, changes: dict[str, str | Iterable[str]]) -> str:
    modifications = "".join(
        f"<modification name={quoteattr(name)} operation=\"replace\">"
        + "".join(f"<value>{escape(item)}</value>" for item in ([raw] if isinstance(raw, str) else raw))
        + "</modification>" for name, raw in changes.items())
    return (f"<modifyRequest>\n<operationalAttributes><attr name=\"categoriePersonne\"><value>{category}</value>"
            f"</attr></operationalAttributes>\n<identifier><id>{escape(key)}</id></identifier>\n"
            f"<modifications>{modifications}</modifications>\n</modifyRequest>\n")


def delete_request(category: str, key: str) -> str:
    return (f"<deleteRequest>\n<operationalAttributes><attr name=\"categoriePersonne\"><value>{category}</value>"
            f"</attr></operationalAttributes>\n<identifier><id>{escape(key)}</id></identifier>\n</deleteRequest>\n")


def school_request(school: School) -> str:
    return add_request("EtabEducNat", school.key, {
        "ENTStructureJointure": school.key, "ENTStructureUAI": school.uai, "ENTStructureNomCourant": school.name,
        "ENTStructureTypeStruct": "COLLEGE", "ENTServAcAcademie": "CRETEIL"})


def pupil_request(pupil: Pupil) -> str:
    return add_request("Eleve", pupil.key, {
        "ENTPersonJointure": pupil.key, "ENTPersonDateNaissance": pupil.birth_date, "sn": pupil.surname,
        "givenName": pupil.given_name, "ENTPersonNomPatro": pupil.surname,
        "ENTElevePersRelEleve": [f"{relative.key}$1$0${'1' if legal else '2'}$0$0"
                                 for relative, legal in pupil.relatives],
        "ENTEleveAutoriteParentale": [relative.key for relative, legal in pupil.relatives if legal],
        "ENTPersonStructRattach": pupil.school.key, "ENTEleveStructRattachId": pupil.school.key,
        "ENTEleveClasses": f"{pupil.school.key}${pupil.class_name}"})


def relative_request(relative: Relative, children: Iterable[Pupil]) -> str:
    return add_request("PersRelEleve", relative.key, {
        "ENTPersonJointure": relative.key, "sn": relative.surname, "givenName": relative.given_name,
        "mail": relative.email, "ENTPersonMobileSMS": relative.mobile,
        "ENTAuxPersRelEleveEleve": [pupil.key for pupil in children]})


def staff_request(staff: Staff) -> str:
    return add_request("PersEducNat", staff.key, {
        "ENTPersonJointure": staff.key, "sn": staff.surname, "givenName": staff.given_name,
        "ENTPersonStructRattach": [school.key for school in staff.schools],
        "ENTPersonProfils": "National_ENS" if staff.teacher else "National_EVS",
        "PersEducNatPresenceDevantEleves": "O" if staff.teacher else "N"})


def write_file(path: Path, requests: Iterable[str]) -> Path:
    """One export file; written as it goes, so that a file of 100,000 people takes no memory."""
    with path.open("w", encoding="iso-8859-15", newline="\n") as out:
        out.write(HEADER)
        for request in requests:
            out.write(request)
        out.write(FOOTER)
    return path


def write_export(folder: Path, schools: list[School], pupils: list[Pupil], staff: list[Staff],
                 *, full: bool = True, stamp: str = "20260901") -> list[Path]:
    """The four files of an export of these people (relatives are those of the pupils)."""
    folder.mkdir(parents=True, exist_ok=True)
    kind = "Complet" if full else "Delta"
    name = f"ENT_77_{kind}_{stamp}_{{}}_0001.xml"

    def relatives() -> Iterator[str]:
        children: dict[str, list[Pupil]] = {}
        people: dict[str, Relative] = {}
        for pupil in pupils:
            for relative, _ in pupil.relatives:
                people[relative.key] = relative
                children.setdefault(relative.key, []).append(pupil)
        for key, relative in people.items():
            yield relative_request(relative, children[key])

    return [write_file(folder / name.format("EtabEducNat"), (school_request(school) for school in schools)),
            write_file(folder / name.format("Eleve"), (pupil_request(pupil) for pupil in pupils)),
            write_file(folder / name.format("PersRelEleve"), relatives()),
            write_file(folder / name.format("PersEducNat"), (staff_request(person) for person in staff))]


_numbers = itertools.count(1)
_CHECK_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"


def new_uai() -> str:
    """A valid UAI no other test uses: each export has schools of its own."""
    digits = f"0779{next(_numbers):03d}"
    return digits + _CHECK_LETTERS[int(digits) % 23]


class Export:
    """A small département, with fresh identifiers (and names) for each test: two schools, a
    mother with children in both, homonyms, a father who is no legal representative."""

    def __init__(self, surname: str) -> None:
        n = f"{surname}-{next(_numbers)}"
        self.tilleuls = School(f"S{n}-1", new_uai(), "Collège Les Tilleuls")
        self.moulin = School(f"S{n}-2", new_uai(), "Collège Jean Moulin")
        self.mother = Relative(f"R{n}-1", "Lætitia", surname, email="l.parent@example.fr", mobile="06 11 22 33 44")
        self.stepfather = Relative(f"R{n}-2", "Marc", surname)
        self.zoe = Pupil(f"E{n}-1", "Zoé", surname, "02/03/2013", self.tilleuls, "4e B",
                         [(self.mother, True), (self.stepfather, False)])
        self.hugo = Pupil(f"E{n}-2", "Hugo", surname, "11/09/2015", self.moulin, "6e A", [(self.mother, True)])
        self.homonym = Pupil(f"E{n}-3", "Zoé", surname, "30/11/2012", self.moulin, "3e C")
        self.teacher = Staff(f"P{n}-1", "Hélène", "N'Diaye" + surname, [self.tilleuls, self.moulin])
        self.secretary = Staff(f"P{n}-2", "Paul", surname, [self.tilleuls], teacher=False)
        self.pupils = [self.zoe, self.hugo, self.homonym]
        self.staff = [self.teacher, self.secretary]

    def write(self, folder: Path, stamp: str = "20260901") -> list[Path]:
        return write_export(folder, [self.tilleuls, self.moulin], self.pupils, self.staff, stamp=stamp)
