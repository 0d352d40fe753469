"""The archive's exceptions: one root, a few subclasses, each carrying what users need.

::

    ArchiveError                      every error the archive raises on purpose
    ├── InputError (ValueError)       a bad input file or record: .path, .line
    ├── QueryError (ValueError)       an empty or unusable query: .query
    ├── PassageNotFoundError (KeyError)   get() of an unknown id: .passage_id
    └── IndexStoreError               a problem with the index folder: .path
        ├── IndexNotFoundError        no index in the folder
        ├── IndexFormatError          built by another analyzer or format version
        └── IndexLockedError          another writer holds the index

``IndexStoreError`` is named so that it does not shadow the built-in
``IndexError`` (as Whoosh's own ``whoosh.index.IndexError`` does).
"""

from __future__ import annotations

from pathlib import Path


class ArchiveError(Exception):
    """Base class of every error the archive raises on purpose."""


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
