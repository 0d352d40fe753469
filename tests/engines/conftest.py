"""The engines of the archive, and a small corpus every engine is tested on.

Every test of ``tests/engines`` runs once per engine of :data:`ENGINES` and asserts
only what the docs promise of ANY engine (never one engine's exact scores). The
engine-specific knowledge is in two functions, :func:`make_archive` and
:func:`open_archive`: a new engine is one more name in :data:`ENGINES` and one
branch in each (and its name in :data:`NEEDS_DASK` if it runs on the Dask client).
The archive of the corpus is built once a session per engine, on first use, and
only read by the tests (those that write build their own).

The corpus (:data:`FILES`) is three JSON Lines files written by hand so that
every behaviour under test has something to find, with the expected hits worked
out from the text, not from any engine's output.
"""

from __future__ import annotations

import fnmatch
import json
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

import archive
from archive import Passage, SearchResults

#: Every engine the suite runs on; the first is the reference of the cross-engine test.
ENGINES = ["whoosh", "sharded", "tantivy"]
REFERENCE = ENGINES[0]
#: Engines that need the Dask client fixture.
NEEDS_DASK = {"sharded"}
SHARDS = 3

#: The Dask client of this session, once the ``client`` fixture has started it.
_DASK: dict[str, Any] = {}

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"


# --- the engines ---------------------------------------------------------------------


def _client() -> Any:
    try:
        return _DASK["client"]
    except KeyError:
        raise RuntimeError(
            "the sharded engine needs the session's Dask client: request the `engine` "
            "fixture (or `client`) before calling make_archive/open_archive"
        ) from None


def make_archive(engine: str, path: Path, **options: Any) -> Any:
    """A new (empty) archive of ``engine`` in the folder ``path``.

    ``options`` are the public options every engine takes when it creates an
    archive (``profile=``).
    """
    if engine in ("whoosh", "tantivy"):
        if engine == "tantivy":
            pytest.importorskip("tantivy", reason="the tantivy extra is not installed")
        return archive.Archive(path, engine=engine, **options)
    if engine == "sharded":
        return archive.ShardedArchive(path, shards=SHARDS, client=_client(), **options)
    raise ValueError(f"unknown engine {engine!r}")


def open_archive(engine: str, path: Path) -> Any:
    """The existing archive of ``engine`` in ``path``, opened without creating
    anything (``IndexNotFoundError`` if there is none)."""
    if engine in ("whoosh", "tantivy"):
        return archive.Archive(path, create=False)
    if engine == "sharded":
        return archive.ShardedArchive(path, client=_client(), create=False)
    raise ValueError(f"unknown engine {engine!r}")


def ready(request: pytest.FixtureRequest, engine: str) -> str:
    """Start what ``engine`` needs (the Dask client), or skip without it."""
    if engine in NEEDS_DASK:
        request.getfixturevalue("client")
    return engine


@pytest.fixture(scope="session")
def client() -> Iterator[Any]:
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, processes=True, threads_per_worker=1, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as c,
    ):
        _DASK["client"] = c
        try:
            yield c
        finally:
            _DASK.clear()


@pytest.fixture(scope="session", params=ENGINES, ids=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    return ready(request, request.param)


# --- the corpus ----------------------------------------------------------------------

TWIN = "صلى الله عليه وسلم"

KUTUB: list[dict[str, Any]] = [
    # Two sources interleaved in one file: sort="source" puts each source's
    # passages in their line order, which is not their id order.
    {"id": "k-kitab-voc", "source": "kutub/adab", "title": "القراءة",
     "text": "قَرَأَ الطَّالِبُ الكِتَابَ فِي المَكْتَبَةِ", "volume": 1, "page": 3, "era": "early"},
    {"id": "k-gov-adjacent", "source": "kutub/tarikh", "title": "سقوط الحكومة المؤقتة",
     "caption": "الكسندر كيرنسكي رئيس الحكومة المؤقتة",
     "text": "سقطت الحكومة المؤقتة في الخريف بعد أشهر قليلة", "volume": 2, "page": 10,
     "era": "modern"},
    {"id": "k-kitab-plain", "source": "kutub/adab", "text": "وضع الكتاب على الطاولة ثم خرج",
     "volume": 1, "page": 4, "era": "early", "citations": ["7", "8"]},
    {"id": "k-gov-gap", "source": "kutub/tarikh", "title": "الثورة الروسية",
     "text": "أعلنت الحكومة الروسية المؤقتة برنامجها", "volume": 2, "page": 11, "era": "modern"},
    {"id": "k-bil", "source": "kutub/adab", "text": "أمسك الرجل بالكتاب بيده", "volume": 1,
     "page": 5, "era": "early"},
    {"id": "k-gov-far", "source": "kutub/tarikh",
     "text": "قالت الحكومة كلاما طويلا جدا عن اللجنة المؤقتة", "volume": 3, "page": 1,
     "era": "modern"},
    {"id": "k-wal", "source": "kutub/adab", "text": "والكتاب مفتوح أمامه", "volume": 1, "page": 6},
    {"id": "k-lenin", "source": "kutub/tarikh", "title": "عودة لينين",
     "text": "هرب لينين ثم عاد لينين مع ستالين", "volume": 3, "page": 2, "era": "modern"},
    {"id": "k-tatweel", "source": "kutub/adab", "text": "هذا الكتـــاب جميل\nوله غلاف أحمر",
     "volume": 2, "page": 1, "era": "early"},
    {"id": "k-trotsky", "source": "kutub/tarikh", "text": "رفض تروتسكي ذلك العرض قبل سقوط المدينة",
     "volume": 3, "page": 3, "era": "modern"},
    {"id": "k-stalin", "source": "kutub/tarikh", "title": "المنفى",
     "caption": "صورة لينين في فنلندا", "text": "أطلق سراح ستالين من المنفى في الربيع",
     "volume": 3, "page": 4, "era": "modern"},
    {"id": "k-pravda", "source": "kutub/tarikh", "text": "كتب لينين مقالا في برافدا",
     "volume": 3, "page": 5, "era": "modern"},
    {"id": "k-kutubihim", "source": "kutub/adab", "text": "قرأوا كتابهم بصوت عال", "volume": 2,
     "page": 2, "era": "early"},
    {"id": "k-kitaba", "source": "kutub/adab", "text": "أتقن الكتابة في الصغر", "volume": 2,
     "page": 3},
    {"id": "k-madrasa", "source": "kutub/adab", "title": "المدرسة",
     "text": "ذهب أحمد إلى المدرسة في عام ١٩١٧", "volume": 1, "page": 7, "era": "early"},
    {"id": "k-madrasah", "source": "kutub/adab", "text": "المدرسه صغيره وفيها ابراهيم",
     "volume": 1, "page": 8, "era": "early"},
    {"id": "k-mudarris", "source": "kutub/adab", "text": "جاء المدرس متأخرا", "volume": 1,
     "page": 9},
    {"id": "k-ahmad-plain", "source": "kutub/tarikh", "text": "جاء احمد مع إبراهيم سنة 1917",
     "era": "modern"},
    {"id": "k-mustafa-maqsura", "source": "kutub/adab", "text": "قال مصطفى كلمته"},
    {"id": "k-mustafa-ya", "source": "kutub/tarikh", "text": "كتب مصطفي رسالة"},
    {"id": "twin-c", "source": "kutub/adab", "text": TWIN, "volume": 2, "page": 20},
    {"id": "twin-b", "source": "kutub/tarikh", "text": TWIN},
]  # fmt: skip

HADITH: list[dict[str, Any]] = [
    {"id": "h-niyyat", "title": "بدء الوحي",
     "text": "إِنَّمَا الْأَعْمَالُ بِالنِّيَّاتِ وَإِنَّمَا لِكُلِّ امْرِئٍ مَا نَوَى",
     "volume": 1, "page": 1},
    {"id": "h-amal-fatha", "text": "أَحَبَّ اللَّهُ الْأَعْمَالَ الصَّالِحَةَ", "volume": 1, "page": 2},
    {"id": "h-prophet", "text": "قَالَ النَّبِيُّ ﷺ: الدِّينُ النَّصِيحَةُ", "volume": 1, "page": 3},
    {"id": "h-ilm-tanwin", "text": "هَذَا عِلْمٌ نَافِعٌ", "volume": 2, "page": 1},
    {"id": "h-ilm-marks", "text": "كَانَ عِلْم الرِّجَالِ وَاسِعًا", "volume": 2, "page": 2},
    {"id": "h-alam", "text": "رَفَعَ عَلَم البِلَادِ", "volume": 2, "page": 3},
    {"id": "h-al-ilm", "text": "طَلَبُ العِلْم فَرِيضَةٌ", "volume": 2, "page": 4},
    {"id": "h-ilm-plain", "text": "هذا علم كثير", "volume": 2, "page": 5},
    {"id": "h-alam-elative", "text": "هو أعلم الناس"},
    {"id": "h-allah-lig", "text": "بسم ﷲ نبدأ"},
    {"id": "twin-a", "text": TWIN, "volume": 1, "page": 9},
    {"id": "h-kitab-allah", "text": "هذا كتاب الله وهو الحق", "volume": 3, "page": 1},
    {"id": "h-bikitab-allah", "text": "وأخذوا بكتاب الله ففازوا", "volume": 3, "page": 2},
    {"id": "h-kitab-apart", "text": "كتاب جديد عن الله"},
    {"id": "h-muhammad-voc", "text": "مُحَمَّدٌ رَسُولُ اللَّهِ"},
    {"id": "h-muhammad-tatweel", "text": "مـــحـــمـــد رسول"},
    {"id": "h-muhammad-plain", "text": "ولد محمد في مكة"},
    {"id": "h-sabr-all", "text": "فضل الصبر والشكر عند الناس"},
    {"id": "h-sabr-one", "text": "الصبر مفتاح الفرج عند الناس"},
    {"id": "h-shukr", "text": "الشكر واجب عند الناس"},
    {"id": "h-question-only", "text": "ما هو الخبر اليوم"},
]  # fmt: skip
for _record in HADITH:
    _record.update(source="hadith", book="bukhari")


def _quran() -> list[dict[str, Any]]:
    """Sura 1 in Uthmani (KFGQPC Hafs) and in plain spelling, from tests/data."""
    out = []
    for prefix, name in (("hafs", "quran_hafs_excerpt"), ("imlai", "quran_imlai_excerpt")):
        for line in (DATA / f"{name}.jsonl").read_text(encoding="utf-8").splitlines():
            r = json.loads(line)
            out.append(
                {
                    "id": f"{prefix}:{r['id']}",
                    "title": "سورة الفاتحة",
                    "text": r["text"],
                    "sura": r["sura"],
                    "aya": r["aya"],
                }
            )
    return out


def _nfc(record: dict[str, Any]) -> dict[str, Any]:
    return {
        k: unicodedata.normalize("NFC", v) if isinstance(v, str) else v for k, v in record.items()
    }


#: The corpus: file name -> records (no ``source`` in quran.jsonl: it takes the file's name).
FILES: dict[str, list[dict[str, Any]]] = {
    "hadith.jsonl": [_nfc(r) for r in HADITH],
    "kutub.jsonl": [_nfc(r) for r in KUTUB],
    "quran.jsonl": [_nfc(r) for r in _quran()],
}
FIELDS = ("id", "text", "title", "source", "caption", "citations")


def write_jsonl(path: Path, records: Iterable[Mapping[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8"
    )
    return path


def write_corpus(folder: Path) -> Path:
    for name, records in FILES.items():
        write_jsonl(folder / name, records)
    return folder


def expected_passage(record: Mapping[str, Any], file: str) -> Passage:
    """The passage an engine must give back for a record of ``file``."""
    return Passage(
        id=record["id"],
        text=record["text"],
        title=record.get("title", ""),
        source=record.get("source", file),
        caption=record.get("caption", ""),
        citations=record.get("citations", ()),
        metadata={k: v for k, v in record.items() if k not in FIELDS},
    )


#: Every passage of the corpus as an engine must return it, by id.
PASSAGES: dict[str, Passage] = {
    r["id"]: expected_passage(r, name) for name, records in FILES.items() for r in records
}
#: Where each passage stands: (file, line), the order sort="source" uses within a source.
POSITION: dict[str, tuple[str, int]] = {
    r["id"]: (name, line) for name, records in FILES.items() for line, r in enumerate(records, 1)
}


def filtered(
    passage_ids: set[str], source: str | None = None, where: Mapping[str, Any] | None = None
) -> set[str]:
    """The passages of ``passage_ids`` that a ``source`` glob and ``where`` keep."""
    kept = set()
    for pid in passage_ids:
        p = PASSAGES[pid]
        if source is not None and not fnmatch.fnmatchcase(p.source, source):
            continue
        if where and any(str(p.metadata.get(k)) != str(v) for k, v in where.items()):
            continue
        kept.add(pid)
    return kept


@pytest.fixture(scope="session")
def corpus_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_corpus(tmp_path_factory.mktemp("corpus"))


@pytest.fixture(scope="session")
def built() -> Iterator[dict[str, tuple[Any, Path]]]:
    """Each engine's archive of the corpus and its folder, built once a session on first use."""
    archives: dict[str, tuple[Any, Path]] = {}
    yield archives
    for arc, _ in archives.values():
        arc.close()


def corpus_archive(
    built: dict[str, tuple[Any, Path]],
    engine: str,
    tmp_path_factory: pytest.TempPathFactory,
    folder: Path,
) -> tuple[Any, Path]:
    """The archive of the corpus on ``engine`` and its folder (built on first use)."""
    if engine not in built:
        path = tmp_path_factory.mktemp(f"corpus-{engine}") / "archive"
        arc = make_archive(engine, path)
        arc.ingest(folder)
        built[engine] = (arc, path)
    return built[engine]


@pytest.fixture(scope="session")
def corpus(
    engine: str,
    built: dict[str, tuple[Any, Path]],
    tmp_path_factory: pytest.TempPathFactory,
    corpus_folder: Path,
) -> tuple[Any, Path]:
    """The archive of the corpus on the engine under test, and its folder."""
    return corpus_archive(built, engine, tmp_path_factory, corpus_folder)


@pytest.fixture(scope="session")
def arc(corpus: tuple[Any, Path]) -> Any:
    """The archive of the corpus on the engine under test."""
    return corpus[0]


# --- helpers for the tests ---------------------------------------------------------------


def every(arc: Any, query: str, **options: Any) -> SearchResults:
    """Every hit of ``query`` (``limit=None``)."""
    return arc.search(query, limit=None, **options)  # type: ignore[no-any-return]


def ids(arc: Any, query: str, **options: Any) -> set[str]:
    """The ids of every hit of ``query``, as a set (checked against the total)."""
    res = every(arc, query, **options)
    found = [h.passage.id for h in res.hits]
    assert len(found) == res.total == len(set(found)), (query, options)
    return set(found)


def ranked(arc: Any, query: str, **options: Any) -> list[str]:
    """The ids of every hit of ``query``, in order."""
    return [h.passage.id for h in every(arc, query, **options).hits]


def tied(a: float, b: float) -> bool:
    """Two scores equal but for the last bits of a sum done in another order."""
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))
