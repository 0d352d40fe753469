"""The search fold: one small function per folding step, the profile, and the table.

The steps are composed in one documented order (see :mod:`archive.arabic`);
:class:`Profile` chooses the contested ones. :func:`fold` applies a profile's
whole fold with one ``str.translate`` table (:func:`fold_table`, derived from the
steps), which is the per-token hot path; :func:`reference_fold` composes the same
steps from pyarabic calls as an independent check. :func:`nfc` puts text in the
normal form ingest stores.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Mapping
from typing import Any

import attrs

from archive.arabic.codepoints import (
    ALEF,
    ALEF_HAMZA_ABOVE,
    ALEF_HAMZA_BELOW,
    ALEF_MADDA,
    ALEF_MAQSURA,
    ALEF_WASLA,
    ALEF_WAVY_HAMZA_ABOVE,
    ALEF_WAVY_HAMZA_BELOW,
    ARABIC_INDIC_DIGITS,
    CONTROLS,
    HEH,
    KAF,
    MARKS,
    PERSIAN_DIGITS,
    PERSIAN_KAF,
    PERSIAN_YEH,
    PRESENTATION_RANGES,
    SYMBOL_MARKS,
    TATWEEL,
    TEH_MARBUTA,
    WAW,
    WAW_HAMZA,
    WORD_LIGATURES,
    YEH,
    YEH_HAMZA,
    range_chars,
)
from archive.errors import ArchiveError

# --- Folding steps -----------------------------------------------------------


def strip_marks(text: str) -> str:
    """Remove diacritics, the superscript alef, Quranic marks and tatweel.

    >>> strip_marks("الرَّحْمَٰنِ")
    'الرحمن'
    """
    return text.translate(_DELETE_MARKS)


def strip_controls(text: str) -> str:
    """Remove zero-width and direction controls (U+200F fills real hadith text)."""
    return text.translate(DELETE_CONTROLS)


def fold_alef(text: str) -> str:
    """Fold the hamza, madda and wasla alefs to bare alef: أ إ آ ٱ ٲ ٳ -> ا.

    >>> fold_alef("أحمد إلى آدم ٱلله")
    'احمد الى ادم الله'
    """
    return text.translate(_ALEF_TABLE)


def fold_alef_maqsura(text: str) -> str:
    """Contested fold ``alef_maqsura``: ى -> ي, so على and علي become one word.

    >>> fold_alef_maqsura("على مستشفى")
    'علي مستشفي'
    """
    return text.replace(ALEF_MAQSURA, YEH)


def fold_ta_marbuta(text: str) -> str:
    """Contested fold ``ta_marbuta``: ة -> ه, so مدرسة and مدرسه become one word.

    >>> fold_ta_marbuta("مدرسة")
    'مدرسه'
    """
    return text.replace(TEH_MARBUTA, HEH)


def fold_persian(text: str) -> str:
    """Fold Persian yeh and keheh to the Arabic letters: ی -> ي, ک -> ك."""
    return text.replace(PERSIAN_YEH, YEH).replace(PERSIAN_KAF, KAF)


def fold_hamza_seats(text: str) -> str:
    """Profile option ``hamza_seats``: ؤ -> و and ئ -> ي; a standalone ء is kept.

    It merges مسؤول with مسوول and رئيس with رييس; شيء stays apart from شي.

    >>> fold_hamza_seats("مسؤول رئيس شيء")
    'مسوول رييس شيء'
    """
    return text.replace(WAW_HAMZA, WAW).replace(YEH_HAMZA, YEH)


def fold_digits(text: str) -> str:
    """Map Arabic-Indic and Persian digits to ASCII digits.

    >>> fold_digits("١٩١٧ و۱۹۱۷")
    '1917 و1917'
    """
    return text.translate(_DIGIT_TABLE)


def presentation_form(char: str) -> str:
    """Return what one presentation-form character folds to (before other steps).

    Letters and lam-alef ligatures take their compatibility decomposition. The
    isolated and tatweel forms of harakat (U+FE70-U+FE7F) are marks and fold to
    nothing; NFKC would turn them into a space and a mark. Word ligatures (ﷺ,
    ﷲ, ﷽) become their words separated by spaces, which the tokenizer splits.
    """
    if char in WORD_LIGATURES:
        return WORD_LIGATURES[char]
    code = ord(char)
    if 0xFE70 <= code <= 0xFE7F or code == 0xFEFF:
        return ""
    if SYMBOL_MARKS[0] <= code <= SYMBOL_MARKS[1]:
        return ""
    decomposed = unicodedata.normalize("NFKC", char)
    if decomposed.strip() != decomposed:
        return ""
    return decomposed


def fold_presentation_forms(text: str) -> str:
    """Fold presentation forms and ligatures to base letters.

    >>> fold_presentation_forms("\\ufefb \\ufdf2")
    'لا الله'
    """
    return "".join(presentation_form(c) if _is_presentation(c) else c for c in text)


def _is_presentation(char: str) -> bool:
    code = ord(char)
    return any(first <= code <= last for first, last in PRESENTATION_RANGES)


@attrs.frozen(kw_only=True, getstate_setstate=False)
class Profile:
    """A folding profile: which of the contested folds the search fold makes.

    The default folds ة to ه, ى to ي and Arabic-Indic digits to ASCII, and keeps
    hamza seats. A profile is chosen when an index is created and stored in it.
    """

    #: ؤ -> و, ئ -> ي (:func:`fold_hamza_seats`).
    hamza_seats: bool = False
    #: ة -> ه (:func:`fold_ta_marbuta`).
    ta_marbuta: bool = True
    #: ى -> ي (:func:`fold_alef_maqsura`).
    alef_maqsura: bool = True
    #: Arabic-Indic and Persian digits -> ASCII (:func:`fold_digits`).
    digits: bool = True
    #: Not a fold: the index also holds each word's root (:mod:`archive.arabic.roots`)
    #: in a field of its own, for ``root:`` queries.
    roots: bool = False

    def __getstate__(self) -> dict[str, bool]:
        return self.to_dict()

    def __setstate__(self, state: Mapping[str, bool]) -> None:
        """A profile pickled before an option existed (in an index's schema) takes
        that option's default."""
        for option in attrs.fields(Profile):
            object.__setattr__(self, option.name, state.get(option.name, option.default))

    def to_dict(self) -> dict[str, bool]:
        """The options as a JSON-ready dict."""
        return attrs.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Profile:
        """A profile from :meth:`to_dict`'s output.

        Raises:
            ArchiveError: an unknown option or a value that is not a bool.
        """
        known = {f.name for f in attrs.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ArchiveError(
                f"unknown folding option(s) {', '.join(unknown)}; "
                f"the options are {', '.join(sorted(known))}"
            )
        for key, value in data.items():
            if not isinstance(value, bool):
                raise ArchiveError(f"folding option {key} must be true or false, not {value!r}")
        return cls(**data)


#: The default profile.
DEFAULT = Profile()


def _steps(text: str, profile: Profile = DEFAULT) -> str:
    """The search fold, one named step after another (slow; builds the table)."""
    text = fold_presentation_forms(text)
    text = strip_marks(text)
    text = strip_controls(text)
    text = fold_alef(text)
    if profile.alef_maqsura:
        text = fold_alef_maqsura(text)
    if profile.ta_marbuta:
        text = fold_ta_marbuta(text)
    text = fold_persian(text)
    if profile.digits:
        text = fold_digits(text)
    if profile.hamza_seats:
        text = fold_hamza_seats(text)
    return text.lower()


# --- Tables ------------------------------------------------------------------

_DELETE_MARKS = dict.fromkeys(map(ord, MARKS + TATWEEL))
DELETE_CONTROLS = dict.fromkeys(map(ord, CONTROLS))
_ALEF_TABLE = str.maketrans(
    dict.fromkeys(
        ALEF_HAMZA_ABOVE
        + ALEF_HAMZA_BELOW
        + ALEF_MADDA
        + ALEF_WASLA
        + ALEF_WAVY_HAMZA_ABOVE
        + ALEF_WAVY_HAMZA_BELOW,
        ALEF,
    )
)
_DIGIT_TABLE = str.maketrans(ARABIC_INDIC_DIGITS + PERSIAN_DIGITS, "0123456789" * 2)


@functools.cache
def fold_table(profile: Profile = DEFAULT) -> dict[int, str | None]:
    """The one ``str.translate`` table of a profile's fold, built on first use.

    It is derived from the named steps above: each character that any step
    changes maps to what the whole chain makes of it.
    """
    table: dict[int, str | None] = {}
    candidates = (
        MARKS
        + TATWEEL
        + CONTROLS
        + ALEF_HAMZA_ABOVE
        + ALEF_HAMZA_BELOW
        + ALEF_MADDA
        + ALEF_WASLA
        + ALEF_WAVY_HAMZA_ABOVE
        + ALEF_WAVY_HAMZA_BELOW
        + ALEF_MAQSURA
        + TEH_MARBUTA
        + PERSIAN_YEH
        + PERSIAN_KAF
        + ARABIC_INDIC_DIGITS
        + PERSIAN_DIGITS
        + WAW_HAMZA
        + YEH_HAMZA
        + range_chars(PRESENTATION_RANGES)
    )
    for char in candidates:
        folded = _steps(char, profile)
        if folded != char:
            table[ord(char)] = folded or None
    return table


def fold(word: str, profile: Profile = DEFAULT) -> str:
    """Fold one word (or any text) for search with a profile (the default one).

    The word is first put in NFC, so a seat followed by a combining hamza
    (و + U+0654) is the letter ؤ, as it would be if typed precomposed. Latin is
    lowercased. A text with word ligatures may come back with spaces (see
    :func:`presentation_form`); the analyzer splits those into tokens.

    >>> fold("الْكِتَابُ")
    'الكتاب'
    >>> fold("أَعْلَى مَدْرَسَةٍ")
    'اعلي مدرسه'
    """
    return nfc(word).translate(fold_table(profile)).lower()


def nfc(text: str) -> str:
    """Put text in Unicode NFC (ingest stores passages in NFC)."""
    if unicodedata.is_normalized("NFC", text):
        return text
    return unicodedata.normalize("NFC", text)


def reference_fold(text: str) -> str:
    """The default fold composed from pyarabic calls, with their pitfalls corrected.

    Slow; kept as an independent check of :func:`fold`. The pitfalls, pinned by
    tests: ``araby.normalize_alef`` folds ى into ا (على would become علا) and
    ``araby.normalize_hamza`` turns أ into ء by default, so neither is used and
    the alef seats are folded by hand; ``araby.strip_tashkeel`` leaves the
    superscript alef U+0670 and the Quranic marks, so those are stripped here.
    """
    from pyarabic import araby

    text = fold_presentation_forms(nfc(text))
    text = araby.strip_tatweel(araby.strip_tashkeel(text))
    text = strip_marks(text)
    text = strip_controls(text)
    text = text.replace(ALEF_WASLA, ALEF).replace(ALEF_WAVY_HAMZA_ABOVE, ALEF)
    text = text.replace(ALEF_WAVY_HAMZA_BELOW, ALEF)
    for seat in (ALEF_MADDA, ALEF_HAMZA_ABOVE, ALEF_HAMZA_BELOW):
        text = text.replace(seat, ALEF)
    text = fold_alef_maqsura(araby.normalize_teh(text))
    text = fold_persian(text)
    text = fold_digits(text)
    return text.lower()
