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


GIVEN_NAMES = ("Léa", "Hugo", "Zoé", "Lucas", "Chloé", "Nathan", "Inès", "Gabriel", "Manon", "Raphaël", "Jade",
               "Louis", "Anaïs", "Jules", "Lætitia", "Noé", "Maëlys", "Adam", "Clément", "Élise")
SURNAMES = ("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Petit", "Durand", "Leroy", "Moreau", "Simon",
            "Laurent", "Lefèvre", "Michel", "Garcia", "N'Diaye", "Fontaine", "Chevalier", "Cœur", "Da Silva",
            "Nguyen", "Roux", "Girard", "Mercier", "Faure", "Benali", "Haddad", "de La Fontaine", "Perrin")
CLASSES = ("6e A", "6e B", "5e A", "5e B", "4e A", "4e B", "3e A", "3e B")


def departement(folder: Path, *, schools: int = 3, pupils: int = 120, staff: int = 10, stamp: str = "20260901",
                first_school: int = 770001) -> list[Path]:
    """A full export of `schools` collèges (UAI 0770001H, 0770002J… from `first_school`), `pupils`
    pupils and `staff` staff each. Pupils come in pairs of siblings, each family with a legal
    representative, one in six with a second relative too (not always a legal one), and one
    family in fifty has a child in the next school as well: about 0.6 relative a pupil, as in
    a département's export (100,000 people: 60,000 pupils, 35,000 relatives, 5,000 staff).
    Written as it goes: 100,000 people take no memory."""
    folder.mkdir(parents=True, exist_ok=True)
    colleges = [School(f"STRUCT-{first_school + n}", _uai(first_school + n), f"Collège {SURNAMES[n % len(SURNAMES)]}")
                for n in range(schools)]
    name = f"ENT_77_Complet_{stamp}_{{}}_0001.xml"

    def person(n: int) -> tuple[str, str]:
        return GIVEN_NAMES[n % len(GIVEN_NAMES)], SURNAMES[(n // len(GIVEN_NAMES)) % len(SURNAMES)]

    def family(n: int) -> int:
        return n - n % 2

    def pupils_of(school: int) -> Iterator[Pupil]:
        for local in range(pupils):
            n = school * pupils + local
            home = family(n)
            if local % 50 == 3 and school:
                home = family((school - 1) * pupils + local)  # a child in the previous school's family
            given, surname = person(n)
            parents = [(Relative(f"R-{home}-1", person(home + 7)[0], surname,
                                 email=f"parent{home}@example.fr", mobile=f"06{home % 100000000:08d}"), True)]
            if home % 12 == 0:
                parents.append((Relative(f"R-{home}-2", person(home + 11)[0], surname), home % 24 != 0))
            yield Pupil(f"E-{n}", given, surname, f"{1 + n % 28:02d}/{1 + n % 12:02d}/{2010 + n % 5}",
                        colleges[school], CLASSES[local % len(CLASSES)], parents)

    def all_pupils() -> Iterator[Pupil]:
        for school in range(schools):
            yield from pupils_of(school)

    def relatives() -> Iterator[str]:
        children: dict[str, tuple[Relative, list[str]]] = {}
        for pupil in all_pupils():  # the keys only, not the pupils: small even for 60,000 of them
            for relative, _ in pupil.relatives:
                children.setdefault(relative.key, (relative, []))[1].append(pupil.key)
        for relative, keys in children.values():
            yield add_request("PersRelEleve", relative.key, {
                "ENTPersonJointure": relative.key, "sn": relative.surname, "givenName": relative.given_name,
                "mail": relative.email, "ENTPersonMobileSMS": relative.mobile, "ENTAuxPersRelEleveEleve": keys})

    def staff_members() -> Iterator[str]:
        for school in range(schools):
            for local in range(staff):
                n = 900000 + school * staff + local
                given, surname = person(n)
                yield staff_request(Staff(f"P-{n}", given, surname, [colleges[school]], teacher=local % 4 != 0))

    return [write_file(folder / name.format("EtabEducNat"), (school_request(school) for school in colleges)),
            write_file(folder / name.format("Eleve"), (pupil_request(pupil) for pupil in all_pupils())),
            write_file(folder / name.format("PersRelEleve"), relatives()),
            write_file(folder / name.format("PersEducNat"), staff_members())]


def departement_delta(folder: Path, stamp: str = "20261015", first_school: int = 770001) -> list[Path]:
    """A delta for `departement`'s export: its first pupil (`E-0`, Léa Martin) renamed Léa
    Martin-Durand and moved to 4e B, its third (`E-2`) gone."""
    folder.mkdir(parents=True, exist_ok=True)
    return [write_file(folder / f"ENT_77_Delta_{stamp}_Eleve_0001.xml", [
        modify_request("Eleve", "E-0", {"sn": "Martin-Durand", "ENTEleveClasses": f"STRUCT-{first_school}$4e B"}),
        delete_request("Eleve", "E-2")])]


def _uai(number: int) -> str:
    digits = f"{number:07d}"
    return digits + _CHECK_LETTERS[int(digits) % 23]


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m tests.provisioning.aaf",
                                     description="Écrit un export AAF complet d'exemple (un département).")
    parser.add_argument("folder", type=Path)
    parser.add_argument("--schools", type=int, default=3)
    parser.add_argument("--pupils", type=int, default=120, help="élèves par collège")
    parser.add_argument("--staff", type=int, default=10, help="personnels par collège")
    parser.add_argument("--delta", action="store_true",
                        help="un export différentiel de cet export complet : un élève renommé, un autre parti")
    args = parser.parse_args(argv)
    written = (departement_delta(args.folder) if args.delta
               else departement(args.folder, schools=args.schools, pupils=args.pupils, staff=args.staff))
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
