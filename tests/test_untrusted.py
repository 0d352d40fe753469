"""Damaged and untrusted indexes (issue 13): a damaged segment is an
``IndexStoreError`` naming the folder, promptly, from every call that reads;
a pickle of anything the Whoosh index format does not use is refused, never
loaded."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from archive import Archive, IndexStoreError
from tests.conftest import write_jsonl

ENGINES = ["whoosh", "tantivy"]

WORDS = ["كتاب", "قلم", "مدينة", "رسول", "علم", "بيت", "نهر", "جبل"]


def _engine(name: str) -> str:
    if name == "tantivy":
        pytest.importorskip("tantivy", reason="the tantivy extra is not installed")
    return name


def _index(tmp_path: Path, engine: str) -> Path:
    records = [
        {
            "id": f"p{i}",
            "title": WORDS[i % 8],
            "text": " ".join(WORDS[j % 8] for j in range(i, i + 40)),
        }
        for i in range(300)
    ]
    arc = Archive(tmp_path / "ix", engine=engine)
    arc.ingest(write_jsonl(tmp_path / "in" / "a.jsonl", records), workers=1)
    arc.close()
    return tmp_path / "ix"


def _segments(folder: Path, engine: str) -> list[Path]:
    if engine == "whoosh":
        return sorted(folder.glob("*.seg"))
    return sorted(
        f
        for f in folder.iterdir()
        if f.is_file() and f.suffix in (".store", ".idx", ".term", ".pos")
    )


def _truncate(file: Path) -> None:
    data = file.read_bytes()
    file.write_bytes(data[: len(data) // 2])


def _empty(file: Path) -> None:
    file.write_bytes(b"")


def _flip(file: Path) -> None:
    data = bytearray(file.read_bytes())
    for at in range(len(data) // 8, len(data), max(1, len(data) // 64)):
        data[at] ^= 0xFF
    file.write_bytes(bytes(data))


def _delete(file: Path) -> None:
    file.unlink()


CALLS: dict[str, Callable[[Archive], Any]] = {
    "len": len,
    "search": lambda arc: [h.passage.text for h in arc.search("كتاب", limit=None)],
    "get": lambda arc: [arc.get(f"p{i}").text for i in range(0, 300, 7)],
    "count": lambda arc: arc.count("علم"),
    "kwic": lambda arc: list(arc.kwic("نهر")),
    "iter": lambda arc: [p.text for p in arc],
    "stats": lambda arc: arc.stats(),
}


@pytest.mark.parametrize("damage", [_truncate, _empty, _flip, _delete])
@pytest.mark.parametrize("engine", ENGINES)
def test_a_damaged_segment_is_an_index_store_error(
    tmp_path: Path, engine: str, damage: Callable[[Path], None]
) -> None:
    _engine(engine)
    folder = _index(tmp_path, engine)
    segments = _segments(folder, engine)
    assert segments
    for file in segments:
        damage(file)
    wrong: list[tuple[str, str]] = []
    for name, call in CALLS.items():
        started = time.monotonic()
        try:
            call(Archive(folder, create=False))
        except IndexStoreError as exc:
            if str(folder) not in str(exc) or exc.path != str(folder):
                wrong.append((name, str(exc)))
        # anything else (EOFError, struct.error, zlib.error, ...) fails the test;
        # a damage the call does not read is no error
        assert time.monotonic() - started < 5, f"{name} took too long to fail"
    assert wrong == []
    # reading everything sees the damage
    with pytest.raises(IndexStoreError):
        _read_all(folder)


def _read_all(folder: Path) -> None:
    arc = Archive(folder, create=False)
    CALLS["iter"](arc)
    CALLS["search"](arc)


# --- planted pickles (the Whoosh engine; Tantivy stores JSON) -------------------------


class Planted:
    """A pickle that runs a command when loaded: what a planted index holds."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.system, (f"touch {self.marker}",))


def _plain_index(tmp_path: Path) -> Path:
    arc = Archive(tmp_path / "ix")
    arc.ingest(write_jsonl(tmp_path / "in" / "a.jsonl", [{"id": "a", "text": "كتاب"}]))
    arc.close()
    return tmp_path / "ix"


def test_a_pickle_planted_in_the_table_of_contents_is_refused(tmp_path: Path) -> None:
    from whoosh import index as whoosh_index

    folder = _plain_index(tmp_path)
    marker = tmp_path / "ran"
    ix = whoosh_index.open_dir(str(folder))
    toc = ix._read_toc()
    toc.schema["text"].planted = Planted(marker)
    whoosh_index.TOC(toc.schema, toc.segments, toc.generation + 1).write(ix.storage, ix.indexname)
    for call in (lambda: Archive(folder, create=False), lambda: Archive(folder).stats()):
        with pytest.raises(IndexStoreError, match=r"refused: .* holds a pickle of posix\.system"):
            call()
    assert not marker.exists(), "the planted pickle ran"


def test_a_pickle_planted_in_a_stored_field_is_refused(tmp_path: Path) -> None:
    from whoosh import index as whoosh_index

    folder = _plain_index(tmp_path)
    marker = tmp_path / "ran"
    writer = whoosh_index.open_dir(str(folder)).writer()
    writer.add_document(id="planted", file="x", line=1, digest="d", passage=Planted(marker))
    writer.commit()
    arc = Archive(folder, create=False)
    for call in (lambda: arc.get("planted"), lambda: list(arc)):
        with pytest.raises(IndexStoreError, match=r"refused: .* holds a pickle of posix\.system"):
            call()
    assert not marker.exists(), "the planted pickle ran"
    assert arc.get("a").text == "كتاب"  # what the format holds is still read


def test_an_old_table_of_contents_version_is_not_unpickled_without_limits(
    tmp_path: Path,
) -> None:
    """Whoosh reads older versions with an unrestricted unpickler: refused."""
    import struct

    folder = _plain_index(tmp_path)
    toc = max(folder.glob("_MAIN_*.toc"))
    data = bytearray(toc.read_bytes())
    at = data.index(struct.pack("<i", -111)) if struct.pack("<i", -111) in data else -1
    if at < 0:
        at = data.index(struct.pack(">i", -111))
        data[at : at + 4] = struct.pack(">i", -110)
    else:
        data[at : at + 4] = struct.pack("<i", -110)
    toc.write_bytes(bytes(data))
    with pytest.raises(IndexStoreError):
        Archive(folder, create=False)


# --- checksums of the Whoosh segments ---------------------------------------------


def _copy_with_byte_changed(folder: Path, into: Path, at_fraction: float) -> Path:
    import shutil

    shutil.copytree(folder, into)
    segment = sorted(into.glob("*.seg"))[0]
    data = bytearray(segment.read_bytes())
    data[int((len(data) - 1) * at_fraction)] ^= 0x01
    segment.write_bytes(bytes(data))
    return segment


def test_one_changed_bit_anywhere_in_a_whoosh_segment_is_refused(tmp_path: Path) -> None:
    """Whoosh's files carry no checksums: without the archive's, most changed
    bits read as other terms or other text, with no error."""
    folder = _index(tmp_path, "whoosh")
    wrong: list[tuple[float, str]] = []
    for step in range(16):
        fraction = step / 15
        copy = tmp_path / f"copy{step}"
        segment = _copy_with_byte_changed(folder, copy, fraction)
        said = "no error"
        try:
            arc = Archive(copy, create=False)
            [arc.get(f"p{i}").text for i in range(0, 300, 7)]
            [h.passage.text for h in arc.search("كتاب", limit=None)]
        except IndexStoreError as exc:
            said = str(exc)
            if exc.path == str(copy) and f"its file {segment.name} does not hold" in said:
                continue
        wrong.append((fraction, said))
    assert wrong == []


def test_every_segment_a_whoosh_commit_lists_has_its_checksums(tmp_path: Path) -> None:
    """Segments written by worker processes, and merged ones, are checked too."""
    arc = Archive(tmp_path / "ix")
    for n in range(3):
        records = [{"id": f"{n}-{i}", "text": f"{WORDS[i % 8]} {WORDS[n]}"} for i in range(400)]
        arc.ingest(write_jsonl(tmp_path / "in" / f"{n}.jsonl", records), workers=2)
    arc.close()
    folder = tmp_path / "ix"
    segments = sorted(folder.glob("*.seg"))
    assert segments
    for segment in segments:
        assert segment.with_suffix(".sums").is_file(), segment.name
    segment = _copy_with_byte_changed(folder, tmp_path / "copy", 0.5)
    with pytest.raises(IndexStoreError, match=rf"damaged: its file {segment.name} does not hold"):
        len(Archive(tmp_path / "copy", create=False).search("كتاب", limit=None))


def test_a_segment_written_without_checksums_is_still_read(tmp_path: Path) -> None:
    """A segment of an index written before the checksums (no ``.sums``) is
    read as before."""
    folder = _index(tmp_path, "whoosh")
    for sums in folder.glob("*.sums"):
        sums.unlink()
    arc = Archive(folder, create=False)
    assert len(arc) == 300
    assert arc.get("p5").text.startswith(WORDS[5])


def test_a_damaged_checksum_file_is_an_index_store_error(tmp_path: Path) -> None:
    folder = _index(tmp_path, "whoosh")
    sums = sorted(folder.glob("*.sums"))[0]
    sums.write_text("[1, 2", encoding="utf-8")
    with pytest.raises(IndexStoreError, match=rf"its file {sums.name} is not a checksum record"):
        Archive(folder, create=False).get("p1")
