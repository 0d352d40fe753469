"""The on-disk index: Whoosh schema, format record, opening, creating and locking.

An archive index is a folder holding a Whoosh index and ``archive.json``, the
format record: the index format number, the analyzer's identity and its
version. Both are checked on open; an index built by another analyzer or
format is refused with :class:`~archive.errors.IndexFormatError`, which says to
rebuild it, instead of a ``ModuleNotFoundError`` from deep inside Whoosh.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import pickle
import re
import warnings
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.fields import ID, STORED, TEXT, Schema
from whoosh.index import LockError

from archive import arabic
from archive.analysis import (
    ANALYSIS_VERSION,
    ANALYZER_NAME,
    EXACT,
    LIGHT,
    SEARCH,
    STEM,
    arabic_analyzer,
)
from archive.errors import (
    ArchiveError,
    IndexFormatError,
    IndexLockedError,
    IndexNotFoundError,
    IndexStoreError,
)

#: The layout of the fields in the index; bumped when the schema changes.
FORMAT_VERSION = 2

#: The name of the format record inside an index folder.
FORMAT_FILE = "archive.json"

#: Seconds a writer waits for another writer's lock before giving up.
LOCK_TIMEOUT = 10.0

#: The searchable text fields, in the order of their weight.
TEXT_FIELDS = ("title", "caption", "text")

#: The field that exact mode searches in place of each text field.
EXACT_FIELDS = {name: f"{name}_exact" for name in TEXT_FIELDS}

#: The stemmed twin of the title and body: words with their clitics taken off.
STEM_FIELDS = {"title": "title_stem", "text": "text_stem"}


def text_field(mode: str = SEARCH, profile: arabic.Profile = arabic.DEFAULT) -> TEXT:
    """A searchable text field with the archive's analyzer in one of its modes.

    Stem fields keep no positions: phrases are searched in the surface and exact
    fields, and a stem field without positions costs a third less to write.
    """
    return TEXT(analyzer=arabic_analyzer(mode, profile), phrase=mode not in (STEM, LIGHT))


def schema(profile: arabic.Profile = arabic.DEFAULT) -> Schema:
    """The schema of an archive index with a folding profile.

    Each text field is indexed folded for search and as written for exact
    mode; title and body also with clitics taken off. The whole passage is
    stored once, as a dict, in ``passage``; ``digest`` is a hash of it, to tell
    unchanged passages on re-ingest.
    """
    fields: dict[str, Any] = {
        "id": ID(unique=True, stored=True),
        "source": ID(),
        "file": ID(),
        "digest": STORED(),
        "passage": STORED(),
    }
    for name in TEXT_FIELDS:
        fields[name] = text_field(SEARCH, profile)
        fields[EXACT_FIELDS[name]] = text_field(EXACT, profile)
    for stem in STEM_FIELDS.values():
        fields[stem] = text_field(STEM, profile)
    return Schema(**fields)


def format_record(profile: arabic.Profile = arabic.DEFAULT) -> dict[str, Any]:
    """What ``archive.json`` says: the format, the analyzer and the folding profile."""
    return {
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


def discard(writer: Any, path: Path) -> None:
    """Cancel ``writer`` and delete the files of its unfinished segment.

    Whoosh's ``cancel`` releases the lock but leaves the new segment's files
    behind until some later commit; the folder is put back as it was.
    """
    segment = writer.newsegment.segment_id()
    writer.cancel()
    for name in os.listdir(path):
        if name.startswith(segment + ".") or name.startswith(segment + "_"):
            with contextlib.suppress(FileNotFoundError):
                os.remove(path / name)


def writer(ix: whoosh_index.Index, path: Path, timeout: float = LOCK_TIMEOUT) -> Any:
    """A Whoosh writer on ``ix``, waiting up to ``timeout`` seconds for the lock.

    Raises:
        IndexLockedError: another writer kept the lock for the whole timeout.
    """
    try:
        return ix.writer(timeout=timeout)
    except LockError:
        raise IndexLockedError(
            f"the index at {path} is being written by another process or thread; "
            f"gave up after waiting {timeout:g}s",
            path,
        ) from None
