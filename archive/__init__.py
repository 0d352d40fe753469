"""archive: a searchable digital archive of Arabic passages.

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
    ClusterError,
    IndexFormatError,
    IndexLayoutError,
    IndexLockedError,
    IndexNotFoundError,
    IndexStoreError,
    InputError,
    PassageNotFoundError,
    QueryError,
    ShardUnavailableError,
)
from archive.models import (
    Citation,
    Context,
    CountGroup,
    Counts,
    Hit,
    IngestProgress,
    IngestReport,
    KwicLine,
    Passage,
    SearchResults,
)
from archive.sharded import ShardedArchive, open_archive

__version__ = "0.1.0"

__all__ = [
    "Archive",
    "ArchiveError",
    "Citation",
    "ClusterError",
    "Context",
    "CountGroup",
    "Counts",
    "Hit",
    "IndexFormatError",
    "IndexLayoutError",
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
    "ShardUnavailableError",
    "ShardedArchive",
    "__version__",
    "open_archive",
]
