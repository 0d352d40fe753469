"""The engine seam: what :class:`archive.Archive` asks of a search engine.

An engine keeps the passages of one archive folder and searches them. It is
opened by :func:`archive.engines.open_engine` from the name recorded in the
folder, and offers three things:

* :class:`Engine`: the folder; opens a :class:`Snapshot` of the last commit, a
  :class:`Writer`, runs an ingest (:func:`archive.ingest.run` over its own
  snapshot and writer, or spread over shards), and describes itself.
* :class:`Snapshot`: one committed state, never changed by later commits:
  counts, passages by id, every passage, and searches of a planned query
  (:class:`Request`) that return each hit's sort key, score and a reference
  to load its passage.
* :class:`Writer`: adds, replaces and deletes passages (by id) and commits all
  of it at once, or cancels and leaves the folder as the last commit left it.

What every engine indexes is written here (:data:`FIELDS`)
and the metadata terms of
``where=`` filters (:func:`archive.query.filters.meta_terms`), so that every
engine answers a planned query alike. Only ``archive/engines/``
imports an engine library.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

import attrs

from archive.arabic import Profile
from archive.arabic.analysis import EXACT, LIGHT, ROOT, SEARCH, SURFACE
from archive.models import IngestProgress, IngestReport, Passage, count_key
from archive.query.filters import Filters
from archive.query.highlight import Matcher
from archive.query.plan import Plan

#: The searchable fields of every index: the passage attribute each holds, and
#: how its text is analyzed (:mod:`archive.arabic.analysis`). Title and body
#: hold their words' stems beside them (``surface``); each text field has an
#: exact twin (``exact``); title and body a light-stem twin for ``match="any"``.
FIELDS: dict[str, tuple[str, str]] = {
    "title": ("title", SURFACE),
    "caption": ("caption", SEARCH),
    "text": ("text", SURFACE),
    "title_exact": ("title", EXACT),
    "caption_exact": ("caption", EXACT),
    "text_exact": ("text", EXACT),
    "title_stem": ("title", LIGHT),
    "text_stem": ("text", LIGHT),
}


#: The field of the body's roots, in an index built with roots
#: (``Profile(roots=True)``): ``root:كتب`` looks there.
ROOT_FIELDS: dict[str, tuple[str, str]] = {"root": ("text", ROOT)}


def fields_of(profile: Profile) -> dict[str, tuple[str, str]]:
    """The searchable fields of an index with this profile: :data:`FIELDS`, and
    :data:`ROOT_FIELDS` if it holds roots."""
    return {**FIELDS, **ROOT_FIELDS} if profile.roots else FIELDS


@attrs.frozen
class Record:
    """What an engine keeps of a passage to ingest it again: its id, the file it
    came from (resolved path), the line there, and a digest of its content."""

    id: str
    file: str
    line: int
    digest: str


@attrs.frozen
class Request:
    """A search: the planned query, filters, order, and how many hits in order
    are wanted (``None``: every hit)."""

    plan: Plan
    filters: Filters = attrs.field(factory=Filters)
    sort: str = "score"
    limit: int | None = None
    #: Whether each hit needs its sort key (to merge the hits of several
    #: indexes); without it, hits by score may leave their keys empty.
    keyed: bool = False


@attrs.frozen
class Ranked:
    """One hit of a search: its sort key (:func:`archive.query.ranking.hit_key`,
    a total order ending in the passage id), its score, and the engine's
    reference to load its passage with (:meth:`Snapshot.load`)."""

    key: tuple[Any, ...]
    score: float
    ref: Any


@attrs.frozen
class Ranking:
    """The first hits of a search in order, and how many passages matched."""

    hits: tuple[Ranked, ...]
    total: int


@attrs.frozen
class IngestOptions:
    """How an ingest reads its input (the keyword arguments of ``Archive.ingest``)."""

    workers: int | None = None
    encoding: str | None = None
    columns: Mapping[str, str] | None = None
    prune: bool = False
    #: Globs of files a folder ingest passes over (:func:`archive.readers.find_files`).
    exclude: tuple[str, ...] = ()


class Snapshot(Protocol):
    """One committed state of an engine's index. Not shared between threads."""

    def count(self) -> int:
        """How many passages."""

    def get(self, ids: Sequence[str]) -> list[Passage | None]:
        """The passages with these ids, None for an id it does not hold."""

    def load(self, refs: Sequence[Any]) -> list[Passage | None]:
        """The passages of hits (:attr:`Ranked.ref`) of a search of this snapshot
        (None for one deleted since, where a snapshot is not one state)."""

    def passages(self) -> Iterator[Passage]:
        """Every passage, in index order."""

    def batch(self, start: int, count: int) -> tuple[list[Passage], int | None]:
        """About ``count`` passages in index order from the place ``start`` (0 at
        first), and the place the next batch starts (None after the last)."""

    def sources(self) -> frozenset[str]:
        """The distinct sources of the passages."""

    def terms(
        self, field: str, prefix: str = "", limit: int | None = None
    ) -> list[tuple[str, int]]:
        """The terms of ``field`` (a name of :data:`FIELDS`, ``meta`` or
        ``source``) that start with ``prefix``, in order, at most ``limit``,
        each with the number of passages holding it (passages deleted since the
        engine last merged its segments may still be counted)."""

    def search(self, request: Request, stats: Any = None) -> Ranking:
        """The hits of a planned query, in the order ``request.sort`` names.

        ``stats``: collection statistics to score with instead of this index's
        own (:meth:`statistics` of several indexes, summed): a sharded archive
        scores as one index would.
        """

    def tally(
        self,
        request: Request,
        by: str | None,
        locate: Matcher,
        stats: Any = None,
    ) -> dict[Any, tuple[int, int]]:
        """Passages and occurrences of every hit, grouped as ``Archive.count``
        groups them: the counts of :func:`archive.models.tally` over every hit's
        passage with ``locate``, worked out as cheaply as the engine allows (no
        ranking; positions or ``locate.count`` rather than the spans)."""

    def facets(self, request: Request, keys: Sequence[str]) -> dict[str, dict[str, int]]:
        """For each facet key (:func:`archive.query.filters.facet_field`), the
        number of the request's hits holding each of its values.

        Raises:
            QueryError: a key has more than
                :data:`~archive.query.filters.MAX_FACET_VALUES` values.
        """

    def statistics(self, request: Request) -> Any:
        """The collection statistics the request's scoring reads, to be summed over
        shards with the engine's ``total_statistics``."""

    def is_latest(self) -> bool:
        """Whether this is still the last committed state."""

    def record(self, passage_id: str) -> Record | None:
        """What the index keeps of the passage with this id to ingest it again."""

    def records(self, file: str) -> list[Record]:
        """The passages the index holds from a file."""

    def held(self, file: str) -> int:
        """How many passages the index holds from a file."""

    def files(self) -> list[str]:
        """Every file the index holds passages of."""

    def close(self) -> None:
        """Release its files."""


class Writer(Protocol):
    """Changes to an index, all committed at once or none."""

    def add(self, passage: Passage, record: Record) -> None:
        """Add a passage that the index does not hold."""

    def update(self, passage: Passage, record: Record) -> None:
        """Replace the passage with the same id."""

    def delete(self, passage_id: str) -> None:
        """Remove the passage with this id."""

    def commit(self, manifest: Mapping[str, str] | None) -> None:
        """Make every change visible at once, with the file hashes of ``manifest``
        (None: the manifest is unchanged)."""

    def cancel(self) -> None:
        """Throw every change away; the folder is as the last commit left it."""


class Engine(Protocol):
    """An archive folder's index, behind the engine seam."""

    name: str
    path: Path
    profile: Profile

    def snapshot(self) -> Snapshot:
        """The last committed state, for one thread at a time; closed by the caller."""

    def writer(self, *, procs: int = 1) -> Writer:
        """A writer holding the index's write lock.

        Raises:
            IndexLockedError: another writer kept the lock too long.
        """

    def manifest(self) -> dict[str, str]:
        """The hash of each file at its last committed ingest."""

    def ingest(
        self,
        source: Path,
        options: IngestOptions,
        progress: Callable[[IngestProgress], None] | None = None,
        keep: Callable[[str], bool] | None = None,
    ) -> IngestReport:
        """Ingest a file or folder: :func:`archive.ingest.run` over this engine
        (``keep``: only the passages whose id it accepts, for one shard)."""

    def total_statistics(self, parts: Iterable[Any]) -> Any:
        """The statistics of several indexes of this engine, summed."""

    def commit_stamp(self) -> str | None:
        """What tells the last commit of the folder from every other (for caches
        kept beside the index), or None where the engine cannot tell."""

    def info(self) -> dict[str, Any]:
        """The format record (engine, analysis, profile) and figures of the folder."""

    def close(self) -> None:
        """Release what the engine holds open."""


class SnapshotPool:
    """The open snapshots of an engine's last commit: each search takes one for
    itself (a snapshot serves one thread at a time), so that threads search in
    parallel; only taking and giving back hold the lock. A snapshot that
    another writer's commit made stale is closed, and a new one opened."""

    def __init__(self, engine: Engine, idle: int = 8) -> None:
        self._engine = engine
        self._most = idle
        self._lock = threading.Lock()
        self._idle: list[Snapshot] = []

    @contextlib.contextmanager
    def use(self) -> Iterator[Snapshot]:
        with self._lock:
            snapshot = self._idle.pop() if self._idle else None
        if snapshot is not None and not snapshot.is_latest():
            snapshot.close()
            self.clear()  # the others are as old
            snapshot = None
        if snapshot is None:
            snapshot = self._engine.snapshot()
        try:
            yield snapshot
        finally:
            with self._lock:
                keep = len(self._idle) < self._most
                if keep:
                    self._idle.append(snapshot)
            if not keep:
                snapshot.close()

    def clear(self) -> None:
        """Close every idle snapshot (those in use are closed when given back)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for snapshot in idle:
            snapshot.close()


#: Passages a snapshot loads at a time when it counts every hit.
TALLY_BATCH = 500


def merge_tallies(parts: Iterable[Mapping[Any, tuple[int, int]]]) -> dict[Any, tuple[int, int]]:
    """Tallies of passages and occurrences by group (:func:`archive.models.tally`), summed."""
    groups: dict[Any, tuple[int, int]] = {}
    for part in parts:
        for key, (count, occurrences) in part.items():
            before = groups.get(key, (0, 0))
            groups[key] = (before[0] + count, before[1] + occurrences)
    return groups


def tally_hits(
    snapshot: Snapshot,
    refs: Sequence[Any],
    by: str | None,
    locate: Matcher,
) -> dict[Any, tuple[int, int]]:
    """:meth:`Snapshot.tally` for an engine that loads its hits' passages: the
    passages of ``refs`` (:attr:`Ranked.ref` of every hit), :data:`TALLY_BATCH`
    at a time, grouped as :func:`archive.models.tally` groups them, their
    occurrences counted with :meth:`Matcher.count`."""
    groups: dict[Any, tuple[int, int]] = {}
    for at in range(0, len(refs), TALLY_BATCH):
        for passage in snapshot.load(refs[at : at + TALLY_BATCH]):
            if passage is None:  # not held any more (a snapshot is one state)
                continue
            found = locate.count(passage.text)
            if not found:  # found by its title or section heading alone
                continue
            key = count_key(passage, by)
            count, occurrences = groups.get(key, (0, 0))
            groups[key] = (count + 1, occurrences + found)
    return groups
