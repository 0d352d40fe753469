"""Vocalisation, for exact search: words kept as written, their letters and marks.

:func:`fold_exact` keeps marks, letters and tatweel as written (only canonical
equivalence and controls are folded); :func:`clusters` and :func:`skeleton` take
a word apart into letters and the marks on them; :func:`marks_fit` tells whether
a partly vocalised query word fits a written one.
"""

from __future__ import annotations

import unicodedata

from archive.arabic.codepoints import CONTROLS, MARK_SET, TATWEEL
from archive.arabic.fold import DELETE_CONTROLS, nfc


def fold_exact(word: str) -> str:
    """Fold one word for exact search: canonical equivalence and controls only.

    Marks, letters and tatweel stay as written; only the invisible controls go,
    and the word is put in Unicode NFC, so a mark typed in another order or a
    precomposed letter still matches.

    >>> fold_exact("الكِتَابُ") == "الكِتَابُ"
    True
    """
    word = word.translate(DELETE_CONTROLS)
    if unicodedata.is_normalized("NFC", word):
        return word
    return unicodedata.normalize("NFC", word)


def clusters(word: str) -> tuple[tuple[str, frozenset[str]], ...]:
    """The word as (letter, marks on it) pairs, tatweel and controls left out.

    >>> [(letter, sorted(marks)) for letter, marks in clusters("عِلْمٌ")]
    [('ع', ['ِ']), ('ل', ['ْ']), ('م', ['ٌ'])]
    """
    out: list[tuple[str, set[str]]] = []
    for char in nfc(word):
        if char in MARK_SET:
            if out:
                out[-1][1].add(char)
        elif char != TATWEEL and char not in CONTROLS:
            out.append((char, set()))
    return tuple((letter, frozenset(marks)) for letter, marks in out)


def skeleton(word: str) -> str:
    """The letters of a word as written, without marks, tatweel or controls.

    >>> skeleton("عِلْمٌ")
    'علم'
    """
    return "".join(letter for letter, _ in clusters(word))


def marks_fit(query: str, written: str) -> bool:
    """Whether every mark of ``query`` stands on the same letter in ``written``.

    Letters match as written; a letter written in the query without marks
    accepts any marks. So عِلم fits عِلْمٌ and عِلْم but not عَلَم.

    >>> [marks_fit("عِلم", w) for w in ["عِلْمٌ", "عِلْم", "عَلَم", "علم"]]
    [True, True, False, False]
    """
    want = clusters(query)
    have = clusters(written)
    if len(want) != len(have):
        return False
    return all(
        letter == other and marks <= present
        for (letter, marks), (other, present) in zip(want, have, strict=True)
    )
