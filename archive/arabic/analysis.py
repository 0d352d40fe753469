"""The archive's analysis of a text into terms, engine-neutral: modes, weights, tokens.

A text is cut into words (:data:`archive.arabic.TOKEN_PATTERN`), and each word
becomes zero or more positions, each with one or more alternative terms and a
weight per term (:func:`analyze_weighted`), in one of five modes (see
:class:`Analyzer`). :class:`Analyzer` does it for a whole text and gives
:class:`Token` records, the shape a pre-tokenized engine takes (term, position,
character offsets, weight); it keeps the words it has analyzed in a bounded
cache of its own, so that a frequent word is folded once.

This module knows no search engine: the Whoosh analyzer (:mod:`archive.analysis`)
adapts it to Whoosh's token stream, and gives Whoosh exactly these tokens.
"""

from __future__ import annotations

import functools
from typing import Any

import attrs

from archive.arabic.clitics import light_stem, strip_clitics, strip_preposition
from archive.arabic.fold import DEFAULT, Profile, fold_table, nfc
from archive.arabic.roots import root
from archive.arabic.tokens import TOKEN_PATTERN
from archive.arabic.uthmani import plain_spellings
from archive.arabic.vocalisation import fold_exact, skeleton

#: Bumped whenever the tokens produced for a text change.
ANALYSIS_VERSION = 3

#: The modes of :class:`Analyzer`; see there.
SEARCH, SURFACE, STEM, LIGHT, EXACT = "search", "surface", "stem", "light", "exact"
#: The root of each word (:func:`archive.arabic.roots.root`), in an index with roots.
ROOT = "root"
MODES = (SEARCH, SURFACE, STEM, LIGHT, EXACT, ROOT)

#: The weight (Whoosh token boost, stored in the posting) of a stem that a
#: SURFACE field holds at the position of its word, against the word as
#: written: a query for كتاب finds بكتاب at a third of the weight of كتاب. One
#: posting list then serves both, where a separate stem field cost a second
#: lookup per word and field.
STEM_BOOST = 1 / 3

#: Marks a light stem (:func:`archive.arabic.light_stem`) in a stem field, so
#: that light stems and stems share the field but never match each other.
LIGHT_MARK = "~"

#: Separates the skeleton from the written word in an exact-mode term.
EXACT_SEPARATOR = "\x1f"

#: The words an :class:`Analyzer` keeps analyzed, by default. A dict lookup is
#: several times cheaper than the fold; at the limit the cache starts afresh.
CACHE_SIZE = 50_000

#: One word analyzed: its positions, each a tuple of ``(term, weight)`` alternatives.
Weighted = tuple[tuple[tuple[str, float], ...], ...]


@attrs.frozen(slots=True)
class Token:
    """One term of an analyzed text: the shape a pre-tokenized engine takes.

    ``start`` and ``end`` are character offsets into the text as given (of the
    word the term comes from, so highlights land on the words as written);
    alternatives of one word share its ``position``.
    """

    term: str
    position: int
    start: int
    end: int
    weight: float


def analyze_word(
    word: str, mode: str, profile: Profile, query: bool = False
) -> tuple[tuple[str, ...], ...]:
    """The terms one written word becomes: a tuple of positions, each a tuple of
    the alternative terms at that position.

    Usually one position with one term. A word ligature (ﷺ) makes several
    positions; an Uthmani word with a superscript alef or another small letter
    makes several terms at one position, its plain spellings
    (:func:`archive.arabic.plain_spellings`: ٱلۡعَٰلَمِينَ is العلمين and العالمين);
    a word that folds to nothing makes none.

    >>> analyze_word("ٱلۡعَٰلَمِينَ", SEARCH, DEFAULT)
    (('العلمين', 'العالمين'),)
    >>> analyze_word("بالكتاب", SURFACE, DEFAULT)  # in the index: the stem too
    (('بالكتاب', 'كتاب'),)
    >>> analyze_word("بالكتاب", SURFACE, DEFAULT, query=True)
    (('بالكتاب',),)
    >>> analyze_word("لبنان", STEM, DEFAULT)  # in the index: without ل too
    (('لبنان', 'بنان'),)
    >>> analyze_word("لبنان", STEM, DEFAULT, query=True)
    (('لبنان',),)
    >>> analyze_word("والمدرسة", LIGHT, DEFAULT, query=True)
    (('~مدرس',),)
    """
    return tuple(
        tuple(term for term, _ in alternatives)
        for alternatives in analyze_weighted(word, mode, profile, query)
    )


def analyze_weighted(word: str, mode: str, profile: Profile, query: bool = False) -> Weighted:
    """:func:`analyze_word` with the weight of each term.

    >>> analyze_weighted("بالكتاب", SURFACE, DEFAULT)
    ((('بالكتاب', 1.0), ('كتاب', 0.3333333333333333)),)
    """
    if mode == ROOT:
        found = root(word)
        return (((found, 1.0),),) if found else ()
    if mode == EXACT:
        written = fold_exact(word)
        bare = skeleton(written)
        return (((bare + EXACT_SEPARATOR + written, 1.0),),) if bare else ()
    word = nfc(word)
    table = fold_table(profile)
    folded = word.translate(table).lower()
    if " " in folded:
        parts: tuple[tuple[str, ...], ...] = tuple((part,) for part in folded.split())
    elif not folded:
        parts = ()
    else:
        spellings = (w.translate(table).lower() for w in plain_spellings(word))
        parts = (tuple(dict.fromkeys([folded, *spellings])),)
    return _from_folded(parts, mode, query)


@functools.lru_cache(maxsize=65_536)
def _from_folded(parts: tuple[tuple[str, ...], ...], mode: str, query: bool) -> Weighted:
    """The terms of a word from its folded spellings at each position: kept for
    the written words that fold alike (every vocalisation of a word)."""
    if mode == SURFACE and not query:
        return tuple(
            tuple(
                [(w, 1.0) for w in alts]
                + [(s, STEM_BOOST) for s in _stems(alts, query) if s not in alts]
            )
            for alts in parts
        )
    if mode == STEM:
        parts = tuple(_stems(alts, query) for alts in parts)
    elif mode == LIGHT:
        parts = tuple(
            tuple(dict.fromkeys(LIGHT_MARK + light_stem(s) for s in _stems(alts, query)))
            for alts in parts
        )
    return tuple(tuple((w, 1.0) for w in alts) for alts in parts)


def _stems(words: tuple[str, ...], query: bool) -> tuple[str, ...]:
    """The words with their clitics taken off; in the index, not in queries, also
    without a one-letter preposition, so that لبنان is found by بنان (at a stem's
    weight) but a query for لبنان never looks for بنان."""
    stems = [strip_clitics(w) for w in words]
    if not query:
        stems += [s for s in map(strip_preposition, stems) if s]
    return tuple(dict.fromkeys(stems))


class Analyzer:
    """The analysis of whole texts in one mode and profile, for the index or a query.

    ``search``: the profile's fold, plus the spelled-out form of small letters
    at the same position. ``surface``: the same; in the index, also the word's
    stems (attached clitics taken off, :func:`archive.arabic.strip_clitics`,
    and a one-letter preposition) at the same position, each unless the word
    is that stem already, with the weight :data:`STEM_BOOST`. ``stem``: the
    stems alone (for query words looked up in a surface field). ``light``: the
    light stem (:func:`archive.arabic.light_stem`) of each stem, marked with
    ``~``. ``exact``: the word as written (NFC, controls removed), as the term
    ``skeleton + U+001F + written`` so that exact search can find every
    vocalisation of a skeleton by prefix. With ``query=True`` a text is
    analyzed as a query is (no preposition-less stems, no stems beside the
    word in ``surface``).

    Words that fold to nothing make no token; a word ligature becomes several
    tokens at the ligature's offsets, and later positions move up so phrases
    across it still match.

    The words analyzed are kept in :attr:`cache`, at most ``cache_size`` of
    them (when it is full it starts afresh; 0 keeps none).

    >>> [(t.term, t.position, t.start, t.end) for t in Analyzer()("وَقَالَ الكِتَابُ")]
    [('وقال', 0, 0, 7), ('الكتاب', 1, 8, 17)]
    >>> [(t.term, t.position, t.weight) for t in Analyzer(SURFACE)("بالكتاب ﷺ")]
    [('بالكتاب', 0, 1.0), ('كتاب', 0, 0.3333333333333333), ('صلي', 1, 1.0),
     ('الله', 2, 1.0), ('عليه', 3, 1.0), ('وسلم', 4, 1.0)]
    >>> [t.term for t in Analyzer(STEM, query=True)("وَقَالَ الكِتَابُ")]
    ['وقال', 'كتاب']
    """

    __slots__ = ("cache", "cache_size", "mode", "profile", "query")

    def __init__(
        self,
        mode: str = SEARCH,
        profile: Profile = DEFAULT,
        *,
        query: bool = False,
        cache_size: int = CACHE_SIZE,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}")
        if cache_size < 0:
            raise ValueError(f"cache_size must be 0 or more, not {cache_size!r}")
        self.mode = mode
        self.profile = profile
        self.query = query
        self.cache_size = cache_size
        #: Words analyzed, by the word as written.
        self.cache: dict[str, Weighted] = {}

    def __repr__(self) -> str:
        return (
            f"Analyzer({self.mode!r}, {self.profile!r}, query={self.query!r}, "
            f"cache_size={self.cache_size!r})"
        )

    def __getstate__(self) -> dict[str, Any]:
        # The cache is not part of the analyzer: a copy starts with an empty one.
        return {name: getattr(self, name) for name in self.__slots__ if name != "cache"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name, value in state.items():
            setattr(self, name, value)
        self.cache = {}

    def weighted(self, word: str) -> Weighted:
        """:func:`analyze_weighted` of one written word, from the cache if there."""
        cache = self.cache
        parts = cache.get(word)
        if parts is None:
            parts = analyze_weighted(word, self.mode, self.profile, self.query)
            if len(cache) >= self.cache_size:
                cache.clear()
            if self.cache_size:
                cache[word] = parts
        return parts

    def __call__(self, text: str) -> list[Token]:
        """The tokens of ``text``, in order of position."""
        cache = self.cache
        weighted = self.weighted
        out: list[Token] = []
        append = out.append
        position = 0
        for match in TOKEN_PATTERN.finditer(text):
            word = match.group()
            parts = cache.get(word)
            if parts is None:
                parts = weighted(word)
            if len(parts) == 1:  # the common case: one position
                start, end = match.span()
                for term, weight in parts[0]:
                    append(Token(term, position, start, end, weight))
                position += 1
            elif parts:
                start, end = match.span()
                for alternatives in parts:
                    for term, weight in alternatives:
                        append(Token(term, position, start, end, weight))
                    position += 1
        return out


@functools.lru_cache(maxsize=16)
def shared(mode: str, profile: Profile = DEFAULT, query: bool = False) -> Analyzer:
    """The analyzer of one mode, profile and side shared by its callers (the
    highlighter, :func:`analyze`), so that its word cache serves them all."""
    return Analyzer(mode, profile, query=query)


def analyze(
    text: str, mode: str = SEARCH, profile: Profile = DEFAULT, *, query: bool = False
) -> list[Token]:
    """The tokens of ``text`` (see :class:`Analyzer`), by a shared analyzer per
    mode, profile and ``query``.

    >>> [t.term for t in analyze("الْكِتَابُ عام١٩١٣")]
    ['الكتاب', 'عام', '1913']
    """
    return shared(mode, profile, query)(text)
