"""Quality and speed of the root extractor (archive.arabic.roots) on the two tables.

Run from the project root::

    python benchmarks/roots.py [--isri] [--corpus PATH] [--rounds N]

It reads ``tests/data/roots_tuning.tsv`` (the words the extractor was tuned on) and
``tests/data/roots_heldout.tsv`` (words never used for tuning) and prints, for each:

- per word: precision = right roots / words given a root; recall = right roots /
  all words (a word given no root counts against recall only);
- per root, as a ``root:R`` search sees it: for each gold root R of the table, the
  words predicted R against the words whose gold root is R; micro-averaged
  precision = sum |predicted R and gold R| / sum |predicted R|, recall = sum
  |predicted R and gold R| / sum |gold R| (words predicted a root that is no gold
  root of the table are not counted: no search in the table asks for them);
- per class of the gold root (sound, hollow, defective, assimilated, hamzated,
  doubled, quadriliteral; a root of two classes counts in the first that fits, in
  the order quadriliteral, doubled, assimilated, hollow, defective, hamzated);
- time per word: the median over ``--rounds`` of the table words, and one cold
  pass over the distinct words of ``--corpus`` (the hadith corpus by default,
  skipped if absent).

``--isri`` adds the same figures for plain ISRI (Taghva, Elkhoury and Coombs 2005,
as NLTK's ``nltk/stem/isri.py`` has it: stop words, prefixes and suffixes by length,
the patterns of 4-, 5- and 6-letter words), written out below, with its output put
in the same spelling of hamza (any seat and a first ا as ء) and ى as ي, so that
the figures show what the improvements buy.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from archive.arabic.roots import root  # noqa: E402

TABLES = {
    "tuning": ROOT / "tests" / "data" / "roots_tuning.tsv",
    "held-out": ROOT / "tests" / "data" / "roots_heldout.tsv",
}
CORPUS = ROOT.parent / "shared" / "corpora" / "hadith_bukhari_muslim.jsonl"
CLASSES = ("sound", "hollow", "defective", "assimilated", "hamzated", "doubled", "quadriliteral")
WEAK = "وي"
HAMZA = "ء"


def load(path: Path) -> list[tuple[str, str]]:
    """The ``(word, gold root)`` rows of a table, its comment lines skipped."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            word, gold = line.split("\t")
            rows.append((word, gold))
    return rows


def root_class(gold: str) -> str:
    """The class of a root: the first that fits, in a fixed order."""
    if len(gold) == 4:
        return "quadriliteral"
    if gold[1] == gold[2]:
        return "doubled"
    if gold[0] in WEAK:
        return "assimilated"
    if gold[1] in WEAK:
        return "hollow"
    if gold[2] in WEAK:
        return "defective"
    if HAMZA in gold:
        return "hamzated"
    return "sound"


def ratio(num: int, den: int) -> str:
    return f"{num / den:.3f} ({num}/{den})" if den else "-"


def report(name: str, rows: list[tuple[str, str]], extract: Callable[[str], str | None]) -> None:
    predicted = [extract(word) for word, _ in rows]
    right = sum(p == gold for p, (_, gold) in zip(predicted, rows, strict=True))
    given = sum(p is not None for p in predicted)
    print(f"  {name}: {len(rows)} words, {len({g for _, g in rows})} roots")
    print(f"    per word:  precision {ratio(right, given)}  recall {ratio(right, len(rows))}")
    gold_count = Counter(gold for _, gold in rows)
    predicted_count = Counter(p for p in predicted if p in gold_count)
    hits = Counter(gold for p, (_, gold) in zip(predicted, rows, strict=True) if p == gold)
    tp, pred_total, gold_total = sum(hits.values()), sum(predicted_count.values()), len(rows)
    print(f"    per root:  precision {ratio(tp, pred_total)}  recall {ratio(tp, gold_total)}")
    for cls in CLASSES:
        members = [i for i, (_, gold) in enumerate(rows) if root_class(gold) == cls]
        if not members:
            continue
        ok = sum(predicted[i] == rows[i][1] for i in members)
        some = sum(predicted[i] is not None for i in members)
        print(f"    {cls:<14} precision {ratio(ok, some):<20} recall {ratio(ok, len(members))}")


def time_per_word(words: list[str], extract: Callable[[str], str | None], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        for word in words:
            extract(word)
        times.append((time.perf_counter() - start) / len(words))
    return statistics.median(times) * 1e6


def corpus_words(path: Path) -> list[str]:
    words: set[str] = set()
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            words.update(
                re.findall(
                    r"[\u0621-\u064a\u064b-\u0652\u0670\u0671\u0640]+", json.loads(line)["text"]
                )
            )
    return sorted(words)


# --- plain ISRI, the baseline --------------------------------------------------

ISRI_P3 = ("كال", "بال", "ولل", "وال")
ISRI_P2 = ("ال", "لل")
ISRI_P1 = ("ل", "ب", "ف", "س", "و", "ي", "ت", "ن", "ا")
ISRI_S3 = ("تمل", "همل", "تان", "تين", "كمل")
ISRI_S2 = (
    "ون",
    "ات",
    "ان",
    "ين",
    "تن",
    "كم",
    "هن",
    "نا",
    "يا",
    "ها",
    "تم",
    "كن",
    "ني",
    "وا",
    "ما",
    "هم",
)
ISRI_S1 = ("ة", "ه", "ي", "ك", "ت", "ا", "ن")
ISRI_STOP = frozenset(
    (
        "يكون",
        "وليس",
        "وكان",
        "كذلك",
        "التي",
        "وبين",
        "عليها",
        "مساء",
        "الذي",
        "وكانت",
        "ولكن",
        "والتي",
        "تكون",
        "اليوم",
        "اللذين",
        "عليه",
        "كانت",
        "لذلك",
        "أمام",
        "هناك",
        "منها",
        "مازال",
        "لازال",
        "لايزال",
        "مايزال",
        "اصبح",
        "أصبح",
        "أمسى",
        "امسى",
        "أضحى",
        "اضحى",
        "مابرح",
        "مافتئ",
        "ماانفك",
        "لاسيما",
        "ولايزال",
        "الحالي",
        "اليها",
        "الذين",
        "فانه",
        "والذي",
        "وهذا",
        "لهذا",
        "فكان",
        "ستكون",
        "اليه",
        "يمكن",
        "بهذا",
        "الذى",
    )
)
ISRI_MARKS = re.compile("[\u064b-\u0652]")
ISRI_INITIAL_HAMZA = re.compile("^[\u0622\u0623\u0625]")


def isri_stem(token: str) -> str:
    """Plain ISRI, step for step as NLTK's ISRIStemmer.stem."""
    token = ISRI_MARKS.sub("", token)
    if token in ISRI_STOP:
        return token
    token = _pre32(token)
    token = _suf32(token)
    if len(token) >= 4 and token.startswith("وو"):
        token = token[1:]
    token = ISRI_INITIAL_HAMZA.sub("ا", token)
    if len(token) == 4:
        token = _pro_w4(token)
    elif len(token) == 5:
        token = _end_w5(_pro_w53(token))
    elif len(token) == 6:
        token = _end_w6(_pro_w6(token))
    elif len(token) == 7:
        token = _suf1(token)
        if len(token) == 7:
            token = _pre1(token)
        if len(token) == 6:
            token = _end_w6(_pro_w6(token))
    return token


def _pre32(w: str) -> str:
    if len(w) >= 6:
        for p in ISRI_P3:
            if w.startswith(p):
                return w[3:]
    if len(w) >= 5:
        for p in ISRI_P2:
            if w.startswith(p):
                return w[2:]
    return w


def _suf32(w: str) -> str:
    if len(w) >= 6:
        for s in ISRI_S3:
            if w.endswith(s):
                return w[:-3]
    if len(w) >= 5:
        for s in ISRI_S2:
            if w.endswith(s):
                return w[:-2]
    return w


def _suf1(w: str) -> str:
    for s in ISRI_S1:
        if w.endswith(s):
            return w[:-1]
    return w


def _pre1(w: str) -> str:
    for p in ISRI_P1:
        if w.startswith(p):
            return w[1:]
    return w


def _pro_w4(w: str) -> str:
    if w[0] == "م":
        return w[1:]
    if w[1] == "ا":
        return w[0] + w[2:]
    if w[2] in "اوي":
        return w[:2] + w[3]
    if w[3] == "ة":
        return w[:-1]
    w = _suf1(w)
    return _pre1(w) if len(w) == 4 else w


def _pro_w53(w: str) -> str:
    rules: tuple[tuple[bool, Callable[[], str]], ...] = (
        (w[2] in "ات" and w[0] == "ا", lambda: w[1] + w[3:]),
        (w[3] in "ايو" and w[0] == "م", lambda: w[1:3] + w[4]),
        (w[0] in "اتم" and w[4] == "ة", lambda: w[1:4]),
        (w[0] in "ميت" and w[2] == "ت", lambda: w[1] + w[3:]),
        (w[0] in "مت" and w[2] == "ا", lambda: w[1] + w[3:]),
        (w[2] in "او" and w[4] == "ة", lambda: w[:2] + w[3]),
        (w[0] in "ام" and w[1] == "ن", lambda: w[2:]),
        (w[3] == "ا" and w[0] == "ا", lambda: w[1:3] + w[4]),
        (w[4] == "ن" and w[3] == "ا", lambda: w[:3]),
        (w[3] == "ي" and w[0] == "ت", lambda: w[1:3] + w[4]),
        (w[3] == "و" and w[1] == "ا", lambda: w[0] + w[2] + w[4]),
        (w[2] == "ا" and w[1] == "و", lambda: w[0] + w[3:]),
        (w[3] == "ئ" and w[2] == "ا", lambda: w[:2] + w[4]),
        (w[4] == "ة" and w[1] == "ا", lambda: w[0] + w[2:4]),
        (w[4] == "ي" and w[2] == "ا", lambda: w[:2] + w[3]),
    )
    for matches, stem in rules:
        if matches:
            return stem()
    w = _suf1(w)
    return _pre1(w) if len(w) == 5 else w


def _pro_w54(w: str) -> str:
    if w[0] in "اتم":
        return w[1:]
    if w[4] == "ة":
        return w[:4]
    if w[2] == "ا":
        return w[:2] + w[3:]
    return w


def _end_w5(w: str) -> str:
    if len(w) == 4:
        return _pro_w4(w)
    if len(w) == 5:
        return _pro_w54(w)
    return w


def _pro_w6(w: str) -> str:
    if w.startswith(("است", "مست")):
        return w[3:]
    if w[0] == "م" and w[3] == "ا" and w[5] == "ة":
        return w[1:3] + w[4]
    if w[0] == "ا" and w[2] == "ت" and w[4] == "ا":
        return w[1] + w[3] + w[5]
    if w[0] == "ا" and w[3] == "و" and w[2] == w[4]:
        return w[1] + w[4:]
    if w[0] == "ت" and w[2] == "ا" and w[4] == "ي":
        return w[1] + w[3] + w[5]
    w = _suf1(w)
    return _pre1(w) if len(w) == 6 else w


def _pro_w64(w: str) -> str:
    if w[0] == "ا" and w[4] == "ا":
        return w[1:4] + w[5]
    if w.startswith("مت"):
        return w[2:]
    return w


def _end_w6(w: str) -> str:
    if len(w) == 5:
        return _end_w5(_pro_w53(w))
    if len(w) == 6:
        return _pro_w64(w)
    return w


ISRI_HAMZA = str.maketrans("أإآؤئى", "ءءءءءي")


def isri_root(word: str) -> str | None:
    """ISRI's stem in the tables' spelling: hamza on any seat and a first ا as ء."""
    stem = isri_stem(word).translate(ISRI_HAMZA)
    if stem.startswith("ا"):
        stem = HAMZA + stem[1:]
    return stem or None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--isri", action="store_true", help="add plain ISRI as a baseline")
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="JSON Lines passages to time")
    parser.add_argument("--rounds", type=int, default=5, help="timing rounds over the tables")
    args = parser.parse_args()
    print(__doc__.split("Run from")[0].strip().splitlines()[0])
    print(
        "definitions: per word precision = right / given a root, recall = right / all words;\n"
        "per root (micro over the table's gold roots R): precision = sum|pred R & gold R| /"
        " sum|pred R|, recall = sum|pred R & gold R| / sum|gold R|"
    )
    tables = {name: load(path) for name, path in TABLES.items()}
    sides: list[tuple[str, Callable[[str], str | None]]] = [("archive.arabic.roots", root)]
    if args.isri:
        sides.append(("plain ISRI", isri_root))
    for side, extract in sides:
        print(f"\n{side}")
        for name, rows in tables.items():
            report(name, rows, extract)
        words = [word for rows in tables.values() for word, _ in rows]
        print(
            f"    time: {time_per_word(words, extract, args.rounds):.1f} us/word"
            " over the tables (warm)"
        )
        if args.corpus.exists():
            distinct = corpus_words(args.corpus)
            start = time.process_time()
            for word in distinct:
                extract(word)
            elapsed = (time.process_time() - start) / len(distinct) * 1e6
            print(
                f"    time: {elapsed:.1f} us/word CPU, one pass over"
                f" {len(distinct)} distinct words of {args.corpus.name}"
            )
        else:
            print(f"    (no corpus at {args.corpus}: corpus timing skipped)")


if __name__ == "__main__":
    main()
