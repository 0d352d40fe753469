"""Citations and reading in context (issue 14): every hit's citation as data and
as text in two styles, in the API, the CLI and exports; ``Archive.context`` and
``archive show --context``; what an OpenITI book's URI and header say of it."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from archive import Archive, Citation, Context, Passage, PassageNotFoundError, QueryError
from archive.cli import main
from archive.core import MAX_CONTEXT
from archive.readers import passages
from archive.readers.openiti import describe
from tests.conftest import DATA, corpus, write_jsonl

OPENITI = DATA / "openiti"
JAHIZ = "0255Jahiz.Hayawan.Shamela0001234-ara1"
TABARI = "0310Tabari.Tarikh.Shamela0000009-ara1"


# --- the Citation value -----------------------------------------------------------


def test_citation_styles_of_a_book_with_author_and_page() -> None:
    passage = Passage(
        id="h:1",
        text="الكلب يحرس الدار",
        title="باب وفاء الكلب",
        source="hayawan.jsonl",
        metadata={"book": "الحيوان", "author": "الجاحظ", "died_ah": 255, "volume": 1, "page": 23},
    )
    cite = passage.cite
    assert cite == Citation(
        book="الحيوان",
        author="الجاحظ",
        died_ah=255,
        volume=1,
        page=23,
        section="باب وفاء الكلب",
        source="hayawan.jsonl",
        passage_id="h:1",
    )
    assert cite.short == "الحيوان، باب وفاء الكلب، 1/23"
    assert cite.full == "الجاحظ (d. 255 AH)، الحيوان، باب وفاء الكلب، vol. 1, p. 23"
    assert str(cite) == passage.citation == cite.short
    data = cite.to_dict()
    assert data["died_ah"] == 255
    assert data["short"] == cite.short
    assert data["full"] == cite.full
    assert json.loads(json.dumps(data, ensure_ascii=False)) == data


def test_citation_without_a_book_is_the_source_as_before() -> None:
    # The short style of a passage whose metadata names no book is the citation
    # the archive always wrote: source، title، volume/page.
    passage = Passage(
        id="b2", text="نص", title="باب الصيام", source="البخاري", metadata={"volume": 2, "page": 5}
    )
    assert passage.citation == "البخاري، باب الصيام، 2/5"
    assert passage.cite.full == "البخاري، باب الصيام، vol. 2, p. 5"
    only_page = Passage(id="x", text="نص", source="كتاب", metadata={"page": 7})
    assert (only_page.citation, only_page.cite.full) == ("كتاب، p. 7", "كتاب، p. 7")
    bare = Passage(id="y", text="نص")
    assert (bare.citation, bare.cite.full) == ("", "")


def test_died_ah_given_as_text_is_read_as_a_number() -> None:
    cite = Passage(id="x", text="نص", metadata={"died_ah": "0310", "author": "الطبري"}).cite
    assert (cite.died_ah, cite.full) == (310, "الطبري (d. 310 AH)")
    assert Passage(id="x", text="نص", metadata={"died_ah": "قديم"}).cite.died_ah is None


# --- hits, results and exports -------------------------------------------------------

RECORDS = [
    {
        "id": "h1",
        "title": "باب الكلب",
        "source": "hayawan",
        "text": "الكلب يحرس الدار ليلا",
        "book": "الحيوان",
        "author": "الجاحظ",
        "died_ah": 255,
        "volume": 1,
        "page": 22,
    },
    {"id": "f1", "title": "=HYPERLINK(1)", "source": "=cmd", "text": "الكلب في الحديقة"},
]


@pytest.fixture
def index(tmp_path: Path) -> Path:
    folder = tmp_path / "ix"
    with Archive(folder) as arc:
        arc.ingest(write_jsonl(tmp_path / "in" / "books.jsonl", RECORDS), workers=1)
    return folder


def test_hits_carry_the_citation_as_data_and_text(index: Path) -> None:
    with Archive(index, create=False) as arc:
        results = arc.search("الكلب", where={"died_ah": 255})
    [hit] = results.hits
    assert hit.cite == hit.passage.cite
    row = hit.to_dict()
    assert row["citation"] == "الحيوان، باب الكلب، 1/22"
    assert row["citation_full"] == "الجاحظ (d. 255 AH)، الحيوان، باب الكلب، vol. 1, p. 22"
    assert row["cite"]["book"] == "الحيوان"
    assert row["cite"]["died_ah"] == 255
    data = results.to_dict()["hits"][0]
    assert (data["citation"], data["cite"]["page"]) == ("الحيوان، باب الكلب، 1/22", 22)
    assert hit.to_dict(["id", "citation"]) == {"id": "h1", "citation": "الحيوان، باب الكلب، 1/22"}


def test_kwic_lines_carry_the_passage_citation(index: Path) -> None:
    with Archive(index, create=False) as arc:
        [line] = list(arc.kwic("يحرس"))
    assert line.cite.author == "الجاحظ"
    assert line.citation == "الحيوان، باب الكلب، 1/22"
    data = line.to_dict()
    assert data["citation_full"].startswith("الجاحظ (d. 255 AH)")
    assert data["cite"]["book"] == "الحيوان"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    capsys.readouterr()
    assert main(list(argv)) == 0
    return capsys.readouterr().out


def test_cli_search_table_shows_each_hits_citation(
    index: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ix = str(index)
    out = run(capsys, "search", "يحرس", "--index", ix)
    assert "   الحيوان، باب الكلب، 1/22\n" in out
    full = run(capsys, "search", "يحرس", "--index", ix, "--cite", "full")
    assert "   الجاحظ (d. 255 AH)، الحيوان، باب الكلب، vol. 1, p. 22\n" in full
    kwic = run(capsys, "kwic", "يحرس", "--index", ix, "--cite", "full")
    assert kwic.rstrip().endswith("| الجاحظ (d. 255 AH)، الحيوان، باب الكلب، vol. 1, p. 22")


def test_cli_exports_carry_both_styles_safe_in_a_spreadsheet(
    index: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ix = str(index)
    table = run(capsys, "search", "الكلب", "--index", ix, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(table)))
    by_id = {row["id"]: row for row in rows}
    assert by_id["h1"]["citation"] == "الحيوان، باب الكلب، 1/22"
    assert by_id["h1"]["citation_full"] == "الجاحظ (d. 255 AH)، الحيوان، باب الكلب، vol. 1, p. 22"
    assert by_id["f1"]["citation"] == "'=cmd، =HYPERLINK(1)"  # no formula runs
    assert "cite" not in by_id["h1"]  # the parts are JSON's
    lines = run(capsys, "search", "يحرس", "--index", ix, "--all", "--format", "jsonl")
    [hit] = [json.loads(line) for line in lines.splitlines()]
    assert hit["cite"]["author"] == "الجاحظ"
    assert hit["citation"] == "الحيوان، باب الكلب، 1/22"


# --- OpenITI: the URI and the header --------------------------------------------------


def _read(name: str, folder: Path = OPENITI) -> list[Passage]:
    return [passage for _, passage in passages(folder / name, name)]


def test_openiti_uri_and_header_give_author_book_and_death_year() -> None:
    first, second, *_ = _read(JAHIZ)
    meta = first.metadata
    assert meta["died_ah"] == 255
    assert isinstance(meta["died_ah"], int)
    assert meta["author"] == "عمرو بن بحر الجاحظ"  # the death-year note dropped
    assert meta["author_uri"] == "Jahiz"
    assert meta["book"] == "الحيوان"
    assert meta["book_uri"] == "0255Jahiz.Hayawan"
    assert meta["vers_uri"] == JAHIZ
    assert first.cite.short == "الحيوان، 1/22"
    assert first.cite.full == (
        "عمرو بن بحر الجاحظ (d. 255 AH)، الحيوان، كتاب الكلب / باب وفاء الكلب، vol. 1, p. 22"
    )
    assert second.cite.short == "الحيوان، 1/23"


def test_openiti_shamela_header_keys() -> None:
    first, second = _read(TABARI)
    assert (first.metadata["author"], first.metadata["author_uri"]) == (
        "محمد بن جرير الطبري",
        "Tabari",
    )
    assert first.metadata["book"] == "تاريخ الرسل والملوك"
    assert first.metadata["died_ah"] == 310
    assert second.cite.short == "تاريخ الرسل والملوك، 2/102"


def test_openiti_without_a_header_takes_the_uri(tmp_path: Path) -> None:
    name = "0179MalikIbnAnas.Muwatta.Shamela0001699-ara1.mARkdown"
    (tmp_path / name).write_text(
        "######OpenITI#\n#META#Header#End#\n# إنما الأعمال بالنيات PageV01P003\n", encoding="utf-8"
    )
    [passage] = _read(name, tmp_path)
    meta = passage.metadata
    assert (meta["died_ah"], meta["author"], meta["author_uri"]) == (
        179,
        "MalikIbnAnas",
        "MalikIbnAnas",
    )
    assert (meta["book"], meta["book_uri"]) == ("Muwatta", "0179MalikIbnAnas.Muwatta")
    assert meta["vers_uri"] == "0179MalikIbnAnas.Muwatta.Shamela0001699-ara1"
    assert passage.cite.full == "MalikIbnAnas (d. 179 AH)، Muwatta، vol. 1, p. 3"


def test_describe_a_name_that_is_not_a_uri() -> None:
    assert describe("notes-ara1", {}) == {"book": "notes-ara1"}
    assert describe("notes-ara1", {"bk": "كتاب"}) == {"book": "كتاب"}


@pytest.fixture(scope="module")
def books(tmp_path_factory: pytest.TempPathFactory) -> Any:
    folder = tmp_path_factory.mktemp("books")
    for name in (JAHIZ, TABARI):
        shutil.copy(OPENITI / name, folder / name)
    arc = Archive(folder / "ix")
    arc.ingest(folder / JAHIZ, workers=1)
    arc.ingest(folder / TABARI, workers=1)
    yield arc
    arc.close()


def _sources(results: Any) -> set[str]:
    return {hit.passage.source for hit in results.hits}


def test_scope_a_search_to_an_author_or_a_period(books: Archive) -> None:
    assert books.search("الكلب", limit=None).total == 5  # Tabari's heading holds it too
    assert _sources(books.search("الكلب", where={"died_ah": 255})) == {JAHIZ}
    assert _sources(books.search("الكلب", where={"died_ah": "310"})) == {TABARI}
    assert _sources(books.search("الكلب", where={"author_uri": "Tabari"})) == {TABARI}
    early = books.search("الكلب", where={"died_ah": (None, 300)}, limit=None)
    assert _sources(early) == {JAHIZ}
    assert early.total == 3
    assert books.search("الكلب", where={"died_ah": (300, 400)}).total == 2
    count = books.count("الكلب", by="died_ah")
    # One of Tabari's two hits holds the word in its heading alone: count leaves it out.
    assert {g.key: g.passages for g in count.groups} == {255: 3, 310: 1}
    assert count.occurrences == len(list(books.kwic("الكلب")))


# --- reading in context ------------------------------------------------------------------


def _id(arc: Archive, word: str) -> str:
    [hit] = arc.search(word).hits
    return hit.passage.id


def test_context_gives_the_neighbours_in_source_order(books: Archive) -> None:
    middle = _id(books, "أوفى")
    got = books.context(middle)
    assert isinstance(got, Context)
    assert [p.text for p in got] == [
        "الكلب يحرس الدار ولا ينام عن صاحبه",
        "وقيل إن الكلب أوفى من كثير من الناس",
        "ومن وفاء الكلب أنه يتبع صاحبه في السفر",
    ]
    wide = books.context(middle, before=3, after=10)
    assert (len(wide.before), len(wide.after)) == (1, 3)  # the book ends: Tabari's is another
    assert all(p.source == JAHIZ for p in wide)
    assert [p.metadata["page"] for p in wide] == [22, 23, 23, 24, 25]
    assert books.context(middle, before=0, after=0).passages == (got.passage,)
    data = got.to_dict()
    assert data["passage"]["cite"]["short"] == "الحيوان، 1/23"
    assert [p["id"] for p in data["before"]] == [got.before[0].id]
    markup = got._repr_html_()
    assert 'dir="rtl"' in markup
    assert markup.count("archive-context") == 1
    assert "وقيل إن الكلب أوفى" in markup
    assert "&lt;" not in markup


def test_context_errors_name_the_input(books: Archive) -> None:
    with pytest.raises(PassageNotFoundError, match="no-such-id"):
        books.context("no-such-id")
    middle = _id(books, "أوفى")
    for bad in (-1, MAX_CONTEXT + 1, "3", 2.0, False):
        message = rf"before must be an integer from 0 to {MAX_CONTEXT}, not {bad!r}"
        with pytest.raises(QueryError, match=message):
            books.context(middle, before=bad)  # type: ignore[arg-type]
        with pytest.raises(QueryError, match="after must be"):
            books.context(middle, after=bad)  # type: ignore[arg-type]


def test_cli_show_context(books: Archive, capsys: pytest.CaptureFixture[str]) -> None:
    ix = str(books.path)
    middle = _id(books, "أوفى")
    out = run(capsys, "show", middle, "--index", ix, "--context", "1")
    before, rest = out.split(f"=== {middle} ===\n")
    assert before.startswith("--- ")
    assert "الحيوان، 1/22 ---\nالكلب يحرس الدار" in before
    assert "cite: عمرو بن بحر الجاحظ (d. 255 AH)، الحيوان، كتاب الكلب / باب وفاء الكلب" in rest
    assert rest.index("وقيل إن الكلب أوفى") < rest.index("--- ") < rest.index("يتبع صاحبه")
    data = json.loads(run(capsys, "show", middle, "--index", ix, "--context", "2", "--json"))
    assert data["passage"]["id"] == middle
    assert [len(data["before"]), len(data["after"])] == [1, 2]
    assert data["after"][0]["cite"]["page"] == 23
    capsys.readouterr()
    assert main(["show", middle, "--index", ix, "--context", "101"]) == 1
    assert "before must be an integer from 0 to 100, not 101" in capsys.readouterr().err


# --- the real OpenITI files ----------------------------------------------------------


def test_real_openiti_books_give_their_uri_metadata(tmp_path: Path) -> None:
    sayf_file = corpus("openiti/0200SayfIbnCumar.Fitna.Shamela0007536-ara1")
    labid_file = corpus("openiti/0041LabidIbnRabica.Mucallaqa.ShamAY0038523-ara1")
    sayf = [p for _, p in passages(sayf_file, "sayf")]
    assert len(sayf) > 500
    meta = sayf[0].metadata
    assert (meta["died_ah"], meta["author_uri"], meta["book_uri"]) == (
        200,
        "SayfIbnCumar",
        "0200SayfIbnCumar.Fitna",
    )
    assert meta["author"] == "سيف بن عمر الأسدي التميمي"  # "(المتوفى: 200هـ)" dropped
    assert meta["book"] == "الفتنة ووقعة الجمل"
    assert all(p.cite.short.startswith("الفتنة ووقعة الجمل، 1/") for p in sayf)
    labid = [p for _, p in passages(labid_file, "labid")]
    assert labid[0].metadata["died_ah"] == 41
    assert labid[0].cite.full.startswith("لبيد بن ربيعة (d. 41 AH)، معلقة لبيد بن ربيعة، ")
    with Archive(tmp_path / "ix") as arc:
        arc.ingest(sayf_file, workers=1)
        arc.ingest(labid_file, workers=1)
        early = arc.search("الديار", where={"died_ah": (None, 100)}, limit=None)
        assert early.total > 0
        assert {h.passage.metadata["book"] for h in early.hits} == {"معلقة لبيد بن ربيعة"}
        assert arc.search("عثمان", where={"died_ah": 200}).total > 100
        hit = arc.search("عثمان").hits[0]
        around = arc.context(hit.passage.id, before=2, after=2)
        assert [p.id for p in around].index(hit.passage.id) == len(around.before)
        assert all(p.source == hit.passage.source for p in around)
        pages = [p.metadata["page"] for p in around]
        assert pages == sorted(pages)  # in the book's order
