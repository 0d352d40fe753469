"""The Whoosh analyzer: the archive's Arabic analysis as Whoosh tokenizer and filter.

Whoosh pickles these classes by import path into every index it writes, so the
path ``archive.analysis`` and the class names are part of the index format, as
is :data:`ANALYSIS_VERSION`, which the index records and checks on open. Change
what a token folds to and the version must go up: indexes built before then are
refused with an error that says to rebuild them.

All Arabic knowledge comes from :mod:`archive.arabic`; this module only adapts it
to Whoosh's token stream.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from whoosh.analysis import Composable, CompositeAnalyzer, Filter, Token, Tokenizer

from archive import arabic

#: Bumped whenever the tokens produced for a text change.
ANALYSIS_VERSION = 3

#: The analyzer's identity, stored in the index beside the version.
ANALYZER_NAME = "archive.analysis.arabic_analyzer"

#: The modes of :class:`ArabicFoldFilter`; see there.
SEARCH, SURFACE, STEM, LIGHT, EXACT = "search", "surface", "stem", "light", "exact"

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

#: Words analyzed per mode and profile, kept so that a frequent word is folded
#: once: a dict lookup is several times cheaper than the fold.
_CACHE: dict[tuple[str, arabic.Profile, bool], dict[str, _Weighted]] = {}
_CACHE_LIMIT = 50_000


class ArabicTokenizer(Tokenizer):  # type: ignore[misc]  # whoosh is untyped
    """Split text into words with :data:`archive.arabic.TOKEN_PATTERN`.

    Combining marks stay inside their word, and ``startchar``/``endchar`` are
    offsets into the text as given, so highlights land on the words as written.
    The tokens are the words as written; :class:`ArabicFoldFilter` folds them.
    """

    def __eq__(self, other: object) -> bool:
        return other.__class__ is self.__class__

    def __hash__(self) -> int:
        return hash(self.__class__)

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: Any,
    ) -> Iterator[Token]:
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            t.original = t.text = value
            t.boost = 1.0
            t.stopped = False
            if positions:
                t.pos = start_pos
            if chars:
                t.startchar = start_char
                t.endchar = start_char + len(value)
            yield t
            return
        for pos, match in enumerate(arabic.TOKEN_PATTERN.finditer(value), start_pos):
            t.text = match.group()
            t.boost = 1.0
            t.stopped = False
            if keeporiginal:
                t.original = t.text
            if positions:
                t.pos = pos
            if chars:
                t.startchar = start_char + match.start()
                t.endchar = start_char + match.end()
            yield t


#: One word analyzed: its positions, each a tuple of ``(term, boost)`` alternatives.
_Weighted = tuple[tuple[tuple[str, float], ...], ...]


def analyze_word(
    word: str, mode: str, profile: arabic.Profile, query: bool = False
) -> tuple[tuple[str, ...], ...]:
    """The terms one written word becomes: a tuple of positions, each a tuple of
    the alternative terms at that position.

    Usually one position with one term. A word ligature (ﷺ) makes several
    positions; an Uthmani word with a superscript alef or another small letter
    makes several terms at one position, its plain spellings
    (:func:`archive.arabic.plain_spellings`: ٱلۡعَٰلَمِينَ is العلمين and العالمين);
    a word that folds to nothing makes none.

    >>> analyze_word("ٱلۡعَٰلَمِينَ", SEARCH, arabic.DEFAULT)
    (('العلمين', 'العالمين'),)
    >>> analyze_word("بالكتاب", SURFACE, arabic.DEFAULT)  # in the index: the stem too
    (('بالكتاب', 'كتاب'),)
    >>> analyze_word("بالكتاب", SURFACE, arabic.DEFAULT, query=True)
    (('بالكتاب',),)
    >>> analyze_word("لبنان", STEM, arabic.DEFAULT)  # in the index: without ل too
    (('لبنان', 'بنان'),)
    >>> analyze_word("لبنان", STEM, arabic.DEFAULT, query=True)
    (('لبنان',),)
    >>> analyze_word("والمدرسة", LIGHT, arabic.DEFAULT, query=True)
    (('~مدرس',),)
    """
    return tuple(
        tuple(term for term, _ in alternatives)
        for alternatives in _analyze(word, mode, profile, query)
    )


def _analyze(word: str, mode: str, profile: arabic.Profile, query: bool) -> _Weighted:
    """:func:`analyze_word` with the boost of each term."""
    if mode == EXACT:
        written = arabic.fold_exact(word)
        bare = arabic.skeleton(written)
        return (((bare + EXACT_SEPARATOR + written, 1.0),),) if bare else ()
    word = arabic.nfc(word)
    table = arabic.fold_table(profile)
    folded = word.translate(table).lower()
    if " " in folded:
        parts: tuple[tuple[str, ...], ...] = tuple((part,) for part in folded.split())
    elif not folded:
        parts = ()
    else:
        spellings = (w.translate(table).lower() for w in arabic.plain_spellings(word))
        parts = (tuple(dict.fromkeys([folded, *spellings])),)
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
            tuple(dict.fromkeys(LIGHT_MARK + arabic.light_stem(s) for s in _stems(alts, query)))
            for alts in parts
        )
    return tuple(tuple((w, 1.0) for w in alts) for alts in parts)


def _stems(words: tuple[str, ...], query: bool) -> tuple[str, ...]:
    """The words with their clitics taken off; in the index, not in queries, also
    without a one-letter preposition, so that لبنان is found by بنان (at a stem's
    weight) but a query for لبنان never looks for بنان."""
    stems = [arabic.strip_clitics(w) for w in words]
    if not query:
        stems += [s for s in map(arabic.strip_preposition, stems) if s]
    return tuple(dict.fromkeys(stems))


class ArabicFoldFilter(Filter):  # type: ignore[misc]  # whoosh is untyped
    """Fold each token with :func:`analyze_word` in one of five modes.

    ``search``: the profile's fold, plus the spelled-out form of small letters
    at the same position. ``surface``: the same; in the index, also the word's
    stems (attached clitics taken off, :func:`archive.arabic.strip_clitics`,
    and a one-letter preposition) at the same position, each unless the word
    is that stem already, with the token boost :data:`STEM_BOOST`. ``stem``:
    the stems alone (for query words looked up in a surface field). ``light``:
    the light stem (:func:`archive.arabic.light_stem`) of each stem, marked with
    ``~``. ``exact``: the word as written (NFC, controls removed), as the term
    ``skeleton + U+001F + written`` so that exact search can find every
    vocalisation of a skeleton by prefix.

    Tokens that fold to nothing are dropped; a word ligature becomes several
    tokens at the ligature's offsets, and later positions move up so phrases
    across it still match.
    """

    def __init__(self, mode: str = SEARCH, profile: arabic.Profile = arabic.DEFAULT) -> None:
        if mode not in (SEARCH, SURFACE, STEM, LIGHT, EXACT):
            raise ValueError(f"unknown mode {mode!r}")
        self.mode = mode
        self.profile = profile

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, ArabicFoldFilter)
            and other.mode == self.mode
            and other.profile == self.profile
        )

    def __hash__(self) -> int:
        return hash((self.__class__, self.mode, self.profile))

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        mode, profile = self.mode, self.profile
        cache: dict[str, _Weighted] | None = None
        shift = 0
        for t in tokens:
            if cache is None:
                query = t.mode == "query"
                cache = _CACHE.setdefault((mode, profile, query), {})
            word = t.text
            parts = cache.get(word)
            if parts is None:
                parts = _analyze(word, mode, profile, query)
                if len(cache) >= _CACHE_LIMIT:
                    cache.clear()
                cache[word] = parts
            if len(parts) == 1 and len(parts[0]) == 1:  # the common case
                if shift and t.positions:
                    t.pos += shift
                t.text = parts[0][0][0]
                yield t
                continue
            if not parts:
                shift -= 1
                continue
            if t.positions:
                t.pos += shift
            boost = t.boost
            for i, alternatives in enumerate(parts):
                if i and t.positions:
                    t.pos += 1
                for term, weight in alternatives:
                    t.text = term
                    t.boost = boost * weight
                    yield t
            t.boost = boost
            shift += len(parts) - 1


def arabic_analyzer(mode: str = SEARCH, profile: arabic.Profile = arabic.DEFAULT) -> Composable:
    """The archive's analyzer: :class:`ArabicTokenizer` | :class:`ArabicFoldFilter`.

    >>> [t.text for t in arabic_analyzer()("وَقَالَ الكِتَابُ")]
    ['وقال', 'الكتاب']
    >>> [t.text for t in arabic_analyzer(STEM)("وَقَالَ الكِتَابُ", mode="query")]
    ['وقال', 'كتاب']
    >>> [t.text.split(EXACT_SEPARATOR)[1] for t in arabic_analyzer(EXACT)("وَقَالَ")]
    ['وَقَالَ']
    """
    return CompositeAnalyzer(ArabicTokenizer(), ArabicFoldFilter(mode, profile))
