"""Reading input files line by line, with errors that name the file and line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from archive.errors import InputError

_BOM = b"\xef\xbb\xbf"


def lines(path: Path) -> Iterator[tuple[int, str]]:
    """Yield ``(line_number, text)`` for each line of a UTF-8 file, line ends removed.

    A UTF-8 byte order mark at the start is dropped; CRLF and LF both end lines.
    The file is streamed, never read whole.

    Raises:
        InputError: a line is not valid UTF-8 (names the line and byte offset).
    """
    offset = 0
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, 1):
            data = raw[3:] if number == 1 and raw.startswith(_BOM) else raw
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError as exc:
                where = offset + (len(raw) - len(data)) + exc.start
                raise InputError(
                    f"not valid UTF-8 (byte {where} of the file: {exc.reason})", path, number
                ) from None
            offset += len(raw)
            yield number, text.rstrip("\r\n")
