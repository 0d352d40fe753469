"""Planning an ingest: which files to read, which passages are new, changed,
unchanged or gone, and the duplicate ids; the same for every engine.

:func:`run` reads the input with :mod:`archive.readers`, compares each passage
with what the engine's last commit holds (:class:`archive.engine.Record`: file,
line and a digest of its content), and sends the differences to the engine's
:class:`~archive.engine.Writer`, which commits them at once with the hash of
each file read (the manifest), or not at all. Files whose bytes are unchanged
since their last ingest are not read again, only counted.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import hashlib
import json
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from archive.engine import Engine, IngestOptions, Record, Snapshot, Writer
from archive.errors import IndexStoreError, InputError
from archive.models import IngestProgress, IngestReport, Passage
from archive.readers import ReadOptions, find_files, passages


def _digest(passage: Passage, file: str) -> str:
    """A hash of the passage and the file it came from, to tell it unchanged."""
    data = json.dumps([file, passage.to_dict()], ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.blake2b(data.encode("utf-8"), digest_size=16).hexdigest()


#: Input of at least this many bytes is indexed by worker processes. Below it,
#: starting them costs more than they save.
PARALLEL_BYTES = 2_000_000


def _workers_for(size: int) -> int:
    """How many worker processes an ingest of ``size`` bytes of input should use."""
    cores = os.cpu_count() or 1
    forks = multiprocessing.get_all_start_methods()[0] == "fork"  # the platform's default
    if (
        cores < 2
        or not forks
        or multiprocessing.get_start_method(allow_none=True) not in (None, "fork")
        or threading.active_count() > 1  # forking a process with threads can deadlock
    ):
        return 1
    # One worker more than cores: measured 2.5x faster than one process on two
    # cores, against 1.4x with one worker per core (benchmarks/ingest_search.py).
    return cores + 1 if size >= PARALLEL_BYTES else 1


#: Seconds between a worker's looks at whether its parent is still there.
PARENT_CHECK = 0.5

_PR_SET_PDEATHSIG = 1


def leave_with_parent(parent: int) -> None:
    """Called first in a worker process forked by ``parent``: the worker dies
    when its parent does (killed alone, SIGKILL included), so that no orphan
    keeps the index's write lock or the caller's pipes.

    On Linux the kernel sends the worker SIGKILL when its parent dies
    (``prctl(PR_SET_PDEATHSIG)``); elsewhere, and as a second guard, a thread
    ends the worker once its parent has changed. The worker ignores Ctrl-C and
    takes SIGTERM as it comes: its parent stops it.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if hasattr(signal, "pthread_sigmask"):  # blocked by start_worker for the fork
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOPS)
    if sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    if os.getppid() != parent:  # it died before the line above
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK)
        os._exit(1)

    threading.Thread(target=watch, name="archive-parent-watch", daemon=True).start()


#: The signals that cancel an ingest.
_STOPS = {signal.SIGINT, signal.SIGTERM}


@contextlib.contextmanager
def held_signals() -> Iterator[None]:
    """Hold back Ctrl-C and SIGTERM for the length of the block; one that came
    meanwhile comes in at its end.

    For code that an exception raised half-way through leaves broken: a
    cancel raised inside a queue's ``put`` (in ``Condition.notify``) leaves
    the queue's feeder thread waiting for ever, and the process then waits
    for that thread at exit for ever.
    """
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, _STOPS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def start_worker(process: multiprocessing.process.BaseProcess) -> None:
    """Start ``process`` with Ctrl-C and SIGTERM held back until it is started.

    A cancel that came in the middle of the start would leave a forked worker
    whose pid its parent does not know (nothing could stop it), or a worker
    that runs the parent's Python handler in place of stopping. The worker
    starts with them held back too, and lets them through once it has set its
    own handlers (:func:`leave_with_parent`).
    """
    with held_signals():
        process.start()


@contextlib.contextmanager
def _sigterm_cancels() -> Iterator[None]:
    """For the length of an ingest, SIGTERM (``kill``, ``timeout``, ``docker
    stop``, systemd) cancels it as Ctrl-C does; only in the main thread, where
    Python runs signal handlers, and the old handler is put back after."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    raised = False

    def interrupt(signum: int, frame: object) -> None:
        nonlocal raised
        if not raised:  # once: a second SIGTERM must not break off the cancel
            raised = True
            raise KeyboardInterrupt(f"signal {signum}")

    try:
        old = signal.signal(signal.SIGTERM, interrupt)
    except (ValueError, OSError):  # not allowed here
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


def store_failure(path: Path, exc: OSError) -> str:
    """What an ingest says when the index folder cannot be written."""
    if exc.errno == errno.ENOSPC:
        reason = "the disk is full"
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        reason = "permission denied (the folder or its files are read-only)"
    else:
        reason = exc.strerror or str(exc)
    return f"cannot write the index at {path}: {reason}"


#: The record of the files ingested and the hash of each, beside the index.
MANIFEST_FILE = "files.json"

#: The manifest of a commit being made: written before the commit, with the
#: stamp of the state it was planned on (``base``).
PENDING_FILE = "files.json.pending"


def _load(file: Path) -> Any:
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return {}


def _hashes(data: Any) -> dict[str, str]:
    if isinstance(data, dict) and isinstance(data.get("files"), dict):
        data = data["files"]
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _write_json(file: Path, data: Any) -> None:
    tmp = file.with_name(file.name + ".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, sort_keys=True), encoding="utf-8")
    os.replace(tmp, file)


def read_manifest(folder: Path, stamp: Any) -> dict[str, str]:
    """The hash of each file at its last committed ingest (empty if unknown),
    for an ingest holding the write lock; ``stamp`` tells the index's last
    commit (the engine's: a Whoosh generation, a hash of Tantivy's meta.json).

    The manifest of an ingest is written before its commit (:func:`prepare_manifest`),
    beside the manifest of the last one, with the stamp of the state it was
    planned on: if the index has moved on from that state, its commit was made
    and the new manifest holds; if not, the commit never happened (a crash or a
    failure between the two) and the new manifest is thrown away. So the
    manifest never claims a file whose passages are not committed; at worst a
    file is read again.
    """
    pending = _load(folder / PENDING_FILE)
    if pending is not None:
        if isinstance(pending, dict) and "base" in pending and pending["base"] != stamp:
            with contextlib.suppress(OSError):
                os.replace(folder / PENDING_FILE, folder / MANIFEST_FILE)
            return _hashes(pending)
        (folder / PENDING_FILE).unlink()  # its commit never happened
    return _hashes(_load(folder / MANIFEST_FILE))


def prepare_manifest(folder: Path, stamp: Any, hashes: dict[str, str]) -> None:
    """Write the manifest of a commit about to be made on the state ``stamp``."""
    _write_json(folder / PENDING_FILE, {"base": stamp, "files": hashes})


def settle_manifest(folder: Path, committed: bool, hashes: dict[str, str] | None = None) -> None:
    """After the commit (or instead of it): make the prepared manifest the
    manifest (best effort: :func:`read_manifest` does it otherwise), or throw it
    away. ``hashes`` with no commit: the manifest changes alone."""
    if hashes is not None:
        _write_json(folder / MANIFEST_FILE, {"files": hashes})
    elif committed:
        with contextlib.suppress(OSError):
            os.replace(folder / PENDING_FILE, folder / MANIFEST_FILE)
    else:
        with contextlib.suppress(OSError):
            (folder / PENDING_FILE).unlink()


class _Meter:
    """Counts what an ingest has read and reports it to a progress callback."""

    EVERY = 1000

    def __init__(
        self,
        files: list[tuple[Path, str]],
        report: Callable[[IngestProgress], None] | None,
        started: float,
    ) -> None:
        self.report = report
        self.started = started
        self.total = sum(_size(file) for file, _ in files)
        self.bytes = 0
        self.count = 0

    def read(self, size: int) -> None:
        self.bytes += size

    def skip(self, file: Path, passages_count: int) -> None:
        self.bytes += _size(file)
        self.count += passages_count
        self._tell()

    def passage(self) -> None:
        self.count += 1
        if self.count % self.EVERY == 0:
            self._tell()

    def done(self) -> None:
        self.bytes = max(self.bytes, self.total)
        self._tell()

    def _tell(self) -> None:
        if self.report is not None:
            self.report(
                IngestProgress(
                    passages=self.count,
                    bytes_read=self.bytes,
                    bytes_total=self.total,
                    seconds=time.perf_counter() - self.started,
                )
            )


def _size(file: Path) -> int:
    try:
        return file.stat().st_size
    except OSError:
        return 0


#: The manifest's hash of a file that changed while it was read: matches no file.
EDITED = "edited while read"


def _stamp(file: Path) -> tuple[int, int, int] | None:
    """What changes when a file is written: its modification time, size and inode."""
    try:
        status = file.stat()
    except OSError:
        return None
    return (status.st_mtime_ns, status.st_size, status.st_ino)


def _file_hash(file: Path, origin: str, options: ReadOptions) -> str:
    """A hash of a file's bytes and of how it is read, to skip it when unchanged."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(repr((origin, options)).encode("utf-8"))
    try:
        with file.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", file) from exc
    return digest.hexdigest()


def _place(files: list[tuple[Path, str]], where: int) -> str:
    """Where an ingest read an id, from its ``file number << 32 | line``."""
    return f"{files[where >> 32][0]}:{where & 0xFFFFFFFF}"


def run(
    engine: Engine,
    path: Path,
    options: IngestOptions,
    progress: Callable[[IngestProgress], None] | None = None,
    keep: Callable[[str], bool] | None = None,
) -> IngestReport:
    """Ingest ``path`` into ``engine``: see :meth:`archive.Archive.ingest`.

    ``keep``: for one shard of a sharded archive: only passages whose id it
    accepts are written here; every passage is still read and checked, and the
    others are left to their own shards.

    Raises:
        InputError: a missing path, an unreadable or malformed file (names the
            file and line), or an id given twice.
        IndexLockedError: another writer held the index for too long.
        IndexStoreError: the index cannot be written (names the folder and the
            cause: a full disk, a read-only folder).
    """
    with _sigterm_cancels():
        return _run(engine, path, options, progress, keep)


def _run(
    engine: Engine,
    path: Path,
    options: IngestOptions,
    progress: Callable[[IngestProgress], None] | None,
    keep: Callable[[str], bool] | None,
) -> IngestReport:
    started = time.perf_counter()
    files, skipped = find_files(path, options.exclude)
    meter = _Meter(files, progress, started)
    read = ReadOptions(encoding=options.encoding, columns=options.columns, on_bytes=meter.read)
    procs = options.workers if options.workers is not None else _workers_for(meter.total)
    tally = _Tally()
    try:
        writer = engine.writer(procs=procs)
    except OSError as exc:
        raise IndexStoreError(store_failure(engine.path, exc), engine.path) from exc
    try:
        # Decide against the state this writer holds the lock on, not an older
        # one: another process may have committed meanwhile.
        snapshot = engine.snapshot()
        try:
            known = engine.manifest()
            hashes = _plan(snapshot, writer, files, read, known, meter, tally, keep)
            if options.prune:
                tally.removed += _prune(snapshot, writer, Path(path), files, tally.seen)
        finally:
            snapshot.close()
        meter.done()
        changed = hashes.keys() - known.keys() or any(
            known[k] != h for k, h in hashes.items() if k in known
        )
        writer.commit({**known, **hashes} if changed else None)
    except BaseException as exc:
        writer.cancel()
        if isinstance(exc, OSError):
            raise IndexStoreError(store_failure(engine.path, exc), engine.path) from exc
        raise
    return IngestReport(
        files=tuple(origin for _, origin in files),
        added=tally.added,
        updated=tally.updated,
        unchanged=tally.unchanged,
        removed=tally.removed,
        skipped=tuple(skipped),
        seconds=time.perf_counter() - started,
    )


class _Tally:
    """What an ingest did, and every id it read with where it read it (file
    number << 32 | line), to tell an id given twice. An int rather than a
    "file:line" string: on a million passages this dict is the ingest's largest
    memory."""

    def __init__(self) -> None:
        self.added = self.updated = self.unchanged = self.removed = 0
        self.seen: dict[str, int] = {}


def _plan(
    snapshot: Snapshot,
    writer: Writer,
    files: list[tuple[Path, str]],
    read: ReadOptions,
    known: dict[str, str],
    meter: _Meter,
    tally: _Tally,
    keep: Callable[[str], bool] | None,
) -> dict[str, str]:
    """Send the passages that differ from ``snapshot`` to ``writer``; return the
    hash of every file read."""
    hashes: dict[str, str] = {}
    # Files unchanged since their last ingest are not read again, nor their
    # passages read from the index: only counted.
    skip: dict[str, Path] = {}
    stamps: dict[str, tuple[int, int, int] | None] = {}
    for file, origin in files:
        key = str(file.resolve())
        stamps[key] = _stamp(file)
        hashes[key] = _file_hash(file, origin, read)
        if known.get(key) == hashes[key]:
            held = snapshot.held(key)
            if held:
                skip[key] = file
                tally.unchanged += held
                meter.skip(file, held)
    seen = tally.seen
    empty = snapshot.count() == 0  # a first ingest: no passage to look up
    for number, (file, origin) in enumerate(files):
        key = str(file.resolve())
        if key in skip:
            continue
        before = {record.id for record in snapshot.records(key)}
        for line, passage in passages(file, origin, read):
            meter.passage()
            old = None if empty else snapshot.record(passage.id)
            if passage.id in seen or (old is not None and old.file in skip):
                first = (
                    _place(files, seen[passage.id])
                    if passage.id in seen
                    else f"{skip[old.file]} (unchanged)"  # type: ignore[union-attr]
                )
                raise InputError(f"id {passage.id!r} given twice (first at {first})", file, line)
            seen[passage.id] = number << 32 | line
            before.discard(passage.id)
            if keep is not None and not keep(passage.id):
                continue  # another shard's passage
            digest = _digest(passage, f"{key}:{line}")
            if old is not None and old.digest == digest:
                tally.unchanged += 1
                continue
            record = Record(id=passage.id, file=key, line=line, digest=digest)
            if old is None:
                writer.add(passage, record)
                tally.added += 1
            else:
                writer.update(passage, record)
                tally.updated += 1
        # Passages the file held before and holds no more: edited (an id
        # derived from the text changes with it) or deleted.
        for stale in sorted(before - seen.keys()):
            writer.delete(stale)
            tally.removed += 1
        # A file edited while it was read (after it was hashed): what was read
        # may not be what was hashed, so no hash is recorded that could call
        # it unchanged later (a hash that matches no file: read it again).
        if _stamp(file) != stamps[key] or _file_hash(file, origin, read) != hashes[key]:
            hashes[key] = EDITED
    return hashes


def _prune(
    snapshot: Snapshot,
    writer: Writer,
    root: Path,
    files: list[tuple[Path, str]],
    seen: dict[str, int],
) -> int:
    """Delete the passages of files under ``root`` that are gone; return how many."""
    if not root.is_dir():
        return 0  # a single file is there: it was just ingested
    folder = str(root.resolve()).rstrip(os.sep) + os.sep
    present = {str(file.resolve()) for file, _ in files}
    removed = 0
    for name in snapshot.files():
        if name.startswith(folder) and name not in present:
            for record in snapshot.records(name):
                if record.id not in seen:  # moved into a file of this ingest
                    writer.delete(record.id)
                    removed += 1
    return removed
