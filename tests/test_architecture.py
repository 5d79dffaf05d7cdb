"""The architecture holds (issue 14): each stage imports only the stages below it, no package has an import cycle,
and no module grows past 500 lines. The contracts live in pyproject.toml and run in the README's test command
(``lint-imports``); these tests show that they catch what they are for, on a copy of the package."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT

PACKAGE = ROOT / "src" / "transferlaw"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(src: Path) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` with the project's contracts, over the package found first in ``src``."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    return subprocess.run([str(LINT_IMPORTS), "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
                          cwd=src, env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """A copy of the package (without compiled files), to plant a bad import in."""
    shutil.copytree(PACKAGE, tmp_path / "transferlaw", ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def plant(copy: Path, module: str, line: str) -> None:
    path = copy / "transferlaw" / module
    path.write_text(path.read_text() + f"\n\ndef _planted() -> None:\n    {line}  # noqa: F401\n")


def test_the_contracts_hold_on_the_package() -> None:
    result = lint_imports(ROOT / "src")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


def test_an_upward_import_breaks_the_layers_even_inside_a_function(copy: Path) -> None:
    """A lower stage importing a higher one (here the model importing the memo layer's words) is refused, even
    as a function-level import: such an import cannot hide a cycle."""
    plant(copy, "language/model.py", "from ..memo import display")
    result = lint_imports(copy)
    assert result.returncode == 1
    assert "transferlaw.language is not allowed to import transferlaw.memo" in result.stdout
    assert "transferlaw.language.model -> transferlaw.memo.display" in result.stdout


def test_a_cycle_inside_a_stage_is_refused(copy: Path) -> None:
    plant(copy, "language/errors.py", "from . import model")
    result = lint_imports(copy)
    assert result.returncode == 1
    assert "No cycles are allowed in transferlaw.language" in result.stdout


def test_a_module_the_layers_do_not_name_is_refused(copy: Path) -> None:
    """Every top-level module is in a layer (``exhaustive``): a new one must be placed in the picture."""
    (copy / "transferlaw" / "helpers.py").write_text('"""A module nobody placed."""\n')
    result = lint_imports(copy)
    assert result.returncode == 1
    assert "helpers" in result.stdout


def test_no_module_is_over_500_lines() -> None:
    long = {str(p.relative_to(PACKAGE)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 500}
    assert not long
