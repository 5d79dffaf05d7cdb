"""The pytest plugin runs rule-set tests as pytest items, with the readable failure report."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from .conftest import MINI_RULES
from .conftest import ROOT


def _pytest(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)


def test_rule_set_tests_are_collected_by_name() -> None:
    """Each YAML test becomes one pytest item named after the test."""
    result = _pytest("--co", str(MINI_RULES / "mini" / "tests"))
    assert "basic.yaml::citizen in federal custody" in result.stdout
    assert "basic.yaml::case file" in result.stdout


def test_a_wrong_expectation_fails_readably(tmp_path: Path) -> None:
    """A failing rule-set test shows the test's position, expected against got, and the reasoning."""
    directory = tmp_path / "mini"
    shutil.copytree(MINI_RULES / "mini", directory)
    tests = directory / "tests" / "basic.yaml"
    text = tests.read_text().replace("exile: raised", "exile: not_raised")
    case = ROOT / "tests" / "data" / "cases" / "mini-unknowns.yaml"
    tests.write_text(text.replace("../../../cases/mini-unknowns.yaml", os.path.relpath(case, tests.parent)))
    result = _pytest(str(tests))
    assert result.returncode == 1
    assert "rule-set test 'citizen in federal custody' failed" in result.stdout
    assert "issue exile: expected not_raised, got raised" in result.stdout
    assert "1 failed, 1 passed" in result.stdout
