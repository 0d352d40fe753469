"""The Tantivy engine: an archive folder as one Tantivy index, behind the engine seam."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import tantivy

from archive import ingest
from archive.arabic import Profile
from archive.engine import IngestOptions, Ranking, Record, Request, tally_hits
from archive.engines.record import folder_bytes
from archive.engines.tantivy import search, store
from archive.engines.tantivy.search import Stats
from archive.models import IngestProgress, IngestReport, Passage
from archive.query.highlight import Matcher


def _passage(doc: tantivy.Document) -> Passage:
    return Passage.from_dict(json.loads(doc.get_first("passage") or b"{}"))


def _record(doc: tantivy.Document) -> Record:
    digest = doc.get_first("digest")
    return Record(
        id=str(doc.get_first("id")),
        file=str(doc.get_first("file") or ""),
        line=int(doc.get_first("line") or 0),
        digest=digest.decode("ascii") if isinstance(digest, bytes) else "",
    )


class TantivyEngine:
    """One Tantivy index in an archive folder (:mod:`archive.engines.tantivy.store`).

    Raises:
        IndexNotFoundError: ``create`` is false and no index is there.
        IndexFormatError: the index was built by an incompatible version or profile.
        IndexStoreError: ``path`` is not a folder, or cannot be written.
    """

    name = "tantivy"

    def __init__(self, path: Path, *, create: bool = True, profile: Profile | None = None) -> None:
        self.path = path
        self.index, self.profile = store.open_index(path, create, profile)
        self.schema = self.index.schema

    def snapshot(self) -> TantivySnapshot:
        stamp = store.commit_stamp(self.path)
        self.index.reload()
        return TantivySnapshot(self, self.index.searcher(), stamp)

    def writer(self, *, procs: int = 1) -> TantivyWriter:
        # The worker processes are forked before Tantivy's writer starts its threads.
        analysts = store.Analysts(self.profile, procs) if procs > 1 else None
        try:
            return TantivyWriter(self, store.writer(self.index, self.path), analysts)
        except BaseException:
            if analysts is not None:
                analysts.close()
            raise

    def manifest(self) -> dict[str, str]:
        return store.read_manifest(self.path)

    def commit_stamp(self) -> str | None:
        modified, size = store.commit_stamp(self.path)
        return f"tantivy-{modified}-{size}" if size else None

    def ingest(
        self,
        source: Path,
        options: IngestOptions,
        progress: Callable[[IngestProgress], None] | None = None,
        keep: Callable[[str], bool] | None = None,
    ) -> IngestReport:
        return ingest.run(self, source, options, progress, keep)

    def total_statistics(self, parts: Iterable[Any]) -> Stats:
        return Stats.total(parts)

    def info(self) -> dict[str, Any]:
        return {"bytes": folder_bytes(self.path), **store.format_record(self.profile)}

    def close(self) -> None:
        pass


class TantivySnapshot:
    """A Tantivy searcher: one committed state of the index."""

    def __init__(self, engine: TantivyEngine, searcher: tantivy.Searcher, stamp: Any) -> None:
        self._engine = engine
        self._schema = engine.schema
        self._searcher = searcher
        self._stamp = stamp
        self._composites: search.Composites = {}  # for every query of this state
        #: The documents of the last search's hits, read again by :meth:`load`.
        self._docs: dict[tuple[int, int], tantivy.Document] = {}

    def _term(self, field: str, value: str) -> tantivy.Query:
        return tantivy.Query.term_query(self._schema, field, value)

    def _all(self, query: tantivy.Query) -> list[tantivy.Document]:
        searcher = self._searcher
        found = searcher.search(query, max(1, searcher.num_docs), count=False).hits
        return [searcher.doc(address) for _, address in found]

    def count(self) -> int:
        return int(self._searcher.num_docs)

    def get(self, ids: Sequence[str]) -> list[Passage | None]:
        out: list[Passage | None] = []
        for passage_id in ids:
            hits = self._searcher.search(self._term("id", str(passage_id)), 1, count=False).hits
            out.append(_passage(self._searcher.doc(hits[0][1])) if hits else None)
        return out

    def load(self, refs: Sequence[Any]) -> list[Passage | None]:
        doc = self._searcher.doc
        read = self._docs
        return [
            _passage(read.get((address.segment_ord, address.doc)) or doc(address))
            for address in refs
        ]

    def batch(self, start: int, count: int) -> tuple[list[Passage], int | None]:
        searcher = self._searcher
        found = searcher.search(
            tantivy.Query.all_query(),
            count,
            count=False,
            order_by_field="seq",
            offset=start,
            order=tantivy.Order.Asc,
        ).hits
        rows = [_passage(searcher.doc(address)) for _, address in found]
        after = start + len(found)
        return rows, (after if len(found) == count and after < searcher.num_docs else None)

    def passages(self) -> Iterator[Passage]:
        start: int | None = 0
        while start is not None:
            rows, start = self.batch(start, 1000)
            yield from rows

    def sources(self) -> frozenset[str]:
        return frozenset(term for term, _ in self._searcher.terms_with_prefix("source", ""))

    def terms(
        self, field: str, prefix: str = "", limit: int | None = None
    ) -> list[tuple[str, int]]:
        """Tantivy lists a prefix's terms most frequent first, keeps the stems of
        a field's words as marked terms, and the terms of a position that holds
        several inside one composite term: the terms are put in order here, the
        counts of a word's stems and composites added to its own (an upper
        bound where a passage holds several)."""
        if field not in store.TERM_FIELDS:
            return []
        counts: dict[str, int] = {}
        searcher = self._searcher
        for mark in ("", store.STEM_MARK):
            for term, count in searcher.terms_with_prefix(field, mark + prefix):
                if not mark and term.startswith((store.STEM_MARK, store.COMPOSITE_MARK)):
                    continue
                word = term[len(mark) :]
                counts[word] = counts.get(word, 0) + int(count)
            for term, _, count in store.composite_terms(searcher, field, mark + prefix):
                if not mark and term.startswith(store.STEM_MARK):
                    continue
                word = term[len(mark) :]
                counts[word] = counts.get(word, 0) + count
        return sorted(counts.items())[:limit]

    def search(self, request: Request, stats: Any = None) -> Ranking:
        return search.search(
            self._schema, self._searcher, request, stats, self._composites, self._docs
        )

    def tally(
        self,
        request: Request,
        by: str | None,
        locate: Matcher,
        stats: Any = None,
    ) -> dict[Any, tuple[int, int]]:
        # Neither ranked nor keyed: each passage is loaded once, for its text.
        return tally_hits(
            self,
            search.matching(self._schema, self._searcher, request, self._composites),
            by,
            locate,
        )

    def facets(self, request: Request, keys: Sequence[str]) -> dict[str, dict[str, int]]:
        return search.facets(self._schema, self._searcher, request, keys, self._composites)

    def statistics(self, request: Request) -> Stats:
        return search.statistics(self._schema, self._searcher, request, self._composites)

    def is_latest(self) -> bool:
        return bool(store.commit_stamp(self._engine.path) == self._stamp)

    def record(self, passage_id: str) -> Record | None:
        hits = self._searcher.search(self._term("id", passage_id), 1, count=False).hits
        return _record(self._searcher.doc(hits[0][1])) if hits else None

    def records(self, file: str) -> list[Record]:
        return [_record(doc) for doc in self._all(self._term("file", file))]

    def held(self, file: str) -> int:
        found = self._searcher.search(self._term("file", file), 1, count=True)
        return int(found.count)  # type: ignore[attr-defined]  # missing from the stubs

    def files(self) -> list[str]:
        return [term for term, _ in self._searcher.terms_with_prefix("file", "")]

    def close(self) -> None:
        self._searcher = None  # type: ignore[assignment]


class TantivyWriter:
    """Tantivy's writer holding the index's lock; documents made by
    :class:`archive.engines.tantivy.store.Documents`."""

    def __init__(
        self, engine: TantivyEngine, writer: Any, analysts: store.Analysts | None = None
    ) -> None:
        self._engine = engine
        self._writer = writer
        # Made here only when no worker processes make them.
        self._documents = store.Documents(engine.profile) if analysts is None else None
        self._analysts = analysts
        self._batch: list[tuple[Passage, Record, int]] = []
        self._changed = False
        self._prepared = False
        engine.index.reload()
        searcher = engine.index.searcher()
        last = searcher.search(
            tantivy.Query.all_query(),
            1,
            count=False,
            order_by_field="seq",
            order=tantivy.Order.Desc,
        ).hits
        self._seq = int(searcher.doc(last[0][1]).get_first("seq") or 0) + 1 if last else 0

    def add(self, passage: Passage, record: Record) -> None:
        self._changed = True
        if self._analysts is None:
            if self._documents is None:  # the workers are gone: a commit has begun
                raise AssertionError("a passage added to a writer after its commit")
            self._index([self._documents.json(passage, record, self._seq)])
        else:
            self._batch.append((passage, record, self._seq))
            if len(self._batch) >= store.BATCH_SIZE:
                self._index(self._analysts.send(self._batch))
                self._batch = []
        self._seq += 1

    def _index(self, documents: list[str]) -> None:
        add = self._writer.add_json
        try:
            for document in documents:
                add(document)
        except ValueError as exc:  # Tantivy's I/O errors
            raise store.write_error(self._engine.path, exc) from None

    def update(self, passage: Passage, record: Record) -> None:
        self._writer.delete_documents_by_term("id", passage.id)
        self.add(passage, record)

    def delete(self, passage_id: str) -> None:
        self._writer.delete_documents_by_term("id", passage_id)
        self._changed = True

    def commit(self, manifest: Mapping[str, str] | None) -> None:
        if self._analysts is not None:
            if self._batch:
                self._index(self._analysts.send(self._batch))
                self._batch = []
            self._index(self._analysts.drain())
            self._analysts.close()
            self._analysts = None
        path = self._engine.path
        if not self._changed:
            self._release()
            if manifest is not None:
                ingest.settle_manifest(path, False, dict(manifest))
            return
        # The manifest is written before the commit, keyed by the state it was
        # planned on (:func:`archive.ingest.read_manifest`): a failure to write
        # it leaves the index unchanged.
        if manifest is not None:
            ingest.prepare_manifest(path, store.meta_stamp(path), dict(manifest))
            self._prepared = True
        try:
            self._writer.commit()
        except ValueError as exc:  # Tantivy's I/O errors
            raise store.write_error(path, exc) from None
        self._prepared = False
        with contextlib.suppress(Exception):  # committed: merging is only tidying
            self._writer.wait_merging_threads()
        self._writer = None
        if manifest is not None:
            ingest.settle_manifest(path, True)

    def _release(self) -> None:
        if self._analysts is not None:
            self._analysts.close()
            self._analysts = None
        if self._writer is not None:
            with contextlib.suppress(Exception):
                self._writer.rollback()
            with contextlib.suppress(Exception):  # the files of the uncommitted segments
                self._writer.garbage_collect_files()
            with contextlib.suppress(Exception):
                self._writer.wait_merging_threads()
            self._writer = None

    def cancel(self) -> None:
        self._release()
        if self._prepared:
            ingest.settle_manifest(self._engine.path, False)
