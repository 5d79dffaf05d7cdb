"""Tests for `transferlaw check`: one small fixture per class of problem, reported at the right line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import NamedTuple

import pytest
from click.testing import CliRunner

from transferlaw.cli import cli
from transferlaw.tools import lint

from .conftest import DATA
from .conftest import ROOT
from .test_validate import RULESET_CASES
from .test_validate import Bad

LINT = DATA / "lint"
INVALID = DATA / "invalid" / "rulesets"


class Warned(NamedTuple):
    name: str
    fragment: str
    line: int
    col: int


WARNINGS = [
    Warned("unused-question", "question 'spare' is never used", 27, 5),
    Warned("unused-conclusion", "conclusion 'federal_held' is never used", 23, 5),
    Warned("unused-authority", "authority 'case-b' is never cited", 40, 5),
    Warned("never-true", "the condition of issue 'first' can never be true", 28, 11),
    Warned("always-true", "the condition of issue 'first' is always true", 28, 11),
    Warned("equivalent-issues", "issues 'first' and 'second' have equivalent conditions", 38, 11),
    Warned("weak-counterargument", "high-severity issue 'first' has no real counterargument", 31, 22),
    Warned("unverified-authority", "issue 'first' cites 'case-u', which is marked verified: false", 24, 5),
    Warned("placeholder-text", "issue 'first' has placeholder text", 32, 17),
    Warned("missing-phrases", "question 'custodian' has no phrases, and 1 issue reads it", 17, 5),
    Warned("asserted-unknown", "issue 'first': its application, when the issue is undetermined with 'custodian' "
           "not known, says 'the person is held by a State': an answer nobody gave", 34, 18),
]
PHRASING = ("missing-phrases", "asserted-unknown")
"""The fixtures about phrases; the older ones have no phrases, and their "has no phrases" warnings are ignored."""


@pytest.mark.parametrize("warned", WARNINGS, ids=[w.name for w in WARNINGS])
def test_each_warning_class_is_located(warned: Warned) -> None:
    """Each fixture gives exactly one warning, with its message, file, line and column."""
    report = lint.check(LINT / warned.name)
    assert report.errors == ()
    [diagnostic] = [w for w in report.warnings if warned.name in PHRASING or "has no phrases" not in w.message]
    assert warned.fragment in diagnostic.message
    assert diagnostic.hint
    assert Path(diagnostic.pos.path).name == "ruleset.yaml"
    assert (diagnostic.pos.line, diagnostic.pos.col) == (warned.line, warned.col)


def test_every_lint_fixture_is_used() -> None:
    """No fixture directory is forgotten."""
    assert {p.name for p in LINT.iterdir()} == {w.name for w in WARNINGS} | {"clean"}


def test_clean_rule_set_has_nothing_to_report() -> None:
    """The baseline fixture is clean, so each other fixture differs by exactly its problem."""
    assert lint.check(LINT / "clean").diagnostics == ()


@pytest.mark.parametrize("bad", [b for b in RULESET_CASES if b.file == "ruleset.yaml"], ids=lambda b: b.name)
def test_errors_are_reported_by_check_at_the_right_line(bad: Bad) -> None:
    """Every error class of the validator (schema, unknown names, types, choices, cycles, ask_if loops,
    template names, undefined authorities...) is a check error at the same file, line and column."""
    report = lint.check(INVALID / bad.name)
    assert report.ruleset is None and len(report.errors) == 1
    [diagnostic] = report.errors
    assert bad.fragment in diagnostic.format()
    assert diagnostic.pos.line == bad.line and (bad.col is None or diagnostic.pos.col == bad.col)


def test_broken_tests_are_check_errors() -> None:
    """A rule set whose tests do not load fails check with the test file's location."""
    report = lint.check(INVALID / "test-unknown-issue")
    assert [Path(d.pos.path).name for d in report.errors] == ["basic.yaml"]


def test_bundled_rule_sets_pass_strict_check() -> None:
    """The bundled rule sets have no errors and no warnings."""
    for directory in sorted(p.parent for p in (ROOT / "rules").glob("*/ruleset.yaml")):
        report = lint.check(directory)
        assert report.diagnostics == (), "\n".join(d.format() for d in report.diagnostics)


def test_cli_check_exit_codes_and_json(tmp_path: Path) -> None:
    """Exit 0 with warnings, 1 with --strict or with errors; --format json lists every diagnostic."""
    runner = CliRunner()
    result = runner.invoke(cli, ["check", str(LINT / "never-true")])
    assert result.exit_code == 0 and "can never be true" in result.stdout
    assert runner.invoke(cli, ["check", str(LINT / "never-true"), "--strict"]).exit_code == 1
    result = runner.invoke(cli, ["check", str(INVALID / "conclusion-cycle")])
    assert result.exit_code == 1 and "conclusions form a cycle" in result.stderr
    result = runner.invoke(cli, ["check", str(LINT / "clean"), str(LINT / "unused-question"), "--format", "json"])
    data = json.loads(result.stdout)
    assert [d["warnings"] for d in data] == [0, 1]
    assert data[1]["diagnostics"][0]["line"] == 27 and data[1]["diagnostics"][0]["severity"] == "warning"
