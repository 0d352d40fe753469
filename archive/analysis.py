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

import unicodedata
from collections.abc import Iterator
from typing import Any

from whoosh.analysis import Composable, CompositeAnalyzer, Filter, Token, Tokenizer

from archive import arabic

#: Bumped whenever the tokens produced for a text change.
ANALYSIS_VERSION = 1

#: The analyzer's identity, stored in the index beside the version.
ANALYZER_NAME = "archive.analysis.arabic_analyzer"


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
    """Fold each token for search (default) or for exact matching.

    ``exact=False`` applies :func:`archive.arabic.fold` (inlined: this is the
    per-token hot path); ``exact=True`` applies
    :func:`archive.arabic.fold_exact` (canonical equivalence and invisible
    controls only). Tokens that fold to nothing (a lone mark or tatweel) are
    dropped; a word ligature such as ﷺ becomes several tokens at the ligature's
    offsets, and later positions move up so phrases across it still match.
    """

    def __init__(self, exact: bool = False) -> None:
        self.exact = exact

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ArabicFoldFilter) and other.exact == self.exact

    def __hash__(self) -> int:
        return hash((self.__class__, self.exact))

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        if self.exact:
            yield from self._exact(tokens)
            return
        table = arabic.fold_table()
        shift = 0
        for t in tokens:
            word = t.text
            if not unicodedata.is_normalized("NFC", word):
                word = unicodedata.normalize("NFC", word)
            folded = word.translate(table).lower()
            if not folded:
                shift -= 1
                continue
            if shift and t.positions:
                t.pos += shift
            if " " not in folded:
                t.text = folded
                yield t
                continue
            parts = folded.split()
            for i, part in enumerate(parts):
                t.text = part
                yield t
                if t.positions and i < len(parts) - 1:
                    t.pos += 1
                    shift += 1

    def _exact(self, tokens: Iterator[Token]) -> Iterator[Token]:
        shift = 0
        for t in tokens:
            folded = arabic.fold_exact(t.text)
            if not folded:
                shift -= 1
                continue
            if shift and t.positions:
                t.pos += shift
            t.text = folded
            yield t


def arabic_analyzer(exact: bool = False) -> Composable:
    """The archive's analyzer: :class:`ArabicTokenizer` | :class:`ArabicFoldFilter`.

    >>> [t.text for t in arabic_analyzer()("وَقَالَ الكِتَابُ")]
    ['وقال', 'الكتاب']
    >>> [t.text for t in arabic_analyzer(exact=True)("وَقَالَ الكِتَابُ")]
    ['وَقَالَ', 'الكِتَابُ']
    """
    return CompositeAnalyzer(ArabicTokenizer(), ArabicFoldFilter(exact=exact))
