"""The folder of a sharded archive: the layout record and where passages live.

A sharded archive keeps its passages in ``N`` ordinary archive folders,
``path/shard-000`` to ``path/shard-{N-1}``, beside ``path/shards.json``, the
layout record (the number of shards, the engine of the shards, the layout's
version and the folding profile). A passage lives in shard
``stable_shard(id, N)``: a hash of its id, so that re-ingest, updates and
``prune`` find it where it is.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from archive.arabic import Profile
from archive.engines import LAYOUT_FILE
from archive.errors import IndexLayoutError

#: The version of the layout record; bumped when the way passages are routed
#: to shards or the folder layout changes.
LAYOUT_VERSION = 1

#: How passages are routed (written into the layout record).
ROUTING = "blake2b-64(id) mod shards"

#: The marker of an ingest that has not finished on every shard.
PENDING_FILE = "ingest.pending"


def stable_shard(passage_id: str, shards: int) -> int:
    """The shard of a passage: a hash of its id (not Python's ``hash``, which
    changes between processes), modulo the number of shards.

    >>> [stable_shard(f"bukhari:{n}", 4) for n in range(1, 9)]
    [1, 0, 0, 2, 2, 2, 0, 2]
    """
    digest = hashlib.blake2b(passage_id.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % shards


def shard_path(path: Path, shard: int) -> Path:
    """The folder of one shard."""
    return path / f"shard-{shard:03d}"


def is_sharded(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` holds a sharded archive (its layout record)."""
    return (Path(path) / LAYOUT_FILE).is_file()


def read_layout(path: Path) -> dict[str, Any]:
    """The layout record of the sharded archive in ``path``.

    Raises:
        IndexLayoutError: it cannot be read, is of another layout version, or
            names no valid number of shards.
    """
    record_path = path / LAYOUT_FILE
    try:
        record = json.loads(record_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexLayoutError(f"cannot read the layout record {record_path}: {exc}", path) from exc
    shards = record.get("shards") if isinstance(record, dict) else None
    if not isinstance(record, dict) or record.get("layout") != LAYOUT_VERSION:
        raise IndexLayoutError(
            f"the sharded archive at {path} has layout "
            f"{record.get('layout') if isinstance(record, dict) else None!r}; this version "
            f"reads layout {LAYOUT_VERSION}: ingest the original files into a new folder",
            path,
        )
    if not isinstance(shards, int) or isinstance(shards, bool) or shards < 1:
        raise IndexLayoutError(f"{record_path} names no valid number of shards", path)
    return record


def write_layout(path: Path, shards: int, profile: Profile, engine: str) -> None:
    """Write the layout record atomically."""
    record = {
        "layout": LAYOUT_VERSION,
        "shards": shards,
        "engine": engine,
        "routing": ROUTING,
        "profile": profile.to_dict(),
    }
    tmp = path / (LAYOUT_FILE + ".tmp")
    tmp.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path / LAYOUT_FILE)


def check_shards(shards: object, path: Path) -> int:
    """``shards`` if it is a positive integer.

    Raises:
        IndexLayoutError: it is not.
    """
    if not isinstance(shards, int) or isinstance(shards, bool) or shards < 1:
        raise IndexLayoutError(
            f"shards must be a positive integer, not {shards!r} (for {path})", path
        )
    return shards
