"""Short plain-spelling queries in the vocalised Quran: does the verse they come from rank first?

Run it from the project root::

    python benchmarks/quran.py                          # the code of this checkout
    python benchmarks/quran.py --before 43fc268         # and an older commit, in one run
    python benchmarks/quran.py --code DIR --before COMMIT --windows 200 --verses 100

The index is an archive of ``quran_kfgqpc_hafs.jsonl`` from the shared corpora
(``../shared/corpora`` beside the project root, or ``$ARCHIVE_CORPORA``, or
``--corpora``): the 6,236 verses in the KFGQPC Uthmani Hafs encoding, one verse a
passage, its id ``"S:A"``. The queries come from ``quran_kfgqpc_imlai.jsonl``,
the same verses (same ids) in plain modern spelling without marks; its empty
verses are skipped. Two sets, drawn with ``random.Random(1234)`` (the windows)
and ``random.Random(1235)`` (the verses):

* ``windows``: three consecutive words of one plain verse (``--windows``, 600 by
  default, each a different three words), searched as ``arc.search(window,
  match="any", limit=10)``;
* ``verses``: whole plain verses (``--verses``, 300 by default, each a different
  text), searched the same way.

A ranked verse is **right** for a window if its plain text holds the window's
three words one after the other (the verse the window was drawn from always
does; where other verses do too, the window is **ambiguous** and any of them
ranked first counts), and for a whole verse if its plain text is the query's
(some verses are repeated word for word). Per set: **top-1** is the share of
queries whose first hit is right, **own@1** the share whose first hit is the
very verse the query was drawn from, **MRR@10** the mean of 1/rank of the first
right hit in the top 10 (0 when there is none), **top-10** the share with a
right hit in the top 10, and the median wall time of one search (after 20
warm-up searches).

Each side runs in a fresh child process (this script with ``--side``), with the
``archive`` package of its folder first on ``PYTHONPATH``: ``--code DIR`` (this
checkout by default) and, with ``--before COMMIT``, a ``git worktree`` of that
commit in a temporary folder (removed at the end). Both sides get the same
queries, and each builds its own index with its own code (an index's format is
its code's). The table is printed and written as JSON, with each query's rank
on each side, to ``benchmarks/out/quran.json`` (``--out PATH``).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

try:
    from benchmarks.ingest_search import git_head, source_digest
except ImportError:  # run as a script without the project root on sys.path
    from ingest_search import git_head, source_digest  # type: ignore[import-not-found,no-redef]

PROJECT = Path(__file__).resolve().parents[1]
DEFAULT_CORPORA = PROJECT.parent / "shared" / "corpora"
DEFAULT_OUT = PROJECT / "benchmarks" / "out" / "quran.json"
HAFS = "quran_kfgqpc_hafs.jsonl"
IMLAI = "quran_kfgqpc_imlai.jsonl"

SEED = 1234
LIMIT = 10
WARMUP = 20
WINDOW = 3
SETS = ("windows", "verses")


# --- Queries -------------------------------------------------------------------


def read_verses(path: Path) -> dict[str, str]:
    """Verse id to text, in file order."""
    with path.open(encoding="utf-8") as handle:
        return {r["id"]: r["text"] for r in map(json.loads, filter(str.strip, handle))}


def draw(plain: dict[str, str], windows: int, verses: int, seed: int = SEED) -> dict[str, Any]:
    """The two query sets, each query ``{"id", "query", "right"}``: the verse it
    was drawn from and the ids of every verse that is right for it. Each set has
    its own generator, so the size of one does not change the other."""
    rng = random.Random(seed)
    words = {vid: text.split() for vid, text in plain.items() if text.strip()}
    ids = list(words)
    # Every three-word window of the plain text, to the verses that hold it.
    holders: dict[tuple[str, ...], list[str]] = {}
    for vid, ws in words.items():
        for i in range(len(ws) - WINDOW + 1):
            held = holders.setdefault(tuple(ws[i : i + WINDOW]), [])
            if not held or held[-1] != vid:
                held.append(vid)
    by_text: dict[str, list[str]] = {}
    for vid, ws in words.items():
        by_text.setdefault(" ".join(ws), []).append(vid)

    drawn: dict[str, list[dict[str, Any]]] = {"windows": [], "verses": []}
    seen: set[str] = set()
    long_enough = [vid for vid in ids if len(words[vid]) >= WINDOW]
    for _ in range(windows * 100):
        if len(drawn["windows"]) >= windows:
            break
        vid = rng.choice(long_enough)
        start = rng.randrange(len(words[vid]) - WINDOW + 1)
        window = tuple(words[vid][start : start + WINDOW])
        query = " ".join(window)
        if query in seen:
            continue
        seen.add(query)
        drawn["windows"].append({"id": vid, "query": query, "right": holders[window]})
    seen.clear()
    rng = random.Random(seed + 1)
    for _ in range(verses * 100):
        if len(drawn["verses"]) >= verses:
            break
        vid = rng.choice(ids)
        query = " ".join(words[vid])
        if query in seen:
            continue
        seen.add(query)
        drawn["verses"].append({"id": vid, "query": query, "right": by_text[query]})
    return {"skipped_empty": len(plain) - len(words), **drawn}


# --- One side (the child process) ----------------------------------------------


def run_side(corpus: Path, queries: dict[str, Any]) -> dict[str, Any]:
    """Index ``corpus`` with the ``archive`` package this process imports and run
    both query sets: each query's top ids and search time."""
    import archive
    from archive import Archive

    folder = Path(tempfile.mkdtemp(prefix="quran-bench-"))
    try:
        arc = Archive(folder / "index")
        started = time.perf_counter()
        arc.ingest(corpus)
        ingest_seconds = time.perf_counter() - started
        every = [q for name in SETS for q in queries[name]]
        for q in every[:: max(1, len(every) // WARMUP)][:WARMUP]:
            arc.search(q["query"], match="any", limit=LIMIT)
        out: dict[str, Any] = {
            "archive": str(Path(archive.__file__).parent),
            "source": source_digest(),
            "ingest_seconds": ingest_seconds,
        }
        for name in SETS:
            results = []
            for q in queries[name]:
                started = time.perf_counter()
                res = arc.search(q["query"], match="any", limit=LIMIT)
                seconds = time.perf_counter() - started
                results.append({"top": [h.passage.id for h in res.hits], "seconds": seconds})
            out[name] = results
        arc.close()
        return out
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# --- The parent ----------------------------------------------------------------


def spawn(code: Path, corpus: Path, queries_file: Path) -> dict[str, Any]:
    """Run one side in a fresh Python process with ``code``'s ``archive`` package
    first on its path; what it measured."""
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(code), os.environ.get("PYTHONPATH")) if p)
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        result = Path(handle.name)
    try:
        command = [sys.executable, str(Path(__file__).resolve()), "--side"]
        command += ["--corpus", str(corpus), "--queries", str(queries_file)]
        command += ["--result", str(result)]
        subprocess.run(command, env=env, check=True)
        data: dict[str, Any] = json.loads(result.read_text(encoding="utf-8"))
    finally:
        result.unlink(missing_ok=True)
    if Path(data["archive"]).resolve() != (code / "archive").resolve():
        sys.exit(f"quran: the child imported {data['archive']}, not {code / 'archive'}")
    return data


def score(queries: Sequence[dict[str, Any]], results: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Top-1, MRR@10, top-10 and the median search time of one set on one side;
    and each query's rank (of its first right hit, None beyond the top 10)."""
    ranks: list[int | None] = []
    own = 0
    for q, r in zip(queries, results, strict=True):
        own += r["top"][:1] == [q["id"]]
        right = set(q["right"])
        ranks.append(next((i + 1 for i, vid in enumerate(r["top"]) if vid in right), None))
    n = len(queries)
    return {
        "queries": n,
        "ambiguous": sum(len(q["right"]) > 1 for q in queries),
        "top1": sum(r == 1 for r in ranks) / n,
        "own1": own / n,
        "mrr10": sum(1 / r for r in ranks if r is not None) / n,
        "top10": sum(r is not None for r in ranks) / n,
        "median_ms": statistics.median(r["seconds"] for r in results) * 1000,
        "ranks": ranks,
        "top": [r["top"] for r in results],
    }


def worktree(commit: str) -> Path:
    """A detached ``git worktree`` of ``commit`` in a new temporary folder."""
    folder = Path(tempfile.mkdtemp(prefix="quran-before-"))
    subprocess.run(
        ["git", "-C", str(PROJECT), "worktree", "add", "--detach", "--quiet", str(folder), commit],
        check=True,
    )
    return folder


def remove_worktree(folder: Path) -> None:
    subprocess.run(
        ["git", "-C", str(PROJECT), "worktree", "remove", "--force", str(folder)], check=False
    )
    shutil.rmtree(folder, ignore_errors=True)


DEFINITIONS = """\
right: a ranked verse whose plain text holds the window's three words in a row
  (a whole verse: whose plain text is the query's); ambiguous: more than one verse is right
top-1: share of queries whose first hit is right; MRR@10: mean 1/rank of the first
  right hit in the top 10 (0 if none); top-10: share with a right hit in the top 10;
  own@1: share whose first hit is the very verse the query was drawn from;
  ms: median wall time of one arc.search(query, match="any", limit=10)"""


def table(sets: dict[str, Any], sides: dict[str, dict[str, Any]]) -> list[str]:
    lines = [
        f"{'set':<9}{'side':<22}{'queries':>8}{'ambig.':>8}{'top-1':>8}{'MRR@10':>8}"
        f"{'top-10':>8}{'own@1':>8}{'ms':>8}",
        "-" * 87,
    ]
    for name in SETS:
        for label, side in sides.items():
            s = side[name]
            lines.append(
                f"{name:<9}{label:<22}{s['queries']:>8}{s['ambiguous']:>8}{s['top1']:>8.3f}"
                f"{s['mrr10']:>8.3f}{s['top10']:>8.3f}{s['own1']:>8.3f}{s['median_ms']:>8.2f}"
            )
    if len(sides) == 2:
        (la, a), (lb, b) = sides.items()
        lines.append("")
        for name in SETS:
            pairs = list(zip(a[name]["ranks"], b[name]["ranks"], strict=True))
            gained = sum(x != 1 and y == 1 for x, y in pairs)
            lost = sum(x == 1 and y != 1 for x, y in pairs)
            lines.append(
                f"{name}: {gained} ranked first by {lb} and not by {la}, {lost} the other way"
            )
    return lines


def main_parent(args: argparse.Namespace) -> int:
    corpora = Path(args.corpora)
    missing = [corpora / n for n in (HAFS, IMLAI) if not (corpora / n).is_file()]
    if missing:
        print(
            f"quran: shared corpora not found: {', '.join(map(str, missing))} "
            "(set ARCHIVE_CORPORA or --corpora to the folder holding them)",
            file=sys.stderr,
        )
        return 2
    code = Path(args.code).resolve()
    queries = draw(read_verses(corpora / IMLAI), args.windows, args.verses)
    work = Path(tempfile.mkdtemp(prefix="quran-queries-"))
    before: Path | None = None
    try:
        queries_file = work / "queries.json"
        queries_file.write_text(json.dumps(queries, ensure_ascii=False), encoding="utf-8")
        codes: dict[str, Path] = {}
        if args.before:
            before = worktree(args.before)
            codes[f"before {args.before}"] = before
        codes[f"code {git_head(code)}"] = code
        measured: dict[str, dict[str, Any]] = {}
        for label, folder in codes.items():
            data = spawn(folder, corpora / HAFS, queries_file)
            measured[label] = {
                "folder": str(folder),
                "source": data["source"],
                "ingest_seconds": data["ingest_seconds"],
                **{name: score(queries[name], data[name]) for name in SETS},
            }
            print(f"{label}: indexed in {data['ingest_seconds']:.1f} s", file=sys.stderr)
    finally:
        if before is not None:
            remove_worktree(before)
        shutil.rmtree(work, ignore_errors=True)

    lines = [
        f"KFGQPC Quran: {HAFS} indexed, {IMLAI} queried ({queries['skipped_empty']} empty "
        f"verses skipped), match='any', seed {SEED}",
        DEFINITIONS,
        "",
        *table(queries, measured),
    ]
    print("\n".join(lines))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    record = {"seed": SEED, "queries": queries, "sides": measured}
    out.write_text(json.dumps(record, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"\nwritten: {out}", file=sys.stderr)
    return 0


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument(
        "--corpora",
        default=os.environ.get("ARCHIVE_CORPORA", str(DEFAULT_CORPORA)),
        help="folder of the shared corpora (default $ARCHIVE_CORPORA or ../shared/corpora)",
    )
    parser.add_argument(
        "--code", default=str(PROJECT), metavar="DIR", help="the folder whose archive to measure"
    )
    parser.add_argument(
        "--before", metavar="COMMIT", help="also measure this commit (a git worktree of it)"
    )
    parser.add_argument("--windows", type=int, default=600, help="three-word windows to search")
    parser.add_argument("--verses", type=int, default=300, help="whole verses to search")
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="where to write the JSON")
    # Internal: the child process that measures one side.
    parser.add_argument("--side", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--corpus", help=argparse.SUPPRESS)
    parser.add_argument("--queries", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.windows < 1 or args.verses < 1:
        parser.error("--windows and --verses must be positive integers")
    if not args.side and not (Path(args.code) / "archive" / "__init__.py").is_file():
        parser.error(f"--code: no archive package in {args.code}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.side:
        queries = json.loads(Path(args.queries).read_text(encoding="utf-8"))
        result = run_side(Path(args.corpus), queries)
        Path(args.result).write_text(json.dumps(result), encoding="utf-8")
        return 0
    return main_parent(args)


if __name__ == "__main__":
    sys.exit(main())
