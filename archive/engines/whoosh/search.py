"""Searching a Whoosh index: the analyzed query tree compiled into Whoosh queries,
the collectors that rank hits in the archive's one order, and scoring with the
statistics of a whole sharded collection.

Ranking is Whoosh's BM25F over the fields of :data:`archive.engine.FIELDS`, each
term with the weight the planner gave it (:mod:`archive.query.plan`).
"""

from __future__ import annotations

import copy
import heapq
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import attrs
from whoosh import collectors, matching, query, searching
from whoosh.query.terms import MultiTerm

from archive import arabic
from archive.arabic.analysis import EXACT_SEPARATOR
from archive.engine import Ranked, Ranking, Request
from archive.errors import ArchiveError, QueryError
from archive.query import tree as t
from archive.query.filters import (
    MAX_FACET_VALUES,
    Filters,
    facet_field,
    facet_value,
    in_range,
)
from archive.query.ranking import TIE_STEP, hit_key, tie_score


class _Expanded:
    """A query of several words (a prefix, an exact-mode word) scored the same in
    every segment: the sum of its words' BM25F scores, each with the boost.

    Whoosh's ``MultiTerm`` drops the boost when a segment holds one of the words,
    and gives a constant score instead of BM25F in a segment of 5,000 documents
    or fewer holding more than two of them; so the score of a hit depended on
    the segment (and would depend on the shard) it was in.
    """

    fieldname: str
    boost: float
    _btexts: Callable[[Any], Iterator[bytes]]  # the words, from the query class

    def matcher(self, searcher: Any, context: Any = None) -> Any:
        words = [w for w in self._btexts(searcher.reader()) if w]
        terms = [query.Term(self.fieldname, w, boost=self.boost) for w in words]
        if not terms:
            return matching.NullMatcher()
        if len(terms) == 1:
            return terms[0].matcher(searcher, context)
        if context is not None and not context.needs_current:
            # Scores added up in arrays, a part of the segment at a time (as
            # Whoosh does for small segments, and faster), in the order of the words.
            matchers = [term.matcher(searcher, context) for term in terms]
            return matching.ArrayUnionMatcher(matchers, searcher.doc_count_all(), scored=True)
        either = query.Or(terms)  # inside a phrase: a union that knows its positions
        either.matcher_type = query.Or.DEFAULT_MATCHER
        return either.matcher(searcher, context)


class Prefix(_Expanded, query.Prefix):  # type: ignore[misc]  # whoosh is untyped
    """``word*``: the words that start with it, each scored (see :class:`_Expanded`)."""


class Vocalised(_Expanded, MultiTerm):  # type: ignore[misc]  # whoosh is untyped
    """An exact-mode word: every mark written must stand on the same letter.

    Matches the written forms in an exact field whose letters are the word's
    letters and whose marks include the marks the word has on each letter
    (:func:`archive.arabic.marks_fit`). They are found by the skeleton prefix of
    the exact terms, so only words with the same letters are looked at.
    """

    def __init__(self, fieldname: str, text: str, boost: float = 1.0) -> None:
        self.fieldname = fieldname
        self.text = text
        self.boost = boost

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vocalised) and (other.fieldname, other.text, other.boost) == (
            self.fieldname,
            self.text,
            self.boost,
        )

    def __hash__(self) -> int:
        return hash((self.fieldname, self.text, self.boost))

    def __repr__(self) -> str:
        return f"Vocalised({self.fieldname!r}, {self.text!r})"

    def matches(self, written: str) -> bool:
        """Whether the written word (as the exact analyzer keeps it) fits."""
        return arabic.marks_fit(self.text, written)

    def _btexts(self, ixreader: Any) -> Iterator[bytes]:
        prefix = arabic.skeleton(self.text) + EXACT_SEPARATOR
        for btext in ixreader.expand_prefix(self.fieldname, prefix):
            written = btext.decode("utf-8").split(EXACT_SEPARATOR, 1)[1]
            if self.matches(written):
                yield btext


class Wildcard(_Expanded, MultiTerm):  # type: ignore[misc]  # whoosh is untyped
    """``*كتاب``, ``ك*ب``: the terms of a field that a wildcard pattern matches
    whole (:class:`archive.query.tree.Wildcard`; in an exact field, their skeleton).

    The terms are listed once, from the whole index (a segment's searcher asks
    its parent), so that the bound of :data:`~archive.query.tree.MAX_EXPANSION`
    counts the index's terms, not a segment's; each segment then scores those
    it holds.
    """

    def __init__(self, fieldname: str, pattern: str, boost: float = 1.0, word: str = "") -> None:
        self.fieldname = fieldname
        self.pattern = pattern
        self.boost = boost
        self.word = word or pattern
        self._listed: tuple[Any, list[bytes]] | None = None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Wildcard) and (other.fieldname, other.pattern, other.boost) == (
            self.fieldname,
            self.pattern,
            self.boost,
        )

    def __hash__(self) -> int:
        return hash((self.fieldname, self.pattern, self.boost))

    def __repr__(self) -> str:
        return f"Wildcard({self.fieldname!r}, {self.pattern!r})"

    def matcher(self, searcher: Any, context: Any = None) -> Any:
        self._terms(searcher.get_parent().reader())  # listed from the whole index
        return super().matcher(searcher, context)

    def _terms(self, ixreader: Any) -> list[bytes]:
        listed = self._listed
        if listed is None or listed[0] is not ixreader:
            found = list(_wildcard_terms(ixreader, self.fieldname, self.pattern, self.word))
            listed = self._listed = (ixreader, found)
        return listed[1]

    def _btexts(self, ixreader: Any) -> Iterator[bytes]:
        listed = self._listed
        if listed is None or listed[0] is ixreader:
            yield from self._terms(ixreader)
            return
        fieldname = self.fieldname
        for btext in listed[1]:  # a segment of the index the terms were listed from
            if (fieldname, btext) in ixreader:
                yield btext


def _wildcard_terms(ixreader: Any, fieldname: str, pattern: str, word: str) -> Iterator[bytes]:
    """The terms of ``fieldname`` that ``pattern`` matches (see :class:`Wildcard`).

    Raises:
        QueryError: more than :data:`~archive.query.tree.MAX_EXPANSION` terms
            match, or more than :data:`~archive.query.tree.MAX_SCAN` are read.
    """
    matches = t.wildcard_match(pattern)
    exact = fieldname.endswith("_exact")
    found = 0
    for scanned, btext in enumerate(ixreader.expand_prefix(fieldname, pattern.split("*")[0]), 1):
        if scanned > t.MAX_SCAN:
            raise QueryError(t.too_many_read(word), word)
        term = btext.decode("utf-8")
        if matches(term.split(EXACT_SEPARATOR, 1)[0] if exact else term):
            found += 1
            if found > t.MAX_EXPANSION:
                raise QueryError(t.too_many_matched(word), word)
            yield btext


def compile_query(node: t.Node) -> query.Query:
    """The Whoosh query of an analyzed query tree (normalized as Whoosh does)."""
    return _compile(node).normalize()


def _compile(node: t.Node) -> query.Query:
    if isinstance(node, t.Term):
        return query.Term(node.field, node.text, boost=node.boost)
    if isinstance(node, t.Prefix):
        return Prefix(node.field, node.text, boost=node.boost)
    if isinstance(node, t.Vocalised):
        return Vocalised(node.field, node.text, boost=node.boost)
    if isinstance(node, t.Wildcard):
        return Wildcard(node.field, node.pattern, node.boost, node.word)
    if isinstance(node, t.Phrase):
        if all(type(p) is t.Term for p in node.parts):
            words = [p.text for p in node.parts if isinstance(p, t.Term)]
            return query.Phrase(node.field, words, slop=node.slop, boost=node.boost)
        return query.Sequence([_compile(p) for p in node.parts], slop=node.slop, boost=node.boost)
    if isinstance(node, t.And):
        return query.And([_compile(c) for c in node.children], boost=node.boost)
    if isinstance(node, t.Or):
        return query.Or([_compile(c) for c in node.children], boost=node.boost)
    if isinstance(node, t.Not):
        return query.Not(_compile(node.child), boost=node.boost)
    if isinstance(node, t.AndNot):
        q = query.AndNot(_compile(node.positive), _compile(node.negative))
    elif isinstance(node, t.AndMaybe):
        q = query.AndMaybe(_compile(node.required), _compile(node.optional))
    else:
        raise AssertionError(f"unknown query node {node!r}")
    q.boost = node.boost
    return q


def filter_query(filters: Filters, reader: Any) -> query.Query | None:
    """The Whoosh filter query, or None when nothing is filtered (ranges take
    the terms of ``reader`` in them)."""
    parts: list[query.Query] = []
    if filters.source:
        parts.append(query.Wildcard("source", filters.source))
    parts += [query.Term("meta", term) for term in filters.terms()]
    for key, prefix, low, high in filters.range_prefixes():
        listed = (btext.decode("utf-8") for btext in reader.expand_prefix("meta", prefix))
        kept = in_range(key, low, high, listed)
        parts.append(
            query.Or([query.Term("meta", term) for term in kept]) if kept else query.NullQuery
        )
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else query.And(parts)


def search(searcher: Any, request: Request) -> Ranking:
    """The hits of a request on a Whoosh searcher: ``(docnum, score)`` references."""
    q = for_searching(compile_query(request.plan.root), searcher)
    limit, sort, filters = request.limit, request.sort, request.filters
    if limit is not None and sort == "score" and not filters:
        # replace=0: Whoosh's matcher replacement prunes documents it should
        # keep when an AND holds ORs of boosted fields, so a search with a
        # limit missed hits that ranked first without one. usequality=False:
        # the collector then visits every match and counts the total in the
        # same pass; with block skipping, Whoosh ran the whole query a second
        # time to count it (1.5x slower at the median, measured).
        collector = TopCollector(limit=limit)
        searcher.search_with_collector(q, collector)
        found = collector.ranked(searcher)
        total = collector.total
    else:
        # Every hit: with a filter, Whoosh counts the total of a limited search
        # without it, and other orders need every hit to sort.
        fq = filter_query(filters, searcher.reader())
        results = searcher.search(q, limit=None, filter=fq)
        found = [
            (results.docnum(i), float(results.score(i))) for i in range(results.scored_length())
        ]
        total = len(found)
        if sort == "score":
            found = by_score(searcher, found)[:limit]
    if sort == "score" and not request.keyed:
        return Ranking(
            hits=tuple(Ranked(key=(), score=score, ref=docnum) for docnum, score in found),
            total=total,
        )
    keyed = []
    for docnum, score in found:
        fields = searcher.stored_fields(docnum)
        key = hit_key(fields["passage"], score, sort, fields.get("file", ""), fields.get("line", 0))
        keyed.append(Ranked(key=key, score=score, ref=docnum))
    keyed.sort(key=lambda r: r.key)
    return Ranking(hits=tuple(keyed[:limit]), total=total)


def facets(searcher: Any, request: Request, keys: Sequence[str]) -> dict[str, dict[str, int]]:
    """For each facet key, its values' counts among the request's hits: the
    postings of each value's term, intersected with the hits."""
    q = for_searching(compile_query(request.plan.root), searcher)
    fq = filter_query(request.filters, searcher.reader())
    hits = set(searcher.docs_for_query(q if fq is None else query.And([q, fq])))
    reader = searcher.reader()
    out: dict[str, dict[str, int]] = {}
    for key in keys:
        field, prefix = facet_field(key)
        counts: dict[str, int] = {}
        for seen, btext in enumerate(reader.expand_prefix(field, prefix), 1):
            if seen > MAX_FACET_VALUES:
                raise QueryError(f"more than {MAX_FACET_VALUES:,} values to count", key)
            matched = sum(1 for d in reader.postings(field, btext).all_ids() if d in hits)
            if matched:
                counts[facet_value(prefix, btext.decode("utf-8"))] = matched
        out[key] = counts
    return out


def by_score(searcher: Any, ranked: list[tuple[int, float]]) -> list[tuple[int, float]]:
    """``ranked`` by score, highest first, tied scores in passage id order.

    Whoosh orders ties by document number, which depends on the order of
    ingest and on which segment or shard a passage is in; the id does not.
    Only tied hits have their id read.
    """
    keys = [tie_score(score) for _, score in ranked]
    tied = {key for key, n in Counter(keys).items() if n > 1}

    def key(i: int) -> tuple[float, str]:
        if keys[i] not in tied:
            return (-keys[i], "")
        return (-keys[i], str(searcher.stored_fields(ranked[i][0])["id"]))

    return [ranked[i] for i in sorted(range(len(ranked)), key=key)]


class TopCollector(collectors.TopCollector):  # type: ignore[misc]  # whoosh is untyped
    """Whoosh's top-N collector ordered by :func:`tie_score`, that also keeps every
    document tied with the last one kept, so that ties are broken by passage id.
    With ``replace=0`` and ``usequality=False`` (see :meth:`Searcher.run`).
    """

    def __init__(self, limit: int) -> None:
        super().__init__(limit=limit, replace=0, usequality=False)

    def prepare(self, top_searcher: Any, q: Any, context: Any) -> None:
        super().prepare(top_searcher, q, context)
        self.ties: list[tuple[float, int]] = []

    def _collect(self, global_docnum: int, score: float) -> float:
        # The heap holds raw scores, as Whoosh's does; a score is rounded only
        # when it is within a rounding step of the lowest kept (this runs for
        # every hit: rounding every score cost 8% at the median).
        self.total += 1
        items = self.items
        if len(items) < self.limit:
            heapq.heappush(items, (score, -global_docnum))
            return -score
        low = items[0][0]
        if score > low:
            dropped = heapq.heapreplace(items, (score, -global_docnum))
            if items[0][0] - dropped[0] < TIE_STEP:
                self.ties.append(dropped)  # perhaps still tied with the lowest kept
        elif low - score < TIE_STEP:
            self.ties.append((score, -global_docnum))
        return -score

    def ranked(self, searcher: Any) -> list[tuple[int, float]]:
        """The top ``limit`` ``(docnum, score)`` in order (after :meth:`prepare`
        and a search)."""
        items = self.items
        tied = tie_score(items[0][0]) if items else None
        found = [(-docnum, score) for score, docnum in items]
        found += [(-docnum, score) for score, docnum in self.ties if tie_score(score) == tied]
        return by_score(searcher, found)[: self.limit]


def _empty_fields(searcher: Any) -> frozenset[str]:
    """The fields of the searcher's index that no passage has words in, worked out
    once per searcher (a searcher sees one fixed state of the index)."""
    empty: frozenset[str] | None = getattr(searcher, "_archive_empty_fields", None)
    if empty is None:
        reader = searcher.reader()
        empty = frozenset(n for n in reader.schema.names() if reader.field_length(n) == 0)
        searcher._archive_empty_fields = empty
    return empty


def for_searching(q: query.Query, searcher: Any) -> query.Query:
    """``q`` made cheaper to run on this index, with the same hits and scores.

    Inside an OR, terms of fields that no passage has words in (no captions,
    say) are left out: they match nothing. (Only inside an OR: an AND that
    needs such a term matches nothing, and stays so.) Every OR walks its
    postings: for an OR of more than two parts, Whoosh reads every posting of
    a small segment (5,000 documents or fewer) into arrays, which for the few
    hits of a word was several times slower (median 8.1 ms against 4.6 ms on
    the hadith benchmark, whose parallel ingest leaves three segments of about
    5,000). Whoosh's own ``Query.accept`` rebuilds a phrase of several terms
    without its slop, so the tree is copied here node by node.
    """
    return _prepare(q, _empty_fields(searcher))


def _prepare(q: query.Query, empty: frozenset[str]) -> query.Query:
    if isinstance(q, query.Not):
        copied = copy.copy(q)
        copied.query = _prepare(q.query, empty)
        return copied
    if isinstance(q, query.BinaryQuery):  # AndNot, AndMaybe, Require, Otherwise
        copied = copy.copy(q)
        copied.a, copied.b = _prepare(q.a, empty), _prepare(q.b, empty)
        copied.subqueries = (copied.a, copied.b)
        return copied
    if isinstance(q, query.compound.CompoundQuery):  # Sequence is one
        subs = [_prepare(sub, empty) for sub in q.subqueries]
        if isinstance(q, query.Or) and empty:
            kept = [sub for sub in subs if getattr(sub, "fieldname", None) not in empty]
            if len(kept) == 1:  # as Whoosh's normalize leaves an OR of one
                only = kept[0]
                return only.with_boost(only.boost * q.boost) if q.boost != 1.0 else only
            subs = kept or subs
        copied = copy.copy(q)
        copied.subqueries = subs
        if isinstance(copied, query.Or):
            copied.matcher_type = query.Or.DEFAULT_MATCHER
        return copied
    return q


# --- scoring with the statistics of a whole collection -----------------------------


@attrs.frozen
class Stats:
    """Collection statistics, of one shard or summed over all: what BM25F reads
    from the top-level searcher (``whoosh.scoring``: ``idf`` from the document
    frequency and ``doc_count_all``, ``avg_field_length`` from ``field_length``).

    Whoosh counts deleted documents in all three until their segment is merged,
    and so do these sums.
    """

    doc_count_all: int
    field_length: dict[str, int]
    doc_frequency: dict[tuple[str, bytes], int]

    @classmethod
    def total(cls, parts: Iterable[Stats]) -> Stats:
        """The statistics of the union of the shards."""
        count = 0
        lengths: dict[str, int] = {}
        frequency: dict[tuple[str, bytes], int] = {}
        for part in parts:
            count += part.doc_count_all
            for name, n in part.field_length.items():
                lengths[name] = lengths.get(name, 0) + n
            for term, n in part.doc_frequency.items():
                frequency[term] = frequency.get(term, 0) + n
        return cls(count, lengths, frequency)

    def empty_fields(self) -> frozenset[str]:
        """The fields no passage of the collection has a word in."""
        return frozenset(name for name, n in self.field_length.items() if n == 0)


class _StatsView:
    """What a Whoosh weighting model's ``idf`` reads, from global statistics."""

    def __init__(self, stats: Stats) -> None:
        self.stats = stats

    def get_parent(self) -> _StatsView:
        return self

    def doc_count_all(self) -> int:
        return self.stats.doc_count_all

    def doc_frequency(self, fieldname: str, text: bytes) -> int:
        try:
            return self.stats.doc_frequency[fieldname, text]
        except KeyError:
            # Every term a shard scores exists in that shard, so it was gathered.
            raise ArchiveError(
                f"internal error: no collection statistics for the term {fieldname}:{text!r}"
            ) from None


class GlobalSearcher(searching.Searcher):  # type: ignore[misc]  # whoosh is untyped
    """A Whoosh searcher of one shard that scores with the collection's statistics.

    BM25F reads its statistics from the top-level searcher (its segments'
    searchers ask their parent): ``idf`` and ``avg_field_length``, from the
    document frequency, ``doc_count_all`` and ``field_length``. Those return
    the sums over every shard here; everything else (postings, the length of
    each document's fields, stored fields) is the shard's own.
    """

    def __init__(self, reader: Any, stats: Stats, **kwargs: Any) -> None:
        self._stats = stats
        super().__init__(reader, closereader=False, **kwargs)
        # The searcher leaves out terms of fields no passage has words in
        # (search._for_searching): the collection's empty fields, as one index.
        self._archive_empty_fields = stats.empty_fields()

    def _subsearcher(self, reader: Any) -> searching.Searcher:
        return searching.Searcher(reader, fromindex=self._ix, weighting=self.weighting, parent=self)

    def idf(self, fieldname: str, text: bytes) -> float:
        cache = self._idf_cache
        term = (fieldname, text)
        if term not in cache:
            cache[term] = self.weighting.idf(_StatsView(self._stats), fieldname, text)
        return float(cache[term])

    def field_length(self, fieldname: str) -> int:
        return self._stats.field_length.get(fieldname, 0)

    def avg_field_length(self, fieldname: str, default: float | None = None) -> float | None:
        if not self.schema[fieldname].scorable:
            return default
        return self.field_length(fieldname) / (self._stats.doc_count_all or 1)


def scored_terms(q: query.Query, reader: Any) -> set[tuple[str, bytes]]:
    """Every term of ``q`` that ``reader`` holds, prefixes and exact-mode words
    expanded to the words they match. (Whoosh's ``Query.existing_terms`` reuses
    its ``fieldname`` argument as a loop variable, and so keeps only the first
    leaf's field.)"""
    schema = reader.schema
    found: set[tuple[str, bytes]] = set()
    for leaf in q.leaves():
        for name, text in leaf.expanded_terms(reader, phrases=True):
            if name not in schema:
                continue
            try:
                btext = schema[name].to_bytes(text)
            except ValueError:
                continue
            if (name, btext) in reader:
                found.add((name, btext))
    return found
