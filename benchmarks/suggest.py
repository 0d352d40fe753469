"""Did you mean: how long a suggestion takes for a search that found nothing, on a
vocabulary the size of a million-passage archive's, and what the vocabulary costs.

Run it from the project root::

    python benchmarks/suggest.py                  # vocabularies of 400,000 and 1,000,000 words
    python benchmarks/suggest.py --sizes 100000   # a quick look
    python benchmarks/suggest.py --index          # also read one from a Tantivy index

The words are those of the shared corpora (``../shared/corpora``, the texts
``benchmarks/scale.py`` builds its million passages from), analysed with the
archive's own analysis (:mod:`archive.arabic.analysis`, exact mode: the terms
the body's ``text_exact`` field holds, each counted once a passage), without an
index. ``scale.py``'s million passages repeat those texts, so their vocabulary
is the corpora's; an archive of a million distinct passages holds more words.
How many is extrapolated from the corpora's own growth (Heaps' law fitted on
growing shares of the passages, printed), and each size asked for is reached
by adding made-up words to the real ones: real words with two to four letters
changed, with the real words' lengths (a word's length is what the cost of a
look-up depends on, not its letters).

Phases:

1. ``growth``: distinct folded words against passages read, and the fit.
2. for each size: ``build`` (cold: the vocabulary and its delete index from the
   terms, wall time; and the memory it keeps, measured with tracemalloc in a
   second build; every word kept, without the archive's cap of
   :data:`archive.query.suggest.MAX_KEYS`), then the suggestions (:meth:`Vocabulary.nearest`) for
   misspellings made from real words, drawn by frequency, with one edit and
   with two (a letter changed, added, dropped, or two swapped; kept only if
   the misspelling is no word of the vocabulary: a search that finds nothing):
   p50, p95 and the largest in wall time, p50 and p95 in this process's CPU
   time (less moved by other work on a shared machine), and how often the word
   it was made from is the first suggestion and among the three.
3. ``--index``: the corpora ingested into a Tantivy archive, and the cold
   :meth:`Suggester.vocabulary` (reading every term of ``text_exact``) and a
   warm :meth:`Suggester.suggest` (with its searches for each word) timed.

The table is printed and written as JSON to ``benchmarks/out/suggest.json``.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from archive.arabic import DEFAULT, TOKEN_PATTERN, fold  # noqa: E402
from archive.arabic.analysis import EXACT, analyze_word  # noqa: E402
from archive.query.suggest import Vocabulary, max_distance  # noqa: E402
from benchmarks.scale import DEFAULT_CORPORA, pool  # noqa: E402

DEFAULT_OUT = HERE / "out" / "suggest.json"
#: The letters misspellings and made-up words are spelt with: those the fold keeps.
LETTERS = [
    chr(c) for c in (*range(0x0621, 0x063B), *range(0x0641, 0x064B)) if fold(chr(c)) == chr(c)
]


def exact_terms(texts: list[tuple[str, str]]) -> tuple[Counter[str], list[tuple[int, int]]]:
    """The exact-mode terms of the texts, each counted once a passage, and the
    growth of the folded vocabulary: (passages read, distinct folded words)."""
    terms: Counter[str] = Counter()
    folded: set[str] = set()
    growth = []
    marks = {int(len(texts) * share) for share in (0.01, 0.03, 0.1, 0.3, 1.0)}
    for n, (_, text) in enumerate(texts, 1):
        seen = set()
        for match in TOKEN_PATTERN.finditer(text):
            for position in analyze_word(match.group(), EXACT, DEFAULT):
                seen.update(position)
        terms.update(seen)
        folded.update(fold(t.partition("\x1f")[0]) for t in seen)
        if n in marks:
            growth.append((n, len(folded)))
    return terms, growth


def heaps(growth: list[tuple[int, int]]) -> tuple[float, float]:
    """K and beta of V = K n^beta, fitted on the last three points (log-log)."""
    points = [(math.log(n), math.log(v)) for n, v in growth[-3:]]
    mx = statistics.fmean(x for x, _ in points)
    my = statistics.fmean(y for _, y in points)
    beta = sum((x - mx) * (y - my) for x, y in points) / sum((x - mx) ** 2 for x, _ in points)
    return math.exp(my - beta * mx), beta


def mutate(word: str, edits: int, rng: random.Random) -> str:
    """``word`` with ``edits`` random edits: a letter changed, added, dropped, or
    two neighbours swapped."""
    chars = list(word)
    for _ in range(edits):
        kind = rng.choice(("sub", "ins", "del", "swap") if len(chars) > 2 else ("sub", "ins"))
        at = rng.randrange(len(chars))
        if kind == "sub":
            chars[at] = rng.choice([c for c in LETTERS if c != chars[at]])
        elif kind == "ins":
            chars.insert(at, rng.choice(LETTERS))
        elif kind == "del":
            del chars[at]
        elif at < len(chars) - 1:
            chars[at], chars[at + 1] = chars[at + 1], chars[at]
        else:
            chars[at - 1], chars[at] = chars[at], chars[at - 1]
    return "".join(chars)


def padded(terms: Counter[str], size: int, rng: random.Random) -> list[tuple[str, int]]:
    """The real terms, and made-up words (real ones with 2 to 4 letters changed)
    until the folded vocabulary holds ``size`` words."""
    out = list(terms.items())
    keys = {fold(t.partition("\x1f")[0]) for t in terms}
    real = sorted(keys)
    while len(keys) < size:
        word = mutate(rng.choice(real), rng.randint(2, 4), rng)
        if len(word) >= 2 and word not in keys:
            keys.add(word)
            out.append((f"{word}\x1f{word}", 1))
    return out


def misspellings(
    vocabulary: Vocabulary, edits: int, count: int, rng: random.Random
) -> list[tuple[str, str]]:
    """(misspelling, the word it was made from): real words of three letters
    or more drawn by frequency, with ``edits`` edits, that are no word."""
    pairs = zip(vocabulary.keys, vocabulary.frequencies, strict=True)
    words = [(k, f) for k, f in pairs if len(k) >= 3 and f > 1]
    keys = [k for k, _ in words]
    weights = [f for _, f in words]
    out: list[tuple[str, str]] = []
    while len(out) < count:
        word = rng.choices(keys, weights)[0]
        if edits == 2 and max_distance(word) < 2:
            continue  # two edits only for words long enough to be looked up within two
        typo = mutate(word, edits, rng)
        if len(typo) >= 3 and vocabulary.find(typo) is None:
            out.append((typo, word))
    return out


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def measure(terms: list[tuple[str, int]], queries: int, rng: random.Random) -> dict[str, Any]:
    gc.collect()
    start, cpu_start = time.perf_counter(), time.process_time()
    vocabulary = Vocabulary.from_terms(terms, max_keys=len(terms))  # every word, no cap
    build = time.perf_counter() - start
    build_cpu = time.process_time() - cpu_start
    del vocabulary
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    vocabulary = Vocabulary.from_terms(terms, max_keys=len(terms))
    gc.collect()
    kept = tracemalloc.get_traced_memory()[0] - before
    peak = tracemalloc.get_traced_memory()[1] - before
    tracemalloc.stop()
    row: dict[str, Any] = {
        "words": len(vocabulary),
        "terms": len(terms),
        "build_s": round(build, 2),
        "build_cpu_s": round(build_cpu, 2),
        "kept_mib": round(kept / 2**20, 1),
        "bytes_per_word": round(kept / len(vocabulary)),
        "build_peak_mib": round(peak / 2**20, 1),
    }
    # The saved vocabulary (what a later process of the same commit reads).
    with tempfile.TemporaryDirectory() as folder:
        saved = Path(folder) / "vocabulary"
        t0 = time.perf_counter()
        vocabulary.save(saved)
        row["save_s"] = round(time.perf_counter() - t0, 2)
        row["saved_mib"] = round(saved.stat().st_size / 2**20, 1)
        t0, c0 = time.perf_counter(), time.process_time()
        loaded = Vocabulary.load(saved, vocabulary.profile)
        row["load_s"] = round(time.perf_counter() - t0, 2)
        row["load_cpu_s"] = round(time.process_time() - c0, 2)
        assert loaded.keys == vocabulary.keys
        del loaded
    for edits in (1, 2):
        times = []
        cpu = []
        first = among = 0
        for typo, word in misspellings(vocabulary, edits, queries, rng):
            key = fold(typo)
            t0, c0 = time.perf_counter(), time.process_time()
            found = vocabulary.nearest(key)
            times.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
            keys = [c.key for c in found]
            first += bool(keys) and keys[0] == word
            among += word in keys
        row[f"edits{edits}"] = {
            "p50_ms": round(percentile(times, 0.5), 2),
            "p95_ms": round(percentile(times, 0.95), 2),
            "max_ms": round(max(times), 2),
            "cpu_p50_ms": round(percentile(cpu, 0.5), 2),
            "cpu_p95_ms": round(percentile(cpu, 0.95), 2),
            "first": round(first / len(times), 3),
            "top3": round(among / len(times), 3),
        }
    return row


def from_index(texts: list[tuple[str, str]], rng: random.Random) -> dict[str, Any]:
    """The corpora ingested into a Tantivy archive: the cold vocabulary and warm
    suggestions through the suggester, as the facade asks them."""
    from archive import Archive
    from archive.engine import Request
    from archive.query.plan import Planner
    from archive.query.suggest import Suggester

    with tempfile.TemporaryDirectory() as work:
        folder = Path(work)
        with open(folder / "in.jsonl", "w", encoding="utf-8") as handle:
            for n, (title, text) in enumerate(texts):
                record = {"id": f"p{n}", "title": title, "text": text}
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        arc = Archive(folder / "index", engine="tantivy")
        start = time.perf_counter()
        arc.ingest(folder / "in.jsonl")
        ingest = time.perf_counter() - start
        suggester = Suggester(arc.engine)
        start = time.perf_counter()
        vocabulary = suggester.vocabulary()
        cold = time.perf_counter() - start
        planner = Planner(arc.profile)
        times = []
        snapshot = arc.engine.snapshot()
        for typo, _ in misspellings(vocabulary, 1, 100, rng):
            plan = planner.plan(typo)
            t0 = time.perf_counter()
            total = snapshot.search(Request(plan, limit=10)).total
            suggester.suggest(snapshot, plan, total)
            times.append((time.perf_counter() - t0) * 1000)
        snapshot.close()
        suggester.close()
        arc.close()
    return {
        "passages": len(texts),
        "ingest_s": round(ingest, 1),
        "words": len(vocabulary),
        "cold_vocabulary_s": round(cold, 2),
        "search_and_suggest_p50_ms": round(percentile(times, 0.5), 2),
        "search_and_suggest_p95_ms": round(percentile(times, 0.95), 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    parser.add_argument("--sizes", type=int, nargs="+", default=[400_000, 1_000_000])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--index", action="store_true", help="also read one from a Tantivy index")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    if not args.corpora.is_dir():
        print(f"no corpora in {args.corpora}", file=sys.stderr)
        return 2
    rng = random.Random(args.seed)
    texts = pool(args.corpora)
    rng.shuffle(texts)
    terms, growth = exact_terms(texts)
    k, beta = heaps(growth)
    report: dict[str, Any] = {
        "load_average": list(os.getloadavg()),
        "passages": len(texts),
        "exact_terms": len(terms),
        "growth": growth,
        "heaps": {"K": round(k, 1), "beta": round(beta, 3)},
        "extrapolated_words_1m_passages": round(k * 1_000_000**beta),
        "sizes": [],
    }
    print(f"{len(texts):,} passages, {len(terms):,} exact terms; growth {growth}")
    print(
        f"Heaps: V = {k:.1f} n^{beta:.3f}; a million distinct passages: "
        f"~{report['extrapolated_words_1m_passages']:,} words"
    )
    for size in args.sizes:
        row = measure(padded(terms, size, rng), args.queries, rng)
        report["sizes"].append(row)
        print(json.dumps(row, ensure_ascii=False))
    if args.index:
        report["index"] = from_index(texts, rng)
        print(json.dumps(report["index"]))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
