"""OpenITI mARkdown: the format of the Open Islamicate Texts Initiative corpus.

A file starts with ``######OpenITI#``; ``#META# key: value`` lines before
``#META#Header#End#`` describe the book; ``### |`` headings (``### ||`` one
level down, and so on) divide it into sections; ``# `` starts a paragraph and
``~~`` continues it on the next line. Markers stand in the text: ``PageV01P035``
ends page 35 of volume 1, ``ms12`` ends milestone 12, ``%~%`` separates the
hemistichs of a verse.

Each paragraph is a passage: its caption is the innermost section heading (a
field of its own at a low weight, not the title, so that words found only in a
heading do not rank every paragraph under it above the paragraphs that hold
them); its title is empty. Its metadata holds ``section`` (the headings from
the top, joined by `` / ``), ``level``, ``volume`` and ``page`` (integers: the
page where the passage's text stands, that is the page whose end marker comes
first after its start), ``milestone``, the book's short ``#META#`` values
(``#META# key :: value``; longer ones are left out of every passage, and so are
the placeholders ``NODATA`` and ``NOTGIVEN``), and what the book's URI and
header say of it (:func:`describe`): ``died_ah`` (an int), ``author``,
``author_uri``, ``book``, ``book_uri`` and ``vers_uri``. The markers are taken
out of the text; hemistichs are kept apart by `` … ``.

The OpenITI ``.yml`` files beside the text are read too, if present: the
version's (``<file name>.yml``) and the book's (``<author>.<book>.yml``). They
are read as the flat form OpenITI writes, not as general YAML: ``KEY: value``
lines, with indented lines continuing the value; a key such as
``20#BOOK#TITLEA#AR`` becomes ``book_titlea_ar`` (its number and ``#`` dropped,
lowercase). A ``#META#`` value wins over a yml value of the same key.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from archive.errors import InputError
from archive.models import Passage
from archive.readers._lines import lines
from archive.readers.options import ReadOptions

MAGIC = "######OpenITI#"
META = "#META#"
META_END = "#META#Header#End"
HEADING = re.compile(r"^### (\|+)\s*(.*)$")
PAGE = re.compile(r"PageV(\d+)P(\d+)")
MILESTONE = re.compile(r"\bms(\d+)\b")
HEMISTICH = "%~%"
#: #META# values up to this long are copied into every passage's metadata.
META_MAX = 200

#: Values that stand for "no value" in OpenITI metadata: never copied.
PLACEHOLDERS = ("NODATA", "NOTGIVEN")

#: File names of OpenITI texts: the URI ends with a language code and a number.
NAME = re.compile(r"-[a-z]{3}\d+(\.(mARkdown|completed|inProgress))?$")

#: The status suffix a version's file name may end with.
STATUS = re.compile(r"\.(mARkdown|completed|inProgress)$")

#: An OpenITI URI: the author's death year (AH, four digits), the author's name
#: and the book's, transliterated; then the version (``0255Jahiz.Hayawan.Shamela0001234-ara1``).
URI = re.compile(
    r"^(?P<died>\d{4})(?P<author>[^.\d][^.]*)\.(?P<book>[^.]+)(?:\.(?P<version>[^.]+))?$"
)

#: The header keys that give the book's title, the first given wins: OpenITI's
#: own header, then Shamela's (``bk``, then ``الكتاب``), then the book's yml.
TITLE_KEYS = ("020.BookTITLE", "bk", "\u0627\u0644\u0643\u062a\u0627\u0628", "book_titlea_ar")

#: The header keys that give the author's name, the first given wins.
AUTHOR_KEYS = ("010.AuthorNAME", "auth")

#: The note of the death year that Shamela puts after an author's name:
#: `` (المتوفى: 200هـ)`` (al-mutawaffā, "who died"), dropped from ``author``.
DIED_NOTE = re.compile(r"\s*\(\u0627\u0644\u0645\u062a\u0648\u0641[\u0649\u064a]\s*:?[^)]*\)\s*$")


class _Paragraph:
    def __init__(self, line: int, title: str, section: list[str]) -> None:
        self.line = line
        self.title = title
        self.section = list(section)
        self.parts: list[str] = []
        self.page: tuple[int, int] | None = None
        self.milestone: int | None = None


def _clean(text: str) -> str:
    text = PAGE.sub(" ", text)
    text = MILESTONE.sub(" ", text)
    text = text.replace(HEMISTICH, " … ")
    return " ".join(text.split())


def read(path: Path, origin: str, options: ReadOptions) -> Iterator[tuple[int, Passage]]:
    """Yield ``(line, passage)`` for each paragraph of an OpenITI mARkdown file.

    Raises:
        InputError: the file does not start with the OpenITI header.
    """
    book: dict[str, Any] = {}
    described: list[bool] = []  # whether ``book`` holds what describe() adds
    section: list[str] = []
    pending: list[_Paragraph] = []  # paragraphs whose page marker is still to come
    current: _Paragraph | None = None
    started = False

    def finish(paragraph: _Paragraph | None) -> None:
        if paragraph is not None and _clean(" ".join(paragraph.parts)):
            pending.append(paragraph)

    def ready(final: bool) -> Iterator[tuple[int, Passage]]:
        while pending and (
            final or (pending[0].page is not None and pending[0].milestone is not None)
        ):
            if not described:  # the header is read: what it says of the book
                book.update(describe(path.name, book))
                described.append(True)
            yield _passage(pending.pop(0), origin, book)

    for number, line in lines(path, options.encoding, options.on_bytes):
        if not started:
            if not line.strip():
                continue
            if not line.startswith(MAGIC):
                raise InputError(f"not an OpenITI text: no {MAGIC} header", path, number)
            started = True
            continue
        if line.startswith(META):
            if not line.startswith(META_END):
                body = line[len(META) :]
                key, _, value = body.partition("::" if "::" in body else ":")
                _keep(book, key.strip(), value.strip())
            else:
                for key, value in _yml(path):
                    _keep(book, key, value)
            continue
        heading = HEADING.match(line)
        if heading:
            finish(current)
            current = None
            level = len(heading.group(1))
            del section[level - 1 :]
            section.extend([""] * (level - 1 - len(section)))
            section.append(_clean(heading.group(2)))
            continue
        if line.startswith("# ") or line == "#":
            finish(current)
            current = _Paragraph(number, section[-1] if section else "", section)
            text = line[2:]
        elif line.startswith("~~") and current is not None:
            text = line[2:]
        else:
            text = line
            if current is None and text.strip():
                current = _Paragraph(number, section[-1] if section else "", section)
        if current is not None:
            current.parts.append(text)
        for match in PAGE.finditer(text):
            page = (int(match.group(1)), int(match.group(2)))
            for paragraph in [*pending, *([current] if current is not None else [])]:
                if paragraph.page is None:
                    paragraph.page = page
        for match in MILESTONE.finditer(text):
            for paragraph in [*pending, *([current] if current is not None else [])]:
                if paragraph.milestone is None:
                    paragraph.milestone = int(match.group(1))
        yield from ready(final=False)
    if not started:
        raise InputError(f"not an OpenITI text: no {MAGIC} header", path, 1)
    finish(current)
    yield from ready(final=True)


def describe(name: str, header: dict[str, Any]) -> dict[str, Any]:
    """What a version's file name (its URI) and its header (``#META#`` and yml
    values) say of the book: ``died_ah`` (an int: ``0255`` is 255), ``author``
    (the header's name of the author, its death-year note dropped, else the
    URI's transliterated name), ``author_uri`` (the URI's name), ``book`` (the
    header's title, else the URI's book part, else the file name), ``book_uri``
    and ``vers_uri``. A value the header already gives (``book_uri`` from the
    yml) is kept as it is.

    >>> describe("0255Jahiz.Hayawan.Shamela0001234-ara1.mARkdown", {})["died_ah"]
    255
    >>> sorted(describe("0255Jahiz.Hayawan.Shamela0001234-ara1", {"bk": "الحيوان"}).items())
    ... # doctest: +NORMALIZE_WHITESPACE
    [('author', 'Jahiz'), ('author_uri', 'Jahiz'), ('book', 'الحيوان'),
     ('book_uri', '0255Jahiz.Hayawan'), ('died_ah', 255),
     ('vers_uri', '0255Jahiz.Hayawan.Shamela0001234-ara1')]
    """
    uri = STATUS.sub("", name)
    match = URI.match(uri)
    title = next((str(header[k]) for k in TITLE_KEYS if header.get(k)), "")
    author = next((DIED_NOTE.sub("", str(header[k])) for k in AUTHOR_KEYS if header.get(k)), "")
    out: dict[str, Any] = {}
    if match is not None:
        out["died_ah"] = int(match.group("died"))
        out["author_uri"] = match.group("author")
        out["book_uri"] = f"{match.group('died')}{match.group('author')}.{match.group('book')}"
        if match.group("version"):
            out["vers_uri"] = uri
    out["author"] = author or out.get("author_uri", "")
    out["book"] = title or (match.group("book") if match is not None else uri)
    return {key: value for key, value in out.items() if value != "" and key not in header}


def _keep(book: dict[str, Any], key: str, value: str) -> None:
    """Copy a book-level value unless it is empty, too long or a placeholder."""
    if not key or not value or len(value) > META_MAX:
        return
    if value.strip(" .:").upper() in PLACEHOLDERS:
        return
    book.setdefault(key, value)


def _yml(path: Path) -> list[tuple[str, str]]:
    """The ``(key, value)`` pairs of the version's and the book's ``.yml``, if any."""
    parts = path.name.split(".")
    names = [path.name + ".yml"]
    if len(parts) >= 3:
        names.append(".".join(parts[:2]) + ".yml")
    pairs: list[tuple[str, str]] = []
    for name in names:
        file = path.with_name(name)
        if file.is_file():
            try:
                pairs += _flat_yml(file.read_text(encoding="utf-8-sig", errors="replace"))
            except OSError:
                continue
    return pairs


def _flat_yml(text: str) -> list[tuple[str, str]]:
    """OpenITI's flat yml: ``KEY: value`` lines, indented lines continuing a value.

    >>> _flat_yml("00#BOOK#URI######: A.B\\n80#BOOK#COMMENT##: one\\n    two\\n")
    [('book_uri', 'A.B'), ('book_comment', 'one two')]
    """
    pairs: list[list[str]] = []
    for line in text.splitlines():
        if not line.strip() or (line.lstrip().startswith("#") and ":" not in line):
            continue
        if line[0] in " \t":
            if pairs:
                pairs[-1][1] = f"{pairs[-1][1]} {line.strip()}".strip()
            continue
        key, sep, value = line.partition(":")
        if not sep:
            continue
        name = "_".join(p for p in key.strip().split("#") if p and not p.isdigit()).lower()
        if name:
            pairs.append([name, value.strip()])
    return [(key, value) for key, value in pairs]


def _passage(paragraph: _Paragraph, origin: str, book: dict[str, Any]) -> tuple[int, Passage]:
    metadata = dict(book)
    metadata["section"] = " / ".join(s for s in paragraph.section if s)
    metadata["level"] = len(paragraph.section)
    if paragraph.page is not None:
        metadata["volume"], metadata["page"] = paragraph.page
    if paragraph.milestone is not None:
        metadata["milestone"] = paragraph.milestone
    return paragraph.line, Passage(
        id="",
        caption=paragraph.title,
        text=_clean(" ".join(paragraph.parts)),
        source=origin,
        metadata=metadata,
    )
