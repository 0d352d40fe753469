"""Results in notebooks: ``_repr_html_`` (escaped, right to left, ``<mark>`` from
the offsets, the citation), short reprs, DataFrames, ``ingest(progress="auto")``."""

from __future__ import annotations

import html
import sys
import types
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, ClassVar

import pytest

from archive import Archive, ArchiveError
from archive.models import Concordance
from tests.conftest import write_jsonl

NASTY = "<b>غامق</b> & \"مقتبس\" 'مفرد'"

RECORDS = [
    {
        "id": "n1",
        "title": f"عنوان {NASTY}",
        "source": "<كتاب> & شركاه",
        "text": f"قال الكِتَابُ نور {NASTY} ثم قرأ الكتاب",
        "volume": 2,
        "page": 7,
    },
    {"id": "n2", "title": "باب", "source": "كتاب ب", "text": "وَالكِتَابِ " + "كلمة " * 200},
]


class Marks(HTMLParser):
    """The text of each <mark>, every start tag, and the dir attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.marks: list[str] = []
        self.tags: list[str] = []
        self.dirs: list[str | None] = []
        self._in_mark = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.dirs.extend(value for name, value in attrs if name == "dir")
        if tag == "mark":
            self._in_mark = True
            self.marks.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "mark":
            self._in_mark = False

    def handle_data(self, data: str) -> None:
        if self._in_mark:
            self.marks[-1] += data


def parsed(markup: str) -> Marks:
    parser = Marks()
    parser.feed(markup)
    parser.close()
    return parser


@pytest.fixture
def arc(make_archive: Callable[..., Archive]) -> Archive:
    return make_archive(RECORDS)


def assert_escaped(markup: str) -> None:
    assert "<b>" not in markup
    assert "&lt;b&gt;غامق&lt;/b&gt;" in markup
    assert "&amp;" in markup
    assert "&quot;مقتبس&quot;" in markup
    assert set(parsed(markup).tags) <= {
        "div",
        "p",
        "strong",
        "ol",
        "li",
        "mark",
        "bdi",
        "table",
    } | {
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
    }


def test_search_results_html(arc: Archive) -> None:
    results = arc.search("الكتاب")
    markup = results._repr_html_()
    assert_escaped(markup)
    found = parsed(markup)
    assert found.dirs[0] == "rtl"
    expected = [hit.passage.text[s:e] for hit in results.hits for s, e in hit.excerpt_spans()[1]]
    assert found.marks == expected
    assert {"الكِتَابُ", "الكتاب", "وَالكِتَابِ"} == set(found.marks)
    assert html.escape("<كتاب> & شركاه، عنوان") in markup  # the citation
    assert "2/7" in markup


def test_hit_html_marks_come_from_the_offsets(arc: Archive) -> None:
    hit = next(h for h in arc.search("الكتاب").hits if h.passage.id == "n1")
    markup = hit._repr_html_()
    assert_escaped(markup)
    found = parsed(markup)
    assert found.dirs == ["rtl"]
    assert found.marks == [hit.passage.text[s:e] for s, e in hit.highlights]
    assert found.marks == ["الكِتَابُ", "الكتاب"]


def test_a_long_hit_is_an_excerpt(arc: Archive) -> None:
    hit = next(h for h in arc.search("الكتاب").hits if h.passage.id == "n2")
    (start, end), spans = hit.excerpt_spans()
    assert (start, spans) == (0, ((0, 11),))
    assert end < len(hit.passage.text)
    assert "…" in hit._repr_html_()


def test_passage_html(arc: Archive) -> None:
    passage = arc.get("n1")
    markup = passage._repr_html_()
    assert_escaped(markup)
    assert parsed(markup).dirs == ["rtl"]
    assert html.escape(passage.text) in markup
    assert html.escape(passage.citation) in markup


def test_counts_html_and_dataframe(arc: Archive) -> None:
    counts = arc.count("الكتاب", by="source")
    markup = counts._repr_html_()
    assert parsed(markup).dirs == ["rtl"]
    assert "&lt;كتاب&gt; &amp; شركاه" in markup
    assert "<كتاب>" not in markup
    pandas = pytest.importorskip("pandas")
    frame = counts.to_dataframe()
    assert isinstance(frame, pandas.DataFrame)
    assert list(frame.columns) == ["source", "passages", "occurrences"]
    assert frame.to_dict("records") == [
        {"source": "<كتاب> & شركاه", "passages": 1, "occurrences": 2},
        {"source": "كتاب ب", "passages": 1, "occurrences": 1},
    ]
    assert list(arc.count("الكتاب").to_dataframe().columns) == ["key", "passages", "occurrences"]


def test_kwic_html_and_dataframe(arc: Archive) -> None:
    lines = Concordance(arc.kwic("الكتاب", width=15))
    assert len(lines) == 3
    markup = lines._repr_html_()
    found = parsed(markup)
    assert found.dirs == ["rtl"]
    assert found.marks == [line.match for line in lines]
    assert found.marks == [
        line_passage_text(arc, line.passage_id)[line.start : line.end] for line in lines
    ]
    assert "<b>" not in markup
    assert "&lt;b&gt;" in markup
    one = lines.lines[0]._repr_html_()
    assert parsed(one).marks == [lines.lines[0].match]
    assert repr(lines) == "Concordance(3 line(s))"
    pandas = pytest.importorskip("pandas")
    frame = lines.to_dataframe()
    assert isinstance(frame, pandas.DataFrame)
    assert len(frame) == 3
    assert {"left", "match", "right", "citation", "passage_id"} <= set(frame.columns)


def line_passage_text(arc: Archive, passage_id: str) -> str:
    return arc.get(passage_id).text


def test_reprs_are_short(arc: Archive) -> None:
    results = arc.search("الكتاب")
    assert len(results.hits) == 2
    text = repr(results)
    assert len(text) < 300, text
    assert text.startswith("SearchResults(query='الكتاب', total=2, page=1 of 1, hits=['")
    assert len(repr(results.hits[0])) < 150
    assert len(repr(results.hits[1].passage)) < 250
    long = arc.get("n2")
    assert f"({len(long.text):,} chars)" in repr(long)
    assert len(repr(long)) < 150
    assert len(repr(arc.count("الكتاب", by="source"))) < 150


def test_many_hits_repr_stays_short(make_archive: Callable[..., Archive]) -> None:
    arc = make_archive([{"id": f"id-{'x' * 40}-{i}", "text": "نص " * 300} for i in range(30)])
    assert len(repr(arc.search("نص", limit=30))) < 300


# --- ingest(progress="auto") ---------------------------------------------------------


class FakeBar:
    made: ClassVar[list[FakeBar]] = []

    def __init__(self, **options: Any) -> None:
        self.options = options
        self.total: int | None = options.get("total")
        self.n = 0
        self.refreshed = 0
        self.closed = False
        self.postfix: dict[str, Any] = {}
        FakeBar.made.append(self)

    def set_postfix(self, refresh: bool = True, **values: Any) -> None:
        self.postfix = values

    def refresh(self) -> None:
        self.refreshed += 1

    def close(self) -> None:
        self.closed = True


def test_progress_auto_uses_tqdm_auto(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = types.ModuleType("tqdm.auto")
    fake.tqdm = FakeBar  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "tqdm", types.ModuleType("tqdm"))
    monkeypatch.setitem(sys.modules, "tqdm.auto", fake)
    FakeBar.made.clear()
    path = write_jsonl(tmp_path / "p.jsonl", [{"id": str(i), "text": "نص"} for i in range(5)])
    report = Archive(tmp_path / "ix").ingest(path, progress="auto")
    assert report.added == 5
    [bar] = FakeBar.made
    assert bar.closed
    assert bar.refreshed >= 1
    assert bar.total == bar.n == path.stat().st_size
    assert bar.postfix == {"passages": 5}


def test_progress_auto_without_tqdm_shows_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "tqdm", None)  # import tqdm raises ImportError
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    path = write_jsonl(tmp_path / "p.jsonl", [{"text": "نص"}])
    assert Archive(tmp_path / "ix").ingest(path, progress="auto").added == 1
    assert capsys.readouterr() == ("", "")


def test_progress_must_be_auto_or_a_callable(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "p.jsonl", [{"text": "نص"}])
    with pytest.raises(ArchiveError, match="progress must be a callable, None or 'auto'"):
        Archive(tmp_path / "ix").ingest(path, progress="bar")  # type: ignore[arg-type]
