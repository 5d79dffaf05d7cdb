"""Tests for `transferlaw new`: the scaffold is a working rule set that passes check and test."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from transferlaw import api
from transferlaw.cli import cli
from transferlaw.tools import lint


def test_scaffold_passes_its_own_check_and_tests(tmp_path: Path) -> None:
    """A new rule set has no errors or warnings and its example tests pass, with full coverage."""
    directory = tmp_path / "my-rules"
    result = CliRunner().invoke(cli, ["new", str(directory)])
    assert result.exit_code == 0, result.output
    assert lint.check(directory).diagnostics == ()
    ruleset, tests = api.load_tests(directory)
    assert len(tests) == 4 and all(r.passed for r in api.run_tests(ruleset, tests))
    assert api.measure_coverage(ruleset, tests).percent == 100.0
    memo = api.run(directory / "cases" / "example.yaml", "md", [directory])
    assert "A state prisoner moved without any hearing" in memo


def test_scaffold_files_point_editors_at_the_schemas(tmp_path: Path) -> None:
    """Every scaffolded YAML file starts with a yaml-language-server modeline that resolves."""
    directory = tmp_path / "my-rules"
    api.new_ruleset(directory)
    for path in directory.rglob("*.yaml"):
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("# yaml-language-server: $schema=")
        assert (path.parent / first.split("=", 1)[1]).resolve().is_file()


def test_scaffold_never_overwrites_without_force(tmp_path: Path) -> None:
    """A second scaffold into the same folder is refused unless --force."""
    directory = tmp_path / "my-rules"
    runner = CliRunner()
    assert runner.invoke(cli, ["new", str(directory)]).exit_code == 0
    (directory / "ruleset.yaml").write_text("edited")
    result = runner.invoke(cli, ["new", str(directory)])
    assert result.exit_code == 1 and "--force" in result.stderr
    assert (directory / "ruleset.yaml").read_text() == "edited"
    assert runner.invoke(cli, ["new", str(directory), "--force"]).exit_code == 0


def test_scaffold_needs_a_valid_id(tmp_path: Path) -> None:
    """The folder name is the rule-set id, so it must be a valid one."""
    result = CliRunner().invoke(cli, ["new", str(tmp_path / "My Rules")])
    assert result.exit_code == 1 and "is not a valid rule-set id" in result.stderr


def test_schema_command_prints_json_schema() -> None:
    """`transferlaw schema` prints the rule-set and case schemas."""
    import json

    runner = CliRunner()
    for kind in ("ruleset", "case"):
        result = runner.invoke(cli, ["schema", kind])
        assert result.exit_code == 0
        assert json.loads(result.stdout)["$schema"].startswith("https://json-schema.org/")


def test_the_tutorial_works_as_written(tmp_path: Path) -> None:
    """The rule-language tutorial's snippets, applied to a fresh scaffold, pass check --strict and test."""
    import re

    from .conftest import ROOT

    doc = (ROOT / "docs" / "rule-language.md").read_text(encoding="utf-8")
    tutorial = doc.split("## Tutorial", 1)[1].split("# Reference", 1)[0]
    blocks = re.findall(r"```yaml\n(.*?)```", tutorial, re.S)
    question, issue, tests = blocks
    directory = tmp_path / "hearing-rights"
    api.new_ruleset(directory)
    (directory / "questions.yaml").write_text((directory / "questions.yaml").read_text() + question)
    issues = directory / "issues" / "due_process.yaml"
    issues.write_text(issues.read_text() + issue)
    test_file = directory / "tests" / "examples.yaml"
    test_file.write_text(test_file.read_text() + tests)
    assert lint.check(directory).diagnostics == ()
    ruleset, loaded = api.load_tests(directory)
    results = api.run_tests(ruleset, loaded)
    assert len(results) == 6 and all(r.passed for r in results), [r.failures for r in results]
