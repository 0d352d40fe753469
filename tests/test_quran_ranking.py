"""Ranking of short plain-spelling queries in the vocalised Quran (issue 14): three
consecutive words of a verse in plain (imla'i) spelling, searched with
``match="any"`` in the Uthmani Hafs text, rank their verse first.

The windows were drawn by ``benchmarks/quran.py`` (seed 1234), each held by one
verse only. 43fc268 (before the stems moved into the surface field) ranked
31 of these 40 first; the word pairs of ``match="any"``
(:data:`archive.query.plan.PAIR_WEIGHT`) rank all 40 first.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from archive import Archive
from tests.conftest import corpus

#: (plain-spelling window, the only verse that holds it), and 43fc268's rank of it.
WINDOWS = [
    ("إن مكناكم فيه", "46:26"),  # 43fc268: rank 2
    ("أنه عدو لله", "9:114"),  # 43fc268: rank 2
    ("أدنى ألا تعولوا", "4:3"),  # 43fc268: rank 2
    ("على أنهما استحقا", "5:107"),  # 43fc268: rank 2
    ("ولتجري الفلك بأمره", "30:46"),  # 43fc268: rank 2
    ("من قبلك الله", "42:3"),  # 43fc268: rank 2
    ("يأتهم نبأ الذين", "9:70"),  # 43fc268: rank 3
    ("إليهم القول إنكم", "16:86"),  # 43fc268: rank 2
    ("عند ربهم وعليهم", "42:16"),  # 43fc268: rank 3
    ("الغمام وأنزلنا عليكم", "2:57"),  # 43fc268: first
    ("وأن سعيه سوف", "53:40"),  # 43fc268: first
    ("وإذا رأيت ثم", "76:20"),  # 43fc268: first
    ("أن قالوا والله", "6:23"),  # 43fc268: first
    ("أفأمن الذين مكروا", "16:45"),  # 43fc268: first
    ("وعهدنا إلى إبراهيم", "2:125"),  # 43fc268: first
    ("يحلفون لكم ويحسبون", "58:18"),  # 43fc268: first
    ("قلوبهم لو أنفقت", "8:63"),  # 43fc268: first
    ("إنما يأتيكم به", "11:33"),  # 43fc268: first
    ("إن الله واسع", "2:115"),  # 43fc268: first
    ("ذكر وإن للمتقين", "38:49"),  # 43fc268: first
    ("ويؤت من لدنه", "4:40"),  # 43fc268: first
    ("والأرض لآيات للمؤمنين", "45:3"),  # 43fc268: first
    ("وما يلقاها إلا", "41:35"),  # 43fc268: first
    ("مغانم كثيرة تأخذونها", "48:20"),  # 43fc268: first
    ("تقول علينا بعض", "69:44"),  # 43fc268: first
    ("كفروا في عزة", "38:2"),  # 43fc268: first
    ("ويقولون ياويلتنا مال", "18:49"),  # 43fc268: first
    ("وأما القاسطون فكانوا", "72:15"),  # 43fc268: first
    ("ومن أنفسهم ومما", "36:36"),  # 43fc268: first
    ("وجمع الشمس والقمر", "75:9"),  # 43fc268: first
    ("الله ربكم خالق", "40:62"),  # 43fc268: first
    ("وآتوا الزكاة واركعوا", "2:43"),  # 43fc268: first
    ("المرء وقلبه وأنه", "8:24"),  # 43fc268: first
    ("ورتل القرآن ترتيلا", "73:4"),  # 43fc268: first
    ("يعجل الله للناس", "10:11"),  # 43fc268: first
    ("الله ليضل قوما", "9:115"),  # 43fc268: first
    ("لتدخلن المسجد الحرام", "48:27"),  # 43fc268: first
    ("واعلموا أنما أموالكم", "8:28"),  # 43fc268: first
    ("منكم الحلم فليستأذنوا", "24:59"),  # 43fc268: first
    ("عليه أسورة من", "43:53"),  # 43fc268: first
]


@pytest.fixture(scope="module")
def quran(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Archive]:
    hafs = corpus("quran_kfgqpc_hafs.jsonl")
    arc = Archive(Path(tmp_path_factory.mktemp("quran")) / "index")
    arc.ingest(hafs)
    yield arc
    arc.close()


def first(arc: Archive, query: str) -> str | None:
    hits = arc.search(query, match="any", limit=1).hits
    return hits[0].passage.id if hits else None


def test_plain_windows_rank_their_verse_first(quran: Archive) -> None:
    missed = [(q, v, first(quran, q)) for q, v in WINDOWS if first(quran, q) != v]
    assert missed == []


def test_word_pairs_find_no_passage_of_their_own(quran: Archive) -> None:
    # على is dropped; the pair نطبع ... قلوب only ranks what the two words find.
    paired = {h.passage.id for h in quran.search("نطبع على قلوب", match="any", limit=None).hits}
    alone = {
        h.passage.id
        for word in ("نطبع", "قلوب")
        for h in quran.search(word, match="any", limit=None).hits
    }
    assert paired == alone
    assert "10:74" in paired
