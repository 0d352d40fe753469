"""Issue 13, queries: invalid text, bounded work, a hint for questions, where= injection."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from archive import Archive
from archive.errors import QueryError
from archive.models import SearchResults
from archive.query.plan import MAX_PHRASE_WORDS, MAX_QUERY_WORDS
from tests.conftest import write_jsonl

RECORDS = [
    {"id": "1", "title": "العلم", "text": "العلم نور والجهل ظلام"},
    {"id": "2", "title": "الصبر", "text": "الصبر مفتاح الفرج"},
]


@pytest.fixture
def arc(make_archive):
    return make_archive(RECORDS)


# --- (a) text that is not valid Unicode ------------------------------------------


@pytest.mark.parametrize("query", ["عل\udcff*", "\udcffعلم", "عل\udcff", '"العلم \udc80نور"'])
def test_a_lone_surrogate_is_a_query_error(arc, query):
    with pytest.raises(QueryError, match="not valid text"):
        arc.search(query)
    with pytest.raises(QueryError, match="not valid text"):
        arc.count(query)


def test_a_invalid_utf8_in_argv_is_a_clean_error(arc, tmp_path):
    script = (
        "import sys; from archive.cli import main; "
        "sys.exit(main(['search', '--index', sys.argv[1], sys.argv[2]]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(arc.path), b"\xd8\xb9\xd9\x84\xff*"],
        capture_output=True,
        env={"PYTHONUTF8": "1", "PATH": ""},
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    assert b"not valid text" in done.stderr
    assert b"Traceback" not in done.stderr


# --- (b) bounded work --------------------------------------------------------------


def test_b_a_long_phrase_is_refused_quickly(arc):
    phrase = '"' + " ".join(["العلم", "نور"] * 150) + '"'
    started = time.monotonic()
    with pytest.raises(QueryError, match=f"a phrase of 300 words; the limit is {MAX_PHRASE_WORDS}"):
        arc.search(phrase)
    assert time.monotonic() - started < 5


def test_b_a_phrase_at_the_limit_is_searched(arc):
    arc.search('"' + " ".join(["العلم"] * MAX_PHRASE_WORDS) + '"')


def test_b_too_many_words_in_all_is_refused(arc):
    words = " ".join(f"كلمة{i}" for i in range(MAX_QUERY_WORDS + 1))
    with pytest.raises(QueryError, match=f"the limit is {MAX_QUERY_WORDS}"):
        arc.search(words, match="any")


def test_b_a_pasted_paragraph_still_works_with_any(arc):
    paragraph = " ".join(["العلم", "نور", "والجهل", "ظلام", "في", "كل", "زمان", "ومكان"] * 8)[:]
    words = paragraph.split()[:60]
    assert len(words) == 60
    res = arc.search(" ".join(words), match="any")
    assert res.total >= 1


# --- (c) a hint for a question that finds nothing ------------------------------------


def test_c_results_have_a_hint_field_defaulting_to_none():
    assert SearchResults(query="x", total=0, hits=()).hint is None


@pytest.mark.parametrize("query", ["ما هو العلم والفلك؟", "العلم والفلك?", "كيف العلم والفلك"])
def test_c_a_question_that_finds_nothing_mentions_match_any(arc, query):
    res = arc.search(query)
    assert res.total == 0
    assert res.hint is not None
    assert 'match="any"' in res.hint
    assert arc.search(query, match="any").hint is None


def test_c_no_hint_for_a_plain_query_or_a_found_question(arc):
    assert arc.search("الفلك").hint is None
    assert arc.search("العلم؟").hint is None  # found: total 1


def test_c_cli_prints_the_hint_on_stderr(arc, capsys):
    from archive.cli import main

    assert main(["search", "--index", str(arc.path), "كيف الفلك"]) == 0
    captured = capsys.readouterr()
    assert "--match any" in captured.err
    assert "--match any" not in captured.out


# --- (d) where= injection ------------------------------------------------------------

INJECTION = [
    {"id": "a", "text": "العلم نور", "book": "x\x1eother=secret"},
    {"id": "b", "text": "العلم نور", "other": "secret"},
    {"id": "c", "text": "العلم نور", "a=b": "c"},
    {"id": "d", "text": "العلم نور", "a": "b=c"},
    {"id": "e", "text": "العلم نور", "k": "v\\"},
]


@pytest.mark.parametrize("engine", ["whoosh", "tantivy"])
def test_d_where_values_and_keys_cannot_inject(tmp_path: Path, engine):
    if engine == "tantivy":
        pytest.importorskip("tantivy")
    arc = Archive(tmp_path / "index", engine=engine)
    arc.ingest(write_jsonl(tmp_path / "in" / "p.jsonl", INJECTION))

    def ids(where):
        return sorted(h.passage.id for h in arc.search("العلم", where=where, limit=None))

    assert ids({"other": "secret"}) == ["b"]
    assert ids({"book": "x\x1eother=secret"}) == ["a"]
    assert ids({"book": "x"}) == []
    assert ids({"a=b": "c"}) == ["c"]
    assert ids({"a": "b=c"}) == ["d"]
    assert ids({"k": "v\\"}) == ["e"]
    assert ids({"k": "v"}) == []


def test_d_meta_terms_and_filter_terms_agree():
    from archive.query.filters import Filters, meta_terms

    meta = {"a=b": "c\x1ed", "x\\": "y"}
    assert Filters.make(None, meta).terms() == meta_terms(meta)
    assert all("\x1e" not in term for term in meta_terms(meta))
    assert len({*meta_terms({"a=b": "c"}), *meta_terms({"a": "b=c"})}) == 2
    json.dumps(meta_terms(meta))


@pytest.mark.parametrize("engine", ["whoosh", "tantivy"])
@pytest.mark.parametrize(
    "filters", [{"where": {"k": "\udcff"}}, {"where": {"\udcff": "v"}}, {"source": "\udcff*"}]
)
def test_a_filters_that_are_not_valid_text_are_query_errors(tmp_path, engine, filters):
    if engine == "tantivy":
        pytest.importorskip("tantivy")
    arc = Archive(tmp_path / "index", engine=engine)
    arc.ingest(write_jsonl(tmp_path / "in" / "p.jsonl", RECORDS))
    with pytest.raises(QueryError, match="not valid text"):
        arc.search("العلم", **filters)
