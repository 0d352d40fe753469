"""JSON Lines (``.jsonl``): one passage a line.

Each non-blank line is a JSON object with ``text`` (a non-empty string) and
optionally ``id`` (string or integer), ``title``, ``source``, ``caption`` (strings)
and ``citations`` (a list of strings); every other key goes to ``metadata``.
A record without ``source`` takes the file's path as its source.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from archive.errors import InputError
from archive.models import Passage
from archive.readers._lines import lines
from archive.readers.options import ReadOptions

_STRINGS = ("title", "source", "caption")


def _record(data: Any, path: Path, number: int, origin: str) -> Passage:
    if not isinstance(data, dict):
        raise InputError(f"expected a JSON object, got {type(data).__name__}", path, number)
    data = dict(data)
    text = data.pop("text", None)
    if not isinstance(text, str) or not text.strip():
        raise InputError('missing or empty "text" (a non-empty string is required)', path, number)
    raw_id = data.pop("id", "")
    if isinstance(raw_id, bool) or not isinstance(raw_id, (str, int)):
        raise InputError(f'"id" must be a string or an integer, got {raw_id!r}', path, number)
    passage_id = str(raw_id).strip()
    if raw_id != "" and not passage_id:
        raise InputError('"id" is blank', path, number)
    fields: dict[str, str] = {}
    for key in _STRINGS:
        value = data.pop(key, "")
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise InputError(f'"{key}" must be a string, got {value!r}', path, number)
        fields[key] = value
    citations = data.pop("citations", [])
    if not isinstance(citations, list) or not all(isinstance(c, str) for c in citations):
        raise InputError('"citations" must be a list of strings', path, number)
    return Passage(
        id=passage_id,
        title=fields["title"],
        text=text,
        source=fields["source"] or origin,
        caption=fields["caption"],
        citations=tuple(citations),
        metadata=data,
    )


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def read(path: Path, origin: str, options: ReadOptions) -> Iterator[tuple[int, Passage]]:
    """Yield ``(line, passage)`` for each record of a ``.jsonl`` file.

    Raises:
        InputError: a line that is not JSON, not an object, or lacks ``text``.
    """
    for number, line in lines(path, options.encoding, options.on_bytes):
        if not line.strip():
            continue
        try:
            data = json.loads(line, parse_constant=_no_constant)
        except json.JSONDecodeError as exc:
            raise InputError(
                f"not valid JSON ({exc.msg}, column {exc.colno})", path, number
            ) from None
        except (ValueError, RecursionError) as exc:  # huge integers, deep nesting, NaN
            raise InputError(f"cannot read this JSON: {exc}", path, number) from None
        try:
            if "\\u" in line:  # only an escape can make a lone surrogate
                json.dumps(data, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise InputError(
                "a string holds a lone surrogate (an escaped \\uD800-\\uDFFF that is not "
                "half of a pair), which is not text",
                path,
                number,
            ) from None
        if isinstance(data, dict):
            data = options.rename(data)
        yield number, _record(data, path, number, origin)
