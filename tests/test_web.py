"""The web app (archive.web) through Starlette's TestClient: every endpoint, every
error code, the OpenAPI document against the routes, the security defaults, the
time budget; and ``archive serve`` in a subprocess."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("starlette", reason="the web extra is not installed")

from starlette.testclient import TestClient

from archive import Archive, QueryError
from archive.web import app
from tests.conftest import ROOT, write_jsonl

COMMON = "مشترك"
XSS_TITLE = "<script>window.pwned=1</script>"
XSS_TEXT = 'نص خطر <script>window.pwned=1</script> "><img src=x onerror="window.pwned=2"> &amp; تم'

#: Two sources in ingest order; 25 passages share a word (paging), one holds markup.
RECORDS: list[dict[str, Any]] = [
    {
        "id": "a1",
        "title": "باب العلم",
        "source": "كتاب أ",
        "text": f"قال الكِتَابُ نور {COMMON} والعلم باق",
        "volume": 1,
        "page": 3,
    },
    {"id": "a2", "title": "باب الصبر", "source": "كتاب أ", "text": f"الصبر مفتاح الفرج {COMMON}"},
    {"id": "a3", "title": "باب آخر", "source": "كتاب أ", "text": f"قرأ الكِتَابَ كله {COMMON}"},
    {"id": "b/1", "title": XSS_TITLE, "source": "كتاب ب", "text": XSS_TEXT, "volume": 2},
    *(
        {"id": f"c{i:02}", "title": f"فصل {i}", "source": "كتاب ج", "text": f"{COMMON} رقم {i}"}
        for i in range(22)
    ),
]


@pytest.fixture
def index(tmp_path: Path) -> Path:
    folder = tmp_path / "ix"
    Archive(folder).ingest(write_jsonl(tmp_path / "in" / "p.jsonl", RECORDS))
    return folder


@pytest.fixture
def client(index: Path) -> Iterator[TestClient]:
    with TestClient(app(index)) as c:
        yield c


def error_of(response: Any, status: int, kind: str) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    data = response.json()
    assert set(data) == {"error", "type"}
    assert data["type"] == kind
    return str(data["error"])


# --- search --------------------------------------------------------------------


def test_search_mirrors_search_results_to_dict(client: TestClient, index: Path) -> None:
    got = client.get("/api/search", params={"q": COMMON, "limit": 3, "page": 2}).json()
    results = Archive(index, create=False).search(COMMON, limit=3, page=2)
    expected = results.to_dict()
    for key in ("query", "total", "page", "pages"):
        assert got[key] == expected[key]
    assert (got["limit"], got["has_next"], got["exact"], got["match"]) == (3, True, False, "all")
    assert [h["id"] for h in got["hits"]] == [h["id"] for h in expected["hits"]]
    for hit, lib in zip(got["hits"], results.hits, strict=True):
        assert {k: v for k, v in hit.items() if k in lib.to_dict()} == lib.to_dict()
        assert hit["rank"] == lib.rank
        assert hit["citation"] == lib.citation
        excerpt = hit["excerpt"]
        text = lib.passage.text
        assert excerpt["text"] == text[excerpt["start"] : excerpt["end"]]
        assert excerpt["length"] == len(text)
        for start, end in excerpt["highlights"]:
            whole = [start + excerpt["start"], end + excerpt["start"]]
            assert whole in hit["highlights"]


def test_highlights_land_on_the_words_as_written(client: TestClient) -> None:
    got = client.get("/api/search", params={"q": "الكتاب"}).json()
    assert {h["id"] for h in got["hits"]} == {"a1", "a3"}
    words = {h["excerpt"]["text"][s:e] for h in got["hits"] for s, e in h["excerpt"]["highlights"]}
    assert words == {"الكِتَابُ", "الكِتَابَ"}
    assert got["hits"][0]["citation"] in ("كتاب أ، باب العلم، 1/3", "كتاب أ، باب آخر")


def test_search_options_are_the_librarys(client: TestClient, index: Path) -> None:
    arc = Archive(index, create=False)

    def ids(**params: Any) -> list[str]:
        response = client.get("/api/search", params={"limit": 100, **params})
        assert response.status_code == 200, response.text
        return [h["id"] for h in response.json()["hits"]]

    assert ids(q="الكِتَابُ", exact=1) == ["a1"]
    assert ids(q="الكِتَابُ", exact="true") == ["a1"]
    assert sorted(ids(q="الكِتَابُ")) == ["a1", "a3"]
    assert ids(q="الصبر والعلم", match="any") == [
        h.passage.id for h in arc.search("الصبر والعلم", match="any").hits
    ]
    assert ids(q=COMMON, source="كتاب أ") == [
        h.passage.id for h in arc.search(COMMON, source="كتاب أ", limit=100).hits
    ]
    assert ids(q=COMMON, where="volume=1") == ["a1"]
    assert ids(q=COMMON, sort="source")[:3] == ["a1", "a2", "a3"]


@pytest.mark.parametrize(
    ("params", "names"),
    [
        ({"q": "x", "limit": "abc"}, "limit"),
        ({"q": "x", "limit": "0"}, "limit"),
        ({"q": "x", "limit": "101"}, "limit"),
        ({"q": "x", "page": "10001"}, "page"),
        ({"q": "x", "page": "-1"}, "page"),
        ({"q": "x", "exact": "maybe"}, "exact"),
        ({"q": "x", "where": "novalue"}, "where"),
        ({"q": "x", "limt": "5"}, "limt"),
        ({"q": "x", "source": "x" * 1001}, "source"),
        ({}, "q"),
    ],
)
def test_bad_parameters_are_400_naming_the_parameter(
    client: TestClient, params: dict[str, str], names: str
) -> None:
    message = error_of(client.get("/api/search", params=params), 400, "QueryError")
    assert names in message


def test_a_parameter_given_twice_is_400(client: TestClient) -> None:
    message = error_of(client.get("/api/search?q=x&limit=1&limit=2"), 400, "QueryError")
    assert "limit" in message


@pytest.mark.parametrize("query", ["(", "  ", '"unclosed', "NOT", "x" * 20_001])
def test_bad_queries_are_400_with_the_librarys_message(
    client: TestClient, index: Path, query: str
) -> None:
    with pytest.raises(QueryError) as info:
        Archive(index, create=False).search(query)
    response = client.get("/api/search", params={"q": query})
    assert error_of(response, 400, "QueryError") == str(info.value)


def test_library_checks_match_and_sort(client: TestClient) -> None:
    assert "match must be" in error_of(
        client.get("/api/search", params={"q": "x", "match": "some"}), 400, "QueryError"
    )
    assert "sort must be" in error_of(
        client.get("/api/search", params={"q": "x", "sort": "size"}), 400, "QueryError"
    )


def test_results_are_json_never_html(client: TestClient) -> None:
    response = client.get("/api/search", params={"q": "خطر"})
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-content-type-options"] == "nosniff"
    hit = response.json()["hits"][0]
    assert hit["title"] == XSS_TITLE
    assert hit["excerpt"]["text"] == XSS_TEXT
    assert "<mark>" not in response.text


# --- passages ------------------------------------------------------------------


def test_passage_by_id(client: TestClient, index: Path) -> None:
    passage = Archive(index, create=False).get("a1")
    got = client.get("/api/passages/a1").json()
    assert got == {
        **passage.to_dict(),
        "citation": "كتاب أ، باب العلم، 1/3",
        "citation_full": "كتاب أ، باب العلم، vol. 1, p. 3",
        "cite": passage.cite.to_dict(),
    }
    assert (got["cite"]["book"], got["cite"]["volume"], got["cite"]["page"]) == ("كتاب أ", 1, 3)


def test_passage_with_a_slash_in_its_id_escapes_as_text(client: TestClient) -> None:
    response = client.get("/api/passages/b%2F1")
    assert response.status_code == 200
    got = response.json()
    assert (got["id"], got["title"], got["text"]) == ("b/1", XSS_TITLE, XSS_TEXT)
    assert response.headers["content-type"] == "application/json"


def test_passage_neighbours_in_source_order_within_the_source(client: TestClient) -> None:
    got = client.get("/api/passages/a2", params={"context": 1}).json()
    assert [p["id"] for p in got["previous"]] == ["a1"]
    assert [p["id"] for p in got["next"]] == ["a3"]
    assert got["next"][0] == {"id": "a3", "title": "باب آخر", "citation": "كتاب أ، باب آخر"}
    first = client.get("/api/passages/a1", params={"context": 3}).json()
    assert (first["previous"], [p["id"] for p in first["next"]]) == ([], ["a2", "a3"])
    last = client.get("/api/passages/c21", params={"context": 2}).json()
    assert [p["id"] for p in last["previous"]] == ["c19", "c20"]
    assert last["next"] == []
    assert "previous" not in client.get("/api/passages/a2").json()


def test_passage_errors(client: TestClient) -> None:
    message = error_of(client.get("/api/passages/nope"), 404, "PassageNotFoundError")
    assert "no passage with id 'nope'" in message
    message = error_of(client.get("/api/passages/a1?context=11"), 400, "ArchiveError")
    assert "context" in message
    error_of(client.get("/api/passages/a1?context=x"), 400, "ArchiveError")
    error_of(client.get("/api/passages/a1?q=x"), 400, "ArchiveError")


# --- kwic, count, stats, export ----------------------------------------------------


def test_kwic_pages_the_librarys_lines(client: TestClient, index: Path) -> None:
    lines = [line.to_dict() for line in Archive(index, create=False).kwic(COMMON, width=10)]
    first = client.get("/api/kwic", params={"q": COMMON, "width": 10, "limit": 20}).json()
    assert first["lines"] == lines[:20]
    assert first["has_next"] is True
    second = client.get("/api/kwic", params={"q": COMMON, "width": 10, "limit": 20, "page": 2})
    assert second.json()["lines"] == lines[20:40]
    assert second.json()["has_next"] is False
    assert "width" in error_of(client.get("/api/kwic?q=x&width=0"), 400, "QueryError")
    assert "limit" in error_of(client.get("/api/kwic?q=x&limit=1001"), 400, "QueryError")


def test_count_by_source(client: TestClient, index: Path) -> None:
    got = client.get("/api/count", params={"q": COMMON, "by": "source"}).json()
    assert got == Archive(index, create=False).count(COMMON, by="source").to_dict()
    assert [g["key"] for g in got["groups"]] == ["كتاب ج", "كتاب أ"]
    assert client.get("/api/count", params={"q": COMMON}).json()["passages"] == 25
    error_of(client.get("/api/count", params={"q": ")"}), 400, "QueryError")


def test_stats(client: TestClient, index: Path) -> None:
    assert client.get("/api/stats").json() == Archive(index, create=False).stats()
    error_of(client.get("/api/stats?x=1"), 400, "ArchiveError")


def test_export_streams_every_hit(client: TestClient, index: Path) -> None:
    arc = Archive(index, create=False)
    expected = [h.to_dict(["id", "score"]) for h in arc.hits(COMMON)]
    response = client.get("/api/export", params={"q": COMMON, "fields": "id,score"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-ndjson")
    assert "attachment" in response.headers["content-disposition"]
    assert [json.loads(line) for line in response.text.splitlines()] == expected
    csv_text = client.get("/api/export", params={"q": COMMON, "format": "csv"}).text
    rows = csv_text.splitlines()
    assert rows[0] == "id,title,source,score,snippet,citation,citation_full"
    assert len(rows) == 1 + len(expected)
    tsv = client.get("/api/export", params={"q": "خطر", "format": "tsv", "fields": "id,title"})
    assert tsv.text == f"id\ttitle\nb/1\t{XSS_TITLE}\n"


def test_export_cells_are_safe_in_a_spreadsheet(tmp_path: Path) -> None:
    records = [{"id": "f1", "title": '=HYPERLINK("http://x")', "text": "صيغة"}]
    arc = Archive(tmp_path / "ix")
    arc.ingest(write_jsonl(tmp_path / "f.jsonl", records))
    with TestClient(app(arc)) as c:
        for fmt, sep in (("csv", ","), ("tsv", "\t")):
            text = c.get("/api/export", params={"q": "صيغة", "format": fmt, "fields": "id,title"})
            row = text.text.splitlines()[1]
            assert row.split(sep, 1)[1].lstrip('"').startswith("'=HYPERLINK"), row


def test_export_errors_come_before_the_stream(client: TestClient) -> None:
    error_of(client.get("/api/export", params={"q": "("}), 400, "QueryError")
    message = error_of(
        client.get("/api/export", params={"q": COMMON, "fields": "nope"}), 400, "ArchiveError"
    )
    assert "unknown field 'nope'" in message
    assert "format" in error_of(
        client.get("/api/export", params={"q": COMMON, "format": "xml"}), 400, "QueryError"
    )


def test_export_of_many_hits_comes_in_chunks(tmp_path: Path) -> None:
    records = [{"id": f"p{i:04}", "text": f"كلمة {i}"} for i in range(450)]
    arc = Archive(tmp_path / "many")
    arc.ingest(write_jsonl(tmp_path / "many.jsonl", records))
    with TestClient(app(arc)) as c, c.stream("GET", "/api/export?q=كلمة&fields=id") as r:
        chunks = list(r.iter_text())
    lines = "".join(chunks).splitlines()
    assert len(lines) == 450
    assert len({json.loads(line)["id"] for line in lines}) == 450


# --- the index: unavailable, changed by another process ------------------------------


def test_no_index_is_503_until_one_is_made(tmp_path: Path) -> None:
    folder = tmp_path / "later"
    with TestClient(app(folder)) as c:
        message = error_of(c.get("/api/search?q=مشترك"), 503, "IndexNotFoundError")
        assert str(folder) in message
        error_of(c.get("/api/stats"), 503, "IndexNotFoundError")
        assert not folder.exists()  # read-only: nothing created
        Archive(folder).ingest(write_jsonl(tmp_path / "p.jsonl", RECORDS[:1]))
        assert c.get("/api/search?q=مشترك").json()["total"] == 1


def test_a_commit_by_another_writer_is_seen_without_restart(
    client: TestClient, index: Path, tmp_path: Path
) -> None:
    assert client.get("/api/search", params={"q": "جديد"}).json()["total"] == 0
    other = Archive(index)  # another writer, as another process would be
    other.ingest(write_jsonl(tmp_path / "new" / "n.jsonl", [{"id": "n1", "text": "خبر جديد"}]))
    assert client.get("/api/search", params={"q": "جديد"}).json()["total"] == 1
    got = client.get("/api/passages/n1", params={"context": 1}).json()
    assert (got["previous"], got["next"]) == ([], [])


# --- the OpenAPI document ----------------------------------------------------------------


def _routes(application: Any) -> set[tuple[str, str]]:
    found = set()
    for route in application.routes:
        path = re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path)
        for method in route.methods - {"HEAD"}:
            found.add((path, method.lower()))
    return found


def _documented(doc: dict[str, Any]) -> set[tuple[str, str]]:
    return {(path, method) for path, ops in doc["paths"].items() for method in ops}


#: A valid value of each query parameter the document lists.
SAMPLES = {
    "q": COMMON,
    "exact": "0",
    "match": "all",
    "source": "*",
    "where": "volume=1",
    "sort": "score",
    "limit": "5",
    "page": "1",
    "width": "10",
    "by": "source",
    "format": "jsonl",
    "fields": "id,title",
    "context": "1",
    "view": "kwic",
    "passage": "a1",
    "facet": "source",
    "group_by": "source",
    "per_group": "2",
    "strict": "alef_maqsura",
}


@pytest.mark.parametrize("allow_ingest", [False, True])
def test_openapi_describes_every_route_and_only_routes(index: Path, allow_ingest: bool) -> None:
    application = app(index, allow_ingest=allow_ingest, token="t" if allow_ingest else None)
    with TestClient(application) as c:
        doc = c.get("/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    assert _documented(doc) == _routes(application)
    assert (("/api/ingest", "post") in _documented(doc)) is allow_ingest
    for path, ops in doc["paths"].items():
        in_path = set(re.findall(r"\{(\w+)\}", path))
        for op in ops.values():
            assert in_path == {p["name"] for p in op.get("parameters", ()) if p["in"] == "path"}
            assert "200" in op["responses"]


def test_every_documented_parameter_is_taken(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    for path, ops in doc["paths"].items():
        if "get" not in ops or path.startswith("/static"):
            continue
        operation = ops["get"]
        params = {
            p["name"]: SAMPLES[p["name"]]
            for p in operation.get("parameters", ())
            if p["in"] == "query"
        }
        response = client.get(path.replace("{passage_id}", "a1"), params=params)
        assert response.status_code == 200, (path, response.text)


# --- security defaults -----------------------------------------------------------------


def test_cors_is_off_by_default(client: TestClient) -> None:
    response = client.get("/api/stats", headers={"origin": "https://elsewhere.example"})
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers
    preflight = client.options(
        "/api/search",
        headers={"origin": "https://elsewhere.example", "access-control-request-method": "GET"},
    )
    assert "access-control-allow-origin" not in preflight.headers


def test_cors_for_one_origin(index: Path) -> None:
    with TestClient(app(index, cors=["https://reader.example"])) as c:
        ok = c.get("/api/stats", headers={"origin": "https://reader.example"})
        assert ok.headers["access-control-allow-origin"] == "https://reader.example"
        other = c.get("/api/stats", headers={"origin": "https://elsewhere.example"})
        assert "access-control-allow-origin" not in other.headers


def test_the_page_is_rtl_and_guarded(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<html lang="ar" dir="rtl">' in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    for name, kind in (("app.js", "text/javascript"), ("style.css", "text/css")):
        asset = client.get(f"/static/{name}")
        assert asset.status_code == 200
        assert asset.headers["content-type"].startswith(kind)
    error_of(client.get("/static/index.html"), 404, "HTTPException")
    error_of(client.get("/static/..%2Fapi.py"), 404, "HTTPException")
    error_of(client.get("/no/such/page"), 404, "HTTPException")


# --- ingest ------------------------------------------------------------------------


def test_ingest_is_off_by_default(client: TestClient) -> None:
    body = json.dumps({"text": "نص"}).encode()
    error_of(client.post("/api/ingest?name=x.jsonl", content=body), 404, "HTTPException")
    response = client.post(
        "/api/ingest?name=x.jsonl", content=body, headers={"authorization": "Bearer t"}
    )
    error_of(response, 404, "HTTPException")


def test_ingest_needs_a_token(index: Path) -> None:
    from archive import ArchiveError

    with pytest.raises(ArchiveError, match="token"):
        app(index, allow_ingest=True)


def test_ingest_with_the_token(index: Path, tmp_path: Path) -> None:
    uploads = tmp_path / "uploads"
    application = app(index, allow_ingest=True, token="s3cret", uploads=uploads, max_upload=2000)

    def lines(*records: dict[str, Any]) -> bytes:
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode()

    good = lines({"id": "u1", "text": "رسالة أولى"}, {"id": "u2", "text": "رسالة ثانية"})
    auth = {"authorization": "Bearer s3cret"}
    with TestClient(application) as c:
        url = "/api/ingest?name=letters.jsonl"
        error_of(c.post(url, content=good), 401, "HTTPException")
        error_of(
            c.post(url, content=good, headers={"authorization": "Bearer wrong"}),
            403,
            "HTTPException",
        )
        error_of(
            c.post(url, content=good, headers={"authorization": "Basic s3cret"}),
            403,
            "HTTPException",
        )
        report = c.post(url, content=good, headers=auth).json()
        assert (report["added"], report["updated"], report["removed"]) == (2, 0, 0)
        hits = c.get("/api/search", params={"q": "رسالة"}).json()["hits"]
        assert {(h["id"], h["source"]) for h in hits} == {
            ("u1", "letters.jsonl"),
            ("u2", "letters.jsonl"),
        }
        # The same name again replaces the file: u2 is gone.
        report = c.post(url, content=lines({"id": "u1", "text": "رسالة أولى"}), headers=auth)
        assert report.json()["removed"] == 1
        assert c.get("/api/search", params={"q": "رسالة"}).json()["total"] == 1
        # A bad file changes nothing, and the upload it replaced is put back.
        before = (uploads / "letters.jsonl").read_bytes()
        message = error_of(c.post(url, content=b"{oops\n", headers=auth), 400, "InputError")
        assert "letters.jsonl:1" in message
        assert (uploads / "letters.jsonl").read_bytes() == before
        assert c.get("/api/search", params={"q": "رسالة"}).json()["total"] == 1
        # Limits: the size, the name.
        error_of(c.post(url, content=b"x" * 2001, headers=auth), 413, "HTTPException")
        for name in ("../up.jsonl", ".hidden.jsonl", "run.sh", "a%2Fb.jsonl"):
            response = c.post(f"/api/ingest?name={name}", content=good, headers=auth)
            error_of(response, 400, "InputError")
        error_of(c.post("/api/ingest", content=good, headers=auth), 400, "InputError")
    assert sorted(p.name for p in uploads.iterdir()) == ["letters.jsonl"]


# --- the time budget ---------------------------------------------------------------


@pytest.fixture
def slow_search(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """Archive.search blocks until the event is set (at the end of the test)."""
    release = threading.Event()
    search = Archive.search

    def slow(self: Archive, *args: Any, **kwargs: Any) -> Any:
        release.wait(10)
        return search(self, *args, **kwargs)

    monkeypatch.setattr(Archive, "search", slow)
    yield release
    release.set()


def test_a_slow_search_gets_the_timeout_error(index: Path, slow_search: threading.Event) -> None:
    with TestClient(app(index, timeout=0.3)) as c:
        started = time.monotonic()
        response = c.get("/api/search", params={"q": COMMON})
        assert time.monotonic() - started < 5
        message = error_of(response, 503, "TimeoutError")
        assert "took too long" in message
        assert response.headers["retry-after"] == "1"
        assert c.get("/api/stats").status_code == 200  # other requests still answer
        slow_search.set()


def test_abandoned_searches_cannot_pile_up(index: Path, slow_search: threading.Event) -> None:
    # One thread, so two slots: two searches given up on hold both until they end.
    with TestClient(app(index, timeout=0.3, threads=1)) as c:
        assert "took too long" in error_of(c.get(f"/api/search?q={COMMON}"), 503, "TimeoutError")
        assert "took too long" in error_of(c.get(f"/api/search?q={COMMON}"), 503, "TimeoutError")
        assert "busy" in error_of(c.get("/api/stats"), 503, "TimeoutError")
        slow_search.set()
        deadline = time.monotonic() + 10
        while c.get("/api/stats").status_code != 200:
            assert time.monotonic() < deadline, "the slots never came free"
            time.sleep(0.05)


def test_searches_run_side_by_side(index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No lock is held across a search: two searches are inside Archive.search at once."""
    inside = threading.Barrier(2, timeout=5)
    search = Archive.search

    def meeting(self: Archive, *args: Any, **kwargs: Any) -> Any:
        inside.wait()  # breaks (an error) unless another search is here too
        return search(self, *args, **kwargs)

    monkeypatch.setattr(Archive, "search", meeting)
    with TestClient(app(index)) as c:
        statuses: list[int] = []

        def ask() -> None:
            statuses.append(c.get("/api/search", params={"q": COMMON}).status_code)

        threads = [threading.Thread(target=ask) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
    assert statuses == [200, 200]


# --- archive serve -------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


@pytest.mark.parametrize("workers", [1, 2])
def test_archive_serve_answers_on_loopback(index: Path, tmp_path: Path, workers: int) -> None:
    port = _free_port()
    argv = [sys.executable, "-m", "archive", "serve", "--index", str(index), "--port", str(port)]
    argv += ["--workers", str(workers), "--no-access-log"]
    log = tmp_path / "serve.log"
    with log.open("w") as err:
        server = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=err)
    url = f"http://127.0.0.1:{port}/api/search?" + urllib.parse.urlencode({"q": COMMON})
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                data = _get(url)
                break
            except OSError:
                assert server.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "the server did not start in 30 s"
                time.sleep(0.1)
        assert data["total"] == 25
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(5)
    assert f"archive: serving {index} on http://127.0.0.1:{port}/ (read-only" in log.read_text()


def _serve_error(argv: list[str], tmp_path: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "archive", "serve", *argv],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )
    assert done.returncode == 1, done.stderr
    assert done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith("archive: error: ")
    return done.stderr


def test_archive_serve_user_errors(index: Path, tmp_path: Path) -> None:
    missing = tmp_path / "missing"
    assert "no archive index" in _serve_error(["--index", str(missing)], tmp_path)
    assert not missing.exists()
    err = _serve_error(["--index", str(index), "--allow-ingest"], tmp_path, {"ARCHIVE_TOKEN": ""})
    assert "--allow-ingest needs a token" in err
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        err = _serve_error(["--index", str(index), "--port", port], tmp_path)
        assert f"cannot listen on 127.0.0.1:{port}" in err


BLOCK_WEB = """
import sys
from importlib.abc import MetaPathFinder

class Block(MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("starlette", "uvicorn"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, Block())
import archive
assert "starlette" not in sys.modules
from archive.cli import main
sys.exit(main(["serve", "--index", sys.argv[1]]))
"""


def test_serve_without_the_web_extra_names_it(index: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", BLOCK_WEB, str(index)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith("archive: error: archive serve needs starlette")
    assert 'pip install "arabic-archive[web]"' in done.stderr
    assert done.stderr.count("\n") == 1


def test_importing_archive_imports_no_web_framework() -> None:
    code = (
        "import sys, archive, archive.cli\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('starlette', 'uvicorn')\n"
        "             or m.startswith('archive.web')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"


def test_app_refuses_bad_options(index: Path) -> None:
    from archive import ArchiveError

    make: Callable[..., Any] = app
    for options in ({"timeout": 0}, {"threads": 0}, {"threads": True}):
        with pytest.raises(ArchiveError):
            make(index, **options)


def test_the_app_mounts_under_a_prefix(index: Path) -> None:
    from starlette.applications import Starlette
    from starlette.routing import Mount

    site = Starlette(routes=[Mount("/archive", app=app(index))])
    with TestClient(site) as c:
        page = c.get("/archive")  # redirected to /archive/
        assert page.status_code == 200
        assert 'src="static/app.js"' in page.text  # relative: found under the prefix
        assert c.get("/archive/static/app.js").status_code == 200
        assert c.get("/archive/api/search", params={"q": COMMON}).json()["total"] == 25
        error_of(c.get("/archive/api/passages/nope"), 404, "PassageNotFoundError")


def test_the_librarys_hint_comes_along(client: TestClient, index: Path) -> None:
    question = "ما هو المفقود؟"
    expected = getattr(Archive(index, create=False).search(question), "hint", None)
    got = client.get("/api/search", params={"q": question}).json()
    assert got["total"] == 0
    assert got["hint"] == expected
