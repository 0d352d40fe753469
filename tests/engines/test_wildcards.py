"""Suffix and infix wildcards (``*كتاب``, ``ك*ب``, ``*تاب*``) on every engine.

The pattern's letters are folded as the index folds its words and matched
against whole terms of the surface fields, the stems they hold included (so
``*كتاب`` finds كتابهم through its stem كتاب); in exact mode, against the
skeletons of the exact fields (no stems). The expected hits are worked out from
the corpus of ``conftest.py``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import archive.query.tree
from archive import QueryError
from archive.query.tree import MAX_EXPANSION
from tests.engines.conftest import (
    ENGINES,
    REFERENCE,
    corpus_archive,
    every,
    ids,
    make_archive,
    ready,
    write_jsonl,
)

#: Every form of كتاب in the corpus: with the article, ب, و, tatweel, marks.
KITAB = {
    "k-kitab-voc",  # الكِتَابَ
    "k-kitab-plain",  # الكتاب
    "k-bil",  # بالكتاب
    "k-wal",  # والكتاب
    "k-tatweel",  # الكتـــاب
    "h-kitab-allah",  # كتاب
    "h-bikitab-allah",  # بكتاب
    "h-kitab-apart",  # كتاب
}
#: كتابهم: its stem كتاب is a term of the text field.
KUTUBIHIM = "k-kutubihim"
#: كتب, the verb.
KATABA = {"k-pravda", "k-mustafa-ya"}


def test_suffix_finds_the_word_with_its_clitics(arc: Any) -> None:
    assert ids(arc, "*كتاب") == KITAB | {KUTUBIHIM}
    # الكتابة does not end in كتاب, nor does its stem.
    assert "k-kitaba" not in ids(arc, "*كتاب")


def test_suffix_is_folded_like_the_index(arc: Any) -> None:
    # Marks, tatweel and alef forms in the pattern fold away as in the index.
    assert ids(arc, "*كِتَاب") == ids(arc, "*كتـــاب") == ids(arc, "*كتاب")
    # ة and ه are one letter in the default profile: المدرسة and المدرسه.
    assert ids(arc, "*درسة") == {"k-madrasa", "k-madrasah"}


def test_infix(arc: Any) -> None:
    # Words (and stems) that start with ك and end with ب: كتاب in every form, كتب.
    assert ids(arc, "ك*ب") == KITAB | KATABA | {KUTUBIHIM}
    assert ids(arc, "ستا*ن") == {"k-lenin", "k-stalin"}  # ستالين


def test_both_ends(arc: Any) -> None:
    assert ids(arc, "*تاب*") == KITAB | {KUTUBIHIM, "k-kitaba"}


def test_a_run_of_stars_is_one_star(arc: Any) -> None:
    assert ids(arc, "**كتاب") == ids(arc, "*كتاب")
    assert ids(arc, "كتا**") == ids(arc, "كتا*")


def test_prefix_unchanged(arc: Any) -> None:
    assert ids(arc, "كتا*") == KITAB | {KUTUBIHIM, "k-kitaba"}
    assert ids(arc, "مدرس*") == {"k-madrasa", "k-madrasah", "k-mudarris"}


def test_fielded(arc: Any) -> None:
    # الحكومة: in the title and caption of one passage, in the text of three.
    assert ids(arc, "title:*كومة") == {"k-gov-adjacent"}
    assert ids(arc, "caption:*كومة") == {"k-gov-adjacent"}
    assert ids(arc, "text:*كومة") == {"k-gov-adjacent", "k-gov-gap", "k-gov-far"}
    assert ids(arc, "title:ل*ن") == {"k-lenin"}  # عودة لينين


def test_with_other_words(arc: Any) -> None:
    assert ids(arc, "*كتاب الله") == {"h-kitab-allah", "h-bikitab-allah", "h-kitab-apart"}
    assert ids(arc, "*كتاب NOT الطاولة") == (KITAB | {KUTUBIHIM}) - {"k-kitab-plain"}
    assert ids(arc, "ستا*ن OR تروتسكي") == {"k-lenin", "k-stalin", "k-trotsky"}


def test_exact_mode_matches_skeletons_without_stems(arc: Any) -> None:
    assert ids(arc, "*كتاب", exact=True) == KITAB
    # Skeletons that start with ك: not الكتاب (its skeleton starts with ا).
    assert ids(arc, "ك*ب", exact=True) == {"h-kitab-allah", "h-kitab-apart"} | KATABA


@pytest.mark.parametrize(
    ("query", "options", "marked"),
    [
        ("*كتاب", {}, {"k-bil": ["بالكتاب"], "k-wal": ["والكتاب"], "k-kitab-voc": ["الكِتَابَ"],
                      "k-tatweel": ["الكتـــاب"], "k-kutubihim": ["كتابهم"]}),
        ("ستا*ن", {}, {"k-lenin": ["ستالين"], "k-stalin": ["ستالين"]}),
        ("ك*ب", {"exact": True}, {"k-pravda": ["كتب"], "h-kitab-apart": ["كتاب"]}),
        ("*تاب*", {}, {"k-kitaba": ["الكتابة"]}),
    ],
)  # fmt: skip
def test_highlights_land_on_the_words_as_written(
    arc: Any, query: str, options: dict[str, Any], marked: dict[str, list[str]]
) -> None:
    hits = {h.passage.id: h for h in every(arc, query, **options).hits}
    for pid, words in marked.items():
        text = hits[pid].passage.text
        assert [text[start:end] for start, end in hits[pid].highlights] == words, pid


@pytest.mark.parametrize("query", ["*كتاب", "ك*ب", "text:*كومة"])
def test_counts_and_kwic_count_what_is_highlighted(arc: Any, query: str) -> None:
    hits = every(arc, query).hits
    marked = sum(len(h.highlights) for h in hits)
    assert marked >= len(hits) > 0
    counted = arc.count(query)
    assert (counted.passages, counted.occurrences) == (len(hits), marked)
    lines = list(arc.kwic(query))
    assert len(lines) == marked
    assert {line.match for line in lines if line.passage_id == "k-bil"} <= {"بالكتاب"}


@pytest.mark.parametrize(
    "query",
    ["*", "**", "*ك", "ك*ـ", "title:*", "*ـك", "*َكَ", '"*كتاب الله"', 'text:"ستا*ن لينين"'],
)
def test_refused_patterns_name_the_word(arc: Any, query: str) -> None:
    with pytest.raises(QueryError) as info:
        arc.search(query)
    message = str(info.value)
    assert "wildcard" in message
    assert query.strip('"').split(":")[-1].split()[0].strip('"') in message


def test_refused_on_every_face_alike(arc: Any) -> None:
    with pytest.raises(QueryError, match="fewer than 2 letters"):
        arc.count("*ك")
    with pytest.raises(QueryError, match="fewer than 2 letters"):
        list(arc.kwic("*ك"))


# --- the bound on the words a wildcard stands for -----------------------------------

LETTERS = "بتثجحخدذرزسشصضطظعغفقكلمنهي"


def _many_words() -> list[str]:
    """More than MAX_EXPANSION distinct words ending in ون, in one passage (so
    that one shard of a sharded archive holds them all)."""
    words = [a + b + c + "ون" for a in LETTERS for b in LETTERS for c in LETTERS]
    return words[: MAX_EXPANSION + 50]


@pytest.fixture(scope="module")
def many(engine: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    folder = tmp_path_factory.mktemp(f"wild-{engine}")
    records = [
        {"id": "many", "source": "many", "text": " ".join(_many_words())},
        {"id": "few", "source": "many", "text": "المسلمون والمؤمنون"},
    ]
    arc = make_archive(engine, folder / "archive")
    arc.ingest(write_jsonl(folder / "in" / "many.jsonl", records))
    yield arc
    arc.close()


def test_past_the_bound_a_clear_error(many: Any) -> None:
    with pytest.raises(QueryError) as info:
        many.search("*ون")
    message = str(info.value)
    assert "'*ون'" in message
    assert f"{MAX_EXPANSION:,}" in message
    assert "make it longer" in message
    with pytest.raises(QueryError, match="make it longer"):
        many.count("text:*ون")


def test_under_the_bound_longer_patterns_work(many: Any) -> None:
    assert ids(many, "بب*ون") == {"many"}
    # Made-up words are three letters and ون: none has four before it, or و.
    assert ids(many, "*ؤمنون") == {"few"}  # والمؤمنون (ؤ folds to و)
    assert ids(many, "*مسلمون") == {"few"}


def test_the_scan_is_bounded(engine: str, many: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    if engine == "sharded":
        pytest.skip("the bound is read in the workers' processes: not patched from here")
    monkeypatch.setattr(archive.query.tree, "MAX_SCAN", 100)
    with pytest.raises(QueryError, match="would read more than 100 words"):
        many.search("*مسلمون")
    assert ids(many, "المسل*ن") == {"few"}  # few terms start with المسل


# --- the same hits on every engine -----------------------------------------------------

QUERIES = ["*كتاب", "ك*ب", "*تاب*", "*درسة", "ستا*ن", "text:*كومة", "*لين", "*ال*", "*كتاب الله"]
OPTIONS: list[dict[str, Any]] = [{}, {"match": "any"}, {"exact": True}]


@pytest.fixture(scope="module", params=[e for e in ENGINES if e != REFERENCE])
def other(request: pytest.FixtureRequest) -> str:
    return ready(request, request.param)


@pytest.mark.parametrize("options", OPTIONS, ids=[json.dumps(o) for o in OPTIONS])
def test_same_hits_on_every_engine(
    other: str,
    built: dict[str, tuple[Any, Path]],
    tmp_path_factory: pytest.TempPathFactory,
    corpus_folder: Path,
    options: dict[str, Any],
) -> None:
    reference, _ = corpus_archive(built, REFERENCE, tmp_path_factory, corpus_folder)
    arc, _ = corpus_archive(built, other, tmp_path_factory, corpus_folder)
    for query in QUERIES:
        one, two = every(reference, query, **options), every(arc, query, **options)
        assert two.total == one.total > 0, (query, options)
        assert {h.passage.id for h in two.hits} == {h.passage.id for h in one.hits}, query
        assert [sorted(h.highlights) for h in sorted(two.hits, key=lambda h: h.passage.id)] == [
            sorted(h.highlights) for h in sorted(one.hits, key=lambda h: h.passage.id)
        ], query
