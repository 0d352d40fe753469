"""The root extractor (archive.arabic.roots) on real Arabic words.

The two tables of ``tests/data`` hold words as texts write them with their gold
roots: ``roots_tuning.tsv`` was used to tune the extractor, ``roots_heldout.tsv``
was written before tuning and never used for it. ``benchmarks/roots.py`` prints
the full figures (precision, recall, per class, speed, against plain ISRI).
"""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archive.arabic.codepoints import HARAKAT, SUPERSCRIPT_ALEF, TATWEEL
from archive.arabic.roots import normalise, root, root_key
from archive.errors import ArchiveError, QueryError
from tests.conftest import DATA


def _table(name: str) -> list[tuple[str, str]]:
    rows = []
    for line in (DATA / name).read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            word, gold = line.split("\t")
            rows.append((word, gold))
    return rows


TUNING = _table("roots_tuning.tsv")
HELDOUT = _table("roots_heldout.tsv")

#: Measured: tuning 535/540 = 0.991, held-out 161/166 = 0.970. The floors are
#: about one and two words below the figures: a change that loses more fails.
TUNING_FLOOR = 0.985
HELDOUT_FLOOR = 0.96


def _accuracy(rows: list[tuple[str, str]]) -> tuple[float, list[tuple[str, str, str | None]]]:
    wrong = [(word, gold, root(word)) for word, gold in rows if root(word) != gold]
    return 1 - len(wrong) / len(rows), wrong


# --- the issue's words ------------------------------------------------------------

ISSUE_WORDS = ("كتاب", "مكتبة", "كاتب", "يكتبون", "مكتوب", "الكتابة", "كتابهم", "مكاتب")


@pytest.mark.parametrize("word", ISSUE_WORDS)
def test_the_words_of_a_root_search_share_its_key(word: str) -> None:
    assert root(word) == root_key("كتب") == "كتب"


def test_the_issue_words_are_in_the_tuning_table() -> None:
    assert {word for word, gold in TUNING if gold == "كتب"} >= set(ISSUE_WORDS)


# --- the tables ---------------------------------------------------------------------


def test_tuning_accuracy_holds_its_floor() -> None:
    accuracy, wrong = _accuracy(TUNING)
    assert accuracy >= TUNING_FLOOR, wrong


def test_heldout_accuracy_holds_its_floor() -> None:
    accuracy, wrong = _accuracy(HELDOUT)
    assert accuracy >= HELDOUT_FLOOR, wrong


@pytest.mark.parametrize(
    ("word", "gold"),
    [
        # hollow: the middle radical hidden as ا, ء or ي
        ("قال", "قول"),
        ("باع", "بيع"),
        ("خاف", "خوف"),
        ("قام", "قوم"),
        ("قائل", "قول"),
        ("الصيام", "صوم"),
        ("فَقُلْتُ", "قول"),
        # defective: the last radical as ا, ى, ي or ء, or dropped
        ("رمى", "رمي"),
        ("دعا", "دعو"),
        ("مشى", "مشي"),
        ("بقي", "بقي"),
        ("دعاء", "دعو"),
        ("يمشون", "مشي"),
        # assimilated: the first و dropped or turned ي
        ("يعد", "وعد"),
        ("يجد", "وجد"),
        ("ميعاد", "وعد"),
        ("صلة", "وصل"),
        # hamzated, on every seat
        ("يأكلون", "ءكل"),
        ("مسؤول", "سءل"),
        ("قراءة", "قرء"),
        ("القرآن", "قرء"),
        ("المسائل", "سءل"),
        # doubled
        ("مدّ", "مدد"),
        ("يمدّون", "مدد"),
        ("مرّات", "مرر"),
        ("ظنّوا", "ظنن"),
        # broken plurals
        ("مكاتب", "كتب"),
        ("رجال", "رجل"),
        ("علوم", "علم"),
        ("أعمال", "عمل"),
        ("مساجد", "سجد"),
        ("قلوب", "قلب"),
    ],
)
def test_weak_hamzated_doubled_and_plural_words(word: str, gold: str) -> None:
    assert root(word) == gold


def test_tables_are_big_enough_and_cover_the_classes() -> None:
    def cls(gold: str) -> str:
        if len(gold) == 4:
            return "quadriliteral"
        if gold[1] == gold[2]:
            return "doubled"
        if gold[0] in "وي":
            return "assimilated"
        if gold[1] in "وي":
            return "hollow"
        if gold[2] in "وي":
            return "defective"
        return "hamzated" if "ء" in gold else "sound"

    roots = {gold for _, gold in TUNING}
    count = Counter(cls(gold) for gold in roots)
    assert len(TUNING) >= 300
    assert len(roots) >= 40
    assert count["hollow"] >= 8
    assert count["defective"] >= 8
    assert count["assimilated"] >= 5
    assert count["doubled"] >= 5
    assert sum("ء" in gold for gold in roots) >= 6
    assert len(HELDOUT) >= 150


def test_heldout_words_are_not_tuning_words() -> None:
    tuning = {normalise(word) for word, _ in TUNING}
    assert not [word for word, _ in HELDOUT if normalise(word) in tuning]


@pytest.mark.parametrize(("word", "gold"), TUNING + HELDOUT)
def test_gold_roots_are_written_as_keys(word: str, gold: str) -> None:
    assert root_key(gold) == gold, word


def test_every_root_is_its_own_key() -> None:
    for word, _ in TUNING + HELDOUT:
        found = root(word)
        if found is not None:
            assert root_key(found) == found, word


# --- no root ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "word",
    [
        "في",
        "مِنْ",
        "عَلَى",
        "الذي",
        "وهو",
        "عنهما",
        "عليه",
        "بهذا",
        "لكم",
        "2020",
        "١٩١٧",
        "book",
        "ب",
        "",
    ],
)
def test_particles_numbers_latin_and_single_letters_have_no_root(word: str) -> None:
    assert root(word) is None


# --- root_key ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("أكل", "ءكل"),
        ("ءكل", "ءكل"),
        ("اكل", "ءكل"),
        ("إكل", "ءكل"),
        ("سأل", "سءل"),
        ("سئل", "سءل"),
        ("قرأ", "قرء"),
        ("قول", "قول"),
        ("قال", "قول"),
        ("بيع", "بيع"),
        ("باع", "بيع"),
        ("رمي", "رمي"),
        ("رمى", "رمي"),
        ("رما", "رمي"),
        ("دعو", "دعو"),
        ("دعا", "دعو"),
        ("كَتَبَ", "كتب"),
        ("كـتـب", "كتب"),
        (" كتب ", "كتب"),
        ("مد", "مدد"),
        ("مدد", "مدد"),
        ("ترجم", "ترجم"),
    ],
)
def test_root_key_spellings(typed: str, key: str) -> None:
    assert root_key(typed) == key


@pytest.mark.parametrize("text", ["", "   ", "k", "كتب1", "ك", "كتبتم", "مدرسة", "قاال"])
def test_root_key_refuses_what_cannot_be_a_root(text: str) -> None:
    with pytest.raises(QueryError) as caught:
        root_key(text)
    assert isinstance(caught.value, ArchiveError)
    assert caught.value.query == text
    assert repr(text) in str(caught.value)


def test_root_key_and_root_agree_on_typed_and_written_forms() -> None:
    assert root_key("قال") == root("يقولون") == root("قالوا")
    assert root_key("رمى") == root("يرمي") == root("رموا")
    assert root_key("أكل") == root("مأكول") == root("يأكل")


# --- marks never change a root ---------------------------------------------------------

MARKS = HARAKAT + SUPERSCRIPT_ALEF + TATWEEL
WORDS = [word for word, _ in TUNING + HELDOUT]


@settings(max_examples=300, deadline=None)
@given(
    word=st.sampled_from(WORDS),
    marks=st.lists(st.text(alphabet=MARKS, min_size=0, max_size=3), min_size=20, max_size=20),
)
def test_diacritics_and_tatweel_never_change_the_root(word: str, marks: list[str]) -> None:
    marked = "".join(char + marks[i % len(marks)] for i, char in enumerate(word))
    assert root(marked) == root(word)
