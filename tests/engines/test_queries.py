"""What a query finds, on every engine: spellings, syntax, exact mode, questions.

Hit ids are compared as sets (with the total): the order of hits by score is
each engine's own; only what is found is the same everywhere.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.engines.conftest import ids, ranked

# Each group: spellings of one query that must find the same passages (the
# first), among them the passages listed (each written in another spelling).
VARIANTS: list[tuple[str, list[str], set[str]]] = [
    (
        "diacritics, tatweel, presentation forms",
        ["الكتاب", "الكِتَابَ", "الْكِتَابُ", "الكتـــاب", "ﺍﻟﻜﺘﺎﺏ", "الكتاب\u200f"],
        {"k-kitab-voc", "k-kitab-plain", "k-tatweel"},
    ),
    ("alef with hamza", ["أحمد", "احمد", "أَحْمَدُ", "ا\u0654حمد"], {"k-madrasa", "k-ahmad-plain"}),
    ("alef with hamza below", ["إبراهيم", "ابراهيم", "إِبْرَاهِيمُ"], {"k-madrasah", "k-ahmad-plain"}),
    ("ta marbuta", ["المدرسة", "المدرسه", "المَدْرَسَةُ", "ﺍﻟﻤﺪﺭﺳﺔ"], {"k-madrasa", "k-madrasah"}),
    ("alef maqsura", ["مصطفى", "مصطفي", "مُصْطَفَى"], {"k-mustafa-maqsura", "k-mustafa-ya"}),
    (
        "tatweel",
        ["محمد", "مُحَمَّدٌ", "مـحـمـد", "مـــحـــمـــد"],
        {"h-muhammad-voc", "h-muhammad-tatweel", "h-muhammad-plain"},
    ),
    (
        "ligature of Allah",
        ["الله", "ﷲ", "اللَّهِ", "ﺍﻟﻠﻪ", "ٱللَّهِ"],
        {"h-allah-lig", "h-amal-fatha", "h-muhammad-voc", "hafs:1:1", "imlai:1:1"},
    ),
    (
        "ligature of the blessing",
        ['"صلى الله عليه وسلم"', "ﷺ", '"صَلَّى اللَّهُ عَلَيْهِ وَسَلَّمَ"'],
        {"h-prophet", "twin-a", "twin-b", "twin-c"},
    ),
    ("digits", ["1917", "١٩١٧", "۱۹۱۷"], {"k-madrasa", "k-ahmad-plain"}),
    ("Uthmani al-alamin", ["العالمين", "ٱلۡعَٰلَمِينَ"], {"hafs:1:2", "imlai:1:2"}),
    (
        "Uthmani ar-rahman",
        ["الرحمن", "ٱلرَّحۡمَٰنِ", "الرَّحْمٰنِ"],
        {"hafs:1:1", "hafs:1:3", "imlai:1:1", "imlai:1:3"},
    ),
    ("Uthmani as-sirat", ["الصراط", "ٱلصِّرَٰطَ"], {"hafs:1:6", "imlai:1:6"}),
    ("Uthmani malik", ["مالك", "مَٰلِكِ"], {"hafs:1:4", "imlai:1:4"}),
    ("Uthmani ad-dallin", ["الضالين", "ٱلضَّآلِّينَ"], {"hafs:1:7", "imlai:1:7"}),
]


@pytest.mark.parametrize(
    ("spellings", "among"), [v[1:] for v in VARIANTS], ids=[v[0] for v in VARIANTS]
)
def test_spelling_variants_find_the_same_passages(
    arc: Any, spellings: list[str], among: set[str]
) -> None:
    expected = ids(arc, spellings[0])
    assert among <= expected, spellings[0]
    for spelling in spellings[1:]:
        assert ids(arc, spelling) == expected, spelling


def test_a_word_is_not_its_false_friend(arc: Any) -> None:
    assert "k-kitaba" not in ids(arc, "الكتاب")  # الكتابة
    assert ids(arc, "مدرس") == {"k-mudarris"}  # not المدرسة (ة folds to ه)
    assert {"k-madrasa", "k-madrasah"} == ids(arc, "المدرسة")
    assert ids(arc, "له") == set()  # وله is there, الله too: neither is له
    assert "k-tatweel" not in ids(arc, "الله")  # وله


def test_a_word_finds_its_forms_with_clitics(arc: Any) -> None:
    # كتاب finds الكتاب, وكتاب, بكتاب, كتابهم; الكتاب finds بالكتاب and والكتاب.
    assert {"k-kitab-plain", "k-wal", "h-bikitab-allah", "k-kutubihim"} <= ids(arc, "كتاب")
    assert {"k-bil", "k-wal", "k-kitab-plain"} <= ids(arc, "الكتاب")
    assert ids(arc, "بالكتاب") >= {"k-bil"}


def test_every_word_must_match_by_default(arc: Any) -> None:
    assert ids(arc, "ستالين لينين") == {"k-lenin", "k-stalin"}  # لينين in k-stalin's caption
    assert ids(arc, "الحكومة المؤقتة") == {"k-gov-adjacent", "k-gov-gap", "k-gov-far"}
    assert ids(arc, "لينين تروتسكي") == set()


def test_or_not_and_groups(arc: Any) -> None:
    assert ids(arc, "ستالين OR تروتسكي") == {"k-lenin", "k-stalin", "k-trotsky"}
    assert ids(arc, "لينين NOT ستالين") == {"k-pravda"}
    assert ids(arc, "(ستالين OR تروتسكي) NOT رفض") == {"k-lenin", "k-stalin"}
    assert ids(arc, "(لينين OR تروتسكي) برافدا") == {"k-pravda"}
    assert ids(arc, "المدرسة NOT ابراهيم") == {"k-madrasa"}


def test_phrases(arc: Any) -> None:
    assert ids(arc, '"الحكومة المؤقتة"') == {"k-gov-adjacent"}
    assert ids(arc, '"المؤقتة الحكومة"') == set()  # in this order only
    # Within three positions: one word between, not six.
    assert ids(arc, '"الحكومة المؤقتة"~3') == {"k-gov-adjacent", "k-gov-gap"}


def test_a_phrase_finds_its_words_with_clitics_unless_exact(arc: Any) -> None:
    assert ids(arc, '"كتاب الله"') == {"h-kitab-allah", "h-bikitab-allah"}
    assert ids(arc, '"كتاب الله"', exact=True) == {"h-kitab-allah"}
    assert ids(arc, '"قَالَ النَّبِيُّ"', exact=True) == {"h-prophet"}
    assert ids(arc, '"النَّبِيُّ قَالَ"', exact=True) == set()


def test_prefix(arc: Any) -> None:
    # Words starting with كتا, also behind clitics (the index holds the stems);
    # not كتب nor المكتبة.
    assert ids(arc, "كتا*") == {
        "k-kitab-voc",
        "k-kitab-plain",
        "k-bil",
        "k-wal",
        "k-tatweel",
        "k-kutubihim",
        "k-kitaba",
        "h-kitab-allah",
        "h-bikitab-allah",
        "h-kitab-apart",
    }
    assert ids(arc, "إبراه*") == ids(arc, "ابراه*") == {"k-madrasah", "k-ahmad-plain"}


def test_field_queries_find_only_that_field(arc: Any) -> None:
    assert ids(arc, "سقوط") == {"k-gov-adjacent", "k-trotsky"}
    assert ids(arc, "title:سقوط") == {"k-gov-adjacent"}
    assert ids(arc, "لينين") == {"k-lenin", "k-pravda", "k-stalin"}
    assert ids(arc, "title:لينين") == {"k-lenin"}
    assert ids(arc, "caption:لينين") == {"k-stalin"}
    assert ids(arc, "text:لينين") == {"k-lenin", "k-pravda"}
    assert ids(arc, "text:برافدا") == {"k-pravda"}
    assert ids(arc, "title:برافدا") == set()


EXACT = [
    ("عِلْمٌ", {"h-ilm-tanwin"}),
    # Partial diacritics: a mark written must be there, a letter written bare
    # takes any marks; no clitics are taken off.
    ("عِلم", {"h-ilm-tanwin", "h-ilm-marks"}),
    ("علم", {"h-ilm-tanwin", "h-ilm-marks", "h-alam", "h-ilm-plain"}),
    ("عَلَم", {"h-alam"}),
    ("العِلْم", {"h-al-ilm"}),
    ("الْأَعْمَالُ", {"h-niyyat"}),
    ("الْأَعْمَالَ", {"h-amal-fatha"}),
    ("أحمد", {"k-madrasa"}),
    ("احمد", {"k-ahmad-plain"}),
    ("المدرسه", {"k-madrasah"}),
    ("المدرسة", {"k-madrasa"}),
    ("title:المدرسة", {"k-madrasa"}),
]


@pytest.mark.parametrize(("query", "expected"), EXACT, ids=[q for q, _ in EXACT])
def test_exact_mode(arc: Any, query: str, expected: set[str]) -> None:
    assert ids(arc, query, exact=True) == expected


def test_without_exact_mode_marks_and_letters_fold(arc: Any) -> None:
    every_ilm = {"h-ilm-tanwin", "h-ilm-marks", "h-alam", "h-ilm-plain", "h-al-ilm"}
    assert ids(arc, "عِلم") == ids(arc, "علم") == ids(arc, "عَلَم") == every_ilm
    assert ids(arc, "الْأَعْمَالُ") == ids(arc, "الاعمال") == {"h-niyyat", "h-amal-fatha"}


QUESTION = "ما هو فضل الصبر والشكر؟"


def test_a_question_finds_the_passages_with_its_words(arc: Any) -> None:
    found = ids(arc, QUESTION, match="any")
    # ما and هو are dropped: the passage with nothing else of the question is not found.
    assert found == {"h-sabr-all", "h-sabr-one", "h-shukr"}
    assert ids(arc, "من هو لينين؟", match="any") == ids(arc, "لينين")
    # Every word must match by default: no passage holds them all.
    assert ids(arc, QUESTION) == set()


def test_a_question_ranks_a_passage_with_all_its_words_first(arc: Any) -> None:
    order = ranked(arc, QUESTION, match="any")
    assert order[0] == "h-sabr-all"
    assert order.index("h-sabr-all") < order.index("h-sabr-one")
    assert order.index("h-sabr-all") < order.index("h-shukr")


def test_a_question_of_question_words_only_searches_them(arc: Any) -> None:
    # Nothing but question words: they are searched after all, and the passage
    # holding both comes first (h-niyyat has only ما, h-alam-elative only هو).
    assert ranked(arc, "ما هو", match="any")[0] == "h-question-only"


def test_question_marks_are_punctuation(arc: Any) -> None:
    assert ids(arc, "تروتسكي؟") == ids(arc, "تروتسكي?") == {"k-trotsky"}
