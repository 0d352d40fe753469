"""What every engine's folder holds beside its index: the format record
(``archive.json``: the engine, its format, the analysis version, the folding
profile), checked on open the same way for every engine, and the folder's size.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from archive import arabic
from archive.errors import ArchiveError, IndexFormatError

#: The name of the format record inside an index folder.
FORMAT_FILE = "archive.json"


def rebuild_hint(path: Path) -> str:
    """What to do with an index this version cannot read."""
    return (
        f"rebuild it: ingest the original files into a new folder "
        f"(or delete {path} and ingest again)"
    )


def check_format(
    path: Path, expected: Mapping[str, Any], profile: arabic.Profile | None
) -> arabic.Profile:
    """The folding profile of the index in ``path``, after checking that its format
    record holds every value of ``expected`` and, if ``profile`` is given, that
    profile.

    Raises:
        IndexFormatError: the record cannot be read, says another engine, format
            or analysis, or another profile (each message says to rebuild).
        FileNotFoundError: there is no record (each engine says what that means).
    """
    record_path = path / FORMAT_FILE
    try:
        record = json.loads(record_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise
    except (OSError, ValueError) as exc:
        raise IndexFormatError(f"cannot read {record_path}: {exc}", path) from exc
    if not isinstance(record, dict):
        record = {}
    wrong = [
        f"{key} {record.get(key)!r} (this version needs {value!r})"
        for key, value in expected.items()
        if record.get(key) != value
    ]
    if wrong:
        raise IndexFormatError(
            f"the index at {path} was built with {', '.join(wrong)}; {rebuild_hint(path)}",
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
            f"{rebuild_hint(path)}",
            path,
        )
    return stored


def folder_bytes(path: Path) -> int:
    """The size of the files of a folder (not of its subfolders)."""
    size = 0
    for file in path.iterdir():
        with contextlib.suppress(FileNotFoundError):  # merged away by a writer
            if file.is_file():
                size += file.stat().st_size
    return size
