"""Issue 13, output: spreadsheet-safe exports, KWIC graphemes and widths, count
tables, colour, non-UTF-8 stdout, BOM, control characters; the snippet window."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import pytest

from archive.cli import main
from archive.core import kwic_lines
from archive.models import Hit, Passage, _window
from tests.conftest import write_jsonl

RECORDS = [
    {"id": "=1+2", "title": "@SUM(A1)", "text": "العلم نور", "note": "-2+3"},
    {"id": "2", "title": "\tالصبر", "text": "العلم مفتاح", "note": "\tx"},
    {"id": "3", "title": "عادي", "text": "العلم عادي", "note": "+x"},
]


@pytest.fixture
def index(tmp_path: Path) -> Path:
    folder = tmp_path / "ix"
    assert (
        main(
            [
                "ingest",
                str(write_jsonl(tmp_path / "in" / "p.jsonl", RECORDS)),
                "--index",
                str(folder),
            ]
        )
        == 0
    )
    return folder


def _run(capsys, *args: str) -> str:
    capsys.readouterr()
    assert main(list(args)) == 0
    return capsys.readouterr().out


# --- (e) formula injection ---------------------------------------------------------

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


@pytest.mark.parametrize("fmt", ["csv", "tsv"])
def test_e_search_cells_are_neutralised(index, capsys, fmt):
    out = _run(
        capsys,
        "search",
        "العلم",
        "--index",
        str(index),
        "--format",
        fmt,
        "--fields",
        "id,title,meta.note",
        "--limit",
        "10",
    )
    rows = list(csv.reader(io.StringIO(out, newline=""), delimiter="," if fmt == "csv" else "\t"))
    cells = [cell for row in rows[1:] for cell in row]
    assert len(rows) == 4
    assert all(not cell.startswith(DANGEROUS) for cell in cells), cells
    assert "'=1+2" in cells
    assert "'@SUM(A1)" in cells
    assert "'-2+3" in cells


def test_e_cell_prefixes_each_formula_start():
    from archive.cli import _cell

    for start in DANGEROUS:
        assert _cell(start + "x") == "'" + start + "x"
        assert _cell(start + "x", raw=True) == start + "x"
    assert _cell("عادي") == "عادي"
    assert _cell(-1.5) == -1.5
    assert _cell(None) == ""
    assert _cell(["=x"]) == '["=x"]'


def test_e_raw_cells_turns_it_off(index, capsys):
    out = _run(
        capsys,
        "search",
        "العلم",
        "--index",
        str(index),
        "--format",
        "csv",
        "--fields",
        "id,title",
        "--raw-cells",
    )
    assert "=1+2" in out
    assert "'=1+2" not in out


def test_e_kwic_and_count_cells_are_neutralised(index, capsys):
    out = _run(capsys, "kwic", "العلم", "--index", str(index), "--format", "csv")
    rows = list(csv.reader(io.StringIO(out, newline="")))
    assert all(not cell.startswith(DANGEROUS) for row in rows[1:] for cell in row)
    out = _run(
        capsys,
        "count",
        "العلم",
        "--index",
        str(index),
        "--format",
        "csv",
        "--by",
        "meta_note_missing",
    )
    out = _run(capsys, "count", "العلم", "--index", str(index), "--format", "csv", "--by", "note")
    rows = list(csv.reader(io.StringIO(out, newline="")))
    assert all(not row[0].startswith(DANGEROUS) for row in rows[1:]), rows


# --- (f) KWIC graphemes and display widths --------------------------------------------


def _hit(text: str, spans) -> Hit:
    return Hit(passage=Passage(id="1", text=text), score=1.0, rank=1, locate=lambda _: spans)


def test_f_contexts_do_not_start_or_end_inside_a_grapheme():
    text = "مُحَمَّدٌ رَسُولُ اللَّهِ وَالَّذِينَ مَعَهُ"
    start = text.index("رَسُولُ")
    end = start + len("رَسُولُ")
    for width in range(1, 12):
        (line,) = kwic_lines(_hit(text, ((start, end),)), width)
        assert not line.left or not unicodedata.combining(line.left[0]), (width, line.left)
        after = text[end + len(line.right) : end + len(line.right) + 1]
        assert not after or not unicodedata.combining(after), (width, line.right)


def _display(text: str) -> int:
    return sum(
        0
        if unicodedata.combining(c) or unicodedata.category(c) in ("Mn", "Me", "Cf")
        else 2
        if unicodedata.east_asian_width(c) in "WF"
        else 1
        for c in text
    )


def test_f_table_columns_align_on_what_a_reader_sees(tmp_path, capsys):
    records = [
        {"id": "1", "text": "قَالَ رَسُولُ اللَّهِ صَلَّى اللَّهُ عَلَيْهِ وَسَلَّمَ إِنَّمَا الْأَعْمَالُ بِالنِّيَّاتِ"},
        {"id": "2", "text": "قال رسول الله صلى الله عليه وسلم إنما الأعمال بالنيات"},
    ]
    folder = tmp_path / "ix"
    main(["ingest", str(write_jsonl(tmp_path / "in" / "p.jsonl", records)), "--index", str(folder)])
    out = _run(capsys, "kwic", "إنما", "--index", str(folder), "--width", "20")
    lines = out.splitlines()
    assert len(lines) == 2
    assert len({_display(line.split("«")[0]) for line in lines}) == 1, lines
    assert len({_display(line.split("|")[0]) for line in lines}) == 1, lines


# --- (g) count tables, jsonl, colour, encodings, BOM, control characters -------------


def test_g_count_table_has_a_header(index, capsys):
    out = _run(capsys, "count", "العلم", "--index", str(index), "--by", "source")
    lines = out.splitlines()
    assert lines[1].split() == ["passages", "occurrences", "source"]


def test_g_count_jsonl_is_one_object_a_group(index, capsys):
    out = _run(capsys, "count", "العلم", "--index", str(index), "--by", "note", "--format", "jsonl")
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == 3
    assert {row["key"] for row in rows} == {"-2+3", "\tx", "+x"}
    assert all(row["passages"] == 1 and row["by"] == "note" for row in rows)


@pytest.mark.parametrize(
    ("flag", "env", "colored"),
    [
        ("always", {}, True),
        ("never", {}, False),
        ("auto", {}, False),
        ("always", {"NO_COLOR": "1"}, True),
    ],
)
def test_g_color_option(index, capsys, monkeypatch, flag, env, colored):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    for command in ("search", "kwic"):
        out = _run(capsys, command, "العلم", "--index", str(index), "--color", flag)
        assert ("\x1b[1;31m" in out) is colored, (command, out)


def test_g_no_color_turns_auto_off(index, capsys, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
    from archive import cli

    assert cli._use_color("auto", io.StringIO()) is False
    monkeypatch.delenv("NO_COLOR")

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert cli._use_color("auto", Tty()) is True


@pytest.mark.parametrize(
    "args",
    [
        ["search", "العلم", "--format", "json"],
        ["search", "العلم", "--format", "jsonl"],
        ["search", "العلم", "--format", "csv"],
        ["kwic", "العلم", "--format", "tsv"],
        ["count", "العلم", "--format", "json"],
        ["search", "العلم"],
    ],
)
def test_g_machine_formats_survive_a_non_utf8_stdout(index, args):
    env = {**os.environ, "PYTHONIOENCODING": "cp1252", "PYTHONUTF8": "0"}
    done = subprocess.run(
        [sys.executable, "-m", "archive", *args, "--index", str(index)],
        capture_output=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")
    if args[-1] != "العلم":
        assert "العلم".encode() in done.stdout or b"\\u" in done.stdout


def test_g_bom_for_excel(index, capsys):
    out = _run(capsys, "search", "العلم", "--index", str(index), "--format", "csv", "--bom")
    assert out.startswith("\ufeffid,")
    out = _run(capsys, "search", "العلم", "--index", str(index), "--format", "csv")
    assert not out.startswith("\ufeff")


def test_g_control_characters_are_made_visible_in_tables(tmp_path, capsys):
    records = [{"id": "x\x1b[2J", "title": "t\x1b]0;pwned\x07", "text": "العلم \x1b[31mنور"}]
    folder = tmp_path / "ix"
    main(["ingest", str(write_jsonl(tmp_path / "in" / "p.jsonl", records)), "--index", str(folder)])
    for command in ("search", "kwic"):
        out = _run(capsys, command, "العلم", "--index", str(folder), "--color", "never")
        assert "\x1b" not in out, out
        assert "\x07" not in out, out
        assert "\\x1b" in out
    out = _run(capsys, "show", "x\x1b[2J", "--index", str(folder))
    assert "\x1b" not in out


# --- (h) the snippet window is linear -------------------------------------------------


def test_h_window_of_20000_matches_is_fast():
    text = "علم " * 20_000
    spans = tuple((i * 4, i * 4 + 3) for i in range(20_000))
    started = time.monotonic()
    _window(text, spans, 200)
    assert time.monotonic() - started < 1.0


def _old_window(text, spans, width):
    from archive.models import _word_end, _word_start

    if len(text) <= width:
        return 0, len(text)
    if not spans:
        return 0, _word_end(text, width)
    best, best_count = 0, 1
    for i, (s, _) in enumerate(spans):
        count = sum(1 for _, e2 in spans[i:] if e2 <= s + width)
        if count > best_count:
            best, best_count = i, count
    first = spans[best][0]
    last = max(e for _, e in spans[best : best + best_count])
    slack = max(0, width - (last - first))
    start = max(0, first - slack // 2)
    end = min(len(text), start + max(width, last - first))
    start = max(0, min(start, end - width))
    return _word_start(text, start), _word_end(text, end)


def test_h_window_is_the_same_as_before_on_normal_cases():
    import random

    rng = random.Random(13)
    words = ["العلم", "نور", "و", "الجهل", "ظلام", "في", "كل", "زمان", "مُحَمَّدٌ"]
    for _ in range(400):
        tokens = [rng.choice(words) for _ in range(rng.randint(1, 200))]
        text = " ".join(tokens)
        spans, pos = [], 0
        for token in tokens:
            if rng.random() < 0.2:
                spans.append((pos, pos + len(token)))
            pos += len(token) + 1
        if rng.random() < 0.1 and spans:
            spans.append((0, len(text)))  # a match wider than the window
            spans.sort()
        width = rng.choice([10, 40, 200])
        assert _window(text, tuple(spans), width) == _old_window(text, tuple(spans), width)
