"""Threads sharing one ``Archive``: a rare-word search beside a heavy query.

Run it from the project root::

    python benchmarks/threads.py                                  # the archive installed
    python benchmarks/threads.py --before /tmp/old --rounds 2     # and an earlier commit

The corpus is ``../shared/corpora/hadith_bukhari_muslim.jsonl`` beside the project
root (``--corpus PATH`` for another JSON Lines file of ``{"id", "title", "text"}``
records); without it the script exits with code 2.

Each measurement runs in a fresh child process (this script with ``--child``)
that imports the ``archive`` package of ``--code DIR`` (on ``PYTHONPATH``; by
default the one installed), ingests the corpus into a new folder, and opens
ONE ``Archive``, shared by two threads:

* **alone**: the rare-word searches (``search(word, limit=10)`` for words found
  in one to three passages, drawn from the corpus with ``random.Random(1234)``),
  one after another, ``--samples`` of them;
* **beside a heavy query**: the same rare-word searches in the main thread while
  a second thread runs a heavy query over and over: the phrase ``"صلى الله"``
  (``limit=10``), the word ``الله`` (``limit=10``; in most passages), or
  ``count("الله")``. Each rare search starts after a random pause of up to
  ``--pause`` seconds, so that it lands anywhere in the heavy query's run.

The loops are bounded: ``--samples`` rare searches a phase, and a phase stops
after ``--budget`` seconds whatever it reached (the table says how many ran).
The heavy query's own time alone is measured too (the median of 3), to compare
with: a design where searches take turns makes the rare search wait for the
rest of the heavy one.

``--before DIR`` runs the same children with the package of ``DIR`` as well
(an earlier commit, from ``git archive`` or a worktree), the two in turn for
``--rounds`` rounds; the table shows medians over the rounds and the ratios. The
figures are written as JSON to ``benchmarks/out/threads.json`` (``--out``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = PROJECT.parent / "shared" / "corpora" / "hadith_bukhari_muslim.jsonl"
DEFAULT_OUT = PROJECT / "benchmarks" / "out" / "threads.json"
SEED = 1234

#: The heavy queries: a name, and what the second thread calls.
HEAVY: dict[str, Callable[[Any], Any]] = {
    "phrase": lambda arc: arc.search('"صلى الله"', limit=10).total,
    "word": lambda arc: arc.search("الله", limit=10).total,
    "count": lambda arc: arc.count("الله").passages,
}


# --- Choosing the rare words (the parent) ----------------------------------------


def rare_words(corpus: Path, count: int, seed: int = SEED) -> list[str]:
    """``count`` words (folded forms of at least five letters) that stand in one to
    three passages of the corpus, drawn with ``random.Random(seed)``."""
    from archive.arabic import TOKEN_PATTERN, fold

    passages: dict[str, set[int]] = {}
    written: dict[str, str] = {}
    with corpus.open(encoding="utf-8") as handle:
        for n, line in enumerate(handle):
            if not line.strip():
                continue
            for match in TOKEN_PATTERN.finditer(json.loads(line)["text"]):
                word = match.group()
                key = fold(word)
                if len(key) < 5 or any(c.isdigit() for c in key):
                    continue
                passages.setdefault(key, set()).add(n)
                written.setdefault(key, word)
    rare = sorted(key for key, found in passages.items() if len(found) <= 3)
    return [written[key] for key in random.Random(seed).sample(rare, count)]


# --- Measuring (the child) --------------------------------------------------------


def median_ms(samples: Sequence[float]) -> float:
    return 1000 * statistics.median(samples) if samples else float("nan")


def p95_ms(samples: Sequence[float]) -> float:
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return 1000 * ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def rare_searches(
    arc: Any, words: Sequence[str], samples: int, pause: float, budget: float, seed: int
) -> list[float]:
    """Seconds of each rare-word search, ``samples`` of them or as many as
    ``budget`` seconds allow, each after a random pause of up to ``pause``."""
    rng = random.Random(seed)
    times: list[float] = []
    deadline = time.perf_counter() + budget
    for i in range(samples):
        if time.perf_counter() > deadline:
            break
        time.sleep(rng.uniform(0, pause))
        started = time.perf_counter()
        arc.search(words[i % len(words)], limit=10)
        times.append(time.perf_counter() - started)
    return times


def beside(
    arc: Any,
    heavy: Callable[[Any], Any],
    words: Sequence[str],
    samples: int,
    pause: float,
    budget: float,
) -> dict[str, Any]:
    """The rare-word searches while another thread runs ``heavy`` in a loop."""
    stop = threading.Event()
    running = threading.Event()
    heavy_times: list[float] = []
    errors: list[BaseException] = []

    def loop() -> None:
        deadline = time.perf_counter() + 2 * budget
        try:
            while not stop.is_set() and time.perf_counter() < deadline:
                running.set()
                started = time.perf_counter()
                heavy(arc)
                heavy_times.append(time.perf_counter() - started)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            running.set()

    thread = threading.Thread(target=loop, name="heavy", daemon=True)
    thread.start()
    running.wait(budget)
    time.sleep(0.05)  # inside its first run
    try:
        times = rare_searches(arc, words, samples, pause, budget, SEED + 1)
    finally:
        stop.set()
        thread.join(2 * budget)
    if errors:
        raise errors[0]
    return {
        "rare_ms": [1000 * t for t in times],
        "rare_p50_ms": median_ms(times),
        "rare_p95_ms": p95_ms(times),
        "heavy_runs": len(heavy_times),
        "heavy_p50_ms": median_ms(heavy_times),
    }


def child(args: argparse.Namespace) -> dict[str, Any]:
    import archive
    from archive import Archive

    words: list[str] = json.loads(args.words)
    folder = Path(tempfile.mkdtemp(prefix="threads-bench-"))
    try:
        arc = Archive(folder / "index")
        started = time.perf_counter()
        arc.ingest(args.corpus)
        ingest_s = time.perf_counter() - started
        result: dict[str, Any] = {
            "archive": str(Path(archive.__file__).parent),
            "ingest_s": ingest_s,
            "passages": len(arc),
            "rare_totals": {w: arc.search(w, limit=10).total for w in words},
        }
        for _ in range(3):  # warm up
            for word in words:
                arc.search(word, limit=10)
        alone = rare_searches(arc, words, args.samples, args.pause, args.budget, SEED + 1)
        result["alone"] = {
            "rare_ms": [1000 * t for t in alone],
            "rare_p50_ms": median_ms(alone),
            "rare_p95_ms": p95_ms(alone),
        }
        result["heavy"] = {}
        for name, heavy in HEAVY.items():
            total = heavy(arc)  # warm up
            own = []
            for _ in range(3):
                started = time.perf_counter()
                heavy(arc)
                own.append(time.perf_counter() - started)
            measured = beside(arc, heavy, words, args.samples, args.pause, args.budget)
            measured.update(total=total, alone_p50_ms=median_ms(own))
            result["heavy"][name] = measured
        arc.close()
        return result
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# --- The parent ---------------------------------------------------------------------


def spawn(args: argparse.Namespace, code: Path | None, words: list[str]) -> dict[str, Any]:
    """One child run with the package of ``code`` (None: the one installed)."""
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    if code is not None:
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(code), os.environ.get("PYTHONPATH")) if p
        )
    command = [sys.executable, str(Path(__file__).resolve()), "--child"]
    command += ["--corpus", str(args.corpus), "--words", json.dumps(words, ensure_ascii=False)]
    command += ["--samples", str(args.samples), "--pause", str(args.pause)]
    command += ["--budget", str(args.budget)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"threads: a child failed (exit code {done.returncode}):\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    if code is not None and Path(result["archive"]).resolve() != (code / "archive").resolve():
        sys.exit(f"threads: the child imported {result['archive']}, not the package in {code}")
    return result


def medians(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians over rounds of the figures of one code."""
    out: dict[str, Any] = {
        "ingest_s": statistics.median(r["ingest_s"] for r in runs),
        "alone_p50_ms": statistics.median(r["alone"]["rare_p50_ms"] for r in runs),
        "alone_p95_ms": statistics.median(r["alone"]["rare_p95_ms"] for r in runs),
    }
    for name in HEAVY:
        parts = [r["heavy"][name] for r in runs]
        out[name] = {
            key: statistics.median(p[key] for p in parts)
            for key in ("rare_p50_ms", "rare_p95_ms", "heavy_p50_ms", "alone_p50_ms")
        }
        out[name]["rare_runs"] = min(len(p["rare_ms"]) for p in parts)
        out[name]["heavy_runs"] = min(p["heavy_runs"] for p in parts)
        out[name]["total"] = parts[0]["total"]
    return out


def table(summary: dict[str, dict[str, Any]], samples: int) -> list[str]:
    codes = list(summary)
    lines = [f"{'':<44}" + "".join(f"{c:>14}" for c in codes)]
    if len(codes) == 2:
        lines[0] += f"{codes[1] + '/' + codes[0]:>16}"

    def row(name: str, values: list[float]) -> None:
        text = f"{name:<44}" + "".join(f"{v:>14.2f}" for v in values)
        if len(values) == 2:
            text += f"{values[1] / values[0]:>16.2f}"
        lines.append(text)

    row("rare-word search alone, p50 (ms)", [summary[c]["alone_p50_ms"] for c in codes])
    row("  p95 (ms)", [summary[c]["alone_p95_ms"] for c in codes])
    for name in HEAVY:
        first = summary[codes[0]][name]
        lines.append(f"beside the heavy {name} query ({first['total']:,} passages)")
        row("  the heavy query alone, p50 (ms)", [summary[c][name]["alone_p50_ms"] for c in codes])
        row(
            "  rare-word search beside it, p50 (ms)",
            [summary[c][name]["rare_p50_ms"] for c in codes],
        )
        row("    p95 (ms)", [summary[c][name]["rare_p95_ms"] for c in codes])
        row(
            "    beside / alone",
            [summary[c][name]["rare_p50_ms"] / summary[c]["alone_p50_ms"] for c in codes],
        )
        row(
            "  the heavy query meanwhile, p50 (ms)",
            [summary[c][name]["heavy_p50_ms"] for c in codes],
        )
        short = [c for c in codes if summary[c][name]["rare_runs"] < samples]
        if short:
            runs = ", ".join(f"{c} {summary[c][name]['rare_runs']}" for c in short)
            lines.append(f"    (the budget stopped the rare searches early: {runs} of {samples})")
    return lines


def parent(args: argparse.Namespace) -> int:
    if not args.corpus.is_file():
        print(
            f"threads: corpus not found: {args.corpus}\nThe shared corpora sit beside the "
            "project at ../shared/corpora; pass --corpus PATH to use another JSON Lines file.",
            file=sys.stderr,
        )
        return 2
    words = rare_words(args.corpus, args.words_count)
    codes: dict[str, Path | None] = {}
    if args.before:
        codes["before"] = Path(args.before).resolve()
    codes["ours"] = Path(args.code).resolve() if args.code else None
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in codes}
    load_before = os.getloadavg()[0]
    for round_ in range(args.rounds):
        order = list(codes) if round_ % 2 == 0 else list(reversed(codes))
        for name in order:
            r = spawn(args, codes[name], words)
            runs[name].append(r)
            heavy = ", ".join(
                f"{h} {r['heavy'][h]['rare_p50_ms']:.1f}" for h in HEAVY if h in r["heavy"]
            )
            print(
                f"round {round_ + 1}/{args.rounds} {name:>6}: alone "
                f"{r['alone']['rare_p50_ms']:.2f} ms; beside {heavy} ms",
                file=sys.stderr,
            )
    totals = {name: rs[0]["rare_totals"] for name, rs in runs.items()}
    summary = {name: medians(rs) for name, rs in runs.items()}
    lines = [
        f"threads: {args.corpus.name}, {runs['ours'][0]['passages']:,} passages; "
        f"{len(words)} rare words ({', '.join(words)}), {args.samples} searches a phase, "
        f"pauses up to {args.pause:g} s; medians of {args.rounds} round(s)",
        f"Python {platform.python_version()}, {platform.system()} {platform.machine()}, "
        f"{os.cpu_count()} CPUs; load average {load_before:.2f} before, "
        f"{os.getloadavg()[0]:.2f} after; "
        + "; ".join(f"{n}: {c or 'the installed archive'}" for n, c in codes.items()),
        "",
        *table(summary, args.samples),
        "",
        "rare words' totals: " + "; ".join(f"{n} {list(t.values())}" for n, t in totals.items()),
    ]
    print("\n".join(lines))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    record = {
        "words": words,
        "codes": {n: str(c) if c else None for n, c in codes.items()},
        "summary": summary,
        "runs": runs,
    }
    args.out.write_text(json.dumps(record, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"\nwritten: {args.out}", file=sys.stderr)
    return 0


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="A rare-word search beside a heavy query, in threads of one Archive."
    )
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="JSON Lines corpus")
    parser.add_argument("--code", metavar="DIR", help="the archive package in DIR, not installed")
    parser.add_argument("--before", metavar="DIR", help="also the archive package in DIR")
    parser.add_argument("--rounds", type=int, default=1, help="runs of each code, in turn")
    parser.add_argument("--samples", type=int, default=40, help="rare searches a phase")
    parser.add_argument("--words-count", type=int, default=5, help="rare words to search")
    parser.add_argument("--pause", type=float, default=0.05, help="most seconds between searches")
    parser.add_argument("--budget", type=float, default=60.0, help="most seconds a phase")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write the JSON")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--words", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if min(args.rounds, args.samples, args.words_count) < 1 or args.budget <= 0:
        parser.error("--rounds, --samples, --words-count and --budget must be positive")
    for option in ("code", "before"):
        folder = getattr(args, option)
        if folder is not None and not (Path(folder) / "archive" / "__init__.py").is_file():
            parser.error(f"--{option}: no archive package in {folder}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        print(json.dumps(child(args), ensure_ascii=False))
        return 0
    return parent(args)


if __name__ == "__main__":
    sys.exit(main())
