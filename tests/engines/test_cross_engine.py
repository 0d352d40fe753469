"""Every engine finds what the reference engine finds, over the same corpus.

Totals and the sets of hit ids must be the same; the order only where it is
defined without scores (``sort="source"``, and the metadata values of
``sort="meta:KEY"``). Scores are each engine's own: the exact equality of a
sharded archive's scores with one index's is its own guarantee, tested in
tests/test_distributed.py.
"""

from __future__ import annotations

import json
from itertools import groupby
from pathlib import Path
from typing import Any

import pytest

from archive import QueryError, SearchResults
from tests.engines.conftest import ENGINES, REFERENCE, corpus_archive, ready

QUERIES = [
    "الكتاب",
    "كتاب",
    "بالكتاب",
    "كتا*",
    "مدرس*",
    "عل*",
    "الله",
    "ﷺ",
    '"صلى الله عليه وسلم"',
    "الرحمن",
    "ٱلرَّحۡمَٰنِ",
    "ٱلۡعَٰلَمِينَ",
    "الصراط",
    "المدرسة",
    "المدرسه",
    "أحمد",
    "إبراهيم",
    "مصطفى",
    "مـحـمـد",
    "١٩١٧",
    "لينين",
    "ستالين لينين",
    "ستالين OR تروتسكي",
    "لينين NOT ستالين",
    "(ستالين OR تروتسكي) NOT رفض",
    "سقوط OR الثورة OR المنفى",
    '"الحكومة المؤقتة"',
    '"الحكومة المؤقتة"~3',
    "الحكومة المؤقتة",
    '"كتاب الله"',
    "title:سقوط",
    "caption:لينين",
    "text:لينين",
    "عِلْمٌ",
    "عِلم",
    "علم",
    "الْأَعْمَالُ",
    "ما هو فضل الصبر والشكر؟",
    "من هو لينين؟",
    "ما هو",
]

OPTIONS: list[dict[str, Any]] = [
    {"limit": None},
    {"limit": None, "match": "any", "sort": "meta:volume"},
    {"limit": None, "exact": True, "sort": "source"},
]


@pytest.fixture(scope="session", params=[e for e in ENGINES if e != REFERENCE])
def other(request: pytest.FixtureRequest) -> str:
    return ready(request, request.param)


def results(arc: Any, query: str, options: dict[str, Any]) -> SearchResults | None:
    try:
        return arc.search(query, **options)  # type: ignore[no-any-return]
    except QueryError:
        return None


def defined_order(res: SearchResults, options: dict[str, Any]) -> Any:
    """What of the order of hits does not depend on scores."""
    sort = options.get("sort", "score")
    if sort == "source":
        return [h.passage.id for h in res.hits]
    if sort.startswith("meta:"):
        key = sort[5:]
        return [
            (value, sorted(h.passage.id for h in group))
            for value, group in groupby(res.hits, key=lambda h: h.passage.metadata.get(key))
        ]
    return None


@pytest.mark.parametrize("options", OPTIONS, ids=[json.dumps(o) for o in OPTIONS])
def test_same_hits_as_the_reference_engine(
    other: str,
    built: dict[str, tuple[Any, Path]],
    tmp_path_factory: pytest.TempPathFactory,
    corpus_folder: Path,
    options: dict[str, Any],
) -> None:
    reference, _ = corpus_archive(built, REFERENCE, tmp_path_factory, corpus_folder)
    arc, _ = corpus_archive(built, other, tmp_path_factory, corpus_folder)
    found = 0
    for query in QUERIES:
        one = results(reference, query, options)
        two = results(arc, query, options)
        if one is None or two is None:
            assert one is two, (query, "a QueryError on one engine only")
            continue
        assert two.total == one.total, query
        assert (two.page, two.pages, two.has_next) == (one.page, one.pages, one.has_next), query
        assert len(two.hits) == len(one.hits), query
        if options["limit"] is None or options.get("sort", "score") != "score":
            assert {h.passage.id for h in two.hits} == {h.passage.id for h in one.hits}, query
        assert defined_order(two, options) == defined_order(one, options), query
        found += one.total
    assert found > 0
