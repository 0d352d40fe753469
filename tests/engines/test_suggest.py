"""Did you mean, on every engine: the same suggestions from the corpus's words,
through the suggester and through ``Archive.search``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from archive.query.plan import Planner
from archive.query.suggest import Suggester

#: Slips of words of the corpus, and the word as its texts write it.
SLIPS = [
    ("ستالبن", "ستالين"),  # a dot: ب for ي
    ("برافذا", "برافدا"),  # ذ for د
    ("تروتكسي", "تروتسكي"),  # two letters swapped
    ("المئقتة", "المؤقتة"),  # the hamza's seat
    ("لنين", "لينين"),  # a letter dropped
]


@pytest.fixture(scope="module")
def suggester(arc: Any) -> Iterator[Suggester]:
    s = Suggester(arc.engine)
    yield s
    s.close()


def suggest(arc: Any, suggester: Suggester, query: str) -> tuple[str, ...]:
    total = arc.search(query).total
    snapshot = arc.engine.snapshot()
    try:
        return suggester.suggest(snapshot, Planner(arc.profile).plan(query), total)
    finally:
        snapshot.close()


@pytest.mark.parametrize(("query", "word"), SLIPS)
def test_a_slip_gets_the_word_of_the_texts(
    arc: Any, suggester: Suggester, query: str, word: str
) -> None:
    assert arc.search(query).total == 0
    assert suggest(arc, suggester, query)[0] == word


def test_only_the_slip_is_replaced(arc: Any, suggester: Suggester) -> None:
    assert suggest(arc, suggester, "ستالبن لينين") == ("ستالين لينين",)


def test_known_words_get_nothing(arc: Any, suggester: Suggester) -> None:
    # Both in the corpus, never in one passage; and بالكتاب holds the stem كتاب.
    assert arc.search("تروتسكي برافدا").total == 0
    assert suggest(arc, suggester, "تروتسكي برافدا") == ()
    assert suggest(arc, suggester, "كتاب ستالبن") == ("كتاب ستالين",)


def test_the_vocabulary_shows_words_as_written(suggester: Suggester) -> None:
    vocabulary = suggester.vocabulary()
    assert vocabulary.frequency("ستالين") == 2
    assert "المؤقتة" in vocabulary.words
    assert "المؤقته" not in vocabulary.words


def test_search_results_carry_the_suggestions(arc: Any) -> None:
    assert arc.search("ستالبن").suggestions == ("ستالين",)
    assert arc.search("ستالين").suggestions == ()
