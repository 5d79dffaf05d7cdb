"""Golden memos: every bundled case renders byte for byte as reviewed in tests/golden/ (md, html, json).

Run ``pytest tests/test_golden.py --update-golden`` after an intended change, then review the diff.
"""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

from transferlaw import api

from .conftest import ROOT

GOLDEN = ROOT / "tests" / "golden"
CASES = sorted((ROOT / "cases").glob("*.yaml"))
FORMATS = ("md", "html", "json")


def render(case: Path, fmt: str) -> str:
    """The memo of a bundled case, with the case named by its repository path (machine-independent)."""
    return api.run(f"cases/{case.name}", fmt, text=case.read_text(encoding="utf-8"))


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_golden_memo(case: Path, fmt: str, update_golden: bool) -> None:
    """The memo equals its reviewed golden file."""
    got = render(case, fmt)
    golden = GOLDEN / f"{case.stem}.{fmt}"
    if update_golden:
        GOLDEN.mkdir(exist_ok=True)
        golden.write_text(got, encoding="utf-8")
        return
    assert golden.exists(), f"no golden file {golden.name}; run pytest --update-golden and review it"
    expected = golden.read_text(encoding="utf-8")
    if got != expected:
        diff = "".join(difflib.unified_diff(expected.splitlines(True), got.splitlines(True),
                                            f"golden/{golden.name}", "rendered", n=2))
        pytest.fail(f"memo differs from golden/{golden.name}:\n{diff[:6000]}")


def test_there_are_bundled_cases() -> None:
    """The repository ships at least eight case files."""
    assert len(CASES) >= 8


def test_no_stale_golden_files() -> None:
    """Every golden file belongs to a bundled case."""
    stems = {c.stem for c in CASES}
    for path in GOLDEN.glob("*"):
        if path.is_dir():  # tests/golden/docx belongs to tests/test_docx.py
            continue
        assert path.stem in stems, f"{path.name} has no case; delete it"
