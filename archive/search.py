"""Query parsing, ranking and highlights. Knows nothing of file formats.

The query syntax is Whoosh's: words must all match (AND), with ``OR``, ``NOT``,
parentheses, ``"phrases"``, ``prefix*`` and ``field:word`` (fields ``title``,
``caption``, ``text``). Every word is analyzed like the indexed text, so each
spelling variant of a word finds the same passages.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import attrs
from whoosh import qparser, query, scoring
from whoosh.fields import Schema

from archive.analysis import arabic_analyzer
from archive.errors import QueryError
from archive.index import EXACT_FIELDS, TEXT_FIELDS, text_field
from archive.models import Hit, Passage, SearchResults, Span

#: How much a match in each field weighs against a match in the body.
FIELD_BOOSTS = {"title": 2.0, "caption": 0.5, "text": 1.0}


def _parser(exact: bool) -> qparser.QueryParser:
    # Parse against a schema of the visible field names (title, caption, text)
    # with the analyzer of the mode; exact mode renames the fields afterwards.
    names = Schema(**{name: text_field(exact=exact) for name in TEXT_FIELDS})
    parser = qparser.MultifieldParser(
        list(TEXT_FIELDS), schema=names, fieldboosts=FIELD_BOOSTS, group=qparser.AndGroup
    )
    # Whoosh reads ? and the Arabic question mark ؟ as wildcards; a question
    # typed in Arabic would then match nothing. Only prefix* is kept.
    parser.remove_plugin_class(qparser.WildcardPlugin)
    parser.add_plugin(qparser.PrefixPlugin())
    return parser


@attrs.frozen
class Matcher:
    """What a query matches in a passage's text: its terms, prefixes and phrases."""

    exact: bool
    terms: frozenset[str]
    prefixes: tuple[str, ...]
    phrases: tuple[tuple[str, ...], ...]

    def __call__(self, text: str) -> tuple[Span, ...]:
        """The ``(start, end)`` spans of ``text`` this query matched, in order."""
        analyzer = arabic_analyzer(exact=self.exact)
        tokens = [
            (t.pos, t.text, t.startchar, t.endchar)
            for t in analyzer(text, positions=True, chars=True)
        ]
        spans: set[Span] = set()
        for _, word, start, end in tokens:
            if word in self.terms or (self.prefixes and word.startswith(self.prefixes)):
                spans.add((start, end))
        for phrase in self.phrases:
            spans.update(_phrase_spans(tokens, phrase))
        return tuple(sorted(spans))


def _phrase_spans(tokens: list[tuple[int, str, int, int]], phrase: tuple[str, ...]) -> set[Span]:
    by_pos: dict[int, tuple[str, int, int]] = {pos: (w, s, e) for pos, w, s, e in tokens}
    found: set[Span] = set()
    for pos, word, _, _ in tokens:
        if word != phrase[0]:
            continue
        run = [by_pos.get(pos + i) for i in range(len(phrase))]
        if all(r is not None and r[0] == w for r, w in zip(run, phrase, strict=True)):
            found.update((r[1], r[2]) for r in run if r is not None)
    return found


def _collect(q: query.Query, text_fields: set[str], out: dict[str, Any]) -> None:
    """Gather the words a query looks for in the body, leaving out NOT branches."""
    if isinstance(q, query.Not):
        return
    if isinstance(q, query.Phrase):
        if q.fieldname in text_fields:
            out["phrases"].append(tuple(q.words))
        return
    if isinstance(q, query.Prefix):
        if q.fieldname in text_fields:
            out["prefixes"].append(q.text)
        return
    if isinstance(q, query.Term):
        if q.fieldname in text_fields:
            out["terms"].add(q.text)
        return
    if isinstance(q, query.AndNot):
        _collect(q.a, text_fields, out)
        return
    for child in q.children():
        _collect(child, text_fields, out)


class Searcher:
    """Parses queries for an index and turns Whoosh results into archive results."""

    def __init__(self) -> None:
        self._parsers = {False: _parser(False), True: _parser(True)}
        self.weighting = scoring.BM25F()

    def parse(self, text: str, exact: bool = False) -> query.Query:
        """The Whoosh query for ``text``.

        Raises:
            QueryError: the query is empty or has no searchable word.
        """
        if not isinstance(text, str):
            raise QueryError(f"a query must be a string, not {type(text).__name__}", repr(text))
        if not text.strip():
            raise QueryError("empty query", text)
        q = self._parsers[exact].parse(text)
        if q is query.NullQuery:
            raise QueryError("the query has no searchable word", text)
        if exact:
            q = q.accept(_to_exact)
        return q

    def matcher(self, q: query.Query, exact: bool) -> Matcher:
        """The highlighter for the body text of passages that ``q`` matched."""
        field = EXACT_FIELDS["text"] if exact else "text"
        out: dict[str, Any] = {"terms": set(), "prefixes": [], "phrases": []}
        _collect(q, {field}, out)
        return Matcher(
            exact=exact,
            terms=frozenset(out["terms"]),
            prefixes=tuple(out["prefixes"]),
            phrases=tuple(out["phrases"]),
        )

    def run(
        self,
        searcher: Any,
        text: str,
        *,
        limit: int | None,
        page: int,
        exact: bool,
        load: Callable[[dict[str, Any]], Passage],
    ) -> SearchResults:
        """Search with a Whoosh searcher and build one page of results."""
        if limit is not None and (isinstance(limit, bool) or limit < 1):
            raise QueryError(f"limit must be a positive integer or None, not {limit!r}", text)
        if isinstance(page, bool) or page < 1:
            raise QueryError(f"page must be a positive integer, not {page!r}", text)
        q = self.parse(text, exact=exact)
        wanted = None if limit is None else page * limit
        results = searcher.search(q, limit=wanted)
        total = len(results)
        first = 0 if limit is None else (page - 1) * limit
        locate = self.matcher(q, exact)
        hits = tuple(
            Hit(
                passage=load(searcher.stored_fields(results.docnum(i))),
                score=float(results.score(i)),
                rank=i + 1,
                locate=locate,
            )
            for i in range(first, results.scored_length())
        )
        return SearchResults(
            query=text, total=total, hits=hits, page=page, limit=limit, exact=exact
        )


def _to_exact(q: query.Query) -> query.Query:
    name = getattr(q, "fieldname", None)
    if name in EXACT_FIELDS:
        q = copy.copy(q)
        q.fieldname = EXACT_FIELDS[name]
    return q
