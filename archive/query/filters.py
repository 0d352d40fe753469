"""Filters: which passages a search may return, by source and by metadata.

A passage's scalar metadata is indexed as ``key=value`` terms
(:func:`meta_terms`); a ``where=`` filter looks those terms up
(:meth:`Filters.terms`), a range (``where={"page": (10, 50)}``) takes the
terms of its key whose values are numbers in the range (:func:`in_range`,
over the terms an engine lists with :meth:`Filters.range_prefixes`), and a
``source=`` glob is matched against the whole source. Every engine indexes
and filters with these functions, so a filter means the same on each.

Keys and values are escaped (:func:`meta_term`) so that a term names one key
and one value: a backslash becomes ``\\\\``, an ``=`` in a key ``\\=``, and
:data:`META_SEPARATOR` in a key or value ``\\x1e``; so the key ``a=b`` with
value ``c`` and the key ``a`` with value ``b=c`` are different terms, and a
value cannot split into two terms where an engine stores them as one string.
(Indexes written before the escaping hold the terms unescaped: keys or values
with a backslash, ``=`` in a key or the separator no longer match there.)
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
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


#: The most distinct values of one key a range filter may take (a key with
#: more values, such as a running number, is refused with a QueryError).
MAX_RANGE_VALUES = 100_000

Bound = float | None


def _number(text: str) -> float | None:
    """``text`` as a number (digits of any script, as Python reads them), or None
    if it is not one (nor inf, nan, nor written with spaces or underscores)."""
    if "_" in text or text.strip() != text:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value == value and abs(value) != float("inf") else None


def in_range(
    key: str, low: Bound, high: Bound, terms: Iterable[str], *, limit: int = MAX_RANGE_VALUES
) -> list[str]:
    """The metadata terms of ``key`` (all listed terms start with its prefix,
    :meth:`Filters.range_prefixes`) whose values are numbers from ``low`` to
    ``high``, both included (None: no bound); values that are not numbers are
    left out.

    >>> in_range("page", 10, 50, ["page=9", "page=10", "page=50.0", "page=51", "page=x"])
    ['page=10', 'page=50.0']

    Raises:
        QueryError: the key has more than ``limit`` distinct values.
    """
    prefix = meta_term(key, "")
    kept = []
    for seen, term in enumerate(terms, 1):
        if seen > limit:
            raise QueryError(
                f"the range on {key!r} spans more than {limit:,} distinct values; "
                "narrow it or filter by exact values",
                key,
            )
        value = _number(term[len(prefix) :])
        if value is not None and (low is None or value >= low) and (high is None or value <= high):
            kept.append(term)
    return kept


def _bound(key: str, value: Any) -> Bound:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        number = _number(value) if isinstance(value, str) else None
        if number is None:
            raise QueryError(
                f"the range of where {key!r} must have numbers (or None) as bounds, not {value!r}",
                str(value),
            )
        return number
    number = float(value)
    if _number(str(number)) is None:
        raise QueryError(f"the range of where {key!r} has a bound that is not a number", str(value))
    return number


@attrs.frozen
class Filters:
    """Which passages a search may return: a glob on their source and metadata values.

    ``source`` is a glob (``*`` and ``?``) matched against the whole source;
    ``where`` holds ``(key, value)`` pairs that must all be in the metadata (a
    list value holds each of its items), compared as text; ``ranges`` holds
    ``(key, low, high)``: the metadata must hold a number from ``low`` to
    ``high`` under the key (None: no bound on that side).
    """

    source: str | None = None
    where: tuple[tuple[str, str], ...] = ()
    ranges: tuple[tuple[str, Bound, Bound], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.source or self.where or self.ranges)

    def terms(self) -> list[str]:
        """The metadata terms a passage must hold."""
        return [meta_term(key, value) for key, value in self.where]

    def range_prefixes(self) -> list[tuple[str, str, Bound, Bound]]:
        """For each range: its key, the prefix of its key's metadata terms (to list
        them from the engine and pass them to :func:`in_range`) and its bounds."""
        return [(key, meta_term(key, ""), low, high) for key, low, high in self.ranges]

    @classmethod
    def make(cls, source: str | None, where: Mapping[str, Any] | None) -> Filters:
        """Filters from the keyword arguments of the public API.

        A ``where`` value that is a pair (a tuple or list of two) is a range
        (:attr:`ranges`): ``(10, 50)``, ``(None, 300)``.

        Raises:
            QueryError: a ``where`` value that is not text, a number, a bool or a
                range of two numbers (either may be None, not both), or a range
                whose low bound is above its high one.
        """
        pairs = []
        ranges = []
        for key, value in (where or {}).items():
            if isinstance(value, (tuple, list)):
                _check_valid(str(key), "where key")
                if len(value) != 2:
                    raise QueryError(
                        f"the range of where {key!r} must be (low, high), not {value!r}",
                        str(value),
                    )
                low, high = _bound(str(key), value[0]), _bound(str(key), value[1])
                if low is None and high is None:
                    raise QueryError(f"the range of where {key!r} has no bound", str(value))
                if low is not None and high is not None and low > high:
                    raise QueryError(
                        f"the range of where {key!r} starts above its end: {value!r}", str(value)
                    )
                ranges.append((str(key), low, high))
                continue
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
        return cls(source or None, tuple(pairs), tuple(ranges))


#: The most values of one facet key a search counts (a key with more, such as
#: a page number over a large archive, is refused with a QueryError).
MAX_FACET_VALUES = 100_000

_UNESCAPE = re.compile(r"\\(\\|x1e)")


def facet_field(key: str) -> tuple[str, str]:
    """The index field and term prefix of a facet or group key: ``"source"``, or
    ``"meta:KEY"`` for a metadata key.

    >>> facet_field("source"), facet_field("meta:author")
    (('source', ''), ('meta', 'author='))

    Raises:
        QueryError: another key.
    """
    if key == "source":
        return "source", ""
    if isinstance(key, str) and key.startswith("meta:") and len(key) > len("meta:"):
        _check_valid(key, "a facet")
        return "meta", meta_term(key[len("meta:") :], "")
    raise QueryError("a facet or group key must be 'source' or 'meta:KEY'", str(key))


def facet_value(prefix: str, term: str) -> str:
    """The value of an index term listed under a facet's prefix, unescaped.

    >>> facet_value("book=", meta_term("book", "كتاب=الأم"))
    'كتاب=الأم'
    """
    return _UNESCAPE.sub(lambda m: "\\" if m[1] == "\\" else META_SEPARATOR, term[len(prefix) :])


def ranked_facets(counts: Mapping[str, int]) -> tuple[tuple[str, int], ...]:
    """A facet's values with their counts, most first, ties in value order (none
    of count 0)."""
    return tuple(sorted(((v, n) for v, n in counts.items() if n), key=lambda vn: (-vn[1], vn[0])))


def group_values(passage: Any, key: str) -> list[str]:
    """The values of a group key (:func:`facet_field`) a passage has, as its
    facet values are written: its source, or each item of a metadata value."""
    if key == "source":
        return [passage.source]
    value = passage.metadata.get(key[len("meta:") :])
    items = value if isinstance(value, list) else [value]
    return [text for text in map(meta_value, items) if text is not None]


_RANGE = re.compile(r"(?P<low>[^.]*)\.\.(?P<high>[^.]*)")


def condition(text: str) -> tuple[str, Any]:
    """One ``where`` condition as the CLI and the web API write it: ``KEY=VALUE``,
    or a range ``KEY=LOW..HIGH`` with either bound left out (``page=10..50``,
    ``died_ah=..300``; the bounds are checked as numbers by :meth:`Filters.make`).

    >>> condition("page=10..50"), condition("died_ah=..300"), condition("book=كتاب")
    (('page', ('10', '50')), ('died_ah', (None, '300')), ('book', 'كتاب'))

    Raises:
        QueryError: ``text`` is not ``KEY=VALUE``.
    """
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise QueryError("a where condition must be KEY=VALUE or KEY=LOW..HIGH", text)
    found = _RANGE.fullmatch(value)
    if found is None:
        return key, value
    return key, (found["low"] or None, found["high"] or None)


def _check_valid(text: str, what: str) -> None:
    """Raises QueryError if ``text`` holds a lone surrogate (as Python makes of
    command-line bytes that are not UTF-8): no engine can look it up."""
    if any("\ud800" <= char <= "\udfff" for char in text):
        raise QueryError(
            f"{what} is not valid text (a lone surrogate, as from bytes that are not UTF-8)",
            text.encode("utf-8", "backslashreplace").decode("utf-8"),
        )
