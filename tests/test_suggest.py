"""Did you mean (archive.query.suggest): real Arabic slips on a small corpus, the
words shown as the texts write them, the vocabulary read again after a commit,
and the suggestions in SearchResults, the CLI and the web API."""

from __future__ import annotations

import json
import random
import time
from pathlib import Path
from typing import Any

import pytest

from archive import Archive
from archive.arabic.confusables import confused_distance
from archive.cli import main
from archive.models import SearchResults
from archive.query import suggest as suggest_module
from archive.query.plan import Planner
from archive.query.suggest import (
    CACHE_FOLDER,
    RARE_RATIO,
    SUGGEST_BELOW,
    Suggester,
    Vocabulary,
    osa_distance,
    plain_words,
)
from tests.conftest import write_jsonl

RECORDS: list[dict[str, Any]] = [
    {"id": "s1", "text": "أطلق سراح ستالين من المنفى في الربيع"},
    {"id": "s2", "text": "هرب لينين ثم عاد لينين مع ستالين"},
    {"id": "s3", "text": "كتب ستالين إلى المسؤول عن المدرسة"},
    {"id": "m1", "text": "ذهب الطالب إلى الْمَدْرَسَةِ في الصباح"},
    {"id": "m2", "text": "المدرسة بعيدة عن البيت"},
    {"id": "m3", "text": "المدرسه صغيره"},  # the spelling with ه: the rarer one
    {"id": "q1", "text": "وصل المسؤول بالقطار"},
    {"id": "q2", "text": "قال المسؤول كلاما"},
    {"id": "t1", "text": "رفض تروتسكي ذلك العرض"},
]


@pytest.fixture(scope="module")
def arc(tmp_path_factory: pytest.TempPathFactory) -> Any:
    folder = tmp_path_factory.mktemp("suggest")
    archive = Archive(folder / "index")
    archive.ingest(write_jsonl(folder / "input" / "passages.jsonl", RECORDS))
    yield archive
    archive.close()


@pytest.fixture(scope="module")
def suggester(arc: Archive) -> Any:
    s = Suggester(arc.engine)
    yield s
    s.close()


def suggest(arc: Archive, suggester: Suggester, query: str, **options: Any) -> tuple[str, ...]:
    """What the suggester gives for ``query`` searched on ``arc`` (its own total)."""
    plan = Planner(arc.profile).plan(query, **options)
    total = arc.search(query, **options).total
    snapshot = arc.engine.snapshot()
    try:
        return suggester.suggest(snapshot, plan, total)
    finally:
        snapshot.close()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("ستالبن", "ستالين"),  # ي written with the dots of ب
        ("ستلين", "ستالين"),  # a letter dropped
        ("ساتلين", "ستالين"),  # two letters swapped
        ("تروتسكى", "تروتسكي"),  # ى for ي: the fold covers it, so it finds: no slip
        ("المسئول", "المسؤول"),  # the hamza on the wrong seat, which the fold keeps apart
        ("المدرصة", "المدرسة"),  # ص for س; shown with ة as the texts mostly write it
        ("تروتكسي", "تروتسكي"),  # swapped in a longer word
    ],
)
def test_a_misspelt_word_gets_the_word_of_the_texts(
    arc: Archive, suggester: Suggester, query: str, expected: str
) -> None:
    got = suggest(arc, suggester, query)
    if arc.search(query).total:
        assert got == ()  # found as it is: nothing to suggest
    else:
        assert got[0] == expected


def test_the_word_is_shown_as_written_not_folded(arc: Archive, suggester: Suggester) -> None:
    # المدرسة in three passages (one vocalised: its skeleton counts), المدرسه in
    # one: the word shown is the spelling most passages use, without marks.
    assert suggest(arc, suggester, "المدرصة") == ("المدرسة",)
    vocabulary = suggester.vocabulary()
    assert vocabulary.frequency("المدرسه") == 4
    assert "المَدْرَسَةِ" not in vocabulary.words
    assert "المدرسه" not in vocabulary.words


def test_nothing_is_suggested_for_words_the_texts_hold(arc: Archive, suggester: Suggester) -> None:
    # Both words are in the texts, never together: the search finds nothing, and
    # no word of it is misspelt.
    assert arc.search("تروتسكي المنفى").total == 0
    assert suggest(arc, suggester, "تروتسكي المنفى") == ()
    # A word the texts hold only with a clitic (بالقطار) is found through its stem.
    assert suggest(arc, suggester, "القطار ستالبن") == ("القطار ستالين",)
    # Enough hits: no suggestion is looked for.
    assert arc.search("ستالين").total >= SUGGEST_BELOW
    assert suggest(arc, suggester, "ستالين") == ()


def test_several_words_only_the_misspelt_ones_replaced(arc: Archive, suggester: Suggester) -> None:
    assert suggest(arc, suggester, "ستالبن لينين") == ("ستالين لينين",)
    assert suggest(arc, suggester, '"ستالبن من المنفى"') == ('"ستالين من المنفى"',)
    # A prefix, a word after NOT and a word in a named field are left as they are.
    assert suggest(arc, suggester, "ستالبن NOT لينبن") == ("ستالين NOT لينبن",)


def test_exact_mode_suggests_the_unvocalised_word(arc: Archive, suggester: Suggester) -> None:
    assert suggest(arc, suggester, "سْتَالبن", exact=True) == ("ستالين",)


def test_words_too_short_or_without_neighbours_get_nothing(
    arc: Archive, suggester: Suggester
) -> None:
    assert suggest(arc, suggester, "قط") == ()
    assert suggest(arc, suggester, "برتقال") == ()


def test_a_rare_word_with_a_frequent_neighbour(tmp_path: Path) -> None:
    # ستالبن is a slip the texts make once; ستالين is in RARE_RATIO passages.
    records = [{"id": f"s{i}", "text": f"خطاب ستالين رقم {i}"} for i in range(RARE_RATIO)]
    records.append({"id": "typo", "text": "خطاب ستالبن الأخير"})
    with Archive(tmp_path / "index") as arc:
        arc.ingest(write_jsonl(tmp_path / "in" / "p.jsonl", records))
        found = arc.search("ستالبن")
        assert found.total == 1
        s = Suggester(arc.engine)
        snapshot = arc.engine.snapshot()
        plan = Planner(arc.profile).plan("ستالبن")
        assert s.suggest(snapshot, plan, found.total) == ("ستالين",)
        # A neighbour not RARE_RATIO times as frequent is no reason to doubt a word.
        assert s.suggest(snapshot, Planner(arc.profile).plan("خطاب"), 0) == ()
        snapshot.close()
        s.close()


def test_the_vocabulary_is_read_again_after_a_commit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A commit this suggester did not make (another process's, as a server sees
    its writer's): the held vocabulary answers at once while the new one is read
    in the background; once read, it answers."""
    monkeypatch.setattr(suggest_module, "REFRESH_SECONDS", 0.0)
    with Archive(tmp_path / "index") as arc:
        arc.ingest(write_jsonl(tmp_path / "a" / "a.jsonl", [{"id": "a", "text": "لينين"}]))
        s = Suggester(arc.engine)
        plan = Planner(arc.profile).plan("ستالبن")
        snapshot = arc.engine.snapshot()
        assert s.suggest(snapshot, plan, 0) == ()
        first = s.vocabulary()
        assert s.vocabulary() is first  # kept while no commit comes
        snapshot.close()
        arc.ingest(write_jsonl(tmp_path / "b" / "b.jsonl", [{"id": "b", "text": "ستالين"}]))
        assert s.vocabulary() is first  # at once: the held one, the new one being read
        deadline = time.monotonic() + 30
        while s.vocabulary() is first:
            assert time.monotonic() < deadline, "the vocabulary was not read again"
            time.sleep(0.02)
        snapshot = arc.engine.snapshot()
        assert s.suggest(snapshot, plan, 0) == ("ستالين",)
        snapshot.close()
        s.close()


def test_the_archives_own_ingest_is_seen_by_the_next_search(tmp_path: Path) -> None:
    with Archive(tmp_path / "index") as arc:
        arc.ingest(write_jsonl(tmp_path / "a" / "a.jsonl", [{"id": "a", "text": "لينين"}]))
        assert arc.search("ستالبن").suggestions == ()
        arc.ingest(write_jsonl(tmp_path / "b" / "b.jsonl", [{"id": "b", "text": "ستالين"}]))
        assert arc.search("ستالبن").suggestions == ("ستالين",)


def test_plain_words() -> None:
    plan = Planner().plan('ستالبن OR "الثورة الروسيه" NOT لينين كتا* title:موسكو')
    assert plain_words(plan) == ["ستالبن", "الثورة", "الروسيه"]


def test_vocabulary_ranks_by_distance_and_frequency() -> None:
    terms = [
        ("ستالين\x1fسْتَالِين", 2),
        ("ستالين\x1fستالين", 3),
        ("سالين\x1fسالين", 50),
        ("ستارين\x1fستارين", 9),
    ]
    v = Vocabulary.from_terms(terms)
    assert v.frequency("ستالين") == 5
    assert v.frequency("ستالبن") == 0
    # ستالين: a dot slip (0.5); سالين and ستارين two edits, the frequent first.
    assert [c.word for c in v.nearest("ستالبن")] == ["ستالين", "سالين", "ستارين"]
    assert [c.distance for c in v.nearest("ستالبن")] == [0.5, 1.5, 1.5]
    assert [c.word for c in v.nearest("ستالبن", at_least=10)] == ["سالين"]
    # Words of four letters: one edit only.
    assert [c.word for c in v.nearest("سلين")] == ["سالين"]
    with pytest.raises(ValueError, match="max_keys"):
        Vocabulary([], max_keys=0)


def test_a_frequent_word_may_be_further_than_a_rare_one() -> None:
    # ستالمن is one edit from ستالبن but in one passage; ستارين, two edits
    # away, in a thousand: a hundredfold frequency is worth an edit.
    v = Vocabulary.from_terms([("ستالمن\x1fستالمن", 1), ("ستارين\x1fستارين", 1000)])
    assert [c.word for c in v.nearest("ستالبن")] == ["ستارين", "ستالمن"]


def test_vocabulary_keeps_the_most_frequent_words() -> None:
    v = Vocabulary.from_terms(
        [("كتاب\x1fكتاب", 5), ("كتب\x1fكتب", 1), ("قلم\x1fقلم", 9)], max_keys=2
    )
    assert sorted(v.words) == ["قلم", "كتاب"]


def test_osa_distance_is_the_plain_edit_distance() -> None:
    # The bit-parallel distance against the matrix of confused_distance, on
    # Latin letters (no confused pairs: every edit costs 1), random words.
    rng = random.Random(5)
    for _ in range(3000):
        a = "".join(rng.choices("abcd", k=rng.randint(0, 7)))
        b = "".join(rng.choices("abcd", k=rng.randint(0, 7)))
        assert osa_distance(a, b, 9) == confused_distance(a, b), (a, b)
    assert osa_distance("ستالين", "ساتلين", 2) == 1
    assert osa_distance("ستالين", "سلين", 1) == 2  # more than 1: 1 + 1


def test_confused_letters_cost_less() -> None:
    assert confused_distance("ستالبن", "ستالين") == 0.5  # dots
    assert confused_distance("حزب", "خزب") == 0.5  # ح خ
    assert confused_distance("مسئول", "مسؤول") == 0.5  # hamza seat
    assert confused_distance("ستالمن", "ستالين") == 1.0  # م is no slip for ي
    assert confused_distance("ستالين", "ستالين") == 0.0


# --- the faces: SearchResults, the CLI, the web API --------------------------------


def test_results_carry_their_suggestions() -> None:
    results = SearchResults(query="ستالبن", total=0, hits=(), suggestions=["ستالين"])
    assert results.suggestions == ("ستالين",)
    assert results.to_dict()["suggestions"] == ["ستالين"]
    assert "suggestions=['ستالين']" in repr(results)
    assert "did you mean: <bdi>ستالين</bdi>" in results._repr_html_()
    plain = SearchResults(query="ستالين", total=1, hits=())
    assert "suggestions" not in plain.to_dict()
    assert "suggestions" not in repr(plain)


def test_search_gives_suggestions(arc: Archive) -> None:
    assert arc.search("ستالبن").suggestions == ("ستالين",)
    assert arc.search("ستالين").suggestions == ()


def test_cli_says_did_you_mean(arc: Archive, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["search", "ستالبن", "--index", str(arc.path)]) == 0
    captured = capsys.readouterr()
    assert "archive: did you mean: ستالين\n" in captured.err
    assert main(["search", "ستالبن", "--index", str(arc.path), "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["suggestions"] == ["ستالين"]
    assert main(["search", "ستالين", "--index", str(arc.path)]) == 0
    assert "did you mean" not in capsys.readouterr().err


def test_web_search_json_carries_suggestions(arc: Archive) -> None:
    pytest.importorskip("starlette")
    from starlette.testclient import TestClient

    from archive.web import app

    with TestClient(app(arc.path)) as client:
        data = client.get("/api/search", params={"q": "ستالبن"}).json()
        assert data["total"] == 0
        assert data["suggestions"] == ["ستالين"]
        again = client.get("/api/search", params={"q": data["suggestions"][0]}).json()
        assert again["total"] == 3
        assert again["suggestions"] == []


def test_a_mended_query_finds(arc: Archive) -> None:
    # Every suggestion is a query that finds passages.
    for query in ("ستالبن لينين", "المدرصة", "المسئول", "ساتلين"):
        for suggestion in arc.search(query).suggestions:
            assert arc.search(suggestion).total > 0, (query, suggestion)


def test_warm_up_reads_the_vocabulary_before_the_first_search(tmp_path: Path) -> None:
    archive = Archive(tmp_path / "index")
    archive.ingest(write_jsonl(tmp_path / "input" / "passages.jsonl", RECORDS))
    calls: list[int] = []
    real = Vocabulary.read

    def counting(*args: Any, **kwargs: Any) -> Vocabulary:
        calls.append(1)
        return real(*args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Vocabulary, "read", counting)
        archive.warm_up()
        assert calls == [1]
        assert archive.search("ستالبن").suggestions == ("ستالين",)
        assert calls == [1]  # the search used what warm_up read
    Archive(tmp_path / "empty").warm_up()  # nothing to read: no error


@pytest.mark.parametrize("engine", ["whoosh", "tantivy"])
def test_the_vocabulary_is_saved_per_commit_and_read_back(tmp_path: Path, engine: str) -> None:
    if engine == "tantivy":
        pytest.importorskip("tantivy", reason="the tantivy extra is not installed")
    archive = Archive(tmp_path / "index", engine=engine)
    archive.ingest(write_jsonl(tmp_path / "input" / "a.jsonl", RECORDS))
    assert archive.search("ستالبن").suggestions == ("ستالين",)
    [saved] = (tmp_path / "index" / CACHE_FOLDER).glob("*.vocabulary")
    archive.close()
    calls: list[int] = []
    real = Vocabulary.read

    def counting(*args: Any, **kwargs: Any) -> Vocabulary:
        calls.append(1)
        return real(*args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Vocabulary, "read", counting)
        again = Archive(tmp_path / "index", create=False)  # another process would do this
        assert again.search("ستالبن").suggestions == ("ستالين",)
        assert calls == []  # read from the saved file, not from the index
        again.ingest(write_jsonl(tmp_path / "input" / "b.jsonl", [{"text": "لينين في بتروغراد"}]))
        assert again.search("بتروغراض").suggestions == ("بتروغراد",)
        assert calls == [1]  # a new commit: built again
        [newer] = (tmp_path / "index" / CACHE_FOLDER).glob("*.vocabulary")
        assert newer != saved  # the older one removed
        again.close()


def test_a_damaged_saved_vocabulary_is_built_again(tmp_path: Path) -> None:
    archive = Archive(tmp_path / "index")
    archive.ingest(write_jsonl(tmp_path / "input" / "a.jsonl", RECORDS))
    assert archive.search("ستالبن").suggestions == ("ستالين",)
    archive.close()
    [saved] = (tmp_path / "index" / CACHE_FOLDER).glob("*.vocabulary")
    data = saved.read_bytes()
    for damaged in (data[: len(data) // 2], b"{}\n" + data, data[:-1], b"\x00" * 40):
        saved.write_bytes(damaged)
        again = Archive(tmp_path / "index", create=False)
        assert again.search("ستالبن").suggestions == ("ستالين",)
        again.close()
    header, _, rest = data.partition(b"\n")
    fields = json.loads(header)
    fields["keys"] = 10**9  # sizes that the rest cannot hold
    saved.write_bytes(json.dumps(fields).encode() + b"\n" + rest)
    assert Archive(tmp_path / "index", create=False).search("ستالبن").suggestions == ("ستالين",)
