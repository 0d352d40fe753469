"""CSV (``.csv``) and TSV (``.tsv``): one passage a row, under a header row.

Columns named ``id``, ``title``, ``text``, ``source`` and ``caption`` fill those
fields (or the columns that ``columns=`` maps to them); ``citations`` holds labels
separated by ``;``; every other column goes to ``metadata``, empty cells left out.
Quoted cells may hold commas, tabs and line breaks. A row must have text.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from archive.errors import InputError
from archive.models import Passage
from archive.readers._lines import lines
from archive.readers.options import ReadOptions


def _rows(path: Path, options: ReadOptions, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    numbered = lines(path, options.encoding, options.on_bytes)
    current = [0]

    def feed() -> Iterator[str]:
        for number, text in numbered:
            current[0] = number
            yield text + "\n"

    reader = csv.reader(feed(), delimiter=delimiter, strict=True)
    try:
        for row in reader:
            yield current[0], row
    except csv.Error as exc:
        kind = "TSV" if delimiter == "\t" else "CSV"
        raise InputError(f"broken {kind}: {exc}", path, current[0]) from None


def read(
    path: Path, origin: str, options: ReadOptions, delimiter: str = ","
) -> Iterator[tuple[int, Passage]]:
    """Yield ``(line, passage)`` for each row of a CSV or TSV file.

    Raises:
        InputError: no header, no text column, a row with more cells than the
            header or without text, or broken quoting (names the file and line).
    """
    rows = _rows(path, options, delimiter)
    header: list[str] | None = None
    for number, row in rows:
        if not any(cell.strip() for cell in row):
            continue
        if header is None:
            header = [name.strip() for name in row]
            mapped = options.rename(dict.fromkeys(header))
            if "text" not in mapped:
                raise InputError(
                    f"no text column in the header ({', '.join(header)}); "
                    "name one 'text' or map one with columns={'text': ...}",
                    path,
                    number,
                )
            continue
        if len(row) > len(header):
            raise InputError(
                f"{len(row)} cells in a row under a header of {len(header)}", path, number
            )
        record = options.rename(dict(zip(header, row, strict=False)))
        text = (record.pop("text", "") or "").strip()
        if not text:
            raise InputError("a row without text", path, number)
        citations = [c.strip() for c in (record.pop("citations", "") or "").split(";")]
        yield (
            number,
            Passage(
                id=(record.pop("id", "") or "").strip(),
                title=record.pop("title", "") or "",
                text=text,
                source=record.pop("source", "") or origin,
                caption=record.pop("caption", "") or "",
                citations=tuple(c for c in citations if c),
                metadata={k: v for k, v in record.items() if v},
            ),
        )


def read_tsv(path: Path, origin: str, options: ReadOptions) -> Iterator[tuple[int, Passage]]:
    """:func:`read` with tabs between the cells."""
    return read(path, origin, options, delimiter="\t")
