"""Ingest on every engine: re-ingest, updates, prune, and a failed ingest that
leaves the archive as it was."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from archive import InputError
from tests.engines.conftest import ids, make_archive, write_jsonl

BOOKS: dict[str, list[dict[str, Any]]] = {
    "a.jsonl": [
        {"id": "a1", "title": "الصبر", "text": "الصبر مفتاح الفرج"},
        {"id": "a2", "text": "قرأ الطالب الكتاب"},
        {"id": "a3", "text": "ذهب أحمد إلى المدرسة", "volume": 1},
    ],
    "b.jsonl": [
        {"id": "b1", "text": "هرب لينين ثم عاد"},
        {"id": "b2", "text": "رفض تروتسكي ذلك"},
    ],
    "c.jsonl": [
        {"id": "c1", "text": "أطلق سراح ستالين"},
        {"id": "c2", "text": "بالكتاب والقلم"},
    ],
}
QUERIES = ["الكتاب", "لينين OR ستالين", "الصبر", "المدرسة", "برافدا", "title:الصبر"]


def write_books(folder: Path) -> Path:
    for name, records in BOOKS.items():
        write_jsonl(folder / name, records)
    return folder


def snapshot(arc: Any) -> tuple[int, list[tuple[int, set[str]]], dict[str, Any]]:
    """What a reader sees: the size, each query's total and hits, every passage."""
    found = []
    for query in QUERIES:
        res = arc.search(query, limit=None)
        found.append((res.total, {h.passage.id for h in res.hits}))
    return len(arc), found, {p.id: p for p in arc}


@pytest.fixture
def books(engine: str, tmp_path: Path) -> tuple[Any, Path]:
    folder = write_books(tmp_path / "books")
    arc = make_archive(engine, tmp_path / "archive")
    report = arc.ingest(folder)
    assert (report.added, report.updated, report.unchanged, report.removed) == (7, 0, 0, 0)
    assert report.files == ("a.jsonl", "b.jsonl", "c.jsonl")
    return arc, folder


def test_reingesting_the_same_folder_changes_nothing(
    books: tuple[Any, Path], tmp_path: Path
) -> None:
    arc, folder = books
    before = snapshot(arc)
    report = arc.ingest(folder)
    assert (report.added, report.updated, report.unchanged, report.removed) == (0, 0, 7, 0)
    assert report.passages == 7
    assert snapshot(arc) == before
    with pytest.raises(InputError, match="no such file or folder"):
        arc.ingest(tmp_path / "nowhere")
    assert snapshot(arc) == before


def test_an_edited_passage_is_updated(books: tuple[Any, Path]) -> None:
    arc, folder = books
    edited = [dict(r) for r in BOOKS["b.jsonl"]]
    edited[0]["text"] = "كتب لينين مقالا في برافدا"
    write_jsonl(folder / "b.jsonl", edited)
    report = arc.ingest(folder)
    assert (report.added, report.updated, report.unchanged, report.removed) == (0, 1, 6, 0)
    assert len(arc) == 7
    assert arc.get("b1").text == "كتب لينين مقالا في برافدا"
    assert ids(arc, "برافدا") == {"b1"}
    assert ids(arc, "هرب") == set()  # the old text is gone
    assert ids(arc, "لينين") == {"b1"}  # found once, not twice


def test_added_and_removed_passages_of_a_changed_file(books: tuple[Any, Path]) -> None:
    arc, folder = books
    write_jsonl(folder / "c.jsonl", [BOOKS["c.jsonl"][0], {"id": "c3", "text": "الشكر واجب"}])
    report = arc.ingest(folder)
    assert (report.added, report.updated, report.unchanged, report.removed) == (1, 0, 6, 1)
    assert "c2" not in arc
    assert "c3" in arc
    assert ids(arc, "القلم") == set()
    assert ids(arc, "الشكر") == {"c3"}


def test_prune_removes_the_passages_of_a_deleted_file(books: tuple[Any, Path]) -> None:
    arc, folder = books
    (folder / "c.jsonl").unlink()
    kept = arc.ingest(folder)
    assert (kept.removed, len(arc)) == (0, 7)  # without prune they stay
    assert ids(arc, "ستالين") == {"c1"}
    report = arc.ingest(folder, prune=True)
    assert (report.added, report.updated, report.unchanged, report.removed) == (0, 0, 5, 2)
    assert len(arc) == 5
    assert "c1" not in arc
    assert "c2" not in arc
    assert ids(arc, "ستالين") == set()
    assert ids(arc, "الكتاب") == {"a2"}  # c2's بالكتاب is gone
    assert sorted(p.id for p in arc) == ["a1", "a2", "a3", "b1", "b2"]


def test_a_malformed_line_leaves_the_archive_as_it_was(books: tuple[Any, Path]) -> None:
    arc, folder = books
    before = snapshot(arc)
    # In the same call: an edit, a new passage, and a bad line after them.
    edited = [dict(r) for r in BOOKS["a.jsonl"]]
    edited[1]["text"] = "قرأ الطالب برافدا"
    write_jsonl(folder / "a.jsonl", edited)
    (folder / "d.jsonl").write_text(
        json.dumps({"id": "d1", "text": "نص جديد عن الصبر"}, ensure_ascii=False)
        + '\n{"id": "d2", "text": \n',
        encoding="utf-8",
    )
    with pytest.raises(InputError, match=r"d\.jsonl:2") as info:
        arc.ingest(folder)
    assert info.value.line == 2
    assert info.value.path is not None
    assert Path(info.value.path).name == "d.jsonl"
    assert snapshot(arc) == before
    assert "d1" not in arc
    assert arc.get("a2").text == "قرأ الطالب الكتاب"
    # Fixed, the same ingest goes through.
    (folder / "d.jsonl").write_text(
        json.dumps({"id": "d1", "text": "نص جديد عن الصبر"}, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    report = arc.ingest(folder)
    assert (report.added, report.updated) == (1, 1)
    assert ids(arc, "الصبر") == {"a1", "d1"}
    assert ids(arc, "برافدا") == {"a2"}
