"""The worker side of a sharded archive: each function runs as a Dask task on one
shard, opened from the storage the workers share.

A worker keeps the shards it opened in a :class:`ShardCache`, owned by the
worker's :data:`PLUGIN` plugin (registered by the client when it connects) and
bounded: past :data:`ShardCache.size` shards, the least recently used is
closed. A worker that dies is replaced by Dask, its task runs again elsewhere,
and the shard is opened again from storage.
"""

from __future__ import annotations

import collections
import threading
from pathlib import Path
from typing import Any

from archive.engine import Engine, IngestOptions, Record, Request, SnapshotPool
from archive.engines import open_engine, recorded_engine
from archive.errors import ClusterError, IndexFormatError, IndexNotFoundError, ShardUnavailableError
from archive.models import IngestReport, Passage
from archive.query.highlight import Matcher
from archive.sharded.layout import stable_shard

#: The name of the worker plugin that owns a worker's open shards.
PLUGIN = "archive-shards"

EXTRA_HINT = 'install it with: pip install "arabic-archive[distributed]"'


def dask() -> Any:
    """The ``distributed`` module, or a clear error naming the extra."""
    try:
        import distributed
    except ImportError:
        raise ClusterError(f"the sharded archive needs Dask; {EXTRA_HINT}") from None
    return distributed


class ShardCache:
    """The shards one worker process has open: each one's engine and its pool of
    snapshots, the least recently used closed past ``size``."""

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._open: collections.OrderedDict[str, tuple[Engine, SnapshotPool]] = (
            collections.OrderedDict()
        )

    def snapshots(self, path: str, shard: int) -> SnapshotPool:
        """The snapshots of the shard in ``path``, opening it if need be.

        Raises:
            ShardUnavailableError: as :meth:`open`.
        """
        return self.open(path, shard)[1]

    def open(self, path: str, shard: int) -> tuple[Engine, SnapshotPool]:
        """The engine of the shard in ``path`` and its snapshots, opened if need be.

        Raises:
            ShardUnavailableError: no index there, or one that cannot be opened.
        """
        folder = Path(path)
        if recorded_engine(folder) is None:
            self.drop(path)
            raise ShardUnavailableError(
                f"shard {shard} is unavailable: no index in {folder}", folder, shard
            )
        with self._lock:
            entry = self._open.get(path)
            if entry is not None:
                self._open.move_to_end(path)
                return entry
            try:
                engine = open_engine(folder, create=False)
            except (IndexNotFoundError, IndexFormatError) as exc:
                raise ShardUnavailableError(
                    f"shard {shard} is unavailable: {exc}", folder, shard
                ) from None
            pool = SnapshotPool(engine, idle=2)
            self._open[path] = (engine, pool)
            while len(self._open) > self.size:
                _, (old, old_pool) = self._open.popitem(last=False)
                old_pool.clear()
                old.close()
            return engine, pool

    def drop(self, path: str) -> None:
        """Close the shard in ``path`` if it is open."""
        with self._lock:
            entry = self._open.pop(path, None)
        if entry is not None:
            entry[1].clear()
            entry[0].close()

    def close(self) -> None:
        """Close every open shard."""
        for path in list(self._open):
            self.drop(path)


def plugin() -> Any:
    """A new worker plugin that gives each worker a :class:`ShardCache`."""
    distributed = dask()

    class Shards(distributed.WorkerPlugin):  # type: ignore[misc,name-defined]  # untyped
        name = PLUGIN

        def setup(self, worker: Any) -> None:
            self.cache = ShardCache()

        def teardown(self, worker: Any) -> None:
            self.cache.close()

    return Shards()


def _cache() -> ShardCache:
    worker = dask().get_worker()
    owner = worker.plugins.get(PLUGIN)
    if owner is None:
        raise ClusterError(f"the Dask worker {worker.address} has no {PLUGIN} plugin")
    cache: ShardCache = owner.cache
    return cache


def task_stats(path: str, shard: int, request: Request) -> Any:
    """The collection statistics the request reads, of this shard."""
    with _cache().snapshots(path, shard).use() as snapshot:
        return snapshot.statistics(request)


def task_total(parts: list[Any]) -> Any:
    """The shards' statistics, summed (by the statistics' own class); None for
    shards of an engine that scores with its own statistics only (Tantivy)."""
    if not parts or parts[0] is None:
        return None
    return type(parts[0]).total(parts)


def task_search(
    path: str, shard: int, request: Request, stats: Any, with_passages: bool
) -> tuple[int, list[tuple[tuple[Any, ...], float, Any]]]:
    """The shard's total and its hits in order: (sort key, score, passage as a
    dict if ``with_passages``, else its id)."""
    with _cache().snapshots(path, shard).use() as snapshot:
        ranking = snapshot.search(request, stats)
        hits = ranking.hits
        if not with_passages:
            return ranking.total, [(h.key, h.score, h.key[-1]) for h in hits]
        passages = snapshot.load([h.ref for h in hits])
    rows = [
        (h.key, h.score, p.to_dict()) for h, p in zip(hits, passages, strict=True) if p is not None
    ]
    return ranking.total, rows


def task_fetch(path: str, shard: int, ids: list[str]) -> list[dict[str, Any] | None]:
    """The passages with these ids (None for an id the shard does not hold)."""
    with _cache().snapshots(path, shard).use() as snapshot:
        found = snapshot.get(ids)
    return [None if p is None else p.to_dict() for p in found]


def task_tally(
    path: str,
    shard: int,
    request: Request,
    by: str | None,
    locate: Matcher,
) -> dict[Any, tuple[int, int]]:
    """Passages and occurrences of the shard's hits, grouped as ``Archive.count``."""
    with _cache().snapshots(path, shard).use() as snapshot:
        return snapshot.tally(request, by, locate)


def task_terms(
    path: str, shard: int, field: str, prefix: str, limit: int | None
) -> list[tuple[str, int]]:
    """The shard's terms of ``field`` that start with ``prefix``, with their counts."""
    with _cache().snapshots(path, shard).use() as snapshot:
        return snapshot.terms(field, prefix, limit)


def task_record(path: str, shard: int, passage_id: str) -> Record | None:
    """What the shard keeps of a passage to ingest it again (its file and line)."""
    with _cache().snapshots(path, shard).use() as snapshot:
        return snapshot.record(passage_id)


def task_records(path: str, shard: int, file: str) -> list[Record]:
    """The records of the shard's passages read from ``file``."""
    with _cache().snapshots(path, shard).use() as snapshot:
        return snapshot.records(file)


def task_facets(
    path: str, shard: int, request: Request, keys: list[str]
) -> dict[str, dict[str, int]]:
    """The shard's facet counts of the request's hits."""
    with _cache().snapshots(path, shard).use() as snapshot:
        return snapshot.facets(request, keys)


def task_info(path: str, shard: int) -> dict[str, Any]:
    """The shard's passages, sources and engine figures."""
    engine, pool = _cache().open(path, shard)
    with pool.use() as snapshot:
        count, sources = snapshot.count(), snapshot.sources()
    return {"passages": count, "sources": sources, **engine.info()}


def task_batch(
    path: str, shard: int, start: int, count: int
) -> tuple[list[dict[str, Any]], int | None]:
    """A batch of the shard's passages in index order, and where the next starts."""
    with _cache().snapshots(path, shard).use() as snapshot:
        rows, after = snapshot.batch(start, count)
    return [p.to_dict() for p in rows], after


def task_ingest(
    path: str, shard: int, shards: int, source: str, options: IngestOptions
) -> IngestReport:
    """Ingest the passages of ``source`` that belong to this shard."""
    folder = Path(path)
    if recorded_engine(folder) is None:
        raise ShardUnavailableError(
            f"shard {shard} is unavailable: no index in {folder}", folder, shard
        )
    _cache().drop(path)
    engine = open_engine(folder, create=False)
    try:
        return engine.ingest(
            Path(source),
            options,
            None,
            lambda passage_id: stable_shard(passage_id, shards) == shard,
        )
    finally:
        engine.close()


def passage(row: dict[str, Any]) -> Passage:
    """A passage sent back by a task."""
    return Passage.from_dict(row)
