"""The Lucene ArabicAnalyzer port of the quality benchmark gives Lucene's own test results.

Every case is an input and expected output from Lucene's tests (apache/lucene,
``lucene/analysis/common/src/test/org/apache/lucene/analysis/ar/``):
TestArabicStemFilter, TestArabicNormalizationFilter, TestArabicFilters and
TestArabicAnalyzer. The last test pins what the port leaves alone, as Lucene's
normaliser does.
"""

from __future__ import annotations

import pytest
from whoosh.analysis import RegexTokenizer

from benchmarks.lucene_arabic import (
    STOPWORDS,
    STOPWORDS_LIST,
    ArabicNormalizationFilter,
    ArabicNormalizer,
    ArabicStemFilter,
    ArabicStemmer,
    analyze,
)

# TestArabicStemFilter: check(input, expected), the stem filter alone.
STEM_CASES = [
    ("testAlPrefix", "الحسن", "حسن"),
    ("testWalPrefix", "والحسن", "حسن"),
    ("testBalPrefix", "بالحسن", "حسن"),
    ("testKalPrefix", "كالحسن", "حسن"),
    ("testFalPrefix", "فالحسن", "حسن"),
    ("testLlPrefix", "للاخر", "اخر"),
    ("testWaPrefix", "وحسن", "حسن"),
    ("testAhSuffix", "زوجها", "زوج"),
    ("testAnSuffix", "ساهدان", "ساهد"),
    ("testAtSuffix", "ساهدات", "ساهد"),
    ("testWnSuffix", "ساهدون", "ساهد"),
    ("testYnSuffix", "ساهدين", "ساهد"),
    ("testYhSuffix", "ساهديه", "ساهد"),
    ("testYpSuffix", "ساهدية", "ساهد"),
    ("testHSuffix", "ساهده", "ساهد"),
    ("testPSuffix", "ساهدة", "ساهد"),
    ("testYSuffix", "ساهدي", "ساهد"),
    ("testComboPrefSuf", "وساهدون", "ساهد"),
    ("testComboSuf", "ساهدهات", "ساهد"),
    ("testShouldntStem", "الو", "الو"),
    ("testNonArabic", "English", "English"),
    ("testEmptyTerm", "", ""),
]

# TestArabicNormalizationFilter: check(input, expected), the normalisation filter alone.
NORMALIZE_CASES = [
    ("testAlifMadda", "آجن", "اجن"),
    ("testAlifHamzaAbove", "أحمد", "احمد"),
    ("testAlifHamzaBelow", "إعاذ", "اعاذ"),
    ("testAlifMaksura", "بنى", "بني"),
    ("testTehMarbuta", "فاطمة", "فاطمه"),
    ("testTatweel", "روبرـــــت", "روبرت"),
    ("testFatha", "مَبنا", "مبنا"),
    ("testKasra", "علِي", "علي"),
    ("testDamma", "بُوات", "بوات"),
    ("testFathatan", "ولداً", "ولدا"),
    ("testKasratan", "ولدٍ", "ولد"),
    ("testDammatan", "ولدٌ", "ولد"),
    ("testSukun", "نلْسون", "نلسون"),
    ("testShaddah", "هتميّ", "هتمي"),
    ("testEmptyTerm", "", ""),
]

# TestArabicAnalyzer: assertAnalyzesTo(new ArabicAnalyzer(), input, expected).
ANALYZER_CASES = [
    ("kabir", "كبير", ["كبير"]),
    ("feminine marker", "كبيرة", ["كبير"]),
    ("mashrub", "مشروب", ["مشروب"]),
    ("plural -at", "مشروبات", ["مشروب"]),
    ("plural -in", "أمريكيين", ["امريك"]),
    ("singular with bare alif", "امريكي", ["امريك"]),
    ("kitab", "كتاب", ["كتاب"]),
    ("definite article", "الكتاب", ["كتاب"]),
    ("stopword ma", "ما ملكت أيمانكم", ["ملكت", "ايمانكم"]),
    ("stopword alladhina", "الذين ملكت أيمانكم", ["ملكت", "ايمانكم"]),
    ("testEnglishInput", "English text.", ["english", "text"]),
    ("testDigits", "١٢٣٤", ["1234"]),
    # testWithStemExclusionSet, second half (no exclusion set, but no stop words
    # either: none of these words is an Arabic stop word anyway).
    ("no exclusion set", "كبيرة the quick ساهدهات", ["كبير", "the", "quick", "ساهد"]),
]


@pytest.mark.parametrize(
    ("word", "expected"), [c[1:] for c in STEM_CASES], ids=[c[0] for c in STEM_CASES]
)
def test_stemmer_matches_lucene_stem_filter_tests(word: str, expected: str) -> None:
    assert ArabicStemmer().stem(word) == expected


@pytest.mark.parametrize(
    ("word", "expected"), [c[1:] for c in NORMALIZE_CASES], ids=[c[0] for c in NORMALIZE_CASES]
)
def test_normalizer_matches_lucene_normalization_filter_tests(word: str, expected: str) -> None:
    assert ArabicNormalizer().normalize(word) == expected


@pytest.mark.parametrize(
    ("text", "expected"), [c[1:] for c in ANALYZER_CASES], ids=[c[0] for c in ANALYZER_CASES]
)
def test_analyzer_matches_lucene_analyzer_tests(text: str, expected: list[str]) -> None:
    assert analyze(text) == expected


def test_filters_match_lucene_factory_tests() -> None:
    # TestArabicFilters.testNormalizer and testStemmer, on a whitespace tokenizer.
    text = "الذين مَلكت أيمانكم"
    normalized = RegexTokenizer(r"\S+") | ArabicNormalizationFilter()
    assert [t.text for t in normalized(text)] == ["الذين", "ملكت", "ايمانكم"]
    stemmed = normalized | ArabicStemFilter()
    assert [t.text for t in stemmed(text)] == ["ذين", "ملكت", "ايمانكم"]


def test_stop_list_is_lucenes_default_set() -> None:
    # 119 words from Lucene's ar/stopwords.txt, unnormalised: both spellings present.
    assert len(STOPWORDS_LIST) == 119
    assert len(STOPWORDS) == 119
    assert {"أن", "ان", "إن", "الى", "إلى", "الآن", "الان"} <= STOPWORDS
    assert STOPWORDS_LIST[0] == "من"
    assert STOPWORDS_LIST[-1] == "جميع"


def test_stop_filter_runs_before_normalisation() -> None:
    # ألا is a stop word; آلا (alef madda) is not, though it normalises to الا.
    assert analyze("ألا") == []
    assert analyze("آلا") == ["الا"]


def test_normalizer_leaves_what_lucene_leaves() -> None:
    # Not in ArabicNormalizer's switch: superscript alef, alef wasla, the combining
    # madda and hamzas, hamza seats, Quranic marks.
    for word in ("الرحمٰن", "ٱلحمد", "ا\u0653", "سؤال", "سئل", "ذٰلِكَ\u06e1"):
        expected = "".join(c for c in word if c not in "\u064b\u064c\u064d\u064e\u064f\u0650")
        assert ArabicNormalizer().normalize(word) == expected
    assert ArabicNormalizer().normalize("\u0670\u0671") == "\u0670\u0671"
