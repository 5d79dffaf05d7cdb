"""Keep the docs honest: the README quick start, .ci/run, and the rule-language reference."""

from __future__ import annotations

import re

from transferlaw import validate_ruleset
from transferlaw.cli import cli
from transferlaw.validate_case import CASE

from .conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
REFERENCE = (ROOT / "docs" / "rule-language.md").read_text(encoding="utf-8")


def test_quick_start_has_exactly_two_commands() -> None:
    """The README opens with a quick start of two one-line commands: install+memo, install+tests."""
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, re.S)
    commands = [line for block in blocks for line in block.splitlines() if line.strip()]
    assert len(commands) == 2
    assert commands[0].startswith("pip install . && transferlaw run cases/")
    assert commands[1].startswith('pip install -e ".[test]" && ruff check . && mypy && pytest')
    case = commands[0].split("transferlaw run ", 1)[1].split()[0]
    assert (ROOT / case).is_file()


def test_ci_runs_the_readme_test_command() -> None:
    """.ci/run executes the README's test command line."""
    script = (ROOT / ".ci" / "run").read_text()
    assert "README.md" in script and "eval" in script


def test_every_command_is_in_the_readme() -> None:
    """Each CLI command is documented in the README."""
    for name in cli.commands:
        assert f"transferlaw {name}" in README


def test_reference_documents_every_key() -> None:
    """Every key the validator accepts appears in docs/rule-language.md."""
    specs = [validate_ruleset.META, validate_ruleset.QUESTION, validate_ruleset.CONCLUSION, validate_ruleset.ISSUE,
             validate_ruleset.AUTHORITY, validate_ruleset.TEST, validate_ruleset.EXPECT, CASE]
    for spec in specs:
        for key in spec:
            assert f"`{key}`" in REFERENCE, key
