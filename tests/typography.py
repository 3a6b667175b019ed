"""French typography, as the tests check it on rendered pages, mails, letters and the report:
a no-break space (U+00A0) before « : ; ? ! » and inside « », and typographic apostrophes."""
from __future__ import annotations

import re
from html.parser import HTMLParser

FAULTS = (
    (re.compile(r"\S( )[:;?!](?=\s|$|[\"'»)<.,])"), "espace ordinaire avant le signe"),
    (re.compile(r"\S[;?!](?=\s|$)"), "pas d'espace avant le signe"),
    (re.compile(r"«(?!\u00a0)"), "pas d'espace insécable après «"),
    (re.compile(r"(?<!\u00a0)»"), "pas d'espace insécable avant »"),
    (re.compile(r"[A-Za-zÀ-ÿ]'[A-Za-zÀ-ÿ]"), "apostrophe droite"),
)
READ_ATTRIBUTES = ("alt", "title", "aria-label", "placeholder")
SKIPPED_ELEMENTS = ("script", "style", "code", "pre", "textarea")


def faults(text: str) -> list[str]:
    """Where `text` breaks the rules: « …the words around… (what is wrong) »."""
    found = []
    for pattern, problem in FAULTS:
        for match in pattern.finditer(text):
            around = text[max(0, match.start() - 30):match.end() + 10].replace("\u00a0", "⍽")
            found.append(f"{around!r} ({problem})")
    return found


class _Text(HTMLParser):
    """The text a reader gets from a page: its text (tags taken out, so that « <strong>x</strong> »
    reads as one) and, each on its own, its read attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.attributes: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIPPED_ELEMENTS:
            self._skipping += 1
        self.attributes.extend(value for name, value in attrs if name in READ_ATTRIBUTES and value)

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIPPED_ELEMENTS and self._skipping:
            self._skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.text.append(data)


def html_faults(html: str) -> list[str]:
    parser = _Text()
    parser.feed(html)
    parser.close()
    return [fault for piece in ["".join(parser.text), *parser.attributes] for fault in faults(piece)]
