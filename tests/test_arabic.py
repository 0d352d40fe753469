"""The folding steps and the token pattern, on real Arabic words."""

from __future__ import annotations

import json
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pyarabic import araby

from archive import arabic
from tests.conftest import DATA, corpus

# (written, folded by the default fold, why)
FOLD_CASES = [
    ("الْكِتَابُ", "الكتاب", "harakat"),
    ("كِتَابٌ", "كتاب", "tanween"),
    ("مُحَمَّدٌ", "محمد", "shadda and tanween"),
    ("الرَّحْمَٰنِ", "الرحمن", "superscript alef U+0670"),
    ("ٱلرَّحۡمَٰنِ", "الرحمن", "alef wasla and Uthmani sukun U+06E1"),
    ("عَلِيمٌۢ", "عليم", "small high meem U+06E2"),
    ("رَحِيمًۭا", "رحيما", "Quranic mark U+06ED"),
    ("ٱلۡكِتَٰبَ", "الكتب", "the dagger alef is deleted in the default fold"),
    ("سَمِيعࣱ", "سميع", "Uthmani open dammatan U+08F1"),
    ("أحمد", "احمد", "hamza above alef"),
    ("إبراهيم", "ابراهيم", "hamza below alef"),
    ("آدم", "ادم", "madda alef"),
    ("على", "علي", "alef maqsura folds to yeh"),
    ("مستشفى", "مستشفي", "alef maqsura at the end of a noun"),
    ("مدرسة", "مدرسه", "ta marbuta folds to heh"),
    ("فاطمة", "فاطمه", "ta marbuta in a name"),
    ("كتـــاب", "كتاب", "tatweel"),
    ("قال\u200f", "قال", "right-to-left mark"),
    ("سلا\u200cم", "سلام", "zero width non-joiner"),
    ("کتاب", "كتاب", "Persian keheh"),
    ("ایران", "ايران", "Persian yeh"),
    ("١٩١٧", "1917", "Arabic-Indic digits"),
    ("۱۹۱۷", "1917", "Persian digits"),
    ("\ufefb", "لا", "lam-alef ligature"),
    ("\ufef7", "لا", "lam-alef with hamza ligature"),
    ("\ufdf2", "الله", "Allah ligature"),
    ("\ufe8d\ufedf\ufee0\ufeea", "الله", "presentation forms of letters"),
    ("\ufe70", "", "isolated fathatan form is a mark, not a space and a mark"),
    ("Lenin", "lenin", "Latin is lowercased"),
    ("مؤمن", "مؤمن", "hamza on waw is kept (a named profile option in a later issue)"),
    ("شيء", "شيء", "standalone hamza is kept"),
    ("ا\u0654حمد", "احمد", "alef + combining hamza is أ, which folds to ا"),
    ("مو\u0654من", "مؤمن", "waw + combining hamza is ؤ, kept like the precomposed letter"),
    ("رئيس", "رئيس", "hamza on yeh is kept"),
]


@pytest.mark.parametrize(("written", "folded", "why"), FOLD_CASES)
def test_fold(written: str, folded: str, why: str) -> None:
    assert arabic.fold(written) == folded, why


@pytest.mark.parametrize(("written", "folded", "why"), FOLD_CASES)
def test_reference_fold_agrees(written: str, folded: str, why: str) -> None:
    assert arabic.reference_fold(written) == folded, why


def test_word_ligatures_expand_to_words() -> None:
    assert arabic.fold("\ufdfa") == "صلي الله عليه وسلم"
    assert arabic.fold("\ufdfd") == "بسم الله الرحمن الرحيم"


def test_contested_folds_are_separate_named_steps() -> None:
    assert arabic.fold_ta_marbuta("مدرسة") == "مدرسه"
    assert arabic.fold_alef_maqsura("على") == "علي"
    # Each step does only its own fold.
    assert arabic.fold_ta_marbuta("على") == "على"
    assert arabic.fold_alef_maqsura("مدرسة") == "مدرسة"
    assert arabic.fold_alef("على مدرسة") == "على مدرسة"


def test_exact_fold_keeps_marks_and_letters() -> None:
    assert arabic.fold_exact("الْكِتَابُ") == "الْكِتَابُ"
    assert arabic.fold_exact("أحمد") == "أحمد"
    assert arabic.fold_exact("مدرسة") == "مدرسة"
    assert arabic.fold_exact("قال\u200f") == "قال"


def test_exact_fold_is_canonical() -> None:
    # Shadda then fatha, and fatha then shadda, are canonically the same word.
    assert arabic.fold_exact("مُحَمَّد") == arabic.fold_exact("مُحَمَّد")
    # Alef followed by a combining hamza is the precomposed أ.
    assert arabic.fold_exact("ا\u0654حمد") == "أحمد"


# --- pyarabic pitfalls, pinned ---------------------------------------------------


def test_pyarabic_normalize_alef_merges_alef_maqsura() -> None:
    # Why the archive does not use it: على would become علا.
    assert araby.normalize_alef("على") == "علا"
    assert arabic.fold("على") == "علي"


def test_pyarabic_strip_tashkeel_leaves_superscript_alef() -> None:
    assert araby.strip_tashkeel("الرَّحْمٰنِ") == "الرحمٰن"
    assert arabic.fold("الرَّحْمٰنِ") == "الرحمن"


def test_pyarabic_normalize_hamza_makes_alef_a_hamza() -> None:
    assert araby.normalize_hamza("أحمد") == "ءحمد"
    assert arabic.fold("أحمد") == "احمد"


# --- tokens ----------------------------------------------------------------------


def test_tokens_keep_marks_inside_words() -> None:
    text = "قَالَ : حَدَّثَنَا الْحُمَيْدِيُّ"
    words = [w for _, _, w in arabic.tokens(text)]
    assert words == ["قَالَ", "حَدَّثَنَا", "الْحُمَيْدِيُّ"]


def test_python_word_class_alone_cuts_vocalised_words() -> None:
    import re

    assert re.findall(r"\w+", "الكِتَابُ") != ["الكِتَابُ"]


def test_token_offsets_point_into_the_original() -> None:
    text = "\u200fحَدَّثَنَا سُفْيَانُ، عام1913"
    for start, end, word in arabic.tokens(text):
        assert text[start:end] == word
    assert [w for _, _, w in arabic.tokens(text)] == ["حَدَّثَنَا", "سُفْيَانُ", "عام", "1913"]


def test_direction_mark_inside_a_word_does_not_split_it() -> None:
    assert [w for _, _, w in arabic.tokens("قا\u200fل")] == ["قا\u200fل"]


# --- properties ------------------------------------------------------------------

ARABIC_LETTERS = "ءآأؤإئابةتثجحخدذرزسشصضطظعغفقكلمنهوىي"
letters = st.text(alphabet=ARABIC_LETTERS, min_size=1, max_size=12)
# The combining hamzas and madda make letters (و + U+0654 is ؤ), not diacritics.
marks = st.sampled_from(
    sorted(set(arabic.MARKS + arabic.TATWEEL) - set(arabic.LETTER_FORMING_MARKS))
)


@given(st.text(alphabet=ARABIC_LETTERS + arabic.MARKS + arabic.CONTROLS + " ٠١٢abcXYZ"))
def test_fold_is_idempotent(text: str) -> None:
    once = arabic.fold(text)
    assert arabic.fold(once) == once


@given(letters, st.data())
def test_random_diacritics_never_change_the_fold(word: str, data: st.DataObject) -> None:
    chars = []
    for letter in word:
        chars.append(letter)
        chars.extend(data.draw(st.lists(marks, max_size=3)))
    vocalised = unicodedata.normalize("NFC", "".join(chars))
    assert arabic.fold(vocalised) == arabic.fold(word)


@given(st.text(alphabet=ARABIC_LETTERS + arabic.MARKS + arabic.CONTROLS + "ﷺﷲﻻ "))
def test_no_diacritic_or_control_survives(text: str) -> None:
    folded = arabic.fold(text)
    assert not set(folded) & set(arabic.MARKS + arabic.CONTROLS + arabic.TATWEEL)


def test_every_presentation_form_folds_to_base_letters() -> None:
    for first, last in arabic.PRESENTATION_RANGES:
        for code in range(first, last + 1):
            if unicodedata.category(chr(code))[0] in "CPZ":  # unassigned, punctuation
                continue
            folded = arabic.fold(chr(code))
            for ch in folded.replace(" ", ""):
                assert not 0xFB50 <= ord(ch) <= 0xFEFF, hex(code)
                assert ch not in arabic.MARKS, hex(code)


def test_honorific_ligatures_are_their_words() -> None:
    assert arabic.fold("\ufd41") == "رضي الله عنه"
    assert arabic.fold("\ufdff") == "عز وجل"
    assert [w for _, _, w in arabic.tokens("النبي\ufdfa قال")] == ["النبي", "\ufdfa", "قال"]


def test_ornate_parentheses_are_not_part_of_words() -> None:
    assert [w for _, _, w in arabic.tokens("\ufd3fبسم الله\ufd3e")] == ["بسم", "الله"]


# --- real text ---------------------------------------------------------------


def _texts(path: str) -> list[str]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line)["text"] for line in handle if line.strip()]


def test_fast_fold_equals_pyarabic_reference_on_hadith_excerpt() -> None:
    for text in _texts(str(DATA / "hadith_excerpt.jsonl")):
        assert arabic.fold(text) == arabic.reference_fold(text)


@pytest.mark.parametrize(
    "name", ["hadith_bukhari_muslim.jsonl", "quran_kfgqpc_hafs.jsonl", "msa_arcd_wikipedia.jsonl"]
)
def test_fast_fold_equals_pyarabic_reference_on_corpus(name: str) -> None:
    texts = _texts(str(corpus(name)))[:3000]
    assert texts
    mismatches = [t for t in texts if arabic.fold(t) != arabic.reference_fold(t)]
    assert mismatches == []


def test_no_mark_survives_the_fold_of_the_quran() -> None:
    for text in _texts(str(corpus("quran_kfgqpc_hafs.jsonl"))):
        folded = arabic.fold(arabic.nfc(text))
        assert not set(folded) & set(arabic.MARKS + arabic.CONTROLS + arabic.TATWEEL), text


def test_every_multiword_character_is_a_token_of_its_own() -> None:
    for first, last in arabic.PRESENTATION_RANGES:
        for code in range(first, last + 1):
            if " " in arabic.fold(chr(code)):
                assert chr(code) in arabic.LIGATURE_WORDS, hex(code)
    assert arabic.fold("\ufdfb") == "جل جلاله"
