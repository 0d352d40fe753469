"""The archive over HTTP: a JSON API and a search page (``archive serve``).

A thin layer over the public API (:class:`archive.Archive`, :mod:`archive.models`,
:mod:`archive.errors`): each endpoint makes one library call in a worker thread,
within a time budget, and writes its result as JSON. Needs the ``web`` extra
(``pip install "arabic-archive[web]"``: Starlette, and uvicorn for :func:`serve`)::

    from archive.web import app
    application = app("index")     # a Starlette (ASGI) app, to run or to mount

    from archive.web import serve
    serve("index", port=8000)      # uvicorn on 127.0.0.1:8000

The endpoints, the page and the security defaults are in docs/web.md.
"""

from __future__ import annotations

try:
    import starlette  # noqa: F401  (the web extra)
except ModuleNotFoundError as exc:  # pragma: no cover - tested in a subprocess
    raise ModuleNotFoundError(
        f"the web app needs {exc.name}, which is not installed; "
        'install it with: pip install "arabic-archive[web]"',
        name=exc.name,
    ) from None

from archive.web.api import (
    DEFAULT_TIMEOUT,
    MAX_KWIC_LIMIT,
    MAX_LIMIT,
    MAX_PAGE,
    MAX_UPLOAD,
    app,
)
from archive.web.server import serve

__all__ = [
    "DEFAULT_TIMEOUT",
    "MAX_KWIC_LIMIT",
    "MAX_LIMIT",
    "MAX_PAGE",
    "MAX_UPLOAD",
    "app",
    "serve",
]
