"""The Whoosh index on disk: schema, format record, opening, creating, writers.

An archive index is a folder holding a Whoosh index and ``archive.json``, the
format record: the engine, the index format number, the analyzer's identity and
the analysis version. All are checked on open; an index built by another
analyzer or format is refused with :class:`~archive.errors.IndexFormatError`,
which says to rebuild it, instead of a ``ModuleNotFoundError`` from deep inside
Whoosh.

Changes to Whoosh's own code, all in this module: segments are read from the
memory map instead of a private copy, and every pickle read from an index goes
through an allow-list (:func:`install`, done when an engine opens, not at
import); new segments are finished with each field's lengths read once
(:class:`_WritingCodec`); the workers of the parallel writer die with their
parent and report their failures (:class:`ParallelWriter`); every new segment
gets a checksum file, checked when a state is opened (:func:`write_sums`,
:func:`check_sums`). Reads of a damaged index raise
:class:`~archive.errors.IndexStoreError` (:func:`reading`).
"""

from __future__ import annotations

import contextlib
import gc
import io
import json
import os
import pickle
import queue
import re
import struct
import time
import types
import warnings
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.analysis import RegexTokenizer
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3Codec, W3PerDocReader, _lenfield
from whoosh.fields import ID, STORED, TEXT, Schema
from whoosh.filedb import compound
from whoosh.filedb.filetables import FileFormatError
from whoosh.filedb.structfile import BufferFile
from whoosh.index import LockError, clean_files
from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.util import random_name as whoosh_random_name
from whoosh.util.numeric import byte_to_length
from whoosh.writing import SegmentWriter

from archive import arabic
from archive.arabic.analysis import ANALYSIS_VERSION, LIGHT, ROOT, SEARCH, STEM
from archive.engine import fields_of
from archive.engines.record import FORMAT_FILE, check_format, rebuild_hint
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


#: Every class and function a pickle in an index of this format names: the
#: schema (fields, formats, analyzers, the folding profile), the segments and
#: their codec, and what these pickle with. Nothing else is loaded.
PICKLED: frozenset[tuple[str, str]] = frozenset(
    {
        ("archive.arabic", "Profile"),
        ("archive.engines.whoosh.analysis", "ArabicFoldFilter"),
        ("archive.engines.whoosh.analysis", "ArabicTokenizer"),
        ("whoosh.analysis.analyzers", "CompositeAnalyzer"),
        ("whoosh.analysis.tokenizers", "IDTokenizer"),
        ("whoosh.analysis.tokenizers", "RegexTokenizer"),
        ("whoosh.codec.whoosh3", "W3Codec"),
        ("whoosh.codec.whoosh3", "W3Segment"),
        ("whoosh.fields", "ID"),
        ("whoosh.fields", "STORED"),
        ("whoosh.fields", "Schema"),
        ("whoosh.fields", "TEXT"),
        ("whoosh.formats", "Existence"),
        ("whoosh.formats", "Frequency"),
        ("whoosh.formats", "Positions"),
        ("collections", "defaultdict"),
        ("re", "_compile"),  # RegexTokenizer's pattern
        ("_codecs", "encode"),  # bytes, in pickle protocol 2
        ("builtins", "int"),
        ("builtins", "set"),
        ("builtins", "frozenset"),
    }
)


class RefusedPickle(pickle.UnpicklingError):
    """A pickle in the index names something the index format does not use:
    never loaded (an index from elsewhere could run code when opened)."""

    def __init__(self, module: str, name: str) -> None:
        self.what = f"{module}.{name}"
        super().__init__(
            f"refused: the index holds a pickle of {self.what}, which the index format does not use"
        )


class _IndexUnpickler(pickle.Unpickler):
    """Loads only what :data:`PICKLED` names."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in PICKLED:
            raise RefusedPickle(module, name)
        return super().find_class(module, name)


def safe_loads(data: Any, **kwargs: Any) -> Any:
    """``pickle.loads`` for what an index holds (:data:`PICKLED` only)."""
    return _IndexUnpickler(io.BytesIO(data)).load()


def safe_load(file: Any, **kwargs: Any) -> Any:
    """``pickle.load`` for what an index holds (:data:`PICKLED` only)."""
    return _IndexUnpickler(file).load()


def _install_unpickler() -> None:
    """Route every pickle Whoosh reads from an index through :func:`safe_loads`:
    the table of contents (``whoosh.index``), stored fields and columns
    (``whoosh.columns``), postings (``whoosh.formats``), term infos
    (``whoosh.codec.whoosh3``), ``read_pickle`` (``whoosh.filedb.structfile``).
    The loaders of older table-of-contents versions (``whoosh.legacy``, which
    unpickle without limits) are removed: such an index is refused."""
    from whoosh import columns, formats
    from whoosh.codec import whoosh3
    from whoosh.filedb import structfile

    for module, name in (
        (whoosh_index, "pickle"),
        (columns, "loads"),
        (formats, "loads"),
        (whoosh3, "loads"),
        (structfile, "load_pickle"),
        (whoosh_index, "toc_loaders"),
    ):
        if not hasattr(module, name):  # checked against the pinned release
            raise ArchiveError(f"the Whoosh engine cannot patch {module.__name__}.{name}")
    whoosh_index.pickle = types.SimpleNamespace(
        loads=safe_loads,
        load=safe_load,
        dumps=pickle.dumps,
        dump=pickle.dump,
        PicklingError=pickle.PicklingError,
        UnpicklingError=pickle.UnpicklingError,
    )
    columns.loads = safe_loads
    formats.loads = safe_loads
    whoosh3.loads = safe_loads
    structfile.load_pickle = safe_load
    whoosh_index.toc_loaders.clear()


def install() -> None:
    """Make Whoosh's compound storage read segments from the memory map
    (:class:`_SharedBufferFile`), and every pickle it reads from an index go
    through an allow-list (:func:`safe_loads`). Idempotent; done when a Whoosh
    engine opens.

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
    _install_unpickler()


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
    return TEXT(analyzer=arabic_analyzer(mode, profile), phrase=mode not in (STEM, LIGHT, ROOT))


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
    for name, (_, mode) in fields_of(profile).items():
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


def _check_format(path: Path, profile: arabic.Profile | None) -> arabic.Profile:
    expected = format_record()
    del expected["profile"]
    try:
        return check_format(path, expected, profile)
    except FileNotFoundError:
        raise IndexFormatError(
            f"{path} holds a Whoosh index that the archive did not build "
            f"(no {FORMAT_FILE}); {rebuild_hint(path)}",
            path,
        ) from None


def _write_format(path: Path, profile: arabic.Profile) -> None:
    tmp = path / (FORMAT_FILE + ".tmp")
    tmp.write_text(json.dumps(format_record(profile), indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path / FORMAT_FILE)


_TOC = re.compile(r"^_MAIN_[0-9]+\.toc$")


def read_manifest(ix: whoosh_index.Index, path: Path) -> dict[str, str]:
    """The hash of each file at its last committed ingest, for a writer holding
    the lock (:func:`archive.ingest.read_manifest`, keyed by the generation)."""
    from archive.ingest import read_manifest as read

    return read(path, ix.latest_generation())


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
            except RefusedPickle as exc:
                refused = IndexFormatError(_refusal(folder, exc), folder)
                failure = ""
            except (ImportError, AttributeError, pickle.UnpicklingError) as exc:
                failure = f"built by an incompatible version ({type(exc).__name__}: {exc})"
            except Exception as exc:  # a truncated or damaged table of contents
                failure = f"damaged: its table of contents cannot be read ({type(exc).__name__})"
            gc.collect()
        if not failure:
            raise refused
        raise IndexFormatError(
            f"the index at {folder} is {failure}; {rebuild_hint(folder)}",
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


#: The extension of a segment's checksum file: ``<segment id>.sums``, JSON of each
#: file of the segment's size and CRC-32, written before the commit that first
#: lists the segment. Whoosh's files carry no checksums: a flipped byte in a
#: segment can otherwise read as another term (a passage "not found") or as
#: wrong text, with no error.
SUMS_EXTENSION = "sums"

#: Bytes read at a time when a segment's files are checked.
_SUM_CHUNK = 1 << 20

#: The files this process has checked (by path) with their size and
#: modification time when checked: segments do not change once written, so each
#: is read once per process.
_CHECKED: dict[str, tuple[int, int]] = {}


def _crc32(file: Path) -> int:
    crc = 0
    with file.open("rb") as f:
        while chunk := f.read(_SUM_CHUNK):
            crc = zlib.crc32(chunk, crc)
    return crc


def _segment_files(folder: Path, segid: str) -> list[Path]:
    prefix = f"{segid}."
    sums = f"{segid}.{SUMS_EXTENSION}"
    return sorted(
        folder / name
        for name in os.listdir(folder)
        if name.startswith(prefix) and not name.startswith(sums)
    )


def write_sums(folder: Path, segments: list[Any]) -> None:
    """Write the checksum file of each segment of ``segments`` that has none
    (the new ones: a segment's files never change), before the commit that
    lists them."""
    for segment in segments:
        segid = segment.segment_id()
        target = folder / f"{segid}.{SUMS_EXTENSION}"
        if target.exists():
            continue
        record = {
            file.name: {"size": file.stat().st_size, "crc32": _crc32(file)}
            for file in _segment_files(folder, segid)
        }
        partial = folder / f"{segid}.{SUMS_EXTENSION}.partial"
        partial.write_text(json.dumps(record, sort_keys=True), encoding="utf-8")
        os.replace(partial, target)


def check_sums(path: Path, reader: Any) -> None:
    """Check the files of each segment ``reader`` reads against the segment's
    checksum file, once per process and file. A segment without one (written
    by an earlier version of this format) is not checked.

    Raises:
        IndexStoreError: a file's size or CRC-32 is not what was written, or a
            checksum file cannot be read (names the folder and the file).
    """
    for leaf, _ in reader.leaf_readers():
        segment_of = getattr(leaf, "segment", None)
        segment = None if segment_of is None else segment_of()
        if segment is not None:  # None: the index is empty
            check_segment(path, segment.segment_id())


def _sums_failure(ix: whoosh_index.Index, path: Path) -> IndexStoreError | None:
    """Why the segments of the last committed state fail their checksums (the
    precise error of a state that failed to open), or None."""
    try:
        segments = ix._read_toc().segments
    except Exception:
        return None  # the state is changing, or the table itself is damaged
    for segment in segments:
        try:
            check_segment(path, segment.segment_id())
        except IndexStoreError as exc:
            return exc
    return None


def check_segment(path: Path, segid: str) -> None:
    """Check the files of the segment ``segid`` against its checksum file
    (:func:`check_sums`)."""
    sums = path / f"{segid}.{SUMS_EXTENSION}"
    try:
        text = sums.read_text(encoding="utf-8")
    except FileNotFoundError:
        return
    except (OSError, UnicodeDecodeError) as exc:
        raise _bad_file(path, sums, f"cannot be read ({exc})") from exc
    try:
        record = json.loads(text)
        expected = {
            name: (int(entry["size"]), int(entry["crc32"])) for name, entry in record.items()
        }
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise _bad_file(path, sums, "is not a checksum record") from exc
    for name, (size, crc) in expected.items():
        _check_file(path, path / name, size, crc)


def _bad_file(path: Path, file: Path, what: str) -> IndexStoreError:
    return IndexStoreError(
        f"the index at {path} is damaged: its file {file.name} {what}; {rebuild_hint(path)}",
        path,
    )


def _check_file(path: Path, file: Path, size: int, crc: int) -> None:
    try:
        stat = file.stat()
    except OSError as exc:
        raise damaged(path, exc) from exc
    seen = (stat.st_size, stat.st_mtime_ns)
    if _CHECKED.get(str(file)) == seen:
        return
    if stat.st_size != size:
        raise _bad_file(path, file, f"holds {stat.st_size} bytes where {size} were written")
    try:
        found = _crc32(file)
    except OSError as exc:
        raise damaged(path, exc) from exc
    if found != crc:
        raise _bad_file(path, file, "does not hold the bytes that were written (CRC-32)")
    _CHECKED[str(file)] = seen


#: Times a searcher is opened before giving up, when another process's commit
#: removes the files of the state it was opening.
OPEN_ATTEMPTS = 20


def searcher(ix: whoosh_index.Index, path: Path, weighting: Any = None) -> Any:
    """A Whoosh searcher on the last committed state of ``ix``.

    Another process's commit may remove, between the moment a searcher reads
    which segments make up the index and the moment it opens them, segments
    that it merged into a new one: the searcher is then opened again, on the
    new state. A segment of the last committed state that is missing, or a file
    that cannot be read, is damage: refused at once.

    Raises:
        IndexStoreError: the index is damaged (names the folder and the file), or
            could not be opened after :data:`OPEN_ATTEMPTS` attempts.
    """
    kwargs = {} if weighting is None else {"weighting": weighting}
    for attempt in range(OPEN_ATTEMPTS):
        # Whoosh leaves the files it opened open when a state fails to open:
        # closed here, quietly, once the failure is dropped.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            try:
                opened = ix.searcher(**kwargs)
                try:
                    check_sums(path, opened.reader())
                except BaseException:
                    opened.close()
                    raise
                return opened
            except ArchiveError:
                raise
            except OSError as exc:  # a file of the state it read was merged away?
                failure = IndexStoreError(f"cannot read the index at {path}: {exc}", path)
                lost = _missing_segment(ix)
                if lost is not None:
                    failure = damaged(path, FileNotFoundError(2, "missing", str(path / lost)))
            except DAMAGE as exc:
                failure = damaged(path, exc)
                lost = ""
            # outside the handlers, so that the precise error holds no frame
            # of the failed open (and its files)
            if not lost:
                precise = _sums_failure(ix, path)
                if precise is not None:
                    failure, lost = precise, ""
            gc.collect()
        if lost is not None or attempt == OPEN_ATTEMPTS - 1:
            raise failure
        time.sleep(0.005 * (attempt + 1))
    raise AssertionError("unreachable")


def _missing_segment(ix: whoosh_index.Index) -> str | None:
    """A segment of the last committed state none of whose files is there (its
    id), or None when they all are."""
    try:
        toc = ix._read_toc()
        names = list(ix.storage.list())
    except Exception:
        return None  # the state is changing: not damage
    for segment in toc.segments:
        segid = segment.segment_id()
        sums = f"{segid}.{SUMS_EXTENSION}"
        if not any(name.startswith(segid) and not name.startswith(sums) for name in names):
            return str(segid)
    return None


#: What reading a damaged index raises from inside Whoosh (and the unpickling
#: of its stored fields): each becomes an :class:`IndexStoreError`.
DAMAGE: tuple[type[BaseException], ...] = (
    FileFormatError,  # a table's header not found: its offset in a compound file damaged
    EOFError,
    struct.error,
    zlib.error,
    pickle.UnpicklingError,
    ValueError,
    OSError,
    IndexError,
    KeyError,
    TypeError,
    AttributeError,
    OverflowError,
    MemoryError,
)


def _refusal(path: Path, exc: RefusedPickle) -> str:
    return (
        f"refused: the index at {path} holds a pickle of {exc.what}, which the index "
        f"format does not use (built by an incompatible version, or damaged or planted; "
        f"it was not loaded); "
        f"{rebuild_hint(path)}"
    )


def damaged(path: Path, exc: BaseException) -> IndexStoreError:
    """The error of a read of the index at ``path`` that failed with ``exc``."""
    if isinstance(exc, RefusedPickle):
        return IndexFormatError(_refusal(path, exc), path)
    where = f" ({exc.filename})" if isinstance(exc, OSError) and exc.filename else ""
    if isinstance(exc, FileNotFoundError):
        what = f"a segment of its last commit is missing{where}"
    else:
        what = f"cannot read it{where}: {type(exc).__name__}: {exc}"
    return IndexStoreError(
        f"the index at {path} is damaged: {what}; {rebuild_hint(path)}",
        path,
    )


@contextlib.contextmanager
def reading(path: Path) -> Iterator[None]:
    """Reads of the index at ``path``: damage (:data:`DAMAGE`) is raised as an
    :class:`IndexStoreError` naming the folder (and the file where known);
    the archive's own errors go through."""
    try:
        yield
    except ArchiveError:
        raise
    except DAMAGE as exc:
        raise damaged(path, exc) from exc


def discard(writer: Any, ix: whoosh_index.Index, path: Path) -> None:
    """Cancel ``writer`` and put the folder back as the last commit left it.

    Whoosh's ``cancel`` releases the lock but leaves the new segments' files
    behind until some later commit, and leaves the workers of its
    multi-process writer waiting for work forever. Here the workers are
    stopped, and every file the last commit does not use is deleted, under
    the lock.
    """
    for task in getattr(writer, "tasks", ()):
        # Their work is thrown away: stop them before their files go. SIGKILL,
        # not SIGTERM: nothing a worker runs can keep it from ending.
        if task.pid is not None:  # started
            task.kill()
            task.join()
    for name in ("jobqueue", "resultqueue"):
        # What is left in them is not wanted: the process must not wait at
        # exit to send it to workers that are gone.
        if (jobs := getattr(writer, name, None)) is not None:
            jobs.cancel_join_thread()
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


class _Failed:
    """What a worker of the parallel writer sends back instead of its segment
    when it failed: the error, told by the parent (no traceback printed)."""

    def __init__(self, exc: BaseException) -> None:
        self.errno = getattr(exc, "errno", None)
        self.strerror = getattr(exc, "strerror", None)
        self.text = f"{type(exc).__name__}: {exc}"


class _WorkerTask(SubWriterTask):  # type: ignore[misc]  # whoosh is untyped
    """A worker of the parallel writer that leaves when its parent dies
    (:func:`archive.ingest.leave_with_parent`) and sends back its failure
    instead of printing a traceback."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._parent = os.getpid()

    def run(self) -> None:
        from archive.ingest import leave_with_parent

        leave_with_parent(self._parent)
        try:
            super().run()
        except Exception as exc:
            with contextlib.suppress(Exception):
                self.resultqueue.put(_Failed(exc), timeout=5)
                self.resultqueue.close()
                self.resultqueue.join_thread()  # sent before the process ends
            os._exit(1)


class _SummingWriter(SegmentWriter):  # type: ignore[misc]  # whoosh is untyped
    """Whoosh's writer, writing the checksum file of each new segment
    (:func:`write_sums`) before the commit that lists it."""

    def _commit_toc(self, segments: list[Any]) -> None:
        write_sums(Path(self.storage.folder), segments)
        super()._commit_toc(segments)


class ParallelWriter(_SummingWriter, MpWriter):  # type: ignore[misc]  # whoosh is untyped
    """Whoosh's multi-process writer, with one segment per worker, that refuses to
    commit when a worker failed.

    Whoosh's own commit waits for its workers and takes whatever segments come
    back within a second: a worker that died (killed, out of memory) would leave
    its documents out of a commit that looks complete.
    """

    def __init__(self, ix: whoosh_index.Index, procs: int, **kwargs: Any) -> None:
        super().__init__(ix, procs=procs, multisegment=True, **kwargs)

    def _new_task(self) -> Any:
        task = _WorkerTask(
            self.storage,
            self.indexname,
            self.jobqueue,
            self.resultqueue,
            self.subargs,
            self.multisegment,
        )
        from archive.ingest import start_worker

        self.tasks.append(task)  # before: a cancel right after the start stops it
        start_worker(task)
        return task

    def _enqueue(self) -> None:
        # Whoosh's, with a put that does not wait for ever on workers that died
        # (the job queue is bounded).
        docbuffer: list[Any] = self.docbuffer
        filename = f"{whoosh_random_name()}.doclist"
        with self.temp_storage().create_file(filename).raw_file() as f:
            for item in docbuffer:
                pickle.dump(item, f, 2)
        if len(self.tasks) < self.procs:
            self._new_task()
        self._put((filename, len(docbuffer)))
        self.docbuffer: list[Any] = []

    def _put(self, job: Any) -> None:
        from archive.ingest import held_signals

        while True:
            try:
                with held_signals():  # a cancel inside put breaks the queue
                    self.jobqueue.put(job, timeout=0.2)
                return
            except queue.Full:
                if not any(task.is_alive() for task in self.tasks):
                    self._raise_failure([])

    def _raise_failure(self, results: list[Any]) -> None:
        """Raise what a worker sent back as its failure (an ``OSError`` as the
        ingest tells its own), or that a worker failed."""
        with contextlib.suppress(queue.Empty, OSError, ValueError):
            while True:
                results.append(self.resultqueue.get(timeout=0.1))
        for result in results:
            if isinstance(result, _Failed):
                if result.errno is not None:
                    raise OSError(result.errno, result.strerror or result.text)
                raise ArchiveError(
                    f"an indexing worker failed ({result.text}); "
                    "nothing of this ingest was committed"
                )
        codes = [task.exitcode for task in self.tasks]
        raise ArchiveError(
            f"an indexing worker failed (exit codes {codes}); nothing of this ingest was committed"
        )

    def _commit(self, mergetype: Any, optimize: Any, merge: Any) -> None:
        if self.docbuffer:
            self._enqueue()
        for _ in self.tasks:
            self._put(None)
        finalsegments = self._merge_segments(mergetype, optimize, merge)
        for task in self.tasks:
            task.join()
        results = []
        for _ in self.tasks:
            try:
                # the workers have ended: what they sent is in the pipe
                results.append(self.resultqueue.get(timeout=5))
            except queue.Empty:
                break
        failed = [task.exitcode for task in self.tasks if task.exitcode != 0]
        if (
            failed
            or len(results) != len(self.tasks)
            or any(isinstance(result, _Failed) for result in results)
        ):
            self._raise_failure(results)
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
        return _SummingWriter(ix, timeout=timeout, limitmb=POOL_MB, codec=_WritingCodec())
    except LockError:
        raise IndexLockedError(
            f"the index at {path} is being written by another process or thread; "
            f"gave up after waiting {timeout:g}s",
            path,
        ) from None
