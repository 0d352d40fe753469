"""Retrieval and the archive folder on every engine: get, in, len, iteration,
stats, reopening, a missing folder, folding profiles."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from archive import IndexFormatError, IndexNotFoundError, PassageNotFoundError, Profile
from tests.engines.conftest import PASSAGES, ids, make_archive, open_archive, write_jsonl

#: A passage of each file and source, with and without title, caption, citations, metadata.
SAMPLE = [
    "k-kitab-voc",
    "k-gov-adjacent",
    "k-kitab-plain",
    "k-tatweel",
    "k-ahmad-plain",
    "twin-b",
    "h-niyyat",
    "h-prophet",
    "h-ilm-tanwin",
    "hafs:1:1",
    "hafs:1:7",
    "imlai:1:4",
]


def test_get_returns_each_passage_as_ingested(arc: Any) -> None:
    for passage_id in SAMPLE:
        assert arc.get(passage_id) == PASSAGES[passage_id], passage_id
    assert arc.get("k-kitab-plain").citations == ("7", "8")
    assert arc.get("hafs:1:1").source == "quran.jsonl"  # a record without source: its file
    assert arc.get("k-gov-adjacent").metadata == {"volume": 2, "page": 10, "era": "modern"}


def test_in_len_iter(arc: Any) -> None:
    assert len(arc) == len(PASSAGES) == 57
    for passage_id in SAMPLE:
        assert passage_id in arc
    assert "nothing" not in arc
    assert "k-kitab" not in arc  # a prefix of ids is not an id
    every = list(arc)  # each engine in its own order
    assert len(every) == len(PASSAGES)
    assert {p.id: p for p in every} == PASSAGES  # every passage as ingested


def test_an_unknown_id(arc: Any) -> None:
    with pytest.raises(PassageNotFoundError, match="nothing") as info:
        arc.get("nothing")
    assert isinstance(info.value, KeyError)
    assert info.value.passage_id == "nothing"


def test_stats(arc: Any) -> None:
    figures = arc.stats()
    assert figures["passages"] == 57
    assert figures["sources"] == 4  # hadith, kutub/adab, kutub/tarikh, quran.jsonl


def test_a_reopened_archive_returns_the_same(engine: str, corpus: tuple[Any, Path]) -> None:
    arc, path = corpus
    again = open_archive(engine, path)
    try:
        assert len(again) == len(arc)
        assert again.get("h-niyyat") == arc.get("h-niyyat")
        reads: list[tuple[str, dict[str, Any]]] = [
            ("الله", {}),
            ("كتا*", {"sort": "source"}),
            ("علم", {"exact": True}),
        ]
        for query, options in reads:
            one = arc.search(query, limit=None, **options)
            two = again.search(query, limit=None, **options)
            assert two.total == one.total > 0
            assert [h.passage.id for h in two.hits] == [h.passage.id for h in one.hits]
    finally:
        again.close()


def test_opening_a_missing_folder(engine: str, tmp_path: Path) -> None:
    with pytest.raises(IndexNotFoundError) as info:
        open_archive(engine, tmp_path / "missing")
    assert str(tmp_path / "missing") in str(info.value)
    assert not (tmp_path / "missing").exists()
    (tmp_path / "empty").mkdir()
    with pytest.raises(IndexNotFoundError):
        open_archive(engine, tmp_path / "empty")
    assert list((tmp_path / "empty").iterdir()) == []


def test_a_folding_profile_is_kept_by_the_archive(engine: str, tmp_path: Path) -> None:
    write_jsonl(
        tmp_path / "in" / "p.jsonl",
        [{"id": "ta", "text": "المدرسة الكبيرة"}, {"id": "ha", "text": "المدرسه الصغيرة"}],
    )
    strict = Profile(ta_marbuta=False)
    arc = make_archive(engine, tmp_path / "strict", profile=strict)
    arc.ingest(tmp_path / "in")
    assert ids(arc, "المدرسة") == {"ta"}
    assert ids(arc, "المدرسه") == {"ha"}
    assert ids(arc, "الكبيره") == set()
    arc.close()
    again = open_archive(engine, tmp_path / "strict")
    # The profile is the folder's (with the default one ة = ه: see test_queries).
    assert ids(again, "المدرسة") == {"ta"}
    again.close()


def test_another_profile_on_an_existing_archive_says_rebuild(engine: str, tmp_path: Path) -> None:
    make_archive(engine, tmp_path / "a").close()
    with pytest.raises(IndexFormatError, match="rebuild"):
        make_archive(engine, tmp_path / "a", profile=Profile(ta_marbuta=False))
