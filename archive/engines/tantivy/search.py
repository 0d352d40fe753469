"""Searching a Tantivy index: the analyzed query tree built as Tantivy query
objects (never Tantivy's query parser, which analyzes with its own tokenizer and
drops the ``*`` of ``abc*``), filters, and the archive's one order of hits.

Each leaf becomes the terms it stands for: a term of a surface field also as its
marked stem (:data:`~archive.engines.tantivy.store.STEM_MARK`, at a third of the
weight), and each of those also as the composite terms that hold it (a position
of several terms, :func:`~archive.engines.tantivy.store.composite_terms`),
weighed with the idf of all of them together; a prefix, an exact-mode word or a
wildcard as the words of the index it matches (looked up with
``terms_with_prefix``, each scored with BM25 as the Whoosh engine scores them),
a phrase as a phrase query over the alternatives at each position. Scores are
Tantivy's BM25 per field with the planner's weights.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import attrs
import tantivy

from archive import arabic
from archive.arabic.analysis import EXACT_SEPARATOR
from archive.engine import FIELDS, Ranked, Ranking, Request
from archive.engines.tantivy.store import (
    COMPOSITE_MARK,
    MARKED_WEIGHT,
    SEPARATOR,
    STEM_MARK,
    composite_terms,
)
from archive.errors import QueryError
from archive.query import tree as t
from archive.query.filters import (
    MAX_FACET_VALUES,
    Filters,
    facet_field,
    facet_value,
    in_range,
)
from archive.query.ranking import hit_key, tie_score

#: The most words of the index one prefix, exact-mode word or wildcard may
#: stand for (engine-neutral: the Whoosh engine bounds wildcards with it too).
MAX_EXPANSION = t.MAX_EXPANSION

_SURFACE = frozenset(name for name, (_, mode) in FIELDS.items() if mode == "surface")

Occur = tantivy.Occur

#: How many times the hits asked for a search asks Tantivy for at first, so that
#: the hits tied with the last one are among them.
TIE_ROOM = 4

#: The composite terms holding each ``(field, term)``, kept for one searcher.
Composites = dict[tuple[str, str], tuple[str, ...]]


def _escape(term: str) -> str:
    """``term`` as a regular expression matching it exactly (Rust's syntax)."""
    return "".join(c if c.isalnum() else f"\\x{{{ord(c):X}}}" for c in term)


@attrs.frozen
class Stats:
    """Collection statistics of one index, or summed over shards: the number of
    documents and the document frequency of every term a query scores. Tantivy
    scores with its own index's statistics only; a shard corrects each term's
    weight by the ratio of its collection idf to its own (:class:`Compiler`),
    so that a sharded archive ranks nearly as one index does (the average field
    length is still the shard's own)."""

    docs: int
    frequency: dict[tuple[str, str], int]

    @classmethod
    def total(cls, parts: Iterable[Stats]) -> Stats:
        docs = 0
        frequency: dict[tuple[str, str], int] = {}
        for part in parts:
            docs += part.docs
            for term, n in part.frequency.items():
                frequency[term] = frequency.get(term, 0) + n
        return cls(docs, frequency)


def idf(docs: int, frequency: int) -> float:
    """Tantivy's BM25 idf."""
    return math.log(1.0 + (docs - frequency + 0.5) / (frequency + 0.5))


class Compiler:
    """Builds the Tantivy query of a tree for one searcher (which expands prefixes).

    ``stats``: the collection's statistics to weigh each term by (see
    :class:`Stats`); ``seen``, when given, collects every term the query scores.
    """

    def __init__(
        self,
        schema: tantivy.Schema,
        searcher: tantivy.Searcher,
        text: str,
        stats: Stats | None = None,
        seen: set[tuple[str, str]] | None = None,
        composites: Composites | None = None,
    ) -> None:
        self.schema = schema
        self.searcher = searcher
        self.text = text
        self.stats = stats
        self.seen = seen
        #: The composites holding each term, kept by the searcher's owner (one
        #: committed state) across the queries it compiles.
        self.composites = {} if composites is None else composites

    def _composites(self, field: str, term: str) -> tuple[str, ...]:
        """The composite terms of ``field`` that hold ``term``."""
        key = (field, term)
        found = self.composites.get(key)
        if found is None:
            listed = composite_terms(self.searcher, field, term + SEPARATOR)
            found = tuple(whole for _, whole, _ in listed)
            if len(self.composites) >= 100_000:
                self.composites.clear()
            self.composites[key] = found
        return found

    def _frequency(self, field: str, term: str) -> tuple[int, int]:
        """The passages in all and those holding ``term``: the collection's if
        this compiler has its statistics, else this index's."""
        if self.stats is not None:
            return self.stats.docs, self.stats.frequency.get((field, term), 0)
        return int(self.searcher.num_docs), int(self.searcher.doc_freq(field, term))

    def _pooled(self, field: str, terms: Sequence[str]) -> dict[str, float]:
        """For terms that stand for one word (the word alone and the composites
        holding it), the factor that gives each the idf of the word: of all the
        passages holding any of them (their sum, an upper bound)."""
        if self.seen is not None:
            self.seen.update((field, term) for term in terms)
        counts = {term: self._frequency(field, term) for term in terms}
        docs = max((n for n, _ in counts.values()), default=0)
        together = min(docs, sum(f for _, f in counts.values()))
        wide = idf(docs, together)
        return {
            term: wide / idf(docs, f) if f and idf(docs, f) > 0 else 1.0
            for term, (_, f) in counts.items()
        }

    def _weight(self, field: str, words: Sequence[str]) -> float:
        """The correction of the weight of terms scored together (a phrase sums
        its words' idf), from this index's statistics to the collection's."""
        if self.seen is not None:
            self.seen.update((field, w) for w in words)
        stats = self.stats
        if stats is None:
            return 1.0
        docs = self.searcher.num_docs
        local = sum(idf(docs, self.searcher.doc_freq(field, w)) for w in words)
        if local <= 0:
            return 1.0
        wide = sum(idf(stats.docs, stats.frequency.get((field, w), 0)) for w in words)
        return wide / local

    def _term_query(self, field: str, word: str, boost: float) -> tantivy.Query:
        q = tantivy.Query.term_query(self.schema, field, word)
        return self._boost(q, boost * self._weight(field, (word,)))

    def __call__(self, node: t.Node) -> tantivy.Query:
        return self._node(node)

    def _boost(self, query: tantivy.Query, boost: float) -> tantivy.Query:
        return query if boost == 1.0 else tantivy.Query.boost_query(query, boost)

    @staticmethod
    def _forms(field: str, text: str) -> list[tuple[str, float]]:
        """The terms a word of ``field`` is indexed as, each with its weight: the
        word, and in a surface field the word as a marked stem."""
        if field in _SURFACE:
            return [(text, 1.0), (STEM_MARK + text, MARKED_WEIGHT)]
        return [(text, 1.0)]

    def _term(self, field: str, text: str, boost: float) -> tantivy.Query:
        parts: list[tuple[Occur, tantivy.Query]] = []
        for form, weight in self._forms(field, text):
            held = self._composites(field, form)
            if not held:
                parts.append((Occur.Should, self._term_query(field, form, boost * weight)))
                continue
            for term, factor in self._pooled(field, (form, *held)).items():
                q = self._term_query(field, term, boost * weight * factor)
                parts.append((Occur.Should, q))
        return parts[0][1] if len(parts) == 1 else tantivy.Query.boolean_query(parts)

    def _too_many(self, prefix: str) -> QueryError:
        return QueryError(
            f"{prefix.split(EXACT_SEPARATOR)[0].lstrip(STEM_MARK)}* stands for more than "
            f"{MAX_EXPANSION:,} words of the index: write more of the word",
            self.text,
        )

    def _expand(
        self, field: str, prefix: str, keep: Callable[[str], bool], weight: float = 1.0
    ) -> list[tuple[str, float]]:
        """The terms of ``field`` that start with ``prefix`` and ``keep`` accepts,
        and the composite terms holding one, each with ``weight``."""
        found = self.searcher.terms_with_prefix(field, prefix, limit=MAX_EXPANSION + 1)
        if len(found) > MAX_EXPANSION:
            raise self._too_many(prefix)
        held = composite_terms(self.searcher, field, prefix, limit=MAX_EXPANSION)
        if len(held) > MAX_EXPANSION:
            raise self._too_many(prefix)
        out = [(term, weight) for term, _ in found if keep(term)]
        return out + [(whole, weight) for term, whole, _ in held if keep(term)]

    def _wildcard(self, leaf: t.Wildcard) -> list[tuple[str, float]]:
        """The terms of the field that a wildcard matches whole: in a surface field
        its words and its marked stems, a stem and the word spelled the same
        counted once against :data:`MAX_EXPANSION` (the Whoosh engine keeps them
        as one term); in an exact field, the terms whose skeleton matches.

        Raises:
            QueryError: more than :data:`MAX_EXPANSION` words match, or more than
                :data:`~archive.query.tree.MAX_SCAN` terms would be read.
        """
        matches = t.wildcard_match(leaf.pattern)
        word = leaf.word or leaf.pattern
        marks = self._forms(leaf.field, "")
        found: list[tuple[str, float]] = []
        distinct: set[str] = set()
        for mark, weight in marks:
            listed = self.searcher.terms_with_prefix(
                leaf.field, mark + leaf.head, limit=t.MAX_SCAN + 1
            )
            held = composite_terms(self.searcher, leaf.field, mark + leaf.head, limit=t.MAX_SCAN)
            if len(listed) > t.MAX_SCAN or len(held) > t.MAX_SCAN:
                raise QueryError(t.too_many_read(word), word)
            pairs = [(term, term) for term, _ in listed] + [(term, w) for term, w, _ in held]
            for term, whole in pairs:
                if not mark and term.startswith((STEM_MARK, COMPOSITE_MARK)):
                    continue  # listed with the other mark, or a composite listed by its terms
                text = term[len(mark) :].split(EXACT_SEPARATOR, 1)[0]
                if matches(text):
                    found.append((whole, weight))
                    distinct.add(term[len(mark) :])
            if len(distinct) > MAX_EXPANSION:
                raise QueryError(t.too_many_matched(word), word)
        return sorted(found)

    def _words(self, leaf: t.Leaf) -> list[tuple[str, float]]:
        """Every term of the index a leaf stands for (a prefix, exact-mode word or
        wildcard expanded), each with its weight (a marked stem's, or 1)."""
        if isinstance(leaf, t.Wildcard):
            return self._wildcard(leaf)
        if isinstance(leaf, t.Prefix):
            words: list[tuple[str, float]] = []
            for form, weight in self._forms(leaf.field, leaf.text):
                words += self._expand(leaf.field, form, lambda term: True, weight)
            return words
        if isinstance(leaf, t.Vocalised):
            written = leaf.text

            def fits(term: str) -> bool:
                return arabic.marks_fit(written, term.split(EXACT_SEPARATOR, 1)[1])

            return self._expand(leaf.field, arabic.skeleton(written) + EXACT_SEPARATOR, fits)
        forms = self._forms(leaf.field, leaf.text)
        held = [(whole, w) for term, w in forms for whole in self._composites(leaf.field, term)]
        return forms + held

    def _expanded(self, leaf: t.Prefix | t.Vocalised | t.Wildcard) -> tantivy.Query:
        weights: dict[str, float] = {}
        for word, weight in self._words(leaf):  # a composite may hold a word and its stem
            weights[word] = max(weight, weights.get(word, 0.0))
        if not weights:
            return tantivy.Query.empty_query()
        parts = [
            (Occur.Should, self._term_query(leaf.field, word, leaf.boost * weight))
            for word, weight in sorted(weights.items())
        ]
        return parts[0][1] if len(parts) == 1 else tantivy.Query.boolean_query(parts)

    def _alternatives(self, field: str, part: t.Node) -> str:
        """The regular expression of one position of a phrase."""
        leaves = part.children if isinstance(part, t.Or) else (part,)
        words: list[str] = []
        for leaf in leaves:
            if not isinstance(leaf, t.LEAVES):
                raise AssertionError(f"a phrase part that is not a word: {leaf!r}")
            words += sorted({_escape(w) for w, _ in self._words(leaf)})
        return "(?:" + "|".join(words) + ")" if words else "(?:\\x{1}\\x{2}\\x{3})"

    def _phrase(self, node: t.Phrase) -> tantivy.Query:
        slop = max(0, node.slop - 1)  # Whoosh's slop 1 is Tantivy's 0: next to each other
        terms = [p.text for p in node.parts if type(p) is t.Term]
        plain = (
            node.field not in _SURFACE
            and len(terms) == len(node.parts)
            and not any(self._composites(node.field, term) for term in terms)
        )
        if plain:
            words: list[str | tuple[int, str]] = list(terms)
            q = tantivy.Query.phrase_query(self.schema, node.field, words, slop=slop)
            plain_words = [w for w in words if isinstance(w, str)]
            return self._boost(q, node.boost * self._weight(node.field, plain_words))
        else:
            patterns: list[str | tuple[int, str]] = [
                self._alternatives(node.field, p) for p in node.parts
            ]
            q = tantivy.Query.regex_phrase_query(self.schema, node.field, patterns, slop=slop)
        return self._boost(q, node.boost)

    def _node(self, node: t.Node) -> tantivy.Query:
        if isinstance(node, t.Term):
            return self._term(node.field, node.text, node.boost)
        if isinstance(node, (t.Prefix, t.Vocalised, t.Wildcard)):
            return self._expanded(node)
        if isinstance(node, t.Phrase):
            return self._phrase(node)
        if isinstance(node, t.And):
            parts = [
                (Occur.MustNot, self._node(c.child))
                if isinstance(c, t.Not)
                else (Occur.Must, self._node(c))
                for c in node.children
            ]
            if all(occur == Occur.MustNot for occur, _ in parts):
                parts.append((Occur.Must, tantivy.Query.all_query()))
            return self._boost(tantivy.Query.boolean_query(parts), node.boost)
        if isinstance(node, t.Or):
            parts = [(Occur.Should, self._node(c)) for c in node.children]
            return self._boost(tantivy.Query.boolean_query(parts), node.boost)
        if isinstance(node, t.Not):
            return tantivy.Query.boolean_query(
                [
                    (Occur.Must, tantivy.Query.const_score_query(tantivy.Query.all_query(), 0.0)),
                    (Occur.MustNot, self._node(node.child)),
                ]
            )
        if isinstance(node, t.AndNot):
            return self._boost(
                tantivy.Query.boolean_query(
                    [
                        (Occur.Must, self._node(node.positive)),
                        (Occur.MustNot, self._node(node.negative)),
                    ]
                ),
                node.boost,
            )
        if isinstance(node, t.AndMaybe):
            return self._boost(
                tantivy.Query.boolean_query(
                    [
                        (Occur.Must, self._node(node.required)),
                        (Occur.Should, self._node(node.optional)),
                    ]
                ),
                node.boost,
            )
        raise AssertionError(f"unknown query node {node!r}")


def _glob(pattern: str) -> str:
    """A source glob (``*``, ``?``) as a regular expression of the whole source."""
    return "".join(".*" if c == "*" else "." if c == "?" else _escape(c) for c in pattern)


def with_filters(
    schema: tantivy.Schema, searcher: tantivy.Searcher, query: tantivy.Query, filters: Filters
) -> tantivy.Query:
    """``query`` restricted to the passages ``filters`` accept (scores unchanged;
    ranges take the terms of ``searcher`` in them)."""
    if not filters:
        return query
    parts = [(Occur.Must, query)]
    if filters.source:
        source = tantivy.Query.regex_query(schema, "source", _glob(filters.source))
        parts.append((Occur.Must, tantivy.Query.const_score_query(source, 0.0)))
    for term in filters.terms():
        meta = tantivy.Query.term_query(schema, "meta", term)
        parts.append((Occur.Must, tantivy.Query.const_score_query(meta, 0.0)))
    for key, prefix, low, high in filters.range_prefixes():
        listed = (term for term, _ in searcher.terms_with_prefix("meta", prefix))
        kept = in_range(key, low, high, listed)
        values = tantivy.Query.boolean_query(
            [(Occur.Should, tantivy.Query.term_query(schema, "meta", term)) for term in kept]
        )  # no term: matches nothing
        parts.append((Occur.Must, tantivy.Query.const_score_query(values, 0.0)))
    return tantivy.Query.boolean_query(parts)


def _fields(doc: tantivy.Document) -> tuple[dict[str, Any], str, int]:
    passage: dict[str, Any] = json.loads(doc.get_first("passage") or b"{}")
    return passage, str(doc.get_first("file") or ""), int(doc.get_first("line") or 0)


def statistics(
    schema: tantivy.Schema,
    searcher: tantivy.Searcher,
    request: Request,
    composites: Composites | None = None,
) -> Stats:
    """This index's statistics of the terms a request scores (``composites``:
    what :class:`Compiler` keeps for the searcher)."""
    seen: set[tuple[str, str]] = set()
    Compiler(schema, searcher, request.plan.text, seen=seen, composites=composites)(
        request.plan.root
    )
    return Stats(
        docs=int(searcher.num_docs),
        frequency={(f, w): int(searcher.doc_freq(f, w)) for f, w in seen},
    )


def facets(
    schema: tantivy.Schema,
    searcher: tantivy.Searcher,
    request: Request,
    keys: Sequence[str],
    composites: Composites | None = None,
) -> dict[str, dict[str, int]]:
    """For each facet key, its values' counts among the request's hits: Tantivy
    lists a prefix's terms with their counts among the documents of a query."""
    compiled = Compiler(schema, searcher, request.plan.text, composites=composites)(
        request.plan.root
    )
    query = with_filters(schema, searcher, compiled, request.filters)
    out: dict[str, dict[str, int]] = {}
    for key in keys:
        field, prefix = facet_field(key)
        listed = searcher.terms_with_prefix(
            field, prefix, filter_query=query, limit=MAX_FACET_VALUES + 1
        )
        if len(listed) > MAX_FACET_VALUES:
            raise QueryError(f"more than {MAX_FACET_VALUES:,} values to count", key)
        out[key] = {facet_value(prefix, term): int(n) for term, n in listed if n}
    return out


def matching(
    schema: tantivy.Schema,
    searcher: tantivy.Searcher,
    request: Request,
    composites: Composites | None = None,
) -> list[tantivy.DocAddress]:
    """The ``DocAddress`` of every passage a request matches, in no order (for
    counting: not sorted, no stored field read)."""
    compiled = Compiler(schema, searcher, request.plan.text, composites=composites)(
        request.plan.root
    )
    query = with_filters(schema, searcher, compiled, request.filters)
    found = searcher.search(query, max(1, searcher.num_docs), count=False).hits
    return [address for _, address in found]


def search(
    schema: tantivy.Schema,
    searcher: tantivy.Searcher,
    request: Request,
    stats: Stats | None = None,
    composites: Composites | None = None,
    docs: dict[tuple[int, int], tantivy.Document] | None = None,
) -> Ranking:
    """The hits of a request: ``DocAddress`` references, in the archive's order;
    scored with the collection's ``stats`` if given. ``docs``, if given, gets the
    documents of the hits kept (read for their order), for loading them again."""
    compiled = Compiler(schema, searcher, request.plan.text, stats, composites=composites)(
        request.plan.root
    )
    query = with_filters(schema, searcher, compiled, request.filters)
    everything = max(1, searcher.num_docs)
    limit, sort = request.limit, request.sort
    if sort != "score" or limit is None or limit >= everything:
        result = searcher.search(query, everything, count=True)
        hits = result.hits
        total = result.count  # type: ignore[attr-defined]  # missing from the stubs
    else:
        # Enough hits that every hit tied with the last one kept is among them,
        # so that ties are ordered by passage id, not by Tantivy's document order
        # (a collection of copies ties often). Asking for more costs Tantivy
        # next to nothing, a second search as much as the first; the total is
        # counted once.
        want = limit * TIE_ROOM
        counted: int | None = None
        while True:
            result = searcher.search(query, want, count=counted is None)
            hits = result.hits
            if counted is None:
                counted = int(result.count)  # type: ignore[attr-defined]  # missing from the stubs
            if len(hits) < want or tie_score(hits[-1][0]) < tie_score(hits[limit - 1][0]):
                break
            want *= 4
        total = counted
        if len(hits) > limit:  # those below the last one kept are not read
            last = tie_score(hits[limit - 1][0])
            hits = [hit for hit in hits if tie_score(hit[0]) >= last]
    rows = []
    read: dict[tuple[int, int], tantivy.Document] = {}
    for score, address in hits:
        doc = searcher.doc(address)
        if sort == "score":  # the order needs only the id: the passage is not decoded
            key = hit_key({"id": doc.get_first("id")}, float(score), sort)
        else:
            passage, file, line = _fields(doc)
            key = hit_key(passage, float(score), sort, file, line)
        read[address.segment_ord, address.doc] = doc
        rows.append(Ranked(key=key, score=float(score), ref=address))
    rows.sort(key=lambda r: r.key)
    kept = rows[:limit]
    if docs is not None:
        docs.clear()
        docs.update(
            {(r.ref.segment_ord, r.ref.doc): read[r.ref.segment_ord, r.ref.doc] for r in kept}
        )
    return Ranking(hits=tuple(kept), total=int(total))
