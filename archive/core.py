"""The :class:`Archive` facade: one index folder, ingest, search and retrieval."""

from __future__ import annotations

import contextlib
import hashlib
import json
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from archive import index as store
from archive.arabic import Profile
from archive.errors import ArchiveError, InputError, PassageNotFoundError, QueryError
from archive.models import (
    CountGroup,
    Counts,
    Hit,
    IngestProgress,
    IngestReport,
    KwicLine,
    Passage,
    SearchResults,
)
from archive.readers import ReadOptions, find_files, passages
from archive.search import Filters, Searcher


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


def _hashable(value: Any) -> Any:
    return (
        json.dumps(value, ensure_ascii=False, sort_keys=True)
        if isinstance(value, (list, dict))
        else value
    )


def concordance(query: str, width: int, hits: Callable[[], Iterator[Hit]]) -> Iterator[KwicLine]:
    """The concordance lines of every hit that ``hits()`` yields, for ``kwic``.

    Raises:
        QueryError: ``width`` is not a positive integer (before any search).
    """
    if isinstance(width, bool) or not isinstance(width, int) or width < 1:
        raise QueryError(f"width must be a positive integer, not {width!r}", query)
    for hit in hits():
        yield from kwic_lines(hit, width)


def kwic_lines(hit: Hit, width: int) -> Iterator[KwicLine]:
    """The concordance lines of one hit, ``width`` characters of context each side."""
    p = hit.passage
    text = p.text
    for start, end in hit.highlights:
        yield KwicLine(
            passage_id=p.id,
            source=p.source,
            title=p.title,
            left=_one_line(text[max(0, start - width) : start]),
            match=text[start:end],
            right=_one_line(text[end : end + width]),
            start=start,
            end=end,
            volume=p.metadata.get("volume"),
            page=p.metadata.get("page"),
        )


def _one_line(text: str) -> str:
    return text.replace("\r", " ").replace("\n", " ").replace("\t", " ")


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


def _load(fields: dict[str, Any]) -> Passage:
    return Passage.from_dict(fields["passage"])


class Archive:
    """A searchable archive of Arabic passages, kept in one index folder.

    ``Archive(path)`` opens the index in ``path`` or creates it there;
    ``Archive(path, create=False)`` only opens, and a folder without an index
    raises :class:`~archive.errors.IndexNotFoundError` without creating anything.
    ``profile`` chooses the folding profile of a new index (see
    :class:`~archive.arabic.Profile`); an existing index keeps the profile it was
    created with, and asking for another one raises ``IndexFormatError``.

    One ``Archive`` can be shared by the threads of a process: searches reuse
    one Whoosh searcher and refresh it when the index has changed.

    Raises:
        IndexNotFoundError: ``create=False`` and no index in ``path``.
        IndexFormatError: the index was built by an incompatible version.
    """

    def __init__(
        self,
        path: str | os.PathLike[str] = "index",
        *,
        create: bool = True,
        profile: Profile | None = None,
    ) -> None:
        self.path = Path(path)
        self._ix, self.profile = store.open_index(self.path, create=create, profile=profile)
        # One lock for the shared searcher (Whoosh's searchers are not safe
        # to use from two threads at once), another for writing, so that
        # searches go on while an ingest runs.
        self._lock = threading.RLock()
        self._writing = threading.Lock()
        self._searcher: Any = None
        self._search = Searcher(self.profile)

    def __repr__(self) -> str:
        return f"Archive({str(self.path)!r})"

    # --- reading -------------------------------------------------------------

    def _current(self) -> Any:
        """The shared Whoosh searcher, refreshed if another writer committed."""
        with self._lock:
            if self._searcher is None:
                self._searcher = store.searcher(self._ix, self.path, self._search.weighting)
            elif not self._searcher.up_to_date():
                # A new searcher, not Searcher.refresh(): Whoosh's refresh reuses
                # segment readers by segment id, so it keeps documents deleted
                # since (an updated passage would show twice) and puts back
                # segments that a merge removed.
                old = self._searcher
                self._searcher = store.searcher(self._ix, self.path, self._search.weighting)
                old.close()
            return self._searcher

    def search(
        self,
        query: str,
        *,
        limit: int | None = 10,
        page: int = 1,
        exact: bool = False,
        match: str = "all",
        source: str | None = None,
        where: Mapping[str, Any] | None = None,
        sort: str = "score",
    ) -> SearchResults:
        """Search the archive.

        ``match="all"`` (the default): every word must match unless ``OR`` says
        otherwise. ``match="any"``: passages holding any of the words, ranked;
        question words and particles (ما، من، هو، في ...) are dropped, for
        questions and pasted sentences. Ranking is BM25F over title, caption and
        body; a word found as written weighs more than one found through its
        stem (clitics taken off). ``exact=True``: letters as written, and every
        mark written in the query must stand on the same letter in the text
        (عِلم finds عِلْمٌ but not عَلَم). ``limit=None`` returns every hit.

        Filters: ``source`` is a glob on the passage's source (``"bukhari*"``);
        ``where`` maps metadata keys to the values they must have
        (``{"volume": 1}``). ``sort``: ``"score"`` (the default), ``"source"``
        (the order of the passages in their sources) or ``"meta:KEY"`` (by a
        metadata value, passages without it last).

        Raises:
            QueryError: the query is empty or has no searchable word,
                ``limit``/``page`` is not a positive integer, or a filter or
                sort order is not one of the above.
        """
        filters = Filters.make(source, where)
        with self._lock:
            return self._search.run(
                self._current(),
                query,
                limit=limit,
                page=page,
                exact=exact,
                match=match,
                load=_load,
                filters=filters,
                sort=sort,
            )

    def hits(
        self,
        query: str,
        *,
        exact: bool = False,
        match: str = "all",
        source: str | None = None,
        where: Mapping[str, Any] | None = None,
        sort: str = "score",
    ) -> Iterator[Hit]:
        """Every hit of a query, in order, one at a time.

        The same search as :meth:`search` (the same arguments) without a limit;
        each passage is read when its hit is reached, so a million hits are
        not held in memory. The iterator searches the index as it was when it
        started, even if an ingest commits meanwhile.

        Raises:
            QueryError: as :meth:`search`, when the iterator starts.
        """
        filters = Filters.make(source, where)
        searcher = store.searcher(self._ix, self.path, self._search.weighting)
        try:
            ranked, locate = self._search.ranked(
                searcher, query, exact=exact, match=match, filters=filters, sort=sort
            )
            for rank, (docnum, score) in enumerate(ranked, 1):
                passage = _load(searcher.stored_fields(docnum))
                yield Hit(passage=passage, score=score, rank=rank, locate=locate)
        finally:
            searcher.close()

    def kwic(
        self,
        query: str,
        *,
        width: int = 40,
        exact: bool = False,
        match: str = "all",
        source: str | None = None,
        where: Mapping[str, Any] | None = None,
        sort: str = "score",
    ) -> Iterator[KwicLine]:
        """A keyword-in-context concordance: one line per occurrence of a match.

        Each line holds ``width`` characters of text on each side of the
        matched word as written, and where it stands (passage, source, title,
        volume and page from the metadata). Passages come in the order of
        ``sort``, occurrences in text order.

        Raises:
            QueryError: as :meth:`search`, or a ``width`` that is not a positive integer.
        """
        yield from concordance(
            query,
            width,
            lambda: self.hits(
                query, exact=exact, match=match, source=source, where=where, sort=sort
            ),
        )

    def count(
        self,
        query: str,
        *,
        by: str | None = None,
        exact: bool = False,
        match: str = "all",
        source: str | None = None,
        where: Mapping[str, Any] | None = None,
    ) -> Counts:
        """How many passages and occurrences match, in all and grouped ``by``
        ``"source"``, ``"title"`` or a metadata key (groups largest first).

        Raises:
            QueryError: as :meth:`search`.
        """
        groups: dict[Any, list[int]] = {}
        for hit in self.hits(query, exact=exact, match=match, source=source, where=where):
            if by is None:
                key = None
            elif by in ("source", "title"):
                key = getattr(hit.passage, by)
            else:
                key = hit.passage.metadata.get(by)
            tally = groups.setdefault(_hashable(key), [0, 0])
            tally[0] += 1
            tally[1] += len(hit.highlights)
        ordered = sorted(groups.items(), key=lambda kv: (-kv[1][0], str(kv[0])))
        return Counts(
            query=query,
            by=by,
            passages=sum(t[0] for t in groups.values()),
            occurrences=sum(t[1] for t in groups.values()),
            groups=tuple(CountGroup(key=k, passages=p, occurrences=o) for k, (p, o) in ordered),
        )

    def get(self, passage_id: str) -> Passage:
        """The passage with this id.

        Raises:
            PassageNotFoundError: no passage has that id (a ``KeyError`` too).
        """
        with self._lock:
            fields = self._current().document(id=str(passage_id))
        if fields is None:
            raise PassageNotFoundError(str(passage_id), self.path)
        return _load(fields)

    def __contains__(self, passage_id: object) -> bool:
        with self._lock:
            return self._current().document(id=str(passage_id)) is not None

    def __len__(self) -> int:
        with self._lock:
            return int(self._current().doc_count())

    def __iter__(self) -> Iterator[Passage]:
        """Every passage, in index order (the order of ingest, updates last), read
        one at a time from the index as it was when the iteration started."""
        searcher = store.searcher(self._ix, self.path)
        try:
            for fields in searcher.all_stored_fields():
                yield _load(fields)
        finally:
            searcher.close()

    # --- writing -------------------------------------------------------------

    def ingest(
        self,
        path: str | os.PathLike[str],
        *,
        workers: int | None = None,
        encoding: str | None = None,
        columns: Mapping[str, str] | None = None,
        prune: bool = False,
        progress: Callable[[IngestProgress], None] | None = None,
        keep: Callable[[str], bool] | None = None,
    ) -> IngestReport:
        """Ingest a file or a folder of ``.txt`` and ``.jsonl`` files.

        New passages are added, changed ones replaced, unchanged ones left as
        they are, and passages a file held at its last ingest but holds no more
        are removed (an edited passage without an id in the input gets a new
        id). All or nothing: on any error nothing of this call is kept.

        ``prune=True``: also remove the passages of files under ``path`` that
        are gone (deleted, renamed or moved away since they were ingested).

        ``progress``: called now and then (every 1,000 passages and at the end)
        with an :class:`~archive.models.IngestProgress`, for a progress bar.

        ``columns``: which CSV/TSV column or JSON Lines key holds each passage
        field, for inputs that name them otherwise (``{"text": "body"}``).

        ``encoding``: the files' encoding; by default each file's is detected
        (UTF-8, UTF-8 or UTF-16 with a byte order mark, or Windows-1256).

        ``workers``: worker processes that analyze and write the passages. By
        default, one per core plus one when the input is large enough to pay
        for starting them (:data:`PARALLEL_BYTES`), the platform forks and the
        process runs no other thread; ``workers=1`` indexes in this process.

        Memory: files are read as streams, never whole; this process holds
        about 130 bytes for each passage of the call (its id, to tell an id
        given twice) and each worker process up to :data:`archive.index.POOL_MB`
        of postings before it spills them to disk (measured on a million
        passages: 160 MiB here, 407 MiB a worker; ``benchmarks/scale.py``).

        ``keep``: for one shard of a sharded archive (:mod:`archive.distributed`):
        only passages whose id it accepts are written here; every passage is
        still read and checked, and the others are left to their own shards.

        Raises:
            InputError: a missing path, an unreadable or malformed file (names
                the file and line), or an id given twice.
            IndexLockedError: another writer held the index for too long.
        """
        started = time.perf_counter()
        files, skipped = find_files(path)
        meter = _Meter(files, progress, started)
        options = ReadOptions(encoding=encoding, columns=columns, on_bytes=meter.read)
        added = updated = unchanged = removed = 0
        # Every id this call reads, with where it was read (file number << 32 |
        # line), to tell an id given twice. An int rather than a "file:line"
        # string: on a million passages this dict is the ingest's largest memory.
        seen: dict[str, int] = {}
        procs = workers if workers is not None else _workers_for(meter.total)
        with self._writing:
            writer = store.writer(self._ix, self.path, procs=procs)
            try:
                # Decide against the state this writer holds the lock on, not an
                # older one: another process may have committed meanwhile.
                reader = store.searcher(self._ix, self.path)
                known = store.read_manifest(self.path)
                hashes: dict[str, str] = {}
                # Files unchanged since their last ingest are not read again,
                # nor their passages read from the index: only counted.
                skip: dict[str, Path] = {}
                try:
                    for file, origin in files:
                        key = str(file.resolve())
                        hashes[key] = _file_hash(file, origin, options)
                        if known.get(key) == hashes[key]:
                            held = sum(1 for _ in reader.document_numbers(file=key))
                            if held:
                                skip[key] = file
                                unchanged += held
                                meter.skip(file, held)
                    for number, (file, origin) in enumerate(files):
                        key = str(file.resolve())
                        if key in skip:
                            continue
                        before = {fields["id"] for fields in reader.documents(file=key)}
                        for line, passage in passages(file, origin, options):
                            meter.passage()
                            old = reader.document(id=passage.id)
                            if passage.id in seen or (old is not None and old["file"] in skip):
                                first = (
                                    _place(files, seen[passage.id])
                                    if passage.id in seen
                                    else f"{skip[old['file']]} (unchanged)"
                                )
                                raise InputError(
                                    f"id {passage.id!r} given twice (first at {first})", file, line
                                )
                            seen[passage.id] = number << 32 | line
                            before.discard(passage.id)
                            if keep is not None and not keep(passage.id):
                                continue  # another shard's passage
                            digest = _digest(passage, f"{key}:{line}")
                            if old is not None and old.get("digest") == digest:
                                unchanged += 1
                                continue
                            doc = self._document(passage, key, line, digest)
                            if old is None:
                                writer.add_document(**doc)
                                added += 1
                            else:
                                writer.update_document(**doc)
                                updated += 1
                        # Passages the file held before and holds no more: edited
                        # (an id derived from the text changes with it) or deleted.
                        for stale in sorted(before - seen.keys()):
                            writer.delete_by_term("id", stale)
                            removed += 1
                    if prune:
                        removed += self._prune(reader, writer, Path(path), files, seen)
                finally:
                    reader.close()
                meter.done()
                if added or updated or removed:
                    writer.commit()
                else:
                    store.discard(writer, self._ix, self.path)
                if hashes.keys() - known.keys() or any(
                    known[k] != h for k, h in hashes.items() if k in known
                ):
                    store.write_manifest(self.path, {**known, **hashes})
            except BaseException as exc:
                store.discard(writer, self._ix, self.path)
                if isinstance(exc, OSError):
                    raise ArchiveError(f"cannot write the index at {self.path}: {exc}") from exc
                raise
            self._current()
        return IngestReport(
            files=tuple(origin for _, origin in files),
            added=added,
            updated=updated,
            unchanged=unchanged,
            removed=removed,
            skipped=tuple(skipped),
            seconds=time.perf_counter() - started,
        )

    @staticmethod
    def _prune(
        reader: Any, writer: Any, root: Path, files: list[tuple[Path, str]], seen: dict[str, int]
    ) -> int:
        """Delete the passages of files under ``root`` that are gone; return how many."""
        if not root.is_dir():
            return 0  # a single file is there: it was just ingested
        folder = str(root.resolve()).rstrip(os.sep) + os.sep
        present = {str(file.resolve()) for file, _ in files}
        removed = 0
        for term in list(reader.lexicon("file")):
            name = term.decode("utf-8")
            if name.startswith(folder) and name not in present:
                for fields in reader.documents(file=name):
                    if fields["id"] not in seen:  # moved into a file of this ingest
                        writer.delete_by_term("id", fields["id"])
                        removed += 1
        return removed

    @staticmethod
    def _document(passage: Passage, file: str, line: int, digest: str) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "id": passage.id,
            "source": passage.source,
            "file": file,
            "line": line,
            "digest": digest,
            "passage": passage.to_dict(),
            "meta": store.META_SEPARATOR.join(store.meta_terms(passage.metadata)),
        }
        for name in store.TEXT_FIELDS:
            value = getattr(passage, name)
            doc[name] = value
            doc[store.EXACT_FIELDS[name]] = value
        for name, stem in store.STEM_FIELDS.items():
            doc[stem] = getattr(passage, name)
        return doc

    # --- lifecycle -----------------------------------------------------------

    def close(self) -> None:
        """Release the searcher's open files. The archive reopens them if used again."""
        with self._lock:
            if self._searcher is not None:
                self._searcher.close()
                self._searcher = None

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def stats(self) -> dict[str, Any]:
        """Figures about the index: passages, sources, size on disk, format."""
        with self._lock:
            searcher = self._current()
            sources = sum(1 for _ in searcher.lexicon("source"))
            passages_count = int(searcher.doc_count())
        size = 0
        for file in self.path.iterdir():
            with contextlib.suppress(FileNotFoundError):  # merged away by another writer
                if file.is_file():
                    size += file.stat().st_size
        return {
            "index": str(self.path),
            "passages": passages_count,
            "sources": sources,
            "bytes": size,
            **store.format_record(self.profile),
        }
