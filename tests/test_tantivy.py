"""The Tantivy engine beyond the conformance suite: its extra, its import
boundary, parallel ingest, locking, faults, other processes, and the same hits
as the Whoosh engine on real hadith (``tests/engines`` covers the behaviour
every engine shares)."""

from __future__ import annotations

import ast
import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from archive import (
    Archive,
    ArchiveError,
    IndexFormatError,
    IndexLockedError,
    InputError,
    QueryError,
)
from archive.arabic import TOKEN_PATTERN
from tests.conftest import CORPORA, ROOT, write_jsonl

pytest.importorskip("tantivy", reason="the tantivy extra is not installed")


def _records(n: int, seed: int = 1) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    words = [
        "قال",
        "رسول",
        "الله",
        "صلى",
        "عليه",
        "وسلم",
        "الكتاب",
        "بالكتاب",
        "والصلاة",
        "الصبر",
        "عمر",
        "علي",
        "عائشة",
    ]
    return [
        {"id": f"p{i}", "text": " ".join(rng.choices(words, k=40)), "source": f"b{i % 3}"}
        for i in range(n)
    ]


def test_parallel_ingest_indexes_what_one_process_does(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "in" / "p.jsonl", _records(1500))
    one = Archive(tmp_path / "one", engine="tantivy")
    many = Archive(tmp_path / "many", engine="tantivy")
    assert one.ingest(path, workers=1).added == 1500
    assert many.ingest(path, workers=3).added == 1500
    for query in ("الله", '"رسول الله"', "بالكتاب", "عمر NOT علي", "صل*"):
        a, b = one.search(query, limit=None), many.search(query, limit=None)
        assert a.total == b.total > 0, query
        assert [(h.passage.id, h.score) for h in a.hits] == [
            (h.passage.id, h.score) for h in b.hits
        ], query
    assert [p.id for p in many] == [f"p{i}" for i in range(1500)]  # the order of ingest


def test_a_failed_parallel_ingest_commits_nothing(tmp_path: Path) -> None:
    arc = Archive(tmp_path / "ix", engine="tantivy")
    arc.ingest(write_jsonl(tmp_path / "ok.jsonl", [{"id": "old", "text": "قديم"}]))
    folder = tmp_path / "batch"
    write_jsonl(folder / "a.jsonl", _records(900))
    (folder / "b.jsonl").write_text('{"text": \n', encoding="utf-8")
    with pytest.raises(InputError, match=r"b\.jsonl:1"):
        arc.ingest(folder, workers=3)
    assert [p.id for p in arc] == ["old"]
    assert arc.ingest(tmp_path / "ok.jsonl").unchanged == 1  # the lock was given back


def test_a_second_writer_waits_then_gives_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from archive.engines.tantivy import store

    arc = Archive(tmp_path / "ix", engine="tantivy")
    holder = arc.engine.writer()
    monkeypatch.setattr(store, "LOCK_TIMEOUT", 0.3)
    started = time.monotonic()
    with pytest.raises(IndexLockedError, match=r"being written by another.*0\.3s"):
        Archive(tmp_path / "ix").ingest(write_jsonl(tmp_path / "p.jsonl", _records(3)))
    assert time.monotonic() - started >= 0.3
    holder.cancel()
    assert Archive(tmp_path / "ix").ingest(tmp_path / "p.jsonl").added == 3


def test_an_engine_is_chosen_when_the_index_is_created(tmp_path: Path) -> None:
    Archive(tmp_path / "ix", engine="tantivy").ingest(
        write_jsonl(tmp_path / "p.jsonl", _records(3))
    )
    assert Archive(tmp_path / "ix").engine.name == "tantivy"  # the folder remembers
    with pytest.raises(IndexFormatError, match="a tantivy index, not whoosh"):
        Archive(tmp_path / "ix", engine="whoosh")
    with pytest.raises(ArchiveError, match="unknown engine 'lucene'"):
        Archive(tmp_path / "other", engine="lucene")
    assert not (tmp_path / "other").exists()


def _run(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
        timeout=120,
    )


def test_opening_a_tantivy_archive_imports_no_whoosh(tmp_path: Path) -> None:
    Archive(tmp_path / "ix", engine="tantivy").ingest(
        write_jsonl(tmp_path / "p.jsonl", _records(20))
    )
    done = _run(
        "import sys; from archive import Archive\n"
        "arc = Archive(sys.argv[1], create=False)\n"
        "print(arc.search('الله').total, arc.search('الله').hits[0].snippet != '')\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'whoosh', 'dask'}))\n",
        str(tmp_path / "ix"),
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[1] == "[]", done.stdout


def test_without_the_extra_a_clear_error(tmp_path: Path) -> None:
    done = _run(
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] == 'tantivy':\n"
        "            raise ImportError(name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "from archive.cli import main\n"
        "sys.exit(main(['ingest', sys.argv[2], '--index', sys.argv[1], '--engine', 'tantivy']))\n",
        str(tmp_path / "ix"),
        str(write_jsonl(tmp_path / "p.jsonl", _records(3))),
    )
    assert done.returncode == 1
    assert 'pip install "arabic-archive[tantivy]"' in done.stderr
    assert "Traceback" not in done.stderr


_INGEST = (
    "import sys; from archive import Archive\n"
    "Archive(sys.argv[1]).ingest(sys.argv[2], workers=int(sys.argv[3]))\n"
)


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_the_last_commit_survives_a_killed_ingest(tmp_path: Path, sig: signal.Signals) -> None:
    """Only the ingesting process is signalled (not its group), at several moments."""
    arc = Archive(tmp_path / "ix", engine="tantivy")
    arc.ingest(write_jsonl(tmp_path / "first.jsonl", _records(50)))
    before = sorted(p.id for p in arc)
    big = write_jsonl(tmp_path / "big" / "b.jsonl", _records(30000, seed=2))
    # The new state: big's passages (its ids p0..p49 take over the first file's).
    after = sorted({*before, *(r["id"] for r in _records(30000, seed=2))})
    for delay in (0.3, 1.0, 2.0):
        proc = subprocess.Popen(
            [sys.executable, "-c", _INGEST, str(tmp_path / "ix"), str(big), "3"],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        proc.send_signal(sig)
        proc.wait(timeout=60)
        reopened = Archive(tmp_path / "ix", create=False)
        ids = sorted(p.id for p in reopened)
        # the old state or, had it committed first, the new one; never half
        assert ids in (before, after), (delay, len(ids))
        # the lock is free: the workers did not outlive their parent holding it
        deadline = time.monotonic() + 20
        while True:
            try:
                reopened.engine.writer().cancel()
                break
            except IndexLockedError:
                assert time.monotonic() < deadline, "the write lock stayed held"
    done = Archive(tmp_path / "ix").ingest(tmp_path / "first.jsonl")
    assert done.unchanged + done.added + done.updated == 50


def test_another_process_sees_the_old_or_the_new_state(tmp_path: Path) -> None:
    """One search sees one commit: the passage as it was or as it is, never both
    versions nor none, while another process replaces it."""
    arc = Archive(tmp_path / "ix", engine="tantivy")
    arc.ingest(write_jsonl(tmp_path / "p.jsonl", [{"id": "a", "text": "ستالين"}]))
    reader = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from archive import Archive\n"
            "arc = Archive(sys.argv[1], create=False); seen = set()\n"
            "end = time.monotonic() + 6\n"
            "while time.monotonic() < end:\n"
            "    found = arc.search('ستالين OR لينين', limit=None)\n"
            "    seen.add((found.total, tuple(h.passage.text for h in found.hits)))\n"
            "print(repr(sorted(seen)))\n",
            str(tmp_path / "ix"),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    time.sleep(1.5)
    write_jsonl(tmp_path / "p.jsonl", [{"id": "a", "text": "لينين"}])
    assert arc.ingest(tmp_path / "p.jsonl").updated == 1
    out, _ = reader.communicate(timeout=60)
    seen = set(ast.literal_eval(out.strip()))
    assert seen == {(1, ("ستالين",)), (1, ("لينين",))}, seen  # the old state, then the new


# --- the same hits as the Whoosh engine, on real hadith ------------------------------


@pytest.fixture(scope="module")
def hadith_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Archive, Archive, list[str]]:
    path = CORPORA / "hadith_bukhari_muslim.jsonl"
    if not path.is_file():
        pytest.skip(f"shared corpus {path} is absent (only the project's machines have it)")
    lines = path.read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in random.Random(11).sample(lines, 3000)]
    base = tmp_path_factory.mktemp("pair")
    source = write_jsonl(base / "in" / "hadith.jsonl", records)
    whoosh, tantivy = Archive(base / "w", engine="whoosh"), Archive(base / "t", engine="tantivy")
    whoosh.ingest(source, workers=1)
    tantivy.ingest(source, workers=1)
    words = [w for r in records for w in TOKEN_PATTERN.findall(r.get("text", ""))]
    return whoosh, tantivy, words


def _queries(words: list[str]) -> list[str]:
    """At least 300 queries over the frequency range: single words (rare to very
    frequent), two-word ANDs, phrases (frequent ones too), prefixes, variants."""
    from collections import Counter

    counts = Counter(words)
    by_rank = [w for w, _ in counts.most_common()]
    rng = random.Random(5)
    picked = by_rank[:30] + rng.sample(by_rank[30:2000], 60) + rng.sample(by_rank[2000:], 60)
    queries = list(picked)
    queries += [f"{rng.choice(picked)} {rng.choice(picked)}" for _ in range(60)]
    for _ in range(60):
        at = rng.randrange(len(words) - 3)
        queries.append('"' + " ".join(words[at : at + rng.choice((2, 3))]) + '"')
    queries += ['"صلى الله عليه وسلم"', '"رسول الله"', '"قال رسول الله"']
    queries += [w[:3] + "*" for w in rng.sample(by_rank[:500], 30) if len(w) > 3]
    queries += ["الصلاه", "صلاة", "الصَّلَاةِ", "إبراهيم", "ابراهيم", "على", "علي", "مسلم"]
    return queries


def test_the_same_hit_sets_as_whoosh_on_hadith(
    hadith_pair: tuple[Archive, Archive, list[str]],
) -> None:
    whoosh, tantivy, words = hadith_pair
    queries = _queries(words)
    assert len(queries) >= 300
    differ = []
    found = 0
    for query in queries:
        for exact in (False, True):
            a, b = _ids(whoosh, query, exact), _ids(tantivy, query, exact)
            if a != b:
                differ.append((query, exact, a and len(a), b and len(b)))
            found += bool(a)
    assert differ == []
    assert found >= 500  # the queries find something


def _ids(arc: Archive, query: str, exact: bool) -> set[str] | None:
    """The ids of every hit, or None for a query that is refused (a QueryError)."""
    try:
        return {h.passage.id for h in arc.hits(query, exact=exact)}
    except QueryError:
        return None


def test_top_hits_mostly_agree_with_whoosh_on_hadith(
    hadith_pair: tuple[Archive, Archive, list[str]],
) -> None:
    """Scores differ (Tantivy's BM25 per field, Whoosh's BM25F); the first hit of
    a two-word query is the same passage for most queries."""
    whoosh, tantivy, words = hadith_pair
    rng = random.Random(9)
    vocabulary = sorted(set(words))
    same = asked = 0
    for _ in range(100):
        query = " ".join(rng.sample(vocabulary, 2))
        a, b = (
            whoosh.search(query, match="any", limit=1),
            tantivy.search(query, match="any", limit=1),
        )
        if a.hits and b.hits:
            asked += 1
            same += a.hits[0].passage.id == b.hits[0].passage.id
    assert asked >= 50
    assert same / asked >= 0.6, (same, asked)
