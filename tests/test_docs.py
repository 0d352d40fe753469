"""The docs say what the code does: the normalisation table, README examples, the API."""

from __future__ import annotations

import io
import re
import shutil
import unicodedata
from pathlib import Path

import pytest

import archive
from archive import arabic
from tests.conftest import ROOT

_CODE = re.compile(r"U\+([0-9A-F]{4})(?:–U\+([0-9A-F]{4}))?")


def _table_rows() -> list[tuple[list[int], str]]:
    doc = (ROOT / "docs" / "normalisation.md").read_text(encoding="utf-8")
    section = doc.split("## What changes", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 4 or not cells[0].startswith("U+"):
            continue
        codes = []
        for first, last in _CODE.findall(cells[0]):
            codes.extend(range(int(first, 16), int(last or first, 16) + 1))
        rows.append((codes, cells[2]))
    return rows


def _row_for(code: int, rows: list[tuple[list[int], str]]) -> str | None:
    """The most specific row (the smallest range) that lists ``code``."""
    holding = [(len(codes), target) for codes, target in rows if code in codes]
    return min(holding)[1] if holding else None


def _expected(char: str, target: str) -> str | None:
    if target == "removed":
        return ""
    if target == "digits":
        return str(unicodedata.digit(char))
    if target in ("base letters", "words"):
        spelled = arabic.WORD_LIGATURES.get(char, unicodedata.normalize("NFKC", char))
        return arabic.fold(spelled)
    if len(target) == 1:
        return target
    raise AssertionError(f"unknown target {target!r} in docs/normalisation.md")


def test_normalisation_table_rows_are_what_the_code_does() -> None:
    rows = _table_rows()
    assert len(rows) > 20
    checked = 0
    for codes, _ in rows:
        for code in codes:
            char = chr(code)
            if unicodedata.category(char) == "Cn":
                continue
            target = _row_for(code, rows)
            assert target is not None
            assert arabic.fold(char) == _expected(char, target), f"U+{code:04X} ({target})"
            checked += 1
    assert checked > 800


def test_every_code_point_the_code_folds_has_a_row() -> None:
    rows = _table_rows()
    listed = {code for codes, _ in rows for code in codes}
    missing = [f"U+{code:04X}" for code in arabic.fold_table() if code not in listed]
    assert missing == []


def test_public_namespace_is_one_sorted_all() -> None:
    assert archive.__all__ == sorted(archive.__all__)
    public = {name for name in dir(archive) if not name.startswith("_")}
    modules = {"arabic", "cli", "core", "engine", "engines", "errors", "ingest", "models"}
    modules |= {"query", "readers", "sharded"}
    modules |= {"web"}  # archive.web, once imported (it needs the web extra)
    assert public - modules == set(archive.__all__) - {"__version__"}


def test_every_exception_derives_from_archive_error() -> None:
    for name in archive.__all__:
        obj = getattr(archive, name)
        if isinstance(obj, type) and issubclass(obj, Exception):
            assert issubclass(obj, archive.ArchiveError), name


def _python_blocks(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    return re.findall(r"```python\n(.*?)```", text, re.S)


DOCUMENTS = ["README.md", *sorted(p.relative_to(ROOT).as_posix() for p in ROOT.glob("docs/*.md"))]


@pytest.mark.parametrize("document", DOCUMENTS)
def test_python_examples_in_the_docs_run(
    document: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(ROOT / "texts", tmp_path / "texts")
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    for block in _python_blocks(ROOT / document):
        exec(compile(block, document, "exec"), namespace)


def test_readme_example_builds_the_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(ROOT / "texts", tmp_path / "texts")
    monkeypatch.chdir(tmp_path)
    blocks = _python_blocks(ROOT / "README.md")
    assert blocks
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {})
    assert (tmp_path / "index" / "archive.json").is_file()


def _console_lines(path: Path) -> list[str]:
    blocks = re.findall(r"```console\n(.*?)```", path.read_text(encoding="utf-8"), re.S)
    return [line[2:] for block in blocks for line in block.splitlines() if line.startswith("$ ")]


CONSOLE = [(doc, line) for doc in DOCUMENTS for line in _console_lines(ROOT / doc)]


@pytest.mark.parametrize(("document", "line"), CONSOLE)
def test_command_examples_in_the_docs_run(
    document: str, line: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import contextlib
    import shlex

    from archive import Archive
    from archive.cli import main

    monkeypatch.chdir(tmp_path)
    Archive("index").ingest(ROOT / "texts")
    argv = shlex.split(line)
    assert argv[0] == "archive", line
    target = None
    if ">" in argv:
        at = argv.index(">")
        argv, target = argv[:at], argv[at + 1]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(argv[1:]) == 0, line
    assert out.getvalue(), f"{line} printed nothing"
    if target:
        (tmp_path / target).write_text(out.getvalue(), encoding="utf-8")


def test_the_docs_have_command_examples() -> None:
    assert len(CONSOLE) >= 3


def test_the_readme_tour_searches_find_something_in_texts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each ``arc.search(...)`` line of the README's tour finds a passage (or a
    suggestion) in the shipped texts: a tour line that finds nothing teaches nothing."""
    from archive import Archive

    monkeypatch.chdir(tmp_path)
    arc = Archive("index")
    arc.ingest(ROOT / "texts")
    lines = [
        line.split("#", 1)[0].strip()
        for block in _python_blocks(ROOT / "README.md")
        for line in block.splitlines()
        if line.startswith("arc.search(")
    ]
    assert len(lines) >= 8
    for line in lines:
        result = eval(line, {"arc": arc})  # the README's own lines
        if isinstance(result, tuple):  # .suggestions
            assert result, line
        else:
            assert result.total, line
