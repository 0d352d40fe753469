"""Ingest and search benchmark: the archive against bare Whoosh doing the same logical work.

Run it from the project root::

    python benchmarks/ingest_search.py                      # full corpus, 3 rounds
    python benchmarks/ingest_search.py --limit 2000 --rounds 1 --no-trace   # a quick look
    python benchmarks/ingest_search.py --profile            # also cProfile both sides
    python benchmarks/ingest_search.py --before /tmp/old    # also the archive of another commit

The corpus is ``../shared/corpora/hadith_bukhari_muslim.jsonl`` beside the project
root (``--corpus PATH`` to use another JSON Lines file of ``{"id", "title",
"text"}`` records). Without it the script exits with code 2.

Two sides do the same logical work on the same input and the same queries:

* ``ours``: ``Archive(folder).ingest(corpus)``, then ``arc.search(q, limit=10)``,
  reading ``res.total`` and each hit's ``passage.id`` and ``score`` (no snippets).
* ``baseline``: bare Whoosh with one ``text`` field analysed by a
  ``RegexTokenizer(TOKEN_PATTERN)`` and a fold filter (``fold_table()`` and
  ``lower()``), ``id`` and ``title`` stored; one ``add_document`` per passage and
  one commit; queries through ``QueryParser("text", schema)`` (AND), reading
  ``len(results)`` and each hit's stored id and score.

Each side runs in a fresh child process (this script with ``--side``), so the
peak RSS (``ru_maxrss``) of one does not include the other; the sides alternate
for ``--rounds`` rounds and the table shows medians over the rounds. A further
child per side measures the ``tracemalloc`` peak of the ingest (tracing slows
Python down, so it is kept out of the timed runs; ``--no-trace`` skips it).
Ingest is timed in wall time (the targets) and CPU time, which another busy
process on the machine disturbs less. The queries are drawn in a child as well,
since on Linux a child's ``ru_maxrss`` starts at the RSS of its parent.

The package is installed in editable mode, so each child runs the source on
disk when it starts: the table names the git commit and a hash of
``archive/**/*.py``, and warns if that source changed during the run.
``--code DIR`` runs every child with the ``archive`` package of ``DIR`` instead
(on ``PYTHONPATH``; a ``git archive`` of a commit, say), which no one edits
during the run.

``--before DIR``: a third side, ``before``, does the work of ``ours`` with the
``archive`` package of ``DIR`` (an earlier commit), in every round next to
``ours`` (the two in turn first), and a second table compares the two: ingest
and query medians, and whether they found the same totals and top hits.

The queries (at least 200) are drawn from the corpus with ``random.Random(1234)``:
single words, two-word phrases in quotes, and spelling variants (diacritics
stripped, initial أ/إ written ا, final ة written ه). Each side is warmed up with 20
of them, then every query is timed ``--repeat`` times.

The table is printed and written as JSON to ``benchmarks/out/ingest_search.json``
(``--out PATH``). Targets for ours/baseline are reported as PASS or MISS; a MISS
does not change the exit code.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import importlib.metadata
import json
import math
import os
import platform
import pstats
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

from whoosh.analysis import Filter, RegexTokenizer, Token

from archive.arabic import TOKEN_PATTERN, fold, fold_table, strip_marks

PROJECT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = PROJECT.parent / "shared" / "corpora" / "hadith_bukhari_muslim.jsonl"
DEFAULT_OUT = PROJECT / "benchmarks" / "out" / "ingest_search.json"

SIDES = ("baseline", "ours")
SEED = 1234
WARMUP = 20
LIMIT = 10

#: How many queries of each kind to draw from the corpus.
QUERY_COUNTS = {"word": 120, "phrase": 60, "variant": 60}
VARIANT_KINDS = ("strip", "alef", "ta")

#: Targets for ours/baseline: (metric, comparison, bound).
TARGETS = (
    ("ingest throughput ratio", ">=", 0.6),
    ("query p50 ratio", "<=", 1.5),
    ("query p95 ratio", "<=", 2.0),
)

MB = 1_000_000
MIB = 1024 * 1024

#: Seconds between two samples of a child's process-tree memory.
SAMPLE_INTERVAL = 0.1

Hits = list[tuple[str, float]]


# --- The baseline analyzer -----------------------------------------------------
# Module level, because Whoosh pickles the schema (and so the analyzer) into the index.


class FoldFilter(Filter):  # type: ignore[misc]  # whoosh is untyped
    """Fold each token with the archive's one translate table, then lowercase; drop empties."""

    def __call__(self, tokens: Iterable[Token]) -> Iterator[Token]:
        table = fold_table()
        for t in tokens:
            t.text = t.text.translate(table).lower()
            if t.text:
                yield t


def baseline_analyzer() -> Any:
    """A mark-aware ``RegexTokenizer`` piped into :class:`FoldFilter`."""
    return RegexTokenizer(TOKEN_PATTERN) | FoldFilter()


# --- The two sides -------------------------------------------------------------


class Engine(Protocol):
    """An index open for search: one query in, the total and the top hits out."""

    def search(self, query: str) -> tuple[int, Hits]: ...

    def close(self) -> None: ...


class OursEngine:
    """The archive: ``Archive.search`` with its own shared searcher."""

    def __init__(self, arc: Any) -> None:
        self.arc = arc

    def search(self, query: str) -> tuple[int, Hits]:
        res = self.arc.search(query, limit=LIMIT)
        return res.total, [(hit.passage.id, hit.score) for hit in res.hits]

    def close(self) -> None:
        self.arc.close()


class BaselineEngine:
    """Bare Whoosh: one searcher and one query parser kept across queries."""

    def __init__(self, ix: Any) -> None:
        from whoosh import qparser

        self.searcher = ix.searcher()
        self.parser = qparser.QueryParser("text", ix.schema, group=qparser.AndGroup)

    def search(self, query: str) -> tuple[int, Hits]:
        results = self.searcher.search(self.parser.parse(query), limit=LIMIT)
        return len(results), [(hit["id"], hit.score) for hit in results]

    def close(self) -> None:
        self.searcher.close()


def ingest_ours(corpus: Path, folder: Path) -> tuple[Engine, int]:
    """Create an archive in ``folder`` and ingest ``corpus`` into it."""
    from archive import Archive

    arc = Archive(folder)
    report = arc.ingest(corpus)
    return OursEngine(arc), report.passages


def ingest_baseline(corpus: Path, folder: Path) -> tuple[Engine, int]:
    """Create a bare Whoosh index in ``folder``: one ``add_document`` per passage, one commit."""
    from whoosh import index
    from whoosh.fields import ID, STORED, TEXT, Schema

    schema = Schema(
        id=ID(unique=True, stored=True),
        title=STORED(),
        text=TEXT(analyzer=baseline_analyzer(), phrase=True),
    )
    folder.mkdir(parents=True, exist_ok=True)
    ix = index.create_in(str(folder), schema)
    writer = ix.writer()
    count = 0
    try:
        with corpus.open(encoding="utf-8") as handle:
            for line in handle:
                if not line.strip():
                    continue
                record = json.loads(line)
                writer.add_document(
                    id=str(record["id"]), title=record.get("title", ""), text=record["text"]
                )
                count += 1
    except BaseException:
        writer.cancel()
        raise
    writer.commit()
    return BaselineEngine(ix), count


INGEST: dict[str, Callable[[Path, Path], tuple[Engine, int]]] = {
    "ours": ingest_ours,
    "baseline": ingest_baseline,
}


# --- Queries -------------------------------------------------------------------


def read_texts(corpus: Path, limit: int | None = None) -> list[str]:
    """The ``text`` of the first ``limit`` records of a JSON Lines corpus."""
    texts: list[str] = []
    with corpus.open(encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            texts.append(json.loads(line)["text"])
            if limit is not None and len(texts) >= limit:
                break
    return texts


def _is_word(token: str, minimum: int) -> bool:
    return not any(c.isdigit() for c in token) and len(fold(token)) >= minimum


def build_queries(texts: Sequence[str], seed: int = SEED) -> list[dict[str, str]]:
    """A deterministic query set drawn from ``texts``: words, phrases and spelling variants.

    Each query is ``{"kind", "query"}`` (kind ``word``, ``phrase`` or ``variant``;
    variants also carry ``variant`` and ``of``, the word as written in the text).
    """
    rng = random.Random(seed)
    tokenized: dict[int, list[str]] = {}
    seen: set[str] = set()

    def tokens_of(i: int) -> list[str]:
        if i not in tokenized:
            tokenized[i] = [m.group() for m in TOKEN_PATTERN.finditer(texts[i])]
        return tokenized[i]

    def sample_words(count: int, accept: Callable[[str], str | None]) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        for _ in range(count * 2000):
            if len(out) >= count:
                break
            words = tokens_of(rng.randrange(len(texts)))
            if not words:
                continue
            word = rng.choice(words)
            if not _is_word(word, 3):
                continue
            made = accept(word)
            if made is not None:
                out.append((word, made))
        return out

    def fresh(query: str, key: str) -> bool:
        if key in seen:
            return False
        seen.add(key)
        return True

    queries: list[dict[str, str]] = []
    words = sample_words(QUERY_COUNTS["word"], lambda w: w if fresh(w, fold(w)) else None)
    queries += [{"kind": "word", "query": w} for w, _ in words]

    for _ in range(QUERY_COUNTS["phrase"] * 2000):
        if sum(q["kind"] == "phrase" for q in queries) >= QUERY_COUNTS["phrase"]:
            break
        words_i = tokens_of(rng.randrange(len(texts)))
        if len(words_i) < 2:
            continue
        i = rng.randrange(len(words_i) - 1)
        first, second = words_i[i], words_i[i + 1]
        if not (_is_word(first, 2) and _is_word(second, 2)):
            continue
        query = f'"{first} {second}"'
        if fresh(query, f"{fold(first)} {fold(second)}"):
            queries.append({"kind": "phrase", "query": query})

    made: dict[str, int] = dict.fromkeys(VARIANT_KINDS, 0)
    per_kind = math.ceil(QUERY_COUNTS["variant"] / len(VARIANT_KINDS))

    def variant(word: str) -> str | None:
        bare = strip_marks(word)
        if bare == word:
            return None
        options: dict[str, str] = {"strip": bare}
        if bare[0] in "أإ" and word[0] == bare[0]:
            options["alef"] = "ا" + word[1:]
        if bare.endswith("ة"):
            end = word.rfind("ة")
            options["ta"] = word[:end] + "ه" + word[end + 1 :]
        open_kinds = [k for k in options if made[k] < per_kind]
        if not open_kinds:
            return None
        kind = min(open_kinds, key=lambda k: (made[k], VARIANT_KINDS.index(k)))
        if not fresh(options[kind], options[kind]):
            return None
        made[kind] += 1
        return f"{kind}\t{options[kind]}"

    for word, tagged in sample_words(per_kind * len(VARIANT_KINDS), variant):
        kind, query = tagged.split("\t")
        queries.append({"kind": "variant", "variant": kind, "query": query, "of": word})
    return queries


# --- Measuring one side (the child process) -----------------------------------


def max_rss_mib(who: int = resource.RUSAGE_SELF) -> float:
    """Peak resident set size so far, in MiB, of this process or (``RUSAGE_CHILDREN``)
    of its largest waited-for child."""
    rss = resource.getrusage(who).ru_maxrss
    return rss / MIB if sys.platform == "darwin" else rss / 1024


def cpu_seconds() -> tuple[float, float]:
    """CPU seconds (user and system) of this process and of its waited-for children.

    Worker processes (ours indexes in several when the input is large) count
    once they have been joined, which a Whoosh commit does.
    """
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, kids.ru_utime + kids.ru_stime


def _pss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def tree_pss_mib(pid: int) -> float:
    """The proportional set size of a process and all its descendants, in MiB (Linux).

    PSS shares each page among the processes that map it, so forked workers
    are not counted twice for the pages they share with their parent.
    """
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(b")") + 2 :].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        todo += children.get(current, [])
        total += _pss_kib(current)
    return total / 1024


def folder_size(folder: Path) -> int:
    """Bytes of every file under ``folder``."""
    return sum(
        os.path.getsize(os.path.join(root, name))
        for root, _, names in os.walk(folder)
        for name in names
    )


def source_digest(code: Path | None = None) -> str:
    """A short hash of the ``archive`` package's source as it is on disk now: the
    package in the folder ``code``, or (None) the one this process imports.

    The package is installed in editable mode, so a child process runs whatever
    source is there when it starts; the parent compares the children's digests
    to tell a run that mixed two versions of the package.
    """
    if code is None:
        import archive

        root = Path(archive.__file__).parent
    else:
        root = code / "archive"
    h = hashlib.blake2b(digest_size=6)
    for file in sorted(root.rglob("*.py")):
        h.update(file.relative_to(root).as_posix().encode())
        h.update(file.read_bytes())
    return h.hexdigest()


def git_head(folder: Path = PROJECT) -> str:
    """The git commit of ``folder`` (the project's by default), ``+dirty`` if its
    package has uncommitted changes; for a folder outside git, its path."""
    try:
        head = subprocess.run(
            ["git", "-C", str(folder), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(folder), "status", "--porcelain", "--", "archive"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        top = subprocess.run(
            ["git", "-C", str(folder), "rev-parse", "--show-toplevel"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown" if folder == PROJECT else str(folder)
    if Path(top).resolve() != folder.resolve():
        return str(folder)  # inside another repository (a copy in a checkout's tree)
    return head + ("+dirty" if dirty else "")


def percentile(values: Sequence[float], p: float) -> float:
    """The ``p``-th percentile of ``values``, interpolated between the nearest ranks."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    k = (len(ordered) - 1) * p / 100
    lo, hi = math.floor(k), math.ceil(k)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def latency_stats(samples: Sequence[float]) -> dict[str, float]:
    """p50, p95, mean and max of latencies given in seconds, in milliseconds."""
    ms = [s * 1000 for s in samples]
    return {
        "p50_ms": percentile(ms, 50),
        "p95_ms": percentile(ms, 95),
        "mean_ms": statistics.fmean(ms) if ms else math.nan,
        "max_ms": max(ms, default=math.nan),
    }


def run_side(
    side: str,
    corpus: Path,
    queries: list[dict[str, str]],
    repeat: int,
    trace: bool,
    profile: Path | None,
) -> dict[str, Any]:
    """Ingest ``corpus`` and run ``queries`` with one side; the measurements as a dict."""
    result: dict[str, Any] = {
        "side": side,
        "pid": os.getpid(),
        "source": source_digest(),
        "rss_start_mib": max_rss_mib(),
    }
    folder = Path(tempfile.mkdtemp(prefix=f"ingest-search-{side}-"))
    index_dir = folder / "index"
    profiler = cProfile.Profile() if profile else None
    try:
        if trace:
            tracemalloc.start()
        if profiler:
            profiler.enable()
        started, (own_started, kids_started) = time.perf_counter(), cpu_seconds()
        engine, passages = INGEST[side](corpus, index_dir)
        seconds = time.perf_counter() - started
        own_cpu, kids_cpu = cpu_seconds()
        if profiler and profile:
            profiler.disable()
            profiler.dump_stats(f"{profile}-ingest.prof")
        if trace:
            result["tracemalloc_peak_mib"] = tracemalloc.get_traced_memory()[1] / MIB
            tracemalloc.stop()
        size = corpus.stat().st_size
        result.update(
            passages=passages,
            input_bytes=size,
            ingest_seconds=seconds,
            ingest_cpu_seconds=own_cpu - own_started + kids_cpu - kids_started,
            ingest_worker_cpu_seconds=kids_cpu - kids_started,
            passages_per_s=passages / seconds,
            mb_per_s=size / MB / seconds,
            index_bytes=folder_size(index_dir),
            rss_ingest_mib=max_rss_mib(),
            rss_worker_mib=max_rss_mib(resource.RUSAGE_CHILDREN),
        )
        if trace:
            engine.close()
            return result

        step = max(1, len(queries) // WARMUP)
        for q in queries[::step][:WARMUP]:
            engine.search(q["query"])
        samples: list[list[float]] = [[] for _ in queries]
        answers: list[dict[str, Any]] = []
        for round_ in range(repeat):
            for i, q in enumerate(queries):
                started = time.perf_counter()
                total, hits = engine.search(q["query"])
                samples[i].append(time.perf_counter() - started)
                if round_ == 0:
                    answers.append({"total": total, "ids": [h for h, _ in hits]})
        if profiler and profile:
            profiler = cProfile.Profile()
            profiler.enable()
            for q in queries:
                engine.search(q["query"])
            profiler.disable()
            profiler.dump_stats(f"{profile}-search.prof")
        engine.close()

        result["queries"] = latency_stats([s for per_query in samples for s in per_query])
        for kind in QUERY_COUNTS:
            picked = [ss for q, ss in zip(queries, samples, strict=True) if q["kind"] == kind]
            result[f"queries_{kind}"] = latency_stats([s for ss in picked for s in ss])
        result["answers"] = answers
        result["rss_end_mib"] = max_rss_mib()
        return result
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# --- The parent: run the children and report -----------------------------------


def spawn(arguments: list[str], code: Path | None = None) -> dict[str, Any]:
    """Run this script with ``arguments`` in a fresh Python process; the JSON it wrote.

    A fresh process (not a fork of this one) keeps each side's ``ru_maxrss``
    and ``tracemalloc`` figures its own. ``code``: a folder whose ``archive``
    package the process imports (first on its ``PYTHONPATH``).
    """
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    if code is not None:
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(code), os.environ.get("PYTHONPATH")) if p
        )
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        result_file = Path(handle.name)
    command = [sys.executable, str(Path(__file__).resolve()), *arguments]
    command += ["--result", str(result_file)]
    sample = os.path.exists("/proc/self/smaps_rollup")
    peak = 0.0
    try:
        proc = subprocess.Popen(command, env=env)
        while True:
            try:
                returncode = proc.wait(timeout=SAMPLE_INTERVAL)
                break
            except subprocess.TimeoutExpired:
                if sample:
                    peak = max(peak, tree_pss_mib(proc.pid))
        if returncode != 0:
            sys.exit(f"ingest_search: a child process failed (exit code {returncode}): {command}")
        data: dict[str, Any] = json.loads(result_file.read_text(encoding="utf-8"))
        data["tree_pss_peak_mib"] = peak if sample else math.nan
        return data
    finally:
        result_file.unlink(missing_ok=True)


def child(
    side: str,
    corpus: Path,
    queries_file: Path,
    repeat: int,
    *,
    trace: bool = False,
    profile: Path | None = None,
    code: Path | None = None,
) -> dict[str, Any]:
    """Measure one side in a fresh Python process (``before`` is the work of
    ``ours`` with the package in ``code``)."""
    work = "ours" if side == "before" else side
    arguments = ["--side", work, "--corpus", str(corpus), "--queries", str(queries_file)]
    arguments += ["--repeat", str(repeat)]
    if trace:
        arguments.append("--trace")
    if profile:
        arguments += ["--cprofile", str(profile)]
    result = spawn(arguments, code)
    result["side"] = side
    return result


def median_of(runs: Sequence[dict[str, Any]], *path: str) -> float:
    """The median over runs of one (possibly nested) number."""
    values: list[float] = []
    for run in runs:
        value: Any = run
        for key in path:
            value = value[key]
        values.append(float(value))
    return statistics.median(values)


def ratio(a: float, b: float) -> float:
    return a / b if b and not math.isnan(a) and not math.isnan(b) else math.nan


def check(value: float, op: str, bound: float) -> bool:
    return value >= bound if op == ">=" else value <= bound


def top_functions(prof: Path, n: int, sort: str) -> list[str]:
    """The ``n`` functions with most ``tottime`` or ``cumtime`` in a cProfile dump."""
    stats: dict[Any, Any] = pstats.Stats(str(prof)).stats  # type: ignore[attr-defined]
    column = 2 if sort == "tottime" else 3
    rows = sorted(stats.items(), key=lambda item: item[1][column], reverse=True)[:n]
    total = max((v[3] for v in stats.values()), default=0.0)
    lines = []
    for (file, line, func), (_, calls, tottime, cumtime, _) in rows:
        where = file
        for prefix in (str(PROJECT) + os.sep, "site-packages" + os.sep):
            if prefix in where:
                where = where.split(prefix, 1)[1]
        pct = 100 * (tottime if sort == "tottime" else cumtime) / total if total else 0.0
        lines.append(
            f"  {tottime:8.2f} {cumtime:8.2f} {pct:5.1f}% {calls:>9}  {where}:{line}({func})"
        )
    return lines


def report_profiles(out_dir: Path, n: int) -> list[str]:
    lines: list[str] = []
    for phase in ("ingest", "search"):
        for side in SIDES:
            prof = out_dir / f"profile-{side}-{phase}.prof"
            if not prof.exists():
                continue
            for sort in ("tottime", "cumtime"):
                lines.append(f"\n{side} {phase}: top {n} by {sort} (profile in {prof.name})")
                lines.append(f"  {'tottime':>8} {'cumtime':>8} {'%':>6} {'calls':>9}  function")
                lines += top_functions(prof, n, sort)
    return lines


def format_table(summary: dict[str, Any], meta: dict[str, Any]) -> list[str]:
    base, ours = summary["baseline"], summary["ours"]
    rows: list[tuple[str, str, float, float]] = [
        ("ingest wall time (s)", ".2f", base["ingest_seconds"], ours["ingest_seconds"]),
        (
            "ingest CPU time, all procs (s)",
            ".2f",
            base["ingest_cpu_seconds"],
            ours["ingest_cpu_seconds"],
        ),
        (
            "  of which worker procs (s)",
            ".2f",
            base["ingest_worker_cpu_seconds"],
            ours["ingest_worker_cpu_seconds"],
        ),
        ("ingest passages/s", ",.0f", base["passages_per_s"], ours["passages_per_s"]),
        ("ingest MB/s (input bytes)", ".3f", base["mb_per_s"], ours["mb_per_s"]),
        ("index size on disk (MB)", ".1f", base["index_mb"], ours["index_mb"]),
        ("peak RSS after ingest (MiB)", ".1f", base["rss_ingest_mib"], ours["rss_ingest_mib"]),
        ("  RSS before ingest (MiB)", ".1f", base["rss_start_mib"], ours["rss_start_mib"]),
        ("  largest worker proc (MiB)", ".1f", base["rss_worker_mib"], ours["rss_worker_mib"]),
        ("peak RSS after queries (MiB)", ".1f", base["rss_end_mib"], ours["rss_end_mib"]),
        (
            "peak PSS, process tree (MiB)",
            ".1f",
            base["tree_pss_peak_mib"],
            ours["tree_pss_peak_mib"],
        ),
    ]
    if "tracemalloc_peak_mib" in base and "tracemalloc_peak_mib" in ours:
        rows.append(
            (
                "tracemalloc peak, ingest (MiB)",
                ".1f",
                base["tracemalloc_peak_mib"],
                ours["tracemalloc_peak_mib"],
            )
        )
    rows += [
        ("query p50 (ms)", ".2f", base["p50_ms"], ours["p50_ms"]),
        ("query p95 (ms)", ".2f", base["p95_ms"], ours["p95_ms"]),
        ("query mean (ms)", ".2f", base["mean_ms"], ours["mean_ms"]),
    ]
    for kind in QUERY_COUNTS:
        for p in ("p50", "p95"):
            key = f"{kind}_{p}_ms"
            rows.append((f"  {kind} queries {p} (ms)", ".2f", base[key], ours[key]))

    lines = [
        f"ingest_search: {meta['corpus_name']}, {meta['passages']:,} passages, "
        f"{meta['input_bytes'] / MB:.1f} MB; {meta['queries']} queries "
        f"({', '.join(f'{n} {k}' for k, n in meta['query_kinds'].items())}) "
        f"x {meta['repeat']} repeats after {WARMUP} warm-up; medians of {meta['rounds']} round(s)",
        f"Python {meta['python']}, whoosh-reloaded {meta['whoosh']}, {meta['machine']}; "
        f"archive at {meta['git']} (source {', '.join(meta['archive_source'])}); "
        f"load average {meta['load_before']:.2f} before, {meta['load_after']:.2f} after",
        "",
        f"{'metric':<32}{'baseline':>12}{'ours':>12}{'ours/base':>11}",
        "-" * 67,
    ]
    for name, fmt, b, o in rows:
        r = ratio(o, b)
        shown = "-" if math.isnan(r) else f"{r:.2f}"
        lines.append(f"{name:<32}{b:>12{fmt}}{o:>12{fmt}}{shown:>11}")
    lines += ["", f"{'target (ours/baseline)':<32}{'value':>12}{'bound':>12}{'':>11}", "-" * 67]
    for target in summary["targets"]:
        verdict = "PASS" if target["pass"] else "MISS"
        bound = f"{target['op']} {target['bound']}"
        lines.append(f"{target['name']:<32}{target['value']:>12.2f}{bound:>12}{verdict:>11}")
    sanity = summary["sanity"]
    lines += [
        "",
        f"sanity: {sanity['first20_same_total']}/{sanity['first20']} of the first single-word "
        f"queries give the same total on both sides "
        f"(ours >= baseline in {sanity['first20_ours_ge']}/{sanity['first20']})",
        f"        all {sanity['all']} queries: same total in {sanity['all_same_total']}, "
        f"ours >= baseline in {sanity['all_ours_ge']}; mean top-{LIMIT} id overlap "
        f"{sanity['mean_overlap']:.2f}",
    ]
    if ours["ingest_worker_cpu_seconds"] > 0 or base["ingest_worker_cpu_seconds"] > 0:
        lines += [
            "",
            "note: ingest ran partly in worker processes: the RSS rows and the tracemalloc",
            "      row cover the measuring process only (workers: 'largest worker proc');",
            "      the PSS row (sampled every "
            f"{SAMPLE_INTERVAL:g} s by the parent) covers the whole process tree.",
        ]
    if len(meta["archive_source"]) > 1:
        lines += [
            "",
            "WARNING: the archive package changed on disk during the run, so the runs "
            "measured different versions; run again.",
        ]
    return lines


#: The rows of the table of ``before`` against ``ours``: (name, format, summary key).
BEFORE_ROWS = (
    ("ingest passages/s", ",.0f", "passages_per_s"),
    ("ingest wall time (s)", ".2f", "ingest_seconds"),
    ("ingest CPU time, all procs (s)", ".2f", "ingest_cpu_seconds"),
    ("index size on disk (MB)", ".1f", "index_mb"),
    ("peak PSS, process tree (MiB)", ".1f", "tree_pss_peak_mib"),
    ("peak RSS after queries (MiB)", ".1f", "rss_end_mib"),
    ("query p50 (ms)", ".2f", "p50_ms"),
    ("query p95 (ms)", ".2f", "p95_ms"),
    ("query mean (ms)", ".2f", "mean_ms"),
    *(
        (f"  {kind} queries {p} (ms)", ".2f", f"{kind}_{p}_ms")
        for kind in QUERY_COUNTS
        for p in ("p50", "p95")
    ),
)


def agreement(
    queries: list[dict[str, str]], before: dict[str, Any], ours: dict[str, Any]
) -> dict[str, Any]:
    """How far ``before`` and ``ours`` found the same (from the first timed round)."""
    pairs = list(zip(before["answers"], ours["answers"], strict=True))
    return {
        "all": len(pairs),
        "same_total": sum(b["total"] == o["total"] for b, o in pairs),
        "same_ids": sum(b["ids"] == o["ids"] for b, o in pairs),
        "differ": [
            {"query": q["query"], "before": b, "ours": o}
            for q, (b, o) in zip(queries, pairs, strict=True)
            if b != o
        ][:20],
    }


def format_before(summary: dict[str, Any], meta: dict[str, Any]) -> list[str]:
    """The table of ``before`` against ``ours``, with each round's figures."""
    before, ours = summary["before"], summary["ours"]
    lines = [
        "",
        f"before: the archive at {meta['before']} (source {', '.join(meta['before_source'])}); "
        f"ours: at {meta['git']}; medians of {meta['rounds']} round(s), the two in turn first",
        "",
        f"{'metric':<32}{'before':>12}{'ours':>12}{'ours/before':>13}",
        "-" * 69,
    ]
    for name, fmt, key in BEFORE_ROWS:
        b, o = before[key], ours[key]
        r = ratio(o, b)
        shown = "-" if math.isnan(r) else f"{r:.2f}"
        lines.append(f"{name:<32}{b:>12{fmt}}{o:>12{fmt}}{shown:>13}")
    for name, key, fmt in (
        ("passages/s", "passages_per_s", ",.0f"),
        ("query p50 (ms)", "p50_ms", ".2f"),
        ("query p95 (ms)", "p95_ms", ".2f"),
    ):
        for side in ("before", "ours"):
            values = ", ".join(f"{v:{fmt}}" for v in summary[side]["rounds"][key])
            lines.append(f"  rounds, {side} {name}: {values}")
    same = summary["agreement"]
    lines += [
        "",
        f"agreement: of {same['all']} queries, {same['same_total']} give the same total "
        f"and {same['same_ids']} the same top-{LIMIT} ids in order, before and ours",
    ]
    return lines


def sanity(
    queries: list[dict[str, str]], base: dict[str, Any], ours: dict[str, Any]
) -> dict[str, Any]:
    """How far the two sides' totals and top hits agree (from the first timed round)."""
    pairs = list(zip(base["answers"], ours["answers"], strict=True))
    first = [pair for q, pair in zip(queries, pairs, strict=True) if q["kind"] == "word"][:20]
    overlaps = [
        len(set(b["ids"]) & set(o["ids"])) / max(len(b["ids"]), len(o["ids"]))
        for b, o in pairs
        if b["ids"] or o["ids"]
    ]
    mismatched = [
        {"query": q["query"], "baseline": b["total"], "ours": o["total"]}
        for q, (b, o) in zip(queries, pairs, strict=True)
        if b["total"] != o["total"]
    ]
    return {
        "first20": len(first),
        "first20_same_total": sum(b["total"] == o["total"] for b, o in first),
        "first20_ours_ge": sum(o["total"] >= b["total"] for b, o in first),
        "all": len(pairs),
        "all_same_total": sum(b["total"] == o["total"] for b, o in pairs),
        "all_ours_ge": sum(o["total"] >= b["total"] for b, o in pairs),
        "mean_overlap": statistics.fmean(overlaps) if overlaps else math.nan,
        "total_mismatches": mismatched,
    }


def summarize(
    runs: dict[str, list[dict[str, Any]]], traced: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    for side, rs in runs.items():
        s: dict[str, float] = {
            key: median_of(rs, key)
            for key in (
                "ingest_seconds",
                "ingest_cpu_seconds",
                "ingest_worker_cpu_seconds",
                "rss_worker_mib",
                "tree_pss_peak_mib",
                "passages_per_s",
                "mb_per_s",
                "rss_start_mib",
                "rss_ingest_mib",
                "rss_end_mib",
            )
        }
        s["index_mb"] = median_of(rs, "index_bytes") / MB
        for stat in ("p50_ms", "p95_ms", "mean_ms", "max_ms"):
            s[stat] = median_of(rs, "queries", stat)
            for kind in QUERY_COUNTS:
                s[f"{kind}_{stat}"] = median_of(rs, f"queries_{kind}", stat)
        if side in traced:
            s["tracemalloc_peak_mib"] = traced[side]["tracemalloc_peak_mib"]
        s["ingest_seconds_per_round"] = [r["ingest_seconds"] for r in rs]  # type: ignore[assignment]
        s["rounds"] = {  # type: ignore[assignment]
            "passages_per_s": [r["passages_per_s"] for r in rs],
            "p50_ms": [r["queries"]["p50_ms"] for r in rs],
            "p95_ms": [r["queries"]["p95_ms"] for r in rs],
        }
        summary[side] = s
    base, ours = summary["baseline"], summary["ours"]
    values = {
        "ingest throughput ratio": ratio(ours["passages_per_s"], base["passages_per_s"]),
        "query p50 ratio": ratio(ours["p50_ms"], base["p50_ms"]),
        "query p95 ratio": ratio(ours["p95_ms"], base["p95_ms"]),
    }
    summary["targets"] = [
        {
            "name": name,
            "value": values[name],
            "op": op,
            "bound": bound,
            "pass": check(values[name], op, bound),
        }
        for name, op, bound in TARGETS
    ]
    return summary


def main_parent(args: argparse.Namespace) -> int:
    corpus = Path(args.corpus).resolve()
    if not corpus.is_file():
        print(
            f"ingest_search: corpus not found: {corpus}\n"
            f"The shared corpora sit beside the project at ../shared/corpora; "
            f"pass --corpus PATH to use another JSON Lines file.",
            file=sys.stderr,
        )
        return 2
    out = Path(args.out).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="ingest-search-"))
    try:
        source = corpus
        if args.limit is not None:
            source = work / corpus.name
            with corpus.open(encoding="utf-8") as src, source.open("w", encoding="utf-8") as dst:
                kept = 0
                for line in src:
                    if kept >= args.limit:
                        break
                    if line.strip():
                        dst.write(line)
                        kept += 1
        # The queries are drawn in a child too: this process stays small, and a
        # child's ru_maxrss starts from the RSS of the process that spawned it.
        code: Path | None = Path(args.code).resolve() if args.code else None
        before: Path | None = Path(args.before).resolve() if args.before else None
        codes: dict[str, Path | None] = {"baseline": code, "ours": code, "before": before}
        digest = source_digest(code)
        head = git_head(code) if code else git_head()
        before_digest = source_digest(before) if before else None
        load_before = os.getloadavg()[0]
        queries_file = work / "queries.json"
        drawn = spawn(
            ["--make-queries", "--corpus", str(source), "--queries", str(queries_file)], code
        )
        queries = json.loads(queries_file.read_text(encoding="utf-8"))
        kinds = {k: sum(q["kind"] == k for q in queries) for k in QUERY_COUNTS}
        sides = [*SIDES, "before"] if before else list(SIDES)
        print(
            f"{drawn['passages']:,} passages, {len(queries)} queries {kinds}; "
            f"{args.rounds} round(s) x {len(sides)} sides",
            file=sys.stderr,
        )

        runs: dict[str, list[dict[str, Any]]] = {side: [] for side in sides}
        for round_ in range(args.rounds):
            order = list(SIDES)
            if before:  # before and ours in turn first
                order = ["baseline", "before", "ours"] if round_ % 2 == 0 else [*SIDES, "before"]
            for side in order:
                r = child(side, source, queries_file, args.repeat, code=codes[side])
                runs[side].append(r)
                print(
                    f"round {round_ + 1}/{args.rounds} {side:>8}: ingest "
                    f"{r['ingest_seconds']:.2f}s (CPU {r['ingest_cpu_seconds']:.2f}s), "
                    f"PSS {r['tree_pss_peak_mib']:.0f} MiB, "
                    f"p50 {r['queries']['p50_ms']:.2f} ms, "
                    f"p95 {r['queries']['p95_ms']:.2f} ms, maxrss {r['rss_end_mib']:.0f} MiB",
                    file=sys.stderr,
                )
        traced: dict[str, dict[str, Any]] = {}
        if not args.no_trace:
            for side in sides:
                traced[side] = child(side, source, queries_file, 1, trace=True, code=codes[side])
                print(
                    f"tracemalloc {side:>8}: peak {traced[side]['tracemalloc_peak_mib']:.1f} MiB",
                    file=sys.stderr,
                )
        if args.profile:
            for side in SIDES:
                child(
                    side, source, queries_file, 1, profile=out.parent / f"profile-{side}", code=code
                )
                print(f"profiled {side}", file=sys.stderr)

        summary = summarize(runs, traced)
        summary["sanity"] = sanity(queries, runs["baseline"][0], runs["ours"][0])
        if before:
            summary["agreement"] = agreement(queries, runs["before"][0], runs["ours"][0])
        measured = [r for side in SIDES for r in runs[side]]
        measured += [r for side, r in traced.items() if side != "before"]
        sources = sorted({digest, source_digest(code), *(r["source"] for r in measured)})
        meta = {
            "corpus": str(corpus),
            "corpus_name": corpus.name,
            "limit": args.limit,
            "passages": runs["ours"][0]["passages"],
            "input_bytes": source.stat().st_size,
            "queries": len(queries),
            "query_kinds": kinds,
            "repeat": args.repeat,
            "rounds": args.rounds,
            "seed": SEED,
            "python": platform.python_version(),
            "whoosh": importlib.metadata.version("whoosh-reloaded"),
            "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs",
            "git": head,
            "load_before": load_before,
            "load_after": os.getloadavg()[0],
            "archive_source": sources,
            "code": str(code) if code else None,
        }
        if before:
            old = [r["source"] for r in runs["before"]]
            old += [traced["before"]["source"]] if "before" in traced else []
            meta["before"] = git_head(before)
            meta["before_source"] = sorted({before_digest, source_digest(before), *old})
        lines = format_table(summary, meta)
        if before:
            lines += format_before(summary, meta)
        if args.profile:
            lines += report_profiles(out.parent, args.profile_top)
        print("\n".join(lines))
        for side in sides:
            for r in runs[side]:
                r.pop("answers", None)
        record = {
            "meta": meta,
            "summary": summary,
            "runs": runs,
            "tracemalloc": traced,
            "queries": queries,
        }
        out.write_text(json.dumps(record, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        print(f"\nwritten: {out}", file=sys.stderr)
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main_child(args: argparse.Namespace) -> int:
    if args.make_queries:
        texts = read_texts(Path(args.corpus))
        drawn = build_queries(texts)
        Path(args.queries).write_text(json.dumps(drawn, ensure_ascii=False), encoding="utf-8")
        Path(args.result).write_text(json.dumps({"passages": len(texts)}), encoding="utf-8")
        return 0
    queries = json.loads(Path(args.queries).read_text(encoding="utf-8"))
    result = run_side(
        args.side,
        Path(args.corpus),
        queries,
        args.repeat,
        trace=args.trace,
        profile=Path(args.cprofile) if args.cprofile else None,
    )
    Path(args.result).write_text(json.dumps(result), encoding="utf-8")
    return 0


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Benchmark the archive's ingest and search against bare Whoosh."
    )
    parser.add_argument("--corpus", default=str(DEFAULT_CORPUS), help="JSON Lines corpus")
    parser.add_argument("--limit", type=int, default=None, help="use the first N passages only")
    parser.add_argument("--repeat", type=int, default=3, help="timed rounds over the queries")
    parser.add_argument("--rounds", type=int, default=3, help="alternating runs of each side")
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="where to write the JSON")
    parser.add_argument("--no-trace", action="store_true", help="skip the tracemalloc runs")
    parser.add_argument(
        "--code",
        metavar="DIR",
        help="run every side with the archive package in DIR (a copy of a commit) "
        "instead of the one installed",
    )
    parser.add_argument(
        "--before",
        metavar="DIR",
        help="also run the archive package in DIR (an earlier commit), in turn with ours, "
        "and compare the two",
    )
    parser.add_argument(
        "--profile", action="store_true", help="also cProfile each side (dumps in the out folder)"
    )
    parser.add_argument("--profile-top", type=int, default=15, help="functions listed per profile")
    # Internal: the child process that measures one side.
    parser.add_argument("--side", choices=SIDES, help=argparse.SUPPRESS)
    parser.add_argument("--queries", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--cprofile", help=argparse.SUPPRESS)
    parser.add_argument("--make-queries", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.limit is not None and args.limit < 1:
        parser.error("--limit must be a positive integer")
    if args.repeat < 1 or args.rounds < 1:
        parser.error("--repeat and --rounds must be positive integers")
    for option in ("code", "before"):
        folder = getattr(args, option)
        if folder is not None and not (Path(folder) / "archive" / "__init__.py").is_file():
            parser.error(f"--{option}: no archive package in {folder}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.side or args.make_queries:
        return main_child(args)
    return main_parent(args)


if __name__ == "__main__":
    sys.exit(main())
