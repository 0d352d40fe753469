"""The highlighter skips the words and pieces of text whose fold holds no term
of the query, unless a character of theirs may be spelled out in Uthmani
spelling (``archive.arabic.RESPELLING``); what it marks and counts must be what
analyzing every word marks (``Matcher.analyzed``), on real texts of every kind
and on the texts where the fold does not tell."""

from __future__ import annotations

import json
import sys
from itertools import islice
from typing import Any

import pytest

from archive.arabic import DEFAULT, RESPELLING, fold, nfc, plain_spellings
from archive.query.highlight import Matcher, matcher
from archive.query.plan import Planner
from tests.conftest import corpus

QUERIES: list[tuple[str, dict[str, Any]]] = [
    ("الله", {}),
    ("قال", {}),
    ("رسول الله", {}),
    ("صلى OR عليه OR وسلم", {}),
    ("كتا*", {}),
    ("السماء", {}),  # a hamza on the line
    ("شيء OR جاء", {}),
    ("العالمين", {}),  # Uthmani: a superscript alef
    ("الصلاة", {}),  # Uthmani: الصلوة
    ("آمنوا", {}),  # Uthmani: ءامنوا
    ("يستهزئون", {}),  # Uthmani: a medial hamza on the line
    ("مؤمن*", {}),
    ("الرحمن الرحيم", {"match": "any"}),
    ('"الله عليه" OR الرحمن', {}),
    ("عِلم", {"exact": True}),
    ("abc", {}),
]


def _matcher(query: str, options: dict[str, Any]) -> Matcher:
    plan = Planner(DEFAULT).plan(
        query, exact=options.get("exact", False), match=options.get("match", "all")
    )
    return matcher(plan.root, DEFAULT)


def _same(locate: Matcher, text: str, label: str) -> int:
    spans = locate.analyzed(text)
    for _ in range(2):  # the second time from what the matcher kept
        assert locate(text) == spans, label
        assert locate.count(text) == len(spans), label
    return len(spans)


def _texts(name: str, key: str, count: int) -> list[str]:
    """The first texts of a corpus, in NFC as an ingest stores them."""
    with open(corpus(name), encoding="utf-8") as handle:
        return [nfc(json.loads(line)[key]) for line in islice(handle, count)]


@pytest.mark.parametrize(
    "name", ["quran_kfgqpc_hafs.jsonl", "quran_kfgqpc_imlai.jsonl", "hadith_bukhari_muslim.jsonl"]
)
def test_the_cheap_highlights_mark_what_every_word_analyzed_marks(name: str) -> None:
    texts = _texts(name, "text", 400)
    marked = 0
    for query, options in QUERIES:
        locate = _matcher(query, options)
        for n, text in enumerate(texts):
            marked += _same(locate, text, f"{query} {name}:{n}")
    assert marked > 500  # the queries do find words in these texts


def test_uthmani_words_are_looked_at_though_their_fold_holds_no_term() -> None:
    # ٱلۡعَٰلَمِينَ folds to العلمين (the small alef is a mark), which does not
    # hold العالمين: the piece is found by its superscript alef.
    text = "ٱلۡحَمۡدُ لِلَّهِ رَبِّ ٱلۡعَٰلَمِينَ"
    assert "العالمين" not in fold(text)
    locate = _matcher("العالمين", {})
    assert [text[a:b] for a, b in locate(text)] == ["ٱلۡعَٰلَمِينَ"]
    assert locate.count(text) == 1
    # ءَامَنُواْ: a hamza before an alef, the madda alef آمنوا.
    text = "يَٰٓأَيُّهَا ٱلَّذِينَ ءَامَنُواْ"
    locate = _matcher("آمنوا", {})
    assert [text[a:b] for a, b in locate(text)] == ["ءَامَنُواْ"]


def test_every_space_ends_a_piece() -> None:
    locate = _matcher("الله OR كتا*", {})
    for space in (chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()):
        text = f"قال{space}اللهُ{space}{space}في{space}كِتابه{space}"
        spans = _same(locate, text, hex(ord(space)))
        assert spans == 2, hex(ord(space))


@pytest.mark.parametrize(
    "text",
    [
        "قال ﷺ ثم صلى الله عليه",  # a ligature folded to several words
        "ﻗﺎﻝ الله",  # presentation forms
        "قا\u0644\u0651\u064e الله وَ\u0651الله",  # marks not in NFC order
        "KITAB الله abc ABC",  # Latin, upper and lower case
        "İstanbul الله",  # a letter whose lower case is two characters
        "ـــــ الله ـ ــ",  # tatweel alone between spaces (folds to nothing)
        "\u064e \u0651 الله",  # lone marks between spaces
        "الله",
        "",
        " ",
    ],
)
def test_texts_whose_fold_does_not_tell(text: str) -> None:
    for query, options in QUERIES:
        _same(_matcher(query, options), text, f"{query} in {text!r}")


def test_a_word_without_a_respelled_character_keeps_its_fold_in_its_spellings() -> None:
    """What the highlighter relies on: a word holding no character of RESPELLING
    has plain spellings whose folds are pieces of its own fold (so a term not in
    the fold of its piece cannot match it)."""
    seen = 0
    for name in ("quran_kfgqpc_hafs.jsonl", "quran_kfgqpc_imlai.jsonl"):
        for text in _texts(name, "text", 6236):
            for word in text.split():
                if RESPELLING.isdisjoint(word):
                    for spelling in plain_spellings(word):
                        seen += 1
                        assert fold(spelling) in fold(word), word
    assert seen > 100  # silent alefs (يَدۡعُواْ) are among them
