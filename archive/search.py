"""Query parsing, ranking and highlights. Knows nothing of file formats.

The query syntax is Whoosh's: words must all match (AND), with ``OR``, ``NOT``,
parentheses, ``"phrases"``, ``prefix*`` and ``field:word`` (fields ``title``,
``caption``, ``text``). Every word is analyzed like the indexed text, so each
spelling variant of a word finds the same passages, and each word is looked for
both as written (folded) and with its clitics taken off, the first weighing more.
"""

from __future__ import annotations

import copy
import heapq
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import attrs
from whoosh import collectors, matching, qparser, query, scoring
from whoosh.fields import Schema
from whoosh.qparser import syntax
from whoosh.query.terms import MultiTerm

from archive import arabic
from archive.analysis import EXACT, EXACT_SEPARATOR, LIGHT, SEARCH, STEM, SURFACE, arabic_analyzer
from archive.errors import QueryError
from archive.index import (
    EXACT_FIELDS,
    STEM_FIELDS,
    STEMMED_FIELDS,
    TEXT_FIELDS,
    meta_value,
    text_field,
)
from archive.models import Hit, Passage, SearchResults, Span

#: How much a match in each field weighs against a match in the body.
FIELD_BOOSTS = {"title": 2.0, "caption": 0.5, "text": 1.0}

#: How much the stem of a query word (its clitics taken off) weighs against
#: the word as written. (In the index, a stem found in a word weighs
#: :data:`archive.analysis.STEM_BOOST` of the word as written.)
STEM_WEIGHT = 0.5

#: Parse-only names of a surface field searched for stems; renamed after parsing.
STEM_IN_SURFACE = {name: f"{name}__stem" for name in STEMMED_FIELDS}
SURFACE_OF_ALIAS = {alias: name for name, alias in STEM_IN_SURFACE.items()}

#: The weights of ``match="all"``: the fields, and the stems at STEM_WEIGHT.
ALL_BOOSTS = {
    **FIELD_BOOSTS,
    **{STEM_IN_SURFACE[n]: FIELD_BOOSTS[n] * STEM_WEIGHT for n in STEMMED_FIELDS},
}

#: The weights of ``match="any"``, tuned on the question sets with
#: ``benchmarks/quality.py``: a light stem (:func:`archive.arabic.light_stem`)
#: weighs twice a word as written (a word as written matches both), and the
#: title as much as the body.
ANY_BOOSTS = {"title": 1.0, "caption": 0.5, "text": 1.0, "title_stem": 2.0, "text_stem": 2.0}

#: The ways of combining the words of a query.
MATCH_MODES = ("all", "any")

#: The longest query, and the longest word in it, that is parsed. Whoosh's
#: parser takes time quadratic in the length of a word.
MAX_QUERY_CHARS = 20_000
MAX_WORD_CHARS = 300


def _positive_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


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


class _Parser(qparser.QueryParser):  # type: ignore[misc]  # whoosh is untyped
    """Whoosh's parser, with each word analyzed with its positions.

    Whoosh's own term_query flattens the analyzer's tokens into a list; here
    tokens at one position (a word and its spelled-out form) become an OR, and
    tokens at several positions (a ligature, عام1913) a sequence.
    """

    def __init__(self, *args: Any, drop: frozenset[str] = frozenset(), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.drop = drop
        self.profile = arabic.DEFAULT

    def term_query(
        self,
        fieldname: str,
        text: str,
        termclass: type,
        boost: float = 1.0,
        tokenize: bool = True,
        removestops: bool = True,
    ) -> query.Query | None:
        if self.drop and arabic.fold(text, self.profile) in self.drop:
            return None
        return positional_query(
            self.schema[fieldname], fieldname, text, termclass, boost=boost, tokenize=tokenize
        )


def positional_query(
    field: Any,
    fieldname: str,
    text: str,
    termclass: type = query.Term,
    boost: float = 1.0,
    tokenize: bool = True,
    slop: int = 1,
) -> query.Query | None:
    """The query for ``text`` in one field: its tokens, grouped by position."""
    groups: dict[int, list[str]] = {}
    for t in field.analyzer(text, positions=True, mode="query", tokenize=tokenize):
        alternatives = groups.setdefault(t.pos, [])
        if t.text not in alternatives:
            alternatives.append(t.text)
    if not groups:
        return None
    parts = [_alternatives(fieldname, words, termclass, boost) for words in groups.values()]
    if len(parts) == 1:
        return parts[0]
    if not field.format.supports("positions"):
        return None  # a stem field: phrases and words of several tokens are not looked for
    if all(isinstance(p, query.Term) for p in parts):
        return query.Phrase(fieldname, [p.text for p in parts], slop=slop, boost=boost)
    return query.Sequence(parts, slop=slop, boost=boost)


def _alternatives(fieldname: str, words: list[str], termclass: type, boost: float) -> query.Query:
    def one(word: str) -> query.Query:
        if EXACT_SEPARATOR in word:  # an exact-mode term: the skeleton and the written word
            bare, written = word.split(EXACT_SEPARATOR, 1)
            if termclass is query.Prefix:
                return Prefix(fieldname, bare, boost=boost)
            return Vocalised(fieldname, written, boost=boost)
        return (Prefix if termclass is query.Prefix else termclass)(fieldname, word, boost=boost)

    subqueries = [one(word) for word in words]
    return subqueries[0] if len(subqueries) == 1 else query.Or(subqueries)


class _PhrasePlugin(qparser.PhrasePlugin):  # type: ignore[misc]  # whoosh is untyped
    """Quoted phrases, analyzed with positions like single words."""

    class PhraseNode(syntax.TextNode):  # type: ignore[misc]
        def __init__(self, text: str, textstartchar: int, slop: int = 1) -> None:
            syntax.TextNode.__init__(self, text)
            self.textstartchar = textstartchar
            self.slop = slop

        def r(self) -> str:
            return f"{self.__class__.__name__} {self.text!r}~{self.slop}"

        def apply(self, fn: Callable[[Any], Any]) -> Any:
            return self

        def query(self, parser: _Parser) -> query.Query:
            fieldname = self.fieldname or parser.fieldname
            q = positional_query(
                parser.schema[fieldname], fieldname, self.text, slop=self.slop, boost=self.boost
            )
            return q if q is not None else query.NullQuery

    class PhraseTagger(qparser.taggers.RegexTagger):  # type: ignore[misc]
        def create(self, parser: _Parser, match: Any) -> Any:
            slop = match.group("slop")
            return _PhrasePlugin.PhraseNode(
                match.group("text"), match.start("text"), int(slop) if slop else 1
            )


def _parser(fields: dict[str, Any], boosts: dict[str, float], group: Any, drop: bool) -> _Parser:
    parser = _Parser(
        None,
        schema=Schema(**fields),
        group=group,
        drop=arabic.question_words() if drop else frozenset(),
    )
    parser.add_plugin(qparser.MultifieldPlugin(list(fields), fieldboosts=boosts))
    # Whoosh reads ? and the Arabic question mark ؟ as wildcards; a question
    # typed in Arabic would then match nothing. Only prefix* is kept.
    parser.remove_plugin_class(qparser.WildcardPlugin)
    parser.add_plugin(qparser.PrefixPlugin())
    parser.remove_plugin_class(qparser.PhrasePlugin)
    parser.add_plugin(_PhrasePlugin())
    return parser


@attrs.frozen
class Matcher:
    """What a query matches in a passage's text, for highlights.

    ``terms`` and ``prefixes`` map an analyzer mode to the terms the query looks
    for in the body in that mode; ``phrases`` to its phrases, each a tuple of
    the alternatives at each position; ``vocalised`` holds exact-mode words.
    """

    profile: arabic.Profile
    terms: dict[str, frozenset[str]]
    prefixes: dict[str, tuple[str, ...]]
    phrases: dict[str, tuple[tuple[frozenset[str], ...], ...]]
    vocalised: tuple[Vocalised, ...]

    def __call__(self, text: str) -> tuple[Span, ...]:
        """The ``(start, end)`` spans of ``text`` this query matched, in order."""
        spans: set[Span] = set()
        for mode in (SURFACE, LIGHT, EXACT):
            terms = self.terms.get(mode, frozenset())
            prefixes = self.prefixes.get(mode, ())
            phrases = self.phrases.get(mode, ())
            vocalised = self.vocalised if mode == EXACT else ()
            if not (terms or prefixes or phrases or vocalised):
                continue
            tokens = [
                (t.pos, t.text, t.startchar, t.endchar)
                for t in arabic_analyzer(mode, self.profile)(text, positions=True, chars=True)
            ]
            for _, term, start, end in tokens:
                if (
                    term in terms
                    or (prefixes and term.startswith(prefixes))
                    or any(v.matches(term.split(EXACT_SEPARATOR, 1)[1]) for v in vocalised)
                ):
                    spans.add((start, end))
            for phrase in phrases:
                spans.update(_phrase_spans(tokens, phrase))
        return _whole_words(text, spans)


def _whole_words(text: str, spans: set[Span]) -> tuple[Span, ...]:
    """Sorted spans, without a bare article (ال) standing alone."""
    return tuple(sorted(s for s in spans if arabic.fold(text[s[0] : s[1]]) != "ال"))


def _phrase_spans(
    tokens: list[tuple[int, str, int, int]], phrase: tuple[frozenset[str], ...]
) -> set[Span]:
    by_pos: dict[int, list[tuple[str, int, int]]] = {}
    for pos, term, start, end in tokens:
        by_pos.setdefault(pos, []).append((term, start, end))
    found: set[Span] = set()
    for pos in by_pos:
        run: list[Span] = []
        for i, alternatives in enumerate(phrase):
            hits = [(s, e) for term, s, e in by_pos.get(pos + i, []) if term in alternatives]
            if not hits:
                break
            run.append(hits[0])
        else:
            found.update(run)
    return found


#: How the index analyzed the body text in each field a query can name.
_MODE_OF_FIELD = {"text": SURFACE, "text_stem": LIGHT, "text_exact": EXACT}


class _Gathered:
    """What :func:`_collect` finds in a query, per analyzer mode."""

    def __init__(self) -> None:
        self.terms: dict[str, set[str]] = {}
        self.prefixes: dict[str, list[str]] = {}
        self.phrases: dict[str, list[tuple[frozenset[str], ...]]] = {}
        self.vocalised: list[Vocalised] = []


def _collect(q: query.Query, out: _Gathered) -> None:
    """Gather what a query looks for in the body, leaving out NOT branches."""
    if isinstance(q, query.Not):
        return
    if isinstance(q, query.AndNot):
        _collect(q.a, out)
        return
    mode = _MODE_OF_FIELD.get(getattr(q, "fieldname", None) or "")
    if isinstance(q, Vocalised):
        if mode == EXACT:
            out.vocalised.append(q)
        return
    if isinstance(q, (query.Phrase, query.Sequence)):
        words = _phrase_words(q)
        if q.slop > 1:  # words near each other: each occurrence is highlighted
            for child in q.children() if isinstance(q, query.Sequence) else ():
                _collect(child, out)
            if isinstance(q, query.Phrase) and mode is not None:
                out.terms.setdefault(mode, set()).update(q.words)
        elif words and words[1] in _MODE_OF_FIELD:
            out.phrases.setdefault(_MODE_OF_FIELD[words[1]], []).append(words[0])
        elif words is None and isinstance(q, query.Sequence):
            for child in q.children():  # an exact phrase: highlighted word by word
                _collect(child, out)
        return
    if isinstance(q, query.Prefix):
        if mode is not None:
            out.prefixes.setdefault(mode, []).append(q.text)
        return
    if isinstance(q, query.Term):
        if mode is not None:
            out.terms.setdefault(mode, set()).add(q.text)
        return
    for child in q.children():
        _collect(child, out)


def _phrase_words(q: query.Query) -> tuple[tuple[frozenset[str], ...], str] | None:
    if isinstance(q, query.Phrase):
        return tuple(frozenset([w]) for w in q.words), q.fieldname
    positions: list[frozenset[str]] = []
    fieldname = None
    for sub in q.subqueries:
        leaves = [sub] if not isinstance(sub, query.Or) else list(sub.subqueries)
        words: set[str] = set()
        for leaf in leaves:
            if isinstance(leaf, Vocalised):
                return None  # exact phrases are highlighted word by word
            if not isinstance(leaf, query.Term):
                return None
            words.add(leaf.text)
            fieldname = leaf.fieldname
        positions.append(frozenset(words))
    return (tuple(positions), fieldname) if fieldname else None


class Searcher:
    """Parses queries for an index and turns Whoosh results into archive results."""

    def __init__(self, profile: arabic.Profile = arabic.DEFAULT) -> None:
        self.profile = profile
        surface = {name: text_field(SEARCH, profile) for name in TEXT_FIELDS}
        exact = {name: text_field(EXACT, profile) for name in TEXT_FIELDS}
        self._parsers: dict[tuple[bool, str], _Parser] = {}
        for match, group, boosts in (
            ("all", qparser.AndGroup, ALL_BOOSTS),
            ("any", qparser.OrGroup, ANY_BOOSTS),
        ):
            fields = dict(surface)
            if match == "all":
                # The stem of a query word is looked for in the surface field,
                # which holds the stems of its words.
                for name in STEMMED_FIELDS:
                    fields[STEM_IN_SURFACE[name]] = text_field(STEM, profile)
            else:
                for stem in STEM_FIELDS.values():
                    fields[stem] = text_field(LIGHT, profile)
            drop = match == "any"
            self._parsers[False, match] = _parser(fields, boosts, group, drop)
            self._parsers[True, match] = _parser(exact, FIELD_BOOSTS, group, drop)
        for parser in self._parsers.values():
            parser.profile = profile
            if parser.drop:
                parser.drop = arabic.question_words(profile)
        self.weighting = scoring.BM25F()

    def parse(self, text: str, exact: bool = False, match: str = "all") -> query.Query:
        """The Whoosh query for ``text``.

        Raises:
            QueryError: the query is empty or has no searchable word, or ``match``
                is not ``"all"`` or ``"any"``.
        """
        if not isinstance(text, str):
            raise QueryError(f"a query must be a string, not {type(text).__name__}", repr(text))
        if match not in MATCH_MODES:
            raise QueryError(f"match must be 'all' or 'any', not {match!r}", text)
        if not text.strip():
            raise QueryError("empty query", text)
        if len(text) > MAX_QUERY_CHARS:
            raise QueryError(
                f"the query is {len(text):,} characters long; the limit is {MAX_QUERY_CHARS:,}",
                text[:80] + "…",
            )
        longest = max(len(word) for word in text.split())
        if longest > MAX_WORD_CHARS:
            raise QueryError(
                f"a word of the query is {longest:,} characters long; "
                f"the limit is {MAX_WORD_CHARS}",
                text[:80] + "…",
            )
        q = self._parse(text, exact, match)
        if q is query.NullQuery and match == "any":
            # Every word was a question word: search them after all.
            q = self._parse(text, exact, "all")
        if q is query.NullQuery:
            raise QueryError("the query has no searchable word", text)
        return _merge_duplicates(q.accept(_to_exact if exact else _to_surface))

    def _parse(self, text: str, exact: bool, match: str) -> query.Query:
        try:
            return self._parsers[exact, match].parse(text)
        except RecursionError:
            raise QueryError("the query nests too deeply", text[:80]) from None
        except Exception as exc:  # Whoosh's parser fails with bare IndexError and others
            raise QueryError(f"cannot parse the query ({type(exc).__name__})", text) from None

    def matcher(self, q: query.Query) -> Matcher:
        """The highlighter for the body text of passages that ``q`` matched."""
        gathered = _Gathered()
        _collect(q, gathered)
        return Matcher(
            profile=self.profile,
            terms={m: frozenset(t) for m, t in gathered.terms.items()},
            prefixes={m: tuple(p) for m, p in gathered.prefixes.items()},
            phrases={m: tuple(p) for m, p in gathered.phrases.items()},
            vocalised=tuple(gathered.vocalised),
        )

    def run(
        self,
        searcher: Any,
        text: str,
        *,
        limit: int | None,
        page: int,
        exact: bool,
        match: str,
        load: Callable[[dict[str, Any]], Passage],
        filters: Filters | None = None,
        sort: str = "score",
    ) -> SearchResults:
        """Search with a Whoosh searcher and build one page of results."""
        if limit is not None and not _positive_int(limit):
            raise QueryError(f"limit must be a positive integer or None, not {limit!r}", text)
        if not _positive_int(page):
            raise QueryError(f"page must be a positive integer, not {page!r}", text)
        if limit is None or sort != "score" or filters:
            # Every hit: with a filter, Whoosh counts the total of a limited
            # search without it, and other orders need every hit to sort.
            ranked, locate = self.ranked(
                searcher, text, exact=exact, match=match, filters=filters, sort=sort
            )
            total = len(ranked)
        else:
            q = _for_searching(self.parse(text, exact=exact, match=match), searcher)
            # replace=0: Whoosh's matcher replacement prunes documents it should
            # keep when an AND holds ORs of boosted fields, so a search with a
            # limit missed hits that ranked first without one. usequality=False:
            # the collector then visits every match and counts the total in the
            # same pass; with block skipping, Whoosh ran the whole query a second
            # time to count it (1.5x slower at the median, measured).
            collector = TopCollector(limit=page * limit)
            searcher.search_with_collector(q, collector)
            ranked = collector.ranked(searcher)
            total = collector.total
            locate = self.matcher(q)
        first = 0 if limit is None else (page - 1) * limit
        last = None if limit is None else page * limit
        hits = tuple(
            Hit(passage=load(searcher.stored_fields(docnum)), score=score, rank=rank, locate=locate)
            for rank, (docnum, score) in enumerate(ranked[first:last], first + 1)
        )
        return SearchResults(
            query=text,
            total=total,
            hits=hits,
            page=page,
            limit=limit,
            exact=exact,
            match=match,
        )

    def ranked(
        self,
        searcher: Any,
        text: str,
        *,
        exact: bool,
        match: str,
        filters: Filters | None,
        sort: str = "score",
    ) -> tuple[list[tuple[int, float]], Matcher]:
        """Every matching document number with its score, in order, and the highlighter."""
        check_sort(sort, text)
        q = _for_searching(self.parse(text, exact=exact, match=match), searcher)
        results = searcher.search(q, limit=None, filter=filters.query() if filters else None)
        ranked = [
            (results.docnum(i), float(results.score(i))) for i in range(results.scored_length())
        ]
        ranked = sort_hits(searcher, ranked, sort)
        return ranked, self.matcher(q)


@attrs.frozen
class Filters:
    """Which passages a search may return: a glob on their source and metadata values.

    ``source`` is a glob (``*`` and ``?``) matched against the whole source;
    ``where`` holds ``(key, value)`` pairs that must all be in the metadata (a
    list value holds each of its items), compared as text.
    """

    source: str | None = None
    where: tuple[tuple[str, str], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.source or self.where)

    def query(self) -> query.Query | None:
        """The Whoosh filter query, or None when nothing is filtered."""
        parts: list[query.Query] = []
        if self.source:
            parts.append(query.Wildcard("source", self.source))
        parts += [query.Term("meta", f"{key}={value}") for key, value in self.where]
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else query.And(parts)

    @classmethod
    def make(cls, source: str | None, where: Mapping[str, Any] | None) -> Filters:
        """Filters from the keyword arguments of the public API.

        Raises:
            QueryError: a ``where`` value that is not text, a number or a bool.
        """
        pairs = []
        for key, value in (where or {}).items():
            text = meta_value(value)
            if text is None:
                raise QueryError(
                    f"where {key!r} must be text, a number or true/false, not {value!r}",
                    str(value),
                )
            pairs.append((str(key), text))
        return cls(source or None, tuple(pairs))


def check_sort(sort: str, text: str) -> None:
    """Raises QueryError unless ``sort`` orders hits by score, by their place in
    their source, or by a metadata value (``"meta:volume"``)."""
    if sort in ("score", "source") or (sort.startswith("meta:") and len(sort) > 5):
        return
    raise QueryError(f"sort must be 'score', 'source' or 'meta:KEY', not {sort!r}", text)


def sort_hits(searcher: Any, ranked: list[tuple[int, float]], sort: str) -> list[tuple[int, float]]:
    """``ranked`` in the order ``sort`` names: by score, in source order, or by a
    metadata value (missing values last); ties in passage id order."""
    if sort == "score":
        return by_score(searcher, ranked)
    return sorted(ranked, key=lambda item: hit_key(searcher.stored_fields(item[0]), item[1], sort))


#: Scores are compared to this many decimals when hits are ordered, so that a
#: score summed in another order (in another segment, or on another shard) ties
#: with its equal: the order of hits is the same however the index is split.
SCORE_DECIMALS = 9


#: Two scores that round to the same :func:`tie_score` differ by less than this.
_TIE_STEP = 1.000001 * 10.0**-SCORE_DECIMALS


def tie_score(score: float) -> float:
    """The score that orders a hit: ``score`` to :data:`SCORE_DECIMALS` decimals."""
    return round(score, SCORE_DECIMALS)


def hit_key(fields: Mapping[str, Any], score: float, sort: str) -> tuple[Any, ...]:
    """The sort key of a hit from its stored fields: one total order, ties broken
    by passage id, that an index split into shards reproduces.

    >>> first, second = {"passage": {"id": "b"}}, {"passage": {"id": "a"}}
    >>> hit_key(first, 1.5, "score") < hit_key(second, 1.0, "score") < hit_key(first, 1.0, "score")
    True
    """
    passage = fields["passage"]
    pid = passage["id"]
    if sort == "score":
        return (-tie_score(score), pid)
    if sort == "source":
        return (passage["source"], fields.get("file", ""), fields.get("line", 0), pid)
    value = passage["metadata"].get(sort[5:])
    if value is None:
        return (2, "", -tie_score(score), pid)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (0, value, -tie_score(score), pid)
    return (1, str(value), -tie_score(score), pid)


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
            if items[0][0] - dropped[0] < _TIE_STEP:
                self.ties.append(dropped)  # perhaps still tied with the lowest kept
        elif low - score < _TIE_STEP:
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


def _renamer(names: dict[str, str]) -> Callable[[query.Query], query.Query]:
    """A function that moves a leaf query to another field, for ``Query.accept``."""

    def rename(q: query.Query) -> query.Query:
        name = getattr(q, "fieldname", None)
        if name in names:
            q = copy.copy(q)
            q.fieldname = names[name]
        return q

    return rename


_to_surface = _renamer(SURFACE_OF_ALIAS)


def _empty_fields(searcher: Any) -> frozenset[str]:
    """The fields of the searcher's index that no passage has words in, worked out
    once per searcher (a searcher sees one fixed state of the index)."""
    empty: frozenset[str] | None = getattr(searcher, "_archive_empty_fields", None)
    if empty is None:
        reader = searcher.reader()
        empty = frozenset(n for n in reader.schema.names() if reader.field_length(n) == 0)
        searcher._archive_empty_fields = empty
    return empty


def _for_searching(q: query.Query, searcher: Any) -> query.Query:
    """``q`` made cheaper to run on this index, with the same hits and scores.

    Terms of fields that no passage has words in (no captions, say) are left
    out. Every OR walks its postings: for an OR of more than two parts, Whoosh
    reads every posting of a small segment (5,000 documents or fewer) into
    arrays, which for the few hits of a word was several times slower (median
    8.1 ms against 4.6 ms on the hadith benchmark, whose parallel ingest leaves
    three segments of about 5,000).
    """
    empty = _empty_fields(searcher)
    if empty:

        def drop(sub: query.Query) -> query.Query:
            return query.NullQuery if getattr(sub, "fieldname", None) in empty else sub

        pruned = q.accept(drop).normalize()
        if pruned is not query.NullQuery:
            q = pruned

    def walk(sub: query.Query) -> query.Query:
        if isinstance(sub, query.Or):
            sub.matcher_type = query.Or.DEFAULT_MATCHER
        return sub

    return q.accept(walk)


def _merge_duplicates(q: query.Query) -> query.Query:
    """Join the terms an OR holds twice (a stem that is also the surface word).

    A term's BM25 score is linear in its boost, so one term with the summed
    boost scores as the two did, and is looked up once.
    """
    if isinstance(q, query.Or):
        merged: dict[tuple[str, str], query.Term] = {}
        others: list[query.Query] = []
        for sub in q.subqueries:
            sub = _merge_duplicates(sub)
            if type(sub) is query.Term:
                key = (sub.fieldname, sub.text)
                if key in merged:
                    merged[key] = query.Term(
                        sub.fieldname, sub.text, boost=merged[key].boost + sub.boost
                    )
                    continue
                merged[key] = sub
            others.append(sub)
        subs = [merged[(s.fieldname, s.text)] if type(s) is query.Term else s for s in others]
        return query.Or(subs, boost=q.boost)
    if isinstance(q, query.compound.CompoundQuery):
        return q.__class__([_merge_duplicates(s) for s in q.subqueries], boost=q.boost)
    if isinstance(q, query.Not):
        return query.Not(_merge_duplicates(q.query), boost=q.boost)
    return q


_to_exact = _renamer(EXACT_FIELDS)
