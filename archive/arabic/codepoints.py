"""The named code points of Arabic text: letters, marks, controls, digits and ranges.

Every character the rest of :mod:`archive.arabic` reasons about has a name here,
with the ranges of combining marks, invisible controls and presentation forms,
and the word ligatures spelled out. Nothing here transforms text.
"""

from __future__ import annotations

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
FEH = "\u0641"  # ف
BEH = "\u0628"  # ب
LAM = "\u0644"  # ل
# The other letters of the root extractor's affixes (archive.arabic.roots).
TEH = "\u062a"  # ت
SEEN = "\u0633"  # س
MEEM = "\u0645"  # م
NOON = "\u0646"  # ن

#: Small letters of Uthmani spelling that stand for a letter plain spelling
#: writes out: the superscript alef of ٱلۡعَٰلَمِينَ (plain العالمين), the small
#: waw and small yeh, and the small high yeh of إِبۡرَٰهِـۧمَ (plain إبراهيم).
SMALL_WAW = "\u06e5"
SMALL_YEH = "\u06e6"
SMALL_HIGH_YEH = "\u06e7"

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


def range_chars(ranges: tuple[tuple[int, int], ...]) -> str:
    """Every code point of the ``(first, last)`` ranges, as one string."""
    return "".join(chr(c) for first, last in ranges for c in range(first, last + 1))


def _char_class(ranges: tuple[tuple[int, int], ...]) -> str:
    return "".join(f"\\u{first:04x}-\\u{last:04x}" for first, last in ranges)


MARKS = range_chars(MARK_RANGES)
CONTROLS = range_chars(CONTROL_RANGES)
#: The marks, as a set for membership tests.
MARK_SET = frozenset(MARKS)

#: Regular expression classes (the inside of ``[...]``) of the marks and controls.
MARK_CLASS = _char_class(MARK_RANGES)
CONTROL_CLASS = _char_class(CONTROL_RANGES)
