"""The Whoosh engine: an archive folder as one Whoosh index, behind the engine seam."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from whoosh import scoring

from archive import ingest
from archive.arabic import Profile
from archive.engine import FIELDS, ROOT_FIELDS, IngestOptions, Ranking, Record, Request
from archive.engines.record import folder_bytes
from archive.engines.whoosh import counts, search, store
from archive.engines.whoosh.search import GlobalSearcher, Stats
from archive.models import IngestProgress, IngestReport, Passage
from archive.query.filters import meta_terms
from archive.query.highlight import Matcher

_Method = TypeVar("_Method", bound=Callable[..., Any])


def _passage(fields: Mapping[str, Any]) -> Passage:
    return Passage.from_dict(fields["passage"])


def _record(fields: Mapping[str, Any]) -> Record:
    return Record(
        id=str(fields["id"]),
        file=str(fields.get("file", "")),
        line=int(fields.get("line", 0)),
        digest=str(fields.get("digest", "")),
    )


class WhooshEngine:
    """One Whoosh index in an archive folder (:mod:`archive.engines.whoosh.store`).

    Raises:
        IndexNotFoundError: ``create`` is false and no index is there.
        IndexFormatError: the index was built by an incompatible version or profile.
        IndexStoreError: ``path`` is not a folder, or cannot be written.
    """

    name = "whoosh"

    def __init__(self, path: Path, *, create: bool = True, profile: Profile | None = None) -> None:
        self.path = path
        self.ix, self.profile = store.open_index(path, create=create, profile=profile)
        self._weighting = scoring.BM25F()

    def snapshot(self) -> WhooshSnapshot:
        searcher = store.searcher(self.ix, self.path, self._weighting)
        return WhooshSnapshot(searcher, self.ix, self.path)

    def writer(self, *, procs: int = 1) -> WhooshWriter:
        try:
            writer = store.writer(self.ix, self.path, procs=procs)
        except store.RefusedPickle as exc:  # a writer reads the table of contents
            raise store.damaged(self.path, exc) from None
        return WhooshWriter(self.ix, self.path, writer)

    def manifest(self) -> dict[str, str]:
        return store.read_manifest(self.ix, self.path)

    def commit_stamp(self) -> str | None:
        """The generation of the last table of contents, with its file's time and
        size (a folder emptied and built again starts its generations afresh)."""
        generation = int(self.ix.latest_generation())
        try:
            status = (self.path / f"_{self.ix.indexname}_{generation}.toc").stat()
        except OSError:
            return None
        return f"whoosh-{generation}-{status.st_mtime_ns}-{status.st_size}"

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


def _reads(method: _Method) -> _Method:
    """A snapshot's method whose reads of a damaged index raise
    :class:`~archive.errors.IndexStoreError` (:func:`store.reading`)."""

    @functools.wraps(method)
    def guarded(self: WhooshSnapshot, *args: Any, **kwargs: Any) -> Any:
        with store.reading(self.path):
            return method(self, *args, **kwargs)

    return guarded  # type: ignore[return-value]


class WhooshSnapshot:
    """A Whoosh searcher: one committed state of the index. A damaged index
    raises :class:`~archive.errors.IndexStoreError` from every read."""

    def __init__(self, searcher: Any, ix: Any, path: Path) -> None:
        self._searcher = searcher
        self.ix = ix
        self.path = path

    @_reads
    def count(self) -> int:
        return int(self._searcher.doc_count())

    @_reads
    def get(self, ids: Sequence[str]) -> list[Passage | None]:
        found = [self._searcher.document(id=str(i)) for i in ids]
        return [None if fields is None else _passage(fields) for fields in found]

    @_reads
    def load(self, refs: Sequence[Any]) -> list[Passage | None]:
        stored = self._searcher.stored_fields
        return [_passage(stored(docnum)) for docnum in refs]

    @_reads
    def batch(self, start: int, count: int) -> tuple[list[Passage], int | None]:
        reader = self._searcher.reader()
        everything = reader.doc_count_all()
        end = min(start + count, everything)
        rows = [
            _passage(reader.stored_fields(docnum))
            for docnum in range(start, end)
            if not reader.is_deleted(docnum)
        ]
        return rows, (end if end < everything else None)

    def passages(self) -> Iterator[Passage]:
        with store.reading(self.path):
            for fields in self._searcher.all_stored_fields():
                yield _passage(fields)

    @_reads
    def terms(
        self, field: str, prefix: str = "", limit: int | None = None
    ) -> list[tuple[str, int]]:
        reader = self._searcher.reader()
        if field not in reader.schema:
            return []
        found: list[tuple[str, int]] = []
        for btext, info in reader.iter_prefix(field, prefix):
            if limit is not None and len(found) >= limit:
                break
            found.append((btext.decode("utf-8"), int(info.doc_frequency())))
        return found

    @_reads
    def sources(self) -> frozenset[str]:
        return frozenset(term.decode("utf-8") for term in self._searcher.lexicon("source"))

    @_reads
    def search(self, request: Request, stats: Stats | None = None) -> Ranking:
        searcher = self._searcher
        if stats is not None:
            searcher = GlobalSearcher(
                searcher.reader(), stats, weighting=searcher.weighting, fromindex=self.ix
            )
        return search.search(searcher, request)

    @_reads
    def tally(
        self,
        request: Request,
        by: str | None,
        locate: Matcher,
        stats: Stats | None = None,
    ) -> dict[Any, tuple[int, int]]:
        # No ranking: the counts do not depend on scores (nor on ``stats``).
        return counts.tally(self._searcher, request, by, locate, self.load)

    @_reads
    def facets(self, request: Request, keys: Sequence[str]) -> dict[str, dict[str, int]]:
        return search.facets(self._searcher, request, keys)

    @_reads
    def statistics(self, request: Request) -> Stats:
        reader = self._searcher.reader()
        terms = search.scored_terms(search.compile_query(request.plan.root), reader)
        fq = search.filter_query(request.filters, reader)
        if fq is not None:  # not scored, but Whoosh makes scorers for it all the same
            terms |= search.scored_terms(fq, reader)
        return Stats(
            doc_count_all=int(reader.doc_count_all()),
            field_length={
                name: int(reader.field_length(name))
                for name in reader.schema.names()
                if reader.schema[name].scorable
            },
            doc_frequency={
                (name, btext): int(reader.doc_frequency(name, btext)) for name, btext in terms
            },
        )

    @_reads
    def is_latest(self) -> bool:
        return bool(self._searcher.up_to_date())

    @_reads
    def record(self, passage_id: str) -> Record | None:
        fields = self._searcher.document(id=passage_id)
        return None if fields is None else _record(fields)

    @_reads
    def records(self, file: str) -> list[Record]:
        return [_record(fields) for fields in self._searcher.documents(file=file)]

    @_reads
    def held(self, file: str) -> int:
        return sum(1 for _ in self._searcher.document_numbers(file=file))

    @_reads
    def files(self) -> list[str]:
        return [term.decode("utf-8") for term in self._searcher.lexicon("file")]

    def close(self) -> None:
        self._searcher.close()


class WhooshWriter:
    """A Whoosh writer (one process, or worker processes) holding the write lock."""

    def __init__(self, ix: Any, path: Path, writer: Any) -> None:
        self.ix = ix
        self._path = path
        self._writer = writer
        self._changed = False
        self._prepared = False
        self._fields = {  # a field the schema lacks (roots) is left out
            name: held for name, held in {**FIELDS, **ROOT_FIELDS}.items() if name in ix.schema
        }

    def _document(self, passage: Passage, record: Record) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "id": passage.id,
            "source": passage.source,
            "file": record.file,
            "line": record.line,
            "digest": record.digest,
            "passage": passage.to_dict(),
            "meta": store.META_SEPARATOR.join(meta_terms(passage.metadata)),
        }
        for name, (attribute, _) in self._fields.items():
            doc[name] = getattr(passage, attribute)
        return doc

    def add(self, passage: Passage, record: Record) -> None:
        self._writer.add_document(**self._document(passage, record))
        self._changed = True

    def update(self, passage: Passage, record: Record) -> None:
        self._writer.update_document(**self._document(passage, record))
        self._changed = True

    def delete(self, passage_id: str) -> None:
        self._writer.delete_by_term("id", passage_id)
        self._changed = True

    def commit(self, manifest: Mapping[str, str] | None) -> None:
        # The manifest is written before the commit, keyed by the generation it
        # was planned on (:func:`archive.ingest.read_manifest`): a failure to
        # write it leaves the index unchanged, and after the commit nothing fails.
        if not self._changed:
            store.discard(self._writer, self.ix, self._path)
            if manifest is not None:
                ingest.settle_manifest(self._path, False, dict(manifest))
            return
        if manifest is not None:
            ingest.prepare_manifest(self._path, self.ix.latest_generation(), dict(manifest))
            self._prepared = True
        self._writer.commit()
        if manifest is not None:
            ingest.settle_manifest(self._path, True)

    def cancel(self) -> None:
        store.discard(self._writer, self.ix, self._path)
        if self._prepared:
            ingest.settle_manifest(self._path, False)
