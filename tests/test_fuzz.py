"""Every reader, fed malformed files: it ingests what is valid or raises InputError
naming the file, never another exception, and a failed ingest changes nothing."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive import Archive, InputError
from archive.readers import passages

SUFFIXES = [".txt", ".jsonl", ".csv", ".tsv", ".md", "-ara1"]

# Pieces of each format, broken up and glued back together at random.
PIECES = [
    b"# ",
    b"@caption: ",
    b"[10]",
    b'{"text": "',
    b'"}',
    b'{"id": 1, "text": "\xd9\x86\xd8\xb5"}\n',
    b"id,title,text\n",
    b'"',
    b",",
    b"\t",
    b"\n",
    b"\r\n",
    b"\r",
    b"\x00",
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    b"\xd9",
    b"\xd9\x86\xd8\xb5 \xd8\xb9\xd8\xb1\xd8\xa8\xd9\x8a",
    b"######OpenITI#\n",
    b"#META# key: value\n",
    b"### | ",
    b"~~",
    b"PageV01P001",
    b"ms01",
    b"%~%",
    b"```",
    b"## ",
    b"\\u0000",
    b"\\ud800",
    b"NaN",
    b"x" * 300,
]

files = st.lists(st.sampled_from(PIECES) | st.binary(max_size=20), max_size=40).map(b"".join)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(content=files, suffix=st.sampled_from(SUFFIXES))
def test_readers_take_malformed_files_or_name_them(content: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"0001Author.Book.Source{suffix}"
        path.write_bytes(content)
        error: InputError | None = None
        try:
            found = list(passages(path, path.name))
        except InputError as exc:
            error = exc
        if error is not None:
            assert error.path == str(path)
            return
        for _, passage in found:
            assert passage.text.strip()
            assert passage.id


@settings(max_examples=25, deadline=None)
@given(content=files, suffix=st.sampled_from(SUFFIXES))
def test_a_failed_ingest_of_a_malformed_file_changes_nothing(content: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "ok.jsonl").write_text('{"id": "keep", "text": "نص"}\n', encoding="utf-8")
        arc = Archive(root / "ix")
        arc.ingest(root / "ok.jsonl")
        before = sorted((p.name, p.read_bytes()) for p in (root / "ix").iterdir() if p.is_file())
        path = root / f"0001Author.Book.Source{suffix}"
        path.write_bytes(content)
        try:
            arc.ingest(path, workers=1)
        except InputError:
            after = sorted((p.name, p.read_bytes()) for p in (root / "ix").iterdir() if p.is_file())
            assert after == before
        assert arc.get("keep").text == "نص"
        arc.close()


def test_a_folder_of_images_and_binaries_is_skipped_with_their_names(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "scan.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    (folder / "a.out").write_bytes(b"\x7fELF" + bytes(200))
    (folder / "notes.txt").write_text("# عنوان\nنص\n", encoding="utf-8")
    report = Archive(tmp_path / "ix").ingest(folder)
    assert sorted(report.skipped) == ["a.out", "scan.png"]
    assert report.added == 1


@pytest.mark.skipif(not hasattr(Path, "chmod"), reason="needs file permissions")
def test_an_unreadable_file_is_named(tmp_path: Path) -> None:
    import os

    path = tmp_path / "secret.txt"
    path.write_text("نص", encoding="utf-8")
    path.chmod(0)
    try:
        if os.access(path, os.R_OK):
            pytest.skip("running as a user who can read any file")
        with pytest.raises(InputError, match=r"secret\.txt"):
            Archive(tmp_path / "ix").ingest(path)
    finally:
        path.chmod(0o644)
