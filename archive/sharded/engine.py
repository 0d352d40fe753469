"""The sharded engine: shards of any engine, searched on Dask as one index.

Each call is a few Dask tasks (:mod:`archive.sharded.tasks`), one per shard:

* **ingest**: every shard reads the whole input with the archive's readers and
  writes the passages routed to it (:func:`archive.ingest.run` with ``keep``),
  in parallel.
* **search**: first the collection statistics the query needs are gathered
  from every shard and summed, then every shard scores with the sums, exactly
  as one index scores with its own, and the hits are merged in the one order
  both share: their sort keys (:func:`archive.query.ranking.hit_key`). Both
  rounds go as one graph, so that the sums reach the scoring tasks without a
  round trip through the caller.
"""

from __future__ import annotations

import contextlib
import gc
import heapq
import json
import os
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import attrs

from archive.arabic import Profile
from archive.engine import IngestOptions, Ranked, Ranking, Record, Request, merge_tallies
from archive.engines import ENGINES, open_engine, recorded_engine
from archive.errors import (
    ArchiveError,
    ClusterError,
    IndexFormatError,
    IndexLayoutError,
    IndexNotFoundError,
    ShardUnavailableError,
)
from archive.models import IngestProgress, IngestReport, Passage
from archive.query.highlight import Matcher
from archive.sharded import tasks
from archive.sharded.layout import (
    PENDING_FILE,
    check_shards,
    is_sharded,
    read_layout,
    shard_path,
    stable_shard,
    write_layout,
)
from archive.sharded.tasks import dask, passage

#: How many passages one task fetches from a shard at a time.
FETCH_BATCH = 500

#: Passages a task reads at a time when iterating a shard.
ITER_BATCH = 1000

#: How long connecting to a scheduler may take.
CONNECT_TIMEOUT = "10s"

#: Seconds a call waits for its tasks before it gives up with a ClusterError.
TASK_TIMEOUT = 600.0


class PartialResultsWarning(UserWarning):
    """A read skipped shards that were unavailable (only with ``partial=True``)."""


class ShardedEngine:
    """A sharded archive folder on a Dask cluster: see :class:`archive.ShardedArchive`.

    Raises:
        ClusterError: Dask is not installed, or the scheduler cannot be reached.
        IndexLayoutError: ``path`` holds one index, not shards; ``shards`` is
            not a positive integer or not the number the folder holds.
        IndexNotFoundError: ``create=False`` and no sharded archive in ``path``.
    """

    name = "sharded"

    def __init__(
        self,
        path: Path,
        shards: int | None = None,
        client: Any = None,
        *,
        create: bool = True,
        profile: Profile | None = None,
        partial: bool = False,
        engine: str | None = None,
        timeout: float = TASK_TIMEOUT,
    ) -> None:
        self.path = path
        self.partial = partial
        self.timeout = timeout
        self.missing_shards: tuple[int, ...] = ()
        if shards is not None:
            check_shards(shards, path)
        if engine is not None and engine not in ENGINES:
            raise ArchiveError(
                f"unknown engine {engine!r} for {path}; the engines are: {', '.join(ENGINES)}"
            )
        if recorded_engine(path) is not None:
            raise IndexLayoutError(
                f"{path} holds one archive index, not a sharded archive: open it with "
                "archive.Archive",
                path,
            )
        if is_sharded(path):
            layout = read_layout(path)
            if shards is not None and shards != layout["shards"]:
                raise IndexLayoutError(
                    f"the sharded archive at {path} has {layout['shards']} shards, "
                    f"not {shards}; the number of shards is chosen when it is created",
                    path,
                )
            self.shards: int = layout["shards"]
            self.shard_engine = str(layout.get("engine", ENGINES[0]))
            if engine is not None and engine != self.shard_engine:
                raise IndexLayoutError(
                    f"the sharded archive at {path} has {self.shard_engine} shards, not "
                    f"{engine}: an engine is chosen when an archive is created",
                    path,
                )
            stored = Profile.from_dict(layout.get("profile", {}))
            if profile is not None and profile != stored:
                raise IndexFormatError(
                    f"the sharded archive at {path} was built with the folding profile "
                    f"{stored.to_dict()}, not {profile.to_dict()}; a profile is chosen when "
                    f"an archive is created: rebuild it: ingest the original files into a "
                    f"new folder (or delete {path} and ingest again)",
                    path,
                )
            self.profile = stored
        elif not create:
            raise IndexNotFoundError(
                f"no sharded archive in {path} (build one with: "
                f"archive ingest PATH --index {path} --shards N)",
                path,
            )
        elif shards is None:
            raise IndexLayoutError(
                f"no sharded archive in {path} yet: give the number of shards "
                "to create one (shards=N, or --shards N)",
                path,
            )
        else:
            self.shards = shards
            self.profile = profile or Profile()
            self.shard_engine = engine or ENGINES[0]
        self._client, self._cluster = self._connect(client)  # before creating anything
        self._owned = client is None or isinstance(client, str)
        self._workers: list[str] = []
        if not is_sharded(path):
            self._create()

    def _create(self) -> None:
        if self.path.exists() and not self.path.is_dir():
            raise IndexLayoutError(f"{self.path} is not a folder", self.path)
        if self.path.is_dir() and any(self.path.iterdir()):
            raise IndexLayoutError(
                f"{self.path} is not empty: a sharded archive is created in a new or empty folder",
                self.path,
            )
        for shard in range(self.shards):
            folder = shard_path(self.path, shard)
            open_engine(folder, engine=self.shard_engine, create=True, profile=self.profile).close()
        write_layout(self.path, self.shards, self.profile, self.shard_engine)

    def _connect(self, client: Any) -> tuple[Any, Any]:
        distributed = dask()
        if client is not None and not isinstance(client, str):
            client.register_plugin(tasks.plugin(), name=tasks.PLUGIN)
            return client, None
        if isinstance(client, str):
            try:
                connected = distributed.Client(client, timeout=CONNECT_TIMEOUT)
            except (OSError, TimeoutError, ValueError) as exc:
                error = ClusterError(f"cannot reach the Dask scheduler at {client!r}: {exc}")
                # The Client that failed closes itself when it is collected;
                # collected here, not later inside the start of another Client,
                # where its closing waits for that one's thread for ever.
                gc.collect()
                raise error from None
            connected.register_plugin(tasks.plugin(), name=tasks.PLUGIN)
            return connected, None
        workers = max(1, min(self.shards, os.cpu_count() or 1))
        # ":0": the scheduler's HTTP server on a free port. With None it still
        # takes 8787 and warns when another cluster holds it.
        cluster = distributed.LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0"
        )
        local = distributed.Client(cluster)
        local.register_plugin(tasks.plugin(), name=tasks.PLUGIN)
        return local, cluster

    @property
    def client(self) -> Any:
        return self._client

    @property
    def complete(self) -> bool:
        return not (self.path / PENDING_FILE).exists()

    # --- running tasks ---------------------------------------------------------------

    def _worker_for(self, shard: int) -> list[str] | None:
        """The worker a shard's tasks prefer, so that it stays open in one place."""
        if not self._workers:
            with contextlib.suppress(Exception):
                self._workers = sorted(self._client.scheduler_info()["workers"])
        return [self._workers[shard % len(self._workers)]] if self._workers else None

    def submit(self, fn: Callable[..., Any], shard: int, *args: Any) -> Any:
        """Run ``fn(shard folder, shard, *args)`` as a task, preferably on the
        shard's worker."""
        workers = self._worker_for(shard)  # None: no worker yet, any will do
        return self._client.submit(
            fn,
            str(shard_path(self.path, shard)),
            shard,
            *args,
            pure=False,
            workers=workers,
            allow_other_workers=workers is not None,
        )

    def gather(self, futures: dict[int, Any], reads: bool = True) -> dict[int, Any]:
        """Each shard's result; an unavailable shard fails the call (or, reading
        with ``partial``, is left out and named).

        Raises:
            ShardUnavailableError: a shard's task failed on every worker that
                tried it, or its folder is missing or damaged.
            ClusterError: the tasks did not finish within :attr:`timeout`.
        """
        distributed = dask()
        try:
            distributed.wait(list(futures.values()), timeout=self.timeout)
        except TimeoutError:
            for future in futures.values():
                future.cancel()
            raise ClusterError(
                f"the Dask cluster did not answer within {self.timeout:g}s "
                f"(are its workers alive? {self._client.scheduler.address})"
            ) from None
        results: dict[int, Any] = {}
        missing: list[int] = []
        first: BaseException | None = None
        for shard, future in sorted(futures.items()):
            try:
                results[shard] = future.result()
            except ShardUnavailableError as exc:
                if reads and self.partial:
                    missing.append(shard)
                    continue
                first = first or exc
            except ArchiveError as exc:
                first = first or exc
            except distributed.KilledWorker as exc:
                self._workers = []
                first = first or ShardUnavailableError(
                    f"shard {shard} is unavailable: every worker that tried it died ({exc})",
                    shard_path(self.path, shard),
                    shard,
                )
            except TimeoutError as exc:
                first = first or ClusterError(f"the Dask cluster timed out on shard {shard}: {exc}")
            except OSError as exc:  # a damaged shard: files missing or unreadable
                error = ShardUnavailableError(
                    f"shard {shard} is unavailable: {type(exc).__name__}: {exc}",
                    shard_path(self.path, shard),
                    shard,
                )
                if reads and self.partial:
                    missing.append(shard)
                    continue
                first = first or error
        if first is not None:
            raise first
        if reads:
            self.missing_shards = tuple(missing)
            if missing:
                warnings.warn(
                    f"shards {', '.join(map(str, missing))} of {self.path} are unavailable; "
                    "these results leave their passages out",
                    PartialResultsWarning,
                    stacklevel=4,
                )
        return results

    def each(self, fn: Callable[..., Any], *args: Any) -> dict[int, Any]:
        """``fn`` on every shard."""
        return self.gather({s: self.submit(fn, s, *args) for s in range(self.shards)})

    def scatter(self, request: Request, with_passages: bool) -> dict[int, Any]:
        """Both rounds of a search: every shard's statistics, summed, then the search
        on every shard with the sums. One graph; with ``partial``, two rounds, to
        leave out the shards that fail."""
        if self.partial:
            parts = list(self.each(tasks.task_stats, request).values())
            stats: Any = tasks.task_total(parts) if parts else None
        else:
            futures = [self.submit(tasks.task_stats, s, request) for s in range(self.shards)]
            stats = self._client.submit(tasks.task_total, futures, pure=False)
        return self.each(tasks.task_search, request, stats, with_passages)

    # --- the engine protocol -----------------------------------------------------------

    def snapshot(self) -> ShardedSnapshot:
        return ShardedSnapshot(self)

    def writer(self, *, procs: int = 1) -> Any:
        raise ArchiveError(
            f"a sharded archive ({self.path}) is written by its shards' tasks: use ingest"
        )

    def manifest(self) -> dict[str, str]:
        return {}

    def commit_stamp(self) -> str | None:
        return None  # each shard commits on its own

    def ingest(
        self,
        source: Path,
        options: IngestOptions,
        progress: Callable[[IngestProgress], None] | None = None,
        keep: Callable[[str], bool] | None = None,
    ) -> IngestReport:
        """Every shard task reads the whole input (so a bad file fails every shard
        alike, before any commits) and writes the passages whose id hashes to it.
        Each shard is all or nothing; if some shards committed and another
        failed, :attr:`complete` is False until an ingest of the same input
        succeeds. ``options.workers`` is not used: each shard is written by one
        Dask task (Dask workers are daemons, which cannot fork)."""
        from archive.readers import find_files

        started = time.perf_counter()
        files, _ = find_files(source, options.exclude)  # a missing path: an InputError
        total = sum(_size(file) for file, _ in files)
        (self.path / PENDING_FILE).write_text(
            json.dumps({"input": str(source.resolve()), "started": time.time()}) + "\n",
            encoding="utf-8",
        )
        one = attrs.evolve(options, workers=1)
        futures = {
            s: self.submit(tasks.task_ingest, s, self.shards, str(source.resolve()), one)
            for s in range(self.shards)
        }
        if progress is not None:
            passages = 0
            for done, future in enumerate(dask().as_completed(list(futures.values())), 1):
                if future.status == "finished":
                    passages += future.result().passages
                progress(
                    IngestProgress(
                        passages=passages,
                        bytes_read=total * done // self.shards,
                        bytes_total=total,
                        seconds=time.perf_counter() - started,
                    )
                )
        reports = self.gather(futures, reads=False)
        (self.path / PENDING_FILE).unlink()
        first = reports[0]
        return IngestReport(
            files=first.files,
            added=sum(r.added for r in reports.values()),
            updated=sum(r.updated for r in reports.values()),
            unchanged=sum(r.unchanged for r in reports.values()),
            removed=sum(r.removed for r in reports.values()),
            skipped=first.skipped,
            seconds=time.perf_counter() - started,
        )

    def total_statistics(self, parts: Iterable[Any]) -> Any:
        return tasks.task_total(list(parts))

    def info(self) -> dict[str, Any]:
        infos = self.each(tasks.task_info)
        record = dict(next(iter(infos.values()))) if infos else {}
        for key in ("passages", "sources", "bytes"):
            record.pop(key, None)
        from archive.sharded.layout import LAYOUT_VERSION

        return {
            "bytes": sum(info["bytes"] for info in infos.values()),
            **record,
            "shards": self.shards,
            "layout": LAYOUT_VERSION,
            "complete": self.complete,
        }

    def close(self) -> None:
        """Close the Dask client and cluster this archive started (not one given)."""
        if self._owned and self._client is not None:
            self._client.close()
            if self._cluster is not None:
                self._cluster.close()
            self._client = self._cluster = None


class ShardedSnapshot:
    """The shards as they are when each task runs: a sharded archive is not one
    committed state (each shard commits on its own)."""

    def __init__(self, engine: ShardedEngine) -> None:
        self._engine = engine

    def count(self) -> int:
        return sum(info["passages"] for info in self._engine.each(tasks.task_info).values())

    def get(self, ids: Sequence[str]) -> list[Passage | None]:
        engine = self._engine
        by_shard: dict[int, list[str]] = {}
        for passage_id in ids:
            by_shard.setdefault(stable_shard(passage_id, engine.shards), []).append(passage_id)
        futures = {s: engine.submit(tasks.task_fetch, s, some) for s, some in by_shard.items()}
        found: dict[str, Passage] = {}
        for shard, rows in engine.gather(futures).items():
            for passage_id, row in zip(by_shard[shard], rows, strict=True):
                if row is not None:
                    found[passage_id] = passage(row)
        return [found.get(passage_id) for passage_id in ids]

    def load(self, refs: Sequence[Any]) -> list[Passage | None]:
        ids = [ref for ref in refs if isinstance(ref, str)]
        fetched = dict(zip(ids, self.get(ids), strict=True)) if ids else {}
        return [fetched.get(ref) if isinstance(ref, str) else ref for ref in refs]

    def passages(self) -> Iterator[Passage]:
        """Every passage, shard by shard, each shard in its index order (not one
        index's order), :data:`ITER_BATCH` at a time."""
        engine = self._engine
        for shard in range(engine.shards):
            start: int | None = 0
            while start is not None:
                future = engine.submit(tasks.task_batch, shard, start, ITER_BATCH)
                batch = engine.gather({shard: future}).get(shard)
                if batch is None:
                    break  # unavailable, and partial results were asked for
                rows, start = batch
                yield from (passage(row) for row in rows)

    def batch(self, start: int, count: int) -> tuple[list[Passage], int | None]:
        raise ArchiveError("a sharded archive is read in batches shard by shard")

    def sources(self) -> frozenset[str]:
        found: set[str] = set()
        for info in self._engine.each(tasks.task_info).values():
            found |= info["sources"]
        return frozenset(found)

    def terms(
        self, field: str, prefix: str = "", limit: int | None = None
    ) -> list[tuple[str, int]]:
        """The shards' terms merged, their counts summed: the first ``limit`` of
        each shard hold the first ``limit`` of all."""
        counts: dict[str, int] = {}
        for part in self._engine.each(tasks.task_terms, field, prefix, limit).values():
            for term, count in part:
                counts[term] = counts.get(term, 0) + count
        return sorted(counts.items())[:limit]

    def search(self, request: Request, stats: Any = None) -> Ranking:
        keyed = attrs.evolve(request, keyed=True)
        with_passages = request.limit is not None
        parts = self._engine.scatter(keyed, with_passages)
        total = sum(count for count, _ in parts.values())
        merged = heapq.merge(*(rows for _, rows in parts.values()), key=lambda row: row[0])
        hits: list[Ranked] = []
        for key, score, ref in merged:
            if request.limit is not None and len(hits) >= request.limit:
                break
            hits.append(Ranked(key=key, score=score, ref=passage(ref) if with_passages else ref))
        return Ranking(hits=tuple(hits), total=total)

    def tally(
        self,
        request: Request,
        by: str | None,
        locate: Matcher,
        stats: Any = None,
    ) -> dict[Any, tuple[int, int]]:
        return merge_tallies(self._engine.each(tasks.task_tally, request, by, locate).values())

    def facets(self, request: Request, keys: Sequence[str]) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {key: {} for key in keys}
        for part in self._engine.each(tasks.task_facets, request, list(keys)).values():
            for key, counts in part.items():
                for value, n in counts.items():
                    out[key][value] = out[key].get(value, 0) + n
        return out

    def statistics(self, request: Request) -> Any:
        return tasks.task_total(list(self._engine.each(tasks.task_stats, request).values()))

    def is_latest(self) -> bool:
        return True  # every task reads its shard's last commit

    def record(self, passage_id: str) -> Record | None:
        """The record of the passage, from the shard it is routed to."""
        shard = stable_shard(passage_id, self._engine.shards)
        future = self._engine.submit(tasks.task_record, shard, passage_id)
        return self._engine.gather({shard: future}).get(shard)

    def records(self, file: str) -> list[Record]:
        """The records of a file's passages, from every shard (for reading in
        context: ingests run on the shards themselves)."""
        parts = self._engine.each(tasks.task_records, file)
        return [record for shard in sorted(parts) for record in parts[shard]]

    def held(self, file: str) -> int:
        raise ArchiveError("a sharded archive is ingested by its shards")

    def files(self) -> list[str]:
        raise ArchiveError("a sharded archive is ingested by its shards")

    def close(self) -> None:
        pass


def _size(file: Path) -> int:
    try:
        return file.stat().st_size
    except OSError:
        return 0
