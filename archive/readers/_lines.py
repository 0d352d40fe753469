"""Reading input files line by line, with errors that name the file and line.

The encoding of a file is given, or detected from its first 64 KB: a byte order
mark (UTF-8, UTF-16), else UTF-16 without one if the sample's NUL bytes all
stand at odd offsets (little-endian) or all at even ones (big-endian) and the
other byte of each pair is that of ASCII or Arabic, else UTF-8 if that sample is
valid UTF-8, else Windows-1256 (the legacy Arabic code page) if the sample
decodes to mostly Arabic letters, else ISO-8859-6 if Windows-1256 would make
many of the high bytes Latin letters (ISO-8859-6 has its Arabic letters at
0xC1-0xDA and 0xE0-0xF2, where Windows-1256 has à, ç, è, é ...) and the sample
is valid ISO-8859-6 of mostly Arabic letters. Anything else is refused, naming
the byte where UTF-8 failed and asking for the encoding: a file whose high bytes
would be mostly Latin letters in Windows-1256 and are not ISO-8859-6 Arabic is
refused rather than ingested as mojibake. A NUL byte in text (not UTF-16) is
refused, naming the byte, anywhere in the file.
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

#: The share of a sample's high bytes that may read as Latin letters (or × ÷) in
#: Windows-1256 before the file is taken for something else (ISO-8859-6) or
#: refused as ambiguous. Arabic text in Windows-1256 has almost none.
LATIN_SHARE = 0.1

#: The high bytes of UTF-16 code units that text holds: ASCII (00), Arabic
#: (06), punctuation (20) and the presentation forms (FB-FE).
_UTF16_HIGH = frozenset({0x00, 0x06, 0x20, 0xFB, 0xFC, 0xFD, 0xFE})

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
    wide = _utf16_without_bom(head)
    if wide is not None:
        return wide
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 3 and len(head) == SAMPLE_BYTES:
            return "utf-8"  # a character cut by the end of the sample
        failure = exc
    else:
        nul = head.find(b"\x00")
        if nul >= 0:
            raise InputError(
                f"a NUL byte (byte {nul} of the file): not text, or a UTF-16/32 file "
                "without a byte order mark; give the encoding (encoding=... or --encoding)",
                path,
                head[:nul].count(b"\n") + 1,
            )
        return "utf-8"
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
    if letters and high and "\x00" not in sample:
        latin = sum(1 for c in sample if c >= "\x80" and not _is_arabic(c) and _latin(c))
        if latin / high > LATIN_SHARE:
            if _iso_arabic(head):
                return "iso8859-6"
            legacy = _legacy_arabic(head)
            if legacy is not None:
                return legacy
            raise InputError(
                f"ambiguous encoding: read as Windows-1256, {latin / high:.0%} of the "
                "non-ASCII bytes would be Latin letters (mojibake), and it is not "
                "ISO-8859-6 Arabic either; give the encoding (encoding=... or --encoding, "
                "e.g. --encoding cp1256, iso8859_6, cp720, cp864 or mac_arabic)",
                path,
            )
    if "\x00" not in sample and letters and arabic / len(letters) >= ARABIC_SHARE:
        return "cp1256"
    legacy = _legacy_arabic(head)
    if legacy is not None:
        return legacy
    raise InputError(
        f"not valid UTF-8 (byte {failure.start} of the file: {failure.reason}) "
        "and not Windows-1256 Arabic; give the encoding (encoding=... or --encoding)",
        path,
        head[: failure.start].count(b"\n") + 1,
    )


#: The other Arabic code pages a file is tried in when it is neither UTF-8,
#: Windows-1256 nor ISO-8859-6 Arabic: DOS Arabic (cp720) and Mac Arabic. (IBM's
#: cp864 writes the shaped forms of the letters, in visual order in some
#: files; it is not guessed: give ``--encoding cp864``.)
LEGACY_CODECS = ("cp720", "mac_arabic")

#: How many times the article ال must occur in a sample, per 100 Arabic letters,
#: for a code page to be taken: the article is in every Arabic text (about 6 in
#: 100 letters), while a wrong code page scatters letters at random.
ARTICLE_RATE = 2.0


def _legacy_arabic(head: bytes) -> str | None:
    """The code page of :data:`LEGACY_CODECS` that reads ``head`` as Arabic: mostly
    Arabic letters, the article ال at :data:`ARTICLE_RATE` at least, and more
    articles than any other code page gives; None if none does."""
    found = []
    for codec in LEGACY_CODECS:
        try:
            text = head.decode(codec)
        except UnicodeDecodeError:
            continue
        letters = [c for c in text if c.isalpha()]
        arabic = sum(map(_is_arabic, letters))
        if not letters or arabic / len(letters) < ARABIC_SHARE:
            continue
        articles = text.count("\u0627\u0644")
        if 100 * articles / arabic >= ARTICLE_RATE:
            found.append((articles, codec))
    found.sort(reverse=True)
    if not found or (len(found) > 1 and found[1][0] >= found[0][0] / 2):
        return None  # none, or two that read it alike: ambiguous
    return found[0][1]


def _is_arabic(char: str) -> bool:
    return "\u0600" <= char <= "\u06ff"


def _latin(char: str) -> bool:
    return char.isalpha() or char in "×÷"


def _iso_arabic(head: bytes) -> bool:
    """Whether ``head`` is valid ISO-8859-6 of mostly Arabic letters."""
    try:
        text = head.decode("iso8859_6")
    except UnicodeDecodeError:
        return False
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and sum(map(_is_arabic, letters)) / len(letters) >= ARABIC_SHARE


def _utf16_without_bom(head: bytes) -> str | None:
    """``utf-16-le`` or ``utf-16-be`` if ``head`` looks like UTF-16 text without a
    byte order mark: NULs at one parity only, the high bytes those of ASCII or
    Arabic, and the whole sample decodes."""
    head = head[: len(head) - len(head) % 2]
    if len(head) < 4 or b"\x00" not in head:
        return None
    evens, odds = head[0::2], head[1::2]
    for low, high, codec in ((evens, odds, "utf-16-le"), (odds, evens, "utf-16-be")):
        if low.count(0) or high.count(0) < len(high) / 20:
            continue
        if sum(1 for b in high if b in _UTF16_HIGH) < 0.9 * len(high):
            continue
        try:
            head.decode(codec)
        except UnicodeDecodeError as exc:
            if exc.start < len(head) - 4:  # not a pair cut by the end of the sample
                continue
        return codec
    return None


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
            if "\x00" in text:
                at = offset + raw.index(0)
                raise InputError(
                    f"a NUL byte (byte {at} of the file): "
                    "not text; give the encoding if it is UTF-16 or UTF-32 (--encoding)",
                    path,
                    number,
                )
            offset += len(raw)
            if on_bytes is not None:
                on_bytes(len(raw))
            yield number, text


def _wide_lines(path: Path, codec: str) -> Iterator[tuple[int, str]]:
    number = 0
    with path.open(encoding=codec, newline="") as handle:
        try:
            for number, text in enumerate(handle, 1):
                if "\x00" in text:
                    raise InputError(f"a NUL character in {codec} text", path, number)
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
