"""Per-search spelling strictness: contested folds kept apart for one search.

An index folds ى into ي, ة into ه and the hamza alefs (أ إ آ) into ا (and ؤ ئ
into و ي where the profile says so), so علي finds على. A search may ask to keep
some of those letters apart without rebuilding the index: the index's folded
terms find every candidate (a strict match is a folded match too), and then
each candidate's words are analyzed again with those letters kept, and the
query's words likewise, and only the candidates whose words still match stay.

A letter is kept apart by writing it, before the analysis, as a stand-in letter
that no fold changes (:data:`STAND_INS`): a letter of the Arabic Extended-A
block that Arabic texts do not use. The stand-in is one character for one, so
the offsets of every word, and so its highlights, are those of the text as
given. Every other fold (diacritics, tatweel, the other contested folds, the
clitics) still applies.

The names of the folds (:data:`STRICT_FOLDS`) are the names of the profile's
options where there is one.
"""

from __future__ import annotations

from collections.abc import Iterable

from archive.arabic.codepoints import (
    ALEF_HAMZA_ABOVE,
    ALEF_HAMZA_BELOW,
    ALEF_MADDA,
    ALEF_MAQSURA,
    ALEF_WAVY_HAMZA_ABOVE,
    ALEF_WAVY_HAMZA_BELOW,
    TEH_MARBUTA,
    WAW_HAMZA,
    YEH_HAMZA,
)
from archive.arabic.fold import Profile
from archive.errors import QueryError

#: The stand-in of each letter a strict search keeps apart: letters of the
#: Arabic Extended-A block (U+08A0-U+08FF) that no fold changes.
STAND_INS = {
    ALEF_MAQSURA: "\u08a2",  # ARABIC LETTER JEEM WITH TWO DOTS ABOVE
    TEH_MARBUTA: "\u08a3",  # ARABIC LETTER TAH WITH TWO DOTS ABOVE
    ALEF_HAMZA_ABOVE: "\u08a4",  # ARABIC LETTER FEH WITH DOT BELOW AND THREE DOTS ABOVE
    ALEF_HAMZA_BELOW: "\u08a5",  # ARABIC LETTER QAF WITH DOT BELOW
    ALEF_MADDA: "\u08a6",  # ARABIC LETTER LAM WITH DOUBLE BAR
    ALEF_WAVY_HAMZA_ABOVE: "\u08a7",  # ARABIC LETTER MEEM WITH THREE DOTS ABOVE
    ALEF_WAVY_HAMZA_BELOW: "\u08a8",  # ARABIC LETTER YEH WITH TWO DOTS BELOW AND HAMZA ABOVE
    WAW_HAMZA: "\u08ab",  # ARABIC LETTER WAW WITH DOT WITHIN
    YEH_HAMZA: "\u08ac",  # ARABIC LETTER ROHINGYA YEH
}

#: The folds a search can keep apart, and the letters each keeps.
STRICT_FOLDS: dict[str, str] = {
    "alef_maqsura": ALEF_MAQSURA,
    "ta_marbuta": TEH_MARBUTA,
    "hamza_seats": ALEF_HAMZA_ABOVE
    + ALEF_HAMZA_BELOW
    + ALEF_MADDA
    + ALEF_WAVY_HAMZA_ABOVE
    + ALEF_WAVY_HAMZA_BELOW
    + WAW_HAMZA
    + YEH_HAMZA,
}


def strict_folds(names: Iterable[str] | str, query: str = "") -> tuple[str, ...]:
    """The fold names of a ``strict=`` option, checked, in their order in
    :data:`STRICT_FOLDS` (a comma-separated string is taken too, and ``-`` for
    ``_``: ``"alef-maqsura,ta-marbuta"``).

    >>> strict_folds("ta-marbuta,alef-maqsura")
    ('alef_maqsura', 'ta_marbuta')

    Raises:
        QueryError: an unknown name, or ``names`` is neither text nor a list of
            names (names the query).
    """
    if isinstance(names, str):
        names = [n for n in names.split(",") if n.strip()]
    try:
        wanted = {str(n).strip().replace("-", "_") for n in names}
    except TypeError:
        raise QueryError(f"strict must be a list of fold names, not {names!r}", query) from None
    unknown = sorted(wanted - set(STRICT_FOLDS))
    if unknown:
        raise QueryError(
            f"unknown strict fold(s) {', '.join(map(repr, unknown))}; "
            f"the folds are {', '.join(STRICT_FOLDS)}",
            query,
        )
    return tuple(name for name in STRICT_FOLDS if name in wanted)


def keeps_apart(names: Iterable[str], profile: Profile) -> dict[int, str]:
    """The ``str.translate`` table that writes the letters the folds ``names``
    keep apart as their stand-ins (only the letters the profile folds: with the
    default profile ؤ and ئ are kept apart already)."""
    table: dict[int, str] = {}
    for name in names:
        for letter in STRICT_FOLDS[name]:
            if letter in (WAW_HAMZA, YEH_HAMZA) and not profile.hamza_seats:
                continue
            table[ord(letter)] = STAND_INS[letter]
    return table


def keep_apart(text: str, table: dict[int, str]) -> str:
    """``text`` with the kept letters as stand-ins, one character for one.

    >>> table = keeps_apart(["alef_maqsura"], Profile())
    >>> keep_apart("على علي", table) == "عل\u08a2 علي"
    True
    """
    return text.translate(table)
