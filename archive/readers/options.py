"""How to read input files: the options every reader takes."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import attrs

from archive.errors import InputError

#: The passage fields a column or key can be mapped to.
FIELDS = ("id", "title", "text", "source", "caption", "citations")


def _columns(value: Mapping[str, str] | None) -> tuple[tuple[str, str], ...]:
    pairs = tuple((str(k), str(v)) for k, v in (value or {}).items())
    for field, _ in pairs:
        if field not in FIELDS:
            raise InputError(
                f"cannot map a column to {field!r}; the fields are {', '.join(FIELDS)}"
            )
    return pairs


@attrs.frozen
class ReadOptions:
    """``encoding``: the files' encoding (None: detected). ``columns``: which
    column (CSV, TSV) or key (JSON Lines) holds each passage field, for inputs
    that name them otherwise: ``{"text": "body", "title": "heading"}``."""

    encoding: str | None = None
    columns: tuple[tuple[str, str], ...] = attrs.field(default=(), converter=_columns)
    #: Called with the number of bytes of each line read (for progress reports);
    #: not part of how a file is read, so not in its repr.
    on_bytes: Callable[[int], None] | None = attrs.field(
        default=None, repr=False, eq=False, hash=False
    )

    def rename(self, record: dict[str, Any]) -> dict[str, Any]:
        """``record`` with the mapped columns under the passage fields' names."""
        if not self.columns:
            return record
        out = dict(record)
        for field, column in self.columns:
            if column in out:
                out[field] = out.pop(column)
        return out
