"""A rule-set file that does not parse is reported first and alone, with a hint (issue 13, point 17).

Fixtures live in ``tests/data/invalid/parse-first/<name>/``: a rule set whose questions are in a file that
does not parse, so that its issues' conditions and texts would name questions that are not there. The broken
file sorts after ruleset.yaml, so a knock-on error would come first if any were reported.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from transferlaw.cli import cli
from transferlaw.language import yamlio
from transferlaw.language.errors import Diagnostic
from transferlaw.language.errors import SourceError
from transferlaw.language.errors import ValidationFailed
from transferlaw.language.errors import display_path
from transferlaw.language.validate_ruleset import load_ruleset_dir
from transferlaw.language.validate_ruleset import load_ruleset_tests

from .conftest import DATA
from .conftest import MINI_RULES

PARSE_FIRST = DATA / "invalid" / "parse-first"
TAB_HINT = "indent with spaces: YAML does not allow a tab there"
INDENT_HINT = "check the indentation: the keys of one mapping, and the '-' items of one list, start in the same column"
QUOTE_HINT = "put a value that contains ': ' in quotes"

FIXTURES = [
    ("tab-in-questions", 6, 1, f"invalid YAML: found a tab character that violates indentation ({TAB_HINT})"),
    ("questions-indented-wrongly", 6, 4, f"invalid YAML: did not find expected '-' indicator ({INDENT_HINT})"),
]


def diagnostics(directory: Path) -> tuple[Diagnostic, ...]:
    with pytest.raises(ValidationFailed) as info:
        load_ruleset_dir(directory)
    return info.value.diagnostics


@pytest.mark.parametrize(("name", "line", "col", "message"), FIXTURES, ids=[f[0] for f in FIXTURES])
def test_a_file_that_does_not_parse_is_reported_alone(name: str, line: int, col: int, message: str) -> None:
    """Only the YAML error, at the broken file's line and column, with its hint: no 'unknown name' errors
    from the files that name what the broken file would have defined."""
    directory = PARSE_FIRST / name
    [diagnostic] = diagnostics(directory)
    assert diagnostic.format() == f"{display_path(directory / 'zz-questions.yaml')}:{line}:{col}: {message}"


def test_check_prints_the_yaml_error_alone_and_counts_one_error() -> None:
    """`transferlaw check` shows the one YAML error and '1 error, 0 warnings'."""
    directory = PARSE_FIRST / "tab-in-questions"
    result = CliRunner().invoke(cli, ["check", str(directory)])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [f"{display_path(directory / 'zz-questions.yaml')}:6:1: invalid YAML: found "
                                          f"a tab character that violates indentation ({TAB_HINT})"]
    assert result.stdout.splitlines() == [f"{display_path(directory)}: 1 error, 0 warnings"]


def test_every_file_that_does_not_parse_is_reported(tmp_path: Path) -> None:
    """Two broken files: both YAML errors, and nothing else."""
    directory = tmp_path / "tab-in-questions"
    directory.mkdir()
    for source in (PARSE_FIRST / "tab-in-questions").iterdir():
        (directory / source.name).write_bytes(source.read_bytes())
    (directory / "authorities.yaml").write_text("authorities:\n  - id: a\n   kind: case\n", encoding="utf-8")
    found = diagnostics(directory)
    assert [(Path(d.pos.path).name, d.pos.line) for d in found] == [("authorities.yaml", 3), ("zz-questions.yaml", 6)]
    assert all(d.message.startswith("invalid YAML") for d in found)


def test_a_test_file_that_does_not_parse_is_reported_alone(tmp_path: Path) -> None:
    """The same for a rule set's test files: a broken test file's YAML error, not the other files' errors."""
    directory = tmp_path / "mini"
    directory.mkdir()
    (directory / "ruleset.yaml").write_bytes((MINI_RULES / "mini" / "ruleset.yaml").read_bytes())
    (directory / "tests").mkdir()
    (directory / "tests" / "a.yaml").write_text("tests:\n  - name: x\n    facts: {nope: 1}\n    expect: {}\n",
                                                encoding="utf-8")
    (directory / "tests" / "b.yaml").write_text("tests:\n\t- name: y\n", encoding="utf-8")
    ruleset = load_ruleset_dir(directory)
    with pytest.raises(ValidationFailed) as info:
        load_ruleset_tests(directory, ruleset)
    [diagnostic] = info.value.diagnostics
    assert (Path(diagnostic.pos.path).name, diagnostic.pos.line, diagnostic.hint) == ("b.yaml", 2, TAB_HINT)


@pytest.mark.parametrize(("text", "hint"), [
    ("questions:\n  - id: a\n\tprompt: b\n", TAB_HINT),
    ("a:\n\t- 1\n", TAB_HINT),
    ("questions:\n  - id: a\n    prompt: b\n   type: c\n", INDENT_HINT),
    ("questions:\n  - id: a\n    prompt: b\n      type: c\n", INDENT_HINT),
    ("questions:\n  - id: a\n - id: b\n", INDENT_HINT),
    ("a: 1\n b: 2\n", INDENT_HINT),
    ("a: b: c\n", QUOTE_HINT),
    ("title: Exile: a memo\n", QUOTE_HINT),
    ("a: [1, 2\n", None),
])
def test_yaml_syntax_errors_carry_a_hint_for_tabs_and_indentation(text: str, hint: str | None) -> None:
    """A tab, a line indented wrongly and an unquoted ': ' in a value each get their own hint."""
    with pytest.raises(SourceError) as info:
        yamlio.load_text(text, "x.yaml")
    assert info.value.diagnostic.message.startswith("invalid YAML: ")
    assert info.value.diagnostic.hint == hint


def test_every_parse_first_fixture_is_covered() -> None:
    """Every directory under tests/data/invalid/parse-first is named above."""
    assert {p.name for p in PARSE_FIRST.iterdir() if p.is_dir()} == {f[0] for f in FIXTURES}
