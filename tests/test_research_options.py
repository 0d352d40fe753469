"""The research options (ranges, facets, groups, strict spelling, wildcards) through
the command line and the web API; their meaning on every engine is tested in
tests/engines/test_research.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from archive.cli import main
from tests.conftest import write_jsonl

BOOKS = [
    {"id": "b1", "text": "قال رسول الله صلوا", "source": "البخاري", "page": 10, "died_ah": 256},
    {"id": "b2", "text": "قال علي الصبر", "source": "البخاري", "page": 50, "died_ah": 256},
    {"id": "m1", "text": "قال على المنبر", "source": "مسلم", "page": 51, "died_ah": 261},
    {"id": "t1", "text": "قال الطبري", "source": "الطبري", "page": "iv", "died_ah": 310},
]


@pytest.fixture
def books(tmp_path: Path) -> str:
    folder = tmp_path / "ix"
    main(["ingest", str(write_jsonl(tmp_path / "b.jsonl", BOOKS)), "--index", str(folder)])
    return str(folder)


def found(capsys: pytest.CaptureFixture[str], *argv: str) -> list[str]:
    capsys.readouterr()
    assert main(["search", *argv, "--json"]) == 0
    return sorted(h["id"] for h in json.loads(capsys.readouterr().out)["hits"])


def test_cli_where_ranges(books: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert found(capsys, "قال", "--index", books, "--where", "page=10..50") == ["b1", "b2"]
    assert found(capsys, "قال", "--index", books, "--where", "died_ah=..300") == ["b1", "b2", "m1"]
    assert found(capsys, "قال", "--index", books, "--where", "died_ah=260..") == ["m1", "t1"]
    assert found(capsys, "قال", "--index", books, "--where", "page=iv") == ["t1"]


def test_cli_refuses_a_range_of_words(books: str, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["search", "قال", "--index", books, "--where", "page=a..b"]) == 1
    assert "numbers" in capsys.readouterr().err


def test_web_where_ranges(books: str) -> None:
    pytest.importorskip("starlette", reason="the web extra is not installed")
    from starlette.testclient import TestClient

    from archive.web import app

    with TestClient(app(Path(books))) as client:
        response = client.get("/api/search", params={"q": "قال", "where": "page=50..60"})
        assert response.status_code == 200, response.text
        assert sorted(h["id"] for h in response.json()["hits"]) == ["b2", "m1"]
        bad = client.get("/api/search", params={"q": "قال", "where": "page=1..x"})
        assert bad.status_code == 400
        assert "numbers" in bad.json()["error"]


def test_cli_facets_and_groups(books: str, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    argv = ["search", "قال", "--index", books, "--group-by", "source", "--per-group", "1"]
    assert main([*argv, "--facet", "meta:died_ah"]) == 0
    out = capsys.readouterr().out
    assert out.index("== source: البخاري · 2 passage(s) ==") < out.index("== source: مسلم")
    assert "meta:died_ah:" in out
    assert "      2  256" in out
    assert main([*argv, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    best = [g["hits"][0] for g in data["groups"]]
    assert best == [h["id"] for h in data["hits"]]  # one a group, groups in rank order
    assert [g["total"] for g in data["groups"]] == [
        dict(data["facets"]["source"])[g["value"]] for g in data["groups"]
    ]
    assert data["facets"]["source"][0] == ["البخاري", 2]


def test_cli_refuses_a_bad_facet(books: str, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["search", "قال", "--index", books, "--facet", "title"]) == 1
    assert "'source' or 'meta:KEY'" in capsys.readouterr().err


def test_web_facets_and_groups(books: str) -> None:
    pytest.importorskip("starlette", reason="the web extra is not installed")
    from starlette.testclient import TestClient

    from archive.web import app

    with TestClient(app(Path(books))) as client:
        response = client.get(
            "/api/search?q=قال&facet=source&facet=meta:died_ah&group_by=source&per_group=1"
        )
        assert response.status_code == 200, response.text
        data = response.json()
        assert data["facets"]["meta:died_ah"][0] == ["256", 2]
        assert [len(g["hits"]) for g in data["groups"]] == [1, 1, 1]
        assert client.get("/api/search?q=قال&group_by=title").status_code == 400


def test_cli_and_web_strict(books: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert found(capsys, "علي", "--index", books) == ["b2", "m1"]
    assert found(capsys, "علي", "--index", books, "--strict", "alef-maqsura") == ["b2"]
    assert found(capsys, "على", "--index", books, "--strict", "alef_maqsura") == ["m1"]
    capsys.readouterr()
    assert main(["search", "علي", "--index", books, "--strict", "shadda"]) == 1
    assert "unknown strict fold" in capsys.readouterr().err
    pytest.importorskip("starlette", reason="the web extra is not installed")
    from starlette.testclient import TestClient

    from archive.web import app

    with TestClient(app(Path(books))) as client:
        response = client.get("/api/search", params={"q": "على", "strict": "alef_maqsura"})
        assert [h["id"] for h in response.json()["hits"]] == ["m1"]
        assert client.get("/api/search", params={"q": "على", "strict": "x"}).status_code == 400


def test_context_reads_a_files_order_once_per_commit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from archive import Archive

    records = [{"id": f"p{i}", "text": f"قال {i}", "source": "كتاب"} for i in range(6)]
    arc = Archive(tmp_path / "ix")
    arc.ingest(write_jsonl(tmp_path / "in" / "a.jsonl", records))
    engine_type = type(arc.engine.snapshot())
    real = engine_type.records
    calls: list[str] = []

    def counted(self: object, file: str) -> object:
        calls.append(file)
        return real(self, file)  # type: ignore[arg-type]

    monkeypatch.setattr(engine_type, "records", counted)
    assert [p.id for p in arc.context("p2", 1, 1).before] == ["p1"]
    assert [p.id for p in arc.context("p4", 1, 1).after] == ["p5"]
    assert len(calls) == 1  # the order of the file, kept
    arc.ingest(write_jsonl(tmp_path / "in" / "b.jsonl", [{"id": "b", "text": "قال"}]))
    calls.clear()
    assert [p.id for p in arc.context("p3", 1, 1).before] == ["p2"]
    assert calls == []  # another file's ingest: the order is still this file's
    records.insert(3, {"id": "new", "text": "قال جديد", "source": "كتاب"})
    arc.ingest(write_jsonl(tmp_path / "in" / "a.jsonl", records))  # reads the records too
    before = len(calls)
    assert [p.id for p in arc.context("p2", 1, 1).after] == ["new"]  # a new commit: read again
    assert [p.id for p in arc.context("p5", 1, 1).before] == ["p4"]
    assert len(calls) == before + 1
