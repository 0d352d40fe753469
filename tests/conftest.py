from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest

from archive import Archive

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
#: The shared corpora beside the project, or where ARCHIVE_CORPORA points.
CORPORA = Path(os.environ.get("ARCHIVE_CORPORA", ROOT.parent / "shared" / "corpora"))


def corpus(name: str) -> Path:
    """A file of the shared corpora, or skip the test with the reason."""
    path = CORPORA / name
    if not path.is_file():
        pytest.skip(
            f"shared corpus {path} is absent (only the project's own machines have it; "
            "set ARCHIVE_CORPORA to its folder)"
        )
    return path


def write_jsonl(path: Path, records: Iterable[Mapping[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8"
    )
    return path


@pytest.fixture
def make_archive(tmp_path: Path) -> Callable[..., Archive]:
    """Build an archive in tmp_path from records: make_archive([{"id":..., "text":...}])."""
    counter = iter(range(1000))

    def make(records: Iterable[Mapping[str, Any]], name: str = "passages") -> Archive:
        n = next(counter)
        arc = Archive(tmp_path / f"index{n}")
        arc.ingest(write_jsonl(tmp_path / f"input{n}" / f"{name}.jsonl", records))
        return arc

    return make
