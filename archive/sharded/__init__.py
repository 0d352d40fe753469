"""A sharded archive on Dask that returns exactly what one index returns.

:class:`ShardedArchive` is :class:`~archive.Archive` over the sharded engine
(:mod:`archive.sharded.engine`): ``N`` ordinary archive folders of any engine
(:mod:`archive.sharded.layout`), searched by Dask tasks on workers that read
them from storage they share with the caller (:mod:`archive.sharded.tasks`).
The guarantees are written out in ``docs/distributed.md``.

Importing this package needs no Dask; using :class:`ShardedArchive` without it
raises :class:`~archive.errors.ClusterError`, naming the extra to install.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from archive.arabic import Profile
from archive.core import Archive
from archive.errors import IndexLayoutError
from archive.sharded.engine import TASK_TIMEOUT, PartialResultsWarning, ShardedEngine
from archive.sharded.layout import is_sharded, shard_path, stable_shard


class ShardedArchive(Archive):
    """An archive split into ``shards`` ordinary indexes, searched on Dask.

    ``ShardedArchive(path, shards=N)`` creates a sharded archive in ``path``
    (or opens one; ``shards`` may then be left out, and must match if given).
    ``client`` is a ``dask.distributed.Client``, or the address of a scheduler
    (``"tcp://host:8786"``); with none, a ``LocalCluster`` of worker processes
    is started on this machine and closed with the archive. Every worker must
    be able to read and write ``path`` (shared storage on a cluster).
    ``engine``: the engine of the shards of a new archive (``"whoosh"``).

    The methods are :class:`~archive.Archive`'s, with the same arguments and
    the same results: for the same passages, the same totals, hits in the same
    order with the same scores, highlights, concordances and counts.

    ``partial=True``: reads skip shards that are unavailable instead of
    failing, with a :class:`PartialResultsWarning` naming them; they are in
    :attr:`missing_shards` until the next read. ``timeout``: seconds a call
    waits for its tasks before a :class:`~archive.errors.ClusterError`.

    Raises:
        ClusterError: Dask is not installed, or the scheduler cannot be reached.
        IndexLayoutError: ``path`` holds one index, not shards; ``shards`` is
            not a positive integer or not the number the folder holds.
        IndexNotFoundError: ``create=False`` and no sharded archive in ``path``.
    """

    engine: ShardedEngine

    def __init__(
        self,
        path: str | os.PathLike[str] = "index",
        shards: int | None = None,
        client: Any = None,
        *,
        create: bool = True,
        profile: Profile | None = None,
        partial: bool = False,
        engine: str | None = None,
        timeout: float = TASK_TIMEOUT,
    ) -> None:
        folder = Path(path)
        sharded = ShardedEngine(
            folder,
            shards,
            client,
            create=create,
            profile=profile,
            partial=partial,
            engine=engine,
            timeout=timeout,
        )
        self._open(folder, sharded)

    def __repr__(self) -> str:
        return f"ShardedArchive({str(self.path)!r}, shards={self.shards})"

    @property
    def shards(self) -> int:
        """How many shards."""
        return self.engine.shards

    @property
    def partial(self) -> bool:
        """Whether reads skip unavailable shards."""
        return self.engine.partial

    @property
    def missing_shards(self) -> tuple[int, ...]:
        """The shards the last read left out (with ``partial``)."""
        return self.engine.missing_shards

    @property
    def client(self) -> Any:
        """The Dask client the archive runs its tasks on."""
        return self.engine.client

    @property
    def complete(self) -> bool:
        """False while an ingest has not finished on every shard (a rerun of it
        brings them into step)."""
        return self.engine.complete


def open_archive(
    path: str | os.PathLike[str] = "index",
    *,
    create: bool = False,
    engine: str | None = None,
    profile: Profile | None = None,
    shards: int | None = None,
    scheduler: str | None = None,
) -> Archive:
    """The archive in ``path``, plain or sharded: a :class:`ShardedArchive` if the
    folder is sharded, or ``shards`` or ``scheduler`` is given (on the
    scheduler at ``scheduler``, or a local cluster), else an
    :class:`~archive.Archive`. With ``create``, a new one is made if there is
    none (``engine``, ``profile`` and ``shards`` say how); without it, nothing is
    created. Opening a plain index imports no Dask.

    Raises:
        IndexNotFoundError: no index in ``path`` and ``create`` is false.
        IndexLayoutError: a ``scheduler`` given for an index that is not sharded.
    """
    if shards is not None or is_sharded(path) or (scheduler is not None and create):
        return ShardedArchive(
            path, shards, scheduler, create=create, profile=profile, engine=engine
        )
    if scheduler is not None:
        raise IndexLayoutError(
            f"the index at {path} is not sharded: a scheduler is only for sharded "
            "archives (archive ingest PATH --shards N)",
            Path(path),
        )
    return Archive(path, create=create, profile=profile, engine=engine)


__all__ = [
    "PartialResultsWarning",
    "ShardedArchive",
    "is_sharded",
    "open_archive",
    "shard_path",
    "stable_shard",
]
