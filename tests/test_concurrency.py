"""Searching while an ingest runs and commits, in other threads and processes; a
second writer that waits for the lock."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from archive import Archive, ArchiveError, IndexLockedError
from archive.engines.whoosh import store

ROOT = Path(__file__).resolve().parent.parent

OLD = 300
NEW = 2500

#: Run in a child process: three ingests, each a commit that changes what the
#: searchers see (add, update every passage, remove them again with prune), with
#: worker processes so that a commit writes and merges several segments.
WRITER = """
import json, sys
from pathlib import Path
from archive import Archive

index, folder = Path(sys.argv[1]), Path(sys.argv[2])
new = folder / "new.jsonl"
arc = Archive(index)

def write(word):
    with open(new, "w", encoding="utf-8") as handle:
        for i in range(int(sys.argv[3])):
            text = f"مشترك {word} " + "قال رسول الله صلى الله عليه وسلم " * 8 + str(i)
            handle.write(json.dumps({"id": f"n{i}", "text": text}, ensure_ascii=False) + "\\n")

write("جديد")
print("added", arc.ingest(folder, workers=2).added, flush=True)
write("محدث")
print("updated", arc.ingest(folder, workers=2).updated, flush=True)
new.unlink()
print("removed", arc.ingest(folder, prune=True).removed, flush=True)
"""

#: Run in a child process: search until told to stop; print every total seen.
READER = """
import json, sys
from pathlib import Path
from archive import Archive

arc = Archive(Path(sys.argv[1]), create=False)
seen = {}
stop = Path(sys.argv[2])
while not stop.exists():
    for word in ("مشترك", "جديد", "محدث"):
        res = arc.search(word, limit=5)
        ids = [h.passage.id for h in res.hits]
        seen.setdefault(word, set()).add(res.total)
print(json.dumps({word: sorted(totals) for word, totals in seen.items()}))
"""


def _old_state(tmp_path: Path) -> tuple[Path, Path]:
    folder = tmp_path / "in"
    folder.mkdir()
    with open(folder / "old.jsonl", "w", encoding="utf-8") as handle:
        for i in range(OLD):
            record = {"id": f"o{i}", "text": f"مشترك قديم {i}"}
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    index = tmp_path / "ix"
    Archive(index).ingest(folder)
    return index, folder


#: The totals each word may have: before, between and after the three commits.
ALLOWED = {"مشترك": {OLD, OLD + NEW}, "جديد": {0, NEW}, "محدث": {0, NEW}}


def test_searches_see_the_old_or_the_new_state_while_another_process_commits(
    tmp_path: Path,
) -> None:
    index, folder = _old_state(tmp_path)
    arc = Archive(index, create=False)
    stop = tmp_path / "stop"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(index), str(stop)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(index), str(folder), str(NEW)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    errors: list[BaseException] = []
    seen: dict[str, set[int]] = {}
    lock = threading.Lock()

    def search() -> None:
        try:
            while writer.poll() is None:
                for word in ALLOWED:
                    res = arc.search(word, limit=5)
                    for hit in res.hits:  # every hit's passage reads back
                        assert hit.passage.text.startswith("مشترك")
                    with lock:
                        seen.setdefault(word, set()).add(res.total)
                assert len(arc) in (OLD, OLD + NEW)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=search) for _ in range(3)]
    for t in threads:
        t.start()
    out, _ = writer.communicate(timeout=600)
    for t in threads:
        t.join()
    stop.touch()
    reader_out, _ = reader.communicate(timeout=60)
    assert writer.returncode == 0, out
    assert out.split() == ["added", str(NEW), "updated", str(NEW), "removed", str(NEW)]
    assert errors == []
    assert reader.returncode == 0
    other = {word: set(totals) for word, totals in json.loads(reader_out).items()}
    for totals in (seen, other):
        for word, allowed in ALLOWED.items():
            assert totals[word] <= allowed, (word, totals[word])
    # The threads saw the ingests happen, not only the state before or after.
    assert len(seen["مشترك"]) == 2 or len(seen["جديد"]) == 2
    assert arc.search("مشترك").total == OLD


def test_searches_in_other_threads_go_on_during_an_ingest_in_this_one(tmp_path: Path) -> None:
    index, folder = _old_state(tmp_path)
    arc = Archive(index)
    records = [
        {"id": f"n{i}", "text": "مشترك جديد " + "قال رسول الله " * 30 + str(i)} for i in range(4000)
    ]
    with open(folder / "new.jsonl", "w", encoding="utf-8") as handle:
        handle.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    during: list[int] = []
    done = threading.Event()

    def ingest() -> None:
        try:
            arc.ingest(folder)
        finally:
            done.set()

    thread = threading.Thread(target=ingest)
    thread.start()
    while not done.is_set():
        total = arc.search("مشترك").total
        if not done.is_set():
            during.append(total)
    thread.join()
    # Searches were answered while the ingest ran (it held no lock they wait
    # for), from the last commit until the new one.
    assert len(during) > 10
    assert set(during) <= {OLD, OLD + len(records)}
    assert during[0] == OLD
    assert arc.search("مشترك").total == OLD + len(records)


def test_a_second_writer_waits_for_the_first(tmp_path: Path) -> None:
    index, _ = _old_state(tmp_path)
    first = Archive(index)
    holder = store.writer(first.engine.ix, first.path)
    release = threading.Timer(1.0, holder.cancel)
    release.start()
    try:
        extra = tmp_path / "extra.jsonl"
        extra.write_text(json.dumps({"id": "x", "text": "إضافة"}, ensure_ascii=False) + "\n")
        started = time.monotonic()
        report = Archive(index).ingest(extra)  # waits up to LOCK_TIMEOUT (10 s)
        assert time.monotonic() - started >= 0.9
        assert report.added == 1
    finally:
        release.join()


def test_a_second_writer_gives_up_with_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index, _ = _old_state(tmp_path)
    holder_script = (
        "import sys, time; from archive import Archive; from archive.engines.whoosh import store\n"
        "arc = Archive(sys.argv[1]); w = store.writer(arc.engine.ix, arc.path)\n"
        "print('locked', flush=True); time.sleep(30)\n"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", holder_script, str(index)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        monkeypatch.setattr(store, "LOCK_TIMEOUT", 0.5)
        extra = tmp_path / "extra.jsonl"
        extra.write_text(json.dumps({"id": "x", "text": "إضافة"}, ensure_ascii=False) + "\n")
        arc = Archive(index)
        with pytest.raises(IndexLockedError, match=r"being written .* gave up after waiting 0.5s"):
            arc.ingest(extra)
        assert len(arc) == OLD  # nothing of the failed call is kept
        assert "x" not in arc
    finally:
        holder.kill()
        holder.communicate()


def test_a_searcher_opened_while_a_commit_removes_its_files_is_opened_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index, _ = _old_state(tmp_path)
    arc = Archive(index, create=False)
    real = type(arc.engine.ix).searcher
    calls: list[int] = []

    def racing(self: object, **kwargs: object) -> object:
        calls.append(1)
        if len(calls) <= 2:  # another process merged these segments away just now
            raise FileNotFoundError(2, "No such file or directory", str(index / "MAIN_x.seg"))
        return real(self, **kwargs)

    monkeypatch.setattr(type(arc.engine.ix), "searcher", racing)
    assert arc.search("مشترك").total == OLD
    assert len(calls) == 3


def test_an_index_that_stays_unreadable_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index, _ = _old_state(tmp_path)
    arc = Archive(index, create=False)

    def broken(self: object, **kwargs: object) -> object:
        raise PermissionError(13, "Permission denied", str(index / "MAIN_x.seg"))

    monkeypatch.setattr(type(arc.engine.ix), "searcher", broken)
    monkeypatch.setattr(store, "OPEN_ATTEMPTS", 3)
    with pytest.raises(
        ArchiveError, match=f"cannot read the index at {index}: .*Permission denied"
    ):
        arc.search("مشترك")


# --- memory of a searcher ----------------------------------------------------------


@given(
    data=st.binary(max_size=300), ops=st.lists(st.tuples(st.integers(0, 4), st.integers(-5, 320)))
)
def test_the_memory_map_reader_reads_as_a_file_does(
    data: bytes, ops: list[tuple[int, int]]
) -> None:
    view, real = store._ViewReader(memoryview(data)), io.BytesIO(data)
    for op, n in ops:
        if op == 0:
            assert view.read(n) == real.read(n)
        elif op == 1:
            assert view.seek(abs(n)) == real.seek(abs(n))
        elif op == 2:
            assert view.readline(n) == real.readline(n)
        elif op == 3:
            assert view.read() == real.read()
        elif op == 4 and n % 2:
            assert view.peek(n) == real.getvalue()[real.tell() : real.tell() + 512]
        else:
            a, b = bytearray(abs(n) % 40), bytearray(abs(n) % 40)
            assert view.readinto(a) == real.readinto(b)
            assert a == b
        assert view.tell() == real.tell()


SEARCHER_MEMORY = """
import json, sys
from archive import Archive

def anon():
    for line in open("/proc/self/status"):
        if line.startswith("RssAnon:"):
            return int(line.split()[1]) * 1024

arc = Archive(sys.argv[1], create=False)
before = anon()
arc.search("مشترك")
print(anon() - before)
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads Linux's /proc")
def test_a_searcher_does_not_copy_the_index_into_memory(tmp_path: Path) -> None:
    records = [
        {"id": f"p{i}", "text": f"مشترك {i} " + " ".join(f"كلمة{i * 7 + j}" for j in range(150))}
        for i in range(3000)
    ]
    source = tmp_path / "p.jsonl"
    source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    Archive(tmp_path / "ix").ingest(source, workers=1)
    size = sum(f.stat().st_size for f in (tmp_path / "ix").iterdir())
    assert size > 20_000_000
    out = subprocess.run(
        [sys.executable, "-c", SEARCHER_MEMORY, str(tmp_path / "ix")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    # Whoosh's own compound reader copied the index into the process: about
    # `size` bytes more. Reading the memory map leaves it in the file cache.
    assert int(out) < size / 4, (int(out), size)


def test_segments_finished_with_lengths_read_once_hold_whoosh_s_lengths(tmp_path: Path) -> None:
    from whoosh import index as whoosh_index

    texts = ["قال رسول الله " * (i % 7 + 1) + f"كلمة{i}" for i in range(300)]
    infos = []
    for name, codec in (("ours", store._WritingCodec()), ("whoosh", None)):
        (tmp_path / name).mkdir()
        ix = whoosh_index.create_in(str(tmp_path / name), store.schema())
        writer = ix.writer(codec=codec) if codec else ix.writer()
        for i, text in enumerate(texts):
            writer.add_document(id=str(i), text=text, text_stem=text)
        writer.commit()
        with ix.searcher() as searcher:
            reader = searcher.reader()
            infos.append(
                [
                    (field, term, info.min_length(), info.max_length(), info.weight())
                    for field in ("text", "text_stem")
                    for term, info in reader.iter_field(field)
                ]
            )
        ix.close()
    assert infos[0] == infos[1]
    assert len(infos[0]) > 300
