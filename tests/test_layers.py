"""The layers of the package, read from its source: which modules may import an
engine library or Dask, that no module reaches into another's private names,
that the Arabic analysis stands alone, and that ``import archive`` stays light.

The import rules are checked on the source with :mod:`ast` (every import, at the
top of a module or inside a function, and every ``importlib.import_module`` of a
constant name); the lightness in fresh interpreters, by what they hold in
``sys.modules``. Both read the ``archive`` package these tests import, wherever
it is.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

import archive
from archive import Archive
from tests.conftest import write_jsonl

PACKAGE = Path(archive.__file__).resolve().parent
#: The folder that holds the package: what a child interpreter puts on its path.
HOME = PACKAGE.parent

#: The libraries only an engine (``archive/engines/``) may import.
ENGINE_LIBRARIES = frozenset({"whoosh", "tantivy"})
#: Dask: only ``archive/sharded/`` imports it, and only inside functions.
DASK = frozenset({"dask", "distributed"})
HEAVY = sorted(ENGINE_LIBRARIES | DASK)


@attrs.frozen
class Import:
    """One import in a module of the package: the module it names (absolute),
    the name taken from it (``from module import name``; None for ``import
    module`` or a submodule), and whether it runs when the importing module is
    imported (not inside a function)."""

    importer: str
    line: int
    module: str
    name: str | None
    top_level: bool

    def __str__(self) -> str:
        what = self.module if self.name is None else f"{self.name} from {self.module}"
        where = "at the top" if self.top_level else "in a function"
        return f"{self.importer}:{self.line}: {what} ({where})"


def module_name(file: Path) -> str:
    parts = list(file.relative_to(HOME).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_module(name: str) -> bool:
    """Whether ``name`` is a module or package of the project (a file under ``archive/``)."""
    if name != "archive" and not name.startswith("archive."):
        return False
    path = HOME.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def modules() -> list[tuple[str, Path]]:
    return sorted((module_name(file), file) for file in PACKAGE.rglob("*.py"))


def package_of(module: str, file: Path) -> str:
    return module if file.name == "__init__.py" else module.rpartition(".")[0]


class _Imports(ast.NodeVisitor):
    def __init__(self, module: str, package: str) -> None:
        self.module = module
        self.package = package
        self.depth = 0  # functions around the node being visited
        self.found: list[Import] = []
        #: Names bound to project modules (anywhere in the module), for ``name._x``.
        self.bound: dict[str, str] = {}

    def add(self, node: ast.AST, module: str, name: str | None = None) -> None:
        line = getattr(node, "lineno", 0)
        self.found.append(Import(self.module, line, module, name, self.depth == 0))

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self.in_function(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self.in_function(node)

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self.in_function(node)

    def in_function(self, node: ast.AST) -> None:
        # Decorators and defaults run at import time; only the body waits.
        for decorator in getattr(node, "decorator_list", []):
            self.visit(decorator)
        self.visit(node.args)  # type: ignore[attr-defined]
        self.depth += 1
        body = node.body  # type: ignore[attr-defined]
        for child in body if isinstance(body, list) else [body]:
            self.visit(child)
        self.depth -= 1

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.add(node, alias.name)
            if project_module(alias.name):
                if alias.asname:
                    self.bound[alias.asname] = alias.name
                else:
                    self.bound[alias.name.split(".")[0]] = alias.name.split(".")[0]

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = node.module or ""
        if node.level:
            parts = self.package.split(".")
            parts = parts[: len(parts) - (node.level - 1)]
            base = ".".join(parts + ([node.module] if node.module else []))
        for alias in node.names:
            submodule = f"{base}.{alias.name}"
            if alias.name != "*" and project_module(submodule):
                self.add(node, submodule)
                self.bound[alias.asname or alias.name] = submodule
            else:
                self.add(node, base, alias.name)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        called = (
            func.attr
            if isinstance(func, ast.Attribute)
            else func.id
            if isinstance(func, ast.Name)
            else None
        )
        if called in ("import_module", "__import__") and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                self.add(node, first.value)
        self.generic_visit(node)


def imports_of(module: str, file: Path) -> tuple[list[Import], dict[str, str], ast.Module]:
    tree = ast.parse(file.read_text(encoding="utf-8"), str(file))
    visitor = _Imports(module, package_of(module, file))
    visitor.visit(tree)
    return visitor.found, visitor.bound, tree


def every_import() -> Iterator[Import]:
    for module, file in modules():
        yield from imports_of(module, file)[0]


def inside(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def private_module_use(importer: str, module: str) -> str | None:
    """Why using ``module`` from ``importer`` reaches into a private module, or None.

    A private module (``archive.readers._lines``) belongs to its package: the
    modules of that package may import it, no one else.
    """
    parts = module.split(".")
    for i, part in enumerate(parts):
        if private(part) and not inside(importer, ".".join(parts[:i])):
            return f"the private module {'.'.join(parts[: i + 1])}"
    return None


def test_the_walk_sees_the_whole_package() -> None:
    names = [module for module, _ in modules()]
    assert "archive.engines.whoosh.store" in names
    assert "archive.arabic.fold" in names
    assert len(names) > 30
    found = list(every_import())
    assert any(i.module.startswith("whoosh") for i in found)
    assert any(i.module == "distributed" and not i.top_level for i in found)


def test_only_the_engines_import_an_engine_library() -> None:
    wrong = [
        str(i)
        for i in every_import()
        if i.module.split(".")[0] in ENGINE_LIBRARIES and not inside(i.importer, "archive.engines")
    ]
    assert wrong == [], "outside archive/engines/: " + "; ".join(wrong)


def test_only_the_sharded_engine_imports_dask_and_only_when_it_runs() -> None:
    wrong = [
        str(i)
        for i in every_import()
        if i.module.split(".")[0] in DASK
        and (i.top_level or not inside(i.importer, "archive.sharded"))
    ]
    assert wrong == [], "Dask outside functions of archive/sharded/: " + "; ".join(wrong)


def _attribute_chain(node: ast.Attribute) -> tuple[str, list[str]] | None:
    names: list[str] = []
    current: ast.expr = node
    while isinstance(current, ast.Attribute):
        names.append(current.attr)
        current = current.value
    if not isinstance(current, ast.Name):
        return None
    return current.id, names[::-1]


def private_uses(module: str, file: Path) -> Iterator[str]:
    """Where ``module`` imports a private name of another module, or reads one as
    an attribute of a project module it imported."""
    found, bound, tree = imports_of(module, file)
    for i in found:
        if not project_module(i.module):
            continue
        reason = private_module_use(module, i.module)
        if reason is None and i.name is not None and private(i.name) and i.module != module:
            reason = f"the private name {i.name} of {i.module}"
        if reason:
            yield f"{module}:{i.line}: {reason}"
    for line, root, attributes in _chains(tree):
        if root not in bound:
            continue
        target = bound[root]
        for attribute in attributes:
            if project_module(f"{target}.{attribute}"):
                target = f"{target}.{attribute}"
                continue
            reason = private_module_use(module, target)
            if reason is None and private(attribute) and target != module:
                reason = f"the private name {attribute} of {target}"
            if reason:
                yield f"{module}:{line}: {reason}"
            break


def _chains(tree: ast.AST) -> Iterator[tuple[int, str, list[str]]]:
    """Every chain ``name.a.b`` read in the tree, whole (not its shorter prefixes)."""
    inner: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute):
            inner.add(id(node.value))
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and id(node) not in inner:
            chain = _attribute_chain(node)
            if chain is not None:
                yield node.lineno, chain[0], chain[1]


def test_no_module_imports_another_module_s_private_name() -> None:
    wrong = [use for module, file in modules() for use in private_uses(module, file)]
    assert wrong == [], "private names used across modules:\n" + "\n".join(wrong)


def test_the_arabic_analysis_imports_nothing_of_the_project_but_the_errors() -> None:
    wrong = [
        str(i)
        for i in every_import()
        if inside(i.importer, "archive.arabic")
        and inside(i.module, "archive")
        and not (inside(i.module, "archive.arabic") or inside(i.module, "archive.errors"))
    ]
    assert wrong == [], "archive/arabic/ imports: " + "; ".join(wrong)


# --- in fresh interpreters ------------------------------------------------------------

_LOADED = f"""
import json, sys
print(json.dumps({{
    "archive": __import__("archive").__file__,
    "loaded": [name for name in {HEAVY!r} if name in sys.modules],
}}))
"""


def loaded_after(code: str) -> list[str]:
    """The heavy libraries a fresh interpreter holds after running ``code``."""
    path = os.pathsep.join(p for p in (str(HOME), os.environ.get("PYTHONPATH")) if p)
    done = subprocess.run(
        [sys.executable, "-c", code + _LOADED],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": path},
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert Path(result["archive"]).resolve().parent == PACKAGE  # the package under test
    loaded: list[str] = result["loaded"]
    return loaded


@pytest.mark.parametrize("module", ["archive", "archive.arabic", "archive.arabic.analysis"])
def test_importing_the_package_imports_no_engine_library_and_no_dask(module: str) -> None:
    assert loaded_after(f"import {module}\n") == []


@pytest.fixture
def plain_index(tmp_path: Path) -> Path:
    folder = tmp_path / "index"
    records = [{"id": "a", "title": "الأول", "text": "قال لينين كلمة"}]
    with Archive(folder) as arc:
        arc.ingest(write_jsonl(tmp_path / "in" / "a.jsonl", records))
    return folder


def test_opening_a_plain_index_imports_whoosh_and_no_dask(plain_index: Path) -> None:
    code = (
        "import archive\n"
        f"arc = archive.open_archive({str(plain_index)!r})\n"
        "assert type(arc) is archive.Archive, type(arc)\n"
        "assert arc.search('لينين').total == 1\n"
    )
    assert loaded_after(code) == ["whoosh"]


def test_the_command_line_opens_a_plain_index_without_dask(plain_index: Path) -> None:
    code = (
        "import contextlib, io\n"
        "from archive.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    assert main(['search', 'لينين', '--index', {str(plain_index)!r}]) == 0\n"
    )
    assert loaded_after(code) == ["whoosh"]


def test_archive_version_imports_no_engine_library() -> None:
    code = (
        "import contextlib, io\n"
        "from archive.cli import main\n"
        "out = io.StringIO()\n"
        "try:\n"
        "    with contextlib.redirect_stdout(out):\n"
        "        main(['--version'])\n"
        "except SystemExit as exc:\n"
        "    assert exc.code in (0, None), exc.code\n"
        "assert out.getvalue().startswith('archive '), out.getvalue()\n"
    )
    assert loaded_after(code) == []


def test_python_m_archive_version_imports_no_engine_library() -> None:
    path = os.pathsep.join(p for p in (str(HOME), os.environ.get("PYTHONPATH")) if p)
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "archive", "--version"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": path},
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("archive ")
    imported = {
        line.rsplit("|", 1)[1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:") and line.count("|") == 2
    }
    assert "archive.cli" in imported
    assert sorted({name.split(".")[0] for name in imported} & set(HEAVY)) == []
