"""Counts on real text: the hadith of al-Bukhari and Muslim (14,940 passages, fully
vocalised), on the Whoosh and Tantivy engines.

``Archive.count`` must give, for every query, what tallying every hit's passage
with the highlighter gives (:func:`archive.models.tally`, the definition the
fast ways of :mod:`archive.engines.whoosh.counts` and ``Matcher.count`` keep).
Skipped when the shared corpora are absent. The index of each engine is built
once for the module, of the first :data:`PASSAGES` hadith (the reference
count analyzes every hit's text again: on the whole corpus this module took
20 minutes under load).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from archive import Archive
from archive.errors import QueryError
from archive.models import count_key
from archive.query.highlight import matcher
from archive.query.plan import Planner
from tests.conftest import corpus

#: Words frequent and rare, with clitics, prefixes, phrases, exact mode,
#: match="any", operators and filters.
QUERIES: list[tuple[str, dict[str, Any]]] = [
    ("الله", {}),
    ("قال", {}),
    ("حدثنا", {}),
    ("رسول", {}),
    ("النبي", {}),
    ("عمر", {}),
    ("عائشة", {}),
    ("الصلاة", {}),
    ("الصلاه", {}),
    ("صلاة", {}),
    ("بالصلاة", {}),
    ("والصلاة", {}),
    ("فقال", {}),
    ("وقال", {}),
    ("الزكاة", {}),
    ("رمضان", {}),
    ("الجنة", {}),
    ("القرآن", {}),
    ("الوضوء", {}),
    ("المدينة", {}),
    ("أبو هريرة", {}),
    ("رضي الله عنه", {}),
    ("مكة OR المدينة", {}),
    ("الصلاة NOT الوضوء", {}),
    ("الجنة ANDNOT النار", {}),
    ('"رسول الله"', {}),
    ('"صلى الله عليه وسلم"', {}),
    ('"رضي الله عنه"', {}),
    ('"حدثنا سفيان"', {}),
    ('"قال رسول الله"', {}),
    ('"الله أكبر"', {}),
    ('"عبد الله"~2', {}),
    ("صلا*", {}),
    ("حدث*", {}),
    ("مسلم*", {}),
    ("استغفر*", {}),
    ("يستغفرون", {}),
    ("فليصمه", {}),
    ("اللَّهِ", {"exact": True}),
    ("اللَّهُ", {"exact": True}),
    ("قَالَ", {"exact": True}),
    ("عِلْم", {"exact": True}),
    ("عمر", {"exact": True}),
    ("حَدَّثَنَا سُفْيَانُ", {"exact": True}),
    ("ما هي أفضل الصلاة", {"match": "any"}),
    ("كيف كان يتوضأ النبي", {"match": "any"}),
    ("الصيام في رمضان", {"match": "any"}),
    ("title:البخاري", {}),
    ("الله", {"source": "pypi:*"}),
    ("الزكاة", {"where": {"volume": 1}}),
    ("كلمةلاتوجد", {}),
]


#: The hadith the indexes hold (of 14,940): al-Bukhari's first books.
PASSAGES = 3_000


@pytest.fixture(scope="module", params=["whoosh", "tantivy"])
def hadith(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Archive]:
    lines = corpus("hadith_bukhari_muslim.jsonl").read_text(encoding="utf-8").splitlines()
    path = tmp_path_factory.mktemp("hadith-input") / "hadith.jsonl"
    path.write_text("\n".join(lines[:PASSAGES]) + "\n", encoding="utf-8")
    if request.param == "tantivy":
        pytest.importorskip("tantivy", reason="the tantivy extra is not installed")
    arc = Archive(
        tmp_path_factory.mktemp(f"hadith-{request.param}") / "index", engine=request.param
    )
    arc.ingest(path, workers=2)
    yield arc
    arc.close()


@pytest.mark.parametrize(("query", "options"), QUERIES, ids=[f"{q} {o}" for q, o in QUERIES])
def test_counts_are_the_tally_of_every_hit(
    hadith: Archive, query: str, options: dict[str, Any]
) -> None:
    hits = hadith.search(query, limit=None, **options).hits
    plan = Planner(hadith.profile).plan(
        query, exact=options.get("exact", False), match=options.get("match", "all")
    )
    locate = matcher(plan.root, hadith.profile)
    if locate.looks_for_nothing:  # title: words alone: nothing of the text to count
        with pytest.raises(QueryError, match="count counts words"):
            hadith.count(query, **options)
        return
    spans = [len(locate.analyzed(h.passage.text)) for h in hits]  # every word analyzed
    # Counted: the passages whose text holds an occurrence (not those found by
    # their title alone).
    holding = [(h, n) for h, n in zip(hits, spans, strict=True) if n]
    for by in (None, "source", "title"):
        expected: dict[Any, tuple[int, int]] = {}
        for h, n in holding:
            key = count_key(h.passage, by)
            passages, occurrences = expected.get(key, (0, 0))
            expected[key] = (passages + 1, occurrences + n)
        found = hadith.count(query, by=by, **options)
        assert {g.key: (g.passages, g.occurrences) for g in found.groups} == expected, by
        assert (found.passages, found.occurrences) == (len(holding), sum(spans))
