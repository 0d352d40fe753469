"""Adversarial tests: inputs chosen to break spelling folds, highlights, the query
parser, ingest, the command line and concurrent use.

Nineteen of them found bugs when they were written (a race between two ingests,
raw Whoosh errors from the parser, snippets crashing on long words, citation
markers gluing words, damaged indexes, CR-only files, closed pipes ...); each now
asserts the fixed behaviour.
"""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from archive import (
    Archive,
    ArchiveError,
    IndexStoreError,
    InputError,
    QueryError,
)
from archive.arabic import fold, strip_clitics, tokens
from archive.cli import main
from archive.engines.whoosh import store
from tests.conftest import ROOT, corpus, write_jsonl

MakeArchive = Callable[..., Archive]


def ids(arc: Archive, query: str, *, exact: bool = False) -> list[str]:
    return sorted(h.passage.id for h in arc.search(query, limit=None, exact=exact).hits)


def marked(arc: Archive, query: str, *, exact: bool = False) -> dict[str, list[str]]:
    """For each hit, the text under each highlight."""
    return {
        h.passage.id: [h.passage.text[s:e] for s, e in h.highlights]
        for h in arc.search(query, limit=None, exact=exact).hits
    }


def files_of(folder: Path) -> dict[str, tuple[int, int]]:
    return {
        p.name: (p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(folder.iterdir())
        if p.is_file()
    }


# --- 1. spelling variants ------------------------------------------------------------

# Each group: spellings the docs fold together. Every spelling is indexed as its own
# passage, and every spelling as a query must find exactly all of them.
VARIANT_GROUPS = {
    "persian": ["كتاب", "کتاب", "ﻛﺘﺎﺏ", "كِتَابٌ"],
    "persian_yeh": ["علي", "علی", "على", "ﻋﻠﻰ", "عَلَى"],
    "madda": ["آدم", "ادم", "ا\u0653دم", "ﺁﺩﻡ"],
    "hamza_below": ["إبراهيم", "ابراهيم", "ا\u0655براهيم", "ﺇﺑﺮﺍﻫﻴﻢ", "إبراهیم"],
    "wasla": ["ٱلحمد", "الحمد", "الْحَمْدُ", "ٱلۡحَمۡدُ"],
    "lam_alef": ["إلا", "الا", "إﻻ", "ﺇﻻ", "إِلَّا"],
    "allah_ligature": ["بالله", "بﷲ", "بِاللَّهِ"],
    "controls": [
        "حدثنا",
        "حد\u200dثنا",
        "حد\u200cثنا",
        "حد\u00adثنا",
        "حد\u2066ثنا",
        "حد\ufeffثنا",
        "حد\u061cثنا",
        "حد\u202bثنا",
    ],
    "digits": ["1917", "١٩١٧", "۱۹۱۷", "١٩17"],
    "latin": ["Lenin", "LENIN", "lenin"],
    "mixed_latin_digits": ["COVID-19", "covid-19", "Covid-١٩", "COVID-۱۹"],
    "quranic_marks": ["يؤمنون", "يُؤۡمِنُونَ", "يُؤْمِنُونَ", "يو\u0654منون"],
}


@pytest.mark.parametrize("group", list(VARIANT_GROUPS))
def test_every_spelling_finds_every_spelling(make_archive: MakeArchive, group: str) -> None:
    spellings = VARIANT_GROUPS[group]
    records = [{"id": f"v{i}", "text": f"بداية {s} نهاية"} for i, s in enumerate(spellings)]
    arc = make_archive(records)
    expected = sorted(r["id"] for r in records)
    for spelling in spellings:
        assert ids(arc, spelling) == expected, spelling


def test_decomposed_hamza_and_mark_order_match_in_exact_mode(make_archive: MakeArchive) -> None:
    arc = make_archive(
        [
            {"id": "ahmad", "text": "جاء أَحمد"},
            {"id": "shadda", "text": "حَدَّثَنَا سفيان"},
        ]
    )
    assert ids(arc, "ا\u0654\u064eحمد", exact=True) == ["ahmad"]
    # fatha then shadda, where the text has shadda then fatha
    assert ids(arc, "حَدَّثَنَا", exact=True) == ["shadda"]
    # Letters written without marks accept any marks (issue 3's exact mode).
    assert ids(arc, "حدثنا", exact=True) == ["shadda"]
    assert ids(arc, "حُدثنا", exact=True) == []


def test_plain_spelling_finds_uthmani_verses_with_dagger_alef(tmp_path: Path) -> None:
    wanted = {"1:2": "العالمين", "2:2": "الكتاب", "2:124": "إبراهيم"}
    with corpus("quran_kfgqpc_hafs.jsonl").open(encoding="utf-8") as handle:
        verses = [r for r in map(json.loads, handle) if r["id"] in wanted]
    arc = Archive(tmp_path / "ix")
    arc.ingest(write_jsonl(tmp_path / "hafs.jsonl", verses))
    for verse, word in wanted.items():
        assert verse in ids(arc, word), word


# --- 2. highlights and snippets --------------------------------------------------------

HIGHLIGHTS = [
    # (text, query, exact, the text under each highlight)
    (
        "😀🎉𝕏 قال لينين: «الحكومة المؤقتة» سقطت.",
        '"الحكومة المؤقتة"',
        False,
        ["الحكومة", "المؤقتة"],
    ),
    ("😀𝕏 لينين، لينين؛ (لينين).", "لينين", False, ["لينين", "لينين", "لينين"]),
    ("عن النبي ﷺ أنه قال", '"النبي صلى الله"', False, ["النبي", "ﷺ"]),
    ("قال النبيﷺ: ﻻ إله إﻻ الله", "إلا", False, ["إﻻ"]),
    ("𝕏 ﷽ قل هو الله أحد", '"الرحمن الرحيم"', False, ["﷽"]),
    ("حَدَّثَنَا\u200f سُفْيَانُ\u200f، قَالَ", "سفيان", False, ["سُفْيَانُ"]),
    ("وَقَالَ رَسُولُ اللَّهِ", "اللَّ*", True, ["اللَّهِ"]),
    ("وَقَالَ رَسُولُ اللَّهِ", "رس*", False, ["رَسُولُ"]),
    ("في عام ١٩١٧م حدثت الثورة", "1917", False, ["١٩١٧"]),
    ("مـــحـــمـــد رسول", "محمد", False, ["مـــحـــمـــد"]),
    ("الكِتَابُ «الكتاب» (الكتـاب)", "الكتاب", False, ["الكِتَابُ", "الكتاب", "الكتـاب"]),
    ("قَالَ: وَضَعَ الكِتَابَ", "الكِتَابَ", True, ["الكِتَابَ"]),
    ("جاء ا\u0654حمد مبكرا", "احمد", False, ["أحمد"]),  # stored in NFC
    ("Lenin قال LENIN", "lenin", False, ["Lenin", "LENIN"]),
    ("لينين NOT ستالين", "لينين NOT ستالين", False, []),  # NOT excludes the passage
]


@pytest.mark.parametrize(("text", "query", "exact", "expected"), HIGHLIGHTS)
def test_highlights_cover_the_words_as_written(
    make_archive: MakeArchive, text: str, query: str, exact: bool, expected: list[str]
) -> None:
    arc = make_archive([{"id": "p", "text": text}])
    results = arc.search(query, exact=exact)
    if not expected:
        assert results.total == 0
        return
    [hit] = results.hits
    assert [hit.passage.text[s:e] for s, e in hit.highlights] == expected
    for word in expected:
        assert f"**{word}**" in hit.snippet


def test_highlight_and_snippet_at_the_end_of_a_very_long_passage(
    make_archive: MakeArchive,
) -> None:
    filler = " ".join(["كلامٌ", "😀", "في", "الحكومة"] * 5000)
    text = f"{filler} ثم عاد ستالين."
    arc = make_archive([{"id": "long", "text": text}])
    [hit] = arc.search("ستالين").hits
    [(start, end)] = hit.highlights
    assert text[start:end] == "ستالين"
    snippet = hit.snippet
    assert snippet.startswith("…")
    assert snippet.endswith("**ستالين**.")


def test_snippet_never_cuts_a_word(make_archive: MakeArchive) -> None:
    words = ["الكِتَابُ", "لينين،", "😀", "ﷺ", "مـــحمد", "١٩١٧م", "«الحكومة»", "و"]
    text = " ".join(words[(i * 7) % len(words)] for i in range(400)) + " ستالين"
    arc = make_archive([{"id": "p", "text": text}])
    [hit] = arc.search("ستالين OR لينين").hits
    whole = set(text.split())
    for width in (10, 40, 100, 200, 500):
        body = hit.excerpt(width=width, before="", after="").strip("…")
        assert body in text
        assert set(body.split()) <= whole, width


def test_snippet_of_a_match_longer_than_the_width(make_archive: MakeArchive) -> None:
    stretched = "م" + "ـ" * 250 + "حمد"  # kashida-stretched, as in headings
    arc = make_archive([{"id": "p", "text": f"قال {stretched} رسول الله"}])
    [hit] = arc.search("محمد").hits
    assert hit.passage.text[slice(*hit.highlights[0])] == stretched
    assert f"**{stretched}**" in hit.snippet


def test_excerpt_narrower_than_the_matched_word(make_archive: MakeArchive) -> None:
    arc = make_archive([{"id": "p", "text": "هرب لينين، ثم عاد لينين مع ستالين."}])
    [hit] = arc.search("لينين").hits
    assert "**لينين**" in hit.excerpt(width=3)


def test_sloppy_phrase_is_highlighted(make_archive: MakeArchive) -> None:
    arc = make_archive([{"id": "p", "text": "هرب لينين، ثم عاد مع ستالين."}])
    [hit] = arc.search('"لينين ستالين"~5').hits
    assert [hit.passage.text[s:e] for s, e in hit.highlights] == ["لينين", "ستالين"]


# --- 3. query syntax -------------------------------------------------------------------

QUERY_ARC = [
    {"id": "kitab", "title": "الكتاب", "text": "قَالَ: وَضَعَ الكِتَابَ عَلَى الطَّاوِلَةِ."},
    {"id": "lenin", "title": "سقوط الحكومة", "text": "هرب لينين، ثم عاد لينين مع ستالين."},
    {"id": "prophet", "text": "قال النبي ﷺ: إنما الأعمال بالنيات."},
]

ODD_QUERIES = [
    '"',
    '"""',
    "(",
    ")",
    "((لينين",
    "لينين))",
    "OR",
    "NOT",
    "AND",
    "لينين OR",
    "OR لينين",
    "لينين NOT",
    "NOT لينين",
    "AND OR NOT",
    "*",
    "**",
    "*:*",
    "title:",
    "title:*",
    "title:(",
    "title::لينين",
    ":",
    ":لينين",
    "لينين:",
    "foo:لينين",
    "[a TO b]",
    "[ TO ]",
    "{ TO }",
    "[لينين TO]",
    "[١٩١٠ TO ١٩٢٠]",
    "^2",
    "^",
    "لينين^",
    "لينين^0",
    "~",
    '"لينين"~',
    '"لينين"~x',
    "\\",
    "+لينين",
    "-لينين",
    "ـ*",
    "*لين",
    "؟",
    "title:؟",
    "،؛!؟«»",
    "\u064e\u0651\u0652",
    "\u0670\u06e1",
    "\x00",
    "لين\x00ين",
    "\x00لينين\x00",
    "\u200f",
    "\u200fلينين\u200f",
    "\u202eلينين\u202c",
    "\ud800",
    "😀",
    "😀لينين",
    "ﷺ*",
    '"ﷺ"~2',
    "caption:ﷺ",
    "لينين " * 3000,
    " OR ".join(["لينين"] * 1000),
    "(" * 150 + "لينين" + ")" * 150,
]


@pytest.fixture(scope="module")
def query_arc(tmp_path_factory: pytest.TempPathFactory) -> Archive:
    folder = tmp_path_factory.mktemp("queries")
    arc = Archive(folder / "ix")
    arc.ingest(write_jsonl(folder / "p.jsonl", QUERY_ARC))
    return arc


def _search_or_query_error(arc: Archive, query: str, exact: bool) -> None:
    """Search; a QueryError is fine, any other exception is a bug."""
    try:
        results = arc.search(query, limit=None, exact=exact)
    except QueryError:
        return
    for hit in results.hits:
        assert hit.snippet
        assert all(0 <= s < e <= len(hit.passage.text) for s, e in hit.highlights)


@pytest.mark.parametrize("exact", [False, True])
@pytest.mark.parametrize("query", ODD_QUERIES, ids=[repr(q[:20]) for q in ODD_QUERIES])
def test_odd_queries_give_results_or_query_error(
    query_arc: Archive, query: str, exact: bool
) -> None:
    _search_or_query_error(query_arc, query, exact)


@pytest.mark.parametrize("exact", [False, True])
@pytest.mark.parametrize("query", ["NOT NOT لينين", "NOT OR لينين", "NOT ANDMAYBE لينين"])
def test_not_before_an_operator_is_a_query_error(
    query_arc: Archive, query: str, exact: bool
) -> None:
    _search_or_query_error(query_arc, query, exact)


def test_deeply_nested_groups_are_a_query_error(query_arc: Archive) -> None:
    _search_or_query_error(query_arc, "(" * 1500 + "لينين" + ")" * 1500, False)


def test_a_very_long_word_is_parsed_in_linear_time(query_arc: Archive) -> None:
    started = time.perf_counter()
    _search_or_query_error(query_arc, "ب" * 12_000, False)
    assert time.perf_counter() - started < 0.5


def test_a_pasted_paragraph_query_is_fast(query_arc: Archive) -> None:
    started = time.perf_counter()
    assert query_arc.search("قال لينين " * 1500).total == 0
    assert time.perf_counter() - started < 3


@pytest.mark.parametrize(
    "kwargs", [{"limit": "10"}, {"limit": 2.5}, {"page": "1"}, {"page": 1.5}], ids=repr
)
def test_non_integer_limit_or_page_is_a_query_error(
    query_arc: Archive, kwargs: dict[str, Any]
) -> None:
    with pytest.raises(QueryError):
        query_arc.search("لينين", **kwargs)


# --- 4. ingest -------------------------------------------------------------------------

BAD_JSONL = [
    pytest.param("[1, 2]", id="not-an-object"),
    pytest.param('{"text": "نص"} {"text": "نص"}', id="two-objects"),
    pytest.param('{"text": "نص", "id": true}', id="bool-id"),
    pytest.param('{"text": "نص", "citations": "1"}', id="citations-string"),
    pytest.param(
        '{"text": "نص \\ud800 مكسور"}',
        id="lone-surrogate-text",
    ),
    pytest.param(
        '{"text": "نص", "راوي": "\\udc00"}',
        id="lone-surrogate-metadata",
    ),
    pytest.param(
        '{"text": "نص", "n": ' + "9" * 5000 + "}",
        id="huge-integer",
    ),
    pytest.param(
        '{"text": "نص", "n": ' + "[" * 100_000 + "]" * 100_000 + "}",
        id="deep-nesting",
    ),
]


@pytest.mark.parametrize("line", BAD_JSONL)
def test_malformed_jsonl_is_an_input_error_naming_file_and_line(tmp_path: Path, line: str) -> None:
    path = tmp_path / "in" / "bad.jsonl"
    path.parent.mkdir()
    path.write_text('{"id": "ok", "text": "سطر سليم"}\n' + line + "\n", encoding="utf-8")
    arc = Archive(tmp_path / "ix")
    with pytest.raises(InputError, match=r"bad\.jsonl:2: "):
        arc.ingest(path)
    assert len(arc) == 0


def test_nul_bytes_are_kept_and_separate_words(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    write_jsonl(folder / "a.jsonl", [{"id": "j", "text": "لينين\u0000ستالين"}])
    arc = Archive(tmp_path / "ix")
    arc.ingest(folder)
    assert arc.get("j").text == "لينين\x00ستالين"  # an escaped NUL in JSON is text
    assert ids(arc, "ستالين") == ["j"]
    # a raw NUL byte in a file is refused (issue 13), naming the file and the byte
    (folder / "b.txt").write_text("# عنوان\n@id: t\nتروتسكي\x00كيرنسكي\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"b\.txt:3: a NUL byte \(byte 34 of the file"):
        arc.ingest(folder)


def test_nested_metadata_round_trips_and_reingest_is_unchanged(tmp_path: Path) -> None:
    meta = {"كتاب": {"جزء": [1, 2, {"صفحة": None}]}, "n": 1.5, "flag": False, "": "فارغ"}
    path = write_jsonl(tmp_path / "in" / "p.jsonl", [{"id": "m", "text": "نص", **meta}])
    arc = Archive(tmp_path / "ix")
    arc.ingest(path)
    assert arc.get("m").metadata == meta
    before = files_of(tmp_path / "ix")
    report = Archive(tmp_path / "ix").ingest(tmp_path / "in")  # another instance
    assert (report.added, report.updated, report.unchanged) == (0, 0, 1)
    assert files_of(tmp_path / "ix") == before


@pytest.mark.parametrize(
    "passage_id", ["a b", "كتاب:١", "الكِتَاب", "😀", "title:x", "*", "ﷺ", "x" * 5000]
)
def test_unusual_ids_are_retrievable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], passage_id: str
) -> None:
    path = write_jsonl(tmp_path / "p.jsonl", [{"id": passage_id, "text": "نص المقطع"}])
    arc = Archive(tmp_path / "ix")
    arc.ingest(path)
    assert arc.get(passage_id).id == passage_id
    assert passage_id in arc
    assert main(["show", passage_id, "--index", str(tmp_path / "ix"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["id"] == passage_id


def test_duplicate_id_across_txt_and_jsonl_fails_and_keeps_the_index(tmp_path: Path) -> None:
    arc = Archive(tmp_path / "ix")
    arc.ingest(write_jsonl(tmp_path / "old.jsonl", [{"id": "س", "text": "قديم"}]))
    before = files_of(tmp_path / "ix")
    folder = tmp_path / "in"
    write_jsonl(folder / "a.jsonl", [{"id": "س", "text": "جديد"}])
    (folder / "b.txt").write_text("# عنوان\n@id: س\nنص آخر\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"b\.txt:1: id 'س' given twice \(first at .*a\.jsonl:1\)"):
        arc.ingest(folder)
    assert files_of(tmp_path / "ix") == before
    assert arc.get("س").text == "قديم"
    assert ids(arc, "جديد") == []


def test_failed_update_leaves_old_text_searchable_everywhere(tmp_path: Path) -> None:
    arc = Archive(tmp_path / "ix")
    arc.ingest(write_jsonl(tmp_path / "v1" / "p.jsonl", [{"id": "p", "text": "ستالين قديم"}]))
    other = Archive(tmp_path / "ix", create=False)
    assert ids(other, "ستالين") == ["p"]
    before = files_of(tmp_path / "ix")
    folder = tmp_path / "v2"
    write_jsonl(folder / "a.jsonl", [{"id": "p", "text": "لينين جديد"}])
    (folder / "b.jsonl").write_text('{"text": "سليم"}\n{"text": 5}\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"b\.jsonl:2: "):
        arc.ingest(folder)
    assert files_of(tmp_path / "ix") == before
    for a in (arc, other, Archive(tmp_path / "ix", create=False)):
        assert ids(a, "ستالين") == ["p"]
        assert ids(a, "لينين") == []
        assert len(a) == 1


def test_txt_update_by_id_replaces_old_words(tmp_path: Path) -> None:
    path = tmp_path / "in" / "a.txt"
    path.parent.mkdir()
    path.write_text("# الثورة\n@id: rev\nأطلق سراح ستالين من المنفى.[10]\n", encoding="utf-8")
    arc = Archive(tmp_path / "ix")
    arc.ingest(path.parent)
    path.write_text("# الثورة\n@id: rev\nأطلق سراح ستالين من السجن.[10]\n", encoding="utf-8")
    report = arc.ingest(path.parent)
    assert (report.added, report.updated, report.unchanged) == (0, 1, 0)
    assert ids(arc, "السجن") == ["rev"]
    assert ids(arc, "المنفى") == []
    assert len(arc) == 1


def test_editing_a_passage_without_id_replaces_it(tmp_path: Path) -> None:
    path = tmp_path / "in" / "a.txt"
    path.parent.mkdir()
    path.write_text("# الثورة\nأطلق سراح ستالين من المنفى.\n", encoding="utf-8")
    arc = Archive(tmp_path / "ix")
    arc.ingest(path.parent)
    path.write_text("# الثورة\nأطلق سراح ستالين من السجن.\n", encoding="utf-8")
    arc.ingest(path.parent)
    assert ids(arc, "المنفى") == []
    assert len(arc) == 1


@pytest.mark.parametrize(
    ("body", "word"),
    [
        pytest.param("هرب لينين[1]ستالين", "ستالين", id="one-marker"),
        pytest.param("هرب لينين.[1] ستالين", "ستالين", id="marker-after-dot"),
        pytest.param(
            "هرب لينين[1][2]ستالين",
            "ستالين",
            id="two-markers",
        ),
        pytest.param(
            "هرب لينين [1][2]ستالين",
            "ستالين",
            id="space-eaten",
        ),
        pytest.param(
            "قَالَ الكِتَابُ[3]وَالقَلَمُ",
            "والقلم",
            id="vocalised",
        ),
    ],
)
def test_citation_markers_never_glue_two_words(tmp_path: Path, body: str, word: str) -> None:
    path = tmp_path / "a.txt"
    path.write_text(f"# عنوان\n@id: c\n{body}\n", encoding="utf-8")
    arc = Archive(tmp_path / "ix")
    arc.ingest(path)
    assert ids(arc, word) == ["c"]
    assert "[" not in arc.get("c").text


def test_bom_at_the_start_of_a_later_jsonl_line_is_dropped(tmp_path: Path) -> None:
    path = tmp_path / "joined.jsonl"
    path.write_text('{"id": "a", "text": "نص"}\n\ufeff{"id": "b", "text": "نص ثان"}\n', "utf-8")
    arc = Archive(tmp_path / "ix")
    arc.ingest(path)
    assert sorted(p.id for p in arc) == ["a", "b"]


def test_bom_before_a_later_heading(tmp_path: Path) -> None:
    path = tmp_path / "joined.txt"
    path.write_text("\ufeff# ستالين\nنص أول\n\ufeff# لينين\nنص ثان\n", encoding="utf-8")
    arc = Archive(tmp_path / "ix")
    try:
        arc.ingest(path)
    except InputError:
        return  # refusing it, naming the line, is fine too
    assert sorted(p.title for p in arc) == ["ستالين", "لينين"]


@pytest.mark.parametrize(
    "content",
    [
        pytest.param("# ستالين\rنص أول\r# لينين\rنص ثان\r", id="heading-first"),
        pytest.param(
            "مقدمة\r# لينين\rنص ثان\r",
            id="body-first",
        ),
    ],
)
def test_cr_only_line_ends_are_refused_or_split(tmp_path: Path, content: str) -> None:
    path = tmp_path / "mac.txt"
    path.write_bytes(content.encode("utf-8"))
    arc = Archive(tmp_path / "ix")
    try:
        arc.ingest(path)
    except InputError:
        return
    assert all("#" not in p.text for p in arc)


def test_huge_single_line_passage(tmp_path: Path) -> None:
    line = " ".join(["كلمةٌ", "أُخرى"] * 60_000) + " ستالين"
    path = tmp_path / "big.txt"
    path.write_text(f"# كبير\n@id: big\n{line}\n", encoding="utf-8")
    arc = Archive(tmp_path / "ix")
    arc.ingest(path)
    [hit] = arc.search("ستالين").hits
    assert hit.snippet.endswith("**ستالين**")
    assert arc.search("اخري").total == 1


def _open_failure(path: Path) -> tuple[type[BaseException], str] | None:
    """Open the index; return the exception's type and message, with its files closed."""
    failure = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        try:
            Archive(path, create=False).close()
        except Exception as exc:
            failure = (type(exc), str(exc))
        gc.collect()
    return failure


@pytest.mark.parametrize("damage", [b"", b"garbage" * 10], ids=["empty", "garbage"])
def test_damaged_index_is_an_index_store_error(tmp_path: Path, damage: bytes) -> None:
    arc = Archive(tmp_path / "ix")
    arc.ingest(write_jsonl(tmp_path / "p.jsonl", [{"text": "نص"}]))
    arc.close()
    next((tmp_path / "ix").glob("_MAIN_*.toc")).write_bytes(damage)
    failure = _open_failure(tmp_path / "ix")
    assert failure is not None
    kind, message = failure
    assert issubclass(kind, IndexStoreError), (kind, message)
    assert str(tmp_path / "ix") in message


# --- 5. command line --------------------------------------------------------------------


@pytest.fixture
def cli_index(tmp_path: Path) -> Path:
    records = [
        {"id": "أ ب", "title": "ستالين", "text": "هرب لينين، ثم عاد «لينين» مع ستالين."},
        {"id": "2", "text": "قال النبي ﷺ: إنما الأعمال بالنيات."},
    ]
    folder = tmp_path / "ix"
    assert (
        main(["ingest", str(write_jsonl(tmp_path / "p.jsonl", records)), "--index", str(folder)])
        == 0
    )
    return folder


def test_cli_search_json_is_valid_unescaped_and_offsets_fit(
    cli_index: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["search", "لينين OR الله", "--index", str(cli_index), "--json"]) == 0
    raw = capsys.readouterr().out
    assert "لينين" in raw
    assert "\\u0" not in raw
    data = json.loads(raw)
    assert data["total"] == 2
    for hit in data["hits"]:
        assert main(["show", hit["id"], "--index", str(cli_index), "--json"]) == 0
        text = json.loads(capsys.readouterr().out)["text"]
        spans = [text[s:e] for s, e in hit["highlights"]]
        assert spans
        assert all(f"**{w}**" in hit["snippet"] for w in spans)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["search", "\u200f\u200f"], "the query has no searchable word"),
        (["search", "،؛؟"], "the query has no searchable word"),
        (["search", '"'], 'the " at character 1 is never closed'),
        (["show", "غير موجود"], "no passage with id 'غير موجود'"),
        (["search", "لينين", "--exact", "--page", "1"], None),
    ],
)
def test_cli_exit_codes(
    cli_index: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str | None
) -> None:
    capsys.readouterr()
    code = main([*argv, "--index", str(cli_index)])
    captured = capsys.readouterr()
    if message is None:
        assert code == 0
        assert captured.err == ""
        return
    assert code == 1
    assert captured.err.startswith(f"archive: error: {message}")
    assert captured.err.count("\n") == 1


@pytest.mark.parametrize(
    "argv",
    [
        ["search", "لينين", "--page", "0"],
        ["search", "لينين", "--limit", "-1"],
        ["search", "لينين", "--page", "x"],
        ["show"],
        ["ingest"],
        ["search", "لينين", "--fuzzy"],
    ],
)
def test_cli_usage_errors_exit_2(
    cli_index: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    capsys.readouterr()
    with pytest.raises(SystemExit) as info:
        main([*argv, "--index", str(cli_index)])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "usage:" in err
    assert "Traceback" not in err


def test_cli_not_not_is_a_user_error(cli_index: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["search", "NOT NOT لينين", "--index", str(cli_index)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("archive: error: ")
    assert err.count("\n") == 1


def test_cli_search_of_a_stretched_word(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_jsonl(tmp_path / "p.jsonl", [{"text": "قال م" + "ـ" * 300 + "حمد رسول"}])
    assert main(["ingest", str(path), "--index", str(tmp_path / "ix")]) == 0
    capsys.readouterr()
    assert main(["search", "محمد", "--index", str(tmp_path / "ix"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["total"] == 1


def _reject_constant(name: str) -> None:
    raise ValueError(f"not JSON: {name}")


def test_cli_show_json_is_strict_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "p.jsonl"
    path.write_text('{"id": "n", "text": "نص", "x": NaN, "y": -Infinity}\n', encoding="utf-8")
    if main(["ingest", str(path), "--index", str(tmp_path / "ix")]) == 1:
        return  # refusing non-standard JSON at ingest is fine too
    capsys.readouterr()
    assert main(["show", "n", "--index", str(tmp_path / "ix"), "--json"]) == 0
    json.loads(capsys.readouterr().out, parse_constant=_reject_constant)


def test_cli_into_a_closed_pipe_prints_no_traceback(tmp_path: Path) -> None:
    arc = Archive(tmp_path / "ix")
    records = [{"id": f"p{i}", "text": "لينين " * 60} for i in range(600)]
    arc.ingest(write_jsonl(tmp_path / "p.jsonl", records))
    arc.close()
    argv = [sys.executable, "-m", "archive", "search", "لينين", "--limit", "600"]
    with subprocess.Popen(
        [*argv, "--index", str(tmp_path / "ix")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    ) as proc:
        assert proc.stdout is not None
        assert proc.stderr is not None
        proc.stdout.readline()
        proc.stdout.close()
        err = proc.stderr.read().decode("utf-8", "replace")
        proc.wait(timeout=60)
    assert "Traceback" not in err
    assert "BrokenPipeError" not in err


# --- 6. concurrency ----------------------------------------------------------------------


def test_shared_archive_searches_while_another_instance_ingests(tmp_path: Path) -> None:
    base = write_jsonl(tmp_path / "in" / "base.jsonl", [{"id": "base", "text": "لينين"}])
    reader = Archive(tmp_path / "ix")
    reader.ingest(base)
    writer = Archive(tmp_path / "ix")
    errors: list[BaseException] = []
    seen: list[list[int]] = [[] for _ in range(4)]
    done = threading.Event()

    def search(mine: list[int]) -> None:
        while not done.is_set():
            try:
                results = reader.search("لينين", limit=None)
                found = [h.passage.id for h in results.hits]
                assert len(found) == len(set(found)) == results.total
                assert all(h.snippet for h in results.hits)
                mine.append(results.total)
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)
                return

    threads = [threading.Thread(target=search, args=(s,)) for s in seen]
    for t in threads:
        t.start()
    try:
        for batch in range(15):
            records = [{"id": f"{batch}-{j}", "text": f"لينين {batch}"} for j in range(3)]
            writer.ingest(write_jsonl(tmp_path / "in" / f"b{batch}.jsonl", records))
            write_jsonl(base, [{"id": "base", "text": f"لينين مرة {batch}"}])
            writer.ingest(base)  # an update: a delete and an add
    finally:
        done.set()
        for t in threads:
            t.join()
    assert errors == []
    for totals in seen:
        assert totals == sorted(totals)  # never goes back to an older state
        assert set(totals) <= {1 + 3 * n for n in range(16)}
    assert reader.search("لينين").total == 46


def test_two_writers_ingesting_the_same_passage_keep_one_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_jsonl(tmp_path / "p.jsonl", [{"id": "p1", "text": "نص عن لينين"}])
    first = Archive(tmp_path / "ix")
    second = Archive(tmp_path / "ix")
    real_writer = store.writer

    def racing_writer(ix: Any, folder: Path, **options: Any) -> Any:
        # While `first` read its input, another process ingested the same file.
        monkeypatch.setattr(store, "writer", real_writer)
        second.ingest(path)
        return real_writer(ix, folder, **options)

    monkeypatch.setattr(store, "writer", racing_writer)
    first.ingest(path)
    assert len(first) == 1
    assert ids(first, "لينين") == ["p1"]


def test_stats_while_another_writer_removes_a_segment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    arc = Archive(tmp_path / "ix")
    arc.ingest(write_jsonl(tmp_path / "p.jsonl", [{"text": "نص"}]))
    doomed = tmp_path / "ix" / "MAIN_merged.seg"
    doomed.write_bytes(b"old segment")
    real_is_file = Path.is_file

    def is_file(self: Path) -> bool:
        result = real_is_file(self)
        if result and self == doomed:
            self.unlink()  # another process's merge removes it right now
        return result

    monkeypatch.setattr(Path, "is_file", is_file)
    try:
        figures = arc.stats()
    except ArchiveError:
        return  # a clear archive error would do too
    assert figures["passages"] == 1


# --- real text -------------------------------------------------------------------------


def test_plain_spelling_finds_vocalised_hadith_words(tmp_path: Path) -> None:
    """Each hadith is found by a word of it typed without marks, and highlighted as written."""
    from pyarabic import araby

    with corpus("hadith_bukhari_muslim.jsonl").open(encoding="utf-8") as handle:
        records = [json.loads(next(handle)) for _ in range(60)]
    arc = Archive(tmp_path / "ix")
    arc.ingest(write_jsonl(tmp_path / "h.jsonl", records))
    for record in records[::6]:
        words = [w for _, _, w in tokens(record["text"]) if len(fold(w)) >= 5]
        plain = araby.strip_tashkeel(words[len(words) // 2]).replace("\u200f", "")
        hits = {h.passage.id: h for h in arc.search(plain, limit=None).hits}
        assert record["id"] in hits, plain
        hit = hits[record["id"]]
        # Every highlighted word is the word, or the word with clitics (a stem match).
        under = {strip_clitics(fold(hit.passage.text[s:e])) for s, e in hit.highlights}
        assert under == {strip_clitics(fold(plain))}
