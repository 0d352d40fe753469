"""OpenITI mARkdown: the format of the Open Islamicate Texts Initiative corpus.

A file starts with ``######OpenITI#``; ``#META# key: value`` lines before
``#META#Header#End#`` describe the book; ``### |`` headings (``### ||`` one
level down, and so on) divide it into sections; ``# `` starts a paragraph and
``~~`` continues it on the next line. Markers stand in the text: ``PageV01P035``
ends page 35 of volume 1, ``ms12`` ends milestone 12, ``%~%`` separates the
hemistichs of a verse.

Each paragraph is a passage: its title is the innermost section heading, its
metadata holds ``section`` (the headings from the top, joined by `` / ``),
``level``, ``volume`` and ``page`` (integers: the page where the passage's text
stands, that is the page whose end marker comes first after its start),
``milestone``, ``book`` (the file's name, OpenITI's URI) and the book's short
``#META#`` values (longer ones are left out of every passage). The markers are
taken out of the text; hemistichs are kept apart by `` … ``.
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

#: File names of OpenITI texts: the URI ends with a language code and a number.
NAME = re.compile(r"-[a-z]{3}\d+(\.(mARkdown|completed|inProgress))?$")


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
    book: dict[str, Any] = {"book": path.name}
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
                key, _, value = line[len(META) :].partition(":")
                if key.strip() and value.strip() and len(value.strip()) <= META_MAX:
                    book.setdefault(key.strip(), value.strip())
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
        title=paragraph.title,
        text=_clean(" ".join(paragraph.parts)),
        source=origin,
        metadata=metadata,
    )
