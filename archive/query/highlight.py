"""Highlights: where a planned query matched in a passage's text, as written.

The body text is analyzed again, as the index analyzed it, with the offsets of
each term into the original text; the terms, prefixes, phrases and exact-mode
words the query looks for in the body (:func:`matcher`) mark the words they
match. The spans are offsets into the text as given, so highlights land on the
words as written, vocalised and with their clitics.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable
from typing import Any

import attrs

from archive import arabic
from archive.arabic.analysis import (
    EXACT,
    EXACT_SEPARATOR,
    LIGHT,
    LIGHT_MARK,
    ROOT,
    SURFACE,
    Token,
    shared,
)
from archive.arabic.fold import fold_table
from archive.arabic.tokens import TOKEN_PATTERN
from archive.query import tree as t

Span = tuple[int, int]

#: How the index analyzed the body text in each field a query can name.
MODE_OF_FIELD = {"text": SURFACE, "text_stem": LIGHT, "text_exact": EXACT, "root": ROOT}

#: The modes of the body fields, in the order a highlighter tries them.
BODY_MODES = (SURFACE, LIGHT, EXACT, ROOT)


@attrs.frozen
class Matcher:
    """What a query matches in a passage's text, for highlights.

    ``terms`` and ``prefixes`` map an analysis mode to the terms the query looks
    for in the body in that mode; ``phrases`` to its phrases, each a tuple of
    the alternatives at each position; ``vocalised`` holds exact-mode words.

    Whether a written word matches (outside phrases) is worked out once per
    word and kept, for the hits of one search share most of their words.
    """

    profile: arabic.Profile
    terms: dict[str, frozenset[str]]
    prefixes: dict[str, tuple[str, ...]]
    phrases: dict[str, tuple[tuple[frozenset[str], ...], ...]]
    vocalised: tuple[str, ...]
    _known: dict[tuple[str, str], bool] = attrs.field(
        factory=dict, init=False, eq=False, repr=False
    )
    #: For :meth:`count`: the words highlighted outside phrases in each piece
    #: of text between spaces, and whether each written word is.
    _counted: _Pieces = attrs.field(init=False, eq=False, repr=False)
    _words: dict[str, int] = attrs.field(factory=dict, init=False, eq=False, repr=False)
    _needed: dict[str, tuple[str, ...] | None] = attrs.field(
        factory=dict, init=False, eq=False, repr=False
    )
    #: For :meth:`_phrase_marks`: the positions of each piece of text.
    _placed: dict[str, Any] = attrs.field(factory=dict, init=False, eq=False, repr=False)
    #: The profile's fold table and shared analyzers, looked up once (a look-up
    #: hashes the profile).
    _table: dict[int, str | None] = attrs.field(init=False, eq=False, repr=False)
    _analyzers: dict[str, Any] = attrs.field(factory=dict, init=False, eq=False, repr=False)

    @_table.default
    def _fold_table(self) -> dict[int, str | None]:
        return fold_table(self.profile)

    def _analyzer(self, mode: str) -> Any:
        found = self._analyzers.get(mode)
        if found is None:
            found = self._analyzers[mode] = shared(mode, self.profile)
        return found

    @_counted.default
    def _count_pieces(self) -> _Pieces:
        return _Pieces(self._piece_count)

    @property
    def looks_for_nothing(self) -> bool:
        """Whether the query looks for no word of the body text (it names only
        titles, headings or other fields): nothing in a text can be marked."""
        return not (
            any(self.terms.values())
            or any(self.prefixes.values())
            or any(self.phrases.values())
            or self.vocalised
        )

    def _piece_count(self, piece: str) -> int:
        needles = self._every_needle()
        if (
            needles is not None
            and unicodedata.is_normalized("NFC", piece)
            and not arabic.may_respell(piece)
        ):
            # The fold of each word is a piece of the fold of the text around
            # it (see _may_hold): a piece whose fold holds no needle holds no
            # word that matches, and is not cut into words.
            folded = piece.translate(self._table).lower()
            if not any(needle in folded for needle in needles):
                return 0
        return sum(map(self._counts, _words_of(piece)))

    def _every_needle(self) -> tuple[str, ...] | None:
        """What the fold of a piece of text must hold for a word of it to match
        outside phrases, in any mode (:meth:`_needles`); None where that cannot
        be told so (a mode without needles, a needle with a Greek sigma)."""
        if "*" in self._needed:
            return self._needed["*"]
        found: list[str] | None = []
        for mode in BODY_MODES:
            if not (self.terms.get(mode) or self.prefixes.get(mode)) and not (
                mode == EXACT and self.vocalised
            ):
                continue
            needles = self._needles(mode)
            if needles is None or found is None:
                found = None
                break
            found += needles
        if found is not None and any(c in "\u03a3\u03c3\u03c2" for n in found for c in n):
            found = None
        self._needed["*"] = None if found is None else tuple(found)
        return self._needed["*"]

    def count(self, text: str) -> int:
        """How many spans of ``text`` this query matched: ``len(self(text))``,
        worked out without the spans.

        No word holds a space (a test checks it), so the text is cut at spaces
        (``str.split``, much cheaper than the token pattern) and each distinct
        piece is cut into words once; each distinct written word is analyzed
        once, and both are kept. A query with phrases counts its spans.
        """
        if any(self.phrases.values()):
            return len(self(text))
        counted = self._counted
        if len(counted) > KNOWN_PIECES:
            counted.clear()
        return sum(map(counted.__getitem__, text.split()))  # a new piece: __missing__

    def _singles(self, text: str) -> tuple[Span, ...]:
        """:meth:`__call__` of a query without phrases: the words that :meth:`count`
        counts, only the pieces of text between spaces that hold one cut into words."""
        counted = self._counted
        if len(counted) > KNOWN_PIECES:
            counted.clear()
        spans: list[Span] = []
        for found in _PIECE.finditer(text):
            piece = found.group()
            if counted[piece]:
                at = found.start()
                spans += [
                    (at + word.start(), at + word.end())
                    for word in TOKEN_PATTERN.finditer(piece)
                    if self._counts(word.group())
                ]
        return tuple(spans)

    def _counts(self, word: str) -> int:
        """1 if ``word`` is highlighted outside phrases (as :meth:`__call__` marks
        it: a term, prefix or exact-mode word fits, and it is not a bare ال)."""
        known = self._words
        hit = known.get(word)
        if hit is None:
            if len(known) > KNOWN_WORDS:
                known.clear()
            hit = known[word] = self._fits_word(word)
        return hit

    def _fits_word(self, word: str) -> int:
        folded: str | None = None
        for mode in BODY_MODES:
            terms = self.terms.get(mode, frozenset())
            prefixes = self.prefixes.get(mode, ())
            vocalised = self.vocalised if mode == EXACT else ()
            if not (terms or prefixes or vocalised):
                continue
            needles = self._needles(mode)
            if needles is not None and not arabic.may_respell(word):
                # Every term of the word in these modes is a piece of its fold
                # (stems and light stems only take letters off): a word whose
                # fold holds none of the query's terms cannot match, unanalyzed.
                if folded is None:
                    folded = arabic.fold(word, self.profile)
                if not any(needle in folded for needle in needles):
                    continue
            parts = self._analyzer(mode).weighted(word)
            if any(
                self._fits(term, terms, prefixes, vocalised)
                for alternatives in parts
                for term, _ in alternatives
            ):
                return int(arabic.fold(word) != "ال")
        return 0

    def _phrase_marks(self, text: str) -> set[Span]:
        """The spans of the words of every phrase match (phrases of the surface and
        light modes), as :meth:`__call__` finds them: each piece of text between
        spaces is cut into positions once and kept, with the places of the
        phrases each position can stand at."""
        phrases = [(mode, p) for mode in (SURFACE, LIGHT) for p in self.phrases.get(mode, ())]
        if not self._may_hold(text, phrases):
            return set()
        placed = self._placed
        if len(placed) > KNOWN_PIECES:
            placed.clear()
        filled: dict[int, tuple[Span, frozenset[tuple[int, int]]]] = {}
        position = 0
        for found in _PIECE.finditer(text):
            piece = found.group()
            known = placed.get(piece)
            if known is None:
                known = placed[piece] = self._place(piece, phrases)
            count, places = known
            at = found.start()
            for offset, start, end, fills in places:
                filled[position + offset] = ((at + start, at + end), fills)
            position += count
        spans: set[Span] = set()
        for k, (_, phrase) in enumerate(phrases):
            for first, (_, fills) in filled.items():
                if (k, 0) not in fills:
                    continue
                run = [filled.get(first + i) for i in range(len(phrase))]
                if all(r is not None and (k, i) in r[1] for i, r in enumerate(run)):
                    spans.update(r[0] for r in run if r is not None)
        return spans

    def _may_hold(self, text: str, phrases: list[tuple[str, tuple[frozenset[str], ...]]]) -> bool:
        """Whether some phrase may match in ``text``: the fold of the whole text
        holds a term of each of its places. (A word's fold is a piece of the
        text's fold when the text is in NFC, as ingest stores it, and no term
        holds a Greek sigma, whose lower case depends on the letters after it;
        an Uthmani text's spellings may add letters: those are not told so,
        :func:`~archive.arabic.may_respell`.)"""
        if not unicodedata.is_normalized("NFC", text) or arabic.may_respell(text):
            return True
        folded = text.translate(self._table).lower()
        for _, phrase in phrases:
            terms = [{term.removeprefix(LIGHT_MARK) for term in alts} for alts in phrase]
            if any(c in "\u03a3\u03c3\u03c2" for place in terms for term in place for c in term):
                return True
            if all(any(term in folded for term in place) for place in terms):
                return True
        return False

    def _place(
        self, piece: str, phrases: list[tuple[str, tuple[frozenset[str], ...]]]
    ) -> tuple[int, tuple[tuple[int, int, int, frozenset[tuple[int, int]]], ...]]:
        """How many positions a piece of text holds (in the surface and light
        modes alike: one per word, a ligature's words, none for a word that
        folds to nothing), and those that can stand at a place of a phrase:
        ``(position in the piece, start, end, (phrase, place) pairs)``."""
        count = 0
        places: list[tuple[int, int, int, frozenset[tuple[int, int]]]] = []
        wanted = [
            {term.removeprefix(LIGHT_MARK) for alts in p for term in alts} for _, p in phrases
        ]
        for word in TOKEN_PATTERN.finditer(piece):
            written = word.group()
            folded = arabic.fold(written, self.profile)
            parts = len(folded.split()) if " " in folded else int(bool(folded))
            fills: list[frozenset[tuple[int, int]]] = [frozenset()] * parts
            spelled = arabic.may_respell(written)
            for k, (mode, phrase) in enumerate(phrases):
                if not spelled and not any(term in folded for term in wanted[k]):
                    continue  # no term of the phrase in it (see _fits_word)
                analyzed = self._analyzer(mode).weighted(written)
                for n, alternatives in enumerate(analyzed):
                    terms = {term for term, _ in alternatives}
                    fills[n] |= {(k, i) for i, alts in enumerate(phrase) if terms & alts}
            places += [(count + n, word.start(), word.end(), f) for n, f in enumerate(fills) if f]
            count += parts
        return count, tuple(places)

    def _needles(self, mode: str) -> tuple[str, ...] | None:
        """What the fold of a written word must hold to match in ``mode`` outside
        phrases: its terms, prefixes and the longest piece of each wildcard
        (without the light-stem mark); None where that cannot be told so (exact
        and root modes, a wildcard of only ``*``)."""
        if mode in self._needed:
            return self._needed[mode]
        needles = [term.removeprefix(LIGHT_MARK) for term in self.terms.get(mode, ())]
        for prefix in self.prefixes.get(mode, ()):
            needles.append(max(prefix.split("*"), key=len).removeprefix(LIGHT_MARK))
        found = tuple(needles) if mode in (SURFACE, LIGHT) and all(needles) else None
        self._needed[mode] = found
        return found

    def __call__(self, text: str) -> tuple[Span, ...]:
        """The ``(start, end)`` spans of ``text`` this query matched, in order."""
        if not any(self.phrases.values()):
            return self._singles(text)
        if all(mode in (SURFACE, LIGHT) for mode, p in self.phrases.items() if p):
            single = any(self.terms.values()) or any(self.prefixes.values()) or self.vocalised
            marked = self._phrase_marks(text)
            return _whole_words(text, {*(self._singles(text) if single else ()), *marked})
        return self.analyzed(text)

    def analyzed(self, text: str) -> tuple[Span, ...]:
        """:meth:`__call__` the plain way, every word of ``text`` analyzed in every
        mode the query looks in: what the cheaper ways that :meth:`__call__` and
        :meth:`count` take must give (tests compare them)."""
        spans: set[Span] = set()
        words: list[tuple[str, int, int]] | None = None
        for mode in BODY_MODES:
            terms = self.terms.get(mode, frozenset())
            prefixes = self.prefixes.get(mode, ())
            phrases = self.phrases.get(mode, ())
            vocalised = self.vocalised if mode == EXACT else ()
            if not (terms or prefixes or phrases or vocalised):
                continue
            if words is None:
                words = [(m.group(), m.start(), m.end()) for m in TOKEN_PATTERN.finditer(text)]
            weighted = self._analyzer(mode).weighted
            known = self._known
            if len(known) > KNOWN_WORDS:
                known.clear()
            single = terms or prefixes or vocalised
            tokens: list[Token] = []
            position = 0
            for word, start, end in words:
                parts = None
                if single:
                    key = (mode, word)
                    hit = known.get(key)
                    if hit is None:
                        parts = weighted(word)
                        hit = known[key] = any(
                            self._fits(term, terms, prefixes, vocalised)
                            for alternatives in parts
                            for term, _ in alternatives
                        )
                    if hit:
                        spans.add((start, end))
                if phrases:
                    if parts is None:
                        parts = weighted(word)
                    for alternatives in parts:
                        for term, weight in alternatives:
                            tokens.append(Token(term, position, start, end, weight))
                        position += 1
            for phrase in phrases:
                spans.update(_phrase_spans(tokens, phrase))
        return _whole_words(text, spans)

    @staticmethod
    def _fits(
        term: str, terms: frozenset[str], prefixes: tuple[str, ...], vocalised: tuple[str, ...]
    ) -> bool:
        return (
            term in terms
            or (bool(prefixes) and _starts(term, prefixes))
            or (
                bool(vocalised)
                and any(arabic.marks_fit(v, term.split(EXACT_SEPARATOR, 1)[1]) for v in vocalised)
            )
        )


#: Written words whose match a highlighter keeps, before it starts afresh.
KNOWN_WORDS = 50_000

#: Pieces of text between spaces whose count :meth:`Matcher.count` keeps.
KNOWN_PIECES = 200_000


class _Pieces(dict[str, int]):
    """The words a matcher marks in each piece of text between spaces, worked
    out on first look-up (so that a count looks up every piece in one C loop)."""

    def __init__(self, count: Callable[[str], int]) -> None:
        super().__init__()
        self._count = count

    def __missing__(self, piece: str) -> int:
        marked = self[piece] = self._count(piece)
        return marked


#: A piece of text between spaces (``str.split`` cuts at what ``\s`` matches).
_PIECE = re.compile(r"\S+")


def _words_of(piece: str) -> list[str]:
    """The words of a piece of text (:data:`~archive.arabic.tokens.TOKEN_PATTERN`)."""
    return TOKEN_PATTERN.findall(piece)


def matcher(root: t.Node, profile: arabic.Profile) -> Matcher:
    """The highlighter for the body text of the passages that ``root`` matched."""
    gathered = _Gathered()
    _collect(root, gathered)
    return Matcher(
        profile=profile,
        terms={m: frozenset(w) for m, w in gathered.terms.items()},
        prefixes={m: tuple(p) for m, p in gathered.prefixes.items()},
        phrases={m: tuple(p) for m, p in gathered.phrases.items()},
        vocalised=tuple(gathered.vocalised),
    )


def _whole_words(text: str, spans: set[Span]) -> tuple[Span, ...]:
    """Sorted spans, without a bare article (ال) standing alone."""
    return tuple(sorted(s for s in spans if arabic.fold(text[s[0] : s[1]]) != "ال"))


def _phrase_spans(tokens: list[Token], phrase: tuple[frozenset[str], ...]) -> set[Span]:
    by_pos: dict[int, list[Token]] = {}
    for token in tokens:
        by_pos.setdefault(token.position, []).append(token)
    found: set[Span] = set()
    for pos in by_pos:
        run: list[Span] = []
        for i, alternatives in enumerate(phrase):
            hits = [(x.start, x.end) for x in by_pos.get(pos + i, []) if x.term in alternatives]
            if not hits:
                break
            run.append(hits[0])
        else:
            found.update(run)
    return found


class _Gathered:
    """What :func:`_collect` finds in a query, per analysis mode."""

    def __init__(self) -> None:
        self.terms: dict[str, set[str]] = {}
        self.prefixes: dict[str, list[str]] = {}
        self.phrases: dict[str, list[tuple[frozenset[str], ...]]] = {}
        self.vocalised: list[str] = []


def _collect(node: t.Node, out: _Gathered) -> None:
    """Gather what a query looks for in the body, leaving out NOT branches."""
    if isinstance(node, t.Not):
        return
    if isinstance(node, t.AndNot):
        _collect(node.positive, out)
        return
    if isinstance(node, t.Phrase):
        mode = MODE_OF_FIELD.get(node.field)
        words = _phrase_words(node)
        if node.slop > 1 or words is None:
            # Words near each other, or an exact phrase: each word is highlighted.
            for part in node.parts:
                _collect(part, out)
        elif mode is not None:
            out.phrases.setdefault(mode, []).append(words)
        return
    if isinstance(node, t.LEAVES):
        mode = MODE_OF_FIELD.get(node.field)
        if mode is None:
            return
        if isinstance(node, t.Vocalised):
            if mode == EXACT:
                out.vocalised.append(node.text)
        elif isinstance(node, t.Prefix):
            out.prefixes.setdefault(mode, []).append(node.text)
        elif isinstance(node, t.Wildcard):
            # Kept with the prefixes, told apart by their * (see _starts); an
            # exact term is the skeleton, the separator and the written word.
            tail = EXACT_SEPARATOR + "*" if mode == EXACT else ""
            out.prefixes.setdefault(mode, []).append(node.pattern + tail)
        else:
            out.terms.setdefault(mode, set()).add(node.text)
        return
    for child in t.children(node):
        _collect(child, out)


def _starts(term: str, prefixes: tuple[str, ...]) -> bool:
    """Whether one of ``prefixes`` starts ``term``, or, for those holding a ``*``
    (wildcards, :func:`archive.query.tree.wildcard_match`), matches it whole."""
    plain, patterns = _split_prefixes(prefixes)
    return term.startswith(plain) or any(match(term) for match in patterns)


@functools.lru_cache(maxsize=64)
def _split_prefixes(
    prefixes: tuple[str, ...],
) -> tuple[tuple[str, ...], tuple[Callable[[str], bool], ...]]:
    plain = tuple(p for p in prefixes if "*" not in p)
    return plain, tuple(t.wildcard_match(p) for p in prefixes if "*" in p)


def _phrase_words(node: t.Phrase) -> tuple[frozenset[str], ...] | None:
    """The alternatives at each position of a phrase of plain terms (else None)."""
    positions: list[frozenset[str]] = []
    for part in node.parts:
        leaves = part.children if isinstance(part, t.Or) else (part,)
        if not all(type(leaf) is t.Term for leaf in leaves):
            return None
        positions.append(frozenset(leaf.text for leaf in leaves if isinstance(leaf, t.Term)))
    return tuple(positions)
