"""The archive's plain-text passage format (``.txt``); see ``docs/passage-format.md``.

::

    # عنوان المقطع                      a heading line starts a passage: its title
    @caption: تعليق الصورة               field lines right after the heading
    @id: my-id                          (id, source, caption; any other key is metadata)
    نص المقطع ... [10]                  the body: every line up to the next heading

* ``# `` (hash, space) at the start of a line begins a passage; the rest of the
  line is its title. Text before the first heading is a passage without a title,
  so a file with no heading is one passage.
* ``@key: value`` lines directly after the heading (before the body) are fields.
  ``@id``, ``@source`` and ``@caption`` fill those; other keys go to metadata.
* The body keeps its line breaks; leading and trailing blank lines are dropped.
  A body line that must begin with ``# `` or ``@`` is written with a backslash
  before it (``\\# ``), which is removed.
* Citation markers, a number in square brackets such as ``[10]``, are taken out
  of the body and kept in ``citations`` (``"10"``), so they are not searched.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path

from archive.errors import InputError
from archive.models import Passage
from archive.readers._lines import lines
from archive.readers.options import ReadOptions

HEADING = "# "
FIELD = re.compile(r"^@([A-Za-z_][\w-]*)\s*:\s?(.*)$")
#: A run of citation markers, with the space before it: " [1][2]".
CITATION = re.compile(r"([ \t]?)((?:\[\d{1,5}\])+)")
_LABEL = re.compile(r"\d{1,5}")
_ESCAPED = ("\\# ", "\\@", "\\\\")


def split_citations(body: str) -> tuple[str, tuple[str, ...]]:
    """Take the ``[N]`` markers out of ``body``; return the text and the labels.

    >>> split_citations("وعضو الجمعية التأسيسية.[10]")
    ('وعضو الجمعية التأسيسية.', ('10',))
    """
    labels: list[str] = []

    def drop(match: re.Match[str]) -> str:
        labels.extend(_LABEL.findall(match.group(2)))
        before = body[match.start() - 1] if match.start() > 0 else " "
        after = body[match.end()] if match.end() < len(body) else " "
        # Keep two words apart when the markers (and a space) were all between them.
        if (_wordish(before) or match.group(1)) and _wordish(after):
            return " "
        return ""

    text = CITATION.sub(drop, body)
    return text, tuple(labels)


def _wordish(char: str) -> bool:
    """A letter, digit or combining mark (a word ending in a haraka is not alnum)."""
    return char.isalnum() or unicodedata.category(char).startswith("M")


class _Draft:
    def __init__(self, line: int, title: str) -> None:
        self.line = line
        self.title = title
        self.fields: dict[str, str] = {}
        self.body: list[str] = []

    def passage(self, path: Path, origin: str) -> Passage | None:
        text, citations = split_citations("\n".join(self.body).strip())
        text = text.strip()
        if not text:  # nothing, or nothing but citation markers
            if self.title or self.fields or citations:
                raise InputError(f"passage {self.title!r} has no text", path, self.line)
            return None
        fields = dict(self.fields)
        return Passage(
            id=fields.pop("id", ""),
            title=self.title,
            text=text,
            source=fields.pop("source", origin),
            caption=fields.pop("caption", ""),
            citations=citations,
            metadata=fields,
        )


def read(path: Path, origin: str, options: ReadOptions) -> Iterator[tuple[int, Passage]]:
    """Yield ``(line, passage)`` for each passage of a ``.txt`` file.

    Raises:
        InputError: a heading without body text, a repeated field, bad UTF-8.
    """
    draft = _Draft(1, "")
    for number, line in lines(path, options.encoding, options.on_bytes):
        if line.startswith(HEADING) or line == "#":
            passage = draft.passage(path, origin)
            if passage is not None:
                yield draft.line, passage
            draft = _Draft(number, line[len(HEADING) :].strip())
            continue
        field = FIELD.match(line)
        if field and not draft.body:
            key = field.group(1).lower()
            if key in draft.fields:
                raise InputError(f"field @{key} given twice", path, number)
            draft.fields[key] = field.group(2).strip()
            continue
        if line.startswith(_ESCAPED):
            line = line[1:]
        if draft.body or line.strip():
            draft.body.append(line)
    passage = draft.passage(path, origin)
    if passage is not None:
        yield draft.line, passage
