"""The Tantivy index on disk: schema, format record, documents, opening, locking.

An archive folder of this engine holds a Tantivy index and ``archive.json``, the
format record (engine, format, analysis version, folding profile), checked on
open. The archive's own analysis (:mod:`archive.arabic.analysis`) makes every
term: each text field is added as a ``tantivy.PreTokenizedString`` of the
analyzer's tokens (terms, positions, character offsets into the original), so
Tantivy's tokenizers are never used.

Every text field is given to Tantivy as a string of terms separated by spaces,
one term a position, split by Tantivy's ``whitespace`` tokenizer: no token
objects to parse (the pre-tokenized JSON of format 1 cost the writer ten times
its indexing). A position that holds several terms (a word and its stems, two
spellings of a hamza) holds one *composite* term instead, :data:`COMPOSITE_MARK`
and the terms, sorted; for each of them the ``alts`` field holds the term
``field SEP term SEP composite`` (:data:`SEPARATOR`), so that a query finds
every composite holding its term with one prefix lookup
(:func:`composite_terms`). Offsets are not kept: highlights come from the
archive's own matcher over the stored text.

Tantivy keeps no weight per token: where the Whoosh engine holds a word's stems
at its position with a third of the weight, this one marks them with
:data:`STEM_MARK` (inside the composite of the word), and queries look them up
at :data:`archive.arabic.analysis.STEM_BOOST` of the word's weight.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

import tantivy

from archive import arabic
from archive.arabic.analysis import ANALYSIS_VERSION, STEM_BOOST, SURFACE, Analyzer
from archive.arabic.tokens import TOKEN_PATTERN
from archive.engine import FIELDS, Record, fields_of
from archive.engines.record import FORMAT_FILE, check_format
from archive.errors import (
    ArchiveError,
    IndexLockedError,
    IndexNotFoundError,
    IndexStoreError,
)
from archive.models import Passage
from archive.query.filters import meta_terms

#: The engine's name, recorded in the format record.
ENGINE = "tantivy"

#: The layout of the fields in the index; bumped when the schema changes.
#: 2: terms as text split at spaces, composite terms (1: pre-tokenized JSON).
FORMAT_VERSION = 2


#: The record of the files ingested and the hash of each, beside the index.
MANIFEST_FILE = "files.json"  # written by archive.ingest

#: Marks a stem held beside its word in a surface field (a term no written word has).
STEM_MARK = "\x02"

#: Starts a composite term: the terms of one position, sorted, each after this mark.
COMPOSITE_MARK = "\x03"

#: Separates the field, the term and the composite in a term of :data:`ALTS`.
SEPARATOR = "\x04"

#: The field that lists, for every term held inside composites, those composites.
ALTS = "alts"

#: Seconds a writer waits for another writer's lock before giving up.
LOCK_TIMEOUT = 10.0

#: Bytes of memory Tantivy's writer buffers before it writes a segment (shared
#: by its indexing threads).
WRITER_HEAP = 256_000_000

#: Tantivy's indexing threads.
WRITER_THREADS = 1

#: The fields whose terms keep positions (phrases are searched in them).
#: The fields whose terms can be listed (:meth:`archive.engine.Snapshot.terms`).
TERM_FIELDS = frozenset(("id", "source", "file", "meta", "root", *FIELDS))
POSITIONAL = frozenset(name for name, (_, mode) in FIELDS.items() if mode != "light")  # not root

#: The analysis modes whose fields keep positions (the others hold every term as is).
POSITIONAL_MODES = frozenset(mode for name, (_, mode) in FIELDS.items() if name in POSITIONAL)


def schema(profile: arabic.Profile = arabic.DEFAULT) -> tantivy.Schema:
    """The schema: the fields of :data:`archive.engine.FIELDS` (pre-tokenized),
    ``id``, ``source``, ``file`` and ``meta`` as single terms, the passage stored
    as JSON, and ``seq``, the order of ingest."""
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, tokenizer_name="raw", index_option="basic")
    builder.add_text_field("source", tokenizer_name="raw", index_option="basic")
    builder.add_text_field("file", stored=True, tokenizer_name="raw", index_option="basic")
    builder.add_text_field("meta", tokenizer_name="raw", index_option="basic")
    builder.add_integer_field("line", stored=True)
    builder.add_integer_field("seq", stored=True, fast=True)
    builder.add_bytes_field("digest", stored=True)
    builder.add_bytes_field("passage", stored=True)
    for name in fields_of(profile):
        option = "position" if name in POSITIONAL else "freq"
        builder.add_text_field(name, tokenizer_name="whitespace", index_option=option)
    builder.add_text_field(ALTS, tokenizer_name="whitespace", index_option="basic")
    return builder.build()


def composite(terms: list[str]) -> str:
    """The one term of a position holding several: :data:`COMPOSITE_MARK` before
    each of them, sorted (the same set gives the same term, whatever the word)."""
    return "".join(COMPOSITE_MARK + term for term in sorted(set(terms)))


def composite_terms(
    searcher: tantivy.Searcher, field: str, prefix: str, limit: int | None = None
) -> list[tuple[str, str, int]]:
    """``(term, composite, passages)`` for every composite term of ``field``
    holding a term that starts with ``prefix`` (the whole term, when it ends with
    :data:`SEPARATOR`), read from :data:`ALTS`; at most ``limit`` (then one more,
    to tell that there were more). ``passages`` counts those that held it when
    written (an upper bound: deleted ones count until their segment is merged)."""
    listed = searcher.terms_with_prefix(
        ALTS, field + SEPARATOR + prefix, limit=None if limit is None else limit + 1
    )
    out: list[tuple[str, str, int]] = []
    for entry, count in listed:
        _, term, whole = entry.split(SEPARATOR, 2)
        out.append((term, whole, int(count)))
    return out


def format_record(profile: arabic.Profile) -> dict[str, Any]:
    """What ``archive.json`` says: the engine, the format, the analysis and the profile."""
    return {
        "engine": ENGINE,
        "format": FORMAT_VERSION,
        "analysis_version": ANALYSIS_VERSION,
        "profile": profile.to_dict(),
    }


def _check_format(path: Path, profile: arabic.Profile | None) -> arabic.Profile:
    expected = format_record(arabic.DEFAULT)
    del expected["profile"]
    return check_format(path, expected, profile)


def open_index(
    path: Path, create: bool, profile: arabic.Profile | None
) -> tuple[tantivy.Index, arabic.Profile]:
    """Open the Tantivy index in ``path``; create it (and the folder) if ``create``.

    Raises:
        IndexNotFoundError: no index there and ``create`` is false.
        IndexFormatError: the index was built by another format or profile.
        IndexStoreError: ``path`` is not a folder, cannot be written, or is damaged.
    """
    if path.exists() and not path.is_dir():
        raise IndexStoreError(f"{path} is not a folder", path)
    if (path / FORMAT_FILE).is_file():
        stored = _check_format(path, profile)
        try:
            return tantivy.Index.open(str(path)), stored
        except ValueError as exc:
            raise IndexStoreError(f"cannot open the index at {path}: {exc}", path) from None
    if not create:
        raise IndexNotFoundError(
            f"no archive index in {path} (build one with: "
            f"archive ingest PATH --index {path} --engine tantivy)",
            path,
        )
    profile = profile or arabic.DEFAULT
    try:
        path.mkdir(parents=True, exist_ok=True)
        index = tantivy.Index(schema(profile), path=str(path), reuse=False)
        tmp = path / (FORMAT_FILE + ".tmp")
        tmp.write_text(json.dumps(format_record(profile), indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, path / FORMAT_FILE)
    except (OSError, ValueError) as exc:
        raise IndexStoreError(f"cannot create an index in {path}: {exc}", path) from exc
    return index, profile


def writer(index: tantivy.Index, path: Path, timeout: float | None = None) -> Any:
    """Tantivy's writer on ``index``, waiting up to ``timeout`` seconds (by default
    :data:`LOCK_TIMEOUT`) for another writer's lock.

    Raises:
        IndexLockedError: another writer kept the lock for the whole timeout.
    """
    wait = LOCK_TIMEOUT if timeout is None else timeout
    deadline = time.monotonic() + wait
    while True:
        try:
            return index.writer(heap_size=WRITER_HEAP, num_threads=WRITER_THREADS)
        except ValueError as exc:
            if "LockBusy" not in str(exc):
                raise IndexStoreError(f"cannot write the index at {path}: {exc}", path) from None
            if time.monotonic() > deadline:
                raise IndexLockedError(
                    f"the index at {path} is being written by another process or thread; "
                    f"gave up after waiting {wait:g}s",
                    path,
                ) from None
            time.sleep(0.05)


def write_error(path: Path, exc: Exception) -> IndexStoreError:
    """The error of a Tantivy write that failed (Tantivy raises ``ValueError``)."""
    text = str(exc)
    if "No space left" in text or "os error 28" in text:
        text = "the disk is full"
    elif "Permission denied" in text or "os error 13" in text or "os error 30" in text:
        text = "permission denied (the folder or its files are read-only)"
    return IndexStoreError(f"cannot write the index at {path}: {text}", path)


def read_manifest(path: Path) -> dict[str, str]:
    """The hash of each file at its last committed ingest, for a writer holding
    the lock (:func:`archive.ingest.read_manifest`, keyed by :func:`meta_stamp`)."""
    from archive.ingest import read_manifest as read

    return read(path, meta_stamp(path))


def meta_stamp(path: Path) -> str:
    """A hash of Tantivy's ``meta.json``, which every commit replaces (its
    opstamp changes): tells one commit from another."""
    try:
        data = (path / "meta.json").read_bytes()
    except FileNotFoundError:
        return ""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def commit_stamp(path: Path) -> tuple[int, int]:
    """What tells one commit from the next: the modification time and size of
    Tantivy's ``meta.json``, which every commit replaces."""
    try:
        status = (path / "meta.json").stat()
    except OSError:
        return (0, 0)
    return (status.st_mtime_ns, status.st_size)


class _Words(dict[str, str]):
    """The terms of each word in one mode, as text (:meth:`Documents._make`),
    made on first use, and in ``alts`` the :data:`ALTS` entries of the words that
    have some; both emptied together when it holds :data:`Documents.CACHE_SIZE`
    words (a word whose text is kept always has its entries)."""

    __slots__ = ("alts", "make")

    def __init__(self, make: Any) -> None:
        super().__init__()
        self.make = make
        self.alts: dict[str, tuple[str, ...]] = {}

    def __missing__(self, word: str) -> str:
        if len(self) >= Documents.CACHE_SIZE:
            self.clear()
            self.alts.clear()
        made: str
        alts: tuple[str, ...]
        made, alts = self.make(word)
        self[word] = made
        if alts:
            self.alts[word] = alts
        return made


class Documents:
    """Makes the Tantivy documents of passages, with the archive's analysis.

    Each text is split into words once; each word's terms in each mode are
    kept as text in a bounded cache of this object's own (:data:`CACHE_SIZE`
    words a mode), so that a frequent word is analyzed once per writer and a
    field's text is made by joining its words' (no Python loop per word).
    """

    #: Words whose terms are kept, per mode.
    CACHE_SIZE = 200_000

    def __init__(self, profile: arabic.Profile) -> None:
        fields = fields_of(profile)
        modes = {mode for _, mode in fields.values()}
        self.analyzers = {mode: Analyzer(mode, profile, cache_size=0) for mode in modes}
        #: The words of each field, and the text of each field's attribute.
        self._words: dict[str, _Words] = {}
        self._fields: dict[str, list[tuple[str, _Words]]] = {}
        for name, (attribute, mode) in fields.items():
            words = _Words(functools.partial(self._make, name, mode))
            self._words[name] = words
            self._fields.setdefault(attribute, []).append((name, words))

    def _make(self, name: str, mode: str, word: str) -> tuple[str, tuple[str, ...]]:
        """The terms of ``word`` in field ``name`` (analyzed in ``mode``) as text:
        in a positional field one term a position (a composite where several
        share it), else every term; and the :data:`ALTS` entries of its
        composites (``name SEP term SEP composite``)."""
        heads: list[str] = []
        alts: list[str] = []
        for alternatives in self.analyzers[mode].weighted(word):
            terms = [
                STEM_MARK + term if mode == SURFACE and weight < 1.0 else term
                for term, weight in alternatives
            ]
            if mode not in POSITIONAL_MODES:
                heads += terms
            elif len(terms) == 1:
                heads.append(terms[0])
            else:
                whole = composite(terms)
                heads.append(whole)
                alts += [name + SEPARATOR + term + SEPARATOR + whole for term in set(terms)]
        return " ".join(heads), tuple(alts)

    def fields(self, passage: Passage) -> dict[str, str]:
        """The text of terms of each text field of a passage (and of :data:`ALTS`)."""
        out: dict[str, str] = {}
        alts: set[str] = set()
        for attribute, names in self._fields.items():
            text = getattr(passage, attribute)
            if not text:
                continue
            words = TOKEN_PATTERN.findall(text)
            distinct: set[str] | None = None
            for name, cache in names:
                made = " ".join(map(cache.__getitem__, words))
                if made:
                    out[name] = made
                held = cache.alts
                if held:
                    distinct = set(words) if distinct is None else distinct
                    for word in held.keys() & distinct:
                        alts.update(held[word])
        if alts:
            out[ALTS] = " ".join(alts)
        return out

    def json(self, passage: Passage, record: Record, seq: int) -> str:
        """The document of a passage read from ``record.file`` at ``record.line``,
        as the JSON that Tantivy's ``add_json`` reads: each text field as its
        terms separated by spaces. Plain text, cheap to send from a worker
        process."""
        passage_json = json.dumps(passage.to_dict(), ensure_ascii=False).encode("utf-8")
        return json.dumps(
            {
                "id": passage.id,
                "source": passage.source,
                "file": record.file,
                "meta": meta_terms(passage.metadata),
                "line": record.line,
                "seq": seq,
                "digest": base64.b64encode(record.digest.encode("ascii")).decode("ascii"),
                "passage": base64.b64encode(passage_json).decode("ascii"),
                **self.fields(passage),
            },
            ensure_ascii=False,
        )


#: The weight of a marked stem against its word, as the Whoosh engine weighs it.
MARKED_WEIGHT = STEM_BOOST


#: Passages a worker process makes documents of at a time.
BATCH_SIZE = 200

#: Batches sent to a worker before its first is read back: one, or a worker
#: blocked sending its documents and the writer blocked sending it a batch wait
#: on each other for ever (a pipe holds 64 KiB).
IN_FLIGHT = 1


def _analyst(connection: Any, others: list[Any], profile: arabic.Profile, parent: int) -> None:
    """A worker process: makes the documents of each batch it receives, until the
    batch ``None`` or until its parent goes away (the pipe closes, or the parent
    dies: :func:`archive.ingest.leave_with_parent`)."""
    from archive.ingest import leave_with_parent

    leave_with_parent(parent)
    for other in others:  # the parent's ends of every pipe, inherited by the fork
        other.close()
    documents = Documents(profile)
    while True:
        try:
            batch = connection.recv()
        except (EOFError, OSError):
            return
        if batch is None:
            return
        try:
            made = [documents.json(p, r, seq) for p, r, seq in batch]
        except Exception as exc:  # sent back whole, raised by the writer
            made = exc  # type: ignore[assignment]
        try:
            connection.send(made)
        except (BrokenPipeError, OSError):
            return


class Analysts:
    """Worker processes that make documents while the writer's process indexes:
    batches go to them in turn and come back in the same order."""

    def __init__(self, profile: arabic.Profile, procs: int) -> None:
        import multiprocessing

        from archive.ingest import start_worker

        context = multiprocessing.get_context("fork")
        pipes = [context.Pipe() for _ in range(procs)]
        self._connections = [parent for parent, _ in pipes]
        self._processes = []
        try:
            for _, child in pipes:
                process = context.Process(
                    target=_analyst,
                    args=(child, self._connections, profile, os.getpid()),
                    daemon=True,
                )
                self._processes.append(process)  # before: close() stops it
                start_worker(process)
                child.close()
        except BaseException:  # a cancel, or a fork that failed: none left behind
            for _, child in pipes:
                child.close()
            self.close()
            raise
        self._sent: list[int] = [0] * procs  # batches sent and not yet read, a worker
        self._order: list[int] = []  # the worker of each batch not yet read, in order
        self._next = 0

    def send(self, batch: list[tuple[Passage, Record, int]]) -> list[str]:
        """Send a batch; return the documents of the batches done meanwhile (in order)."""
        worker = self._next
        self._next = (self._next + 1) % len(self._connections)
        done: list[str] = []
        while self._sent[worker] >= IN_FLIGHT:
            done += self._receive()
        self._connections[worker].send(batch)
        self._sent[worker] += 1
        self._order.append(worker)
        return done

    def _receive(self) -> list[str]:
        worker = self._order.pop(0)
        try:
            made = self._connections[worker].recv()
        except (EOFError, OSError):
            codes = [p.exitcode for p in self._processes]
            raise ArchiveError(
                f"a worker making documents died (exit codes {codes}); "
                "nothing of this ingest was committed"
            ) from None
        self._sent[worker] -= 1
        if isinstance(made, Exception):
            raise made
        documents: list[str] = made
        return documents

    def drain(self) -> list[str]:
        """The documents of every batch sent and not yet read."""
        done: list[str] = []
        while self._order:
            done += self._receive()
        return done

    def close(self) -> None:
        """Stop the workers (at once: their work is not needed any more)."""
        for connection in self._connections:
            with contextlib.suppress(OSError):
                connection.close()
        for process in self._processes:
            if process.pid is None:  # never started
                continue
            process.join(timeout=1)
            if process.is_alive():
                process.kill()
                process.join()
