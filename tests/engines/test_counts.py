"""Counts and the stream of hits, on every engine: the fast ways agree with the slow ones.

``Archive.count`` counts without ranking and, where the engine keeps positions,
without reading a passage's text (:mod:`archive.engines.whoosh.counts`); these
tests hold it to the definition it must keep: the passages of every hit, and
the words the highlighter marks in each one's body text
(:func:`archive.models.tally` with :func:`archive.query.highlight.matcher`),
grouped. ``Archive.hits`` ranks its first batch alone; its order must be the
order of one search of every hit, across batch boundaries.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import pytest

import archive.core
from archive.arabic import DEFAULT
from archive.arabic.tokens import TOKEN_PATTERN
from archive.errors import QueryError
from archive.models import Counts, count_key, counts, tally
from archive.query.highlight import Matcher, matcher
from archive.query.plan import Planner
from tests.engines.conftest import make_archive, ranked, write_corpus, write_jsonl

#: Passages beside the shared corpus for what only counting can get wrong: word
#: ligatures that hold several matched words at their positions, a bare
#: article standing alone (never highlighted), a word and its stem at one
#: position, and a passage changed after its first ingest (a deleted document
#: in the index until its segment is merged).
EXTRA: list[dict[str, Any]] = [
    {"id": "c-lig-two", "source": "counts/lig", "title": "الصلاة",
     "text": "قال ﷺ ثم قال ﷺ مرة أخرى", "volume": 4, "era": ["late", "x"]},
    {"id": "c-lig-and-words", "source": "counts/lig",
     "text": "صلى الله عليه وسلم ﷺ ﷲ والله", "volume": 4},
    {"id": "c-bare-article", "source": "counts/other", "text": "قال ال رجل ال كتاب الكتاب",
     "volume": 5, "era": "late"},
    {"id": "c-stems", "source": "counts/other", "title": "كتاب الله",
     "text": "بكتابه وكتابهم والكتاب كتاب بالكتاب وللكتاب", "volume": 5},
    {"id": "c-changed", "source": "counts/other", "text": "نص قديم عن الكتاب", "volume": 6},
    {"id": "c-title-only", "source": "counts/other", "title": "الكتاب",
     "text": "لا شيء هنا", "volume": 6, "era": {"a": 1}},
]  # fmt: skip
CHANGED = {**EXTRA[4], "text": "نص جديد عن الله وكتاب الله ورسول الله"}

#: Queries of every kind, with the options of each.
QUERIES: list[tuple[str, dict[str, Any]]] = [
    ("الله", {}),
    ("الكتاب", {}),
    ("كتاب", {}),
    ("بالكتاب", {}),
    ("وكتابهم", {}),
    ("قال", {}),
    ("ال", {}),
    ("كتا*", {}),
    ("الك*", {}),
    ("ال*", {}),
    ("ﷺ", {}),
    ("ﷲ", {}),
    ("صلى OR الله", {}),
    ("صلى OR عليه OR وسلم", {}),
    ('"صلى الله عليه وسلم"', {}),
    ('"كتاب الله"', {}),
    ('"رسول الله"', {}),
    ('"الحكومة المؤقتة"~3', {}),
    ('"قال ال"', {}),
    ("رسول الله", {}),
    ("ستالين NOT تروتسكي", {}),
    ("الكتاب ANDNOT الطاولة", {}),
    ("الكتاب ANDMAYBE جميل", {}),
    ("title:الكتاب", {}),
    ("title:كتاب OR لينين", {}),
    ("عِلم", {"exact": True}),
    ("علم", {"exact": True}),
    ("الكتاب", {"exact": True}),
    ("عل*", {"exact": True}),
    ("اللَّهِ", {"exact": True}),
    ("ما هو فضل الصبر والشكر", {"match": "any"}),
    ("كتاب الله", {"match": "any"}),
    ("الله", {"source": "counts/*"}),
    ("الله", {"where": {"volume": 1}}),
    ("الكتاب", {"source": "kutub/adab", "where": {"era": "early"}}),
    ("لا يوجد", {}),
]
BY = (None, "source", "title", "volume", "era")


@pytest.fixture(scope="module")
def counted(engine: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """An archive of the shared corpus and :data:`EXTRA`, one passage of it changed
    after the first ingest."""
    folder = write_corpus(tmp_path_factory.mktemp("counts-corpus"))
    extra = write_jsonl(folder / "extra.jsonl", EXTRA)
    arc = make_archive(engine, tmp_path_factory.mktemp(f"counts-{engine}") / "archive")
    arc.ingest(folder)
    write_jsonl(extra, [*EXTRA[:4], CHANGED, EXTRA[5]])
    arc.ingest(folder)
    yield arc
    arc.close()


def reference(arc: Any, query: str, by: str | None, **options: Any) -> Counts:
    """The counts by their definition: every hit's passage tallied with the
    highlighter (the spans of its body text, every word analyzed), leaving out
    the passages in whose text nothing is marked (found by their title alone)."""
    hits = arc.search(query, limit=None, **options).hits
    plain = locator(arc, query, options).analyzed  # every word analyzed, no shortcut
    groups: dict[Any, tuple[int, int]] = {}
    for hit in hits:
        spans = plain(hit.passage.text)
        if spans:
            key = count_key(hit.passage, by)
            held, occurrences = groups.get(key, (0, 0))
            groups[key] = (held + 1, occurrences + len(spans))
    tallied = tally((h.passage for h in hits), by, plain)
    assert tallied == groups  # archive.models.tally keeps the same definition
    return counts(query, by, groups)


def locator(arc: Any, query: str, options: dict[str, Any]) -> Matcher:
    plan = Planner(arc.profile).plan(
        query, exact=options.get("exact", False), match=options.get("match", "all")
    )
    return matcher(plan.root, arc.profile)


@pytest.mark.parametrize(("query", "options"), QUERIES, ids=[f"{q} {o}" for q, o in QUERIES])
def test_counts_are_the_tally_of_every_hit(
    counted: Any, query: str, options: dict[str, Any]
) -> None:
    if locator(counted, query, options).looks_for_nothing:  # title: words only
        with pytest.raises(QueryError, match="count counts words of the passages' text"):
            counted.count(query, **options)
        return
    for by in BY:
        assert counted.count(query, by=by, **options) == reference(counted, query, by, **options), (
            by
        )


def test_the_changed_passage_is_counted_as_it_is_now(counted: Any) -> None:
    assert counted.get("c-changed").text == CHANGED["text"]
    found = counted.count("الله", by="volume")
    assert {g.key: (g.passages, g.occurrences) for g in found.groups}[6] == (1, 3)
    assert counted.count("قديم").passages == 0


def test_ligatures_count_as_the_highlighter_marks_them(counted: Any) -> None:
    # c-lig-two: each ﷺ holds صلى and الله at two positions, one written word.
    found = counted.count("صلى OR الله", source="counts/lig", by="title")
    assert {g.key: g.occurrences for g in found.groups} == {"الصلاة": 2, "": 5}
    # a bare ال standing alone is never highlighted, though the index holds it.
    # c-bare-article holds two, found by search, and is not counted (nothing marked).
    assert counted.search("ال", source="counts/other").total == 1
    assert counted.count("ال", source="counts/other").occurrences == 0
    assert counted.count("ال", source="counts/other").passages == 0


def test_a_title_match_holds_no_occurrence_and_is_not_counted(counted: Any) -> None:
    # c-title-only: "الكتاب" in its title alone; c-changed: in its text (وكتاب).
    found = counted.search("الكتاب", where={"volume": 6}, limit=None)
    assert sorted(h.passage.id for h in found) == ["c-changed", "c-title-only"]
    assert [bool(h.highlights) for h in found if h.passage.id == "c-title-only"] == [False]
    count = counted.count("الكتاب", where={"volume": 6}, by="title")
    assert (count.passages, count.occurrences) == (1, 1)
    assert {g.key: (g.passages, g.occurrences) for g in count.groups} == {"": (1, 1)}
    assert count.occurrences == len(list(counted.kwic("الكتاب", where={"volume": 6})))


def test_a_count_of_title_words_alone_is_refused_naming_the_query(counted: Any) -> None:
    for query in ("title:الكتاب", "caption:الكتاب", "title:الكتاب OR title:لينين"):
        with pytest.raises(QueryError, match="count counts words") as raised:
            counted.count(query)
        assert raised.value.query == query
    # A word of the text beside it is counted, the title's is not.
    mixed = counted.count("title:الكتاب OR الله", where={"volume": 6})
    assert (mixed.passages, mixed.occurrences) == (1, 3)


@pytest.mark.parametrize(("query", "options"), QUERIES, ids=[f"{q} {o}" for q, o in QUERIES])
def test_the_cheap_highlights_are_the_plain_ones(
    counted: Any, query: str, options: dict[str, Any]
) -> None:
    locate = locator(counted, query, options)
    for passage in counted:
        spans = locate.analyzed(passage.text)
        for _ in range(2):  # the second time from what the matcher kept
            assert locate(passage.text) == spans, passage.id
            assert locate.count(passage.text) == len(spans), passage.id


def test_a_phrase_across_a_ligature_and_spaces() -> None:
    # The phrase's words at positions of one ligature, of several words in one
    # piece between spaces, and across a line break.
    text = "قال ﷺ ثم صلى\nالله عليه وسلم، و(صلى الله) عليه-وسلم ﷽"
    for query in ('"صلى الله عليه وسلم"', '"الله عليه"', '"الرحمن الرحيم"', "الله"):
        plan = Planner(DEFAULT).plan(query, exact=False, match="all")
        locate = matcher(plan.root, DEFAULT)
        assert locate(text) == locate.analyzed(text) != (), query
        assert locate.count(text) == len(locate.analyzed(text)), query


def test_no_word_holds_a_space() -> None:
    # Matcher.count cuts a text at spaces before it cuts it into words.
    spaces = [chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()]
    for space in spaces:
        for word in ("بَ", "ب", "1", "ﷺ", "a"):
            text = f"{word}{space}\u064e{word}{space}\u200c{word}"
            assert TOKEN_PATTERN.findall(text) == TOKEN_PATTERN.findall(text.replace(space, " ")), (
                hex(ord(space))
            )
            assert all(not any(c.isspace() for c in w) for w in TOKEN_PATTERN.findall(text))


# --- the stream of hits -------------------------------------------------------------------

STREAMS: list[tuple[str, dict[str, Any]]] = [
    ("الله", {}),
    ("الكتاب", {}),
    ("كتا*", {"match": "any"}),
    ("الكتاب", {"sort": "source"}),
    ("الله", {"sort": "meta:volume"}),
    ("علم", {"exact": True}),
    ("الكتاب", {"source": "kutub/*"}),
]


@pytest.mark.parametrize("batch", [1, 2, 3])
@pytest.mark.parametrize(("query", "options"), STREAMS, ids=[f"{q} {o}" for q, o in STREAMS])
def test_hits_come_in_the_order_of_one_search(
    counted: Any, monkeypatch: pytest.MonkeyPatch, batch: int, query: str, options: dict[str, Any]
) -> None:
    monkeypatch.setattr(archive.core, "FETCH_BATCH", batch)
    full = counted.search(query, limit=None, **options)
    assert full.total > batch  # the stream crosses batch boundaries
    streamed = list(counted.hits(query, **options))
    assert [h.passage.id for h in streamed] == ranked(counted, query, **options)
    assert [h.rank for h in streamed] == list(range(1, full.total + 1))
    assert [h.score for h in streamed] == pytest.approx([h.score for h in full.hits], rel=1e-9)
    lines = list(counted.kwic(query, **options))
    assert [(k.passage_id, k.start) for k in lines] == [
        (h.passage.id, start) for h in full.hits for start, _ in h.highlights
    ]


def test_hits_of_exactly_one_batch(counted: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    total = counted.search("الله", limit=None).total
    monkeypatch.setattr(archive.core, "FETCH_BATCH", total)
    assert [h.passage.id for h in counted.hits("الله")] == ranked(counted, "الله")
    assert list(counted.hits("لا يوجد")) == []
