"""All of the archive's Arabic knowledge: code points, folding steps, the token pattern.

Every decision about Arabic text lives here, as named code points and one small
function per folding step, composed in one documented order. The rest of the
package (the Whoosh analyzer, the readers, the search side) only calls into this
module; it imports nothing of the project.

The default search fold, in order (see ``docs/normalisation.md`` for the table):

1. :func:`strip_marks`: harakat, tanween, shadda, sukun, the superscript alef,
   Quranic annotation marks, extended marks, and tatweel are removed.
2. :func:`strip_controls`: zero-width and direction controls are removed.
3. :func:`fold_alef`: أ إ آ ٱ (and the wavy-hamza alefs) become ا.
4. :func:`fold_alef_maqsura`: ى becomes ي (a contested fold, named on its own).
5. :func:`fold_ta_marbuta`: ة becomes ه (a contested fold, named on its own).
6. :func:`fold_persian`: Persian ی and ک become ي and ك.
7. :func:`fold_presentation_forms`: presentation forms and lam-alef ligatures
   become base letters; word ligatures such as ﷺ become their words.
8. :func:`fold_digits`: Arabic-Indic and Persian digits become ASCII digits.
9. Latin letters are lowercased.

Hamza seats (ؤ, ئ) and the standalone hamza ء are kept as written.

:func:`fold` applies all of it with one ``str.translate`` table, which is the
per-token hot path. :func:`reference_fold` composes the same steps from pyarabic
calls (with their pitfalls corrected); tests check that the two agree on real
text.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterator

# --- Letters -----------------------------------------------------------------

HAMZA = "\u0621"  # ء
ALEF_MADDA = "\u0622"  # آ
ALEF_HAMZA_ABOVE = "\u0623"  # أ
WAW_HAMZA = "\u0624"  # ؤ
ALEF_HAMZA_BELOW = "\u0625"  # إ
YEH_HAMZA = "\u0626"  # ئ
ALEF = "\u0627"  # ا
TEH_MARBUTA = "\u0629"  # ة
KAF = "\u0643"  # ك
HEH = "\u0647"  # ه
WAW = "\u0648"  # و
ALEF_MAQSURA = "\u0649"  # ى
YEH = "\u064a"  # ي
ALEF_WASLA = "\u0671"  # ٱ
ALEF_WAVY_HAMZA_ABOVE = "\u0672"  # ٲ
ALEF_WAVY_HAMZA_BELOW = "\u0673"  # ٳ
PERSIAN_KAF = "\u06a9"  # ک (keheh)
PERSIAN_YEH = "\u06cc"  # ی (farsi yeh)

TATWEEL = "\u0640"  # ـ (kashida), a stretching stroke with no meaning

# --- Marks -------------------------------------------------------------------

FATHATAN = "\u064b"
DAMMATAN = "\u064c"
KASRATAN = "\u064d"
FATHA = "\u064e"
DAMMA = "\u064f"
KASRA = "\u0650"
SHADDA = "\u0651"
SUKUN = "\u0652"
MADDA_ABOVE = "\u0653"
HAMZA_ABOVE = "\u0654"
HAMZA_BELOW = "\u0655"
SUPERSCRIPT_ALEF = "\u0670"  # the dagger alef of الرحمٰن and هٰذا

#: Harakat, tanween, shadda and sukun: U+064B-U+0652.
HARAKAT = FATHATAN + DAMMATAN + KASRATAN + FATHA + DAMMA + KASRA + SHADDA + SUKUN

#: The combining madda and hamzas compose with a seat into a letter under NFC
#: (ا + U+0654 is أ, و + U+0654 is ؤ); text is put in NFC before folding, so
#: they fold as that letter would.
LETTER_FORMING_MARKS = MADDA_ABOVE + HAMZA_ABOVE + HAMZA_BELOW

#: (first, last) code point ranges of combining marks stripped by the default fold.
MARK_RANGES: tuple[tuple[int, int], ...] = (
    (0x0610, 0x061A),  # honorific and small high signs (ؐ ... ؚ)
    (0x064B, 0x0652),  # harakat, tanween, shadda, sukun
    (0x0653, 0x065F),  # madda, hamza above/below, extended marks
    (0x0670, 0x0670),  # superscript (dagger) alef
    (0x06D6, 0x06ED),  # Quranic annotation marks (small high letters, pause marks)
    (0x08D3, 0x08FF),  # extended Arabic marks (Uthmani open tanween U+08F0-U+08F2)
)

#: (first, last) ranges of invisible controls: zero-width and direction marks.
CONTROL_RANGES: tuple[tuple[int, int], ...] = (
    (0x00AD, 0x00AD),  # soft hyphen
    (0x034F, 0x034F),  # combining grapheme joiner
    (0x061C, 0x061C),  # Arabic letter mark
    (0x200B, 0x200F),  # zero width space/non-joiner/joiner, LRM, RLM
    (0x202A, 0x202E),  # directional embeddings and overrides
    (0x2060, 0x2064),  # word joiner and invisible operators
    (0x2066, 0x2069),  # directional isolates
    (0xFEFF, 0xFEFF),  # zero width no-break space (a BOM inside text)
)

#: Presentation forms: Forms-A and Forms-B, folded to base letters.
PRESENTATION_RANGES: tuple[tuple[int, int], ...] = (
    (0xFB50, 0xFDFF),
    (0xFE70, 0xFEFF),
)

#: Word ligatures with no compatibility decomposition in Unicode (symbols, not
#: letters), spelled out here. Those that do decompose (ﷺ U+FDFA, ﷲ U+FDF2)
#: take their decomposition. The analyzer turns a ligature of several words into
#: that many tokens at the ligature's offsets.
WORD_LIGATURES: dict[str, str] = {
    "\ufd40": "رحمه الله",
    "\ufd41": "رضي الله عنه",
    "\ufd42": "رضي الله عنها",
    "\ufd43": "رضي الله عنهم",
    "\ufd44": "رضي الله عنهما",
    "\ufd45": "رضي الله عنهن",
    "\ufd46": "صلى الله عليه وآله",
    "\ufd47": "عليه السلام",
    "\ufd48": "عليهم السلام",
    "\ufd49": "عليهما السلام",
    "\ufd4a": "عليه الصلاة والسلام",
    "\ufd4b": "قدس سره",
    "\ufd4c": "صلى الله عليه وآله وسلم",
    "\ufd4d": "عليها السلام",
    "\ufd4e": "تبارك وتعالى",
    "\ufd4f": "رحمهم الله",
    "\ufdcf": "سلامه علينا",
    "\ufdfd": "بسم الله الرحمن الرحيم",
    "\ufdfe": "سبحانه وتعالى",
    "\ufdff": "عز وجل",
}

#: Orthographic symbols of Forms-A (dots, rings, small tah, U+FBB2-U+FBC2):
#: spacing forms of marks, folded to nothing like the marks themselves.
SYMBOL_MARKS = (0xFBB2, 0xFBC2)

# --- Digits ------------------------------------------------------------------

ARABIC_INDIC_DIGITS = "٠١٢٣٤٥٦٧٨٩"  # U+0660-U+0669
PERSIAN_DIGITS = "۰۱۲۳۴۵۶۷۸۹"  # U+06F0-U+06F9


def _chars(ranges: tuple[tuple[int, int], ...]) -> str:
    return "".join(chr(c) for first, last in ranges for c in range(first, last + 1))


def _char_class(ranges: tuple[tuple[int, int], ...]) -> str:
    return "".join(f"\\u{first:04x}-\\u{last:04x}" for first, last in ranges)


MARKS = _chars(MARK_RANGES)
CONTROLS = _chars(CONTROL_RANGES)

# --- The token pattern -------------------------------------------------------

_MARK_CLASS = _char_class(MARK_RANGES)
_CONTROL_CLASS = _char_class(CONTROL_RANGES)
#: Characters that are whole words (or several): the word ligatures, ﷺ U+FDFA,
#: ﷻ U+FDFB and the rial sign U+FDFC. Each is a token of its own, even when
#: written against a word (النبيﷺ), and never part of a longer token.
LIGATURE_WORDS = "\ufdfa\ufdfb\ufdfc" + "".join(WORD_LIGATURES)

_LIGATURE_CLASS = "".join(f"\\u{ord(c):04x}" for c in LIGATURE_WORDS)
# A letter: a Unicode word character but a digit or a ligature word
# (presentation forms of letters and tatweel are \w already), or a mark.
_LETTER = f"(?:[^\\W\\d{_LIGATURE_CLASS}]|[{_MARK_CLASS}])"

#: A word is a run of letters and marks, with invisible controls allowed between
#: them; a number is a run of digits. Python's ``\\w`` does not match Arabic
#: combining marks, so without the mark class الكِتَابُ would be cut in pieces.
#: Letters and digits are separate tokens: عام1913 is the two tokens عام, 1913.
TOKEN_PATTERN = re.compile(
    f"[{_LIGATURE_CLASS}]"
    f"|{_LETTER}+(?:[{_CONTROL_CLASS}]+{_LETTER}+)*"
    f"|\\d+(?:[{_CONTROL_CLASS}]+\\d+)*"
)


def tokens(text: str) -> Iterator[tuple[int, int, str]]:
    """Yield ``(start, end, word)`` for each word of ``text``, offsets into ``text``.

    >>> [w for _, _, w in tokens("قالَ: الكِتَابُ عام1913")]
    ['قالَ', 'الكِتَابُ', 'عام', '1913']
    """
    for match in TOKEN_PATTERN.finditer(text):
        yield match.start(), match.end(), match.group()


# --- Folding steps -----------------------------------------------------------


def strip_marks(text: str) -> str:
    """Remove diacritics, the superscript alef, Quranic marks and tatweel.

    >>> strip_marks("الرَّحْمَٰنِ")
    'الرحمن'
    """
    return text.translate(_DELETE_MARKS)


def strip_controls(text: str) -> str:
    """Remove zero-width and direction controls (U+200F fills real hadith text)."""
    return text.translate(_DELETE_CONTROLS)


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


def _steps(text: str) -> str:
    """The default fold, one named step after another (slow; builds the table)."""
    text = fold_presentation_forms(text)
    text = strip_marks(text)
    text = strip_controls(text)
    text = fold_alef(text)
    text = fold_alef_maqsura(text)
    text = fold_ta_marbuta(text)
    text = fold_persian(text)
    text = fold_digits(text)
    return text.lower()


# --- Tables ------------------------------------------------------------------

_DELETE_MARKS = dict.fromkeys(map(ord, MARKS + TATWEEL))
_DELETE_CONTROLS = dict.fromkeys(map(ord, CONTROLS))
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
def fold_table() -> dict[int, str | None]:
    """The one ``str.translate`` table of the default fold, built on first use.

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
        + _chars(PRESENTATION_RANGES)
    )
    for char in candidates:
        folded = _steps(char)
        if folded != char:
            table[ord(char)] = folded or None
    return table


def fold(word: str) -> str:
    """Fold one word (or any text) for search with the default profile.

    The word is first put in NFC, so a seat followed by a combining hamza
    (و + U+0654) is the letter ؤ, as it would be if typed precomposed. Latin is
    lowercased. A text with word ligatures may come back with spaces (see
    :func:`presentation_form`); the analyzer splits those into tokens.

    >>> fold("الْكِتَابُ")
    'الكتاب'
    >>> fold("أَعْلَى مَدْرَسَةٍ")
    'اعلي مدرسه'
    """
    return nfc(word).translate(fold_table()).lower()


def fold_exact(word: str) -> str:
    """Fold one word for exact search: canonical equivalence and controls only.

    Marks, letters and tatweel stay as written; only the invisible controls go,
    and the word is put in Unicode NFC, so a mark typed in another order or a
    precomposed letter still matches.

    >>> fold_exact("الكِتَابُ") == "الكِتَابُ"
    True
    """
    word = word.translate(_DELETE_CONTROLS)
    if unicodedata.is_normalized("NFC", word):
        return word
    return unicodedata.normalize("NFC", word)


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
