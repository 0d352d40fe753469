"""What users install: when CI runs the suite against the built wheel
(``.ci/wheel``), the archive under test is the installed package."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import archive


def test_the_archive_under_test_is_the_installed_one() -> None:
    checkout = os.environ.get("ARCHIVE_TEST_INSTALLED")
    if not checkout:
        pytest.skip("runs when .ci/wheel tests the installed wheel (ARCHIVE_TEST_INSTALLED)")
    imported = Path(archive.__file__).resolve()
    assert not imported.is_relative_to(Path(checkout).resolve()), imported
    assert "site-packages" in imported.parts, imported
    assert (imported.parent / "py.typed").is_file()  # the typing marker ships
