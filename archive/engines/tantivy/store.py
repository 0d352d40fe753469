"""The Tantivy index on disk: schema, format record, documents, opening, locking.

An archive folder of this engine holds a Tantivy index and ``archive.json``, the
format record (engine, format, analysis version, folding profile), checked on
open. The archive's own analysis (:mod:`archive.arabic.analysis`) makes every
term: each text field is added as a ``tantivy.PreTokenizedString`` of the
analyzer's tokens (terms, positions, character offsets into the original), so
Tantivy's tokenizers are never used.

Tantivy keeps no weight per token: where the Whoosh engine holds a word's stems
at its position with a third of the weight, this one holds them at the same
position marked with :data:`STEM_MARK`, a term of its own that queries look up
at :data:`archive.arabic.analysis.STEM_BOOST` of the word's weight.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import tantivy

from archive import arabic
from archive.arabic.analysis import ANALYSIS_VERSION, STEM_BOOST, SURFACE, Analyzer
from archive.arabic.tokens import TOKEN_PATTERN
from archive.engine import FIELDS, Record
from archive.errors import (
    ArchiveError,
    IndexFormatError,
    IndexLockedError,
    IndexNotFoundError,
    IndexStoreError,
)
from archive.models import Passage
from archive.query.filters import meta_terms

#: The engine's name, recorded in the format record.
ENGINE = "tantivy"

#: The layout of the fields in the index; bumped when the schema changes.
FORMAT_VERSION = 1

#: The name of the format record inside an index folder.
FORMAT_FILE = "archive.json"

#: The record of the files ingested and the hash of each, beside the index.
MANIFEST_FILE = "files.json"

#: Marks a stem held beside its word in a surface field (a term no written word has).
STEM_MARK = "\x02"

#: Seconds a writer waits for another writer's lock before giving up.
LOCK_TIMEOUT = 10.0

#: Bytes of memory Tantivy's writer buffers before it writes a segment.
WRITER_HEAP = 256_000_000

#: The fields whose terms keep positions (phrases are searched in them).
POSITIONAL = frozenset(name for name, (_, mode) in FIELDS.items() if mode != "light")


def schema() -> tantivy.Schema:
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
    for name in FIELDS:
        option = "position" if name in POSITIONAL else "freq"
        builder.add_text_field(name, tokenizer_name="raw", index_option=option)
    return builder.build()


def format_record(profile: arabic.Profile) -> dict[str, Any]:
    """What ``archive.json`` says: the engine, the format, the analysis and the profile."""
    return {
        "engine": ENGINE,
        "format": FORMAT_VERSION,
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
    except (OSError, ValueError) as exc:
        raise IndexFormatError(f"cannot read {record_path}: {exc}", path) from exc
    if not isinstance(record, dict):
        record = {}
    expected = format_record(arabic.DEFAULT)
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
        index = tantivy.Index(schema(), path=str(path), reuse=False)
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
            return index.writer(heap_size=WRITER_HEAP, num_threads=1)
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


def read_manifest(path: Path) -> dict[str, str]:
    """The hash of each file at its last committed ingest (empty if unknown)."""
    try:
        data = json.loads((path / MANIFEST_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def write_manifest(path: Path, hashes: Mapping[str, str]) -> None:
    """Replace the manifest atomically."""
    tmp = path / (MANIFEST_FILE + ".tmp")
    tmp.write_text(json.dumps(dict(hashes), ensure_ascii=False, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path / MANIFEST_FILE)


def commit_stamp(path: Path) -> tuple[int, int]:
    """What tells one commit from the next: the modification time and size of
    Tantivy's ``meta.json``, which every commit replaces."""
    try:
        status = (path / "meta.json").stat()
    except OSError:
        return (0, 0)
    return (status.st_mtime_ns, status.st_size)


class Documents:
    """Makes the Tantivy documents of passages, with the archive's analysis.

    One analyzer per mode, each keeping the words it has analyzed (a bounded
    cache of its own), so a frequent word is folded once per writer.
    """

    def __init__(self, profile: arabic.Profile) -> None:
        self.analyzers = {mode: Analyzer(mode, profile) for _, mode in FIELDS.values()}

    def tokens(self, text: str, mode: str) -> list[tantivy.Token]:
        """The pre-tokenized terms of ``text`` in one mode; in ``surface``, stems
        beside their words are marked with :data:`STEM_MARK`."""
        weighted = self.analyzers[mode].weighted
        surface = mode == SURFACE
        make = tantivy.Token
        out: list[tantivy.Token] = []
        append = out.append
        position = 0
        for match in TOKEN_PATTERN.finditer(text):
            parts = weighted(match.group())
            if not parts:
                continue
            start, end = match.span()
            for alternatives in parts:
                for term, weight in alternatives:
                    if surface and weight < 1.0:
                        term = STEM_MARK + term
                    append(make(term, position, start, end))
                position += 1
        return out

    def document(self, passage: Passage, record: Record, seq: int) -> tantivy.Document:
        """The document of a passage read from ``record.file`` at ``record.line``."""
        doc = tantivy.Document()
        doc.add_text("id", passage.id)
        doc.add_text("source", passage.source)
        doc.add_text("file", record.file)
        for term in meta_terms(passage.metadata):
            doc.add_text("meta", term)
        doc.add_integer("line", record.line)
        doc.add_integer("seq", seq)
        doc.add_bytes("digest", record.digest.encode("ascii"))
        doc.add_bytes("passage", json.dumps(passage.to_dict(), ensure_ascii=False).encode("utf-8"))
        for name, (attribute, mode) in FIELDS.items():
            text = getattr(passage, attribute)
            if text:
                tokens = self.tokens(text, mode)
                if tokens:
                    doc.add_pre_tokenized_text(name, tantivy.PreTokenizedString(text, tokens))
        return doc


#: The weight of a marked stem against its word, as the Whoosh engine weighs it.
MARKED_WEIGHT = STEM_BOOST
