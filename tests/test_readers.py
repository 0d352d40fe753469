"""The input formats: the .txt passage format and JSON Lines, and their errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from archive import InputError
from archive.readers import ReadOptions, find_files, passages
from archive.readers.text import split_citations


def read(path: Path) -> list[tuple[int, object]]:
    return list(passages(path, path.name))


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return path


# --- the .txt format ---------------------------------------------------------------

TXT = """# ستالين وإنقاذ لينين
@caption: فلاديمير لينين في فنلندا
@id: stalin-1
@era: 1917
أطلق سراح ستالين من المنفى.[10]

وعاد الى سانت بطرسبرغ.

# سقوط الحكومة المؤقتة
في ايلول/سبتمبر 1917 عين كيرينسكي[3] رئيس الحكومة.[11]
"""


def test_txt_headings_fields_body_and_citations(tmp_path: Path) -> None:
    (l1, first), (l2, second) = read(write(tmp_path, "a.txt", TXT))
    assert (l1, l2) == (1, 9)
    assert first.id == "stalin-1"
    assert first.title == "ستالين وإنقاذ لينين"
    assert first.caption == "فلاديمير لينين في فنلندا"
    assert first.text == "أطلق سراح ستالين من المنفى.\n\nوعاد الى سانت بطرسبرغ."
    assert first.citations == ("10",)
    assert first.metadata == {"era": "1917"}
    assert first.source == "a.txt"
    assert second.title == "سقوط الحكومة المؤقتة"
    assert second.text == "في ايلول/سبتمبر 1917 عين كيرينسكي رئيس الحكومة."
    assert second.citations == ("3", "11")
    assert second.id.startswith("a:")


def test_citation_between_two_words_keeps_them_apart() -> None:
    assert split_citations("كلمة[2]أخرى") == ("كلمة أخرى", ("2",))
    assert split_citations("نص [12] آخر") == ("نص آخر", ("12",))
    assert split_citations("نص [12]، آخر [1][2]") == ("نص، آخر", ("12", "1", "2"))
    # Brackets that are not a number are text.
    assert split_citations("[انظر] [2:255]") == ("[انظر] [2:255]", ())


def test_txt_without_heading_is_one_untitled_passage(tmp_path: Path) -> None:
    [(_, p)] = read(write(tmp_path, "plain.txt", "\n\nسطر أول\nسطر ثان\n\n"))
    assert p.title == ""
    assert p.text == "سطر أول\nسطر ثان"


def test_txt_escaped_heading_and_field_in_body(tmp_path: Path) -> None:
    [(_, p)] = read(write(tmp_path, "e.txt", "# عنوان\nنص\n\\# ليس عنوانا\n\\@caption: نص\n"))
    assert p.text == "نص\n# ليس عنوانا\n@caption: نص"
    assert p.caption == ""


def test_txt_field_line_after_body_is_body(tmp_path: Path) -> None:
    [(_, p)] = read(write(tmp_path, "f.txt", "# عنوان\nنص\n@note: هذا نص\n"))
    assert p.text == "نص\n@note: هذا نص"
    assert p.metadata == {}


def test_txt_heading_without_body_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "h.txt", "# أول\nنص\n\n# ثان\n\n# ثالث\nنص\n")
    with pytest.raises(InputError) as info:
        read(path)
    assert info.value.line == 4
    assert str(info.value) == f"{path}:4: passage 'ثان' has no text"


def test_txt_repeated_field(tmp_path: Path) -> None:
    path = write(tmp_path, "r.txt", "# أ\n@caption: ب\n@caption: ج\nنص\n")
    with pytest.raises(InputError, match=r"r\.txt:3: field @caption given twice"):
        read(path)


def test_crlf_and_bom(tmp_path: Path) -> None:
    path = write(tmp_path, "w.txt", b"\xef\xbb\xbf# \xd8\xa3\r\n\xd9\x86\xd8\xb5\r\n")
    [(_, p)] = read(path)
    assert (p.title, p.text) == ("أ", "نص")


def test_text_is_put_in_nfc(tmp_path: Path) -> None:
    [(_, p)] = read(write(tmp_path, "n.txt", "ا\u0654حمد"))
    assert p.text == "أحمد"


# --- errors common to the formats ------------------------------------------------


@pytest.mark.parametrize("name", ["bad.txt", "bad.jsonl"])
def test_invalid_utf8_names_line_and_byte(tmp_path: Path, name: str) -> None:
    line1 = '{"text": "نص"}\n' if name.endswith("jsonl") else "# أ\n"
    path = write(tmp_path, name, line1.encode() + b"ok \xff\xfe\n")
    with pytest.raises(InputError) as info:
        read(path)
    assert info.value.path == str(path)
    assert info.value.line == 2
    assert f"byte {len(line1.encode()) + 3}" in str(info.value)


def test_windows_1256_is_detected(tmp_path: Path) -> None:
    path = write(tmp_path, "legacy.txt", "# عنوان\nنص عربي قديم\r\n".encode("cp1256"))
    [(_, p)] = read(path)
    assert (p.title, p.text) == ("عنوان", "نص عربي قديم")


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_with_a_byte_order_mark(tmp_path: Path, codec: str) -> None:
    data = "# عنوان\r\nنص\r\n".encode(codec)
    if codec != "utf-16":  # the plain codec writes its own mark
        data = "\ufeff".encode(codec) + data
    [(_, p)] = read(write(tmp_path, "wide.txt", data))
    assert (p.title, p.text) == ("عنوان", "نص")


def test_utf8_arabic_with_bad_bytes_is_not_taken_for_windows_1256(tmp_path: Path) -> None:
    path = write(tmp_path, "broken.txt", "# عنوان\n".encode() + b"\xff\xfe\xfd\xfc\xfb\n")
    with pytest.raises(InputError, match=r"broken\.txt:2: not valid UTF-8 \(byte 13"):
        read(path)


def test_explicit_encoding(tmp_path: Path) -> None:
    path = write(tmp_path, "latin.jsonl", '{"text": "café"}\n'.encode("latin-1"))
    [(_, p)] = list(passages(path, path.name, ReadOptions(encoding="latin-1")))
    assert p.text == "café"
    with pytest.raises(InputError, match="unknown encoding 'klingon'"):
        list(passages(path, path.name, ReadOptions(encoding="klingon")))


def test_binary_file_names_the_byte(tmp_path: Path) -> None:
    path = write(tmp_path, "image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xd8")
    with pytest.raises(InputError, match=r"image\.txt:1: not valid UTF-8 \(byte 0 .*Windows-1256"):
        read(path)


@pytest.mark.parametrize("content", ["", "\n\n  \n"])
@pytest.mark.parametrize("name", ["empty.txt", "empty.jsonl"])
def test_empty_file(tmp_path: Path, name: str, content: str) -> None:
    path = write(tmp_path, name, content)
    with pytest.raises(InputError, match="empty file"):
        read(path)


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file or folder") as info:
        find_files(tmp_path / "nowhere")
    assert info.value.path == str(tmp_path / "nowhere")


def test_unsupported_single_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"unsupported file type '\.pdf'"):
        find_files(write(tmp_path, "book.pdf", b"%PDF"))


def test_folder_skips_other_files_and_hidden_ones(tmp_path: Path) -> None:
    write(tmp_path, "b.txt", "نص")
    (tmp_path / "sub").mkdir()
    write(tmp_path / "sub", "a.jsonl", '{"text": "نص"}')
    write(tmp_path, "image.png", b"\x89PNG")
    write(tmp_path, ".hidden.txt", "نص")
    files, skipped = find_files(tmp_path)
    assert [origin for _, origin in files] == ["b.txt", "sub/a.jsonl"]
    assert skipped == ["image.png"]


def test_symlink_loop_is_not_followed_forever(tmp_path: Path) -> None:
    write(tmp_path, "a.txt", "نص")
    (tmp_path / "loop").symlink_to(tmp_path, target_is_directory=True)
    files, _ = find_files(tmp_path)
    assert [origin for _, origin in files] == ["a.txt"]


# --- JSON Lines --------------------------------------------------------------------


def test_jsonl_fields_and_metadata(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "p.jsonl",
        '{"id": 7, "title": "عنوان", "text": "نص", "source": "كتاب", "book": "البخاري"}\n'
        "\n"
        '{"text": "نص آخر", "citations": ["3"]}\n',
    )
    (l1, a), (l2, b) = read(path)
    assert (l1, l2) == (1, 3)
    assert (a.id, a.title, a.source, a.metadata) == ("7", "عنوان", "كتاب", {"book": "البخاري"})
    assert b.source == "p.jsonl"
    assert b.citations == ("3",)
    assert b.id.startswith("p:")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"text": "نص"', "not valid JSON"),
        ('["نص"]', "expected a JSON object, got list"),
        ('{"title": "بلا نص"}', 'missing or empty "text"'),
        ('{"text": "   "}', 'missing or empty "text"'),
        ('{"text": 5}', 'missing or empty "text"'),
        ('{"text": "نص", "id": [1]}', '"id" must be a string or an integer'),
        ('{"text": "نص", "id": true}', '"id" must be a string or an integer'),
        ('{"text": "نص", "id": "  "}', '"id" is blank'),
        ('{"text": "نص", "title": 3}', '"title" must be a string'),
        ('{"text": "نص", "citations": "3"}', '"citations" must be a list of strings'),
    ],
)
def test_jsonl_bad_line_names_file_and_line(tmp_path: Path, line: str, message: str) -> None:
    path = write(tmp_path, "bad.jsonl", '{"text": "سطر سليم"}\n' + line + "\n")
    with pytest.raises(InputError) as info:
        read(path)
    assert info.value.line == 2
    assert str(info.value).startswith(f"{path}:2: ")
    assert message in str(info.value)


def test_generated_ids_are_stable_and_distinct(tmp_path: Path) -> None:
    path = write(tmp_path, "d.jsonl", '{"text": "نص"}\n{"text": "نص"}\n{"text": "آخر"}\n')
    ids = [p.id for _, p in read(path)]
    assert ids == [p.id for _, p in read(path)]
    assert len(set(ids)) == 3
    assert ids[1] == ids[0] + "-2"


# --- CSV and TSV -------------------------------------------------------------------


def test_csv_columns_and_metadata(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "books.csv",
        "id,title,text,book,volume,citations\n"
        'h1,باب,"قال رسول الله، ""إنما الأعمال""\nبالنيات",البخاري,1,3;4\n'
        ",,نص بلا عنوان,,,\n",
    )
    (l1, a), (l2, b) = read(path)
    assert (l1, l2) == (3, 4)
    assert a.id == "h1"
    assert a.text == 'قال رسول الله، "إنما الأعمال"\nبالنيات'
    assert a.metadata == {"book": "البخاري", "volume": "1"}
    assert a.citations == ("3", "4")
    assert (b.title, b.source, b.metadata) == ("", "books.csv", {})


def test_tsv_and_column_mapping(tmp_path: Path) -> None:
    path = write(tmp_path, "x.tsv", "heading\tbody\tnote\nعنوان\tنص، بفاصلة\tملاحظة\n")
    with pytest.raises(InputError, match=r"x\.tsv:1: no text column"):
        read(path)
    options = ReadOptions(columns={"text": "body", "title": "heading"})
    [(_, p)] = list(passages(path, path.name, options))
    assert (p.title, p.text, p.metadata) == ("عنوان", "نص، بفاصلة", {"note": "ملاحظة"})


def test_jsonl_key_mapping(tmp_path: Path) -> None:
    path = write(tmp_path, "m.jsonl", '{"matn": "نص", "kitab": "البخاري"}\n')
    [(_, p)] = list(passages(path, path.name, ReadOptions(columns={"text": "matn"})))
    assert (p.text, p.metadata) == ("نص", {"kitab": "البخاري"})
    with pytest.raises(InputError, match="cannot map a column to 'body'"):
        ReadOptions(columns={"body": "matn"})


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('text\n"نص غير مغلق\n', "broken CSV"),
        ("text,title\nنص,عنوان,زائد\n", "3 cells in a row under a header of 2"),
        ("text,title\n,عنوان\n", "a row without text"),
    ],
)
def test_bad_csv_names_file_and_line(tmp_path: Path, content: str, message: str) -> None:
    path = write(tmp_path, "bad.csv", content)
    with pytest.raises(InputError, match=rf"bad\.csv:\d+: {message}"):
        read(path)


# --- OpenITI mARkdown ---------------------------------------------------------------

MARKDOWN = (
    """\ufeff######OpenITI#

#META# bk: كتاب الفتنة
#META# authinf: """
    + "نص طويل " * 60
    + """
#META#Header#End#

# PageV00P000
### | الفتنة
### || مقتل عثمان
# يقول سيف بن عمر: كان سعيد بن العاص
~~لا يغشاه إلا نازلة أهل الكوفة PageV01P035
# ابن العاص قال ms01
### | الجمل
# عفت الديار محلها %~% فمقامها PageV01P036
# آخر فقرة ms02 PageV01P037
"""
)


def test_openiti_sections_pages_and_milestones(tmp_path: Path) -> None:
    path = write(tmp_path, "0200SayfIbnCumar.Fitna.Shamela0007536-ara1", MARKDOWN)
    found = read(path)
    assert [(line, p.caption) for line, p in found] == [
        (10, "مقتل عثمان"),
        (12, "مقتل عثمان"),
        (14, "الجمل"),
        (15, "الجمل"),
    ]
    assert all(p.title == "" for _, p in found)  # a heading is the caption
    first, second, third, fourth = (p for _, p in found)
    assert first.text == "يقول سيف بن عمر: كان سعيد بن العاص لا يغشاه إلا نازلة أهل الكوفة"
    assert first.metadata["section"] == "الفتنة / مقتل عثمان"
    assert first.metadata["level"] == 2
    assert (first.metadata["volume"], first.metadata["page"]) == (1, 35)
    assert (second.metadata["page"], second.metadata["milestone"]) == (36, 1)
    assert first.metadata["milestone"] == 1
    assert third.text == "عفت الديار محلها … فمقامها"
    assert (third.metadata["page"], fourth.metadata["page"]) == (36, 37)
    assert fourth.metadata["milestone"] == 2
    assert first.metadata["bk"] == "كتاب الفتنة"
    assert "authinf" not in first.metadata  # too long to copy into every passage
    assert first.metadata["book"] == "كتاب الفتنة"  # the header's title (bk)
    assert first.metadata["vers_uri"] == path.name
    assert (first.metadata["died_ah"], first.metadata["author_uri"]) == (200, "SayfIbnCumar")


def test_openiti_without_header_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "0001Author.Book.Source-ara1", "# نص بلا ترويسة\n")
    with pytest.raises(InputError, match=r"ara1:1: not an OpenITI text"):
        read(path)


def test_openiti_books_of_the_shared_corpus(tmp_path: Path) -> None:
    from tests.conftest import corpus

    folder = corpus("openiti/0200SayfIbnCumar.Fitna.Shamela0007536-ara1").parent
    files, skipped = find_files(folder)
    assert any(origin.endswith("-ara1") for _, origin in files)
    assert sorted(skipped) == sorted(p.name for p in folder.glob("*.yml"))
    sayf = [p for _, p in passages(folder / "0200SayfIbnCumar.Fitna.Shamela0007536-ara1", "sayf")]
    assert len(sayf) > 500
    assert all("PageV" not in p.text and not p.text.endswith(" ms01") for p in sayf)
    pages = [p.metadata["page"] for p in sayf]
    assert pages == sorted(pages)  # one volume, in order
    assert all(isinstance(p.metadata["milestone"], int) for p in sayf)


# --- Markdown ---------------------------------------------------------------------------


def test_markdown_headings_start_passages(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "book.md",
        "مقدمة بلا عنوان\n\n# الكتاب الأول\n## باب الصلاة\nنص الباب.\n\n```\n# ليس عنوانا\n```\n"
        "## باب الزكاة ##\nنص آخر\n",
    )
    found = read(path)
    assert [(line, p.title) for line, p in found] == [
        (1, ""),
        (4, "باب الصلاة"),
        (10, "باب الزكاة"),
    ]
    _, intro = found[0]
    assert intro.metadata == {}
    _, salat = found[1]
    assert salat.text == "نص الباب.\n\n```\n# ليس عنوانا\n```"
    assert salat.metadata == {"section": "الكتاب الأول / باب الصلاة", "level": 2}


def test_txt_passage_of_nothing_but_citation_markers(tmp_path: Path) -> None:
    """Found by tests/test_fuzz.py: it made a passage with empty text."""
    with pytest.raises(InputError, match=r"m\.txt:1: passage '' has no text"):
        read(write(tmp_path, "m.txt", "[10]\n"))
    with pytest.raises(InputError, match=r"m2\.txt:1: passage 'عنوان' has no text"):
        read(write(tmp_path, "m2.txt", "# عنوان\n[3][4]\n"))
