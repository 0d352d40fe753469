"""The engines side by side: the Whoosh engine, the Tantivy engine, and raw Tantivy
doing only the one-table fold, on the same passages and the same queries.

Run it from the project root (needs the shared corpora and the tantivy extra)::

    python benchmarks/engines.py --sizes 15000          # the hadith alone
    python benchmarks/engines.py --sizes 15000 200000 1000000 --whoosh-max 50000

Input: at 15,000 passages or fewer, the hadith corpus; above, passages built as
``benchmarks/scale.py`` builds them (every text of the shared corpora in turn).
Each side runs in a child process of its own, sides alternating in each round
(``--rounds``), so that the figures of one round were measured under the same
load:

* ingest: passages/s (wall), CPU seconds of the process and its worker
  processes, the index's size on disk, the peak RSS of the process and of its
  largest child;
* queries (``--queries``, drawn as ``benchmarks/ingest_search.py`` draws them,
  plus frequent words, two-word ANDs, frequent phrases and prefixes): p50,
  p95 and p99 of each query's time, which includes its total and the snippets
  of its first 10 hits;
* cold start: a new process importing the library, opening the index and
  answering one query (median of 5).

"raw" is the baseline: Tantivy's own tokenizer over text folded by one
``str.translate`` table (the archive's default fold table), queries built as
Tantivy objects from folded words, snippets from Tantivy's snippet generator. It
does none of the archive's analysis (no clitics, no Uthmani spellings, no exact
mode) and is the bound of what an engine over Tantivy can do.

The table is printed and written as JSON to ``benchmarks/out/engines.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))
sys.path.insert(0, str(PROJECT / "benchmarks"))
if os.environ.get("ARCHIVE_BENCH_CODE"):  # the "before" side: another commit's package
    sys.path.insert(0, os.environ["ARCHIVE_BENCH_CODE"])

#: "before" is the Tantivy engine of the package in ``--before DIR`` (a copy of
#: another commit, e.g. ``git archive``), for a comparison in the same run.
SIDES = ("whoosh", "tantivy", "raw", "before")
HADITH = "hadith_bukhari_muslim.jsonl"


def corpora_folder(given: str | None) -> Path:
    return Path(given or os.environ.get("ARCHIVE_CORPORA") or PROJECT.parent / "shared" / "corpora")


def build_input(corpora: Path, folder: Path, passages: int) -> int:
    """The input of ``passages`` passages as JSON Lines in ``folder``; its bytes."""
    import scale

    if passages <= 15000:
        folder.mkdir(parents=True)
        lines = (corpora / HADITH).read_text(encoding="utf-8").splitlines()[:passages]
        (folder / "hadith.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
        return (folder / "hadith.jsonl").stat().st_size
    return scale.build(folder, scale.pool(corpora), passages, max(1, passages // 10000))


def queries_for(folder: Path, count: int) -> list[str]:
    """The query mix, drawn from the input's texts (the same for every side)."""
    import ingest_search

    from archive.arabic import TOKEN_PATTERN

    texts = []
    for path in sorted(folder.glob("*.jsonl")):
        with open(path, encoding="utf-8") as handle:
            for n, line in enumerate(handle):
                if n % 7 == 0:
                    texts.append(json.loads(line).get("text", ""))
    rng = random.Random(3)
    drawn = [q["query"] for q in ingest_search.build_queries(texts)]
    counts = Counter(w for t in texts[:3000] for w in TOKEN_PATTERN.findall(t) if len(w) > 1)
    frequent = [w for w, _ in counts.most_common(40)]
    mix = list(drawn)
    mix += frequent[:20]
    mix += [f"{rng.choice(frequent)} {rng.choice(drawn[:100])}" for _ in range(20)]
    mix += ['"صلى الله عليه وسلم"', '"رسول الله"', '"قال رسول الله"', '"عن أبي هريرة"']
    mix += [w[:3] + "*" for w in frequent[:20] if len(w) >= 4][:10]
    rng.shuffle(mix)
    return mix[:count]


# --- one side, in a child process ------------------------------------------------------


def raw_fold() -> dict[int, str | None]:
    from archive.arabic import fold_table

    return fold_table()


class Raw:
    """Raw Tantivy: the default tokenizer over text folded by one table."""

    def __init__(self, path: Path, create: bool) -> None:
        import tantivy

        self.tantivy = tantivy
        self.table = raw_fold()
        if create:
            builder = tantivy.SchemaBuilder()
            builder.add_text_field("id", stored=True, tokenizer_name="raw")
            builder.add_text_field("title", stored=True)
            builder.add_text_field("text", stored=True)
            path.mkdir(parents=True, exist_ok=True)
            self.index = tantivy.Index(builder.build(), path=str(path))
        else:
            self.index = tantivy.Index.open(str(path))
        self.schema = self.index.schema

    def ingest(self, folder: Path) -> int:
        writer = self.index.writer(heap_size=256_000_000, num_threads=1)
        count = 0
        for path in sorted(folder.glob("*.jsonl")):
            with open(path, encoding="utf-8") as handle:
                for line in handle:
                    record = json.loads(line)
                    writer.add_document(
                        self.tantivy.Document(
                            id=str(record.get("id", count)),
                            title=(record.get("title") or "").translate(self.table),
                            text=(record.get("text") or "").translate(self.table),
                        )
                    )
                    count += 1
        writer.commit()
        writer.wait_merging_threads()
        return count

    def query(self, text: str) -> tuple[int, list[str]]:
        tantivy = self.tantivy
        self.index.reload()
        searcher = self.index.searcher()
        phrase = text.startswith('"')
        words = text.strip('"').translate(self.table).split()
        parts = []
        for field in ("title", "text"):
            if phrase:
                q = tantivy.Query.phrase_query(self.schema, field, words)
            elif words and words[0].endswith("*"):
                q = tantivy.Query.regex_query(self.schema, field, words[0][:-1] + ".*")
            else:
                q = tantivy.Query.boolean_query(
                    [
                        (tantivy.Occur.Must, tantivy.Query.term_query(self.schema, field, w))
                        for w in words
                    ]
                )
            parts.append((tantivy.Occur.Should, q))
        query = tantivy.Query.boolean_query(parts)
        result = searcher.search(query, 10, count=True)
        snippets = tantivy.SnippetGenerator.create(searcher, query, self.schema, "text")
        made = [snippets.snippet_from_doc(searcher.doc(a)).to_html() for _, a in result.hits]
        return result.count, made


def open_side(side: str, index: Path, create: bool) -> Any:
    if side == "raw":
        return Raw(index, create)
    from archive import Archive

    engine = "tantivy" if side == "before" else side
    return Archive(index, engine=engine if create else None, create=create)


def answer(side: str, arc: Any, query: str) -> int:
    """Run a query: its total, and the snippets of its first 10 hits."""
    if side == "raw":
        total, _ = arc.query(query)
        return int(total)
    try:
        results = arc.search(query, limit=10)
    except Exception as exc:  # a QueryError: counted as an answer, as on every side
        return -1 if "QueryError" in type(exc).__name__ else -2
    for hit in results.hits:
        hit.snippet  # noqa: B018  # computed on first read
    return int(results.total)


def percentile(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def child(side: str, folder: Path, index: Path, queries: list[str]) -> dict[str, Any]:
    before = os.times()
    started = time.perf_counter()
    arc = open_side(side, index, create=True)
    count = arc.ingest(folder) if side == "raw" else arc.ingest(folder).passages
    wall = time.perf_counter() - started
    after = os.times()
    cpu = (after.user - before.user + after.system - before.system) + (
        after.children_user - before.children_user + after.children_system - before.children_system
    )
    for query in queries[:20]:
        answer(side, arc, query)
    times = []
    totals = []
    for query in queries:
        t0 = time.perf_counter()
        totals.append(answer(side, arc, query))
        times.append(time.perf_counter() - t0)
    size = sum(f.stat().st_size for f in index.rglob("*") if f.is_file())
    return {
        "passages": count,
        "ingest_s": wall,
        "passages_per_s": count / wall,
        "cpu_s": cpu,
        "index_mb": size / 2**20,
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "child_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        "p50_ms": 1000 * statistics.median(times),
        "p95_ms": 1000 * percentile(times, 95),
        "p99_ms": 1000 * percentile(times, 99),
        "found": sum(t > 0 for t in totals),
    }


COLD = (
    "import sys, time; t = time.perf_counter(); sys.path.insert(0, sys.argv[3])\n"
    "sys.path.insert(0, sys.argv[3] + '/benchmarks')\n"
    "import engines\n"
    "arc = engines.open_side(sys.argv[1], engines.Path(sys.argv[2]), create=False)\n"
    "engines.answer(sys.argv[1], arc, sys.argv[4])\n"
    "print(time.perf_counter() - t)\n"
)


def _env(side: str) -> dict[str, str] | None:
    if side != "before":
        return None
    return {**os.environ, "ARCHIVE_BENCH_CODE": BEFORE[0]}


#: The folder of the "before" side's package (``--before``).
BEFORE: list[str] = []


def cold_start(side: str, index: Path, query: str) -> float:
    runs = []
    for _ in range(5):
        done = subprocess.run(
            [sys.executable, "-c", COLD, side, str(index), str(PROJECT), query],
            capture_output=True,
            text=True,
            check=True,
            env=_env(side),
        )
        runs.append(float(done.stdout.strip()))
    return 1000 * statistics.median(runs)


def run_side(side: str, folder: Path, work: Path, queries: list[str]) -> dict[str, Any]:
    index = work / f"ix-{side}"
    shutil.rmtree(index, ignore_errors=True)
    spec = json.dumps([side, str(folder), str(index), queries], ensure_ascii=False)
    done = subprocess.run(
        [sys.executable, __file__, "--child", spec],
        capture_output=True,
        text=True,
        check=False,
        env=_env(side),
    )
    if done.returncode != 0:
        raise SystemExit(f"{side} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["cold_ms"] = cold_start(side, index, queries[0])
    shutil.rmtree(index, ignore_errors=True)
    return result


def sharded_agreement(folder: Path, work: Path, queries: list[str], shards: int) -> dict[str, Any]:
    """How often a sharded archive of Tantivy shards (each scoring with its own
    statistics: tantivy-py takes no others) orders the first 10 hits as one
    Tantivy index does, and how often it holds the same 10 passages."""
    from distributed import Client, LocalCluster

    from archive import Archive, QueryError, ShardedArchive

    one = Archive(work / "agree-one", engine="tantivy")
    one.ingest(folder)
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=":0") as cluster,
        Client(cluster) as client,
    ):
        many = ShardedArchive(work / "agree-many", shards, client, engine="tantivy")
        many.ingest(folder)
        asked = same_order = same_set = same_total = 0
        for query in queries:
            try:
                a, b = one.search(query, limit=10), many.search(query, limit=10)
            except QueryError:
                continue
            asked += 1
            ids_a, ids_b = [h.passage.id for h in a.hits], [h.passage.id for h in b.hits]
            same_order += ids_a == ids_b
            same_set += set(ids_a) == set(ids_b)
            same_total += a.total == b.total
        many.close()
    return {
        "queries": asked,
        "shards": shards,
        "same_top10_order": same_order / asked,
        "same_top10_set": same_set / asked,
        "same_total": same_total / asked,
    }


def median_result(runs: list[dict[str, Any]]) -> dict[str, Any]:
    return {key: statistics.median(r[key] for r in runs) for key in runs[0]}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[15000])
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--queries", type=int, default=365)
    parser.add_argument("--whoosh-max", type=int, default=50000, help="largest size for Whoosh")
    parser.add_argument("--sides", nargs="+", default=list(SIDES), choices=SIDES)
    parser.add_argument("--corpora")
    parser.add_argument(
        "--sharded",
        type=int,
        default=0,
        metavar="N",
        help="also compare a sharded archive of N Tantivy shards with one index (top 10)",
    )
    parser.add_argument(
        "--before",
        metavar="DIR",
        help="a folder holding another commit's archive package: adds the side 'before'",
    )
    parser.add_argument("--out", default=str(PROJECT / "benchmarks" / "out" / "engines.json"))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        side, folder, index, queries = json.loads(args.child)
        print(json.dumps(child(side, Path(folder), Path(index), queries)))
        return 0
    if args.before:
        BEFORE.append(str(Path(args.before).resolve()))
        if "before" not in args.sides:
            args.sides.append("before")
    elif "before" in args.sides:
        parser.error("the side 'before' needs --before DIR")
    corpora = corpora_folder(args.corpora)
    if not (corpora / HADITH).is_file():
        print(f"the shared corpora are not in {corpora} (--corpora)", file=sys.stderr)
        return 2
    report: dict[str, Any] = {"rounds": args.rounds, "sizes": {}}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for size in args.sizes:
            folder = work / f"in-{size}"
            build_input(corpora, folder, size)
            queries = queries_for(folder, args.queries)
            sides = [s for s in args.sides if s != "whoosh" or size <= args.whoosh_max]
            runs: dict[str, list[dict[str, Any]]] = {s: [] for s in sides}
            for round_ in range(args.rounds):
                order = sides if round_ % 2 == 0 else sides[::-1]
                for side in order:
                    runs[side].append(run_side(side, folder, work, queries))
                    print(f"{size:,} {side} round {round_ + 1}: {runs[side][-1]}", file=sys.stderr)
            report["sizes"][size] = {side: median_result(r) for side, r in runs.items()}
            if args.sharded:
                agreement = sharded_agreement(folder, work, queries, args.sharded)
                report.setdefault("sharded", {})[size] = agreement
                print(f"{size:,} sharded tantivy against one index: {agreement}")
            shutil.rmtree(folder)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2), encoding="utf-8")
    keys = ["passages_per_s", "cpu_s", "index_mb", "rss_mb", "child_rss_mb"]
    keys += ["p50_ms", "p95_ms", "p99_ms", "cold_ms"]
    for size, sides_ in report["sizes"].items():
        print(f"\n{size:,} passages (medians of {args.rounds} round(s))")
        print("side     " + " ".join(f"{k:>14}" for k in keys))
        for side, figures in sides_.items():
            print(f"{side:8} " + " ".join(f"{figures[k]:14.1f}" for k in keys))
        if "raw" in sides_ and "tantivy" in sides_:
            t, r = sides_["tantivy"], sides_["raw"]
            print(
                f"tantivy/raw: ingest {t['passages_per_s'] / r['passages_per_s']:.2f}x, "
                f"p50 {t['p50_ms'] / r['p50_ms']:.2f}x, p95 {t['p95_ms'] / r['p95_ms']:.2f}x"
            )
        if "before" in sides_ and "tantivy" in sides_:
            t, b = sides_["tantivy"], sides_["before"]
            print(
                f"tantivy/before: ingest {t['passages_per_s'] / b['passages_per_s']:.2f}x, "
                f"p50 {t['p50_ms'] / b['p50_ms']:.2f}x, p95 {t['p95_ms'] / b['p95_ms']:.2f}x"
            )
        if "whoosh" in sides_ and "tantivy" in sides_:
            t, w = sides_["tantivy"], sides_["whoosh"]
            print(
                f"tantivy vs whoosh: ingest {t['passages_per_s'] / w['passages_per_s']:.1f}x, "
                f"p50 {w['p50_ms'] / t['p50_ms']:.1f}x faster, p95 {w['p95_ms'] / t['p95_ms']:.1f}x"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
