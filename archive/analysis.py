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
ANALYSIS_VERSION = 2

#: The analyzer's identity, stored in the index beside the version.
ANALYZER_NAME = "archive.analysis.arabic_analyzer"

#: The modes of :class:`ArabicFoldFilter`. LIGHT analyzes query words only,
#: into the light stems that the STEM mode indexes beside the stems.
SEARCH, STEM, LIGHT, EXACT = "search", "stem", "light", "exact"

#: Marks a light stem (:func:`archive.arabic.light_stem`) in a stem field, so
#: that light stems and stems share the field but never match each other.
LIGHT_MARK = "~"

#: Separates the skeleton from the written word in an exact-mode term.
EXACT_SEPARATOR = "\x1f"

#: Words analyzed per mode and profile, kept so that a frequent word is folded
#: once: a dict lookup is several times cheaper than the fold.
_CACHE: dict[tuple[str, arabic.Profile, bool], dict[str, tuple[tuple[str, ...], ...]]] = {}
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
    >>> analyze_word("بكتاب", STEM, arabic.DEFAULT)  # in the index
    (('كتاب', '~بكتاب', '~كتاب'),)
    >>> analyze_word("بكتاب", STEM, arabic.DEFAULT, query=True)
    (('بكتاب',),)
    >>> analyze_word("كتاب", STEM, arabic.DEFAULT)  # the surface field holds the stem
    (('~كتاب',),)
    >>> analyze_word("والمدرسة", LIGHT, arabic.DEFAULT, query=True)
    (('~مدرس',),)
    """
    if mode == EXACT:
        written = arabic.fold_exact(word)
        bare = arabic.skeleton(written)
        return ((bare + EXACT_SEPARATOR + written,),) if bare else ()
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
    if mode in (STEM, LIGHT):
        parts = tuple(_stems(alts, mode, query) for alts in parts)
    return parts


def _stems(words: tuple[str, ...], mode: str, query: bool) -> tuple[str, ...]:
    stems = [arabic.strip_clitics(w) for w in words]
    if query:
        if mode == LIGHT:
            return tuple(dict.fromkeys(LIGHT_MARK + arabic.light_stem(s) for s in stems))
        return tuple(dict.fromkeys(stems))
    # In the index, a stem is written only where the surface field does not
    # hold it already (most words have no clitic to take off), and a query
    # looks for it in both. Light stems are all written: match="any" ranks by
    # them, and their document frequencies must count every word they cover.
    stems += [s for s in map(arabic.strip_preposition, stems) if s]
    held = set(words)
    out = [s for s in stems if s not in held]
    out += [LIGHT_MARK + arabic.light_stem(s) for s in stems]
    return tuple(dict.fromkeys(out))


class ArabicFoldFilter(Filter):  # type: ignore[misc]  # whoosh is untyped
    """Fold each token with :func:`analyze_word` in one of three modes.

    ``search``: the profile's fold, plus the spelled-out form of small letters
    at the same position. ``stem``: the same, then attached clitics taken off
    (:func:`archive.arabic.strip_clitics`); in the index, not in queries, the
    stem without a one-letter preposition is added, each stem only if the
    surface field does not hold it already, and the light stems
    (:func:`archive.arabic.light_stem`) marked with ``~``. ``light``: for query
    words only, the marked light stem.
    ``exact``: the word as written (NFC, controls removed), as the term
    ``skeleton + U+001F + written`` so that exact search can find every
    vocalisation of a skeleton by prefix.

    Tokens that fold to nothing are dropped; a word ligature becomes several
    tokens at the ligature's offsets, and later positions move up so phrases
    across it still match.
    """

    def __init__(self, mode: str = SEARCH, profile: arabic.Profile = arabic.DEFAULT) -> None:
        if mode not in (SEARCH, STEM, LIGHT, EXACT):
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
        cache: dict[str, tuple[tuple[str, ...], ...]] | None = None
        shift = 0
        for t in tokens:
            if cache is None:
                query = t.mode == "query"
                cache = _CACHE.setdefault((mode, profile, query), {})
            word = t.text
            parts = cache.get(word)
            if parts is None:
                parts = analyze_word(word, mode, profile, query)
                if len(cache) >= _CACHE_LIMIT:
                    cache.clear()
                cache[word] = parts
            if len(parts) == 1 and len(parts[0]) == 1:  # the common case
                if shift and t.positions:
                    t.pos += shift
                t.text = parts[0][0]
                yield t
                continue
            if not parts:
                shift -= 1
                continue
            if t.positions:
                t.pos += shift
            for i, alternatives in enumerate(parts):
                if i and t.positions:
                    t.pos += 1
                for term in alternatives:
                    t.text = term
                    yield t
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
