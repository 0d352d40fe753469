"""The Starlette app: JSON endpoints over :class:`archive.Archive`, the search page,
errors as JSON, and a time budget on every request.

Each endpoint reads its parameters (refusing any the OpenAPI document does not
list), makes one library call in a worker thread of the app's own pool, and
writes the result as JSON. No lock is held across a search: the ``Archive``
gives each thread a snapshot of its own (``SnapshotPool``), and a snapshot made
stale by another process's commit is replaced, so a commit is seen without a
restart.

The time budget: a request waits at most ``timeout`` seconds, first for one of
``2 * threads`` slots, then for its result; past it the answer is a 503
(``TimeoutError``). A search given up on runs to its end in its thread and
keeps its slot until then, so abandoned searches cannot pile up.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import hmac
import io
import itertools
import json
import os
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar, cast

from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from archive import Archive, __version__, open_archive
from archive.errors import (
    ArchiveError,
    ClusterError,
    IndexStoreError,
    InputError,
    PassageNotFoundError,
    QueryError,
)
from archive.models import (
    HIT_FIELDS,
    JSON_ONLY_FIELDS,
    Hit,
    IngestReport,
    Passage,
    SearchResults,
    table_cell,
)
from archive.query.filters import condition
from archive.web.limits import (
    DEFAULT_KWIC_LIMIT,
    DEFAULT_TIMEOUT,
    MAX_CONTEXT,
    MAX_KWIC_LIMIT,
    MAX_LIMIT,
    MAX_PAGE,
    MAX_PARAMETER_CHARS,
    MAX_UPLOAD,
    MAX_WHERE,
    MAX_WIDTH,
)
from archive.web.openapi import document, parameters_of

__all__ = [
    "DEFAULT_TIMEOUT",
    "MAX_KWIC_LIMIT",
    "MAX_LIMIT",
    "MAX_PAGE",
    "MAX_UPLOAD",
    "app",
]

T = TypeVar("T")

#: Worker threads of an app by default (each search holds one while it runs).
DEFAULT_THREADS = 8
#: Hits written per chunk of an export.
EXPORT_CHUNK = 200
#: The suffixes an upload to ``/api/ingest`` may have (the readers' formats).
UPLOAD_SUFFIXES = (".jsonl", ".csv", ".tsv", ".txt", ".md")

#: Headers on every response: no sniffing, no framing, no referrer, and a
#: content security policy that allows the page's own script and style only
#: (a second guard: the page never puts data into HTML in the first place).
SECURITY_HEADERS = (
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "no-referrer"),
    (
        "content-security-policy",
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    ),
)

_STATIC = {
    "app.js": "text/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
}


# --- The service: the archive, the worker threads, the slots ---------------------


class Slots:
    """A count of requests at work, safe across threads and event loops."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._free = size
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            if self._free == 0:
                return False
            self._free -= 1
            return True

    def give(self) -> None:
        with self._lock:
            self._free += 1

    async def wait(self, deadline: float) -> bool:
        """Take a slot, waiting until ``deadline`` (``time.monotonic()``) at most."""
        pause = 0.001
        while not self.take():
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.02)
        return True


def _warm_up(service: Service) -> None:
    """Open the archive and read its suggestion vocabulary in the background, so
    that the first search that finds nothing answers within its time budget; an
    archive that is missing or fails is left for the requests to report."""
    with contextlib.suppress(ArchiveError, OSError):
        service.archive().warm_up()


class Service:
    """What the endpoints share: the archive (opened on first use, so that an
    index made after the server started is found), the worker threads, the
    slots and the time budget."""

    def __init__(
        self,
        index: str | os.PathLike[str] | Archive,
        *,
        timeout: float,
        threads: int,
        token: str | None,
        uploads: Path,
        max_upload: int,
    ) -> None:
        self._given = isinstance(index, Archive)
        self._archive: Archive | None = index if isinstance(index, Archive) else None
        self.path = Path(index.path) if isinstance(index, Archive) else Path(index)
        self.timeout = timeout
        self.threads = threads
        self.token = token
        self.uploads = uploads
        self.max_upload = max_upload
        self.slots = Slots(2 * threads)
        self._opening = threading.Lock()
        self._ingesting = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None

    def archive(self, *, create: bool = False) -> Archive:
        """The archive, opened on first use.

        Raises:
            IndexNotFoundError: no index yet (and not ``create``).
        """
        arc = self._archive
        if arc is None:
            with self._opening:
                if self._archive is None:
                    self._archive = open_archive(self.path, create=create)
                arc = self._archive
        return arc

    def pool(self) -> ThreadPoolExecutor:
        with self._opening:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="archive-web")
            return self._pool

    async def run(self, job: Callable[[Archive], T], *, budget: bool = True) -> T:
        """``job(archive)`` in a worker thread, within the time budget (or, with
        ``budget=False``, waiting only for a slot within it).

        Raises:
            TimeoutError: no slot came free, or the job took longer than the budget.
        """
        deadline = time.monotonic() + self.timeout
        if not await self.slots.wait(deadline):
            raise TimeoutError(
                f"the server is busy: {self.slots.size} requests are running and none "
                f"finished within {self.timeout:g} s; try again"
            )

        def work() -> T:
            try:
                if budget and time.monotonic() > deadline:
                    raise TimeoutError(self._late())
                return job(self.archive())
            finally:
                self.slots.give()

        future = asyncio.get_running_loop().run_in_executor(self.pool(), work)
        if not budget:
            return await future
        try:
            return await asyncio.wait_for(
                asyncio.shield(future), max(0.0, deadline - time.monotonic())
            )
        except asyncio.TimeoutError:
            future.add_done_callback(_retrieve)  # it ends in the background
            raise TimeoutError(self._late()) from None

    def _late(self) -> str:
        return (
            f"the query took too long: more than {self.timeout:g} s, the server's time "
            "budget for a request; narrow it (fewer hits, a filter) or try again"
        )

    async def stream(self, start: Callable[[Archive], Iterator[str]]) -> AsyncIterator[str]:
        """The chunks of ``start(archive)``: the first within the time budget (so
        that a bad query is a 400 before anything is sent), each later one in a
        worker thread as the client reads.

        Raises:
            TimeoutError: as :meth:`run`, for the first chunk.
        """
        lock = threading.Lock()  # one thread at a time reads (or closes) the iterator
        held: list[Iterator[str]] = []

        def first(arc: Archive) -> str | None:
            with lock:
                held.append(start(arc))
                return next(held[0], None)

        def following(_: Archive) -> str | None:
            with lock:
                return next(held[0], None)

        def close() -> None:
            with lock:
                if held:
                    cast(Any, held[0]).close()

        try:
            head = await self.run(first)
        except BaseException:
            self.pool().submit(close)
            raise

        async def chunks() -> AsyncIterator[str]:
            try:
                chunk = head
                while chunk is not None:
                    yield chunk
                    chunk = await self.run(following, budget=False)
            finally:
                self.pool().submit(close)

        return chunks()

    async def ingest(self, name: str, body: bytes) -> IngestReport:
        """Write an upload to the uploads folder under ``name`` and ingest it; on
        any error the file it replaced is put back (the index keeps nothing)."""

        def job() -> IngestReport:
            with self._ingesting:
                self.uploads.mkdir(parents=True, exist_ok=True)
                target = self.uploads / name
                old = target.read_bytes() if target.is_file() else None
                part = self.uploads / f".{name}.part"
                part.write_bytes(body)
                os.replace(part, target)
                try:
                    return self.archive(create=True).ingest(target, workers=1)
                except BaseException:
                    if old is None:
                        target.unlink(missing_ok=True)
                    else:
                        target.write_bytes(old)
                    raise

        return await asyncio.get_running_loop().run_in_executor(self.pool(), job)

    def close(self) -> None:
        """Stop the worker threads (those at work finish) and close the archive
        if the app opened it."""
        with self._opening:
            pool, self._pool = self._pool, None
            arc = None if self._given else self._archive
            if not self._given:
                self._archive = None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        if arc is not None:
            arc.close()


def _retrieve(future: asyncio.Future[Any]) -> None:
    """Read the outcome of a job given up on, so that asyncio does not report an
    error nobody retrieved."""
    if not future.cancelled():
        future.exception()


def _service(request: Request) -> Service:
    return cast(Service, request.app.state.service)


# --- Parameters -------------------------------------------------------------------


class Params:
    """The query parameters of one request, read with limits; a parameter the
    OpenAPI document does not list for the endpoint is refused.

    Errors are ``QueryError`` (naming the query) on endpoints that take one,
    ``ArchiveError`` elsewhere: a 400 either way, naming the parameter.
    """

    def __init__(self, request: Request, path: str, method: str = "get") -> None:
        self._params = request.query_params
        self._has_query = "q" in parameters_of(path, method)
        allowed = parameters_of(path, method)
        for name in self._params:
            if name not in allowed:
                taken = ", ".join(sorted(allowed)) or "none"
                raise self.error(f"unknown parameter {name!r}; this endpoint takes: {taken}")
            if name not in ("where", "facet") and len(self._params.getlist(name)) > 1:
                raise self.error(f"the parameter {name} is given more than once")

    def error(self, message: str) -> ArchiveError:
        if self._has_query:
            return QueryError(message, self._params.get("q", ""))
        return ArchiveError(message)

    def query(self) -> str:
        if "q" not in self._params:
            raise self.error("the parameter q (the query) is missing")
        return self._params["q"]

    def integer(self, name: str, default: int, low: int, high: int) -> int:
        raw = self._params.get(name, "")
        if raw == "":
            return default
        try:
            value = int(raw)
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            raise self.error(f"{name} must be an integer from {low} to {high:,}, not {raw!r}")
        return value

    def texts(self, name: str, most: int = 10) -> list[str]:
        """Every value of a repeatable parameter, at most ``most``."""
        values = self._params.getlist(name)
        if len(values) > most:
            raise self.error(f"at most {most} {name} parameters, not {len(values)}")
        for value in values:
            if len(value) > MAX_PARAMETER_CHARS:
                raise self.error(f"a {name} parameter is longer than {MAX_PARAMETER_CHARS:,}")
        return list(values)

    def flag(self, name: str) -> bool:
        raw = self._params.get(name, "").strip().lower()
        if raw in ("1", "true", "yes", "on"):
            return True
        if raw in ("", "0", "false", "no", "off"):
            return False
        raise self.error(f"{name} must be 1 or 0 (true or false), not {raw!r}")

    def text(self, name: str, default: str | None = None) -> str | None:
        raw = self._params.get(name)
        if raw is None or raw == "":
            return default
        if len(raw) > MAX_PARAMETER_CHARS:
            raise self.error(
                f"{name} is {len(raw):,} characters long; the limit is {MAX_PARAMETER_CHARS:,}"
            )
        return raw

    def choice(self, name: str, choices: Sequence[str], default: str) -> str:
        value = self.text(name, default) or default
        if value not in choices:
            raise self.error(f"{name} must be one of {', '.join(choices)}, not {value!r}")
        return value

    def filters(self) -> dict[str, Any]:
        """``exact``, ``match``, ``source`` and ``where``, as the library takes them
        (the library checks ``match`` and the filters' values)."""
        conditions = self._params.getlist("where")
        if len(conditions) > MAX_WHERE:
            raise self.error(f"at most {MAX_WHERE} where conditions, not {len(conditions)}")
        where: dict[str, Any] = {}
        for text in conditions:
            if len(text) > MAX_PARAMETER_CHARS:
                raise self.error(f"a where condition is longer than {MAX_PARAMETER_CHARS:,}")
            try:
                key, value = condition(text)
            except QueryError:
                raise self.error(
                    f"where must be KEY=VALUE or KEY=LOW..HIGH, not {text!r}"
                ) from None
            where[key] = value
        return {
            "exact": self.flag("exact"),
            "match": self.text("match", "all"),
            "source": self.text("source"),
            "where": where,
            "strict": self.text("strict") or "",
        }

    def sort(self) -> str:
        return self.text("sort", "score") or "score"


# --- JSON of the library's results --------------------------------------------------


def results_json(results: SearchResults) -> dict[str, Any]:
    """:meth:`SearchResults.to_dict`, the search's options and its ``hint``, each
    hit with its rank, citation and excerpt (offsets, never markup)."""
    data = results.to_dict()
    data.update(
        limit=results.limit,
        has_next=results.has_next,
        exact=results.exact,
        match=results.match,
        hint=getattr(results, "hint", None),  # advice when a question found nothing
        suggestions=list(results.suggestions),  # did you mean (archive.query.suggest)
        hits=[hit_json(hit) for hit in results.hits],
    )
    return data


def hit_json(hit: Hit) -> dict[str, Any]:
    """:meth:`Hit.to_dict`, the rank, the citation, and the excerpt: its text,
    where it stands in the passage's text (``start``, ``end``, ``length`` of
    the whole), and its highlights as offsets into the excerpt."""
    text = hit.passage.text
    (start, end), spans = hit.excerpt_spans()
    return {
        **hit.to_dict(),
        "rank": hit.rank,
        "citation": hit.citation,
        "excerpt": {
            "text": text[start:end],
            "start": start,
            "end": end,
            "length": len(text),
            "highlights": [[s - start, e - start] for s, e in spans],
        },
    }


def passage_json(passage: Passage) -> dict[str, Any]:
    """:meth:`Passage.to_dict`, its citation in both styles as text (``citation``,
    ``citation_full``) and its parts as data (``cite``, :meth:`Citation.to_dict`)."""
    cite = passage.cite
    return {
        **passage.to_dict(),
        "citation": cite.short,
        "citation_full": cite.full,
        "cite": cite.to_dict(),
    }


def _brief(passages: tuple[Passage, ...]) -> list[dict[str, str]]:
    return [{"id": p.id, "title": p.title, "citation": p.citation} for p in passages]


def _close(iterator: Iterator[Any]) -> None:
    close = getattr(iterator, "close", None)
    if close is not None:
        close()


def export_chunks(hits: Iterator[Hit], fmt: str, names: list[str]) -> Iterator[str]:
    """Every hit as JSON Lines, CSV or TSV, :data:`EXPORT_CHUNK` hits a chunk."""
    try:
        header = fmt != "jsonl"
        while True:
            batch = list(itertools.islice(hits, EXPORT_CHUNK))
            if not batch and not header:
                return
            if fmt == "jsonl":
                yield "".join(
                    json.dumps(h.to_dict(names), ensure_ascii=False, allow_nan=False) + "\n"
                    for h in batch
                )
            else:
                out = io.StringIO()
                writer = csv.writer(
                    out, delimiter="\t" if fmt == "tsv" else ",", lineterminator="\n"
                )
                if header:
                    writer.writerow(names)
                    header = False
                for h in batch:
                    writer.writerow(_cell(v) for v in h.to_dict(names).values())
                yield out.getvalue()
            if not batch:
                return
    finally:
        _close(hits)


def _cell(value: Any) -> Any:
    """A cell of a CSV/TSV export, safe to open in a spreadsheet (as the CLI's)."""
    return table_cell(value)


# --- Endpoints ----------------------------------------------------------------------


async def search(request: Request) -> Response:
    p = Params(request, "/api/search")
    q = p.query()
    limit = p.integer("limit", 10, 1, MAX_LIMIT)
    page = p.integer("page", 1, 1, MAX_PAGE)
    options, sort = p.filters(), p.sort()
    facets = tuple(p.texts("facet"))
    group_by = p.text("group_by")
    per_group = p.integer("per_group", 3, 1, 100)

    def job(arc: Archive) -> dict[str, Any]:
        return results_json(
            arc.search(
                q,
                limit=limit,
                page=page,
                sort=sort,
                facets=facets,
                group_by=group_by,
                per_group=per_group,
                **options,
            )
        )

    return JSONResponse(await _service(request).run(job))


async def passage(request: Request) -> Response:
    service = _service(request)
    passage_id = request.path_params["passage_id"]
    context = Params(request, "/api/passages/{passage_id}").integer("context", 0, 0, MAX_CONTEXT)

    def job(arc: Archive) -> dict[str, Any]:
        if not context:
            return passage_json(arc.get(passage_id))
        around = arc.context(passage_id, before=context, after=context)
        return {
            **passage_json(around.passage),
            "previous": _brief(around.before),
            "next": _brief(around.after),
        }

    return JSONResponse(await service.run(job))


async def kwic(request: Request) -> Response:
    p = Params(request, "/api/kwic")
    q = p.query()
    width = p.integer("width", 40, 1, MAX_WIDTH)
    limit = p.integer("limit", DEFAULT_KWIC_LIMIT, 1, MAX_KWIC_LIMIT)
    page = p.integer("page", 1, 1, MAX_PAGE)
    options, sort = p.filters(), p.sort()

    def job(arc: Archive) -> dict[str, Any]:
        lines = arc.kwic(q, width=width, sort=sort, **options)
        try:
            first = (page - 1) * limit
            found = list(itertools.islice(lines, first, first + limit + 1))
        finally:
            _close(lines)
        return {
            "query": q,
            "width": width,
            "page": page,
            "limit": limit,
            "has_next": len(found) > limit,
            "lines": [line.to_dict() for line in found[:limit]],
        }

    return JSONResponse(await _service(request).run(job))


async def count(request: Request) -> Response:
    p = Params(request, "/api/count")
    q = p.query()
    by = p.text("by")
    options = p.filters()

    def job(arc: Archive) -> dict[str, Any]:
        return arc.count(q, by=by, **options).to_dict()

    return JSONResponse(await _service(request).run(job))


async def stats(request: Request) -> Response:
    Params(request, "/api/stats")
    return JSONResponse(await _service(request).run(lambda arc: arc.stats()))


async def export(request: Request) -> Response:
    p = Params(request, "/api/export")
    q = p.query()
    fmt = p.choice("format", ("jsonl", "csv", "tsv"), "jsonl")
    fields = p.text("fields")
    names = (
        [name.strip() for name in fields.split(",") if name.strip()]
        if fields
        else [f for f in HIT_FIELDS if fmt == "jsonl" or f not in JSON_ONLY_FIELDS]
    )
    options, sort = p.filters(), p.sort()

    def start(arc: Archive) -> Iterator[str]:
        return export_chunks(arc.hits(q, sort=sort, **options), fmt, names)

    chunks = await _service(request).stream(start)
    media = {"jsonl": "application/x-ndjson", "csv": "text/csv", "tsv": "text/tab-separated-values"}
    return StreamingResponse(
        chunks,
        media_type=f"{media[fmt]}; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="archive-export.{fmt}"'},
    )


async def ingest(request: Request) -> Response:
    service = _service(request)
    given = request.headers.get("authorization", "")
    scheme, _, credential = given.partition(" ")
    if not given:
        raise HTTPException(401, "ingest needs the server's token", {"www-authenticate": "Bearer"})
    if (
        scheme.lower() != "bearer"
        or service.token is None
        or not hmac.compare_digest(credential.strip().encode(), service.token.encode())
    ):
        raise HTTPException(403, "the token is not the server's")
    name = Params(request, "/api/ingest", "post").text("name")
    if name is None:
        raise InputError("the parameter name (the file's name) is missing")
    if (
        name.startswith(".")
        or any(c in name for c in "/\\\x00")
        or not name.lower().endswith(UPLOAD_SUFFIXES)
        or len(name) > 200
    ):
        raise InputError(
            "the name must be a file name (no folders, not hidden, at most 200 characters) "
            f"ending in {', '.join(UPLOAD_SUFFIXES)}",
            name,
        )
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > service.max_upload:
        raise HTTPException(413, _too_large(service.max_upload))
    body = bytearray()
    async for piece in request.stream():
        body += piece
        if len(body) > service.max_upload:
            raise HTTPException(413, _too_large(service.max_upload))
    report = await service.ingest(name, bytes(body))
    return JSONResponse(
        {
            "files": list(report.files),
            "added": report.added,
            "updated": report.updated,
            "unchanged": report.unchanged,
            "removed": report.removed,
            "skipped": list(report.skipped),
            "seconds": report.seconds,
        }
    )


def _too_large(most: int) -> str:
    return f"the upload is larger than {most:,} bytes, the server's limit"


async def openapi(request: Request) -> Response:
    return JSONResponse(request.app.state.openapi)


async def page(request: Request) -> Response:
    return Response(_asset("index.html"), media_type="text/html; charset=utf-8")


async def static(request: Request) -> Response:
    name = request.path_params["name"]
    if name not in _STATIC:
        raise HTTPException(404, f"no file {name!r}")
    return Response(_asset(name), media_type=_STATIC[name], headers={"cache-control": "no-cache"})


def _asset(name: str) -> bytes:
    return (resources.files("archive.web") / "static" / name).read_bytes()


# --- Errors as JSON -----------------------------------------------------------------


def error_json(
    status: int, message: str, kind: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """``{"error": message, "type": kind}`` with a status."""
    return JSONResponse({"error": message, "type": kind}, status, headers)


async def _archive_error(request: Request, exc: Exception) -> Response:
    status = 400
    if isinstance(exc, PassageNotFoundError):
        status = 404
    elif isinstance(exc, (IndexStoreError, ClusterError)):
        status = 503
    return error_json(status, str(exc), type(exc).__name__)


async def _timeout(request: Request, exc: Exception) -> Response:
    return error_json(503, str(exc), "TimeoutError", {"retry-after": "1"})


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return error_json(exc.status_code, str(exc.detail), "HTTPException", exc.headers)


async def _internal(request: Request, exc: Exception) -> Response:
    return error_json(500, "internal server error", "InternalServerError")


class SecurityHeaders:
    """ASGI middleware: :data:`SECURITY_HEADERS` on every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for key, value in SECURITY_HEADERS:
                    if key not in headers:
                        headers[key] = value
            await send(message)

        await self.app(scope, receive, sending)


# --- The app --------------------------------------------------------------------------


def app(
    index: str | os.PathLike[str] | Archive = "index",
    *,
    timeout: float = DEFAULT_TIMEOUT,
    threads: int = DEFAULT_THREADS,
    allow_ingest: bool = False,
    token: str | None = None,
    cors: Sequence[str] = (),
    uploads: str | os.PathLike[str] | None = None,
    max_upload: int = MAX_UPLOAD,
) -> Starlette:
    """The web app (a Starlette ASGI app) over the archive in ``index`` (a folder,
    opened read-only on first use, or an open :class:`~archive.Archive`).

    ``timeout``: seconds a request may take before a 503. ``threads``: worker
    threads (searches run side by side on them; ``2 * threads`` requests may be
    at work at once). ``allow_ingest`` with ``token``: accept
    ``POST /api/ingest`` with ``Authorization: Bearer TOKEN``; uploads are kept
    in ``uploads`` (default: the index folder's name with ``-uploads``, beside
    it), at most ``max_upload`` bytes each. ``cors``: origins allowed to call the
    API from a browser (none by default).

    Raises:
        ArchiveError: ``allow_ingest`` without a ``token``, or a ``timeout`` or
            ``threads`` that is not positive.
    """
    if allow_ingest and not token:
        raise ArchiveError("allow_ingest needs a token, which POST /api/ingest must send")
    if not timeout > 0:
        raise ArchiveError(f"timeout must be a positive number of seconds, not {timeout!r}")
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ArchiveError(f"threads must be a positive integer, not {threads!r}")
    path = Path(index.path) if isinstance(index, Archive) else Path(index)
    service = Service(
        index,
        timeout=timeout,
        threads=threads,
        token=token if allow_ingest else None,
        uploads=Path(uploads) if uploads is not None else path.with_name(path.name + "-uploads"),
        max_upload=max_upload,
    )
    routes = [
        Route("/", page),
        Route("/static/{name}", static),
        Route("/openapi.json", openapi),
        Route("/api/search", search),
        Route("/api/passages/{passage_id:path}", passage),
        Route("/api/kwic", kwic),
        Route("/api/count", count),
        Route("/api/stats", stats),
        Route("/api/export", export),
    ]
    if allow_ingest:
        routes.append(Route("/api/ingest", ingest, methods=["POST"]))
    middleware = [Middleware(SecurityHeaders)]
    if cors:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=list(cors),
                allow_methods=["GET", "POST"] if allow_ingest else ["GET"],
                allow_headers=["authorization", "content-type"] if allow_ingest else [],
            )
        )

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        threading.Thread(target=_warm_up, args=(service,), daemon=True).start()
        yield
        service.close()

    application = Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={
            ArchiveError: _archive_error,
            TimeoutError: _timeout,
            HTTPException: _http_error,
            Exception: _internal,
        },
        lifespan=lifespan,
    )
    application.state.service = service
    application.state.openapi = document(ingest=allow_ingest, version=__version__)
    return application
