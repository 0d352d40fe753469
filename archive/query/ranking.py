"""The order of hits: by score, by their place in their source, or by a metadata
value; ties broken by passage id.

One total order that every engine, and an index split into shards, reproduces:
scores are compared to :data:`SCORE_DECIMALS` decimals (a score summed in
another order, in another segment or on another shard, ties with its equal), and
equal keys are ordered by passage id, never by an engine's document number.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from archive.errors import QueryError

#: Scores are compared to this many decimals when hits are ordered.
SCORE_DECIMALS = 9

#: Two scores that round to the same :func:`tie_score` differ by less than this.
TIE_STEP = 1.000001 * 10.0**-SCORE_DECIMALS


def tie_score(score: float) -> float:
    """The score that orders a hit: ``score`` to :data:`SCORE_DECIMALS` decimals."""
    return round(score, SCORE_DECIMALS)


def check_sort(sort: object, text: str) -> None:
    """Raises QueryError unless ``sort`` orders hits by score, by their place in
    their source, or by a metadata value (``"meta:volume"``)."""
    if sort in ("score", "source") or (
        isinstance(sort, str) and sort.startswith("meta:") and len(sort) > 5
    ):
        return
    raise QueryError(f"sort must be 'score', 'source' or 'meta:KEY', not {sort!r}", text)


def positive_int(value: object) -> bool:
    """Whether ``value`` is an int of at least 1 (a bool is not)."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def check_page(limit: object, page: object, text: str) -> None:
    """Raises QueryError unless ``limit`` is a positive integer or None and
    ``page`` a positive integer."""
    if limit is not None and not positive_int(limit):
        raise QueryError(f"limit must be a positive integer or None, not {limit!r}", text)
    if not positive_int(page):
        raise QueryError(f"page must be a positive integer, not {page!r}", text)


def hit_key(
    passage: Mapping[str, Any], score: float, sort: str, file: str = "", line: int = 0
) -> tuple[Any, ...]:
    """The sort key of a hit, from its passage (as a dict), score and place (the
    file and line it was read from): one total order, ties broken by passage id.

    >>> first, second = {"id": "b"}, {"id": "a"}
    >>> hit_key(first, 1.5, "score") < hit_key(second, 1.0, "score") < hit_key(first, 1.0, "score")
    True
    """
    pid = passage["id"]
    if sort == "score":
        return (-tie_score(score), pid)
    if sort == "source":
        return (passage["source"], file, line, pid)
    value = passage.get("metadata", {}).get(sort[5:])
    if value is None:
        return (2, "", -tie_score(score), pid)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (0, value, -tie_score(score), pid)
    return (1, str(value), -tie_score(score), pid)
