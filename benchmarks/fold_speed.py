"""Per-token fold speed: the one-table fold against chained pyarabic calls.

Run from the project root::

    python benchmarks/fold_speed.py [--corpus PATH] [--tokens N] [--rounds N]

Tokens come from the shared hadith corpus (vocalised, with U+200F marks). Both
sides fold the same tokens in the same run; the script prints the median time per
token of each over several rounds and their ratio.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from pyarabic import araby

from archive import arabic

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "hadith_bukhari_muslim.jsonl"


def chained_pyarabic(word: str) -> str:
    """What a caller would chain from pyarabic for roughly the same fold."""
    word = araby.strip_tashkeel(word)
    word = araby.strip_tatweel(word)
    word = araby.normalize_hamza(word, method="tasheel")
    word = araby.normalize_teh(word)
    return word


def per_token_ns(fold: Callable[[str], str], words: list[str], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        for word in words:
            fold(word)
        times.append((time.perf_counter() - start) / len(words) * 1e9)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--tokens", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    if not args.corpus.is_file():
        print(f"corpus not found: {args.corpus}", file=sys.stderr)
        return 2
    words: list[str] = []
    with args.corpus.open(encoding="utf-8") as handle:
        for line in handle:
            words.extend(w for _, _, w in arabic.tokens(json.loads(line)["text"]))
            if len(words) >= args.tokens:
                break
    words = words[: args.tokens]
    table = arabic.fold_table()

    def one_table(word: str) -> str:
        return word.translate(table).lower()

    ours = per_token_ns(one_table, words, args.rounds)
    full = per_token_ns(arabic.fold, words, args.rounds)
    theirs = per_token_ns(chained_pyarabic, words, args.rounds)
    print(f"tokens: {len(words)}, rounds: {args.rounds} (median per token)")
    print(f"one translate table (analyzer hot path): {ours:8.0f} ns")
    print(f"arabic.fold (NFC check + table):          {full:8.0f} ns")
    print(f"chained pyarabic calls:                   {theirs:8.0f} ns")
    print(f"pyarabic / one table: {theirs / ours:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
