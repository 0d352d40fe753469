"""For researchers and embedding apps: exports, concordance, counts, filters, sorting."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from archive import Archive, ArchiveError, QueryError
from archive.cli import main
from tests.conftest import write_jsonl

BOOKS = [
    {
        "id": "b1",
        "title": "باب الصلاة",
        "text": "قال رسول الله صلوا كما رأيتموني أصلي",
        "source": "البخاري",
        "volume": 1,
        "page": 10,
    },
    {
        "id": "b2",
        "title": "باب الصيام",
        "text": "قال رسول الله الصيام جنة ثم قال الصبر نصف الإيمان",
        "source": "البخاري",
        "volume": 2,
        "page": 5,
    },
    {
        "id": "m1",
        "title": "باب الزكاة",
        "text": "قال رسول الله في الزكاة",
        "source": "مسلم",
        "volume": 1,
        "page": 3,
        "tags": ["فقه", "زكاة"],
    },
    {"id": "x1", "title": "بلا ذكر", "text": "نص لا يذكر شيئا", "source": "غيره"},
]


@pytest.fixture
def arc(make_archive: Callable[..., Archive]) -> Archive:
    return make_archive(BOOKS)


def ids(results: object) -> list[str]:
    return [h.passage.id for h in results]  # type: ignore[attr-defined]


def test_filters_by_source_glob_and_metadata(arc: Archive) -> None:
    assert sorted(ids(arc.search("قال", source="البخاري"))) == ["b1", "b2"]
    assert ids(arc.search("قال", source="مس*")) == ["m1"]
    assert sorted(ids(arc.search("قال", where={"volume": 1}))) == ["b1", "m1"]
    assert ids(arc.search("قال", where={"volume": 1, "source": "x"})) == []
    assert ids(arc.search("قال", where={"tags": "زكاة"})) == ["m1"]
    res = arc.search("قال", source="البخاري", where={"volume": 2})
    assert (res.total, ids(res)) == (1, ["b2"])


def test_filtered_total_counts_only_allowed_passages(arc: Archive) -> None:
    assert arc.search("قال", limit=1, source="البخاري").total == 2
    assert arc.search("قال", limit=1, where={"page": 3}).total == 1


def test_bad_filter_and_sort_are_query_errors(arc: Archive) -> None:
    with pytest.raises(QueryError, match="where 'volume'"):
        arc.search("قال", where={"volume": [1]})
    with pytest.raises(QueryError, match="sort must be"):
        arc.search("قال", sort="date")


def test_sort_by_source_order_and_metadata(arc: Archive) -> None:
    assert ids(arc.search("قال", sort="source", limit=None)) == ["b1", "b2", "m1"]
    by_page = arc.search("قال", sort="meta:page", limit=2)
    assert ids(by_page) == ["m1", "b2"]
    assert by_page.total == 3
    assert [h.rank for h in by_page.hits] == [1, 2]


def test_every_hit_is_streamed_in_order(arc: Archive) -> None:
    everything = list(arc.hits("قال"))
    assert ids(everything) == ids(arc.search("قال", limit=None))
    assert [h.rank for h in everything] == [1, 2, 3]
    assert ids(arc.hits("قال", source="مسلم")) == ["m1"]


def test_kwic_lines_one_per_occurrence(arc: Archive) -> None:
    lines = list(arc.kwic("قال", width=8, sort="source"))
    assert [(line.passage_id, line.match) for line in lines] == [
        ("b1", "قال"),
        ("b2", "قال"),
        ("b2", "قال"),
        ("m1", "قال"),
    ]
    second = lines[2]
    assert second.left == " جنة ثم "
    assert second.right == " الصبر ن"
    assert second.citation == "البخاري، باب الصيام، 2/5"
    text = arc.get("b2").text
    assert text[second.start : second.end] == "قال"


def test_kwic_width_must_be_positive(arc: Archive) -> None:
    with pytest.raises(QueryError, match="width"):
        list(arc.kwic("قال", width=0))


def test_count_by_source_and_metadata(arc: Archive) -> None:
    counts = arc.count("قال", by="source")
    assert (counts.passages, counts.occurrences) == (3, 4)
    assert [(g.key, g.passages, g.occurrences) for g in counts.groups] == [
        ("البخاري", 2, 3),
        ("مسلم", 1, 1),
    ]
    by_volume = arc.count("قال", by="volume")
    assert {g.key: g.passages for g in by_volume.groups} == {1: 2, 2: 1}
    assert arc.count("الصيام").to_dict()["passages"] == 1


def test_results_convert_to_dicts_and_json(arc: Archive) -> None:
    res = arc.search("الصيام")
    [row] = res.to_dicts(["id", "score", "meta.volume", "meta.missing"])
    assert row == {"id": "b2", "score": res.hits[0].score, "meta.volume": 2, "meta.missing": None}
    assert json.loads(res.to_json())["hits"][0]["id"] == "b2"
    assert "الصيام" in res.to_json()
    with pytest.raises(ArchiveError, match="unknown field 'colour'"):
        res.to_dicts(["colour"])


def test_to_dataframe(arc: Archive) -> None:
    pandas = pytest.importorskip("pandas", reason="pandas is the optional [pandas] extra")
    frame = arc.search("قال", limit=None).to_dataframe(["id", "score", "meta.volume"])
    assert isinstance(frame, pandas.DataFrame)
    assert list(frame.columns) == ["id", "score", "meta.volume"]
    assert sorted(frame["id"]) == ["b1", "b2", "m1"]


def test_to_dataframe_names_the_extra_when_pandas_is_missing(
    arc: Archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    import builtins

    real_import = builtins.__import__

    def no_pandas(name: str, *args: object, **kwargs: object) -> object:
        if name == "pandas":
            raise ImportError("No module named 'pandas'")
        return real_import(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(builtins, "__import__", no_pandas)
    with pytest.raises(ArchiveError, match=r'pip install "arabic-archive\[pandas\]"'):
        arc.search("قال").to_dataframe()


# --- command line ---------------------------------------------------------------------


@pytest.fixture
def books_index(tmp_path: Path) -> Path:
    folder = tmp_path / "ix"
    main(["ingest", str(write_jsonl(tmp_path / "b.jsonl", BOOKS)), "--index", str(folder)])
    return folder


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    capsys.readouterr()
    assert main(list(argv)) == 0
    return capsys.readouterr().out


def test_cli_search_formats(books_index: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ix = str(books_index)
    rows = list(
        csv.reader(io.StringIO(run(capsys, "search", "قال", "--index", ix, "--format", "csv")))
    )
    assert rows[0] == ["id", "title", "source", "score", "snippet", "citation", "citation_full"]
    assert len(rows) == 4
    tsv = run(capsys, "search", "قال", "--index", ix, "--format", "tsv", "--fields", "id,meta.page")
    assert tsv.splitlines()[0] == "id\tmeta.page"
    lines = run(
        capsys, "search", "قال", "--index", ix, "--all", "--format", "jsonl", "--fields", "id,rank"
    )
    assert [json.loads(line) for line in lines.splitlines()] == [
        {"id": i, "rank": r} for r, i in enumerate(ids(Archive(ix).hits("قال")), 1)
    ]
    streamed = json.loads(run(capsys, "search", "قال", "--index", ix, "--all", "--format", "json"))
    assert streamed["total"] == 3
    assert len(streamed["hits"]) == 3


def test_cli_filters(books_index: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ix = str(books_index)
    out = run(capsys, "search", "قال", "--index", ix, "--json", "--where", "volume=2")
    assert [h["id"] for h in json.loads(out)["hits"]] == ["b2"]
    out = run(capsys, "count", "قال", "--index", ix, "--source", "مسلم", "--format", "json")
    assert json.loads(out)["passages"] == 1
    with pytest.raises(SystemExit) as info:
        main(["search", "قال", "--index", ix, "--where", "volume"])
    assert info.value.code == 2


def test_cli_kwic_and_count(books_index: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ix = str(books_index)
    table = run(capsys, "kwic", "قال", "--index", ix, "--width", "10", "--sort", "source")
    assert table.splitlines()[0].endswith("| البخاري، باب الصلاة، 1/10")
    assert "«قال»" in table
    rows = list(
        csv.DictReader(io.StringIO(run(capsys, "kwic", "قال", "--index", ix, "--format", "csv")))
    )
    assert len(rows) == 4
    assert {row["match"] for row in rows} == {"قال"}
    counts = run(capsys, "count", "قال", "--index", ix, "--by", "source")
    assert counts.splitlines()[0] == "3 passage(s), 4 occurrence(s) of 'قال'"
    assert counts.splitlines()[1].split() == ["passages", "occurrences", "source"]
    assert "البخاري" in counts.splitlines()[2]
