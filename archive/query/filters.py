"""Filters: which passages a search may return, by source and by metadata.

A passage's scalar metadata is indexed as ``key=value`` terms
(:func:`meta_terms`); a ``where=`` filter looks those terms up
(:meth:`Filters.terms`), and a ``source=`` glob is matched against the whole
source. Every engine indexes and filters with these functions, so a filter
means the same on each.

Keys and values are escaped (:func:`meta_term`) so that a term names one key
and one value: a backslash becomes ``\\\\``, an ``=`` in a key ``\\=``, and
:data:`META_SEPARATOR` in a key or value ``\\x1e``; so the key ``a=b`` with
value ``c`` and the key ``a`` with value ``b=c`` are different terms, and a
value cannot split into two terms where an engine stores them as one string.
(Indexes written before the escaping hold the terms unescaped: keys or values
with a backslash, ``=`` in a key or the separator no longer match there.)
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
                terms.append(meta_term(str(key), text))
    return terms


def meta_term(key: str, value: str) -> str:
    """The escaped ``key=value`` term of one metadata value.

    >>> print(meta_term("a=b", "c"), meta_term("a", "b=c"), meta_term("k", "x" + META_SEPARATOR))
    a\\=b=c a=b=c k=x\\x1e
    """
    return _escape(key).replace("=", "\\=") + "=" + _escape(value)


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(META_SEPARATOR, "\\x1e")


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
        return [meta_term(key, value) for key, value in self.where]

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
            _check_valid(str(key), "where key")
            _check_valid(text, f"where {key!r}")
            pairs.append((str(key), text))
        if source:
            _check_valid(source, "source")
        return cls(source or None, tuple(pairs))


def _check_valid(text: str, what: str) -> None:
    """Raises QueryError if ``text`` holds a lone surrogate (as Python makes of
    command-line bytes that are not UTF-8): no engine can look it up."""
    if any("\ud800" <= char <= "\udfff" for char in text):
        raise QueryError(
            f"{what} is not valid text (a lone surrogate, as from bytes that are not UTF-8)",
            text.encode("utf-8", "backslashreplace").decode("utf-8"),
        )
