"""archive: a searchable digital archive of Arabic passages on Whoosh.

>>> from archive import Archive
>>> arc = Archive("index")           # doctest: +SKIP
>>> arc.ingest("texts")              # doctest: +SKIP
>>> arc.search("لينين").total        # doctest: +SKIP
"""

from archive.core import Archive
from archive.errors import (
    ArchiveError,
    IndexFormatError,
    IndexLockedError,
    IndexNotFoundError,
    IndexStoreError,
    InputError,
    PassageNotFoundError,
    QueryError,
)
from archive.models import Hit, IngestReport, Passage, SearchResults

__version__ = "0.1.0"

__all__ = [
    "Archive",
    "ArchiveError",
    "Hit",
    "IndexFormatError",
    "IndexLockedError",
    "IndexNotFoundError",
    "IndexStoreError",
    "IngestReport",
    "InputError",
    "Passage",
    "PassageNotFoundError",
    "QueryError",
    "SearchResults",
    "__version__",
]
