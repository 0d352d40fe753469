"""Running the web app with uvicorn: :func:`serve` (``archive serve``)."""

from __future__ import annotations

import inspect
import json
import os
import socket
import sys
from collections.abc import Sequence
from typing import Any

from starlette.applications import Starlette

from archive import open_archive
from archive.errors import ArchiveError
from archive.web.api import DEFAULT_THREADS, app
from archive.web.limits import DEFAULT_TIMEOUT

#: The environment variable that hands the app's options to uvicorn's worker
#: processes (``workers > 1``), which build their app with :func:`from_environment`.
ENVIRONMENT = "ARCHIVE_WEB_OPTIONS"

#: The largest request head uvicorn reads (h11): room for a query at the
#: library's own length limit, percent-encoded, so that the library's
#: ``QueryError`` answers rather than a bare 400 from the HTTP parser.
MAX_REQUEST_HEAD = 256 * 1024


def serve(
    index: str | os.PathLike[str] = "index",
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 1,
    timeout: float = DEFAULT_TIMEOUT,
    threads: int = DEFAULT_THREADS,
    allow_ingest: bool = False,
    token: str | None = None,
    cors: Sequence[str] = (),
    access_log: bool = True,
) -> None:
    """Serve the archive in ``index`` on ``host:port`` until interrupted: the
    app of :func:`archive.web.app` in ``workers`` processes (each with its own
    ``Archive`` and ``threads`` worker threads).

    Raises:
        IndexNotFoundError: no index in ``index`` (checked before listening).
        ArchiveError: ``allow_ingest`` without a ``token``, or the address
            cannot be listened on (a port in use).
        ModuleNotFoundError: uvicorn is not installed (the ``web`` extra).
    """
    try:
        import uvicorn
    except ModuleNotFoundError as exc:
        raise ModuleNotFoundError(
            f"the web server needs {exc.name}, which is not installed; "
            'install it with: pip install "arabic-archive[web]"',
            name=exc.name,
        ) from None
    arc = open_archive(index)  # a missing index is an error now, not 503s later
    made = app(
        arc,
        timeout=timeout,
        threads=threads,
        allow_ingest=allow_ingest,
        token=token,
        cors=cors,
    )  # refuses bad options before listening
    target: Starlette | str = made
    if workers > 1:  # each worker process opens the index and builds its own app
        arc.close()
        target = "archive.web.server:from_environment"
        os.environ[ENVIRONMENT] = json.dumps(
            {
                "index": os.fspath(index),
                "timeout": timeout,
                "threads": threads,
                "allow_ingest": allow_ingest,
                "token": token,
                "cors": list(cors),
            }
        )
    config = uvicorn.Config(
        target,
        host=host,
        port=port,
        workers=workers,
        factory=workers > 1,
        access_log=access_log,
        server_header=False,
        h11_max_incomplete_event_size=MAX_REQUEST_HEAD,
    )
    sock = listen(host, port)
    where = f"[{host}]" if ":" in host else host
    sys.stderr.write(
        f"archive: serving {os.fspath(index)} on http://{where}:{sock.getsockname()[1]}/ "
        f"({'ingest allowed' if allow_ingest else 'read-only'}; {workers} worker(s); "
        "Ctrl-C stops)\n"
    )
    sys.stderr.flush()
    server = uvicorn.Server(config)
    try:
        if workers == 1:
            server.run(sockets=[sock])
            if not server.started:
                raise ArchiveError("the server did not start (see the log above)")
            return
        from uvicorn.supervisors import Multiprocess

        supervisor: Any = Multiprocess  # its arguments differ between uvicorn versions
        if "target" in inspect.signature(Multiprocess).parameters:
            supervisor(config, target=server.run, sockets=[sock]).run()
        else:
            supervisor(config, sockets=[sock]).run()
    finally:
        sock.close()


def listen(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port``, made with ``IPPROTO_TCP`` so that
    asyncio sets ``TCP_NODELAY`` on its connections. (Uvicorn's own socket for
    several workers has protocol 0, so asyncio leaves Nagle's algorithm on, and
    each response waits some 40 ms for the client's delayed ACK.)

    Raises:
        ArchiveError: the address cannot be listened on.
    """
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
        )[0]
        sock = socket.socket(family, kind, proto)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(address)
        except OSError:
            sock.close()
            raise
    except OSError as exc:
        raise ArchiveError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.set_inheritable(True)
    return sock


def from_environment() -> Starlette:
    """The app of a uvicorn worker process, from :data:`ENVIRONMENT`."""
    options = json.loads(os.environ[ENVIRONMENT])
    return app(options.pop("index"), **options)
