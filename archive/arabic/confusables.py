"""Letters that are often confused, and an edit distance that knows them.

"Did you mean" (:mod:`archive.query.suggest`) ranks the words of the index by
how far they are from a word that found nothing. A slip between two letters
that differ only by their dots (ب ت ث ن ي), by a stroke (ح خ ج, ص ض, ط ظ, ع غ,
س ش, د ذ, ر ز, ف ق), or a hamza on the wrong seat (ء ؤ ئ ا, which the default
fold keeps apart) is a likelier mistake than any other letter for another, so
it costs :data:`CONFUSED_COST` instead of 1.

The groups are written for folded words (:func:`archive.arabic.fold`): أ إ آ
are already ا, ى is ي, ة is ه there.
"""

from __future__ import annotations

from archive.arabic.codepoints import ALEF, HAMZA, WAW_HAMZA, YEH_HAMZA

#: Letters told apart by their dots or a small stroke, and the hamza seats.
#: Each group's letters cost :data:`CONFUSED_COST` for one another.
CONFUSED_GROUPS: tuple[str, ...] = (
    "\u0628\u062a\u062b\u0646\u064a",  # ب ت ث ن ي: the dots of one tooth
    "\u062d\u062e\u062c",  # ح خ ج
    "\u0633\u0634",  # س ش
    "\u0635\u0636",  # ص ض
    "\u0637\u0638",  # ط ظ
    "\u0639\u063a",  # ع غ
    "\u0641\u0642",  # ف ق
    "\u0631\u0632",  # ر ز
    "\u062f\u0630",  # د ذ
    "\u0647\u0629",  # ه ة (under a profile that keeps ة)
    "\u064a\u0649",  # ي ى (under a profile that keeps ى)
    HAMZA + WAW_HAMZA + YEH_HAMZA + ALEF,  # ء ؤ ئ ا: the hamza's seat
)

#: The cost of one letter of a group for another (any other substitution,
#: insertion, deletion or swap of two neighbours costs 1).
CONFUSED_COST = 0.5

_GROUP_OF: dict[str, frozenset[str]] = {}
for _group in CONFUSED_GROUPS:
    for _letter in _group:
        _GROUP_OF[_letter] = _GROUP_OF.get(_letter, frozenset()) | frozenset(_group)


def substitution_cost(a: str, b: str) -> float:
    """The cost of writing the letter ``b`` for ``a``: 0 for the same letter,
    :data:`CONFUSED_COST` for two letters of one group, else 1.

    >>> substitution_cost("\u0628", "\u0646"), substitution_cost("\u0628", "\u0645")
    (0.5, 1.0)
    """
    if a == b:
        return 0.0
    return CONFUSED_COST if b in _GROUP_OF.get(a, ()) else 1.0


def confused_distance(a: str, b: str) -> float:
    """The edit distance from ``a`` to ``b`` (optimal string alignment: each
    insertion, deletion and swap of two neighbouring letters costs 1, a
    substitution :func:`substitution_cost`).

    >>> confused_distance("ستالبن", "ستالين")  # ب for ي: a dot slip
    0.5
    >>> confused_distance("مسئول", "مسؤول")  # the hamza's seat
    0.5
    >>> confused_distance("ستلين", "ستالين"), confused_distance("ساتلين", "ستالين")
    (1.0, 1.0)
    """
    n, m = len(a), len(b)
    before: list[float] = []
    row = [float(j) for j in range(m + 1)]
    for i in range(1, n + 1):
        current = [float(i)] + [0.0] * m
        for j in range(1, m + 1):
            best = min(
                row[j] + 1.0,
                current[j - 1] + 1.0,
                row[j - 1] + substitution_cost(a[i - 1], b[j - 1]),
            )
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                best = min(best, before[j - 2] + 1.0)
            current[j] = best
        before, row = row, current
    return row[m]
