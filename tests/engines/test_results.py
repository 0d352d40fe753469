"""Results on every engine: filters, orders, pages, the hit stream, highlights,
snippets, concordances and counts."""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from itertools import groupby, pairwise
from typing import Any

import pytest

from archive import Hit
from tests.engines.conftest import PASSAGES, POSITION, every, filtered, ids, ranked, tied

QUESTION = "ما هو فضل الصبر والشكر؟"

# --- filters -----------------------------------------------------------------------------

FILTERS: list[tuple[str, dict[str, Any], set[str] | None]] = [
    (
        "الكتاب",
        {"source": "kutub/*"},
        {"k-kitab-voc", "k-kitab-plain", "k-bil", "k-wal", "k-tatweel", "k-kutubihim"},
    ),
    (
        "الكتاب",
        {"source": "kutub/adab", "where": {"era": "early"}},
        {"k-kitab-voc", "k-kitab-plain", "k-bil", "k-tatweel", "k-kutubihim"},
    ),
    ("الله", {"source": "had*"}, None),
    ("الله", {"where": {"book": "bukhari", "volume": 1}}, {"h-amal-fatha", "h-prophet", "twin-a"}),
    ("الرحمن", {"source": "quran.jsonl", "where": {"aya": 3}}, {"hafs:1:3", "imlai:1:3"}),
    (
        "لينين OR المدرسة",
        {"source": "kutub/t?rikh", "where": {"era": "modern"}},
        {"k-lenin", "k-pravda", "k-stalin"},
    ),
    (QUESTION, {"source": "kutub/*", "match": "any"}, set()),
    ("الصبر OR الله", {"source": "hadith", "where": {"volume": 2}}, set()),
]


@pytest.mark.parametrize(("query", "options", "expected"), FILTERS)
def test_filters_keep_the_hits_they_match(
    arc: Any, query: str, options: dict[str, Any], expected: set[str] | None
) -> None:
    match = {k: v for k, v in options.items() if k == "match"}
    unfiltered = ids(arc, query, **match)
    found = ids(arc, query, **options)
    assert found == filtered(unfiltered, options.get("source"), options.get("where"))
    if expected is not None:
        assert found == expected
    assert found or expected == set()


def test_filters_apply_to_a_page_too(arc: Any) -> None:
    res = arc.search("الله", source="had*", limit=2)
    assert res.total == len(filtered(ids(arc, "الله"), "had*")) > 2
    assert len(res.hits) == 2
    assert all(h.passage.source == "hadith" for h in res.hits)


# --- orders ------------------------------------------------------------------------------

SORT_QUERIES = ["الكتاب", "الله", "لينين OR المدرسة OR الحكومة", "الرحمن OR الصراط"]


def check_score_order(hits: tuple[Hit, ...] | list[Hit]) -> None:
    """Scores never rise; tied scores come in passage id order."""
    for a, b in pairwise(hits):
        if tied(a.score, b.score):
            assert a.passage.id < b.passage.id, (a.passage.id, b.passage.id)
        else:
            assert a.score > b.score, (a.passage.id, b.passage.id)


@pytest.mark.parametrize("query", [*SORT_QUERIES, "ﷺ"])
@pytest.mark.parametrize("match", ["all", "any"])
def test_score_order(arc: Any, query: str, match: str) -> None:
    hits = every(arc, query, match=match).hits
    assert len(hits) > 1
    check_score_order(hits)
    assert [h.rank for h in hits] == list(range(1, len(hits) + 1))


def test_tied_scores_are_in_id_order_not_ingest_order(arc: Any) -> None:
    # The three twins have the same text; twin-a, twin-c, twin-b were ingested
    # in that order (hadith.jsonl before kutub.jsonl).
    hits = every(arc, '"صلى الله عليه وسلم"').hits
    twins = [h for h in hits if h.passage.id.startswith("twin")]
    assert [h.passage.id for h in twins] == ["twin-a", "twin-b", "twin-c"]
    assert tied(twins[0].score, twins[1].score)
    assert tied(twins[1].score, twins[2].score)
    # Next to each other, whatever the rest scores.
    at = [h.passage.id for h in hits].index("twin-a")
    assert [h.passage.id for h in hits[at : at + 3]] == ["twin-a", "twin-b", "twin-c"]


def source_order(passage_ids: set[str]) -> list[str]:
    """The order of sort="source": by source, then where each passage stands in it."""
    return sorted(passage_ids, key=lambda i: (PASSAGES[i].source, POSITION[i]))


@pytest.mark.parametrize("query", SORT_QUERIES)
def test_sort_by_source(arc: Any, query: str) -> None:
    order = ranked(arc, query, sort="source")
    assert order == source_order(set(order))
    assert set(order) == ids(arc, query)


def test_sort_by_source_is_line_order_not_id_order(arc: Any) -> None:
    assert ranked(arc, "الكتاب", sort="source") == [
        "h-kitab-allah",
        "h-bikitab-allah",
        "h-kitab-apart",
        "k-kitab-voc",
        "k-kitab-plain",
        "k-bil",
        "k-wal",
        "k-tatweel",
        "k-kutubihim",
    ]


def check_volume_order(hits: tuple[Hit, ...]) -> None:
    volumes = [h.passage.metadata.get("volume") for h in hits]
    known = [v for v in volumes if v is not None]
    assert volumes == sorted(known) + [None] * (len(volumes) - len(known))  # missing last
    for _, group in groupby(hits, key=lambda h: h.passage.metadata.get("volume")):
        check_score_order(list(group))


@pytest.mark.parametrize("query", SORT_QUERIES)
def test_sort_by_metadata(arc: Any, query: str) -> None:
    hits = every(arc, query, sort="meta:volume").hits
    assert {h.passage.id for h in hits} == ids(arc, query)
    check_volume_order(hits)


def test_sort_by_metadata_puts_missing_values_last(arc: Any) -> None:
    order = ranked(arc, '"صلى الله عليه وسلم"', sort="meta:volume")
    # twin-a, h-prophet: volume 1 (in score order); twin-c: 2; twin-b: none.
    assert order[2:] == ["twin-c", "twin-b"]
    assert set(order[:2]) == {"twin-a", "h-prophet"}
    order = ranked(arc, "الكتاب", sort="meta:volume")
    assert set(order[:4]) == {"k-kitab-voc", "k-kitab-plain", "k-bil", "k-wal"}  # volume 1
    assert set(order[4:6]) == {"k-tatweel", "k-kutubihim"}
    assert set(order[6:8]) == {"h-kitab-allah", "h-bikitab-allah"}
    assert order[8:] == ["h-kitab-apart"]  # no volume


# --- pages -------------------------------------------------------------------------------


@pytest.mark.parametrize("sort", ["score", "source", "meta:volume"])
def test_pages_concatenate_to_every_hit(arc: Any, sort: str) -> None:
    query, limit = "الله", 5  # 12 hits, ties among them
    full = every(arc, query, sort=sort)
    assert (full.total, full.pages, full.has_next) == (12, 1, False)
    pages = math.ceil(full.total / limit)
    seen: list[str] = []
    for page in range(1, pages + 1):
        res = arc.search(query, limit=limit, page=page, sort=sort)
        assert res.total == full.total
        assert (res.page, res.pages, res.has_next) == (page, pages, page < pages)
        first = (page - 1) * limit + 1
        assert [h.rank for h in res.hits] == list(range(first, first + len(res.hits)))
        assert len(res.hits) == (limit if page < pages else full.total - limit * (pages - 1))
        seen += [h.passage.id for h in res.hits]
    assert seen == [h.passage.id for h in full.hits]
    beyond = arc.search(query, limit=limit, page=pages + 1, sort=sort)
    assert beyond.hits == ()
    assert beyond.total == full.total


def test_the_default_page_is_ten_hits(arc: Any) -> None:
    res = arc.search("الله")
    assert res.total == 12
    assert len(res.hits) == 10
    assert (res.page, res.pages, res.has_next) == (1, 2, True)
    assert [h.passage.id for h in res.hits] == ranked(arc, "الله")[:10]


# --- the stream of hits ------------------------------------------------------------------

STREAMS: list[tuple[str, dict[str, Any]]] = [
    ("الله", {}),
    ("كتا*", {"sort": "source", "match": "any"}),
    ("علم", {"exact": True, "sort": "meta:volume"}),
    ("الله", {"source": "had*", "where": {"volume": 1}}),
]


@pytest.mark.parametrize(("query", "options"), STREAMS)
def test_hits_streams_what_search_returns(arc: Any, query: str, options: dict[str, Any]) -> None:
    full = every(arc, query, **options)
    streamed = list(arc.hits(query, **options))
    assert full.total > 0
    assert [h.passage.id for h in streamed] == [h.passage.id for h in full.hits]
    assert [h.rank for h in streamed] == list(range(1, full.total + 1))
    assert [h.score for h in streamed] == pytest.approx([h.score for h in full.hits], rel=1e-9)
    assert [h.passage for h in streamed] == [h.passage for h in full.hits]


# --- highlights and snippets -------------------------------------------------------------

WORD = re.compile(r"[^\s:،؛؟.,!?\"'()]+")


def words(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in WORD.finditer(text)]


# Each query, and every word as written that it matches in the corpus.
HIGHLIGHTS: list[tuple[str, dict[str, Any], set[str]]] = [
    (
        "الكتاب",
        {},
        {"الكتـــاب", "الكتاب", "الكِتَابَ", "كتاب", "والكتاب", "كتابهم", "بالكتاب", "بكتاب"},
    ),
    (
        "كتا*",
        {},
        {
            "الكتـــاب",
            "الكتاب",
            "الكِتَابَ",
            "كتاب",
            "والكتاب",
            "كتابهم",
            "بالكتاب",
            "بكتاب",
            "الكتابة",
        },
    ),
    ("الله", {}, {"ﷲ", "اللَّهِ", "الله", "اللَّهُ", "ٱللَّهِ", "ﷺ"}),
    ("ٱلرَّحۡمَٰنِ", {}, {"ٱلرَّحۡمَٰنِ", "الرحمن"}),
    ("العالمين", {}, {"ٱلۡعَٰلَمِينَ", "العالمين"}),
    ("احمد", {}, {"أحمد", "احمد"}),
    ("المدرسه", {}, {"المدرسة", "المدرسه"}),
    ("مـحـمـد", {}, {"مُحَمَّدٌ", "مـــحـــمـــد", "محمد"}),
    ('"كتاب الله"', {}, {"كتاب", "بكتاب", "الله"}),
    ('"الحكومة المؤقتة"~3', {}, {"الحكومة", "المؤقتة"}),
    ("ﷺ", {}, {"ﷺ", "صلى", "الله", "عليه", "وسلم"}),
    ("ستالين NOT تروتسكي", {}, {"ستالين"}),  # لينين in k-lenin is not matched
    ("عِلم", {"exact": True}, {"عِلْمٌ", "عِلْم"}),
    ("علم", {}, {"عِلْمٌ", "عِلْم", "عَلَم", "العِلْم", "علم"}),
    (QUESTION, {"match": "any"}, {"فضل", "الصبر", "والشكر", "الشكر"}),
    # Question words dropped (عند is in h-sabr-all) are not highlighted.
    ("متى يكون الصبر عند الشدة؟", {"match": "any"}, {"الصبر"}),
]


@pytest.mark.parametrize(
    ("query", "options", "forms"), HIGHLIGHTS, ids=[f"{q} {o}" for q, o, _ in HIGHLIGHTS]
)
def test_highlights_are_the_matched_words_as_written(
    arc: Any, query: str, options: dict[str, Any], forms: set[str]
) -> None:
    hits = every(arc, query, **options).hits
    assert hits
    seen: set[str] = set()
    for hit in hits:
        text = hit.passage.text
        expected = [span for span in words(text) if text[span[0] : span[1]] in forms]
        assert list(hit.highlights) == expected, hit.passage.id
        seen |= {text[s:e] for s, e in hit.highlights}
        snippet = hit.snippet
        for s, e in hit.highlights:
            assert f"**{text[s:e]}**" in snippet, hit.passage.id
        assert snippet.count("**") == 2 * len(hit.highlights)
        assert snippet.replace("**", "") in text or snippet.replace("**", "").strip("…") in text
    assert seen == forms


def test_a_phrase_highlights_where_it_occurs(arc: Any) -> None:
    [hit] = every(arc, '"الحكومة المؤقتة"').hits
    text = hit.passage.text
    assert [text[s:e] for s, e in hit.highlights] == ["الحكومة", "المؤقتة"]
    assert hit.snippet == "سقطت **الحكومة** **المؤقتة** في الخريف بعد أشهر قليلة"


# --- concordances ------------------------------------------------------------------------

KWIC: list[tuple[str, dict[str, Any], int]] = [
    ("الكتاب", {}, 12),
    ("الله", {"sort": "source"}, 10),
    ("الحكومة OR المؤقتة", {"sort": "meta:volume"}, 7),
    ("عِلم", {"exact": True}, 40),
]


@pytest.mark.parametrize(("query", "options", "width"), KWIC)
def test_kwic_lines(arc: Any, query: str, options: dict[str, Any], width: int) -> None:
    lines = list(arc.kwic(query, width=width, **options))
    hits = list(arc.hits(query, **options))
    assert len(lines) == sum(len(h.highlights) for h in hits) > 0
    at = 0
    for hit in hits:
        p = hit.passage
        for start, end in hit.highlights:
            line = lines[at]
            at += 1
            assert (line.passage_id, line.source, line.title) == (p.id, p.source, p.title)
            assert (line.start, line.end) == (start, end)
            assert line.match == p.text[start:end]
            left, right = p.text[:start], p.text[end:]
            # ``width`` characters as a reader sees them each side: a letter with
            # its marks is one, and no context starts or ends inside one.
            assert left.replace("\n", " ").endswith(line.left)
            assert right.replace("\n", " ").startswith(line.right)
            assert _seen(line.left) == min(width, _seen(left))
            assert _seen(line.right) == min(width, _seen(right))
            assert not line.left[:1] or not unicodedata.combining(line.left[0])
            rest = right[len(line.right) :]
            assert not rest[:1] or not unicodedata.combining(rest[0])
            assert (line.volume, line.page) == (p.metadata.get("volume"), p.metadata.get("page"))
            assert line.cite == p.cite  # the passage's citation: its book, else its source
            for part in (p.metadata.get("book") or p.source, p.title):
                assert part in line.citation
            if line.volume is not None and line.page is not None:
                assert f"{line.volume}/{line.page}" in line.citation


def _seen(text: str) -> int:
    """The characters of ``text`` a reader sees: its letters, not their marks."""
    return sum(1 for c in text if not unicodedata.combining(c))


def test_kwic_line_breaks_become_spaces(arc: Any) -> None:
    [line] = [x for x in arc.kwic("الكتاب", width=12) if x.passage_id == "k-tatweel"]
    assert (line.left, line.match, line.right) == ("هذا ", "الكتـــاب", " جميل وله غل")
    assert line.citation == "kutub/adab، 2/1"


# --- counts ------------------------------------------------------------------------------

COUNTS: list[tuple[str, dict[str, Any]]] = [
    ("الكتاب", {}),
    ("الله", {"where": {"volume": 1}}),
    (QUESTION, {"match": "any"}),
    ("علم", {"exact": True, "source": "hadith"}),
]


@pytest.mark.parametrize(("query", "options"), COUNTS)
def test_counts_agree_with_the_hits(arc: Any, query: str, options: dict[str, Any]) -> None:
    hits = list(arc.hits(query, **options))
    assert len(hits) == arc.search(query, **options).total > 0
    for by in (None, "source", "volume"):
        counts = arc.count(query, by=by, **options)
        assert counts.passages == len(hits)
        assert counts.occurrences == sum(len(h.highlights) for h in hits)
        passages: Counter[Any] = Counter()
        occurrences: Counter[Any] = Counter()
        for h in hits:
            if by is None:
                key = None
            elif by == "source":
                key = h.passage.source
            else:
                key = h.passage.metadata.get(by)
            passages[key] += 1
            occurrences[key] += len(h.highlights)
        got = {g.key: (g.passages, g.occurrences) for g in counts.groups}
        assert got == {k: (passages[k], occurrences[k]) for k in passages}, by
        assert len(counts.groups) == len(got)
        sizes = [g.passages for g in counts.groups]
        assert sizes == sorted(sizes, reverse=True)  # largest first


def test_count_by_source(arc: Any) -> None:
    counts = arc.count("الكتاب", by="source")
    assert [(g.key, g.passages, g.occurrences) for g in counts.groups] == [
        ("kutub/adab", 6, 6),
        ("hadith", 3, 3),
    ]
    assert (counts.passages, counts.occurrences) == (9, 9)
