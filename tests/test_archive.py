"""The Archive facade: the index folder's life, ingest semantics, retrieval, errors."""

from __future__ import annotations

import json
import multiprocessing
import os
import threading
from pathlib import Path

import pytest
from whoosh import index as whoosh_index
from whoosh.fields import TEXT, Schema

from archive import (
    Archive,
    IndexFormatError,
    IndexLockedError,
    IndexNotFoundError,
    IndexStoreError,
    InputError,
    Passage,
    PassageNotFoundError,
)
from archive.engines.whoosh import store
from tests.conftest import DATA, ROOT, write_jsonl


def files_of(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


# --- opening and creating ------------------------------------------------------------


def test_create_then_open(tmp_path: Path) -> None:
    arc = Archive(tmp_path / "a" / "b")
    assert len(arc) == 0
    assert (tmp_path / "a" / "b" / store.FORMAT_FILE).is_file()
    again = Archive(tmp_path / "a" / "b", create=False)
    assert len(again) == 0


def test_open_only_on_missing_folder_creates_nothing(tmp_path: Path) -> None:
    with pytest.raises(IndexNotFoundError) as info:
        Archive(tmp_path / "nothing", create=False)
    assert info.value.path == str(tmp_path / "nothing")
    assert str(tmp_path / "nothing") in str(info.value)
    assert not (tmp_path / "nothing").exists()


def test_open_only_on_folder_without_index_leaves_it_untouched(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(IndexNotFoundError, match="no archive index in"):
        Archive(folder, create=False)
    assert files_of(folder) == {"notes.txt": b"keep me"}


def test_index_path_that_is_a_file(tmp_path: Path) -> None:
    path = tmp_path / "file"
    path.write_text("x", encoding="utf-8")
    with pytest.raises(IndexStoreError, match="is not a folder"):
        Archive(path)


def test_analyzer_version_mismatch_says_rebuild(tmp_path: Path) -> None:
    Archive(tmp_path / "ix")
    record = json.loads((tmp_path / "ix" / store.FORMAT_FILE).read_text("utf-8"))
    record["analysis_version"] = 0
    (tmp_path / "ix" / store.FORMAT_FILE).write_text(json.dumps(record), "utf-8")
    with pytest.raises(IndexFormatError) as info:
        Archive(tmp_path / "ix")
    message = str(info.value)
    assert "analysis_version 0" in message
    assert "rebuild" in message
    assert str(tmp_path / "ix") in message


def test_foreign_whoosh_index_is_refused(tmp_path: Path) -> None:
    (tmp_path / "ix").mkdir()
    whoosh_index.create_in(str(tmp_path / "ix"), Schema(body=TEXT()))
    with pytest.raises(IndexFormatError, match="did not build"):
        Archive(tmp_path / "ix")


def test_analyzer_moved_away_says_rebuild(tmp_path: Path) -> None:
    """Whoosh pickles the analyzer's import path: a missing module is a format error."""
    module = tmp_path / "gone_analyzer.py"
    module.write_text(
        "from whoosh.analysis import RegexTokenizer\nclass Gone(RegexTokenizer):\n    pass\n",
        encoding="utf-8",
    )
    import subprocess
    import sys

    script = (
        "import sys; sys.path.insert(0, sys.argv[2])\n"
        "from archive import Archive\n"
        "from whoosh import index as wi\n"
        "from whoosh.fields import TEXT, Schema\n"
        "import gone_analyzer\n"
        "Archive(sys.argv[1])\n"
        "wi.create_in(sys.argv[1], Schema(text=TEXT(analyzer=gone_analyzer.Gone())))\n"
    )
    subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "ix"), str(tmp_path)], check=True, cwd=ROOT
    )
    module.unlink()
    with pytest.raises(IndexFormatError, match=r"incompatible version.*rebuild"):
        Archive(tmp_path / "ix")


# --- ingest --------------------------------------------------------------------------


def test_ingest_report_and_reingest_adds_nothing(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "in" / "p.jsonl", [{"text": "نص أول"}, {"text": "نص ثان"}])
    arc = Archive(tmp_path / "ix")
    first = arc.ingest(path)
    assert (first.added, first.updated, first.unchanged, first.files) == (2, 0, 0, ("p.jsonl",))
    before = files_of(tmp_path / "ix")
    second = arc.ingest(tmp_path / "in")
    assert (second.added, second.updated, second.unchanged) == (0, 0, 2)
    assert len(arc) == 2
    assert files_of(tmp_path / "ix") == before  # not even a new generation


def test_changed_passage_is_updated_in_place(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "p.jsonl", [{"id": "a", "text": "ستالين"}])
    arc = Archive(tmp_path / "ix")
    arc.ingest(path)
    write_jsonl(path, [{"id": "a", "text": "لينين", "title": "جديد"}, {"id": "b", "text": "نص"}])
    report = arc.ingest(path)
    assert (report.added, report.updated, report.unchanged) == (1, 1, 0)
    assert len(arc) == 2
    assert arc.get("a").title == "جديد"
    assert arc.search("ستالين").total == 0
    assert arc.search("لينين").total == 1


def test_failed_ingest_leaves_the_index_exactly_as_it_was(tmp_path: Path) -> None:
    arc = Archive(tmp_path / "ix")
    arc.ingest(write_jsonl(tmp_path / "ok.jsonl", [{"id": "old", "text": "قديم"}]))
    before = files_of(tmp_path / "ix")
    folder = tmp_path / "batch"
    write_jsonl(folder / "a.jsonl", [{"id": "old", "text": "تغير"}, {"id": "new", "text": "جديد"}])
    (folder / "b.jsonl").write_text('{"text": "سليم"}\n{"text": \n', encoding="utf-8")
    with pytest.raises(InputError, match=r"b\.jsonl:2: not valid JSON"):
        arc.ingest(folder)
    assert files_of(tmp_path / "ix") == before
    assert [p.id for p in arc] == ["old"]
    assert arc.get("old").text == "قديم"
    assert arc.search("جديد").total == 0
    fresh = Archive(tmp_path / "ix", create=False)
    assert [p.text for p in fresh] == ["قديم"]


def test_duplicate_id_in_one_call_names_both_places(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    write_jsonl(folder / "a.jsonl", [{"id": "x", "text": "أ"}])
    write_jsonl(folder / "b.jsonl", [{"text": "ب"}, {"id": "x", "text": "ب"}])
    arc = Archive(tmp_path / "ix")
    with pytest.raises(InputError) as info:
        arc.ingest(folder)
    assert str(info.value) == (
        f"{folder / 'b.jsonl'}:2: id 'x' given twice (first at {folder / 'a.jsonl'}:1)"
    )
    assert len(arc) == 0


def test_missing_input_path(tmp_path: Path) -> None:
    arc = Archive(tmp_path / "ix")
    with pytest.raises(InputError, match="no such file or folder") as info:
        arc.ingest(tmp_path / "nowhere")
    assert info.value.path == str(tmp_path / "nowhere")


def test_skipped_files_are_reported(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "in" / "a.jsonl", [{"text": "نص"}])
    (tmp_path / "in" / "scan.png").write_bytes(b"\x89PNG\r\n")
    report = Archive(tmp_path / "ix").ingest(tmp_path / "in")
    assert report.skipped == ("scan.png",)
    assert "scan.png" in str(report)


def test_second_writer_gets_a_clear_error(tmp_path: Path) -> None:
    arc = Archive(tmp_path / "ix")
    holder = store.writer(arc.engine.ix, arc.path)
    try:
        with pytest.raises(IndexLockedError, match="being written") as info:
            store.writer(arc.engine.ix, arc.path, timeout=0.2)
        assert info.value.path == str(tmp_path / "ix")
    finally:
        holder.cancel()


# --- retrieval -----------------------------------------------------------------------


def test_get_len_iter_contains(tmp_path: Path) -> None:
    records = [
        {"id": "a", "title": "عنوان", "text": "نص", "source": "كتاب", "caption": "صورة", "n": 3},
        {"id": "b", "text": "نص آخر", "citations": ["4"]},
    ]
    arc = Archive(tmp_path / "ix")
    arc.ingest(write_jsonl(tmp_path / "p.jsonl", records))
    assert len(arc) == 2
    assert "a" in arc
    assert "zz" not in arc
    a = arc.get("a")
    assert a == Passage(
        id="a", title="عنوان", text="نص", source="كتاب", caption="صورة", metadata={"n": 3}
    )
    assert arc.get("b").citations == ("4",)
    assert arc.get("b").source == "p.jsonl"
    assert sorted(p.id for p in arc) == ["a", "b"]


def test_get_unknown_id(tmp_path: Path) -> None:
    arc = Archive(tmp_path / "ix")
    with pytest.raises(PassageNotFoundError) as info:
        arc.get("missing")
    assert isinstance(info.value, KeyError)
    assert str(info.value) == f"no passage with id 'missing' in the index at {tmp_path / 'ix'}"


def test_search_sees_another_archives_ingest(tmp_path: Path) -> None:
    reader = Archive(tmp_path / "ix")
    assert reader.search("ستالين").total == 0
    writer = Archive(tmp_path / "ix")
    writer.ingest(write_jsonl(tmp_path / "p.jsonl", [{"text": "ستالين"}]))
    assert reader.search("ستالين").total == 1
    writer.ingest(write_jsonl(tmp_path / "q.jsonl", [{"text": "ستالين ولينين"}]))
    assert reader.search("ستالين").total == 2
    assert len(reader) == 2


def test_searcher_is_reused_between_searches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    arc = Archive(tmp_path / "ix")
    arc.ingest(write_jsonl(tmp_path / "p.jsonl", [{"text": "ستالين"}]))
    opened: list[object] = []
    real = arc.engine.snapshot

    def counted() -> object:
        opened.append(real())
        return opened[-1]

    monkeypatch.setattr(arc.engine, "snapshot", counted)
    for _ in range(3):
        assert arc.search("ستالين").total == 1
    # One snapshot, taken back after each search, and the one the suggester keeps
    # to read the vocabulary once per commit (a search of under 3 hits looks for
    # suggestions).
    assert len(opened) == 2
    arc.ingest(write_jsonl(tmp_path / "p.jsonl", [{"text": "ستالين لينين"}]))
    before = len(opened)  # the ingest's own snapshot
    assert arc.search("لينين").total == 1  # a new commit: new snapshots
    assert arc.search("لينين").total == 1
    assert len(opened) == before + 2


def test_threads_share_one_archive(tmp_path: Path) -> None:
    arc = Archive(tmp_path / "ix")
    arc.ingest(write_jsonl(tmp_path / "p.jsonl", [{"id": str(i), "text": "نص"} for i in range(50)]))
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(20):
                assert arc.search("نص").total == 50
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_stats(tmp_path: Path) -> None:
    arc = Archive(tmp_path / "ix")
    arc.ingest(write_jsonl(tmp_path / "p.jsonl", [{"text": "أ", "source": "س"}, {"text": "ب"}]))
    stats = arc.stats()
    assert stats["passages"] == 2
    assert stats["sources"] == 2
    assert stats["bytes"] > 0
    assert stats["analysis_version"] == store.format_record()["analysis_version"]


# --- what ships ----------------------------------------------------------------------


def test_shipped_texts_are_two_passages(tmp_path: Path) -> None:
    arc = Archive(tmp_path / "ix")
    report = arc.ingest(ROOT / "texts")
    assert report.added == 2
    passages = {p.title: p for p in arc}
    assert set(passages) == {"ستالين وإنقاذ لينين", "سقوط الحكومة المؤقتة"}
    first = passages["ستالين وإنقاذ لينين"]
    assert first.caption == "فلاديمير لينين بعد ان حلق لة ستالين لحيتة وشواربة في فنلندا"
    assert first.citations == ("10",)
    assert first.text.startswith("أطلق سراح ستالين من المنفى")
    assert first.text.endswith("وعضو الجمعية التأسيسية.")
    assert "[10]" not in first.text
    second = passages["سقوط الحكومة المؤقتة"]
    assert second.caption == "الكسندر كيرنسكي رئيس الحكومة المؤقتة"
    assert second.citations == ("11",)
    assert "لينينوالكثير" in first.text  # typos kept
    assert "مسؤلية" in first.text
    assert arc.search("10").total == 0  # the citation marker is not searchable text
    assert arc.search("لينين").total == 2
    assert arc.search('"الحكومة المؤقتة"').total == 2
    assert [h.passage.title for h in arc.search("title:سقوط").hits] == ["سقوط الحكومة المؤقتة"]


# --- parallel ingest -------------------------------------------------------------------


def test_workers_index_what_one_process_indexes(tmp_path: Path) -> None:
    one = Archive(tmp_path / "one")
    one.ingest(DATA / "hadith_excerpt.jsonl", workers=1)
    many = Archive(tmp_path / "many")
    report = many.ingest(DATA / "hadith_excerpt.jsonl", workers=3)
    assert report.added == len(one) == len(many) == 12
    for q in ["حدثنا", "رسول الله", '"قال رسول الله"', "الأعمال OR النية"]:
        expected = [(h.passage.id, round(h.score, 9)) for h in one.search(q, limit=None).hits]
        assert [(h.passage.id, round(h.score, 9)) for h in many.search(q, limit=None).hits] == (
            expected
        )


def test_failed_parallel_ingest_leaves_the_folder_as_it_was(tmp_path: Path) -> None:
    arc = Archive(tmp_path / "ix")
    arc.ingest(write_jsonl(tmp_path / "ok.jsonl", [{"id": "old", "text": "قديم"}]))
    before = files_of(tmp_path / "ix")
    # Processes of other tests (a Dask cluster of the session) are not this ingest's.
    others = set(multiprocessing.active_children())
    folder = tmp_path / "batch"
    write_jsonl(folder / "a.jsonl", [{"id": f"n{i}", "text": "جديد " * 50} for i in range(900)])
    (folder / "b.jsonl").write_text('{"text": \n', encoding="utf-8")
    with pytest.raises(InputError, match=r"b\.jsonl:1"):
        arc.ingest(folder, workers=3)
    assert files_of(tmp_path / "ix") == before
    assert [p.id for p in arc] == ["old"]
    assert set(multiprocessing.active_children()) - others == set()


def test_parallel_update_replaces_passages(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "p.jsonl", [{"id": f"p{i}", "text": "ستالين"} for i in range(500)]
    )
    arc = Archive(tmp_path / "ix")
    arc.ingest(path, workers=3)
    write_jsonl(path, [{"id": f"p{i}", "text": "لينين"} for i in range(500)])
    report = arc.ingest(path, workers=3)
    assert (report.added, report.updated) == (0, 500)
    assert len(arc) == 500
    assert arc.search("ستالين").total == 0
    assert arc.search("لينين").total == 500


def test_prune_removes_the_passages_of_files_that_are_gone(tmp_path: Path) -> None:
    folder = tmp_path / "books"
    write_jsonl(folder / "a.jsonl", [{"id": "a1", "text": "ستالين"}])
    write_jsonl(folder / "sub" / "b.jsonl", [{"id": "b1", "text": "لينين"}])
    other = write_jsonl(tmp_path / "elsewhere" / "c.jsonl", [{"id": "c1", "text": "تروتسكي"}])
    arc = Archive(tmp_path / "ix")
    arc.ingest(folder)
    arc.ingest(other)
    (folder / "sub" / "b.jsonl").unlink()
    kept = arc.ingest(folder)
    assert (kept.removed, len(arc)) == (0, 3)  # without prune, b1 stays
    report = arc.ingest(folder, prune=True)
    assert (report.removed, report.unchanged) == (1, 1)
    assert sorted(p.id for p in arc) == ["a1", "c1"]  # c1 is not under the folder
    assert "1 removed" in str(report)


def test_prune_keeps_a_passage_that_moved_to_another_file(tmp_path: Path) -> None:
    folder = tmp_path / "books"
    write_jsonl(folder / "old.jsonl", [{"id": "p", "text": "ستالين"}])
    arc = Archive(tmp_path / "ix")
    arc.ingest(folder)
    (folder / "old.jsonl").rename(folder / "new.jsonl")
    report = arc.ingest(folder, prune=True)
    assert [p.id for p in arc] == ["p"]
    assert report.removed == 0


def test_unchanged_files_are_not_read_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import archive.ingest as core

    folder = tmp_path / "books"
    write_jsonl(folder / "a.jsonl", [{"id": "a1", "text": "ستالين"}, {"id": "a2", "text": "لينين"}])
    write_jsonl(folder / "b.jsonl", [{"id": "b1", "text": "تروتسكي"}])
    arc = Archive(tmp_path / "ix")
    arc.ingest(folder)
    read: list[str] = []
    real = core.passages

    def spy(file: Path, origin: str, options: object = None) -> object:
        read.append(origin)
        return real(file, origin, options)  # type: ignore[arg-type]

    monkeypatch.setattr(core, "passages", spy)
    write_jsonl(folder / "b.jsonl", [{"id": "b1", "text": "كيرنسكي"}])
    report = arc.ingest(folder)
    assert read == ["b.jsonl"]
    assert (report.unchanged, report.updated) == (2, 1)
    assert arc.search("كيرنسكي").total == 1
    # An id of an unchanged file given again elsewhere is still caught.
    write_jsonl(folder / "b.jsonl", [{"id": "a1", "text": "نص"}])
    with pytest.raises(
        InputError, match=r"id 'a1' given twice \(first at .*a\.jsonl \(unchanged\)\)"
    ):
        arc.ingest(folder)
    # Also when the changed file comes first in the folder.
    write_jsonl(folder / "0.jsonl", [{"id": "a1", "text": "نص"}])
    (folder / "b.jsonl").unlink()
    with pytest.raises(
        InputError, match=r"0\.jsonl:1: id 'a1' given twice \(first at .*a\.jsonl \(unchanged\)\)"
    ):
        arc.ingest(folder)
    (folder / "0.jsonl").unlink()
    # Read again when the way of reading changes.
    read.clear()
    write_jsonl(folder / "b.jsonl", [{"id": "b1", "text": "كيرنسكي"}])
    arc.ingest(folder, encoding="utf-8")
    assert sorted(read) == ["a.jsonl", "b.jsonl"]


@pytest.mark.parametrize("workers", [1, 3])
def test_an_ingest_killed_at_any_moment_leaves_the_last_commit(
    tmp_path: Path, workers: int
) -> None:
    """SIGKILL an ingest at several points: the index opens, holds exactly the
    last committed state, and running the ingest again completes it."""
    import signal
    import subprocess
    import sys
    import time

    first = write_jsonl(tmp_path / "in" / "first.jsonl", [{"id": "old", "text": "قديم"}])
    arc = Archive(tmp_path / "ix")
    arc.ingest(first)
    records = [{"id": f"p{i}", "text": "قال رسول الله " * 40 + str(i)} for i in range(3000)]
    big = write_jsonl(tmp_path / "in" / "big.jsonl", records)
    script = (
        "import sys; from archive import Archive\n"
        "Archive(sys.argv[1]).ingest(sys.argv[2], workers=int(sys.argv[3]))\n"
    )
    counts = []
    for delay in (0.5, 1.5, 3.0):
        proc = subprocess.Popen(
            [sys.executable, "-c", script, str(tmp_path / "ix"), str(big), str(workers)],
            cwd=ROOT,
            start_new_session=True,
        )
        time.sleep(delay)
        os.killpg(proc.pid, signal.SIGKILL)  # the workers too
        proc.wait()
        after = Archive(tmp_path / "ix", create=False)
        counts.append(len(after))
        assert len(after) in (1, 3001), delay  # the old commit, or the whole new one
        assert after.get("old").text == "قديم"
        after.close()
    assert counts[0] == 1  # killed before its commit at least once
    done = Archive(tmp_path / "ix").ingest(big, workers=workers)
    assert len(Archive(tmp_path / "ix")) == 3001
    assert done.added + done.unchanged == 3000


def test_ingest_reports_progress(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "p.jsonl", [{"text": f"نص {i}"} for i in range(2500)])
    seen: list[object] = []
    Archive(tmp_path / "ix").ingest(path, progress=seen.append, workers=1)
    counts = [p.passages for p in seen]  # type: ignore[attr-defined]
    assert counts == [1000, 2000, 2500]
    last = seen[-1]
    assert last.fraction == 1.0  # type: ignore[attr-defined]
    assert last.rate > 0  # type: ignore[attr-defined]
    assert seen[0].bytes_read < seen[1].bytes_read < last.bytes_total + 1  # type: ignore[attr-defined]
