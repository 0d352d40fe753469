"""Counts and concordances: ``Archive.count`` and ``Archive.kwic`` against an older commit.

Run it from the project root::

    python benchmarks/counts.py --before 964459d             # both engines, 3 rounds
    python benchmarks/counts.py --before 964459d --engines whoosh --rounds 1

For each engine (``--engines``, Whoosh and Tantivy by default) an index of the
corpus (``../shared/corpora/hadith_bukhari_muslim.jsonl`` beside the project
root, ``--corpus PATH`` for another) is built once in ``--work`` (kept there and
reused; ``--index ENGINE=PATH`` names one already built), by the older code so
that both sides open it. ``--before COMMIT`` checks
that commit out with ``git worktree add`` in a folder of its own outside the
checkout (removed at the end; ``--before-dir DIR`` uses a folder already holding
the ``archive`` package instead). Without the corpus the script exits with code 2.

Two sides, ``before`` (the older code) and ``ours`` (this checkout), each run in
a fresh child process (this script with ``--side``) with its own ``archive``
package first on ``PYTHONPATH`` (``--code DIR`` for ours: a copy of the checkout's
``archive`` that no one edits during the run), over the same index, and alternate for
``--rounds`` rounds (the two in turn first). A child warms up with one count and
one concordance line of a word outside the mix, then for each query of
:data:`QUERIES` measures in wall time:

* ``count``: ``arc.count(query)``;
* ``first line``: from ``arc.kwic(query)`` to its first line;
* ``all lines``: the whole concordance (in the first ``--all-rounds`` rounds
  only, 1 by default: it is the longest part, and changes least).

The table gives medians over the rounds and ``before/ours``; it also checks
that both sides found the same passages, occurrences and lines. The figures are
written as JSON to ``benchmarks/out/counts.json`` (``--out PATH``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpora" / "hadith_bukhari_muslim.jsonl"

#: The mix: frequent words, a phrase, two words, a prefix, a rare word, match="any".
QUERIES: list[tuple[str, dict[str, Any]]] = [
    ("الله", {}),
    ("قال", {}),
    ("رسول الله", {}),
    ('"رسول الله"', {}),
    ("استغفر*", {}),
    ("فليصمه", {}),
    ("ما هي أفضل الصلاة", {"match": "any"}),
]

#: The word a child warms up with (not in the mix).
WARM_UP = "الصيام"


def side(index: str, rounds_all: bool) -> dict[str, Any]:
    """What one child measures, with the ``archive`` package it imports."""
    import archive

    arc = archive.Archive(index, create=False)
    arc.count(WARM_UP)
    next(iter(arc.kwic(WARM_UP)))
    out: list[dict[str, Any]] = []
    for query, options in QUERIES:
        start = time.perf_counter()
        counts = arc.count(query, **options)
        count_s = time.perf_counter() - start
        start = time.perf_counter()
        lines = iter(arc.kwic(query, **options))
        first = next(lines, None)
        first_s = time.perf_counter() - start
        row: dict[str, Any] = {
            "query": query,
            "options": options,
            "passages": counts.passages,
            "occurrences": counts.occurrences,
            "count_s": count_s,
            "first_line_s": first_s if first is not None else None,
        }
        if rounds_all:
            start = time.perf_counter()
            rest = sum(1 for _ in lines)
            row["all_lines_s"] = first_s + time.perf_counter() - start
            row["lines"] = rest + (first is not None)
        out.append(row)
    arc.close()
    return {"archive": str(Path(archive.__file__).parent), "queries": out}


def run_side(code: Path, index: Path, rounds_all: bool) -> dict[str, Any]:
    """:func:`side` in a fresh Python process, with the ``archive`` package of ``code``."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(code), env.get("PYTHONPATH")) if p)
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        command = [sys.executable, __file__, "--side", str(index), "--side-out", out.name]
        if rounds_all:
            command.append("--side-all")
        subprocess.run(command, env=env, check=True, cwd=tempfile.gettempdir())
        result: dict[str, Any] = json.loads(Path(out.name).read_text(encoding="utf-8"))
    if Path(result["archive"]).resolve() != (code / "archive").resolve():
        raise SystemExit(f"the child imported {result['archive']}, not {code / 'archive'}")
    return result


def build(corpus: Path, work: Path, engine: str, code: Path) -> Path:
    """The index of ``corpus`` on ``engine`` in ``work``, built by the ``archive``
    package of ``code`` (the older one, so that both sides can open it)."""
    path = work / engine
    if path.exists():
        return path
    print(f"building the {engine} index of {corpus} in {path} ...", flush=True)
    script = (
        "import sys, archive; "
        "arc = archive.Archive(sys.argv[1], engine=sys.argv[2]); "
        "arc.ingest(sys.argv[3], workers=2); arc.close()"
    )
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(code), env.get("PYTHONPATH")) if p)
    subprocess.run(
        [sys.executable, "-c", script, str(path), engine, str(corpus)],
        env=env,
        check=True,
        cwd=tempfile.gettempdir(),
    )
    return path


def checkout(commit: str) -> Path:
    """A worktree of ``commit`` outside the checkout."""
    folder = Path(tempfile.gettempdir()) / f"counts-before-{commit}"
    if not folder.exists():
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(folder), commit],
            check=True,
            capture_output=True,
        )
    return folder


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def summarize(runs: dict[str, dict[str, list[dict[str, Any]]]]) -> dict[str, Any]:
    """Medians per engine, side, query and metric; and whether the sides agree."""
    summary: dict[str, Any] = {}
    for engine, sides in runs.items():
        rows = []
        for i, (query, options) in enumerate(QUERIES):
            row: dict[str, Any] = {"query": query, "options": options}
            for name, results in sides.items():
                got = [r["queries"][i] for r in results]
                for metric in ("count_s", "first_line_s", "all_lines_s"):
                    values = [g[metric] for g in got if g.get(metric) is not None]
                    row[f"{name}_{metric}"] = median(values)
                row[f"{name}_found"] = sorted(
                    {(g["passages"], g["occurrences"], g.get("lines", -1)) for g in got}
                )
            rows.append(row)
        summary[engine] = rows
    return summary


def table(summary: dict[str, Any]) -> list[str]:
    lines = []
    for engine, rows in summary.items():
        lines += [
            "",
            f"engine: {engine} (medians, seconds; ratio before/ours)",
            f"{'query':<24}{'count':>23}{'first kwic line':>25}{'all kwic lines':>25}  same",
            f"{'':<24}" + f"{'before':>9}{'ours':>8}{'x':>6}" * 3,
        ]
        for row in rows:
            cells = ""
            for metric in ("count_s", "first_line_s", "all_lines_s"):
                b, o = row[f"before_{metric}"], row[f"ours_{metric}"]
                cells += f"{b:>9.3f}{o:>8.3f}{b / o if o else float('nan'):>6.1f}"
            query = row["query"] + (" (any)" if row["options"].get("match") == "any" else "")
            same = row["before_found"] == row["ours_found"]
            lines.append(f"{query:<24}{cells}  {'yes' if same else 'NO'}")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", help="the older commit to compare with")
    parser.add_argument("--before-dir", help="a folder holding the older archive package")
    parser.add_argument(
        "--code", help="a folder holding the archive package of ours (default: this checkout)"
    )
    parser.add_argument("--engines", nargs="+", default=["whoosh", "tantivy"])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--all-rounds", type=int, default=1)
    parser.add_argument("--corpus", default=str(CORPUS))
    parser.add_argument("--work", default=str(Path(tempfile.gettempdir()) / "counts-bench"))
    parser.add_argument(
        "--index",
        action="append",
        default=[],
        metavar="ENGINE=PATH",
        help="an index of the corpus already built (by the older code) for an engine",
    )
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "out" / "counts.json"))
    parser.add_argument("--side", help=argparse.SUPPRESS)
    parser.add_argument("--side-out", help=argparse.SUPPRESS)
    parser.add_argument("--side-all", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.side:
        result = side(args.side, args.side_all)
        Path(args.side_out).write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")
        return 0
    corpus = Path(args.corpus)
    if not corpus.is_file():
        print(f"no corpus at {corpus}", file=sys.stderr)
        return 2
    if bool(args.before) == bool(args.before_dir):
        parser.error("give one of --before COMMIT and --before-dir DIR")
    work = Path(args.work)
    before = Path(args.before_dir).resolve() if args.before_dir else checkout(args.before)
    given = dict(item.split("=", 1) for item in args.index)
    indexes = {
        engine: Path(given[engine]) if engine in given else build(corpus, work, engine, before)
        for engine in args.engines
    }
    codes = {"before": before, "ours": Path(args.code).resolve() if args.code else ROOT}
    runs: dict[str, dict[str, list[dict[str, Any]]]] = {
        engine: {"before": [], "ours": []} for engine in args.engines
    }
    started = time.perf_counter()
    try:
        for round_ in range(args.rounds):
            order = ["before", "ours"] if round_ % 2 == 0 else ["ours", "before"]
            for engine in args.engines:
                for name in order:
                    result = run_side(codes[name], indexes[engine], round_ < args.all_rounds)
                    runs[engine][name].append(result)
            print(f"round {round_ + 1}/{args.rounds} done", flush=True)
    finally:
        if args.before:
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(before)],
                check=False,
                capture_output=True,
            )
    summary = summarize(runs)
    head = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    lines = [
        f"counts and concordances: before = {args.before or before}, ours = {head} "
        f"(working tree{', copied to ' + args.code if args.code else ''}); "
        f"{args.rounds} round(s), all lines in {args.all_rounds}; "
        f"{time.perf_counter() - started:.0f} s; load average {os.getloadavg()[0]:.2f}",
        *table(summary),
    ]
    print("\n".join(lines))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps({"summary": summary, "runs": runs}, ensure_ascii=False, indent=1) + "\n",
        encoding="utf-8",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
