"""The Whoosh index on disk: schema, format record, opening, creating, writers.

An archive index is a folder holding a Whoosh index and ``archive.json``, the
format record: the engine, the index format number, the analyzer's identity and
the analysis version. All are checked on open; an index built by another
analyzer or format is refused with :class:`~archive.errors.IndexFormatError`,
which says to rebuild it, instead of a ``ModuleNotFoundError`` from deep inside
Whoosh.

Two changes to Whoosh's own classes, both in this module: segments are read
from the memory map instead of a private copy (:func:`install`, done when an
engine opens, not at import), and new segments are finished with each field's
lengths read once (:class:`_WritingCodec`).
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import pickle
import queue
import re
import time
import warnings
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.analysis import RegexTokenizer
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3Codec, W3PerDocReader, _lenfield
from whoosh.fields import ID, STORED, TEXT, Schema
from whoosh.filedb import compound
from whoosh.filedb.structfile import BufferFile
from whoosh.index import LockError, clean_files
from whoosh.multiproc import MpWriter
from whoosh.util.numeric import byte_to_length

from archive import arabic
from archive.arabic.analysis import ANALYSIS_VERSION, LIGHT, SEARCH, STEM
from archive.engine import FIELDS
from archive.engines.whoosh.analysis import ANALYZER_NAME, arabic_analyzer
from archive.errors import (
    ArchiveError,
    IndexFormatError,
    IndexLockedError,
    IndexNotFoundError,
    IndexStoreError,
)


class _ViewReader:
    """A read-only file over a memoryview, without copying it."""

    def __init__(self, view: memoryview) -> None:
        self._view = view
        self._pos = 0

    def read(self, size: int | None = -1) -> bytes:
        start = self._pos
        end = len(self._view) if size is None or size < 0 else min(start + size, len(self._view))
        self._pos = max(end, start)
        return self._view[start:end].tobytes()

    def peek(self, size: int = 0) -> bytes:
        """Bytes from the current position without moving it: ``pickle.load``
        reads ahead with this, so that a small pickle (a posting block's header)
        costs two calls instead of one a field."""
        return self._view[self._pos : self._pos + 512].tobytes()

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def readline(self, size: int | None = -1) -> bytes:
        line = bytearray()
        while size is None or size < 0 or len(line) < size:
            chunk = self.read(1)
            line += chunk
            if not chunk or chunk == b"\n":
                break
        return bytes(line)

    def seek(self, offset: int, whence: int = 0) -> int:
        base = (0, self._pos, len(self._view))[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def tell(self) -> int:
        return self._pos

    def readable(self) -> bool:
        return True

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass


class _SharedBufferFile(BufferFile):  # type: ignore[misc]  # whoosh is untyped
    """A part of a compound segment file, read straight from the memory map.

    Whoosh's ``BufferFile`` copies each part of a memory-mapped compound
    segment into a ``BytesIO`` when a searcher opens it: every process that
    searched or ingested held a private copy of the whole index (2.9 GB of
    memory in the process that ingested a million passages, measured by
    ``benchmarks/scale.py``). This one reads the map itself, so the pages are
    the operating system's file cache, shared between processes and freed
    under pressure; reads are as fast.
    """

    def __init__(self, buf: Any, name: str | None = None, onclose: Any = None) -> None:
        super().__init__(b"", name=name, onclose=onclose)
        self._buf = buf
        self.file = _ViewReader(memoryview(buf))

    def subset(self, position: int, length: int, name: str | None = None) -> _SharedBufferFile:
        return _SharedBufferFile(self._buf[position : position + length], name=name or self._name)


#: The Whoosh release these changes were written against: its classes are
#: replaced or subclassed here, so another release is refused.
WHOOSH_VERSION = (2, 7, 5)


def install() -> None:
    """Make Whoosh's compound storage read segments from the memory map
    (:class:`_SharedBufferFile`). Idempotent; done when a Whoosh engine opens.

    Raises:
        ArchiveError: the installed Whoosh is not the pinned release.
    """
    import whoosh

    if tuple(whoosh.__version__) != WHOOSH_VERSION:
        raise ArchiveError(
            f"the Whoosh engine needs whoosh-reloaded "
            f"{'.'.join(map(str, WHOOSH_VERSION))}, not "
            f"{'.'.join(map(str, whoosh.__version__))}: pip install 'whoosh-reloaded==2.7.5'"
        )
    # Whoosh's compound storage makes its part files with this module-level name.
    compound.BufferFile = _SharedBufferFile


class _FinishingPerDocReader(W3PerDocReader):  # type: ignore[misc]  # whoosh is untyped
    """The per-document reader a writer uses to finish its new segment, with each
    field's lengths read once, not once a posting.

    Whoosh writes every posting with its document's field length, read back
    from the segment's length column one posting at a time: 12% of an ingest's
    time (1.1 million reads for 6,000 hadith). Here a field's column is loaded
    into an array the first time it is asked for.
    """

    def doc_field_length(self, docnum: int, fieldname: str, default: int = 0) -> Any:
        cache: dict[str, Any] = self.__dict__.setdefault("_archive_lengths", {})
        lengths = cache.get(fieldname)
        if lengths is None:
            reader = self._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
            lengths = cache[fieldname] = reader.load() if reader is not None else None
        if lengths is None:
            return default
        if docnum > self._doccount:
            raise IndexError(f"Asked for docnum {docnum!r} of {self._doccount}")
        lbyte = lengths[docnum] if docnum < len(lengths) else 0
        return byte_to_length(lbyte) if lbyte else None  # as Whoosh's


class _WritingCodec(W3Codec):  # type: ignore[misc]  # whoosh is untyped
    """Whoosh's codec, finishing new segments with :class:`_FinishingPerDocReader`.

    It pickles (into the index's table of contents) as Whoosh's own codec, so
    the index format does not change with it.
    """

    def per_document_reader(self, storage: Any, segment: Any) -> Any:
        return _FinishingPerDocReader(storage, segment)

    def __reduce__(self) -> tuple[Any, ...]:
        return (W3Codec, (self._blocklimit, self._compression, self._inlinelimit))


#: The layout of the fields in the index; bumped when the schema changes.
#: 5: the analyzer moved to :mod:`archive.engines.whoosh.analysis`.
FORMAT_VERSION = 5

#: The engine's name, recorded in the format record.
ENGINE = "whoosh"

#: The name of the format record inside an index folder.
FORMAT_FILE = "archive.json"

#: Seconds a writer waits for another writer's lock before giving up.
LOCK_TIMEOUT = 10.0

#: Documents a worker of the parallel writer takes at a time.
BATCH_SIZE = 200

#: Megabytes of postings each writer process holds before it spills them to
#: disk. Whoosh's default, 128, spilled and merged back a quarter of the
#: ingest's work on the hadith benchmark; 256 took the three workers' CPU time
#: from 51-63 s to 37-39 s, for 283 MiB peak RSS a worker instead of 212.
POOL_MB = 256

#: Separates the "key=value" terms of the metadata field.
META_SEPARATOR = "\x1e"


def text_field(mode: str = SEARCH, profile: arabic.Profile = arabic.DEFAULT) -> TEXT:
    """A searchable text field with the archive's analyzer in one of its modes.

    Light-stem fields keep no positions: phrases are searched in the surface
    and exact fields, and a field without positions costs a third less to write.
    """
    return TEXT(analyzer=arabic_analyzer(mode, profile), phrase=mode not in (STEM, LIGHT))


def schema(profile: arabic.Profile = arabic.DEFAULT) -> Schema:
    """The schema of an archive index with a folding profile.

    The searchable fields are :data:`archive.engine.FIELDS`, each with the
    archive's analyzer in its mode. The whole passage is stored once, as a dict,
    in ``passage``; ``digest`` is a hash of it, to tell unchanged passages on
    re-ingest.
    """
    fields: dict[str, Any] = {
        "id": ID(unique=True, stored=True),
        "source": ID(),
        "file": ID(stored=True),
        "line": STORED(),
        # Scalar metadata as "key=value" terms, for where= filters.
        "meta": TEXT(analyzer=RegexTokenizer(f"[^{META_SEPARATOR}]+"), phrase=False),
        "digest": STORED(),
        "passage": STORED(),
    }
    for name, (_, mode) in FIELDS.items():
        fields[name] = text_field(mode, profile)
    return Schema(**fields)


def format_record(profile: arabic.Profile = arabic.DEFAULT) -> dict[str, Any]:
    """What ``archive.json`` says: the format, the analyzer and the folding profile."""
    return {
        "engine": ENGINE,
        "format": FORMAT_VERSION,
        "analyzer": ANALYZER_NAME,
        "analysis_version": ANALYSIS_VERSION,
        "profile": profile.to_dict(),
    }


def _rebuild_hint(path: Path) -> str:
    return (
        f"rebuild it: ingest the original files into a new folder "
        f"(or delete {path} and ingest again)"
    )


def _check_format(path: Path, profile: arabic.Profile | None) -> arabic.Profile:
    record_path = path / FORMAT_FILE
    try:
        record = json.loads(record_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IndexFormatError(
            f"{path} holds a Whoosh index that the archive did not build "
            f"(no {FORMAT_FILE}); {_rebuild_hint(path)}",
            path,
        ) from None
    except (OSError, ValueError) as exc:
        raise IndexFormatError(f"cannot read {record_path}: {exc}", path) from exc
    if not isinstance(record, dict):
        record = {}
    expected = format_record()
    del expected["profile"]
    wrong = [
        f"{key} {record.get(key)!r} (this version needs {value!r})"
        for key, value in expected.items()
        if record.get(key) != value
    ]
    if wrong:
        raise IndexFormatError(
            f"the index at {path} was built with {', '.join(wrong)}; {_rebuild_hint(path)}",
            path,
        )
    try:
        stored = arabic.Profile.from_dict(record.get("profile", {}))
    except ArchiveError as exc:
        raise IndexFormatError(f"{record_path}: {exc}", path) from None
    if profile is not None and profile != stored:
        raise IndexFormatError(
            f"the index at {path} was built with the folding profile {stored.to_dict()}, "
            f"not {profile.to_dict()}; a profile is chosen when an index is created: "
            f"{_rebuild_hint(path)}",
            path,
        )
    return stored


def _write_format(path: Path, profile: arabic.Profile) -> None:
    tmp = path / (FORMAT_FILE + ".tmp")
    tmp.write_text(json.dumps(format_record(profile), indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path / FORMAT_FILE)


_TOC = re.compile(r"^_MAIN_[0-9]+\.toc$")


#: The record of the files ingested and the hash of each, beside the index.
MANIFEST_FILE = "files.json"


def read_manifest(path: Path) -> dict[str, str]:
    """The hash of each file at its last committed ingest (empty if unknown).

    The manifest is written after the commit, so after a crash it can only be
    older than the index: a file it does not know is read again.
    """
    try:
        data = json.loads((path / MANIFEST_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def write_manifest(path: Path, hashes: dict[str, str]) -> None:
    """Replace the manifest atomically."""
    tmp = path / (MANIFEST_FILE + ".tmp")
    tmp.write_text(json.dumps(hashes, ensure_ascii=False, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path / MANIFEST_FILE)


def exists(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a folder holding a Whoosh index (a table of contents file).

    Whoosh's own ``exists_in`` opens the index, and so unpickles the analyzer;
    this only looks at the file names.
    """
    folder = Path(path)
    return folder.is_dir() and any(_TOC.match(name) for name in os.listdir(folder))


def open_index(
    path: str | os.PathLike[str], create: bool = True, profile: arabic.Profile | None = None
) -> tuple[whoosh_index.Index, arabic.Profile]:
    """Open the archive index in ``path``; create it (and the folder) if ``create``.

    Returns the Whoosh index and its folding profile. ``profile`` is used to
    create an index (the default profile if None); an existing index must have
    been created with it, unless it is None.

    Raises:
        IndexNotFoundError: no index there and ``create`` is false (nothing is created).
        IndexFormatError: the index was built by another analyzer, format or profile.
        IndexStoreError: ``path`` is not a folder, or cannot be written.
    """
    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise IndexStoreError(f"{folder} is not a folder", folder)
    install()
    if exists(folder):
        stored = _check_format(folder, profile)
        # Whoosh leaves its table of contents open when unpickling the schema
        # fails; it is closed here, quietly, when the failure is dropped.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            try:
                return whoosh_index.open_dir(str(folder)), stored
            except (ImportError, AttributeError, pickle.UnpicklingError) as exc:
                failure = f"built by an incompatible version ({type(exc).__name__}: {exc})"
            except Exception as exc:  # a truncated or damaged table of contents
                failure = f"damaged: its table of contents cannot be read ({type(exc).__name__})"
            gc.collect()
        raise IndexFormatError(
            f"the index at {folder} is {failure}; {_rebuild_hint(folder)}",
            folder,
        )
    if not create:
        raise IndexNotFoundError(
            f"no archive index in {folder} (build one with: archive ingest PATH --index {folder})",
            folder,
        )
    profile = profile or arabic.DEFAULT
    try:
        folder.mkdir(parents=True, exist_ok=True)
        _write_format(folder, profile)
        return whoosh_index.create_in(str(folder), schema(profile)), profile
    except OSError as exc:
        raise IndexStoreError(f"cannot create an index in {folder}: {exc}", folder) from exc


#: Times a searcher is opened before giving up, when another process's commit
#: removes the files of the state it was opening.
OPEN_ATTEMPTS = 20


def searcher(ix: whoosh_index.Index, path: Path, weighting: Any = None) -> Any:
    """A Whoosh searcher on the last committed state of ``ix``.

    Another process's commit may remove, between the moment a searcher reads
    which segments make up the index and the moment it opens them, segments
    that it merged into a new one: the searcher is then opened again, on the
    new state.

    Raises:
        IndexStoreError: the index could not be opened after
            :data:`OPEN_ATTEMPTS` attempts (names the folder).
    """
    kwargs = {} if weighting is None else {"weighting": weighting}
    for attempt in range(OPEN_ATTEMPTS):
        try:
            return ix.searcher(**kwargs)
        except OSError as exc:  # a file of the state it read was merged away
            if attempt == OPEN_ATTEMPTS - 1:
                raise IndexStoreError(f"cannot read the index at {path}: {exc}", path) from exc
            time.sleep(0.005 * (attempt + 1))
    raise AssertionError("unreachable")


def discard(writer: Any, ix: whoosh_index.Index, path: Path) -> None:
    """Cancel ``writer`` and put the folder back as the last commit left it.

    Whoosh's ``cancel`` releases the lock but leaves the new segments' files
    behind until some later commit, and leaves the workers of its
    multi-process writer waiting for work forever. Here the workers are
    stopped, and every file the last commit does not use is deleted, under
    the lock.
    """
    for task in getattr(writer, "tasks", ()):
        task.terminate()  # their work is thrown away: stop them before their files go
        task.join()
    try:
        writer.cancel()
    except Exception:  # a writer that failed half-way through its commit
        with contextlib.suppress(Exception):
            writer.writelock.release()
    lock = ix.lock("WRITELOCK")
    deadline = time.monotonic() + LOCK_TIMEOUT
    while not lock.acquire(blocking=False):
        if time.monotonic() > deadline:
            return  # another writer is at work; its commit will clean up
        time.sleep(0.05)
    try:
        toc = ix._read_toc()  # the last committed state (Whoosh has no public call)
        clean_files(ix.storage, ix.indexname, toc.generation, toc.segments)
    finally:
        lock.release()


class ParallelWriter(MpWriter):  # type: ignore[misc]  # whoosh is untyped
    """Whoosh's multi-process writer, with one segment per worker, that refuses to
    commit when a worker failed.

    Whoosh's own commit waits for its workers and takes whatever segments come
    back within a second: a worker that died (killed, out of memory) would leave
    its documents out of a commit that looks complete.
    """

    def __init__(self, ix: whoosh_index.Index, procs: int, **kwargs: Any) -> None:
        super().__init__(ix, procs=procs, multisegment=True, **kwargs)

    def _commit(self, mergetype: Any, optimize: Any, merge: Any) -> None:
        if self.docbuffer:
            self._enqueue()
        for _ in self.tasks:
            self.jobqueue.put(None)
        finalsegments = self._merge_segments(mergetype, optimize, merge)
        for task in self.tasks:
            task.join()
        results = []
        for _ in self.tasks:
            try:
                results.append(self.resultqueue.get(timeout=30))
            except queue.Empty:
                break
        failed = [task.exitcode for task in self.tasks if task.exitcode != 0]
        if failed or len(results) != len(self.tasks):
            raise ArchiveError(
                f"an indexing worker failed (exit codes {failed or 'unknown'}); "
                "nothing of this ingest was committed"
            )
        finalsegments += [segment for _, _, segment in results]
        if self._added:
            finalsegments.append(self._finalize_segment())
        else:
            self._close_segment()
        self._commit_toc(finalsegments)
        self._finish()


def writer(ix: whoosh_index.Index, path: Path, timeout: float | None = None, procs: int = 1) -> Any:
    """A Whoosh writer on ``ix``, waiting up to ``timeout`` seconds (by default
    :data:`LOCK_TIMEOUT`) for the lock.

    With ``procs`` above 1, a :class:`ParallelWriter` whose worker processes
    analyze and write the documents, one segment each.

    Raises:
        IndexLockedError: another writer kept the lock for the whole timeout.
    """
    if timeout is None:
        timeout = LOCK_TIMEOUT
    try:
        if procs > 1:
            return ParallelWriter(
                ix,
                procs=procs,
                timeout=timeout,
                batchsize=BATCH_SIZE,
                limitmb=POOL_MB,
                codec=_WritingCodec(),
            )
        return ix.writer(timeout=timeout, limitmb=POOL_MB, codec=_WritingCodec())
    except LockError:
        raise IndexLockedError(
            f"the index at {path} is being written by another process or thread; "
            f"gave up after waiting {timeout:g}s",
            path,
        ) from None
