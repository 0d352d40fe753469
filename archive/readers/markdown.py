"""Markdown (``.md``): each heading starts a passage.

An ATX heading (``#`` to ``######`` and a space) starts a passage whose title is
the heading's text; ``metadata`` holds ``section``, the headings from the top
joined by `` / ``, and ``level``. The body is every line up to the next heading,
line breaks kept. Text before the first heading is a passage without a title. A
heading with no body (a chapter heading right before its first section) only
names the section. Lines inside fenced code blocks (```) are never headings.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from archive.models import Passage
from archive.readers._lines import lines
from archive.readers.options import ReadOptions

HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
FENCE = re.compile(r"^\s*(```|~~~)")


def read(path: Path, origin: str, options: ReadOptions) -> Iterator[tuple[int, Passage]]:
    """Yield ``(line, passage)`` for each section of a Markdown file with text."""
    section: list[str] = []
    start = 1  # the current passage's first line
    body: list[str] = []
    fenced = False

    def passage() -> Iterator[tuple[int, Passage]]:
        text = "\n".join(body).strip()
        if text:
            yield (
                start,
                Passage(
                    id="",
                    title=section[-1] if section else "",
                    text=text,
                    source=origin,
                    metadata={"section": " / ".join(s for s in section if s), "level": len(section)}
                    if section
                    else {},
                ),
            )

    for number, line in lines(path, options.encoding, options.on_bytes):
        if FENCE.match(line):
            fenced = not fenced
        heading = None if fenced else HEADING.match(line)
        if heading:
            yield from passage()
            level = len(heading.group(1))
            del section[level - 1 :]
            section.extend([""] * (level - 1 - len(section)))
            section.append(heading.group(2))
            start, body = number, []
            continue
        body.append(line)
    yield from passage()
