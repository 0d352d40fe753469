"""Reading in context on every engine: ``Archive.context`` gives a passage's
neighbours in its source, in the order ``sort="source"`` gives."""

from __future__ import annotations

from typing import Any

import pytest

from archive import Context, PassageNotFoundError, QueryError
from archive.core import MAX_CONTEXT
from tests.engines.conftest import PASSAGES, POSITION


def _order(source: str) -> list[str]:
    """The ids of a source's passages in source order (file, then line)."""
    return sorted((pid for pid, p in PASSAGES.items() if p.source == source), key=POSITION.get)


def test_neighbours_of_the_same_source_in_an_interleaved_file(arc: Any) -> None:
    # kutub.jsonl interleaves two sources line by line: the neighbours of a
    # passage of kutub/tarikh are the tarikh passages around it, not the adab
    # passages on the lines next to it.
    got = arc.context("k-gov-gap")
    assert isinstance(got, Context)
    assert got.passage == PASSAGES["k-gov-gap"]
    assert [p.id for p in got.before] == ["k-gov-adjacent"]
    assert [p.id for p in got.after] == ["k-gov-far"]
    assert got.after[0].text == "قالت الحكومة كلاما طويلا جدا عن اللجنة المؤقتة"
    assert [p.id for p in got] == ["k-gov-adjacent", "k-gov-gap", "k-gov-far"]


def test_more_neighbours_come_in_source_order(arc: Any) -> None:
    got = arc.context("k-bil", before=2, after=3)
    assert [p.id for p in got.before] == ["k-kitab-voc", "k-kitab-plain"]
    assert [p.id for p in got.after] == ["k-wal", "k-tatweel", "k-kutubihim"]
    assert list(got.passages) == [PASSAGES[i] for i in _order("kutub/adab")[:6]]


def test_every_passage_of_a_source_has_the_neighbours_of_sort_source(arc: Any) -> None:
    order = [h.passage.id for h in arc.search("الناس OR الله OR علم", limit=None, sort="source")]
    hadith = [pid for pid in order if PASSAGES[pid].source == "hadith"]
    assert hadith == [pid for pid in _order("hadith") if pid in hadith]  # the same order
    for source in ("hadith", "kutub/tarikh"):
        ids = _order(source)
        for at, pid in enumerate(ids):
            got = arc.context(pid, before=2, after=2)
            assert [p.id for p in got.before] == ids[max(0, at - 2) : at], pid
            assert [p.id for p in got.after] == ids[at + 1 : at + 3], pid


def test_the_edges_of_a_source(arc: Any) -> None:
    first = arc.context("h-niyyat", before=5, after=1)
    assert (first.before, [p.id for p in first.after]) == ((), ["h-amal-fatha"])
    last = arc.context("twin-b", before=1, after=5)
    assert ([p.id for p in last.before], last.after) == (["k-mustafa-ya"], ())
    alone = arc.context("k-lenin", before=0, after=0)
    assert (alone.passage.id, alone.before, alone.after) == ("k-lenin", (), ())
    whole = arc.context("hafs:1:1", before=MAX_CONTEXT, after=MAX_CONTEXT)
    assert [p.id for p in whole] == _order("quran.jsonl")  # the whole source, no more


def test_an_unknown_id_is_passage_not_found(arc: Any) -> None:
    with pytest.raises(PassageNotFoundError, match="no-such-passage"):
        arc.context("no-such-passage")


@pytest.mark.parametrize("bad", [-1, MAX_CONTEXT + 1, 1.5, "2", True, None])
def test_before_and_after_must_be_small_non_negative_integers(arc: Any, bad: Any) -> None:
    for options in ({"before": bad}, {"after": bad}):
        with pytest.raises(QueryError, match=f"{next(iter(options))} must be an integer") as exc:
            arc.context("k-bil", **options)
        assert repr(bad) in str(exc.value)
