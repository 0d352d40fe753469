"""Sharded archive benchmark: one index against shards on Dask, and a projection.

Run it from the project root (it needs the ``distributed`` extra)::

    python benchmarks/sharded.py                              # the whole hadith corpus
    python benchmarks/sharded.py --passages 3000 --queries 100   # a quick look

The corpus is ``../shared/corpora/hadith_bukhari_muslim.jsonl`` beside the project
root (``--corpus PATH`` for another JSON Lines file); without it the script exits
with code 2. In one run, side by side:

* **ingest**: ``Archive.ingest(workers=1)`` (one process) against
  ``ShardedArchive(shards=S).ingest`` on a ``LocalCluster`` of ``--workers``
  worker processes, one thread each (``S`` is ``--shards``, 4 by default);
* **queries**: the p50 and p95 latency of ``search(q, limit=10)`` on each, over
  queries drawn from the corpus with ``random.Random(1234)`` (single words,
  two-word phrases, prefixes and ``match="any"`` pairs), after 10 to warm up;
* **costs**: from Dask's task stream, the compute time of each shard task (the
  statistics phase and the scoring phase); the round trip of an empty task; the
  scheduler's cost per task, from a batch of 200 empty tasks; and the time to
  read the corpus with the readers alone (every shard reads the whole input);
* **a projection** to 100 shards on 100 nodes over two billion words, from the
  measured numbers; its formula and assumptions are in ``docs/distributed.md``.

Every query's results are also compared (total, ids in order): a difference is
reported, and the exit code is 1.

The table is printed and written as JSON to ``benchmarks/out/sharded.json``.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = PROJECT.parent / "shared" / "corpora" / "hadith_bukhari_muslim.jsonl"
DEFAULT_OUT = PROJECT / "benchmarks" / "out" / "sharded.json"
SEED = 1234
WARMUP = 10

#: The projection's target: shards (one a node) and words.
TARGET_SHARDS = 100
TARGET_WORDS = 2_000_000_000


def _noop(x: int) -> int:
    return x


def draw_queries(records: list[dict[str, Any]], count: int) -> list[tuple[str, dict[str, Any]]]:
    from archive.arabic import TOKEN_PATTERN, strip_marks

    rng = random.Random(SEED)
    token = re.compile(TOKEN_PATTERN)
    out: list[tuple[str, dict[str, Any]]] = []
    while len(out) < count:
        words = [strip_marks(w) for w in token.findall(rng.choice(records)["text"])]
        words = [w for w in words if len(w) >= 3]
        if len(words) < 2:
            continue
        kind = rng.choice(["word", "phrase", "prefix", "any"])
        at = rng.randrange(len(words) - 1)
        if kind == "word":
            out.append((words[at], {}))
        elif kind == "phrase":
            out.append((f'"{words[at]} {words[at + 1]}"', {}))
        elif kind == "prefix":
            out.append((words[at][:3] + "*", {}))
        else:
            out.append((f"{words[at]} {words[at + 1]}", {"match": "any"}))
    return out


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def timed_queries(
    arc: Any, queries: list[tuple[str, dict[str, Any]]]
) -> tuple[list[float], list[Any]]:
    for text, options in queries[:WARMUP]:
        arc.search(text, limit=10, **options)
    times, answers = [], []
    for text, options in queries:
        started = time.perf_counter()
        res = arc.search(text, limit=10, **options)
        answer = (res.total, [(h.passage.id, h.score) for h in res.hits])
        times.append(time.perf_counter() - started)
        answers.append(answer)
    return times, answers


def read_only_seconds(folder: Path) -> float:
    from archive.readers import find_files, passages

    started = time.perf_counter()
    files, _ = find_files(folder)
    for file, origin in files:
        for _ in passages(file, origin):
            pass
    return time.perf_counter() - started


def task_costs(data: list[dict[str, Any]]) -> dict[str, float]:
    durations: dict[str, list[float]] = {}
    for task in data:
        name = str(task["key"]).split("-", 1)[0].strip("('")
        for part in task.get("startstops", ()):
            if part["action"] == "compute":
                durations.setdefault(name, []).append(part["stop"] - part["start"])
    return {name: statistics.median(ds) for name, ds in durations.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--passages", type=int, default=None, help="the first N passages only")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--shards", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    if not args.corpus.is_file():
        print(f"no corpus at {args.corpus}", file=sys.stderr)
        return 2

    from distributed import Client, LocalCluster, get_task_stream

    from archive import Archive, ShardedArchive

    lines = args.corpus.read_text(encoding="utf-8").splitlines()
    if args.passages:
        lines = lines[: args.passages]
    records = [json.loads(line) for line in lines]
    words = sum(len(r["text"].split()) for r in records)
    queries = draw_queries(records, args.queries)
    work = Path(tempfile.mkdtemp(prefix="sharded-bench-"))
    results: dict[str, Any] = {
        "corpus": str(args.corpus),
        "passages": len(records),
        "words": words,
        "queries": len(queries),
        "shards": args.shards,
        "workers": args.workers,
    }
    try:
        (work / "input").mkdir()
        (work / "input" / "corpus.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
        results["read_s"] = read_only_seconds(work / "input")

        started = time.perf_counter()
        single = Archive(work / "single")
        single.ingest(work / "input", workers=1)
        results["ingest_single_s"] = time.perf_counter() - started

        with (
            LocalCluster(
                n_workers=args.workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",
            ) as cluster,
            Client(cluster) as client,
        ):
            started = time.perf_counter()
            sharded = ShardedArchive(work / "sharded", shards=args.shards, client=client)
            with get_task_stream(client) as ingest_stream:
                sharded.ingest(work / "input")
            results["ingest_sharded_s"] = time.perf_counter() - started
            ingest_costs = task_costs(ingest_stream.data)

            rtts = []
            for n in range(30):
                t = time.perf_counter()
                client.submit(_noop, n, pure=False).result()
                rtts.append(time.perf_counter() - t)
            results["task_round_trip_ms"] = 1000 * statistics.median(rtts[5:])
            t = time.perf_counter()
            client.gather(client.map(_noop, range(200), pure=False))
            batch = time.perf_counter() - t
            results["scheduler_ms_per_task"] = 1000 * max(
                0.0, (batch - statistics.median(rtts[5:])) / 200
            )

            single_times, single_answers = timed_queries(single, queries)
            with get_task_stream(client) as stream:
                sharded_times, sharded_answers = timed_queries(sharded, queries)
            costs = task_costs(stream.data)
            sharded.close()
        single.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    differ = [
        text
        for (text, _), a, b in zip(queries, single_answers, sharded_answers, strict=True)
        if a[0] != b[0]
        or [i for i, _ in a[1]] != [i for i, _ in b[1]]
        or any(
            abs(x - y) > 1e-9 * max(1.0, abs(x)) for (_, x), (_, y) in zip(a[1], b[1], strict=False)
        )
    ]
    results.update(
        {
            "query_single_p50_ms": 1000 * percentile(single_times, 0.5),
            "query_single_p95_ms": 1000 * percentile(single_times, 0.95),
            "query_sharded_p50_ms": 1000 * percentile(sharded_times, 0.5),
            "query_sharded_p95_ms": 1000 * percentile(sharded_times, 0.95),
            "shard_stats_task_ms": 1000 * costs.get("task_stats", float("nan")),
            "shard_top_task_ms": 1000 * costs.get("task_search", float("nan")),
            "shard_ingest_task_s": ingest_costs.get("task_ingest", float("nan")),
            "differences": differ,
        }
    )
    results["projection"] = project(results)
    print_table(results)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 1 if differ else 0


def project(r: dict[str, Any]) -> dict[str, float]:
    """What ``TARGET_SHARDS`` nodes, one shard each, would give on ``TARGET_WORDS``
    (the formulas are explained in docs/distributed.md)."""
    scale = TARGET_WORDS / r["words"]  # the target corpus against the measured one
    n = TARGET_SHARDS
    # Ingest: every shard reads the whole input, and indexes a 1/n share of it.
    index_s = max(0.0, r["ingest_single_s"] - r["read_s"]) * scale
    read_s = r["read_s"] * scale
    ingest_s = read_s + index_s / n
    # A query: two phases (statistics, then scoring), each as slow as its slowest
    # shard plus the scheduler's cost of n tasks; shard work grows with the words
    # a shard holds.
    words_per_shard_measured = r["words"] / r["shards"]
    words_per_shard_target = TARGET_WORDS / n
    growth = words_per_shard_target / words_per_shard_measured
    overhead_s = (r["task_round_trip_ms"] + n * r["scheduler_ms_per_task"]) / 1000
    stats_s = r["shard_stats_task_ms"] / 1000 * growth
    top_s = r["shard_top_task_ms"] / 1000 * growth
    return {
        "scale": scale,
        "ingest_one_process_h": (read_s + index_s) / 3600,
        "ingest_sharded_h": ingest_s / 3600,
        "ingest_speedup": (read_s + index_s) / ingest_s,
        "query_ms": 1000 * (2 * overhead_s + stats_s + top_s),
        "query_overhead_ms": 1000 * 2 * overhead_s,
        "query_shard_work_ms": 1000 * (stats_s + top_s),
    }


def print_table(r: dict[str, Any]) -> None:
    p = r["projection"]
    rows = [
        ("corpus", f"{r['passages']:,} passages, {r['words']:,} words"),
        ("read the input only (readers)", f"{r['read_s']:.2f} s"),
        ("ingest, one process", f"{r['ingest_single_s']:.2f} s"),
        (
            f"ingest, {r['shards']} shards on {r['workers']} workers",
            f"{r['ingest_sharded_s']:.2f} s ({r['ingest_single_s'] / r['ingest_sharded_s']:.2f}x)",
        ),
        ("  median shard ingest task", f"{r['shard_ingest_task_s']:.2f} s"),
        (
            "query p50 / p95, one index",
            f"{r['query_single_p50_ms']:.2f} / {r['query_single_p95_ms']:.2f} ms",
        ),
        (
            f"query p50 / p95, {r['shards']} shards",
            f"{r['query_sharded_p50_ms']:.2f} / {r['query_sharded_p95_ms']:.2f} ms",
        ),
        ("  median shard task: statistics", f"{r['shard_stats_task_ms']:.2f} ms"),
        ("  median shard task: scoring (top 10)", f"{r['shard_top_task_ms']:.2f} ms"),
        ("  empty task round trip", f"{r['task_round_trip_ms']:.2f} ms"),
        ("  scheduler cost per task", f"{r['scheduler_ms_per_task']:.3f} ms"),
        ("results that differ", str(len(r["differences"]))),
        (
            f"projection: {TARGET_SHARDS} nodes, {TARGET_WORDS:,} words (x{p['scale']:,.0f})",
            "",
        ),
        ("  ingest, one process", f"{p['ingest_one_process_h']:.1f} h"),
        (
            f"  ingest, {TARGET_SHARDS} shards",
            f"{p['ingest_sharded_h']:.2f} h ({p['ingest_speedup']:.0f}x)",
        ),
        (
            "  a query",
            f"{p['query_ms']:.0f} ms ({p['query_overhead_ms']:.0f} ms scheduling, "
            f"{p['query_shard_work_ms']:.0f} ms shard work)",
        ),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


if __name__ == "__main__":
    sys.exit(main())
