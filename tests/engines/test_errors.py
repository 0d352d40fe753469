"""Query errors on every engine: each a QueryError that names the query."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from archive import QueryError

UNSEARCHABLE = ["", "   ", "\u200f", "،؟", "؟!", "ـــ", "\u064e\u0651"]


@pytest.mark.parametrize("query", UNSEARCHABLE, ids=[repr(q) for q in UNSEARCHABLE])
def test_an_empty_or_unsearchable_query(arc: Any, query: str) -> None:
    for options in ({}, {"match": "any"}, {"exact": True}):
        with pytest.raises(QueryError) as info:
            arc.search(query, **options)
        assert info.value.query == query
        assert repr(query) in str(info.value)


@pytest.mark.parametrize("query", ["", "،؟"], ids=repr)
def test_hits_count_kwic_of_an_unsearchable_query(arc: Any, query: str) -> None:
    calls: list[Callable[[], Any]] = [
        lambda: next(iter(arc.hits(query))),
        lambda: arc.count(query),
        lambda: next(iter(arc.kwic(query))),
    ]
    for call in calls:
        with pytest.raises(QueryError) as info:
            call()
        assert info.value.query == query


BAD_OPTIONS: list[dict[str, Any]] = [
    {"limit": 0},
    {"limit": -3},
    {"limit": 2.5},
    {"page": 0},
    {"page": -1},
    {"sort": "nonsense"},
    {"sort": "meta:"},
    {"match": "most"},
]


@pytest.mark.parametrize("options", BAD_OPTIONS, ids=[repr(o) for o in BAD_OPTIONS])
def test_a_bad_option_names_the_query(arc: Any, options: dict[str, Any]) -> None:
    query = "الكتاب"
    with pytest.raises(QueryError) as info:
        arc.search(query, **options)
    assert info.value.query == query
    assert repr(query) in str(info.value)
    name = next(iter(options))
    assert name in str(info.value)


@pytest.mark.parametrize(
    "call",
    [
        lambda arc: next(iter(arc.hits("الكتاب", sort="nonsense"))),
        lambda arc: next(iter(arc.hits("الكتاب", match="most"))),
        lambda arc: arc.count("الكتاب", match="most"),
        lambda arc: next(iter(arc.kwic("الكتاب", width=0))),
        lambda arc: next(iter(arc.kwic("الكتاب", sort="meta:"))),
    ],
    ids=["hits sort", "hits match", "count match", "kwic width", "kwic sort"],
)
def test_bad_options_of_hits_count_kwic(arc: Any, call: Callable[[Any], Any]) -> None:
    with pytest.raises(QueryError) as info:
        call(arc)
    assert info.value.query == "الكتاب"
