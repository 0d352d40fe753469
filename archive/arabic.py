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
from collections.abc import Iterator, Mapping
from typing import Any

import attrs

from archive.errors import ArchiveError

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


def _chars(ranges: tuple[tuple[int, int], ...]) -> str:
    return "".join(chr(c) for first, last in ranges for c in range(first, last + 1))


def _char_class(ranges: tuple[tuple[int, int], ...]) -> str:
    return "".join(f"\\u{first:04x}-\\u{last:04x}" for first, last in ranges)


MARKS = _chars(MARK_RANGES)
CONTROLS = _chars(CONTROL_RANGES)
_MARK_SET = frozenset(MARKS)

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


@attrs.frozen(kw_only=True)
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
        + _chars(PRESENTATION_RANGES)
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


#: The small letters of Uthmani spelling, and what each stands for in full.
SMALL_LETTERS = {SUPERSCRIPT_ALEF: ALEF, SMALL_WAW: WAW, SMALL_YEH: YEH, SMALL_HIGH_YEH: YEH}

_MARK_RUN = f"[{_MARK_CLASS}]*"
# ءَا and ـَٔا: Uthmani writes the madda alef آ as a hamza before an alef.
_HAMZA_ALEF = re.compile(f"(?:{HAMZA}|{TATWEEL}{_MARK_RUN}{HAMZA_ABOVE})({_MARK_RUN}){ALEF}")
# A hamza on the line or on a tatweel (a kursi) inside a word, with its marks.
_MEDIAL_HAMZA = re.compile(
    f"(?<=.)(?:{HAMZA}|{TATWEEL}({_MARK_RUN}){HAMZA_ABOVE})({_MARK_RUN})(?=[^{_MARK_CLASS}])"
)
# واْ: a final alef marked as silent (U+06DF) after a waw, which plain spelling
# writes after a plural verb (آمنوا) but not after a singular one (يدعو).
# The KFGQPC Hafs encoding marks it with a sukun-shaped U+0652, others U+06DF.
_SILENT_ALEF = re.compile(f"{WAW}({_MARK_RUN}){ALEF}[\u06df{SUKUN}]{_MARK_RUN}$")
_UTHMANI = re.compile(
    f"[{''.join(SMALL_LETTERS)}]|{HAMZA}|{TATWEEL}{_MARK_RUN}{HAMZA_ABOVE}|{_SILENT_ALEF.pattern}"
)
#: At most this many small letters are spelled out in every combination.
_MAX_SMALL_LETTERS = 3
# Kasra, damma, fatha, each with its tanween forms (the Uthmani open ones too).
_VOWEL_SEATS = (
    (KASRA + KASRATAN + "\u08f2", YEH_HAMZA),
    (DAMMA + DAMMATAN + "\u08f1", WAW_HAMZA),
    (FATHA + FATHATAN + "\u08f0", ALEF_HAMZA_ABOVE),
)


def plain_spellings(word: str) -> tuple[str, ...]:
    """The plain (imla'i) spellings an Uthmani word may have; empty for other words.

    Uthmani spelling writes some long vowels as small letters: ٱلۡعَٰلَمِينَ is
    العالمين in plain spelling, but هَٰذَا is هذا, so each small letter is taken
    both ways (deleting it loses the first kind, spelling it out the second). A
    superscript alef on a waw or alef maqsura that has no vowel of its own stands
    for an alef in the seat's place (ٱلصَّلَوٰةَ is الصلاة; but وَٰحِدَةࣰ is واحدة).
    A hamza before an alef is the madda alef (ءَامَنُواْ is آمنوا). A hamza on the
    line or on a tatweel inside a word takes the seat of the stronger of its
    vowel and the vowel before it, kasra over damma over fatha (يَسۡتَهۡزِءُونَ
    is يستهزئون, أَسۡـَٔلُكُمۡ is أسألكم). The analyzer indexes every spelling at
    the word's position.

    >>> sorted(fold(w) for w in plain_spellings("ٱلۡعَٰلَمِينَ"))
    ['العالمين', 'العلمين']
    >>> sorted({fold(w) for w in plain_spellings("ٱلسَّمَٰوَٰتِ")})
    ['السماوات', 'السماوت', 'السموات', 'السموت']
    >>> sorted(fold(w) for w in plain_spellings("يَدۡعُواْ")), plain_spellings("كتاب")
    (['يدعو', 'يدعوا'], ())
    """
    if not _UTHMANI.search(word):
        return ()
    chars = list(word)
    small = [i for i, c in enumerate(chars) if c in SMALL_LETTERS][:_MAX_SMALL_LETTERS]
    spellings: list[str] = []
    for choice in range(1 << len(small)):
        out = list(chars)
        for bit, i in enumerate(small):
            if not choice >> bit & 1:
                out[i] = ""  # the small letter left out
                continue
            out[i] = SMALL_LETTERS[chars[i]]
            seat = _seat(chars, i)
            if chars[i] == SUPERSCRIPT_ALEF and seat is not None:
                vowelled = any(c in (FATHA, DAMMA, KASRA) for c in chars[seat + 1 : i])
                at_end = all(c in _MARK_SET for c in chars[i + 1 :])
                if chars[seat] == WAW and not vowelled:
                    out[seat] = ""  # ٱلصَّلَوٰةَ: the alef takes the waw's place
                elif chars[seat] == ALEF_MAQSURA and not vowelled:
                    out[seat] = ""
                    out[i] = ALEF_MAQSURA if at_end else ALEF  # مُوسَىٰ, but أَدۡرَىٰكَ
        joined = "".join(out)
        # بِـَٔايَٰت is بآيات (a preposition before آيات), سَيِّـَٔات is سيئات: both.
        for spelled in {_HAMZA_ALEF.sub(_madda, joined), _HAMZA_ALEF.sub(_MADDA, joined)}:
            spelled = _MEDIAL_HAMZA.sub(_hamza_seat, spelled)
            spellings.append(spelled)
            if _SILENT_ALEF.search(spelled):
                spellings.append(_SILENT_ALEF.sub(rf"{WAW}\1", spelled))
    return tuple(sorted(set(spellings)))


_MADDA = rf"{ALEF_MADDA}\1"


def _madda(match: re.Match[str]) -> str:
    """ءا is آ, unless a kasra before it puts the hamza on a yeh (سَيِّـَٔات)."""
    text, start = match.string, match.start()
    before = start - 1
    while before >= 0 and text[before] in _MARK_SET:
        before -= 1
    if before >= 0 and (KASRA in text[before + 1 : start] or text[before] == YEH):
        return YEH_HAMZA + match.group(1) + ALEF
    return ALEF_MADDA + match.group(1)


def _hamza_seat(match: re.Match[str]) -> str:
    """The seat of a medial hamza, by the stronger of its vowel and the one before."""
    text, start = match.string, match.start()
    own = (match.group(1) or "") + match.group(2)
    before = start - 1
    while before >= 0 and text[before] in _MARK_SET:
        before -= 1
    if before < 0:
        return HAMZA + own
    if text[before] == YEH:
        return YEH_HAMZA + own  # شَيۡـًٔا is شيئا
    previous = "" if text[before] == ALEF else text[before + 1 : start]
    for vowels, seat in _VOWEL_SEATS:
        if any(v in own or v in previous for v in vowels):
            if text[before] == ALEF and seat != YEH_HAMZA:
                break  # after an alef only a kasra lifts the hamza (سائل, but سماءَه)
            return seat + own
    return HAMZA + own


def _seat(chars: list[str], i: int) -> int | None:
    """The index of the letter that the mark at ``i`` stands on."""
    j = i - 1
    while j >= 0 and chars[j] in _MARK_SET:
        j -= 1
    return j if j >= 0 else None


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


# --- Clitics -----------------------------------------------------------------

#: Conjunctions written against the next word: و, ف.
CONJUNCTIONS = WAW + FEH
#: The article with the prepositions written against it, longest first: بال,
#: كال, فال, لل (ل + ال, whose alef is dropped), ال.
ARTICLES = ("بال", "كال", "فال", "لل", "ال")
#: Prepositions written against the next word: ب, ك, ل.
PREPOSITIONS = BEH + KAF + LAM
#: Attached pronouns of two letters or more. The one-letter ه is not taken off:
#: with ة folded to ه it would merge مدرسة with مدرس, and عليه with علي.
PRONOUNS = ("هما", "كما", "هم", "هن", "ها", "كم", "كن", "نا")


def strip_clitics(word: str) -> str:
    """The stem of a folded word: attached pronoun, conjunction and article taken
    off, conservatively. Used on both the indexed text and the query.

    Each is taken off only when enough of the word is left: four letters before
    a pronoun (كتابهم -> كتاب, but عليهم stays), four after a one-letter
    conjunction (وكتاب -> كتاب, but وزير stays), three after the article and
    the prepositions written with it (بالصبر -> صبر, but الله stays).

    >>> [strip_clitics(w) for w in ["بالصبر", "والصبر", "للصبر", "وكتاب", "كتابهم"]]
    ['صبر', 'صبر', 'صبر', 'كتاب', 'كتاب']
    >>> [strip_clitics(w) for w in ["الله", "له", "وزير", "بريء", "عليه", "مدرسه", "كتابه"]]
    ['الله', 'له', 'وزير', 'بريء', 'عليه', 'مدرسه', 'كتابه']
    """
    stem = word
    for pronoun in PRONOUNS:
        if stem.endswith(pronoun) and len(stem) - len(pronoun) >= 4:
            stem = stem[: -len(pronoun)]
            break
    if len(stem) >= 5 and stem[0] in CONJUNCTIONS:
        stem = stem[1:]
    for article in ARTICLES:
        if stem.startswith(article) and len(stem) - len(article) >= 3:
            return stem[len(article) :]
    return stem


def strip_preposition(stem: str) -> str | None:
    """The stem without a one-letter preposition (ب ك ل), if four letters are left.

    Whether a word starts with a preposition cannot be told from its letters
    (بكتاب is ب + كتاب, but بلاد is not ب + لاد), so this form is indexed as an
    alternative of the stem and never made from a query word: كتاب finds بكتاب,
    and a search for لبنان does not look for بنان.

    >>> strip_preposition("بكتاب"), strip_preposition("كتاب")
    ('كتاب', None)
    """
    if len(stem) >= 5 and stem[0] in PREPOSITIONS:
        return stem[1:]
    return None


#: Suffixes taken off by :func:`light_stem`, in one pass, in this order (the
#: suffixes of Lucene's light10 stemmer): ها ان ات ون ين يه ية ه ة ي.
LIGHT_SUFFIXES = ("ها", "ان", "ات", "ون", "ين", "يه", "ية", "ه", "ة", "ي")


def light_stem(stem: str) -> str:
    """A stem with plural, dual, feminine and pronoun suffixes also taken off.

    Aggressive, like Lucene's light10 stemmer: it merges مدرسة with مدرس and
    علويين with علويون, which helps rank passages for a question but would merge
    the false friends, so it is used for ``match="any"`` only. Three letters are
    always left.

    >>> [light_stem(strip_clitics(w)) for w in ["العلويين", "علويون", "المدرسه", "كتابات"]]
    ['علو', 'علو', 'مدرس', 'كتاب']
    """
    for suffix in LIGHT_SUFFIXES:
        if stem.endswith(suffix) and len(stem) - len(suffix) >= 3:
            stem = stem[: -len(suffix)]
    return stem


#: Question words and particles dropped from ``match="any"`` queries, as written
#: (they are folded with the index's profile before use).
QUESTION_WORDS = tuple(
    " ".join(
        (
            "ما ماذا من متى كيف أين هل لماذا لم لما كم أي هو هي هم هما هن",
            "في على عن إلى مع إن أن إذا لو قد لقد ثم أو و ف ب ل ك يا",
            "الذي التي الذين اللذان اللتان اللاتي ذلك تلك هذا هذه هؤلاء أولئك",
            "كان كانت يكون تكون كانوا ليس لا لن تم يتم عند بين حتى منذ بعد قبل",
            "كل بعض غير أيضا إلا",
        )
    ).split()
)


@functools.cache
def question_words(profile: Profile = DEFAULT) -> frozenset[str]:
    """:data:`QUESTION_WORDS` folded with a profile."""
    return frozenset(fold(w, profile) for w in QUESTION_WORDS)


# --- Vocalisation --------------------------------------------------------------


def clusters(word: str) -> tuple[tuple[str, frozenset[str]], ...]:
    """The word as (letter, marks on it) pairs, tatweel and controls left out.

    >>> [(letter, sorted(marks)) for letter, marks in clusters("عِلْمٌ")]
    [('ع', ['ِ']), ('ل', ['ْ']), ('م', ['ٌ'])]
    """
    out: list[tuple[str, set[str]]] = []
    for char in nfc(word):
        if char in _MARK_SET:
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
