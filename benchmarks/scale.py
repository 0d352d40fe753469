"""Ingest at scale: a million passages, a re-ingest with 1% of the files changed, and
reading one file of a gigabyte without loading it.

Run it from the project root::

    python benchmarks/scale.py                        # 1,000,000 passages in 100 files
    python benchmarks/scale.py --passages 50000       # a quick look

The input is built from the shared corpora beside the project
(``../shared/corpora``, or ``--corpora``; without them the script exits with
code 2): every passage text of the hadith, Quran (both encodings), ARCD, XQuAD
and UD PUD files, taken in turn until ``--passages`` passages are written into
``--files`` JSON Lines files, each passage with an id of its own. The work
folder (``--work``, default a temporary folder) holds the input and the index
and is removed at the end unless ``--keep``.

Phases, each timed in wall and CPU time (this process and its worker processes):

1. ``ingest``: ``Archive(index).ingest(input)``, every file new. The peak
   memory of the whole process tree (PSS, sampled every second) and of the
   ingesting process alone (its peak RSS against its RSS before) are reported,
   and the largest worker process's peak. The phases run in a child process
   (the archive starts worker processes only in a process with no other thread,
   and the sampling runs in a thread of this one).
2. ``unchanged``: the same ingest again; every file is skipped by its content
   hash.
3. ``changed 1%``: one file in a hundred rewritten (a word appended to each of
   its passages), then the ingest again: those passages are updated, the rest
   skipped.
4. ``search``: 100 words drawn from the input searched on the large index
   (p50 and p95, after 20 warm-up queries).
5. ``stream``: the input files concatenated into one file of ``--stream-mb``
   MB (1,024 by default; the million passages make 746 MB, so the first files
   come twice), read through :func:`archive.readers.passages` in a child
   process: its peak RSS against its RSS before reading shows that a file is
   read as a stream, not loaded whole. ``--stream-only`` runs this phase alone.

The table is printed and written as JSON to ``benchmarks/out/scale.json``
(``--out``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from archive import Archive  # noqa: E402
from archive.arabic import TOKEN_PATTERN, fold  # noqa: E402
from benchmarks.ingest_search import cpu_seconds, folder_size, git_head, tree_pss_mib  # noqa: E402

DEFAULT_CORPORA = ROOT.parent / "shared" / "corpora"
DEFAULT_OUT = HERE / "out" / "scale.json"
SOURCES = (
    "hadith_bukhari_muslim.jsonl",
    "quran_kfgqpc_hafs.jsonl",
    "quran_kfgqpc_imlai.jsonl",
    "msa_arcd_wikipedia.jsonl",
    "msa_xquad_ar.jsonl",
    "msa_ud_pud.jsonl",
)
MIB = 1024 * 1024


def pool(corpora: Path) -> list[tuple[str, str]]:
    """Every (title, text) of the shared corpora that has text."""
    out: list[tuple[str, str]] = []
    for name in SOURCES:
        with open(corpora / name, encoding="utf-8") as handle:
            for line in handle:
                record = json.loads(line)
                if record.get("text", "").strip():
                    out.append((str(record.get("title") or name), record["text"]))
    return out


def build(folder: Path, texts: Sequence[tuple[str, str]], passages: int, files: int) -> int:
    """Write ``passages`` passages into ``files`` JSON Lines files; return their bytes."""
    folder.mkdir(parents=True)
    per_file = -(-passages // files)
    written = size = 0
    for number in range(files):
        path = folder / f"part-{number:04d}.jsonl"
        with open(path, "w", encoding="utf-8") as handle:
            for i in range(min(per_file, passages - written)):
                title, text = texts[(written + i) % len(texts)]
                record = {"id": f"p{number:04d}-{i:06d}", "title": title, "text": text}
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
            written += min(per_file, passages - written)
        size += path.stat().st_size
    return size


class Sampler:
    """The largest PSS of a process tree, sampled every second in a thread.

    The ingest runs in a child process: the archive indexes in worker
    processes only when the process runs no other thread, so the sampling
    thread must live in another process.
    """

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(1.0):
            self.peak = max(self.peak, tree_pss_mib(self.pid))

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def rss_mib(field: str = "VmRSS") -> float:
    """This process's resident memory (``VmHWM``: its peak since it started the
    program; ``ru_maxrss`` would start at the RSS of the parent that forked it)."""
    with open("/proc/self/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def timed_ingest(arc: Archive, folder: Path) -> dict[str, Any]:
    wall, (own, kids) = time.perf_counter(), cpu_seconds()
    report = arc.ingest(folder)
    own2, kids2 = cpu_seconds()
    return {
        "seconds": time.perf_counter() - wall,
        "cpu_seconds": own2 - own + kids2 - kids,
        "added": report.added,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "removed": report.removed,
    }


def change_files(folder: Path, share: float) -> int:
    """Rewrite ``share`` of the files, a word appended to every passage; return how many."""
    files = sorted(folder.iterdir())
    count = max(1, round(len(files) * share))
    for path in random.Random(7).sample(files, count):
        lines = path.read_text(encoding="utf-8").splitlines()
        with open(path, "w", encoding="utf-8") as handle:
            for line in lines:
                record = json.loads(line)
                record["text"] += " تعديل"
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return count


def words_of(texts: Sequence[tuple[str, str]], count: int) -> list[str]:
    rng = random.Random(1234)
    out: list[str] = []
    while len(out) < count:
        words = [w for w in TOKEN_PATTERN.findall(rng.choice(texts)[1]) if len(fold(w)) > 3]
        if words:
            out.append(rng.choice(words))
    return out


def search_latency(arc: Archive, queries: Sequence[str]) -> dict[str, float]:
    for q in queries[:20]:
        arc.search(q, limit=10)
    samples = []
    for q in queries:
        started = time.perf_counter()
        res = arc.search(q, limit=10)
        _ = res.total, [h.passage.id for h in res.hits]
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {
        "p50_ms": statistics.median(samples),
        "p95_ms": samples[int(0.95 * (len(samples) - 1))],
    }


def stream_child(path: str) -> int:
    """Read one file through the readers; print the passages and the RSS figures."""
    from archive.readers import passages

    before = rss_mib()
    count = chars = 0
    started = time.perf_counter()
    for _, passage in passages(Path(path), Path(path).name):
        count += 1
        chars += len(passage.text)
    peak = rss_mib("VmHWM")
    print(
        json.dumps(
            {
                "passages": count,
                "chars": chars,
                "seconds": time.perf_counter() - started,
                "rss_before_mib": before,
                "peak_rss_mib": peak,
            }
        )
    )
    return 0


def stream(inputs: Path, target: Path, megabytes: int) -> dict[str, Any]:
    """Concatenate the input files (again from the first, if need be) into one file
    of at least ``megabytes`` MB, and read it in a child process."""
    files = sorted(inputs.iterdir())
    with open(target, "wb") as out:
        while out.tell() < megabytes * 1e6:
            for path in files:
                with open(path, "rb") as handle:
                    shutil.copyfileobj(handle, out, 16 * MIB)
                if out.tell() >= megabytes * 1e6:
                    break
    run = subprocess.run(
        [sys.executable, __file__, "--stream-child", str(target)],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(run.stdout)
    result["file_mb"] = target.stat().st_size / 1e6
    target.unlink()
    return result


def phases_child(work: Path, corpora: Path, change: float) -> int:
    """Phases 1 to 4 on ``work/input`` into ``work/index``; print them as JSON."""
    inputs, index = work / "input", work / "index"
    result: dict[str, Any] = {}
    arc = Archive(index)
    rss_before = rss_mib()
    phase = timed_ingest(arc, inputs)
    phase["main_rss_before_mib"] = rss_before
    phase["main_peak_rss_mib"] = rss_mib("VmHWM")
    phase["largest_worker_rss_mib"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    phase["passages_per_s"] = phase["added"] / phase["seconds"]
    phase["index_mb"] = folder_size(index) / 1e6
    result["ingest"] = phase
    print(f"ingest: {phase}", file=sys.stderr, flush=True)

    phase = timed_ingest(arc, inputs)
    result["unchanged"] = phase
    print(f"unchanged: {phase}", file=sys.stderr, flush=True)

    result["changed_files"] = change_files(inputs, change)
    phase = timed_ingest(arc, inputs)
    phase["passages_per_s"] = phase["updated"] / phase["seconds"]
    result["changed"] = phase
    print(f"changed: {phase}", file=sys.stderr, flush=True)

    result["search"] = search_latency(arc, words_of(pool(corpora), 120))
    arc.close()
    print(json.dumps(result))
    return 0


def run(args: argparse.Namespace) -> dict[str, Any]:
    corpora = Path(args.corpora)
    if not all((corpora / name).is_file() for name in SOURCES):
        print(f"scale: the shared corpora are not at {corpora} (--corpora)", file=sys.stderr)
        raise SystemExit(2)
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="archive-scale-"))
    inputs, index = work / "input", work / "index"
    if inputs.exists() or index.exists():
        print(f"scale: {work} already holds input/ or index/", file=sys.stderr)
        raise SystemExit(2)
    result: dict[str, Any] = {
        "meta": {
            "passages": args.passages,
            "files": args.files,
            "commit": git_head(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_before": os.getloadavg()[0],
        }
    }
    try:
        texts = pool(corpora)
        started = time.perf_counter()
        result["input_mb"] = build(inputs, texts, args.passages, args.files) / 1e6
        result["build_seconds"] = time.perf_counter() - started
        print(f"built {args.passages:,} passages, {result['input_mb']:,.0f} MB", flush=True)
        if not args.stream_only:
            command = [sys.executable, __file__, "--phases-child", str(work)]
            command += ["--corpora", str(corpora), "--change", str(args.change)]
            child = subprocess.Popen(command, stdout=subprocess.PIPE)
            with Sampler(child.pid) as sampler:
                out, _ = child.communicate()
            if child.returncode:
                raise SystemExit(f"scale: the ingest child failed ({child.returncode})")
            result.update(json.loads(out))
            result["ingest"]["tree_peak_pss_mib"] = sampler.peak
            print(f"search: {result['search']}", flush=True)

        result["stream"] = stream(inputs, work / "all.jsonl", args.stream_mb)
        print(f"stream: {result['stream']}", flush=True)
    finally:
        result["meta"]["load_after"] = os.getloadavg()[0]
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return result


def table(result: dict[str, Any]) -> Iterator[str]:
    meta, ingest = result["meta"], result["ingest"]
    unchanged, changed, stream_ = result["unchanged"], result["changed"], result["stream"]
    per_passage = (ingest["main_peak_rss_mib"] - ingest["main_rss_before_mib"]) * MIB
    yield (
        f"scale: {meta['passages']:,} passages in {meta['files']} files "
        f"({result['input_mb']:,.0f} MB), commit {meta['commit']}, "
        f"{meta['cpus']} CPUs, load {meta['load_before']:.2f} before, "
        f"{meta['load_after']:.2f} after"
    )
    yield ""
    yield f"{'phase':<34}{'wall s':>10}{'CPU s':>10}{'passages/s':>12}"
    yield (
        f"{'ingest (all new)':<34}{ingest['seconds']:>10.1f}{ingest['cpu_seconds']:>10.1f}"
        f"{ingest['passages_per_s']:>12,.0f}"
    )
    yield (
        f"{'re-ingest, nothing changed':<34}{unchanged['seconds']:>10.1f}"
        f"{unchanged['cpu_seconds']:>10.1f}{'':>12}"
    )
    label = f"re-ingest, {result['changed_files']} file(s) changed"
    yield (
        f"{label:<34}{changed['seconds']:>10.1f}{changed['cpu_seconds']:>10.1f}"
        f"{changed['passages_per_s']:>12,.0f}"
    )
    yield ""
    yield f"added {ingest['added']:,}; then unchanged {unchanged['unchanged']:,}; "
    yield (
        f"then updated {changed['updated']:,}, unchanged {changed['unchanged']:,}, "
        f"removed {changed['removed']:,}"
    )
    yield f"index on disk: {ingest['index_mb']:,.0f} MB"
    yield (
        f"memory: process tree peak {ingest['tree_peak_pss_mib']:,.0f} MiB (PSS); "
        f"this process {ingest['main_rss_before_mib']:,.0f} -> "
        f"{ingest['main_peak_rss_mib']:,.0f} MiB "
        f"({per_passage / meta['passages']:,.0f} bytes a passage); "
        f"largest worker {ingest['largest_worker_rss_mib']:,.0f} MiB"
    )
    yield (
        f"search on the large index: p50 {result['search']['p50_ms']:.1f} ms, "
        f"p95 {result['search']['p95_ms']:.1f} ms"
    )
    yield stream_line(stream_)


def stream_line(stream_: dict[str, Any]) -> str:
    return (
        f"stream: one {stream_['file_mb']:,.0f} MB file, {stream_['passages']:,} passages "
        f"read in {stream_['seconds']:.0f} s; RSS {stream_['rss_before_mib']:.0f} -> "
        f"peak {stream_['peak_rss_mib']:.0f} MiB"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--passages", type=int, default=1_000_000)
    parser.add_argument("--files", type=int, default=100)
    parser.add_argument("--change", type=float, default=0.01, help="share of files changed")
    parser.add_argument("--corpora", default=os.environ.get("ARCHIVE_CORPORA", DEFAULT_CORPORA))
    parser.add_argument("--work", help="work folder (default: a temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument("--out", default=str(DEFAULT_OUT))
    parser.add_argument(
        "--stream-mb", type=int, default=1024, help="size of the one file read as a stream"
    )
    parser.add_argument(
        "--stream-only", action="store_true", help="build the input and read it as one file only"
    )
    parser.add_argument("--stream-child", help=argparse.SUPPRESS)
    parser.add_argument("--phases-child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.stream_child:
        return stream_child(args.stream_child)
    if args.phases_child:
        return phases_child(Path(args.phases_child), Path(args.corpora), args.change)
    if args.passages < 1 or args.files < 1 or args.files > args.passages:
        parser.error("need 1 <= --files <= --passages")
    result = run(args)
    lines = list(table(result)) if not args.stream_only else [stream_line(result["stream"])]
    print("\n".join(lines))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"\nwritten: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
