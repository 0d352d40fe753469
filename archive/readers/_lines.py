"""Reading input files line by line, with errors that name the file and line.

The encoding of a file is given, or detected from its first 64 KB: a byte order
mark (UTF-8, UTF-16), else UTF-8 if that sample is valid UTF-8, else Windows-1256
(the legacy Arabic code page) if the sample decodes to mostly Arabic letters.
Anything else is refused, naming the byte where UTF-8 failed.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable, Iterator
from pathlib import Path

from archive.errors import InputError

_BOM_CHAR = "\ufeff"

#: Bytes read to detect a file's encoding.
SAMPLE_BYTES = 65_536

#: The share of letters in a sample that must be Arabic to read it as Windows-1256.
ARABIC_SHARE = 0.5

#: The share of high bytes in UTF-8 Arabic pairs above which a file that is not
#: valid UTF-8 is taken for UTF-8 with a bad byte. Measured on Arabic Wikipedia
#: text: 0.996 in UTF-8, 0.0004 in Windows-1256.
UTF8_PAIR_SHARE = 0.2

_UTF8_ARABIC = re.compile(rb"[\xd8-\xdb][\x80-\xbf]")


def detect(path: Path, encoding: str | None = None) -> str:
    """The encoding to read ``path`` with: ``encoding`` if given (checked), else detected.

    Raises:
        InputError: an unknown encoding, or a file that is neither UTF-8, UTF-16
            with a byte order mark, nor Windows-1256 Arabic.
    """
    if encoding:
        try:
            return codecs.lookup(encoding).name
        except LookupError:
            raise InputError(f"unknown encoding {encoding!r}", path) from None
    with path.open("rb") as handle:
        head = handle.read(SAMPLE_BYTES)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 3 and len(head) == SAMPLE_BYTES:
            return "utf-8"  # a character cut by the end of the sample
        failure = exc
    # UTF-8 Arabic is pairs of a lead byte D8-DB and a continuation byte; in
    # Windows-1256 text such pairs are rare (a letter before a Persian letter or
    # a sign). Mostly pairs: a UTF-8 file with a bad byte, not a legacy file.
    high = sum(1 for byte in head if byte >= 0x80)
    pairs = len(_UTF8_ARABIC.findall(head))
    sample = head.decode("cp1256", errors="replace")
    if high and 2 * pairs / high >= UTF8_PAIR_SHARE:
        letters = []
    else:
        letters = [c for c in sample if c.isalpha()]
    arabic = sum(1 for c in letters if "\u0600" <= c <= "\u06ff")
    if "\x00" not in sample and letters and arabic / len(letters) >= ARABIC_SHARE:
        return "cp1256"
    raise InputError(
        f"not valid UTF-8 (byte {failure.start} of the file: {failure.reason}) "
        "and not Windows-1256 Arabic; give the encoding (encoding=... or --encoding)",
        path,
        head[: failure.start].count(b"\n") + 1,
    )


def lines(
    path: Path, encoding: str | None = None, on_bytes: Callable[[int], None] | None = None
) -> Iterator[tuple[int, str]]:
    """Yield ``(line_number, text)`` for each line of a file, line ends removed.

    A byte order mark at the start of the file, or of any line (files joined
    with ``cat``), is dropped. LF, CRLF and a lone CR (old Mac files) end lines.
    The file is streamed, never read whole.

    Raises:
        InputError: the encoding is unknown or undetectable, or a line cannot be
            decoded (names the line and, but for UTF-16/32, the byte offset).
    """
    codec = detect(path, encoding)
    if codec.startswith(("utf-16", "utf-32")):
        yield from _split(_wide_lines(path, codec))
        if on_bytes is not None:
            on_bytes(path.stat().st_size)
    else:
        yield from _split(_byte_lines(path, codec, on_bytes))


def _byte_lines(
    path: Path, codec: str, on_bytes: Callable[[int], None] | None = None
) -> Iterator[tuple[int, str]]:
    offset = 0
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, 1):
            try:
                text = raw.decode(codec)
            except UnicodeDecodeError as exc:
                raise InputError(
                    f"not valid {codec} (byte {offset + exc.start} of the file: {exc.reason})",
                    path,
                    number,
                ) from None
            offset += len(raw)
            if on_bytes is not None:
                on_bytes(len(raw))
            yield number, text


def _wide_lines(path: Path, codec: str) -> Iterator[tuple[int, str]]:
    number = 0
    with path.open(encoding=codec, newline="") as handle:
        try:
            for number, text in enumerate(handle, 1):
                yield number, text
        except UnicodeDecodeError as exc:
            raise InputError(f"not valid {codec} ({exc.reason})", path, number + 1) from None


def _split(numbered: Iterator[tuple[int, str]]) -> Iterator[tuple[int, str]]:
    """Line ends removed, lone CRs split, byte order marks dropped; renumbered."""
    number = 0
    for _, text in numbered:
        number += 1
        text = text.rstrip("\n").removesuffix("\r")
        if "\r" not in text:
            yield number, text.removeprefix(_BOM_CHAR)
            continue
        pieces = text.split("\r")
        for i, piece in enumerate(pieces):
            yield number + i, piece.removeprefix(_BOM_CHAR)
        number += len(pieces) - 1
