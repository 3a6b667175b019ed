"""Reading the académie's AAF exports (`ficAlimMENESR` XML documents), one request at a time.

An export is a set of files, one kind of record each, named by the académie's tool
(`ENT_77_Complet_20260901_Eleve_0001.xml`, `…_Delta_…_PersRelEleve_0002.xml`): `EtabEducNat`
(the schools), `Eleve` (pupils), `PersRelEleve` (their relatives), `PersEducNat` (staff).
A full export (`Complet`) is made of `addRequest`s; a delta also of `modifyRequest`s and
`deleteRequest`s. Files are read as a stream (`iterparse`), each request dropped once read, so
that a file of 200,000 people is never in memory at once. The XML is read by defusedxml:
the `<!DOCTYPE ficAlimMENESR SYSTEM "ficAlimMENESR.dtd">` of real exports is allowed but the
DTD is never fetched, and an entity declaration refuses the file, so that nothing from outside
the file can reach the directory.
"""
from __future__ import annotations

import enum
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse


class Kind(enum.StrEnum):
    """The kinds of records, in the order an import reads them (a pupil names their school,
    a relative their children, so each comes after what it refers to)."""

    SCHOOL = "EtabEducNat"
    PUPIL = "Eleve"
    RELATIVE = "PersRelEleve"
    STAFF = "PersEducNat"


ORDER = tuple(Kind)
_KIND_IN_NAME = re.compile(r"_(EtabEducNat|Eleve|PersRelEleve|PersEducNat)_", re.I)
_OPERATIONS = {"addRequest": "add", "modifyRequest": "modify", "deleteRequest": "delete"}


class AafFileError(ValueError):
    """A file that cannot be read as an AAF export (its name, its XML, an entity)."""


@dataclass(frozen=True)
class ExportFile:
    path: Path
    kind: Kind
    full: bool
    """A full export (`Complet` in its name): whoever of this kind is not in it has left."""


@dataclass(frozen=True)
class Request:
    """One `addRequest`, `modifyRequest` or `deleteRequest` of a file."""

    operation: str
    """add, modify or delete."""
    identifier: str
    attributes: dict[str, tuple[str, ...]]
    """An add's attributes, or a modify's replaced ones; none for a delete."""
    number: int
    """Its place in the file (1 for the first request): what a report names."""


def export_file(path: Path) -> ExportFile:
    """What the file's name says it holds."""
    found = _KIND_IN_NAME.search(path.name)
    if found is None:
        raise AafFileError(f"{path.name} : le nom ne dit pas ce que contient le fichier (EtabEducNat, Eleve, "
                           "PersRelEleve ou PersEducNat attendu)")
    kind = next(kind for kind in Kind if kind.value.lower() == found.group(1).lower())
    return ExportFile(path, kind, full="complet" in path.name.lower())


def in_reading_order(paths: list[Path]) -> list[ExportFile]:
    """The files, schools first, then pupils, relatives and staff (by name within a kind)."""
    files = [export_file(path) for path in paths]
    return sorted(files, key=lambda file: (ORDER.index(file.kind), file.path.name))


def requests(path: Path) -> Iterator[Request]:
    """The file's requests, in order. Raises AafFileError where the XML stops being readable
    (the requests before it were given)."""
    number = 0
    try:
        events = iterparse(str(path), events=("start", "end"), forbid_dtd=False, forbid_entities=True,
                           forbid_external=True)
        root: Element | None = None
        for event, element in events:
            if event == "start":
                if root is None:
                    root = element
                    if element.tag != "ficAlimMENESR":
                        raise AafFileError(f"{path.name} : document {element.tag!r}, ficAlimMENESR attendu")
                continue
            operation = _OPERATIONS.get(element.tag)
            if operation is None:
                continue
            number += 1
            yield _request(operation, element, number)
            root.clear()  # type: ignore[union-attr]  # what was read is dropped
    except ParseError as error:
        raise AafFileError(f"{path.name} : XML illisible après la requête {number} ({error})") from None
    except DefusedXmlException as error:
        raise AafFileError(f"{path.name} : refusé, le fichier déclare une entité ou une DTD interne "
                           f"({type(error).__name__})") from None
    except OSError as error:
        raise AafFileError(f"{path.name} : illisible ({error.strerror or error})") from None


def _request(operation: str, element: Element, number: int) -> Request:
    identifier = (element.findtext("identifier/id") or "").strip()
    attributes: dict[str, tuple[str, ...]] = {}
    if operation == "add":
        for attr in element.iterfind("attributes/attr"):
            attributes[attr.get("name", "")] = _values(attr)
    elif operation == "modify":
        for change in element.iterfind("modifications/modification"):
            attributes[change.get("name", "")] = _values(change)
    return Request(operation, identifier, attributes, number)


def _values(element: Element) -> tuple[str, ...]:
    return tuple(value for item in element.iterfind("value") if (value := (item.text or "").strip()))
