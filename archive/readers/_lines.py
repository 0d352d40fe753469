"""Reading input files line by line, with errors that name the file and line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from archive.errors import InputError

_BOM_CHAR = "\ufeff"


def lines(path: Path) -> Iterator[tuple[int, str]]:
    """Yield ``(line_number, text)`` for each line of a UTF-8 file, line ends removed.

    A byte order mark at the start of the file, or of any line (files joined
    with ``cat``), is dropped. LF, CRLF and a lone CR (old Mac files) end lines.
    The file is streamed, never read whole.

    Raises:
        InputError: a line is not valid UTF-8 (names the line and byte offset).
    """
    offset = 0
    number = 0
    with path.open("rb") as handle:
        for raw in handle:
            number += 1
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise InputError(
                    f"not valid UTF-8 (byte {offset + exc.start} of the file: {exc.reason})",
                    path,
                    number,
                ) from None
            offset += len(raw)
            text = text.rstrip("\n")
            text = text.removesuffix("\r")
            if "\r" not in text:
                yield number, text.removeprefix(_BOM_CHAR)
                continue
            pieces = text.split("\r")
            for i, piece in enumerate(pieces):
                yield number + i, piece.removeprefix(_BOM_CHAR)
            number += len(pieces) - 1
