"""Load benchmark of ``archive serve``: concurrent clients on 127.0.0.1 against the
hadith archive while another process ingests and commits.

Run it from the project root (needs the ``web`` extra)::

    python benchmarks/load.py                       # 16 and 1 clients, --workers 1 and 2, 30 s each
    python benchmarks/load.py --seconds 10 --workers 1   # a quick look

The corpus is ``../shared/corpora/hadith_bukhari_muslim.jsonl`` beside the project
(``--corpus PATH`` for another JSON Lines file of ``{"id", "title", "text"}``);
without it the script says so and exits with code 2. The index is built in a
temporary folder (``--index DIR`` builds it there, or reuses the one there).

Each run starts ``archive serve --workers W`` on a free port of 127.0.0.1 and a
writer process that ingests a file of ``--writer-passages`` passages drawn from
the corpus and commits, again and again (the first commit adds them, the later
ones update them all), one second apart; then ``--clients`` client threads,
each on a keep-alive connection of its own, send requests for ``--seconds``
seconds (and at most ``--max-requests`` in all), then the writer and the server
are stopped. The runs: every ``--workers`` value with ``--clients`` clients and
with one client.

The requests: 70% ``/api/search`` (a page of 10; every fifth asks for page 2),
10% ``/api/kwic`` (20 lines), 10% ``/api/count?by=source``, 10%
``/api/passages/{id}?context=1`` (a random passage of the corpus); with
``--mix search``, searches only. The queries
are the benchmark query mix of ``benchmarks/ingest_search.py`` (words, two-word
phrases, spelling variants, drawn with ``random.Random(1234)``) and, drawn the
same way, frequent words (the 30 commonest in the corpus), two words of one
passage (AND) and prefixes (the first four letters of a word and ``*``).

A 503 ``TimeoutError`` (a request past the server's ``--timeout``, by design)
counts as a timeout; every other answer but a 200, and every connection that
fails, counts as an error. The table gives, per run and endpoint, requests,
errors, timeouts, p50 and p95 in milliseconds of the answered requests, the
requests a second and the writer's commits; it is printed and written as JSON
to ``benchmarks/out/load.json`` (``--out PATH``) with the load average.
Client, server and writer share the machine's cores. The exit code is 1 if
any request failed (timeouts do not count).
"""

from __future__ import annotations

import argparse
import collections
import http.client
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from archive import Archive  # noqa: E402
from archive.arabic import TOKEN_PATTERN, fold, strip_marks  # noqa: E402
from benchmarks.ingest_search import build_queries, git_head, percentile  # noqa: E402

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpora" / "hadith_bukhari_muslim.jsonl"
DEFAULT_OUT = HERE / "out" / "load.json"
SEED = 1234

#: The share of requests each endpoint gets, in each mix (``--mix``).
MIXES = {
    "all": (("search", 0.7), ("kwic", 0.1), ("count", 0.1), ("passage", 0.1)),
    "search": (("search", 1.0),),
}
ENDPOINTS = MIXES["all"]
#: How many queries of each further kind to draw.
EXTRA_COUNTS = {"frequent": 30, "and": 60, "prefix": 40}
#: Seconds to wait for a server to answer, for a client's request, for the writer.
START_WAIT = 60.0
REQUEST_TIMEOUT = 30.0
WRITER_WAIT = 120.0
#: Connections that warm the server up before each run, ten requests each.
WARM_CONNECTIONS = 8


# --- The corpus and the queries ---------------------------------------------------


def read_records(corpus: Path) -> list[dict[str, Any]]:
    with corpus.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def query_mix(texts: list[str]) -> list[dict[str, str]]:
    """The benchmark mix of ``ingest_search.build_queries`` and frequent words,
    ANDs and prefixes drawn the same way."""
    queries = build_queries(texts)
    rng = random.Random(SEED + 1)
    counts: collections.Counter[str] = collections.Counter()
    surface: dict[str, collections.Counter[str]] = {}
    for text in texts:
        for word in TOKEN_PATTERN.findall(text):
            key = fold(word)
            if len(key) >= 3 and not any(c.isdigit() for c in key):
                counts[key] += 1
                surface.setdefault(key, collections.Counter())[strip_marks(word)] += 1
    for key, _ in counts.most_common(EXTRA_COUNTS["frequent"]):
        queries.append({"kind": "frequent", "query": surface[key].most_common(1)[0][0]})
    made = 0
    while made < EXTRA_COUNTS["and"]:
        words = [w for w in TOKEN_PATTERN.findall(rng.choice(texts)) if len(fold(w)) >= 3]
        if len(words) >= 2:
            first, second = rng.sample(words, 2)
            queries.append({"kind": "and", "query": f"{first} {second}"})
            made += 1
    made = 0
    while made < EXTRA_COUNTS["prefix"]:
        words = [strip_marks(w) for w in TOKEN_PATTERN.findall(rng.choice(texts))]
        words = [w for w in words if len(w) >= 5 and not any(c.isdigit() for c in w)]
        if words:
            queries.append({"kind": "prefix", "query": rng.choice(words)[:4] + "*"})
            made += 1
    return queries


# --- The writer process --------------------------------------------------------------


def run_writer(index: Path, folder: Path, corpus: Path, passages: int, stop: Path) -> int:
    """Ingest and commit until ``stop`` exists: the first round adds ``passages``
    passages, each later one updates them all. Prints the commits made."""
    records = read_records(corpus)
    rng = random.Random(SEED + 2)
    arc = Archive(index, create=False)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "writer.jsonl"
    commits = 0
    while not stop.exists():
        chosen = rng.sample(records, passages)
        with target.open("w", encoding="utf-8") as handle:
            for i, record in enumerate(chosen):
                row = {
                    "id": f"load-writer-{i}",
                    "title": record.get("title", ""),
                    "text": record["text"],
                }
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        arc.ingest(target, workers=1)
        commits += 1
        for _ in range(10):
            if stop.exists():
                break
            time.sleep(0.1)
    arc.close()
    print(json.dumps({"commits": commits}), flush=True)
    return 0


# --- The clients ----------------------------------------------------------------------


class Recorder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = collections.defaultdict(list)
        self.errors: dict[str, list[str]] = collections.defaultdict(list)
        self.timeouts: dict[str, list[str]] = collections.defaultdict(list)
        self.requests = 0

    def add(self, endpoint: str, seconds: float, error: str | None, timeout: bool) -> None:
        with self.lock:
            self.requests += 1
            if error is None:
                self.latencies[endpoint].append(seconds)
            elif timeout:
                self.timeouts[endpoint].append(error)
            else:
                self.errors[endpoint].append(error)


def request_for(
    rng: random.Random, queries: list[dict[str, str]], ids: list[str], mix: str = "all"
) -> tuple[str, str]:
    """An endpoint and the path of one request."""
    shares = MIXES[mix]
    endpoint = rng.choices([e for e, _ in shares], [w for _, w in shares])[0]
    q = rng.choice(queries)["query"]
    if endpoint == "search":
        params = {"q": q, "limit": "10", "page": "2" if rng.random() < 0.2 else "1"}
        return endpoint, "/api/search?" + urllib.parse.urlencode(params)
    if endpoint == "kwic":
        return endpoint, "/api/kwic?" + urllib.parse.urlencode({"q": q, "limit": "20"})
    if endpoint == "count":
        return endpoint, "/api/count?" + urllib.parse.urlencode({"q": q, "by": "source"})
    passage = urllib.parse.quote(rng.choice(ids), safe="")
    return endpoint, f"/api/passages/{passage}?context=1"


def client(
    number: int,
    port: int,
    queries: list[dict[str, str]],
    ids: list[str],
    until: float,
    budget: threading.Semaphore,
    recorder: Recorder,
    mix: str = "all",
) -> None:
    rng = random.Random(SEED * 100 + number)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
    try:
        while time.monotonic() < until and budget.acquire(blocking=False):
            endpoint, path = request_for(rng, queries, ids, mix)
            started = time.perf_counter()
            error = None
            timeout = False
            try:
                connection.request("GET", path)
                response = connection.getresponse()
                body = response.read()
                if response.status != 200:
                    error = f"{response.status} {path}: {body[:200]!r}"
                    timeout = response.status == 503 and b'"type":"TimeoutError"' in body
            except (OSError, http.client.HTTPException) as exc:
                error = f"{type(exc).__name__} {path}: {exc}"
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
            recorder.add(endpoint, time.perf_counter() - started, error, timeout)
    finally:
        connection.close()


# --- One run ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(port: int, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_WAIT
    while True:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/api/stats")
            if connection.getresponse().status == 200:
                connection.close()
                return
        except OSError:
            pass
        if server.poll() is not None:
            raise SystemExit(f"load: the server exited with code {server.returncode}")
        if time.monotonic() > deadline:
            raise SystemExit(f"load: the server did not answer within {START_WAIT:.0f} s")
        time.sleep(0.2)


def stop(process: subprocess.Popen[Any], wait: float = 20.0) -> None:
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(wait)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)


def one_run(
    args: argparse.Namespace,
    index: Path,
    work: Path,
    queries: list[dict[str, str]],
    ids: list[str],
    workers: int,
    clients: int,
) -> dict[str, Any]:
    port = free_port()
    argv = [sys.executable, "-m", "archive", "serve", "--index", str(index), "--port", str(port)]
    argv += ["--workers", str(workers), "--no-access-log", "--timeout", str(args.timeout)]
    log = (work / f"server-{workers}-{clients}.log").open("w")
    server = subprocess.Popen(argv, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    writer = None
    stop_file = work / f"stop-{workers}-{clients}"
    try:
        wait_ready(port, server)
        # Warm every worker process up (each opens its own snapshots): a few
        # connections at once, so that each process takes some.
        warm = Recorder()
        warmers = [
            threading.Thread(
                target=client,
                args=(
                    -1 - n,
                    port,
                    queries,
                    ids,
                    time.monotonic() + 30,
                    threading.Semaphore(10),
                    warm,
                ),
            )
            for n in range(WARM_CONNECTIONS)
        ]
        for t in warmers:
            t.start()
        for t in warmers:
            t.join(60)
        if not args.no_writer:
            writer_argv = [sys.executable, __file__, "--writer", str(index), str(work / "writer")]
            writer_argv += ["--corpus", str(args.corpus), "--stop-file", str(stop_file)]
            writer_argv += ["--writer-passages", str(args.writer_passages)]
            writer = subprocess.Popen(
                writer_argv,
                cwd=ROOT,
                stdout=subprocess.PIPE,
                text=True,
            )
            time.sleep(1.0)  # the writer is at work when the clients start
        recorder = Recorder()
        budget = threading.Semaphore(args.max_requests)
        started = time.monotonic()
        until = started + args.seconds
        threads = [
            threading.Thread(
                target=client,
                args=(n, port, queries, ids, until, budget, recorder, args.mix),
                daemon=True,
            )
            for n in range(clients)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(args.seconds + REQUEST_TIMEOUT + 10)
        elapsed = time.monotonic() - started
        commits = None
        if writer is not None:
            stop_file.touch()
            out, _ = writer.communicate(timeout=WRITER_WAIT)
            commits = json.loads(out.strip().splitlines()[-1])["commits"] if out.strip() else 0
            if writer.returncode != 0:
                raise SystemExit(f"load: the writer failed with code {writer.returncode}")
    finally:
        if writer is not None and writer.poll() is None:
            stop_file.touch()
            stop(writer, WRITER_WAIT)
        stop(server)
        log.close()
    endpoints = {}
    for endpoint, _ in ENDPOINTS:
        ms = [s * 1000 for s in recorder.latencies[endpoint]]
        endpoints[endpoint] = {
            "requests": len(ms) + len(recorder.errors[endpoint]) + len(recorder.timeouts[endpoint]),
            "errors": len(recorder.errors[endpoint]),
            "timeouts": len(recorder.timeouts[endpoint]),
            "p50_ms": round(percentile(ms, 50), 1) if ms else None,
            "p95_ms": round(percentile(ms, 95), 1) if ms else None,
            "max_ms": round(max(ms), 1) if ms else None,
        }
    all_ms = [s * 1000 for values in recorder.latencies.values() for s in values]
    errors = [e for values in recorder.errors.values() for e in values]
    timeouts = [e for values in recorder.timeouts.values() for e in values]
    return {
        "workers": workers,
        "clients": clients,
        "mix": args.mix,
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "seconds": round(elapsed, 1),
        "requests": recorder.requests,
        "errors": len(errors),
        "error_samples": errors[:5],
        "timeouts": len(timeouts),
        "timeout_samples": timeouts[:5],
        "per_second": round(recorder.requests / elapsed, 1),
        "p50_ms": round(percentile(all_ms, 50), 1) if all_ms else None,
        "p95_ms": round(percentile(all_ms, 95), 1) if all_ms else None,
        "commits": commits,
        "endpoints": endpoints,
    }


def table(runs: list[dict[str, Any]]) -> list[str]:
    lines = [
        "workers clients  req/s errors timeouts commits | endpoint   requests errors timeouts"
        "  p50 ms  p95 ms",
    ]
    for run in runs:
        head = (
            f"{run['workers']:>7} {run['clients']:>7} {run['per_second']:>6} {run['errors']:>6}"
            f" {run['timeouts']:>8} {run['commits'] if run['commits'] is not None else '-':>7} |"
        )
        rows = [("all", run)]
        rows += list(run["endpoints"].items())
        for i, (name, figures) in enumerate(rows):
            lines.append(
                (head if i == 0 else " " * len(head[:-1]) + "|")
                + f" {name:<10} {figures['requests']:>8} {figures['errors']:>6}"
                + f" {figures['timeouts']:>8}"
                + f" {figures['p50_ms'] if figures['p50_ms'] is not None else '-':>7}"
                + f" {figures['p95_ms'] if figures['p95_ms'] is not None else '-':>7}"
            )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--index", type=Path, help="build (or reuse) the index here")
    parser.add_argument("--seconds", type=float, default=30.0, help="each run's length")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--max-requests", type=int, default=200_000, help="a cap per run")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--timeout", type=float, default=10.0, help="the server's --timeout")
    parser.add_argument("--writer-passages", type=int, default=200)
    parser.add_argument("--no-writer", action="store_true", help="no ingest during the runs")
    parser.add_argument(
        "--mix", choices=sorted(MIXES), default="all", help="all endpoints, or searches only"
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--writer", nargs=2, metavar=("INDEX", "FOLDER"), help=argparse.SUPPRESS)
    parser.add_argument("--stop-file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.writer:
        return run_writer(
            Path(args.writer[0]),
            Path(args.writer[1]),
            args.corpus,
            args.writer_passages,
            args.stop_file,
        )
    if not args.corpus.is_file():
        print(
            f"load: corpus not found: {args.corpus}\n"
            "The shared corpora sit beside the project at ../shared/corpora; "
            "pass --corpus PATH to use another JSON Lines file.",
            file=sys.stderr,
        )
        return 2
    try:
        import uvicorn  # noqa: F401

        import archive.web  # noqa: F401
    except ModuleNotFoundError as exc:
        print(f'load: {exc.name} is missing: pip install "arabic-archive[web]"', file=sys.stderr)
        return 2
    records = read_records(args.corpus)
    queries = query_mix([r["text"] for r in records])
    ids = [r["id"] for r in records if "id" in r]
    work = Path(tempfile.mkdtemp(prefix="archive-load-"))
    try:
        index = args.index or work / "index"
        if not (index / "archive.json").is_file():
            started = time.monotonic()
            print(f"load: ingesting {args.corpus.name} into {index} ...", flush=True)
            Archive(index).ingest(args.corpus)
            print(f"load: ingested in {time.monotonic() - started:.0f} s", flush=True)
        kinds = collections.Counter(q["kind"] for q in queries)
        print(f"load: {len(queries)} queries: {dict(kinds)}", flush=True)
        runs = []
        load_before = [round(x, 2) for x in os.getloadavg()]
        for workers in args.workers:
            for clients in dict.fromkeys([args.clients, 1]):
                print(
                    f"load: --workers {workers}, {clients} client(s), {args.seconds:g} s",
                    flush=True,
                )
                runs.append(one_run(args, index, work, queries, ids, workers, clients))
                for sample in runs[-1]["error_samples"]:
                    print(f"load:   error: {sample}", flush=True)
                for sample in runs[-1]["timeout_samples"]:
                    print(f"load:   past the time budget: {sample[:120]}", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    lines = table(runs)
    print("\n".join(lines))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    meta = {
        "commit": git_head(),
        "corpus": args.corpus.name,
        "passages": len(records),
        "cores": os.cpu_count(),
        "load_average_before": load_before,
        "seconds": args.seconds,
        "max_requests": args.max_requests,
        "writer_passages": None if args.no_writer else args.writer_passages,
    }
    args.out.write_text(json.dumps({"meta": meta, "runs": runs}, ensure_ascii=False, indent=2))
    print(f"load: written to {args.out}")
    return 1 if any(run["errors"] for run in runs) else 0


if __name__ == "__main__":
    sys.exit(main())
