"""Research options on every engine: numeric ranges, the index vocabulary,
facets, hits grouped by book, per-search spelling strictness and wildcards."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from archive import ArchiveError, Profile, QueryError
from tests.engines.conftest import PASSAGES, ids, make_archive, write_jsonl

# --- numeric ranges ----------------------------------------------------------------------


def _pages(low: float | None, high: float | None, among: set[str]) -> set[str]:
    """The passages of ``among`` whose ``page`` metadata is a number in the range."""
    kept = set()
    for pid in among:
        page = PASSAGES[pid].metadata.get("page")
        if (
            isinstance(page, int)
            and (low is None or page >= low)
            and (high is None or page <= high)
        ):
            kept.add(pid)
    return kept


@pytest.mark.parametrize(
    ("low", "high"), [(3, 5), (1, 3), (None, 2), (10, None), (4, 4), (100, 200)]
)
def test_a_range_keeps_the_passages_with_a_number_in_it(
    arc: Any, low: int | None, high: int | None
) -> None:
    every = ids(arc, "الكتاب OR الله OR الحكومة")
    found = ids(arc, "الكتاب OR الله OR الحكومة", where={"page": (low, high)})
    assert found == _pages(low, high, every)


def test_a_range_combines_with_values_and_sources(arc: Any) -> None:
    found = ids(arc, "الكتاب", source="kutub/adab", where={"page": (4, 6), "era": "early"})
    assert found == {"k-kitab-plain", "k-bil"}  # k-wal (page 6) has no era


def test_range_bounds_written_as_text_are_numbers(arc: Any) -> None:
    assert ids(arc, "الكتاب", where={"page": ("3", "4")}) == ids(
        arc, "الكتاب", where={"page": (3, 4)}
    )


@pytest.mark.parametrize(
    ("where", "says"),
    [
        ({"page": (1, "x")}, "numbers"),
        ({"page": (5, 1)}, "starts above its end"),
        ({"page": (None, None)}, "no bound"),
        ({"page": (1, 2, 3)}, "(low, high)"),
        ({"page": (True, 3)}, "numbers"),
        ({"page": (float("nan"), 3)}, "not a number"),
    ],
)
def test_bad_ranges_are_refused_by_name(arc: Any, where: dict[str, Any], says: str) -> None:
    with pytest.raises(QueryError, match="page") as caught:
        arc.search("الكتاب", where=where)
    assert says in str(caught.value)


# --- the vocabulary ------------------------------------------------------------------------


def test_terms_list_the_vocabulary_with_passage_counts(arc: Any) -> None:
    with arc._snapshots.use() as snapshot:
        listed = dict(snapshot.terms("text", "لينين"))
        metas = dict(snapshot.terms("meta", "era="))
        assert snapshot.terms("no-such-field") == []
        first = snapshot.terms("text", "", limit=3)
    assert listed["لينين"] == 2  # k-lenin (twice in one text) and k-pravda
    eras = Counter(p.metadata["era"] for p in PASSAGES.values() if "era" in p.metadata)
    assert metas == {f"era={era}": n for era, n in eras.items()}
    assert len(first) == 3
    assert [t for t, _ in first] == sorted(t for t, _ in first)


# --- facets and groups ------------------------------------------------------------------


@pytest.mark.parametrize("query", ["الكتاب OR الله", "الحكومة", "لينين OR ستالين OR الصبر"])
def test_facets_count_every_hit_by_value(arc: Any, query: str) -> None:
    res = arc.search(query, limit=2, facets=("source", "meta:era", "meta:volume"))
    hit_ids = ids(arc, query)
    assert res.total == len(hit_ids)
    assert dict(res.facets["source"]) == Counter(PASSAGES[i].source for i in hit_ids)
    eras = Counter(PASSAGES[i].metadata["era"] for i in hit_ids if "era" in PASSAGES[i].metadata)
    assert dict(res.facets["meta:era"]) == eras
    volumes = Counter(
        str(PASSAGES[i].metadata["volume"]) for i in hit_ids if "volume" in PASSAGES[i].metadata
    )
    assert dict(res.facets["meta:volume"]) == volumes
    counts = [n for _, n in res.facets["source"]]
    assert counts == sorted(counts, reverse=True)


def test_facets_respect_filters(arc: Any) -> None:
    res = arc.search("الكتاب", where={"era": "early"}, facets=("source", "meta:page"))
    assert dict(res.facets["source"]) == {"kutub/adab": res.total}
    assert sum(n for _, n in res.facets["meta:page"]) == res.total


@pytest.mark.parametrize("per_group", [1, 2, 5])
def test_groups_hold_the_best_hits_of_each_book(arc: Any, per_group: int) -> None:
    query = "الكتاب OR الله OR الحكومة"
    order = [h.passage.id for h in arc.search(query, limit=None).hits]
    res = arc.search(query, group_by="source", per_group=per_group, limit=None)
    sources = list(dict.fromkeys(PASSAGES[i].source for i in order))
    assert [g.value for g in res.groups] == sources
    for group in res.groups:
        best = [i for i in order if PASSAGES[i].source == group.value]
        assert [h.passage.id for h in group.hits] == best[:per_group]
        assert group.total == len(best)
    assert [h.passage.id for h in res.hits] == [h.passage.id for g in res.groups for h in g.hits]


def test_groups_are_paged(arc: Any) -> None:
    query = "الكتاب OR الله OR الحكومة"
    whole = arc.search(query, group_by="source", limit=None)
    first = arc.search(query, group_by="source", limit=2, page=1)
    second = arc.search(query, group_by="source", limit=2, page=2)
    assert [g.value for g in first.groups + second.groups] == [g.value for g in whole.groups][:4]
    assert first.pages == -(-len(whole.groups) // 2)


@pytest.mark.parametrize(
    "options",
    [
        {"facets": ("title",)},
        {"facets": "source"},
        {"group_by": "meta:"},
        {"group_by": "source", "per_group": 0},
    ],
)
def test_bad_facets_and_groups_are_refused(arc: Any, options: dict[str, Any]) -> None:
    with pytest.raises(QueryError):
        arc.search("الكتاب", **options)


# --- per-search spelling strictness --------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "strict", "expected"),
    [
        ("مصطفى", (), {"k-mustafa-maqsura", "k-mustafa-ya"}),
        ("مصطفى", ("alef_maqsura",), {"k-mustafa-maqsura"}),
        ("مصطفي", ("alef_maqsura",), {"k-mustafa-ya"}),
        ("المدرسة", ("ta_marbuta",), {"k-madrasa"}),
        ("المدرسه", ("ta_marbuta",), {"k-madrasah"}),
        ("المدرسه", ("alef_maqsura",), {"k-madrasa", "k-madrasah"}),
        ("أحمد", ("hamza_seats",), {"k-madrasa"}),
        ("احمد", ("hamza_seats",), {"k-ahmad-plain"}),
        ("إبراهيم", ("hamza_seats",), {"k-ahmad-plain"}),
        ('"إلى المدرسة"', ("hamza_seats", "ta_marbuta"), {"k-madrasa"}),
        ("مصطفى OR أحمد", ("alef_maqsura", "hamza_seats"), {"k-mustafa-maqsura", "k-madrasa"}),
    ],
)
def test_strict_keeps_letters_apart_for_one_search(
    arc: Any, query: str, strict: tuple[str, ...], expected: set[str]
) -> None:
    assert ids(arc, query, strict=strict) == expected
    res = arc.search(query, strict=strict, limit=1, facets=("source",))
    assert res.total == len(expected)
    assert sum(n for _, n in res.facets["source"]) == len(expected)


def test_strict_highlights_only_the_kept_spelling(arc: Any) -> None:
    [hit] = arc.search("أحمد", strict="hamza-seats").hits
    assert [hit.passage.text[s:e] for s, e in hit.highlights] == ["أحمد"]


def test_an_unknown_strict_fold_is_refused(arc: Any) -> None:
    with pytest.raises(QueryError, match=r"unknown strict fold.*'shadda'"):
        arc.search("أحمد", strict=("shadda",))


# --- roots ------------------------------------------------------------------------------

ROOT_WORDS = ["كتاب", "مكتبة", "كاتب", "يكتبون", "مكتوب", "الكتابة", "كتابهم", "مكاتب"]


def test_root_queries_find_every_word_of_the_root(engine: str, tmp_path: Path) -> None:
    records = [{"id": f"w{i}", "text": f"رأينا {w} هنا"} for i, w in enumerate(ROOT_WORDS)]
    records += [{"id": "qala", "text": "قال الرجل ويقولون"}, {"id": "none", "text": "ذهب الولد"}]
    folder = write_jsonl(tmp_path / "in" / "roots.jsonl", records).parent
    arc = make_archive(engine, tmp_path / "ix", profile=Profile(roots=True))
    arc.ingest(folder)
    res = arc.search("root:كتب", limit=None)
    assert {h.passage.id for h in res.hits} == {f"w{i}" for i in range(len(ROOT_WORDS))}
    for hit in res.hits:
        assert [hit.passage.text[s:e] for s, e in hit.highlights] == [hit.passage.text.split()[1]]
    assert {h.passage.id for h in arc.search("root:قول").hits} == {"qala"}
    assert arc.search("root:قال").total == 1  # the root typed as the verb is written
    assert arc.count("root:كتب").occurrences == len(ROOT_WORDS)
    assert {h.passage.id for h in arc.search("كتاب").hits} == {"w0", "w6"}  # no root match
    with pytest.raises(QueryError, match="phrase or a prefix"):
        arc.search("root:كت*")


def test_root_queries_need_an_index_with_roots(arc: Any) -> None:
    with pytest.raises(QueryError, match="built with roots"):
        arc.search("root:كتب")


# --- which files a folder ingest takes ------------------------------------------------------


def test_exclude_passes_over_files_and_prune_drops_them(engine: str, tmp_path: Path) -> None:
    folder = tmp_path / "corpus"
    write_jsonl(folder / "books" / "a.jsonl", [{"id": "a", "text": "قال الرجل"}])
    write_jsonl(folder / "drafts" / "b.jsonl", [{"id": "b", "text": "قال الولد"}])
    (folder / "SOURCES.txt").write_text("مصادر النصوص: قال فلان\n", encoding="utf-8")
    arc = make_archive(engine, tmp_path / "ix")
    arc.ingest(folder)
    found = ids(arc, "قال")
    assert {"a", "b"} < found
    assert any(i.startswith("SOURCES") for i in found)
    arc.ingest(folder, exclude=("SOURCES.txt", "drafts/*"), prune=True)
    assert ids(arc, "قال") == {"a"}
    with pytest.raises(ArchiveError, match="exclude must be a list"):
        arc.ingest(folder, exclude="drafts/*")


def test_strict_applies_to_hits_kwic_and_count(arc: Any) -> None:
    streamed = [h.passage.id for h in arc.hits("مصطفى", strict="alef_maqsura")]
    assert streamed == ["k-mustafa-maqsura"]
    [line] = arc.kwic("مصطفى", strict="alef_maqsura")
    assert (line.passage_id, line.match) == ("k-mustafa-maqsura", "مصطفى")
    counted = arc.count("مصطفى OR أحمد", by="source", strict=("alef_maqsura", "hamza_seats"))
    assert (counted.passages, counted.occurrences) == (2, 2)
    assert {g.key for g in counted.groups} == {"kutub/adab"}
