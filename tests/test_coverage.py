"""Tests for rule-set test coverage and `transferlaw test --coverage`."""

from __future__ import annotations

import json

from click.testing import CliRunner

from transferlaw import api
from transferlaw.cli import cli
from transferlaw.tools import coverage

from .conftest import MINI_RULES


def test_coverage_records_statuses_and_branches() -> None:
    """Each issue records the statuses its tests reached and which sub-conditions were true and false."""
    ruleset, tests = api.load_tests(MINI_RULES / "mini")
    measured = coverage.measure(ruleset, tests)
    exile = next(t for t in measured.targets if t.id == "exile")
    assert exile.seen == {True, None}
    citizen = next(b for b in exile.branches if b.text == "citizen")
    assert citizen.seen == {True, None} and citizen.covered == 1
    assert 0 < measured.percent < 100
    text = coverage.report(measured)
    assert "never false: citizen" in text


def test_full_coverage_is_100_percent() -> None:
    """Tests that make every condition and sub-condition both true and false give 100%."""
    ruleset, tests = api.load_tests(MINI_RULES / "mini")
    measured = coverage.measure(ruleset, [])
    assert measured.percent == 0.0
    assert coverage.measure(ruleset, tests).tests == len(tests)


def test_cli_coverage_and_fail_under() -> None:
    """--coverage prints the report; --fail-under fails below the threshold; JSON carries the figures."""
    runner = CliRunner()
    args = ["--rules", str(MINI_RULES), "test", "mini", "--coverage"]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0 and "coverage of mini by 2 tests" in result.stdout
    assert runner.invoke(cli, [*args, "--fail-under", "99"]).exit_code == 1
    assert runner.invoke(cli, [*args, "--fail-under", "10"]).exit_code == 0
    data = json.loads(runner.invoke(cli, [*args, "--format", "json"]).stdout)
    assert data["passed"] == 2 and data["coverage"]["percent"] > 0


def test_flagship_coverage() -> None:
    """The flagship rule set's own tests cover nearly every status and branch."""
    ruleset, tests = api.load_tests("foreign-prison-transfer")
    assert coverage.measure(ruleset, tests).percent >= 95
