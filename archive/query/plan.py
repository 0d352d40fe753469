"""From the text of a query to the analyzed tree every engine runs.

:func:`archive.query.parse.parse` reads the syntax; a :class:`Planner` then
analyzes every word as the indexed text was analyzed and spreads each unfielded
word over the fields of its match mode, each field with its weight:

* ``match="all"``: the word as folded in ``title`` (2), ``caption`` (0.5) and
  ``text`` (1), and its stem (clitics taken off) in ``title`` and ``text`` at
  :data:`STEM_WEIGHT` of those weights (the index holds each word's stems at
  the word's position);
* ``match="any"``: the word as folded in ``title`` (1), ``caption`` (0.5) and
  ``text`` (1), and its light stem in ``title_stem`` and ``text_stem`` (2);
  question words and particles are dropped;
* ``exact=True``: the word as written in ``title_exact``, ``caption_exact`` and
  ``text_exact``, with the weights of ``match="all"``.

A wildcard word (``*كتاب``, ``ك*ب``) is not analyzed but folded, piece by
piece, and looked for whole in ``title``, ``caption`` and ``text`` (whose terms
include the stems) with their weights, or in exact mode in the exact fields;
never in the light-stem fields.

A term that an OR holds twice (a stem that is also the word as written) is
kept once with the summed weight: BM25 is linear in the weight, so the score is
the same and the term is looked up once.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from archive import arabic
from archive.arabic.analysis import (
    EXACT,
    EXACT_SEPARATOR,
    LIGHT,
    SEARCH,
    STEM,
    Analyzer,
    analyze_word,
)
from archive.arabic.roots import root_key
from archive.errors import QueryError
from archive.query import syntax
from archive.query import tree as t
from archive.query.parse import MIN_WILDCARD_LETTERS, parse

#: How much a match in each field weighs against a match in the body.
FIELD_BOOSTS = {"title": 2.0, "caption": 0.5, "text": 1.0}

#: How much the stem of a query word (its clitics taken off) weighs against
#: the word as written. (In the index, a stem found in a word weighs
#: :data:`archive.arabic.analysis.STEM_BOOST` of the word as written.)
STEM_WEIGHT = 0.5

#: The weights of ``match="any"``, tuned on the question sets with
#: ``benchmarks/quality.py``: a light stem (:func:`archive.arabic.light_stem`)
#: weighs twice a word as written (a word as written matches both), and the
#: title as much as the body.
ANY_BOOSTS = {"title": 1.0, "caption": 0.5, "text": 1.0, "title_stem": 2.0, "text_stem": 2.0}

#: In ``match="any"``, each two neighbouring words of a query of plain words
#: (question words and particles left out) are also looked for near each other
#: in the body (a phrase of the two, with as many words between them as the
#: query has, at most :data:`PAIR_SLOP` - 1), at this weight; the pairs add to
#: the score of the passages the words find and find none of their own. Since the body holds the
#: stems of its words as terms (at a third of a word's weight), the words alone
#: rank a short verse with the words' clitic forms above the verse that holds
#: them as written; the pairs rank a run of the query's words first
#: (``benchmarks/quran.py``; ``benchmarks/quality.py`` for the weight).
PAIR_WEIGHT = 0.2

#: The most neighbouring pairs looked for, the first ones of the query.
MAX_PAIRS = 24

#: The farthest apart, in words of the query, two words of a pair may be.
PAIR_SLOP = 3

#: The ways of combining the words of a query.
MATCH_MODES = ("all", "any")

#: The fields a query may name (``title:word``).
QUERY_FIELDS = ("title", "caption", "text")

#: The field of the words' roots, named in a query (``root:كتب``) of an index with roots.
ROOT_FIELD = "root"

#: The field that exact mode searches in place of each text field.
EXACT_FIELDS = {name: f"{name}_exact" for name in QUERY_FIELDS}

#: The longest query, and the longest word in it, that is planned.
MAX_QUERY_CHARS = 20_000
MAX_WORD_CHARS = 300

#: The most words a phrase may hold, and a whole query (the words of its
#: phrases included): the work of a query grows with its words, and a phrase of
#: hundreds of words ran for minutes on a large index. A pasted paragraph of a
#: few dozen words (``match="any"``) is well under both.
MAX_PHRASE_WORDS = 50
MAX_QUERY_WORDS = 200


@attrs.frozen
class Field:
    """One field a word is looked for in: the index field, how the query word is
    analyzed for it, the weight, and whether the field keeps positions."""

    name: str
    mode: str
    boost: float
    positions: bool = True


def _fields(exact: bool, match: str) -> tuple[Field, ...]:
    if exact:
        return tuple(Field(EXACT_FIELDS[n], EXACT, b) for n, b in FIELD_BOOSTS.items())
    if match == "all":
        return (
            *(Field(n, SEARCH, b) for n, b in FIELD_BOOSTS.items()),
            Field("title", STEM, FIELD_BOOSTS["title"] * STEM_WEIGHT, positions=False),
            Field("text", STEM, FIELD_BOOSTS["text"] * STEM_WEIGHT, positions=False),
        )
    return (
        *(Field(n, SEARCH, ANY_BOOSTS[n]) for n in QUERY_FIELDS),
        *(Field(n, LIGHT, ANY_BOOSTS[n], positions=False) for n in ("title_stem", "text_stem")),
    )


@attrs.frozen
class Plan:
    """A planned query: its text, options and analyzed tree."""

    text: str
    exact: bool
    match: str
    root: t.Node


class Planner:
    """Plans queries for an index with one folding profile."""

    def __init__(self, profile: arabic.Profile = arabic.DEFAULT) -> None:
        self.profile = profile
        self._drop = arabic.question_words(profile)
        self._fields = {
            (exact, match): _fields(exact, match)
            for exact in (False, True)
            for match in MATCH_MODES
        }
        self._analyzers = {
            mode: Analyzer(mode, profile, query=True) for mode in (SEARCH, STEM, LIGHT, EXACT)
        }

    def plan(self, text: str, *, exact: bool = False, match: str = "all") -> Plan:
        """The analyzed tree of ``text``.

        Raises:
            QueryError: the query is not a string, empty, too long, malformed or
                has no searchable word, or ``match`` is not ``"all"`` or ``"any"``.
        """
        check_text(text, match)
        root = self._plan(text, exact, match)
        if root is None and match == "any":
            root = self._plan(text, exact, "all")  # every word was a question word
        if root is None:
            raise QueryError("the query has no searchable word", text)
        if match == "any" and not exact:
            root = self._pairs(text, root)
        return Plan(text=text, exact=exact, match=match, root=merge_duplicates(root))

    def _pairs(self, text: str, root: t.Node) -> t.Node:
        """``root`` with the neighbouring pairs of a query of plain words as an
        optional part (:data:`PAIR_WEIGHT`); ``root`` alone for other queries."""
        try:
            node = parse(text, default="or", fields=QUERY_FIELDS)
        except QueryError:  # a field of this index that pairs do not look in
            return root
        children = node.children if isinstance(node, syntax.Or) else (node,)
        words = [
            c.text
            for c in children
            if isinstance(c, syntax.Word) and c.field is None and not c.prefix and c.boost == 1.0
        ]
        if len(words) < 2 or len(words) != len(children):
            return root
        at = [i for i, w in enumerate(words) if arabic.fold(w, self.profile) not in self._drop]
        near = [(at[k], at[k + 1]) for k in range(len(at) - 1) if at[k + 1] - at[k] <= PAIR_SLOP]
        field = Field("text", SEARCH, PAIR_WEIGHT)
        pairs = (
            self._positional(f"{words[i]} {words[j]}", field, prefix=False, slop=j - i)
            for i, j in near[:MAX_PAIRS]
        )
        kept = tuple(p for p in pairs if isinstance(p, t.Phrase))
        if not kept:
            return root
        return t.AndMaybe(root, kept[0] if len(kept) == 1 else t.Or(kept))

    def _plan(self, text: str, exact: bool, match: str) -> t.Node | None:
        fields = (*QUERY_FIELDS, ROOT_FIELD) if self.profile.roots else QUERY_FIELDS
        try:
            node = parse(text, default="and" if match == "all" else "or", fields=fields)
        except QueryError as exc:
            if not self.profile.roots and f"{ROOT_FIELD}:" in text and "unknown field" in str(exc):
                raise QueryError(
                    "root: needs an index built with roots (archive ingest --roots into a "
                    "new index, or Archive(path, profile=Profile(roots=True)))",
                    text,
                ) from None
            raise
        check_words(node, text)
        drop = self._drop if match == "any" else frozenset()
        return t.normalize(self._node(node, self._fields[exact, match], exact, drop))

    def _node(
        self, node: syntax.Node, fields: tuple[Field, ...], exact: bool, drop: frozenset[str]
    ) -> t.Node | None:
        if isinstance(node, syntax.Wildcard):
            return self._wildcard(node, fields, exact)
        if isinstance(node, (syntax.Word, syntax.Phrase)):
            if node.field is None:
                parts = [self._leaf(node, f, drop) for f in fields]
                kept = tuple(p for p in parts if p is not None)
                return t.Or(kept, node.boost) if kept else None
            if node.field == ROOT_FIELD:
                return self._root(node)
            name = EXACT_FIELDS[node.field] if exact else node.field
            mode = EXACT if exact else SEARCH
            return self._leaf(node, Field(name, mode, node.boost), drop)
        if isinstance(node, syntax.And):
            return _group(t.And, (self._node(c, fields, exact, drop) for c in node.children))
        if isinstance(node, syntax.Or):
            return _group(t.Or, (self._node(c, fields, exact, drop) for c in node.children))
        if isinstance(node, syntax.Not):
            child = self._node(node.child, fields, exact, drop)
            return None if child is None else t.Not(child)
        if isinstance(node, syntax.AndNot):
            positive = self._node(node.positive, fields, exact, drop)
            negative = self._node(node.negative, fields, exact, drop)
            if positive is None or negative is None:
                return positive
            return t.AndNot(positive, negative)
        if isinstance(node, syntax.AndMaybe):
            required = self._node(node.required, fields, exact, drop)
            optional = self._node(node.optional, fields, exact, drop)
            if required is None or optional is None:
                return required
            return t.AndMaybe(required, optional)
        raise AssertionError(f"unknown syntax node {node!r}")

    def _wildcard(
        self, node: syntax.Wildcard, fields: tuple[Field, ...], exact: bool
    ) -> t.Node | None:
        """A wildcard word in the surface fields (their stems are terms of the same
        fields), or in exact mode the exact fields, its letters folded as the
        index folds them (in an exact field, to the skeleton)."""
        pieces = node.text.split("*")
        if exact:
            folded = [arabic.skeleton(arabic.fold_exact(piece)) for piece in pieces]
        else:
            folded = [arabic.fold(piece, self.profile) for piece in pieces]
        pattern = "*".join(folded)
        written = "" if node.field is None else node.field + ":"
        written += node.text
        if any(char.isspace() for char in pattern):
            raise QueryError(f"the wildcard {written!r} stands for more than one word", written)
        if len(pattern) - pattern.count("*") < MIN_WILDCARD_LETTERS:
            raise QueryError(
                f"the wildcard {written!r} has fewer than {MIN_WILDCARD_LETTERS} letters "
                "besides its * once folded (marks and tatweel are not letters): "
                "write more of the word",
                written,
            )
        if node.field is not None:
            name = EXACT_FIELDS[node.field] if exact else node.field
            return t.Wildcard(name, pattern, node.boost, written)
        kept = tuple(
            t.Wildcard(f.name, pattern, f.boost, written)
            for f in fields
            if f.mode in (SEARCH, EXACT)
        )
        return t.Or(kept, node.boost) if kept else None

    def _root(self, node: syntax.Word | syntax.Phrase) -> t.Node:
        """``root:كتب``: the passages with a word of that root (:mod:`archive.arabic.roots`).

        Raises:
            QueryError: a phrase or prefix, or text that cannot be a root.
        """
        if isinstance(node, syntax.Phrase) or node.prefix:
            raise QueryError("root: takes one root, not a phrase or a prefix", node.text)
        return t.Term(ROOT_FIELD, root_key(node.text), node.boost)

    def _leaf(
        self, node: syntax.Word | syntax.Phrase, field: Field, drop: frozenset[str]
    ) -> t.Node | None:
        if isinstance(node, syntax.Phrase):
            if "*" in node.text:
                raise QueryError(
                    "wildcards (*) are not supported inside a phrase: "
                    f'search for the words side by side instead of "{node.text}"',
                    node.text,
                )
            return self._positional(node.text, field, prefix=False, slop=node.slop)
        if drop and arabic.fold(node.text, self.profile) in drop:
            return None
        return self._positional(node.text, field, prefix=node.prefix)

    def _positional(self, text: str, field: Field, *, prefix: bool, slop: int = 1) -> t.Node | None:
        """The query for ``text`` in one field: its terms grouped by position."""
        groups: list[list[str]] = []
        if prefix:  # the whole text is one word: a prefix is not split
            for spellings in analyze_word(text, field.mode, self.profile, query=True):
                groups.append(list(dict.fromkeys(spellings)))
        else:
            by_position: dict[int, list[str]] = {}
            for token in self._analyzers[field.mode](text):
                terms = by_position.setdefault(token.position, [])
                if token.term not in terms:
                    terms.append(token.term)
            groups = list(by_position.values())
        if not groups:
            return None
        parts = tuple(_alternatives(field, words, prefix) for words in groups)
        if len(parts) == 1:
            return parts[0]
        if not field.positions:
            return None  # a stem field: phrases and words of several terms are not looked for
        return t.Phrase(field.name, parts, slop=slop, boost=field.boost)


def _alternatives(field: Field, words: list[str], prefix: bool) -> t.Node:
    def one(word: str) -> t.Leaf:
        if EXACT_SEPARATOR in word:  # an exact-mode term: the skeleton and the written word
            bare, written = word.split(EXACT_SEPARATOR, 1)
            if prefix:
                return t.Prefix(field.name, bare, field.boost)
            return t.Vocalised(field.name, written, field.boost)
        return (t.Prefix if prefix else t.Term)(field.name, word, field.boost)

    subqueries = tuple(one(word) for word in words)
    return subqueries[0] if len(subqueries) == 1 else t.Or(subqueries)


def _group(kind: type[t.And] | type[t.Or], nodes: Iterable[t.Node | None]) -> t.Node | None:
    kept = tuple(n for n in nodes if n is not None)
    return kind(kept) if kept else None


def merge_duplicates(node: t.Node) -> t.Node:
    """Join the terms an OR holds twice (a stem that is also the surface word) into
    one with the summed boost, at the place of the first.

    >>> merge_duplicates(t.Or((t.Term("text", "a"), t.Term("text", "a", 0.5))))
    Or(children=(Term(field='text', text='a', boost=1.5),), boost=1.0)
    """
    if isinstance(node, t.Or):
        merged: dict[tuple[str, str], t.Term] = {}
        order: list[t.Node | tuple[str, str]] = []
        for child in node.children:
            child = merge_duplicates(child)
            if type(child) is t.Term:
                key = (child.field, child.text)
                if key in merged:
                    merged[key] = attrs.evolve(merged[key], boost=merged[key].boost + child.boost)
                    continue
                merged[key] = child
                order.append(key)
            else:
                order.append(child)
        subs = tuple(merged[o] if isinstance(o, tuple) else o for o in order)
        return t.Or(subs, node.boost)
    if isinstance(node, t.And):
        return t.And(tuple(merge_duplicates(c) for c in node.children), node.boost)
    if isinstance(node, t.Not):
        return t.Not(merge_duplicates(node.child), node.boost)
    if isinstance(node, t.AndNot):
        return t.AndNot(
            merge_duplicates(node.positive), merge_duplicates(node.negative), node.boost
        )
    if isinstance(node, t.AndMaybe):
        return t.AndMaybe(
            merge_duplicates(node.required), merge_duplicates(node.optional), node.boost
        )
    return node


def check_words(node: syntax.Node, text: str) -> None:
    """Raises QueryError if a phrase of ``node`` holds more than
    :data:`MAX_PHRASE_WORDS` words, or the query more than :data:`MAX_QUERY_WORDS`."""
    total = 0
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, syntax.Phrase):
            words = len(item.text.split())
            if words > MAX_PHRASE_WORDS:
                raise QueryError(
                    f"a phrase of {words} words; the limit is {MAX_PHRASE_WORDS}", text[:80] + "…"
                )
            total += words
        elif isinstance(item, (syntax.Word, syntax.Wildcard)):
            total += 1
        elif isinstance(item, (syntax.And, syntax.Or)):
            stack.extend(item.children)
        elif isinstance(item, syntax.Not):
            stack.append(item.child)
        elif isinstance(item, syntax.AndNot):
            stack.extend((item.positive, item.negative))
        elif isinstance(item, syntax.AndMaybe):
            stack.extend((item.required, item.optional))
    if total > MAX_QUERY_WORDS:
        raise QueryError(
            f"the query has {total} words; the limit is {MAX_QUERY_WORDS}", text[:80] + "…"
        )


def check_text(text: object, match: object) -> None:
    """Raises QueryError unless ``text`` is a query string of a plannable size and
    ``match`` a match mode."""
    if not isinstance(text, str):
        raise QueryError(f"a query must be a string, not {type(text).__name__}", repr(text))
    if match not in MATCH_MODES:
        raise QueryError(f"match must be 'all' or 'any', not {match!r}", text)
    if not text.strip():
        raise QueryError("empty query", text)
    bad = next((i for i, char in enumerate(text) if "\ud800" <= char <= "\udfff"), None)
    if bad is not None:  # a lone surrogate: invalid UTF-8 in argv, or a broken string
        raise QueryError(
            f"the query is not valid text (a lone surrogate {text[bad]!r} at character {bad}, "
            "as from bytes that are not UTF-8)",
            text.encode("utf-8", "backslashreplace").decode("utf-8"),
        )
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(
            f"the query is {len(text):,} characters long; the limit is {MAX_QUERY_CHARS:,}",
            text[:80] + "…",
        )
    longest = max(len(word) for word in text.split())
    if longest > MAX_WORD_CHARS:
        raise QueryError(
            f"a word of the query is {longest:,} characters long; the limit is {MAX_WORD_CHARS}",
            text[:80] + "…",
        )
