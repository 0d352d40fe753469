"""Readers: turn input files into passages. They know nothing of Whoosh.

Each format has a module with a ``read(path, origin)`` generator yielding
``(line, Passage)`` pairs, where a passage without an id in the input has the id
``""``. :func:`passages` picks the reader by suffix, puts the text in Unicode
NFC, gives every passage its stable id, and checks ids are unique per call.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import stat
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import attrs

from archive import arabic
from archive.errors import InputError
from archive.models import Passage
from archive.readers import jsonl, markdown, openiti, table, text
from archive.readers.options import ReadOptions

Reader = Callable[[Path, str, ReadOptions], Iterator[tuple[int, Passage]]]

#: The reader for each file suffix (lowercase).
READERS: dict[str, Reader] = {
    ".txt": text.read,
    ".jsonl": jsonl.read,
    ".csv": table.read,
    ".tsv": table.read_tsv,
    ".md": markdown.read,
    ".markdown": markdown.read,
}


def reader_for(file: Path) -> Reader | None:
    """The reader of a file: OpenITI's by its name (its URI ends with a language
    code and a number: ``...Shamela0007536-ara1``, ``...-ara1.mARkdown``; checked
    first, so that the ``.mARkdown`` suffix is not read as Markdown), or by its
    suffix."""
    if openiti.NAME.search(file.name):
        return openiti.read
    return READERS.get(file.suffix.lower())


_KINDS = {
    stat.S_IFIFO: "a FIFO (named pipe)",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
}


def _kind(path: Path) -> str | None:
    """What ``path`` is (symbolic links followed): "file", "folder", another
    kind of file named for a message, or None when there is nothing."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return None
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISDIR(mode):
        return "folder"
    return _KINDS.get(stat.S_IFMT(mode), "not a file or folder")


def find_files(
    path: str | os.PathLike[str], exclude: Sequence[str] = ()
) -> tuple[list[tuple[Path, str]], list[str]]:
    """The files to read under ``path`` as ``(file, origin)``, and the files skipped.

    ``origin`` is the file's path relative to the folder given (or its name when
    a single file is given), with ``/`` separators: ``texts/a/b.txt`` ingested
    as ``texts`` has the origin ``a/b.txt``. Hidden files and folders (their
    names start with ``.``) are passed over; files of other suffixes are skipped.
    A folder ingest takes every file a reader reads by its suffix or OpenITI
    name (:data:`READERS`), a ``README.md`` or ``SOURCES.txt`` among them;
    ``exclude`` holds globs (``fnmatch``) of files to skip, matched against the
    origin and against the file's name: ``("README*", "SOURCES.txt", "drafts/*")``.

    Only regular files are read: a FIFO, a device or a socket in a folder is
    skipped (never opened: a FIFO would block), and refused as the path.

    Raises:
        InputError: the path does not exist, or is not a regular file or folder.
    """
    root = Path(path)
    kind = _kind(root)
    if kind not in (None, "folder", "file"):
        raise InputError(f"not a regular file: {kind}", root)
    if kind == "file":
        if reader_for(root) is None:
            raise InputError(
                f"unsupported file type {root.suffix or '(none)'!r}; "
                f"the archive reads {', '.join(sorted(READERS))} and OpenITI texts",
                root,
            )
        return [(root, root.name)], []
    if kind is None:
        raise InputError("no such file or folder", root)
    found: list[tuple[Path, str]] = []
    skipped: list[str] = []
    seen: set[tuple[int, int]] = set()
    for folder, dirnames, filenames in os.walk(root, followlinks=True):
        st = os.stat(folder)
        if (st.st_dev, st.st_ino) in seen:  # a symlink loop
            dirnames.clear()
            continue
        seen.add((st.st_dev, st.st_ino))
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            file = Path(folder) / name
            origin = file.relative_to(root).as_posix()
            if any(fnmatch.fnmatchcase(o, g) for g in exclude for o in (origin, name)):
                skipped.append(origin)
            elif reader_for(file) is not None and _kind(file) == "file":  # never a FIFO
                found.append((file, origin))
            else:
                skipped.append(origin)
    return found, skipped


def derive_id(origin: str, passage: Passage) -> str:
    """A stable id for a passage given without one: the file's stem and a content hash.

    Unchanged content in an unchanged place keeps its id across re-ingests.
    """
    digest = hashlib.blake2b(
        "\x1f".join((origin, passage.title, passage.caption, passage.text)).encode("utf-8"),
        digest_size=6,
    ).hexdigest()
    stem = origin.rsplit(".", 1)[0]
    return f"{stem}:{digest}"


def _normalized(passage: Passage) -> Passage:
    return attrs.evolve(
        passage,
        title=arabic.nfc(passage.title),
        text=arabic.nfc(passage.text),
        caption=arabic.nfc(passage.caption),
    )


def passages(
    file: Path, origin: str, options: ReadOptions | None = None
) -> Iterator[tuple[int, Passage]]:
    """Read one file: ``(line, passage)`` with text in NFC and every id set.

    Raises:
        InputError: the file is unreadable or malformed (names the file and line).
    """
    reader = reader_for(file)
    assert reader is not None, file
    derived: dict[str, int] = {}
    count = 0
    try:
        for line, passage in reader(file, origin, options or ReadOptions()):
            passage = _normalized(passage)
            if not passage.id:
                base = derive_id(origin, passage)
                n = derived.get(base, 0) + 1
                derived[base] = n
                passage = attrs.evolve(passage, id=base if n == 1 else f"{base}-{n}")
            count += 1
            yield line, passage
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", file) from exc
    if count == 0:
        raise InputError("empty file: no passages in it", file)


__all__ = ["READERS", "ReadOptions", "derive_id", "find_files", "passages"]
