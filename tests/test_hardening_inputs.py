"""Issue 13, inputs: OpenITI metadata, yml and headings; what a folder ingest
takes; NUL bytes, UTF-16 without a BOM, ISO-8859-6 against Windows-1256."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from archive import Archive, InputError
from archive.readers import ReadOptions, find_files, passages
from archive.readers._lines import detect
from tests.conftest import corpus

NAME = "0200SayfIbnCumar.Fitna.Shamela0007536-ara1"

BOOK = """######OpenITI#

#META# 000.SortField	:: Shamela_0007536
#META# 010.AuthorNAME	:: سيف بن عمر
#META# 011.AuthorDIED	:: NODATA
#META# 020.BookTITLE	:: كتاب الفتنة
#META# 021.BookSUBJ	:: NOTGIVEN
#META# bk: كتاب قديم
#META#Header#End#

# PageV00P000
### | الفتنة الكبرى
### || مقتل عثمان بن عفان
# يقول سيف بن عمر كان سعيد بن العاص PageV01P035
# ابن العاص قال ms01
"""


def _read(path: Path):
    return [p for _, p in passages(path, path.name, ReadOptions())]


def _write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


# --- (i) OpenITI ----------------------------------------------------------------------


def test_i_meta_values_split_at_the_double_colon(tmp_path):
    first, _ = _read(_write(tmp_path, NAME, BOOK))
    assert first.metadata["010.AuthorNAME"] == "سيف بن عمر"
    assert first.metadata["020.BookTITLE"] == "كتاب الفتنة"
    assert first.metadata["000.SortField"] == "Shamela_0007536"
    assert first.metadata["bk"] == "كتاب قديم"  # a single colon still separates
    assert not any(str(v).startswith(":") for v in first.metadata.values())


def test_i_placeholders_are_not_copied(tmp_path):
    first, _ = _read(_write(tmp_path, NAME, BOOK))
    assert "011.AuthorDIED" not in first.metadata
    assert "021.BookSUBJ" not in first.metadata
    assert "NODATA" not in first.metadata.values()


def test_i_the_yml_beside_the_book_is_read(tmp_path):
    _write(tmp_path, NAME, BOOK)
    _write(
        tmp_path,
        "0200SayfIbnCumar.Fitna.yml",
        "00#BOOK#URI######: 0200SayfIbnCumar.Fitna\n"
        "10#BOOK#GENRES###: src@keyword\n"
        "20#BOOK#TITLEA#AR: Kitāb al-Ridda wa-l-futūḥ\n"
        "30#BOOK#WROTE#TO#: NODATA\n"
        "80#BOOK#COMMENT##: a comment\n"
        "    continued on a second line\n",
    )
    _write(
        tmp_path, NAME + ".yml", "00#VERS#URI######: 0200SayfIbnCumar.Fitna.Shamela0007536-ara1\n"
    )
    first, _ = _read(tmp_path / NAME)
    assert first.metadata["book_titlea_ar"] == "Kitāb al-Ridda wa-l-futūḥ"
    assert first.metadata["book_genres"] == "src@keyword"
    assert first.metadata["book_comment"] == "a comment continued on a second line"
    assert first.metadata["vers_uri"] == NAME
    assert "book_wrote_to" not in first.metadata


def test_i_headings_go_to_the_caption_not_the_title(tmp_path):
    first, second = _read(_write(tmp_path, NAME, BOOK))
    assert first.title == ""
    assert second.title == ""
    assert first.caption == "مقتل عثمان بن عفان"
    assert first.metadata["section"] == "الفتنة الكبرى / مقتل عثمان بن عفان"


def _patience(tmp_path: Path, last: str) -> Archive:
    """An archive of a book whose first section's heading holds "الصبر على البلاء"
    and whose five paragraphs do not; the paragraph of the second section is
    ``last``."""
    book = (
        "######OpenITI#\n#META#Header#End#\n"
        "### | باب الصبر على البلاء\n"
        + "".join(f"# فقرة رقم {i} في موضوع آخر\n" for i in range(5))
        + f"### | باب آخر\n# {last}\n"
    )
    (tmp_path / "in").mkdir()
    arc = Archive(tmp_path / "ix")
    arc.ingest(_write(tmp_path / "in", NAME, book))
    return arc


def test_i_a_phrase_only_in_a_heading_does_not_outrank_the_text(tmp_path):
    arc = _patience(tmp_path, "وفي الحديث الصبر على البلاء من الإيمان")
    res = arc.search('"الصبر على البلاء"', limit=None)
    assert res.hits[0].passage.text == "وفي الحديث الصبر على البلاء من الإيمان"
    assert all(h.score < res.hits[0].score for h in res.hits[1:])


def test_i_count_agrees_with_kwic_when_a_heading_matches(tmp_path):
    # Found by their heading alone, the five paragraphs hold no occurrence: count
    # leaves them out, as kwic does, though search finds them (ranked lower).
    arc = _patience(tmp_path, "وفي الحديث الصبر على البلاء من الإيمان والصبر نور")
    for query in ('"الصبر على البلاء"', "الصبر"):
        assert arc.search(query, limit=None).total == 6, query
        lines = list(arc.kwic(query))
        found = arc.count(query, by="section")
        assert found.passages == len({line.passage_id for line in lines}) == 1, query
        assert found.occurrences == len(lines) == (3 if query.startswith('"') else 2), query
        assert [(g.key, g.passages) for g in found.groups] == [("باب آخر", 1)], query


def test_i_count_agrees_with_kwic_on_a_real_book():
    # Sayf ibn Umar's Fitna: 86 paragraphs under the heading المعركة, 2 of them
    # holding the word; every passage counted holds an occurrence.
    book = corpus("openiti/" + NAME)
    arc = Archive(Path(tempfile.mkdtemp()) / "ix")
    try:
        arc.ingest(book)
        for query in ("المعركة", "الحصار", '"رؤوس الفتنة"', "عثمان", "البصرة"):
            lines = list(arc.kwic(query))
            found = arc.count(query, by="section")
            assert found.passages == len({line.passage_id for line in lines}), query
            assert found.occurrences == len(lines), query
            assert all(g.passages and g.occurrences >= g.passages for g in found.groups), query
        assert arc.search("المعركة", limit=None).total > 80
        assert arc.count("المعركة").passages < 10
    finally:
        arc.close()
        shutil.rmtree(arc.path.parent, ignore_errors=True)


def test_i_find_files_can_exclude(tmp_path):
    for name in ("a.txt", "SOURCES.txt", "README.md", "sub/b.txt"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        _write(tmp_path, name, "# عنوان\nنص\n")
    files, _ = find_files(tmp_path)
    assert sorted(o for _, o in files) == ["README.md", "SOURCES.txt", "a.txt", "sub/b.txt"]
    files, skipped = find_files(tmp_path, exclude=("SOURCES.txt", "README*", "sub/*"))
    assert [o for _, o in files] == ["a.txt"]
    assert {"SOURCES.txt", "README.md", "sub/b.txt"} <= set(skipped)


# --- (j) encodings ------------------------------------------------------------------


def test_j_nul_bytes_are_refused_naming_the_byte(tmp_path):
    before = "# عنوان\nنص".encode()
    path = _write(tmp_path, "n.txt", before + b"\x00" + "بعد".encode())
    with pytest.raises(InputError, match=rf"n\.txt.*NUL byte \(byte {len(before)} of the file"):
        _read(path)


def test_j_nul_bytes_after_the_sample_are_refused(tmp_path):
    body = ("# عنوان\n" + "نص طويل\n" * 10_000).encode() + b"x\x00y\n"
    with pytest.raises(InputError, match=r"NUL"):
        _read(_write(tmp_path, "late.txt", body))


def test_j_utf16_le_without_bom_is_detected(tmp_path):
    text = "# عنوان\nالعلم نور والجهل ظلام 1917\n"
    path = _write(tmp_path, "w.txt", text.encode("utf-16-le"))
    assert detect(path) == "utf-16-le"
    [p] = _read(path)
    assert p.text == "العلم نور والجهل ظلام 1917"
    assert "\x00" not in p.text
    big = _write(tmp_path, "b.txt", text.encode("utf-16-be"))
    assert detect(big) == "utf-16-be"


ARABIC = "# عنوان\nقال رسول الله صلى الله عليه وسلم إنما الأعمال بالنيات وإنما لكل امرئ ما نوى\n"


def test_j_iso_8859_6_is_not_ingested_as_windows_1256(tmp_path):
    path = _write(tmp_path, "iso.txt", ARABIC.encode("iso8859_6"))
    assert detect(path) == "iso8859-6"
    [p] = _read(path)
    assert p.text == ARABIC.splitlines()[1]


def test_j_ambiguous_high_bytes_are_refused(tmp_path):
    # Bytes where Windows-1256 gives Latin letters (è, é, ê, ç ...), and that are
    # not ISO-8859-6 either (0xFF is undefined there): refuse rather than guess.
    data = "# عنوان\n".encode() + bytes([0xC7, 0xE8, 0xE9, 0xEA, 0xE7, 0x20, 0xFF, 0xC8]) * 40
    with pytest.raises(InputError, match="--encoding"):
        detect(_write(tmp_path, "amb.txt", data))


def test_j_windows_1256_is_still_detected(tmp_path):
    path = _write(tmp_path, "w.txt", ARABIC.encode("cp1256"))
    assert detect(path) == "cp1256"
    [p] = _read(path)
    assert p.text == ARABIC.splitlines()[1]
