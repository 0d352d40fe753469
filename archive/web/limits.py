"""The web app's limits on what one request may ask (the query's own length is
limited by the library, which raises ``QueryError`` past it)."""

from __future__ import annotations

#: Seconds a request may take before it is answered 503 (``--timeout``).
DEFAULT_TIMEOUT = 10.0
#: Hits a page of ``/api/search`` may hold.
MAX_LIMIT = 100
#: The last page a search or concordance may ask for.
MAX_PAGE = 10_000
#: Lines a page of ``/api/kwic`` may hold, and the default.
MAX_KWIC_LIMIT = 1000
DEFAULT_KWIC_LIMIT = 100
#: Characters of context on each side of a concordance line.
MAX_WIDTH = 500
#: Neighbours on each side ``/api/passages/{id}?context=N`` may list
#: (``Archive.context``, which allows up to ``archive.core.MAX_CONTEXT``).
MAX_CONTEXT = 10
#: Bytes an upload to ``/api/ingest`` may hold.
MAX_UPLOAD = 16 * 1024 * 1024
#: Characters of a parameter other than the query (a glob, a metadata value, a sort).
MAX_PARAMETER_CHARS = 1000
#: ``where`` conditions one request may give.
MAX_WHERE = 20
