"""The archive's exceptions: one root, a few subclasses, each carrying what users need.

::

    ArchiveError                      every error the archive raises on purpose
    ├── InputError (ValueError)       a bad input file or record: .path, .line
    ├── QueryError (ValueError)       an empty or unusable query: .query
    ├── PassageNotFoundError (KeyError)   get() of an unknown id: .passage_id
    ├── ClusterError                  no Dask, or its scheduler or workers failed
    └── IndexStoreError               a problem with the index folder: .path
        ├── IndexNotFoundError        no index in the folder
        ├── IndexFormatError          built by another analyzer or format version
        ├── IndexLockedError          another writer holds the index
        ├── IndexLayoutError          sharded or not, and how many shards
        └── ShardUnavailableError     a shard of a sharded archive: .shard

``IndexStoreError`` is named so that it does not shadow the built-in
``IndexError`` (as Whoosh's own ``whoosh.index.IndexError`` does).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


class ArchiveError(Exception):
    """Base class of every error the archive raises on purpose."""

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled with their attributes, so that they cross to and from worker
        # processes (Dask) whole: the subclasses' __init__ take other arguments.
        return (_restore, (type(self), self.args, self.__dict__))


def _restore(cls: type[ArchiveError], args: tuple[Any, ...], state: dict[str, Any]) -> ArchiveError:
    exc = cls.__new__(cls)
    exc.args = args
    exc.__dict__.update(state)
    return exc


class InputError(ArchiveError, ValueError):
    """An input file or record cannot be ingested. Names the file and the line."""

    def __init__(self, message: str, path: str | Path | None = None, line: int | None = None):
        self.path = str(path) if path is not None else None
        self.line = line
        where = ""
        if self.path is not None:
            where = self.path if line is None else f"{self.path}:{line}"
            where += ": "
        super().__init__(where + message)


class QueryError(ArchiveError, ValueError):
    """A query is empty or cannot be searched. Names the query."""

    def __init__(self, message: str, query: str):
        self.query = query
        super().__init__(f"{message}: {query!r}")


class PassageNotFoundError(ArchiveError, KeyError):
    """No passage has the requested id."""

    def __init__(self, passage_id: str, path: str | Path):
        self.passage_id = passage_id
        self.path = str(path)
        super().__init__(passage_id)

    def __str__(self) -> str:
        return f"no passage with id {self.passage_id!r} in the index at {self.path}"


class IndexStoreError(ArchiveError):
    """Something is wrong with the index folder itself. Names the folder."""

    def __init__(self, message: str, path: str | Path):
        self.path = str(path)
        super().__init__(message)


class IndexNotFoundError(IndexStoreError):
    """The folder holds no archive index (and none was to be created)."""


class IndexFormatError(IndexStoreError):
    """The index was built by another analyzer or format version: rebuild it."""


class IndexLockedError(IndexStoreError):
    """Another writer holds the index lock and did not let go in time."""


class IndexLayoutError(IndexStoreError):
    """A sharded archive opened as one index or the other way round, or a number of
    shards that is not a positive integer or not the one the folder holds."""


class ShardUnavailableError(IndexStoreError):
    """A shard of a sharded archive cannot be read: its folder is missing or
    damaged, or it failed on every worker that tried it. Names the shard."""

    def __init__(self, message: str, path: str | Path, shard: int):
        self.shard = shard
        super().__init__(message, path)


class ClusterError(ArchiveError):
    """Dask is not installed, its scheduler cannot be reached, or its workers kept
    dying: the sharded archive cannot run."""
