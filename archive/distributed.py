"""A sharded archive on Dask that returns exactly what one index returns.

:class:`ShardedArchive` keeps its passages in ``N`` ordinary archive indexes,
``path/shard-000`` to ``path/shard-{N-1}``, beside ``path/shards.json``, the
layout record (the number of shards and the layout's version). A passage lives
in shard ``stable_shard(id, N)``: a hash of its id, so that re-ingest, updates
and ``prune`` find it where it is.

Each call is a few Dask tasks, one per shard, on workers that read the shard
folders from storage they share with the caller:

* **ingest**: every shard reads the whole input with the archive's readers and
  writes the passages routed to it (``Archive.ingest(keep=...)``), in parallel.
* **search**: first the collection statistics the query needs are gathered
  from every shard (the document count, the length of each field, and the
  document frequency of every term the query scores, prefixes and exact-mode
  words expanded), then every shard scores with their sums, exactly as one
  index scores with its own, and the hits are merged in the one order both
  share: score (to nine decimals) descending, then passage id.

Worker-side state is only a cache of open shards; a worker that dies is
replaced by Dask, its task runs again elsewhere, and the shard is reopened
from storage. The guarantees are written out in ``docs/distributed.md``.

Importing this module needs no Dask; using :class:`ShardedArchive` without it
raises :class:`~archive.errors.ClusterError`, naming the extra to install.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import heapq
import json
import os
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs
from whoosh import query as wquery
from whoosh import searching

from archive import index as store
from archive.arabic import Profile
from archive.core import Archive, _hashable, concordance
from archive.errors import (
    ArchiveError,
    ClusterError,
    IndexFormatError,
    IndexLayoutError,
    IndexNotFoundError,
    PassageNotFoundError,
    QueryError,
    ShardUnavailableError,
)
from archive.models import (
    CountGroup,
    Counts,
    Hit,
    IngestProgress,
    IngestReport,
    KwicLine,
    Passage,
    SearchResults,
)
from archive.readers import find_files
from archive.search import Filters, Matcher, Searcher, _for_searching, check_sort, hit_key

#: The version of the layout record; bumped when the way passages are routed
#: to shards or the folder layout changes.
LAYOUT_VERSION = 1

#: How passages are routed (written into the layout record).
ROUTING = "blake2b-64(id) mod shards"

#: The marker of an ingest that has not finished on every shard.
PENDING_FILE = "ingest.pending"

#: How many passages one task fetches from a shard at a time.
FETCH_BATCH = 500

#: Passages a task reads at a time when iterating a shard.
ITER_BATCH = 1000

#: How long connecting to a scheduler may take.
CONNECT_TIMEOUT = "10s"

EXTRA_HINT = 'install it with: pip install "arabic-archive[distributed]"'


class PartialResultsWarning(UserWarning):
    """A read skipped shards that were unavailable (only with ``partial=True``)."""


def stable_shard(passage_id: str, shards: int) -> int:
    """The shard of a passage: a hash of its id (not Python's ``hash``, which
    changes between processes), modulo the number of shards.

    >>> [stable_shard(f"bukhari:{n}", 4) for n in range(1, 9)]
    [1, 0, 0, 2, 2, 2, 0, 2]
    """
    digest = hashlib.blake2b(passage_id.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % shards


def shard_path(path: Path, shard: int) -> Path:
    """The folder of one shard."""
    return path / f"shard-{shard:03d}"


def is_sharded(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` holds a sharded archive (its layout record)."""
    return (Path(path) / store.LAYOUT_FILE).is_file()


def _dask() -> Any:
    """The ``distributed`` module, or a clear error naming the extra."""
    try:
        import distributed
    except ImportError:
        raise ClusterError(f"the sharded archive needs Dask; {EXTRA_HINT}") from None
    return distributed


# --- the layout record ------------------------------------------------------------


def _read_layout(path: Path) -> dict[str, Any]:
    record_path = path / store.LAYOUT_FILE
    try:
        record = json.loads(record_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexLayoutError(f"cannot read the layout record {record_path}: {exc}", path) from exc
    shards = record.get("shards") if isinstance(record, dict) else None
    if not isinstance(record, dict) or record.get("layout") != LAYOUT_VERSION:
        raise IndexLayoutError(
            f"the sharded archive at {path} has layout "
            f"{record.get('layout') if isinstance(record, dict) else None!r}; this version "
            f"reads layout {LAYOUT_VERSION}: ingest the original files into a new folder",
            path,
        )
    if not isinstance(shards, int) or isinstance(shards, bool) or shards < 1:
        raise IndexLayoutError(f"{record_path} names no valid number of shards", path)
    return record


def _write_layout(path: Path, shards: int, profile: Profile) -> None:
    record = {
        "layout": LAYOUT_VERSION,
        "shards": shards,
        "routing": ROUTING,
        "profile": profile.to_dict(),
    }
    tmp = path / (store.LAYOUT_FILE + ".tmp")
    tmp.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path / store.LAYOUT_FILE)


def _check_shards(shards: object, path: Path) -> int:
    if not isinstance(shards, int) or isinstance(shards, bool) or shards < 1:
        raise IndexLayoutError(
            f"shards must be a positive integer, not {shards!r} (for {path})", path
        )
    return shards


# --- collection statistics ---------------------------------------------------------


@attrs.frozen
class Stats:
    """Collection statistics, of one shard or summed over all: what BM25F reads
    from the top-level searcher (``whoosh.scoring``: ``idf`` from the document
    frequency and ``doc_count_all``, ``avg_field_length`` from ``field_length``).

    Whoosh counts deleted documents in all three until their segment is merged,
    and so do these sums.
    """

    doc_count_all: int
    field_length: dict[str, int]
    doc_frequency: dict[tuple[str, bytes], int]

    @classmethod
    def total(cls, parts: Iterable[Stats]) -> Stats:
        """The statistics of the union of the shards."""
        count = 0
        lengths: dict[str, int] = {}
        frequency: dict[tuple[str, bytes], int] = {}
        for part in parts:
            count += part.doc_count_all
            for name, n in part.field_length.items():
                lengths[name] = lengths.get(name, 0) + n
            for term, n in part.doc_frequency.items():
                frequency[term] = frequency.get(term, 0) + n
        return cls(count, lengths, frequency)

    def empty_fields(self) -> frozenset[str]:
        """The fields no passage of the collection has a word in."""
        return frozenset(name for name, n in self.field_length.items() if n == 0)


class _StatsView:
    """What a Whoosh weighting model's ``idf`` reads, from global statistics."""

    def __init__(self, stats: Stats) -> None:
        self.stats = stats

    def get_parent(self) -> _StatsView:
        return self

    def doc_count_all(self) -> int:
        return self.stats.doc_count_all

    def doc_frequency(self, fieldname: str, text: bytes) -> int:
        try:
            return self.stats.doc_frequency[fieldname, text]
        except KeyError:
            # Every term a shard scores exists in that shard, so it was gathered.
            raise ArchiveError(
                f"internal error: no collection statistics for the term {fieldname}:{text!r}"
            ) from None


class GlobalSearcher(searching.Searcher):  # type: ignore[misc]  # whoosh is untyped
    """A Whoosh searcher of one shard that scores with the collection's statistics.

    BM25F reads its statistics from the top-level searcher (its segments'
    searchers ask their parent): ``idf`` and ``avg_field_length``, from the
    document frequency, ``doc_count_all`` and ``field_length``. Those return
    the sums over every shard here; everything else (postings, the length of
    each document's fields, stored fields) is the shard's own.
    """

    def __init__(self, reader: Any, stats: Stats, **kwargs: Any) -> None:
        self._stats = stats
        super().__init__(reader, closereader=False, **kwargs)
        # The searcher leaves out terms of fields no passage has words in
        # (search._for_searching): the collection's empty fields, as one index.
        self._archive_empty_fields = stats.empty_fields()

    def _subsearcher(self, reader: Any) -> searching.Searcher:
        return searching.Searcher(reader, fromindex=self._ix, weighting=self.weighting, parent=self)

    def idf(self, fieldname: str, text: bytes) -> float:
        cache = self._idf_cache
        term = (fieldname, text)
        if term not in cache:
            cache[term] = self.weighting.idf(_StatsView(self._stats), fieldname, text)
        return float(cache[term])

    def field_length(self, fieldname: str) -> int:
        return self._stats.field_length.get(fieldname, 0)

    def avg_field_length(self, fieldname: str, default: float | None = None) -> float | None:
        if not self.schema[fieldname].scorable:
            return default
        return self.field_length(fieldname) / (self._stats.doc_count_all or 1)


# --- the worker side: each function runs as a Dask task on one shard ----------------

_OPEN: dict[str, Archive] = {}
_OPEN_LOCK = threading.Lock()

#: Seconds each shard task sleeps first: set on the workers by the tests, to kill
#: one in the middle of a search.
DELAY = 0.0


def _shard(path: str, shard: int) -> Archive:
    """The shard's archive, opened once per worker process and reused."""
    if DELAY:
        time.sleep(DELAY)
    folder = Path(path)
    if not store.exists(folder):
        _OPEN.pop(path, None)
        raise ShardUnavailableError(
            f"shard {shard} is unavailable: no index in {folder}", folder, shard
        )
    with _OPEN_LOCK:
        arc = _OPEN.get(path)
        if arc is None:
            try:
                arc = Archive(folder, create=False)
            except (IndexNotFoundError, IndexFormatError) as exc:
                raise ShardUnavailableError(
                    f"shard {shard} is unavailable: {exc}", folder, shard
                ) from None
            _OPEN[path] = arc
    return arc


def _global_searcher(arc: Archive, stats: Stats) -> GlobalSearcher:
    base = arc._current()
    return GlobalSearcher(base.reader(), stats, weighting=arc._search.weighting, fromindex=arc._ix)


def _task_stats(
    path: str, shard: int, text: str, exact: bool, match: str, filters: Filters
) -> Stats:
    arc = _shard(path, shard)
    with arc._lock:
        searcher = arc._current()
        reader = searcher.reader()
        q = arc._search.parse(text, exact=exact, match=match)
        terms = _scored_terms(q, reader)
        fq = filters.query()
        if fq is not None:  # not scored, but Whoosh makes scorers for it all the same
            terms |= _scored_terms(fq, reader)
        return Stats(
            doc_count_all=int(reader.doc_count_all()),
            field_length={
                name: int(reader.field_length(name))
                for name in reader.schema.names()
                if reader.schema[name].scorable
            },
            doc_frequency={
                (name, btext): int(reader.doc_frequency(name, btext)) for name, btext in terms
            },
        )


def _scored_terms(q: wquery.Query, reader: Any) -> set[tuple[str, bytes]]:
    """Every term of ``q`` that ``reader`` holds, prefixes and exact-mode words
    expanded to the words they match. (Whoosh's ``Query.existing_terms`` reuses
    its ``fieldname`` argument as a loop variable, and so keeps only the first
    leaf's field.)"""
    schema = reader.schema
    found: set[tuple[str, bytes]] = set()
    for leaf in q.leaves():
        for name, text in leaf.expanded_terms(reader, phrases=True):
            if name not in schema:
                continue
            try:
                btext = schema[name].to_bytes(text)
            except ValueError:
                continue
            if (name, btext) in reader:
                found.add((name, btext))
    return found


def _task_top(
    path: str, shard: int, text: str, exact: bool, match: str, stats: Stats, top: int
) -> tuple[int, list[tuple[tuple[Any, ...], float, dict[str, Any]]]]:
    """The shard's total and its first ``top`` hits: (sort key, score, passage)."""
    arc = _shard(path, shard)
    with arc._lock:
        results = arc._search.run(
            _global_searcher(arc, stats),
            text,
            limit=top,
            page=1,
            exact=exact,
            match=match,
            load=_load,
        )
    rows = []
    for hit in results.hits:
        passage = hit.passage.to_dict()
        rows.append((hit_key({"passage": passage}, hit.score, "score"), hit.score, passage))
    return results.total, rows


def _task_ranked(
    path: str,
    shard: int,
    text: str,
    exact: bool,
    match: str,
    stats: Stats,
    filters: Filters,
    sort: str,
) -> list[tuple[tuple[Any, ...], float, str]]:
    """Every hit of the shard: (sort key, score, passage id), in order."""
    arc = _shard(path, shard)
    with arc._lock:
        searcher = _global_searcher(arc, stats)
        ranked, _ = arc._search.ranked(
            searcher, text, exact=exact, match=match, filters=filters, sort=sort
        )
        rows = []
        for docnum, score in ranked:
            fields = searcher.stored_fields(docnum)
            rows.append((hit_key(fields, score, sort), score, str(fields["id"])))
    return rows


def _task_fetch(path: str, shard: int, ids: list[str]) -> list[dict[str, Any] | None]:
    """The passages with these ids (None for an id the shard does not hold)."""
    arc = _shard(path, shard)
    with arc._lock:
        searcher = arc._current()
        found = [searcher.document(id=passage_id) for passage_id in ids]
    return [None if fields is None else fields["passage"] for fields in found]


def _task_count(
    path: str,
    shard: int,
    text: str,
    exact: bool,
    match: str,
    filters: Filters,
    by: str | None,
    stats: Stats,
    locate: Matcher,
) -> dict[Any, tuple[int, int]]:
    """Passages and occurrences of the shard's hits, grouped as ``Archive.count``."""
    arc = _shard(path, shard)
    with arc._lock:
        searcher = _global_searcher(arc, stats)
        q = _for_searching(arc._search.parse(text, exact=exact, match=match), searcher)
        results = searcher.search(
            q, limit=None, filter=filters.query() if filters else None, scored=False
        )
        passages = [_load(searcher.stored_fields(docnum)) for docnum in results.docs()]
    groups: dict[Any, tuple[int, int]] = {}
    for passage in passages:
        if by is None:
            key = None
        elif by in ("source", "title"):
            key = getattr(passage, by)
        else:
            key = passage.metadata.get(by)
        key = _hashable(key)
        count, occurrences = groups.get(key, (0, 0))
        groups[key] = (count + 1, occurrences + len(locate(passage.text)))
    return groups


def _task_info(path: str, shard: int) -> dict[str, Any]:
    arc = _shard(path, shard)
    with arc._lock:
        searcher = arc._current()
        sources = {term.decode("utf-8") for term in searcher.lexicon("source")}
        count = int(searcher.doc_count())
    size = 0
    for file in Path(path).iterdir():
        with contextlib.suppress(FileNotFoundError):
            if file.is_file():
                size += file.stat().st_size
    return {"passages": count, "sources": sources, "bytes": size}


def _task_iter(
    path: str, shard: int, start: int, count: int
) -> tuple[list[dict[str, Any]], int | None]:
    """The passages of documents ``start`` to ``start + count`` of the shard, in
    index order, and where the next batch starts (None after the last)."""
    arc = _shard(path, shard)
    with arc._lock:
        reader = arc._current().reader()
        end = min(start + count, reader.doc_count_all())
        rows = [
            reader.stored_fields(docnum)["passage"]
            for docnum in range(start, end)
            if not reader.is_deleted(docnum)
        ]
        return rows, (end if end < reader.doc_count_all() else None)


def _task_ingest(
    path: str,
    shard: int,
    shards: int,
    source: str,
    encoding: str | None,
    columns: dict[str, str] | None,
    prune: bool,
) -> IngestReport:
    """Ingest the passages of ``source`` that belong to this shard."""
    folder = Path(path)
    if not store.exists(folder):
        raise ShardUnavailableError(
            f"shard {shard} is unavailable: no index in {folder}", folder, shard
        )
    _OPEN.pop(path, None)
    arc = Archive(folder, create=False)
    try:
        return arc.ingest(
            source,
            workers=1,  # one process a shard: Dask workers are daemons, which cannot fork
            encoding=encoding,
            columns=columns,
            prune=prune,
            keep=lambda passage_id: stable_shard(passage_id, shards) == shard,
        )
    finally:
        arc.close()


def _load(fields: dict[str, Any]) -> Passage:
    return Passage.from_dict(fields["passage"])


# --- the caller's side ---------------------------------------------------------------


def _prune_empty(q: wquery.Query, empty: frozenset[str]) -> wquery.Query:
    """``q`` without terms of fields no passage has words in, as one index runs it
    (``search._for_searching``), so that highlights are the same."""
    if not empty:
        return q

    def drop(sub: wquery.Query) -> wquery.Query:
        return wquery.NullQuery if getattr(sub, "fieldname", None) in empty else sub

    pruned = q.accept(drop).normalize()
    return q if pruned is wquery.NullQuery else pruned


class ShardedArchive:
    """An archive split into ``shards`` ordinary indexes, searched on Dask.

    ``ShardedArchive(path, shards=N)`` creates a sharded archive in ``path``
    (or opens one; ``shards`` may then be left out, and must match if given).
    ``client`` is a ``dask.distributed.Client``, or the address of a scheduler
    (``"tcp://host:8786"``); with none, a ``LocalCluster`` of worker processes
    is started on this machine and closed with the archive. Every worker must
    be able to read and write ``path`` (shared storage on a cluster).

    The methods are :class:`~archive.Archive`'s, with the same arguments and
    the same results: for the same passages, the same totals, hits in the same
    order with the same scores, highlights, concordances and counts.

    ``partial=True``: reads skip shards that are unavailable instead of
    failing, with a :class:`PartialResultsWarning` naming them; they are in
    :attr:`missing_shards` until the next read.

    Raises:
        ClusterError: Dask is not installed, or the scheduler cannot be reached.
        IndexLayoutError: ``path`` holds one index, not shards; ``shards`` is
            not a positive integer or not the number the folder holds.
        IndexNotFoundError: ``create=False`` and no sharded archive in ``path``.
    """

    def __init__(
        self,
        path: str | os.PathLike[str] = "index",
        shards: int | None = None,
        client: Any = None,
        *,
        create: bool = True,
        profile: Profile | None = None,
        partial: bool = False,
    ) -> None:
        self.path = Path(path)
        self.partial = partial
        self.missing_shards: tuple[int, ...] = ()
        if shards is not None:
            _check_shards(shards, self.path)
        if store.exists(self.path):
            raise IndexLayoutError(
                f"{self.path} holds one archive index, not a sharded archive: "
                "open it with archive.Archive",
                self.path,
            )
        if is_sharded(self.path):
            layout = _read_layout(self.path)
            if shards is not None and shards != layout["shards"]:
                raise IndexLayoutError(
                    f"the sharded archive at {self.path} has {layout['shards']} shards, "
                    f"not {shards}; the number of shards is chosen when it is created",
                    self.path,
                )
            self.shards: int = layout["shards"]
            stored = Profile.from_dict(layout.get("profile", {}))
            if profile is not None and profile != stored:
                raise IndexLayoutError(
                    f"the sharded archive at {self.path} was built with the folding profile "
                    f"{stored.to_dict()}, not {profile.to_dict()}",
                    self.path,
                )
            self.profile = stored
        elif not create:
            raise IndexNotFoundError(
                f"no sharded archive in {self.path} (build one with: "
                f"archive ingest PATH --index {self.path} --shards N)",
                self.path,
            )
        elif shards is None:
            raise IndexLayoutError(
                f"no sharded archive in {self.path} yet: give the number of shards "
                "to create one (shards=N, or --shards N)",
                self.path,
            )
        else:
            self.shards = shards
            self.profile = profile or Profile()
        self._search = Searcher(self.profile)
        self._client, self._cluster = self._connect(client)  # before creating anything
        if not is_sharded(self.path):
            self._create()
        self._owned = client is None or isinstance(client, str)
        self._workers: list[str] = []

    def _create(self) -> None:
        if self.path.exists() and not self.path.is_dir():
            raise IndexLayoutError(f"{self.path} is not a folder", self.path)
        if self.path.is_dir() and any(self.path.iterdir()):
            raise IndexLayoutError(
                f"{self.path} is not empty: a sharded archive is created in a new or empty folder",
                self.path,
            )
        for shard in range(self.shards):
            store.open_index(shard_path(self.path, shard), create=True, profile=self.profile)
        _write_layout(self.path, self.shards, self.profile)

    def _connect(self, client: Any) -> tuple[Any, Any]:
        distributed = _dask()
        if client is not None and not isinstance(client, str):
            return client, None
        if isinstance(client, str):
            try:
                return distributed.Client(client, timeout=CONNECT_TIMEOUT), None
            except (OSError, TimeoutError, ValueError) as exc:
                error = ClusterError(f"cannot reach the Dask scheduler at {client!r}: {exc}")
            # The Client that failed closes itself when it is collected; collected
            # here, not later inside the start of another Client, where its closing
            # waits for that one's thread for ever.
            gc.collect()
            raise error
        workers = max(1, min(self.shards, os.cpu_count() or 1))
        # ":0": the scheduler's HTTP server on a free port. With None it still
        # takes 8787 and warns when another cluster holds it.
        cluster = distributed.LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0"
        )
        return distributed.Client(cluster), cluster

    def __repr__(self) -> str:
        return f"ShardedArchive({str(self.path)!r}, shards={self.shards})"

    @property
    def client(self) -> Any:
        """The Dask client the archive runs its tasks on."""
        return self._client

    @property
    def complete(self) -> bool:
        """False while an ingest has not finished on every shard (a rerun of it
        brings them into step)."""
        return not (self.path / PENDING_FILE).exists()

    # --- running tasks ---------------------------------------------------------------

    def _worker_for(self, shard: int) -> list[str] | None:
        """The worker a shard's tasks prefer, so that it stays open in one place."""
        if not self._workers:
            with contextlib.suppress(Exception):
                self._workers = sorted(self._client.scheduler_info()["workers"])
        return [self._workers[shard % len(self._workers)]] if self._workers else None

    def _submit(self, fn: Callable[..., Any], shard: int, *args: Any) -> Any:
        return self._client.submit(
            fn,
            str(shard_path(self.path, shard)),
            shard,
            *args,
            pure=False,
            workers=self._worker_for(shard),
            allow_other_workers=True,
        )

    def _gather(self, futures: dict[int, Any], reads: bool = True) -> dict[int, Any]:
        """Each shard's result; an unavailable shard fails the call (or, reading
        with ``partial``, is left out and named)."""
        distributed = _dask()
        distributed.wait(list(futures.values()))
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
                    stacklevel=3,
                )
        return results

    def _each(self, fn: Callable[..., Any], *args: Any) -> dict[int, Any]:
        return self._gather({s: self._submit(fn, s, *args) for s in range(self.shards)})

    # --- reading -------------------------------------------------------------------

    def _prepare(
        self, query: str, exact: bool, match: str, filters: Filters
    ) -> tuple[wquery.Query, Stats]:
        q = self._search.parse(query, exact=exact, match=match)  # QueryError here, not on a worker
        stats = Stats.total(self._each(_task_stats, query, exact, match, filters).values())
        return q, stats

    def _matcher(self, q: wquery.Query, stats: Stats) -> Matcher:
        return self._search.matcher(_prune_empty(q, stats.empty_fields()))

    def _scatter(
        self,
        fn: Callable[..., Any],
        query: str,
        exact: bool,
        match: str,
        filters: Filters,
        *args: Any,
    ) -> tuple[wquery.Query, Stats, dict[int, Any]]:
        """Both rounds of a search: every shard's statistics, summed, then ``fn``
        on every shard with the sums. Sent as one graph, so that the sums go to
        the scoring tasks without a round trip through the caller (with
        ``partial``, in two rounds, to leave out the shards that fail)."""
        if self.partial:
            q, stats = self._prepare(query, exact, match, filters)
            return q, stats, self._each(fn, query, exact, match, stats, *args)
        q = self._search.parse(query, exact=exact, match=match)  # QueryError here, not on a worker
        parts = [
            self._submit(_task_stats, s, query, exact, match, filters) for s in range(self.shards)
        ]
        total = self._client.submit(Stats.total, parts, pure=False)
        futures = {
            s: self._submit(fn, s, query, exact, match, total, *args) for s in range(self.shards)
        }
        results = self._gather(futures)
        return q, total.result(), results

    def _ranked(
        self, query: str, exact: bool, match: str, filters: Filters, sort: str
    ) -> tuple[list[tuple[tuple[Any, ...], float, str]], Matcher]:
        check_sort(sort, query)
        q, stats, parts = self._scatter(_task_ranked, query, exact, match, filters, filters, sort)
        merged = list(heapq.merge(*parts.values()))
        return merged, self._matcher(q, stats)

    def _fetch(self, ids: list[str]) -> dict[str, Passage]:
        """The passages with these ids (an id no shard holds is left out)."""
        by_shard: dict[int, list[str]] = {}
        for passage_id in ids:
            by_shard.setdefault(stable_shard(passage_id, self.shards), []).append(passage_id)
        futures = {s: self._submit(_task_fetch, s, some) for s, some in by_shard.items()}
        found: dict[str, Passage] = {}
        for shard, rows in self._gather(futures).items():
            for passage_id, row in zip(by_shard[shard], rows, strict=True):
                if row is not None:
                    found[passage_id] = Passage.from_dict(row)
        return found

    def search(
        self,
        query: str,
        *,
        limit: int | None = 10,
        page: int = 1,
        exact: bool = False,
        match: str = "all",
        source: str | None = None,
        where: Mapping[str, Any] | None = None,
        sort: str = "score",
    ) -> SearchResults:
        """Search every shard: the same arguments and results as
        :meth:`archive.Archive.search`.

        Raises:
            QueryError: as :meth:`archive.Archive.search`.
            ShardUnavailableError: a shard cannot be read (unless ``partial``).
        """
        filters = Filters.make(source, where)
        if limit is not None and not _positive_int(limit):
            raise QueryError(f"limit must be a positive integer or None, not {limit!r}", query)
        if not _positive_int(page):
            raise QueryError(f"page must be a positive integer, not {page!r}", query)
        check_sort(sort, query)
        first = 0 if limit is None else (page - 1) * limit
        last = None if limit is None else page * limit
        if limit is None or sort != "score" or filters:
            ranked, locate = self._ranked(query, exact, match, filters, sort)
            total = len(ranked)
            window = ranked[first:last]
            passages = self._fetch([passage_id for _, _, passage_id in window])
            scored = [(passages[i], score) for _, score, i in window if i in passages]
        else:
            q, stats, parts = self._scatter(_task_top, query, exact, match, filters, page * limit)
            total = sum(count for count, _ in parts.values())
            merged = heapq.merge(*(rows for _, rows in parts.values()), key=lambda r: r[0])
            window_rows = list(merged)[first:last]
            scored = [(Passage.from_dict(row), score) for _, score, row in window_rows]
            locate = self._matcher(q, stats)
        hits = tuple(
            Hit(passage=passage, score=score, rank=rank, locate=locate)
            for rank, (passage, score) in enumerate(scored, first + 1)
        )
        return SearchResults(
            query=query, total=total, hits=hits, page=page, limit=limit, exact=exact, match=match
        )

    def hits(
        self,
        query: str,
        *,
        exact: bool = False,
        match: str = "all",
        source: str | None = None,
        where: Mapping[str, Any] | None = None,
        sort: str = "score",
    ) -> Iterator[Hit]:
        """Every hit of a query, in order: as :meth:`archive.Archive.hits`.

        The order of every hit is worked out first (ids and scores only); the
        passages are then read :data:`FETCH_BATCH` at a time, so a million hits
        are not held in memory.

        Raises:
            QueryError: as :meth:`search`, when the iterator starts.
        """
        filters = Filters.make(source, where)
        ranked, locate = self._ranked(query, exact, match, filters, sort)
        for at in range(0, len(ranked), FETCH_BATCH):
            batch = ranked[at : at + FETCH_BATCH]
            passages = self._fetch([passage_id for _, _, passage_id in batch])
            for rank, (_, score, passage_id) in enumerate(batch, at + 1):
                if passage_id in passages:  # not deleted since the hits were ranked
                    yield Hit(passage=passages[passage_id], score=score, rank=rank, locate=locate)

    def kwic(
        self,
        query: str,
        *,
        width: int = 40,
        exact: bool = False,
        match: str = "all",
        source: str | None = None,
        where: Mapping[str, Any] | None = None,
        sort: str = "score",
    ) -> Iterator[KwicLine]:
        """A keyword-in-context concordance: as :meth:`archive.Archive.kwic`.

        Raises:
            QueryError: as :meth:`search`, or a ``width`` that is not a positive integer.
        """
        yield from concordance(
            query,
            width,
            lambda: self.hits(
                query, exact=exact, match=match, source=source, where=where, sort=sort
            ),
        )

    def count(
        self,
        query: str,
        *,
        by: str | None = None,
        exact: bool = False,
        match: str = "all",
        source: str | None = None,
        where: Mapping[str, Any] | None = None,
    ) -> Counts:
        """Passages and occurrences that match, counted on every shard at once:
        as :meth:`archive.Archive.count`.

        Raises:
            QueryError: as :meth:`search`.
        """
        filters = Filters.make(source, where)
        q, stats = self._prepare(query, exact, match, filters)
        locate = self._matcher(q, stats)
        parts = self._each(_task_count, query, exact, match, filters, by, stats, locate)
        groups: dict[Any, list[int]] = {}
        for part in parts.values():
            for key, (count, occurrences) in part.items():
                tally = groups.setdefault(key, [0, 0])
                tally[0] += count
                tally[1] += occurrences
        ordered = sorted(groups.items(), key=lambda kv: (-kv[1][0], str(kv[0])))
        return Counts(
            query=query,
            by=by,
            passages=sum(t[0] for t in groups.values()),
            occurrences=sum(t[1] for t in groups.values()),
            groups=tuple(CountGroup(key=k, passages=p, occurrences=o) for k, (p, o) in ordered),
        )

    def get(self, passage_id: str) -> Passage:
        """The passage with this id, read from its shard.

        Raises:
            PassageNotFoundError: no passage has that id (a ``KeyError`` too).
            ShardUnavailableError: its shard cannot be read.
        """
        found = self._fetch([str(passage_id)])
        if not found:
            raise PassageNotFoundError(str(passage_id), self.path)
        return found[str(passage_id)]

    def __contains__(self, passage_id: object) -> bool:
        return bool(self._fetch([str(passage_id)]))

    def __len__(self) -> int:
        return sum(info["passages"] for info in self._each(_task_info).values())

    def __iter__(self) -> Iterator[Passage]:
        """Every passage, shard by shard, each shard in its index order (not one
        index's order), :data:`ITER_BATCH` at a time."""
        for shard in range(self.shards):
            start: int | None = 0
            while start is not None:
                future = self._submit(_task_iter, shard, start, ITER_BATCH)
                batch = self._gather({shard: future}).get(shard)
                if batch is None:
                    break  # unavailable, and partial results were asked for
                rows, start = batch
                yield from (Passage.from_dict(row) for row in rows)

    def stats(self) -> dict[str, Any]:
        """Figures about the archive: passages, sources, size on disk, format, shards."""
        infos = self._each(_task_info)
        sources: set[str] = set()
        for info in infos.values():
            sources |= info["sources"]
        return {
            "index": str(self.path),
            "passages": sum(info["passages"] for info in infos.values()),
            "sources": len(sources),
            "bytes": sum(info["bytes"] for info in infos.values()),
            **store.format_record(self.profile),
            "shards": self.shards,
            "layout": LAYOUT_VERSION,
            "complete": self.complete,
        }

    # --- writing -------------------------------------------------------------------

    def ingest(
        self,
        path: str | os.PathLike[str],
        *,
        workers: int | None = None,
        encoding: str | None = None,
        columns: Mapping[str, str] | None = None,
        prune: bool = False,
        progress: Callable[[IngestProgress], None] | None = None,
    ) -> IngestReport:
        """Ingest a file or a folder into the shards, all of them in parallel: the
        same arguments and report as :meth:`archive.Archive.ingest`.

        Every shard task reads the whole input with the archive's readers (so a
        bad file fails every shard alike, before any commits) and writes the
        passages whose id hashes to it. Each shard is all or nothing; if some
        shards committed and another failed, :attr:`complete` is False until an
        ingest of the same input succeeds (it finds the committed shards
        unchanged and completes the others). ``workers`` is accepted for the
        same signature and not used: each shard is written by one Dask task.
        ``progress`` is called as each shard finishes.

        Raises:
            InputError: as :meth:`archive.Archive.ingest` (from the first shard
                that raised it; every shard reads the same input).
            ShardUnavailableError: a shard's folder is missing or damaged, or
                its task failed on every worker that tried it.
        """
        del workers
        started = time.perf_counter()
        root = Path(path)
        files, _ = find_files(root)  # a missing path is an InputError here
        total = sum(_size(file) for file, _ in files)
        (self.path / PENDING_FILE).write_text(
            json.dumps({"input": str(root.resolve()), "started": time.time()}) + "\n",
            encoding="utf-8",
        )
        futures = {
            s: self._submit(
                _task_ingest,
                s,
                self.shards,
                str(root.resolve()),
                encoding,
                dict(columns) if columns is not None else None,
                prune,
            )
            for s in range(self.shards)
        }
        if progress is not None:
            passages = 0
            for done, future in enumerate(_dask().as_completed(list(futures.values())), 1):
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
        reports = self._gather(futures, reads=False)
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

    # --- lifecycle -----------------------------------------------------------------

    def close(self) -> None:
        """Close the Dask client and cluster this archive started (not one given)."""
        if self._owned and self._client is not None:
            self._client.close()
            if self._cluster is not None:
                self._cluster.close()
            self._client = self._cluster = None

    def __enter__(self) -> ShardedArchive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _positive_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _size(file: Path) -> int:
    try:
        return file.stat().st_size
    except OSError:
        return 0


def open_archive(
    path: str | os.PathLike[str], scheduler: str | None = None
) -> Archive | ShardedArchive:
    """The archive in ``path``: a :class:`ShardedArchive` if the folder is sharded
    (on the scheduler at ``scheduler``, or a local cluster), else an
    :class:`~archive.Archive`. Nothing is created.

    Raises:
        IndexNotFoundError: no index in ``path``.
        IndexLayoutError: a ``scheduler`` given for an index that is not sharded.
    """
    if is_sharded(path):
        return ShardedArchive(path, client=scheduler, create=False)
    if scheduler is not None:
        raise IndexLayoutError(
            f"the index at {path} is not sharded: a scheduler is only for sharded "
            "archives (archive ingest PATH --shards N)",
            Path(path),
        )
    return Archive(path, create=False)


__all__ = [
    "GlobalSearcher",
    "PartialResultsWarning",
    "ShardedArchive",
    "Stats",
    "is_sharded",
    "open_archive",
    "shard_path",
    "stable_shard",
]
