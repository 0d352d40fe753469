"""The command line, run in-process, and its reference in docs/cli.md."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from archive.cli import build_parser, main
from tests.conftest import ROOT, write_jsonl


@pytest.fixture
def index(tmp_path: Path) -> Path:
    folder = tmp_path / "ix"
    assert main(["ingest", str(ROOT / "texts"), "--index", str(folder)]) == 0
    return folder


def test_ingest_prints_the_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ingest", str(ROOT / "texts"), "--index", str(tmp_path / "ix")]) == 0
    assert capsys.readouterr().out.startswith("1 file(s), 2 passage(s): 2 added, 0 updated")


def test_search_human_output_marks_matches(index: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["search", "لينين", "--index", str(index), "--limit", "1"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("2 passage(s) match 'لينين' (page 1 of 2)")
    assert "**لينين**" in out
    assert "\x1b[" not in out  # not a terminal: plain markers


def test_search_json(index: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["search", '"الحكومة المؤقتة"', "--index", str(index), "--json"]) == 0
    raw = capsys.readouterr().out
    assert "الحكومة" in raw  # Arabic unescaped
    data = json.loads(raw)
    assert data["query"] == '"الحكومة المؤقتة"'
    assert data["total"] == 2
    hit = data["hits"][0]
    assert set(hit) >= {"id", "title", "source", "score", "snippet"}
    assert "**الحكومة** **المؤقتة**" in hit["snippet"]


def test_search_exact(index: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["search", "لِينِين", "--index", str(index), "--exact", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["total"] == 0
    assert main(["search", "لينين", "--index", str(index), "--exact", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["total"] == 2


def test_show_and_stats(index: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    main(["search", "سقوط", "--index", str(index), "--json"])
    passage_id = json.loads(capsys.readouterr().out)["hits"][0]["id"]
    assert main(["show", passage_id, "--index", str(index)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("سقوط الحكومة المؤقتة\n")
    assert "caption: الكسندر كيرنسكي رئيس الحكومة المؤقتة" in out
    assert "citations: 11" in out
    assert main(["show", passage_id, "--index", str(index), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["citations"] == ["11"]
    assert main(["stats", "--index", str(index), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["passages"] == 2


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["search", "لينين", "--index", "{missing}"], "no archive index in {missing}"),
        (["show", "nope", "--index", "{index}"], "no passage with id 'nope'"),
        (["search", "  ", "--index", "{index}"], "empty query: '  '"),
        (["ingest", "{missing}", "--index", "{index}"], "{missing}: no such file or folder"),
        (["stats", "--index", "{missing}"], "no archive index in {missing}"),
    ],
)
def test_user_errors_are_one_line_and_exit_1(
    index: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    message: str,
) -> None:
    names = {"index": str(index), "missing": str(tmp_path / "missing")}
    capsys.readouterr()
    assert main([a.format(**names) for a in argv]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"archive: error: {message.format(**names)}")
    assert err.count("\n") == 1
    assert "Traceback" not in err
    assert not (tmp_path / "missing").exists()


def test_bad_input_file_names_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "نص"}\n{oops\n', encoding="utf-8")
    assert main(["ingest", str(path), "--index", str(tmp_path / "ix")]) == 1
    assert capsys.readouterr().err.startswith(f"archive: error: {path}:2: not valid JSON")


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["frobnicate"],
        ["search"],
        ["search", "x", "--limit", "0"],
        ["search", "x", "--limit", "a"],
    ],
)
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    assert "usage:" in capsys.readouterr().err


def test_python_dash_m_archive(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "p.jsonl", [{"id": "1", "text": "مرحبا بالعالم"}])
    run = [sys.executable, "-m", "archive"]
    ingest = subprocess.run(
        [*run, "ingest", str(tmp_path / "p.jsonl"), "--index", str(tmp_path / "ix")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    assert "1 added" in ingest.stdout
    done = subprocess.run(
        [*run, "search", "مرحبا", "--index", str(tmp_path / "ix"), "--json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    assert json.loads(done.stdout)["hits"][0]["id"] == "1"
    failed = subprocess.run(
        [*run, "search", "x", "--index", str(tmp_path / "none")],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert failed.returncode == 1
    assert failed.stderr.count("\n") == 1


# --- docs/cli.md is the reference: every command and option is documented ---------


def _subcommands() -> dict[str, list[str]]:
    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    found = {}
    for name, sub in action.choices.items():  # type: ignore[union-attr]
        found[name] = sorted(
            opt for a in sub._actions for opt in a.option_strings if opt.startswith("--")
        )
    return found


def test_cli_reference_documents_every_command_and_option() -> None:
    doc = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    intro = doc.split("\n## ", 1)[0]
    assert "`--index DIR`" in intro  # the option every command takes
    for name, options in _subcommands().items():
        section = re.search(rf"^## `archive {name}`$(.*?)(?=^## |\Z)", doc, re.M | re.S)
        assert section, f"docs/cli.md has no section for archive {name}"
        for option in options:
            if option not in ("--help", "--index"):
                assert f"`{option}" in section.group(1), f"archive {name} {option} undocumented"


def test_cli_reference_usage_lines_match_help() -> None:
    doc = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    for sub in action.choices.values():  # type: ignore[union-attr]
        usage = " ".join(sub.format_usage().split())
        assert usage in " ".join(doc.split()), f"docs/cli.md lacks: {usage}"


def test_search_match_any(index: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["search", "من هو لينين؟", "--index", str(index), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["total"] == 0  # all words must match
    assert main(["search", "من هو لينين؟", "--index", str(index), "--match", "any", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["total"] == 2


def test_ingest_profile_flags(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_jsonl(
        tmp_path / "p.jsonl", [{"id": "a", "text": "مدرسة"}, {"id": "b", "text": "مدرسه"}]
    )
    folder = str(tmp_path / "ix")
    assert main(["ingest", str(path), "--index", folder, "--no-ta-marbuta"]) == 0
    capsys.readouterr()
    assert main(["search", "مدرسة", "--index", folder, "--json"]) == 0
    assert [h["id"] for h in json.loads(capsys.readouterr().out)["hits"]] == ["a"]
    assert main(["ingest", str(path), "--index", folder]) == 0  # keeps its profile
    assert main(["ingest", str(path), "--index", folder, "--hamza-seats"]) == 1
    assert "folding profile" in capsys.readouterr().err


def test_progress_bar_on_a_terminal_only(tmp_path: Path) -> None:
    import io

    from archive.cli import ProgressBar
    from archive.models import IngestProgress

    out = io.StringIO()
    bar = ProgressBar(out, every=0)
    bar(IngestProgress(passages=1000, bytes_read=50, bytes_total=100, seconds=2.0))
    bar.close()
    assert "1,000 passages · 500/s · 50% · 0:02 left" in out.getvalue()
    # In a pipe (capsys is not a terminal) no bar is drawn: stderr stays empty.
    path = write_jsonl(tmp_path / "p.jsonl", [{"text": "نص"}])
    done = subprocess.run(
        [sys.executable, "-m", "archive", "ingest", str(path), "--index", str(tmp_path / "ix")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    assert done.stderr == ""
    assert "1 added" in done.stdout
