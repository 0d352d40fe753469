"""The Whoosh analyzer: the archive's Arabic analysis as Whoosh tokenizer and filter.

Whoosh pickles these classes by import path into every index it writes, so the
path ``archive.engines.whoosh.analysis`` and the class names are part of the
index format (format 5 of :mod:`archive.engines.whoosh.store`), as is
:data:`ANALYSIS_VERSION`, which the index records and checks on open. Change
what a token folds to and the version must go up: indexes built before then are
refused with an error that says to rebuild them.

All Arabic knowledge comes from :mod:`archive.arabic`, and the analysis itself
(the modes, the terms and weights a word becomes) from the engine-neutral
:mod:`archive.arabic.analysis`; this module only adapts it to Whoosh's token
stream.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

from whoosh.analysis import Composable, CompositeAnalyzer, Filter, Token, Tokenizer

from archive import arabic
from archive.arabic.analysis import (
    ANALYSIS_VERSION,
    EXACT,
    EXACT_SEPARATOR,
    LIGHT,
    LIGHT_MARK,
    MODES,
    SEARCH,
    STEM,
    STEM_BOOST,
    SURFACE,
    Analyzer,
    Weighted,
    analyze_weighted,
    analyze_word,
)

__all__ = [
    "ANALYSIS_VERSION",
    "ANALYZER_NAME",
    "EXACT",
    "EXACT_SEPARATOR",
    "LIGHT",
    "LIGHT_MARK",
    "MODES",
    "SEARCH",
    "STEM",
    "STEM_BOOST",
    "SURFACE",
    "ArabicFoldFilter",
    "ArabicTokenizer",
    "analyze_weighted",
    "analyze_word",
    "arabic_analyzer",
]

#: The analyzer's identity, stored in the index beside the version.
ANALYZER_NAME = "archive.engines.whoosh.analysis.arabic_analyzer"


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


class ArabicFoldFilter(Filter):  # type: ignore[misc]  # whoosh is untyped
    """Fold each token as :class:`archive.arabic.analysis.Analyzer` does, in one of
    its five modes (``search``, ``surface``, ``stem``, ``light``, ``exact``; see
    there), for the index or, when Whoosh analyzes with ``mode="query"``, a query.

    Tokens that fold to nothing are dropped; a word ligature becomes several
    tokens at the ligature's offsets, and later positions move up so phrases
    across it still match. A term's weight is the token boost.

    The filter keeps the words it has analyzed in a bounded cache of its own
    (one :class:`~archive.arabic.analysis.Analyzer` for the index and one for
    queries). Whoosh pickles the filter into the index schema: the pickle holds
    the mode and the profile only, never the cache.
    """

    def __init__(self, mode: str = SEARCH, profile: arabic.Profile = arabic.DEFAULT) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}")
        self.mode = mode
        self.profile = profile
        self._analyzers = _analyzers(mode, profile)

    def __getstate__(self) -> dict[str, Any]:
        return {"mode": self.mode, "profile": self.profile}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.mode = state["mode"]
        self.profile = state["profile"]
        self._analyzers = _analyzers(self.mode, self.profile)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(mode={self.mode!r}, profile={self.profile!r})"

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, ArabicFoldFilter)
            and other.mode == self.mode
            and other.profile == self.profile
        )

    def __hash__(self) -> int:
        return hash((self.__class__, self.mode, self.profile))

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        analyzer: Analyzer | None = None
        cache: dict[str, Weighted] = {}
        shift = 0
        for t in tokens:
            if analyzer is None:
                analyzer = self._analyzers[t.mode == "query"]
                cache = analyzer.cache
            word = t.text
            parts = cache.get(word)
            if parts is None:
                parts = analyzer.weighted(word)
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


def _analyzers(mode: str, profile: arabic.Profile) -> tuple[Analyzer, Analyzer]:
    """A filter's analyzers: for the index, and for queries."""
    return Analyzer(mode, profile), Analyzer(mode, profile, query=True)


@functools.lru_cache(maxsize=32)
def arabic_analyzer(mode: str = SEARCH, profile: arabic.Profile = arabic.DEFAULT) -> Composable:
    """The archive's analyzer: :class:`ArabicTokenizer` | :class:`ArabicFoldFilter`.

    One analyzer per mode and profile is made and then given again, so that the
    words its filter has analyzed serve every caller.

    >>> [t.text for t in arabic_analyzer()("وَقَالَ الكِتَابُ")]
    ['وقال', 'الكتاب']
    >>> [t.text for t in arabic_analyzer(STEM)("وَقَالَ الكِتَابُ", mode="query")]
    ['وقال', 'كتاب']
    >>> [t.text.split(EXACT_SEPARATOR)[1] for t in arabic_analyzer(EXACT)("وَقَالَ")]
    ['وَقَالَ']
    """
    return CompositeAnalyzer(ArabicTokenizer(), ArabicFoldFilter(mode, profile))
