"""The search engines behind :class:`archive.Archive`; the only package that
imports an engine library.

:func:`open_engine` opens the engine an archive folder records in its format
record (``archive.json``), or creates one; each engine's module is imported
only then, so ``import archive`` imports no engine library.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from archive.arabic import Profile
from archive.engine import Engine
from archive.engines.record import FORMAT_FILE
from archive.errors import ArchiveError, IndexFormatError, IndexLayoutError

#: The engines an archive folder can hold, the default first.
ENGINES = ("whoosh", "tantivy")

#: How to install what each engine needs beyond the default install.
EXTRAS = {"tantivy": 'pip install "arabic-archive[tantivy]"'}


#: The layout record of a sharded archive (:mod:`archive.sharded`): a folder
#: holding it holds shards, not one index.
LAYOUT_FILE = "shards.json"


def recorded_engine(path: Path) -> str | None:
    """The engine named by the format record in ``path`` (None without a record;
    ``"whoosh"`` for a record of before engines were named, which the Whoosh
    engine then refuses as too old)."""
    try:
        record = json.loads((path / FORMAT_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return "whoosh"  # the engine reports the damaged record
    name = record.get("engine", "whoosh") if isinstance(record, dict) else "whoosh"
    return str(name)


def open_engine(
    path: str | os.PathLike[str],
    *,
    engine: str | None = None,
    create: bool = True,
    profile: Profile | None = None,
) -> Engine:
    """The engine of the archive folder ``path``: the one its format record names,
    or, to create one, ``engine`` (by default the first of :data:`ENGINES`).

    Raises:
        ArchiveError: ``engine`` is not one of :data:`ENGINES`.
        IndexFormatError: the folder holds another engine's index than ``engine``.
        IndexLayoutError: the folder holds a sharded archive.
        IndexNotFoundError: ``create`` is false and no index is there.
    """
    folder = Path(path)
    if engine is not None and engine not in ENGINES:
        raise ArchiveError(
            f"unknown engine {engine!r} for {folder}; the engines are: {', '.join(ENGINES)}"
        )
    if (folder / LAYOUT_FILE).exists():
        raise IndexLayoutError(
            f"{folder} holds a sharded archive: open it with "
            f"archive.ShardedArchive or archive.open_archive",
            folder,
        )
    recorded = recorded_engine(folder) if folder.is_dir() else None
    if recorded is not None and engine is not None and recorded != engine:
        raise IndexFormatError(
            f"the index at {folder} is a {recorded} index, not {engine}: an engine is "
            "chosen when an index is created",
            folder,
        )
    name = recorded or engine or ENGINES[0]
    if name == "whoosh":
        from archive.engines.whoosh import WhooshEngine

        return WhooshEngine(folder, create=create, profile=profile)
    if name == "tantivy":
        try:
            import tantivy  # noqa: F401  # the extra, before the engine's own modules
        except ImportError:
            raise ArchiveError(
                f"the tantivy engine (for {folder}) needs Tantivy: {EXTRAS['tantivy']}"
            ) from None
        from archive.engines.tantivy import TantivyEngine

        return TantivyEngine(folder, create=create, profile=profile)
    raise IndexFormatError(
        f"the index at {folder} was built by the engine {name!r}, which this version "
        f"does not have (engines: {', '.join(ENGINES)})",
        folder,
    )
