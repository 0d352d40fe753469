"""archive: a searchable digital archive of Arabic passages on Whoosh.

Open or create an index with :class:`Archive`, ingest passages, search them::

    from archive import Archive
    arc = Archive("index")
    arc.ingest("texts")
    arc.search("لينين").total
"""

from archive.arabic import Profile
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

__version__ = "0.1.0"

__all__ = [
    "Archive",
    "ArchiveError",
    "CountGroup",
    "Counts",
    "Hit",
    "IndexFormatError",
    "IndexLockedError",
    "IndexNotFoundError",
    "IndexStoreError",
    "IngestProgress",
    "IngestReport",
    "InputError",
    "KwicLine",
    "Passage",
    "PassageNotFoundError",
    "Profile",
    "QueryError",
    "SearchResults",
    "__version__",
]
