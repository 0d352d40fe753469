"""The sharded archive on a real Dask cluster returns exactly what one index returns.

One ``LocalCluster`` of two worker processes serves the whole module. Every
comparison builds the same passages into one :class:`Archive` and into a
:class:`ShardedArchive`, and checks totals, ids in order, scores (to 1e-9
relative), highlights and snippets; on a small always-present corpus (the
project's texts, the test excerpts and sentences made of their words) and, where
the shared corpora are present, on a few thousand hadith.
"""

from __future__ import annotations

import json
import os
import pickle
import random
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archive import (
    Archive,
    ArchiveError,
    ClusterError,
    IndexLayoutError,
    IndexNotFoundError,
    InputError,
    PassageNotFoundError,
    QueryError,
    SearchResults,
    ShardUnavailableError,
)
from archive.arabic import TOKEN_PATTERN
from archive.cli import main
from archive.sharded import PartialResultsWarning, ShardedArchive, shard_path, stable_shard
from tests.conftest import CORPORA, DATA, ROOT, write_jsonl


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, processes=True, threads_per_worker=1, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as c,
    ):
        yield c


# --- corpora -----------------------------------------------------------------------


def _words(records: list[dict[str, Any]]) -> list[str]:

    pattern = re.compile(TOKEN_PATTERN)
    words: list[str] = []
    for record in records:
        words.extend(pattern.findall(record["text"]))
    return words


def _read(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def small_corpus(folder: Path) -> list[dict[str, Any]]:
    """Three JSON Lines files: the hadith and Quran excerpts, and 400 sentences made
    of their words (vocalised and plain), with sources and metadata to filter on."""
    hadith = _read(DATA / "hadith_excerpt.jsonl")
    quran = [
        {"id": f"imlai:{r['id']}", "text": r["text"], "title": f"سورة {r['sura']}"}
        for r in _read(DATA / "quran_imlai_excerpt.jsonl")
        if r["text"]
    ]
    quran += [
        {"id": f"hafs:{r['id']}", "text": r["text"], "title": f"سورة {r['sura']}"}
        for r in _read(DATA / "quran_hafs_excerpt.jsonl")
        if r["text"]
    ]
    vocabulary = _words(hadith + quran)
    rng = random.Random(6)
    made = []
    for n in range(400):
        words = rng.choices(vocabulary, k=rng.randint(4, 30))
        made.append(
            {
                "id": f"s{n:04d}",
                "title": " ".join(rng.choices(vocabulary, k=2)),
                "text": " ".join(words),
                "source": f"book{n % 3}",
                "volume": 1 + n % 4,
                "era": rng.choice(["early", "late"]),
            }
        )
    # Passages with the same text: their scores tie, and the tie is broken by id.
    made += [{"id": f"twin{n}", "text": "رسول الله صلى الله عليه وسلم"} for n in (3, 1, 2)]
    write_jsonl(folder / "hadith.jsonl", hadith)
    write_jsonl(folder / "quran.jsonl", quran)
    write_jsonl(folder / "made.jsonl", made)
    return hadith + quran + made


@pytest.fixture(scope="module")
def small(
    client: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Archive, ShardedArchive, list[str]]]:
    base = tmp_path_factory.mktemp("small")
    records = small_corpus(base / "input")
    single = Archive(base / "single")
    single.ingest(base / "input", workers=1)
    sharded = ShardedArchive(base / "sharded", shards=3, client=client)
    sharded.ingest(base / "input")
    yield single, sharded, _words(records)
    sharded.close()


@pytest.fixture(scope="module")
def hadith(
    client: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Archive, ShardedArchive, list[str]]]:
    path = CORPORA / "hadith_bukhari_muslim.jsonl"
    if not path.is_file():
        pytest.skip(
            f"shared corpus {path} is absent (only the project's own machines have it; "
            "set ARCHIVE_CORPORA to its folder)"
        )
    base = tmp_path_factory.mktemp("hadith")
    lines = path.read_text(encoding="utf-8").splitlines()
    rng = random.Random(7)
    records = [json.loads(line) for line in rng.sample(lines, 3000)]
    write_jsonl(base / "input" / "hadith.jsonl", records)
    single = Archive(base / "single")
    single.ingest(base / "input", workers=1)
    sharded = ShardedArchive(base / "sharded", shards=4, client=client)
    sharded.ingest(base / "input")
    yield single, sharded, _words(records[:300])
    sharded.close()


# --- comparing -------------------------------------------------------------------------


def assert_same(one: SearchResults, many: SearchResults) -> None:
    assert many.total == one.total, one.query
    assert [h.passage.id for h in many.hits] == [h.passage.id for h in one.hits], one.query
    for n, (a, b) in enumerate(zip(one.hits, many.hits, strict=True)):
        assert b.score == pytest.approx(a.score, rel=1e-9, abs=1e-12), one.query
        assert b.rank == a.rank
        assert b.passage == a.passage
        if n < 30:  # highlights are computed from the text: the first suffice
            assert b.highlights == a.highlights, one.query
            assert b.snippet == a.snippet
    assert (many.page, many.pages, many.has_next) == (one.page, one.pages, one.has_next)


def both(
    single: Archive, sharded: ShardedArchive, query: str, **options: Any
) -> tuple[SearchResults, SearchResults]:
    try:
        one = single.search(query, **options)
    except QueryError:
        with pytest.raises(QueryError):
            sharded.search(query, **options)
        return SearchResults(query=query, total=0, hits=()), SearchResults(
            query=query, total=0, hits=()
        )
    many = sharded.search(query, **options)
    assert_same(one, many)
    return one, many


QUERIES = [
    "الله",
    "قال",
    "رسول الله",
    '"رسول الله"',
    "النبي OR عائشة",
    "الرحمن NOT الرحيم",
    "(الحمد OR العالمين) لله",
    "سمع*",
    "عل*",
    "title:سورة",
    "لينين",
    "ستالين لينين",
    "الحكومة المؤقتة",
]

OPTIONS: list[dict[str, Any]] = [
    {},
    {"match": "any"},
    {"exact": True},
    {"limit": 3, "page": 2},
    {"limit": None},
    {"sort": "source", "limit": 7},
    {"sort": "meta:volume", "limit": 5, "page": 2},
    {"source": "book1", "limit": 5},
    {"where": {"era": "late"}, "match": "any"},
]


@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: json.dumps(o, ensure_ascii=True))
def test_same_results_as_one_index(
    small: tuple[Archive, ShardedArchive, list[str]], options: dict[str, Any]
) -> None:
    single, sharded, _ = small
    found = 0
    for query in QUERIES:
        one, _ = both(single, sharded, query, **options)
        found += one.total
    assert found > 0


def test_exact_mode_with_marks(small: tuple[Archive, ShardedArchive, list[str]]) -> None:
    single, sharded, words = small
    marked = [w for w in words if any("\u064b" <= c <= "\u0652" for c in w)][:15]
    assert marked
    for word in marked:
        one, _ = both(single, sharded, word, exact=True)
        assert one.total > 0


def test_ties_are_ordered_by_id(small: tuple[Archive, ShardedArchive, list[str]]) -> None:
    # twin3, twin1, twin2 were ingested in that order, with the same text: their
    # scores tie, and both archives put them in id order, not ingest order.
    single, sharded, _ = small
    for arc in (single, sharded):
        hits = arc.search("صلى عليه وسلم", limit=None).hits
        twins = [h for h in hits if h.passage.id.startswith("twin")]
        assert [h.passage.id for h in twins] == ["twin1", "twin2", "twin3"]
        assert len({h.score for h in twins}) == 1


def test_hits_kwic_count_are_the_same(small: tuple[Archive, ShardedArchive, list[str]]) -> None:
    single, sharded, _ = small
    for query, options in [("الله", {}), ("قال", {"sort": "source"}), ("سمع*", {"match": "any"})]:
        one = [(h.passage.id, h.score, h.highlights) for h in single.hits(query, **options)]
        many = [(h.passage.id, h.score, h.highlights) for h in sharded.hits(query, **options)]
        assert [h[0] for h in many] == [h[0] for h in one]
        assert [h[2] for h in many] == [h[2] for h in one]
        assert [h[1] for h in many] == pytest.approx([h[1] for h in one], rel=1e-9)
        assert list(sharded.kwic(query, width=20, **options)) == list(
            single.kwic(query, width=20, **options)
        )
    for by in (None, "source", "volume"):
        assert sharded.count("الله", by=by) == single.count("الله", by=by)
    assert sharded.count("قال", where={"era": "early"}, exact=True) == single.count(
        "قال", where={"era": "early"}, exact=True
    )


def test_retrieval(small: tuple[Archive, ShardedArchive, list[str]]) -> None:
    single, sharded, _ = small
    assert len(sharded) == len(single)
    assert sorted(p.id for p in sharded) == sorted(p.id for p in single)
    assert sharded.get("bukhari:1") == single.get("bukhari:1")
    assert "s0001" in sharded
    assert "nothing" not in sharded
    with pytest.raises(PassageNotFoundError, match="nothing"):
        sharded.get("nothing")
    figures = sharded.stats()
    assert figures["passages"] == len(single)
    assert figures["sources"] == single.stats()["sources"]
    assert figures["shards"] == 3
    assert figures["complete"] is True


def test_each_passage_is_in_its_shard(small: tuple[Archive, ShardedArchive, list[str]]) -> None:
    _, sharded, _ = small
    total = 0
    for shard in range(3):
        ids = [p.id for p in Archive(shard_path(sharded.path, shard), create=False)]
        assert all(stable_shard(i, 3) == shard for i in ids)
        total += len(ids)
    assert total == len(sharded)


def test_query_errors_are_raised_by_the_caller(
    small: tuple[Archive, ShardedArchive, list[str]],
) -> None:
    _, sharded, _ = small
    for bad in ({"limit": 0}, {"page": 0}, {"sort": "nonsense"}, {"match": "most"}):
        with pytest.raises(QueryError):
            sharded.search("الله", **bad)
    with pytest.raises(QueryError, match="empty query"):
        sharded.search("  ")
    with pytest.raises(QueryError):
        list(sharded.kwic("الله", width=0))


# --- property-based: random queries drawn from the corpus ------------------------------


@st.composite
def queries(draw: st.DrawFn, words: list[str]) -> tuple[str, dict[str, Any]]:
    picked = draw(st.lists(st.sampled_from(words), min_size=1, max_size=3))
    shape = draw(st.sampled_from(["words", "or", "phrase", "prefix"]))
    if shape == "or":
        text = " OR ".join(picked)
    elif shape == "phrase":
        text = '"' + " ".join(picked[:2]) + '"'
    elif shape == "prefix":
        text = picked[0][:3] + "*"
    else:
        text = " ".join(picked)
    options: dict[str, Any] = {
        "match": draw(st.sampled_from(["all", "any"])),
        "exact": draw(st.booleans()),
        "limit": draw(st.sampled_from([None, 1, 5, 10])),
        "page": draw(st.integers(1, 3)),
    }
    if options["limit"] is None:
        options["page"] = 1
    return text, options


def _property(arcs: tuple[Archive, ShardedArchive, list[str]], examples: int) -> None:
    single, sharded, words = arcs

    @settings(max_examples=examples, deadline=None, derandomize=True)
    @given(queries(sorted(set(words))))
    def check(drawn: tuple[str, dict[str, Any]]) -> None:
        both(single, sharded, drawn[0], **drawn[1])

    check()


def test_random_queries_small(small: tuple[Archive, ShardedArchive, list[str]]) -> None:
    _property(small, 40)


def test_random_queries_hadith(hadith: tuple[Archive, ShardedArchive, list[str]]) -> None:
    _property(hadith, 40)


@pytest.mark.parametrize("options", OPTIONS[:6], ids=lambda o: json.dumps(o, ensure_ascii=True))
def test_same_results_on_hadith(
    hadith: tuple[Archive, ShardedArchive, list[str]], options: dict[str, Any]
) -> None:
    single, sharded, _ = hadith
    for query in QUERIES[:9]:
        both(single, sharded, query, **options)


# --- layout, reopening, bad input ------------------------------------------------------


def test_reopen_and_layout_errors(client: Any, tmp_path: Path) -> None:
    write_jsonl(
        tmp_path / "in" / "a.jsonl", [{"id": f"a{n}", "text": "كتاب العلم"} for n in range(9)]
    )
    path = tmp_path / "sharded"
    with ShardedArchive(path, shards=2, client=client) as arc:
        arc.ingest(tmp_path / "in")
    layout = json.loads((path / "shards.json").read_text(encoding="utf-8"))
    assert layout["shards"] == 2
    with ShardedArchive(path, client=client) as again:
        assert again.shards == 2
        assert again.search("كتاب").total == 9
    with pytest.raises(IndexLayoutError, match="has 2 shards, not 3") as info:
        ShardedArchive(path, shards=3, client=client)
    assert info.value.path == str(path)
    with pytest.raises(IndexLayoutError, match="holds a sharded archive"):
        Archive(path)
    with pytest.raises(IndexLayoutError, match="holds a sharded archive"):
        Archive(path, create=False)
    Archive(tmp_path / "single").ingest(tmp_path / "in")
    with pytest.raises(IndexLayoutError, match="not a sharded archive"):
        ShardedArchive(tmp_path / "single", client=client)
    for bad in (0, -1, True, 2.5, "2"):
        with pytest.raises(IndexLayoutError, match="positive integer"):
            ShardedArchive(tmp_path / "new", shards=bad, client=client)  # type: ignore[arg-type]
    with pytest.raises(IndexLayoutError, match="give the number of shards"):
        ShardedArchive(tmp_path / "new", client=client)
    with pytest.raises(IndexNotFoundError):
        ShardedArchive(tmp_path / "new", client=client, create=False)
    assert not (tmp_path / "new").exists()
    with pytest.raises(InputError, match="no such file"):
        ShardedArchive(path, client=client).ingest(tmp_path / "missing")


def test_bad_scheduler_address(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("distributed")
    import archive.sharded.engine

    monkeypatch.setattr(archive.sharded.engine, "CONNECT_TIMEOUT", "1s")
    with pytest.raises(ClusterError, match="nonsense"):
        ShardedArchive(tmp_path / "a", shards=2, client="nonsense")
    with pytest.raises(ClusterError, match=re.escape("tcp://127.0.0.1:9")):
        ShardedArchive(tmp_path / "b", shards=2, client="tcp://127.0.0.1:9")


def test_without_dask_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed fails
    with pytest.raises(ClusterError, match=r'pip install "arabic-archive\[distributed\]"'):
        ShardedArchive(tmp_path / "a", shards=2)


def test_importing_needs_no_dask() -> None:
    blocker = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('dask', 'distributed'):\n"
        "            raise ImportError(name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "import archive, archive.sharded, archive.cli\n"
        "print('ok')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", blocker], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert done.stdout.strip() == "ok", done.stderr


def test_errors_cross_processes_whole() -> None:
    errors: list[ArchiveError] = [
        QueryError("empty query", "  "),
        PassageNotFoundError("x", "/tmp/i"),
        InputError("bad line", "a.jsonl", 3),
        ShardUnavailableError("shard 2 is unavailable", "/tmp/i/shard-002", 2),
    ]
    for exc in errors:
        back = pickle.loads(pickle.dumps(exc))
        assert type(back) is type(exc)
        assert str(back) == str(exc)
        assert back.__dict__ == exc.__dict__


# --- re-ingest, prune, faults ----------------------------------------------------------


def _reports(one: Any, many: Any) -> None:
    fields = ("files", "added", "updated", "unchanged", "removed", "skipped")
    assert [getattr(many, f) for f in fields] == [getattr(one, f) for f in fields]


def test_reingest_with_changes_and_prune(client: Any, tmp_path: Path) -> None:
    records = small_corpus(tmp_path / "in")
    single = Archive(tmp_path / "single")
    sharded = ShardedArchive(tmp_path / "sharded", shards=3, client=client)
    _reports(single.ingest(tmp_path / "in", workers=1), sharded.ingest(tmp_path / "in"))
    # Unchanged: nothing is written.
    _reports(single.ingest(tmp_path / "in", workers=1), sharded.ingest(tmp_path / "in"))
    # One passage changed, one gone, one new; one file deleted.
    made = _read(tmp_path / "in" / "made.jsonl")
    made[0]["text"] = "نص جديد تماما عن الصبر"
    made[-1] = {"id": "new1", "text": "الصبر مفتاح الفرج"}  # on the same line
    write_jsonl(tmp_path / "in" / "made.jsonl", made)
    (tmp_path / "in" / "quran.jsonl").unlink()
    one = single.ingest(tmp_path / "in", workers=1, prune=True)
    many = sharded.ingest(tmp_path / "in", prune=True)
    _reports(one, many)
    assert (one.added, one.updated, one.removed) == (1, 1, 1 + len(records) - 403 - 12)
    assert sorted(p.id for p in sharded) == sorted(p.id for p in single)
    for query in ("الصبر", "الله", "الرحمن"):
        a, b = single.search(query, limit=None), sharded.search(query, limit=None)
        assert b.total == a.total
        assert {h.passage.id for h in b.hits} == {h.passage.id for h in a.hits}
    for shard in range(3):
        ids = [p.id for p in Archive(shard_path(sharded.path, shard), create=False)]
        assert all(stable_shard(i, 3) == shard for i in ids)
    sharded.close()


def test_a_bad_input_fails_every_shard(client: Any, tmp_path: Path) -> None:
    write_jsonl(tmp_path / "in" / "a.jsonl", [{"id": f"a{n}", "text": "كتاب"} for n in range(20)])
    with ShardedArchive(tmp_path / "sharded", shards=2, client=client) as arc:
        arc.ingest(tmp_path / "in")
        (tmp_path / "in" / "b.jsonl").write_text('{"id": "b1", "text": "علم"}\n{oops\n')
        with pytest.raises(InputError, match=r"b\.jsonl:2"):
            arc.ingest(tmp_path / "in")
        assert len(arc) == 20
        assert not arc.complete
        (tmp_path / "in" / "b.jsonl").write_text('{"id": "b1", "text": "علم"}\n')
        assert arc.ingest(tmp_path / "in").added == 1
        assert arc.complete


def _worker_pids(client: Any) -> dict[str, int]:
    return dict(client.run(os.getpid))


def _kill_when_busy(client: Any, timeout: float = 20.0) -> str:
    """SIGKILL a worker as soon as it is running a task; return its address."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        busy = [w for w, keys in client.processing().items() if keys]
        if busy:
            pids = _worker_pids(client)
            os.kill(pids[busy[0]], signal.SIGKILL)
            return busy[0]
        time.sleep(0.02)
    raise AssertionError("no worker became busy")


def _wait_for_workers(client: Any, n: int = 2) -> None:
    client.wait_for_workers(n, timeout=60)


def _set_delay(client: Any, seconds: float) -> None:
    """Make every shard task on the workers sleep first (0: as they were), so that
    one can be killed in the middle of a search."""

    def set_it(value: float) -> None:
        from archive.sharded import tasks

        cache = tasks.ShardCache
        real = cache.__dict__.get("real_snapshots", cache.snapshots)
        cache.real_snapshots = real  # type: ignore[attr-defined]

        def slow(self: Any, path: str, shard: int) -> Any:
            time.sleep(value)
            return real(self, path, shard)

        cache.snapshots = slow if value else real  # type: ignore[method-assign]

    client.run(set_it, seconds)


@pytest.fixture
def own_client() -> Iterator[Any]:
    """A cluster of its own for a test that kills a worker. Dask's LocalCluster
    closes a worker's nanny for good when that worker's name is missing 15 s
    (``distributed.deploy.lost-worker-timeout``) after it was lost, even if it
    came back meanwhile and is only missing again because a later test killed
    it: two kill tests on one cluster within 15 s lost a worker for good."""
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, processes=True, threads_per_worker=1, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as c,
    ):
        yield c


@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_worker_killed_mid_search(
    own_client: Any, small: tuple[Archive, ShardedArchive, list[str]]
) -> None:
    client = own_client
    single, built, _ = small
    sharded = ShardedArchive(built.path, client=client, create=False)
    expected = single.search("الله", match="any", limit=20)
    _set_delay(client, 1.0)
    result: dict[str, Any] = {}
    thread = threading.Thread(
        target=lambda: result.setdefault("r", sharded.search("الله", match="any", limit=20))
    )
    try:
        thread.start()
        killed = _kill_when_busy(client)
        thread.join(120)
    finally:
        _set_delay(client, 0.0)
        _wait_for_workers(client)
    assert_same(expected, result["r"])
    assert killed not in client.scheduler_info()["workers"]  # replaced by a new one


@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_worker_killed_mid_ingest(own_client: Any, tmp_path: Path) -> None:
    client = own_client
    small_corpus(tmp_path / "in")
    rng = random.Random(3)
    words = _words(_read(tmp_path / "in" / "made.jsonl"))
    write_jsonl(
        tmp_path / "in" / "more.jsonl",
        ({"id": f"m{n}", "text": " ".join(rng.choices(words, k=60))} for n in range(3000)),
    )
    single = Archive(tmp_path / "single")
    expected = single.ingest(tmp_path / "in", workers=1)
    sharded = ShardedArchive(tmp_path / "sharded", shards=2, client=client)
    outcome: dict[str, Any] = {}
    thread = threading.Thread(
        target=lambda: outcome.setdefault("report", sharded.ingest(tmp_path / "in"))
    )
    thread.start()
    time.sleep(0.5)
    killed = _kill_when_busy(client)
    thread.join(180)
    _wait_for_workers(client)
    assert killed not in client.scheduler_info()["workers"]
    _reports(expected, outcome["report"])
    assert sharded.complete
    for query in ("الله", "قال OR سمع", '"رسول الله"'):
        assert_same(single.search(query), sharded.search(query))
    sharded.close()


def _forget_open_shards(dask_worker: Any) -> None:
    from archive.sharded.tasks import PLUGIN

    dask_worker.plugins[PLUGIN].cache.close()


def test_unavailable_shard_is_named(client: Any, tmp_path: Path) -> None:
    write_jsonl(tmp_path / "in" / "a.jsonl", [{"id": f"a{n}", "text": "كتاب"} for n in range(30)])
    arc = ShardedArchive(tmp_path / "sharded", shards=3, client=client)
    arc.ingest(tmp_path / "in")
    gone = shard_path(arc.path, 1)
    held = sum(1 for n in range(30) if stable_shard(f"a{n}", 3) == 1)
    gone.rename(tmp_path / "elsewhere")
    with pytest.raises(ShardUnavailableError, match="shard 1") as info:
        arc.search("كتاب")
    assert info.value.shard == 1
    assert info.value.path == str(gone)
    with pytest.raises(ShardUnavailableError, match="shard 1"):
        len(arc)
    partial = ShardedArchive(tmp_path / "sharded", client=client, partial=True)
    with pytest.warns(PartialResultsWarning, match="shards 1 "):
        assert partial.search("كتاب").total == 30 - held
    assert partial.missing_shards == (1,)
    (tmp_path / "elsewhere").rename(gone)
    assert partial.search("كتاب").total == 30
    assert partial.missing_shards == ()
    # A damaged shard, as a worker that starts afresh finds it: its table of
    # contents is unreadable.
    toc = next(gone.glob("_MAIN_*.toc"))
    toc.write_bytes(b"damaged")
    client.run(_forget_open_shards)
    with pytest.raises(ShardUnavailableError, match="shard 1"):
        ShardedArchive(tmp_path / "sharded", client=client).search("كتاب")


# --- the command line ------------------------------------------------------------------


def test_cli_on_a_sharded_folder(
    client: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    address = client.scheduler.address
    index = str(tmp_path / "sharded")
    assert (
        main(
            [
                "ingest",
                str(ROOT / "texts"),
                "--index",
                index,
                "--shards",
                "2",
                "--scheduler",
                address,
            ]
        )
        == 0
    )
    assert "2 added" in capsys.readouterr().out
    assert main(["ingest", str(ROOT / "texts"), "--index", str(tmp_path / "one")]) == 0
    capsys.readouterr()
    outputs = []
    for folder in (str(tmp_path / "one"), index):
        assert (
            main(
                [
                    "search",
                    "لينين",
                    "--index",
                    folder,
                    "--json",
                    *(["--scheduler", address] if folder == index else []),
                ]
            )
            == 0
        )
        outputs.append(json.loads(capsys.readouterr().out))
        assert (
            main(
                [
                    "count",
                    "ستالين",
                    "--index",
                    folder,
                    "--by",
                    "source",
                    *(["--scheduler", address] if folder == index else []),
                ]
            )
            == 0
        )
        outputs.append(capsys.readouterr().out)
        assert (
            main(
                [
                    "kwic",
                    "ستالين",
                    "--index",
                    folder,
                    "--format",
                    "jsonl",
                    *(["--scheduler", address] if folder == index else []),
                ]
            )
            == 0
        )
        outputs.append(capsys.readouterr().out)
    assert outputs[:3] == outputs[3:]
    assert (
        main(
            [
                "ingest",
                str(ROOT / "texts"),
                "--index",
                index,
                "--shards",
                "3",
                "--scheduler",
                address,
            ]
        )
        == 1
    )
    assert "has 2 shards, not 3" in capsys.readouterr().err
    assert main(["search", "لينين", "--index", str(tmp_path / "one"), "--scheduler", address]) == 1
    assert "not sharded" in capsys.readouterr().err


@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_every_worker_killed_at_once_still_answers(
    own_client: Any, small: tuple[Archive, ShardedArchive, list[str]]
) -> None:
    """The next search gives what one index gives, or, if no worker came back,
    a ClusterError at the archive's timeout: never a search that hangs. (The
    nannies start new workers, unless a restart took longer than Dask's
    lost-worker timeout, when LocalCluster closes the nanny for good.)"""
    client = own_client
    single, built, _ = small
    sharded = ShardedArchive(built.path, client=client, create=False, timeout=60)
    expected = single.search("الله", limit=20)
    assert_same(expected, sharded.search("الله", limit=20))
    for pid in _worker_pids(client).values():
        os.kill(pid, signal.SIGKILL)  # each worker process, not their group
    started = time.monotonic()
    try:
        found = sharded.search("الله", limit=20)
    except ClusterError as exc:  # no worker came back: the error, at the timeout
        message = str(exc)
        found = None
    if found is None:
        assert "did not answer within 60s" in message
    else:
        assert_same(expected, found)
    assert time.monotonic() - started < 60 + 30


def test_no_worker_at_all_is_a_prompt_cluster_error(
    small: tuple[Archive, ShardedArchive, list[str]],
) -> None:
    """With no worker to run them, the shard tasks never start: the call ends at
    the archive's timeout with a ClusterError that says what to check."""
    distributed = pytest.importorskip("distributed")
    _, built, _ = small
    with (
        distributed.LocalCluster(n_workers=0, processes=True, dashboard_address=":0") as cluster,
        distributed.Client(cluster) as client,
    ):
        sharded = ShardedArchive(built.path, client=client, create=False, timeout=3)
        started = time.monotonic()
        with pytest.raises(ClusterError, match="did not answer within 3s"):
            sharded.search("الله")
        assert time.monotonic() - started < 30
