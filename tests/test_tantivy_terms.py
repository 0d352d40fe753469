"""The Tantivy engine's terms (format 2): each field as the archive's terms split at
spaces, a position of several terms as one composite term, found through the
``alts`` field. What a query must still find: both spellings of a hamza, a word
through its stem, phrases across composite positions, prefixes and wildcards of
the terms inside composites; and an index of format 1 is refused, saying to
rebuild it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from archive import Archive, IndexFormatError
from tests.conftest import write_jsonl

pytest.importorskip("tantivy", reason="the tantivy extra is not installed")

from archive.engines.tantivy import store

#: Words whose positions hold several terms: two spellings of a hamza on a waw
#: in vocalised text (يَقْرَءُونَ: يقرءون / يقرؤون), a word with a clitic and its
#: stem (بِكِتَابِهِ: بكتابه, كتابه; رؤوسهم: رؤوسهم, رؤوس), and both
#: (رُءُوسَهُمَا: رءوسهما, رؤوسهما, رءوس, رؤوس).
RECORDS = [
    {"id": "h1", "text": "فَمَسَحَ رُءُوسَهُمَا ثُمَّ قَامَ"},
    {"id": "h2", "text": "الَّذِينَ يَقْرَءُونَ الْقُرْآنَ بِكِتَابِهِ"},
    {"id": "h3", "text": "مسح رؤوسهم بالماء"},
    {"id": "h4", "text": "قرأ كتابه وهو كتاب الله"},
    {"id": "h5", "text": "رءوس الجبال عالية"},
]


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Archive, Archive]:
    folder = tmp_path_factory.mktemp("terms-input")
    write_jsonl(folder / "t.jsonl", RECORDS)
    whoosh = Archive(tmp_path_factory.mktemp("terms-w") / "ix")
    tantivy = Archive(tmp_path_factory.mktemp("terms-t") / "ix", engine="tantivy")
    whoosh.ingest(folder)
    tantivy.ingest(folder)
    return whoosh, tantivy


def _ids(arc: Archive, query: str, **options: object) -> list[str]:
    return sorted(h.passage.id for h in arc.search(query, limit=None, **options))  # type: ignore[arg-type]


def test_the_index_holds_composites_and_lists_their_terms(pair: tuple[Archive, Archive]) -> None:
    _, tantivy = pair
    with tantivy._snapshots.use() as snapshot:
        searcher = snapshot._searcher
        listed = store.composite_terms(searcher, "text", "رؤوسهما" + store.SEPARATOR)
        held = store.composite_terms(searcher, "text", store.STEM_MARK + "رؤوس" + store.SEPARATOR)
    [(term, whole, passages)] = listed
    assert (term, passages) == ("رؤوسهما", 1)
    assert whole == store.composite(["رءوسهما", "رؤوسهما", "\x02رءوس", "\x02رؤوس"])
    assert whole.split(store.COMPOSITE_MARK)[1:] == sorted(whole.split(store.COMPOSITE_MARK)[1:])
    # The marked stem رؤوس is inside the composites of رُءُوسَهُمَا and of رؤوسهم.
    assert {w for _, w, _ in held} == {whole, store.composite(["رؤوسهم", "\x02رؤوس"])}


@pytest.mark.parametrize(
    "query",
    [
        "رءوس",  # h5 as written, h1 through its stem
        "رؤوس",  # h1 and h3 through their stems
        "رؤوسهما",
        "رءوسهما",
        "يقرؤون",
        "يقرءون",
        "كتابه",  # h4 as written, h2 through بكتابه
        '"رؤوسهما ثم"',  # a phrase across a composite position
        '"يقرؤون القرآن"',
        '"القرآن كتابه"',  # بكتابه by its stem, in a phrase
        "رءو*",  # prefixes of terms inside composites
        "رؤو*",
        "*ؤوس*",  # a wildcard
        "كتا*",
    ],
)
def test_the_same_hits_as_whoosh(pair: tuple[Archive, Archive], query: str) -> None:
    whoosh, tantivy = pair
    expected = _ids(whoosh, query)
    assert expected, query  # the query finds something: the test can fail
    assert _ids(tantivy, query) == expected, query


def test_both_spellings_find_the_same_passages(pair: tuple[Archive, Archive]) -> None:
    _, tantivy = pair
    # رُءُوسَهُمَا is found by both spellings; each also finds, through its stem
    # (رءوس, رؤوس), the passages that write the stem so.
    assert _ids(tantivy, "يقرءون") == _ids(tantivy, "يقرؤون") == ["h2"]
    assert _ids(tantivy, "رءوسهما") == _ids(tantivy, "رءوس") == ["h1", "h5"]
    assert _ids(tantivy, "رؤوسهما") == _ids(tantivy, "رؤوس") == ["h1", "h3"]


def test_a_word_as_written_outranks_its_stem(pair: tuple[Archive, Archive]) -> None:
    _, tantivy = pair
    hits = tantivy.search("كتابه").hits
    assert [h.passage.id for h in hits] == ["h4", "h2"]  # كتابه itself, then بكتابه
    assert hits[0].score > hits[1].score


def test_highlights_land_on_the_words_as_written(pair: tuple[Archive, Archive]) -> None:
    _, tantivy = pair
    [hit] = tantivy.search('"رؤوسهما ثم"').hits
    marked = [hit.passage.text[s:e] for s, e in hit.highlights]
    assert marked == ["رُءُوسَهُمَا", "ثُمَّ"]


def test_the_vocabulary_lists_words_inside_composites(pair: tuple[Archive, Archive]) -> None:
    _, tantivy = pair
    with tantivy._snapshots.use() as snapshot:
        words = dict(snapshot.terms("text", "رء"))
    assert "رءوس" in words
    assert "رءوسهما" in words
    assert not any(w.startswith((store.STEM_MARK, store.COMPOSITE_MARK)) for w in words)


def test_an_index_of_format_1_is_refused_saying_to_rebuild(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    write_jsonl(folder / "t.jsonl", RECORDS)
    Archive(tmp_path / "ix", engine="tantivy").ingest(folder)
    record_path = tmp_path / "ix" / "archive.json"
    record = json.loads(record_path.read_text(encoding="utf-8"))
    record["format"] = 1
    record_path.write_text(json.dumps(record), encoding="utf-8")
    with pytest.raises(IndexFormatError, match="rebuild") as raised:
        Archive(tmp_path / "ix")
    assert str(tmp_path / "ix") in str(raised.value)
