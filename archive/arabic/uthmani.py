"""Uthmani spelling: the plain (imla'i) spellings a word of the Quranic script has.

Uthmani text writes some long vowels as small letters and the hamza on the line
or on a tatweel where plain spelling gives it a seat; :func:`plain_spellings`
lists the plain spellings of such a word, which the analyzer indexes at the
word's position.
"""

from __future__ import annotations

import re

from archive.arabic.codepoints import (
    ALEF,
    ALEF_HAMZA_ABOVE,
    ALEF_MADDA,
    ALEF_MAQSURA,
    DAMMA,
    DAMMATAN,
    FATHA,
    FATHATAN,
    HAMZA,
    HAMZA_ABOVE,
    KASRA,
    KASRATAN,
    MARK_CLASS,
    MARK_SET,
    SMALL_HIGH_YEH,
    SMALL_WAW,
    SMALL_YEH,
    SUKUN,
    SUPERSCRIPT_ALEF,
    TATWEEL,
    WAW,
    WAW_HAMZA,
    YEH,
    YEH_HAMZA,
)
from archive.arabic.fold import fold  # noqa: F401  # the doctests fold the spellings

#: The small letters of Uthmani spelling, and what each stands for in full.
SMALL_LETTERS = {SUPERSCRIPT_ALEF: ALEF, SMALL_WAW: WAW, SMALL_YEH: YEH, SMALL_HIGH_YEH: YEH}

#: The characters that a word's plain spellings (:func:`plain_spellings`) may
#: spell as letters its fold does not hold: the small letters, a hamza on the
#: line and a hamza above (on a tatweel) that take a seat. The fold of each
#: plain spelling of a word holding none of them is a piece of the word's own
#: fold (a silent alef's spelling only leaves the alef out).
RESPELLING = frozenset({*SMALL_LETTERS, HAMZA, HAMZA_ABOVE})
_RESPELLING = re.compile("[" + "".join(map(re.escape, sorted(RESPELLING))) + "]")


def may_respell(text: str) -> bool:
    """Whether a word of ``text`` may have plain spellings holding letters its
    fold does not (it holds a character of :data:`RESPELLING`): where not, the
    fold of the text tells which of its words cannot hold a term. Much cheaper
    than making the spellings to see.

    >>> may_respell("ٱلۡعَٰلَمِينَ"), may_respell("شيء"), may_respell("يَدۡعُواْ كتاب")
    (True, True, False)
    """
    return _RESPELLING.search(text) is not None


_MARK_RUN = f"[{MARK_CLASS}]*"
# ءَا and ـَٔا: Uthmani writes the madda alef آ as a hamza before an alef.
_HAMZA_ALEF = re.compile(f"(?:{HAMZA}|{TATWEEL}{_MARK_RUN}{HAMZA_ABOVE})({_MARK_RUN}){ALEF}")
# A hamza on the line or on a tatweel (a kursi) inside a word, with its marks.
_MEDIAL_HAMZA = re.compile(
    f"(?<=.)(?:{HAMZA}|{TATWEEL}({_MARK_RUN}){HAMZA_ABOVE})({_MARK_RUN})(?=[^{MARK_CLASS}])"
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
                at_end = all(c in MARK_SET for c in chars[i + 1 :])
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
    while before >= 0 and text[before] in MARK_SET:
        before -= 1
    if before >= 0 and (KASRA in text[before + 1 : start] or text[before] == YEH):
        return YEH_HAMZA + match.group(1) + ALEF
    return ALEF_MADDA + match.group(1)


def _hamza_seat(match: re.Match[str]) -> str:
    """The seat of a medial hamza, by the stronger of its vowel and the one before."""
    text, start = match.string, match.start()
    own = (match.group(1) or "") + match.group(2)
    before = start - 1
    while before >= 0 and text[before] in MARK_SET:
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
    while j >= 0 and chars[j] in MARK_SET:
        j -= 1
    return j if j >= 0 else None
