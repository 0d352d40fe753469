"""Filters: which passages a search may return, by source and by metadata.

A passage's scalar metadata is indexed as ``key=value`` terms
(:func:`meta_terms`); a ``where=`` filter looks those terms up, and a
``source=`` glob is matched against the whole source. Every engine indexes and
filters with these functions, so a filter means the same on each.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from archive.errors import QueryError

#: Separates the "key=value" terms of the metadata field in an engine that
#: stores them as one string.
META_SEPARATOR = "\x1e"


def meta_terms(metadata: Mapping[str, Any]) -> list[str]:
    """The ``key=value`` terms of a passage's scalar metadata (list items each).

    >>> meta_terms({"volume": 1, "book": "البخاري", "tags": ["فقه", "صلاة"], "x": None})
    ['volume=1', 'book=البخاري', 'tags=فقه', 'tags=صلاة']
    """
    terms = []
    for key, value in metadata.items():
        for item in value if isinstance(value, list) else [value]:
            text = meta_value(item)
            if text is not None:
                terms.append(f"{key}={text}")
    return terms


def meta_value(value: Any) -> str | None:
    """How a scalar metadata value is written in a ``key=value`` term."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    return None


@attrs.frozen
class Filters:
    """Which passages a search may return: a glob on their source and metadata values.

    ``source`` is a glob (``*`` and ``?``) matched against the whole source;
    ``where`` holds ``(key, value)`` pairs that must all be in the metadata (a
    list value holds each of its items), compared as text.
    """

    source: str | None = None
    where: tuple[tuple[str, str], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.source or self.where)

    def terms(self) -> list[str]:
        """The metadata terms a passage must hold."""
        return [f"{key}={value}" for key, value in self.where]

    @classmethod
    def make(cls, source: str | None, where: Mapping[str, Any] | None) -> Filters:
        """Filters from the keyword arguments of the public API.

        Raises:
            QueryError: a ``where`` value that is not text, a number or a bool.
        """
        pairs = []
        for key, value in (where or {}).items():
            text = meta_value(value)
            if text is None:
                raise QueryError(
                    f"where {key!r} must be text, a number or true/false, not {value!r}",
                    str(value),
                )
            pairs.append((str(key), text))
        return cls(source or None, tuple(pairs))
