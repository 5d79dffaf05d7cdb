"""Tests for the size limits (transferlaw.language.limits): every cap is a located error, all of a file's reported
at once, and every engine limit is checked before the engine sees anything: a rule set at the limit runs, one just
over it is refused at its condition (durable-rules.md §3 and §5; docs/rule-language.md, "Limits").

Small bad fixtures live in ``tests/data/limits/``; anything big is generated here. Nothing risky runs in this
process: every rule set that reaches durable_rules does so in one fresh interpreter with a timeout
(:func:`engine_runs`), so a regression fails these tests instead of hanging or killing the run.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import pickle
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from transferlaw.batch.sources import Item
from transferlaw.batch.sources import expand
from transferlaw.engine import durable as engine
from transferlaw.engine import fanout
from transferlaw.engine.compile import compile_ruleset
from transferlaw.engine.compiled import INIT
from transferlaw.engine.compiled import SENTINEL
from transferlaw.language import conditions
from transferlaw.language import limits
from transferlaw.language.errors import CompileError
from transferlaw.language.errors import Diagnostic
from transferlaw.language.errors import Position
from transferlaw.language.errors import SourceError
from transferlaw.language.errors import ValidationFailed
from transferlaw.language.model import Conclusion
from transferlaw.language.model import Condition
from transferlaw.language.model import Issue
from transferlaw.language.model import Question
from transferlaw.language.model import RuleSet
from transferlaw.language.model import Text
from transferlaw.language.validate_case import load_case_file
from transferlaw.language.validate_ruleset import load_ruleset_dir
from transferlaw.language.validate_ruleset import load_ruleset_tests
from transferlaw.language.yamlio import load_file
from transferlaw.language.yamlio import load_text

from .conftest import DATA
from .conftest import MINI_RULES
from .conftest import ROOT
from .conftest import run_isolated

LIMITS = DATA / "limits"


def errors_of(load: Callable[[], object]) -> list[str]:
    """Every diagnostic ``load`` raises, formatted ``path:line:col: message (hint)`` with the file's name only."""
    try:
        load()
    except SourceError as exc:
        found: list[Diagnostic] = [exc.diagnostic]
    except ValidationFailed as exc:
        found = list(exc.diagnostics)
    else:
        pytest.fail("expected a located error, but it loaded")
    return [dataclasses.replace(d, pos=dataclasses.replace(d.pos, path=Path(d.pos.path).name)).format()
            for d in found]


def line_of(text: str, needle: str) -> int:
    """The 1-based line of the first line of ``text`` that contains ``needle``."""
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


# --- small fixtures: one per message --------------------------------------------------------------------------

RULESET_FIXTURES = [
    ("long-id", ["ruleset.yaml:10:9: the question id is longer than 100 characters"]),
    ("long-choice-value", ["ruleset.yaml:15:7: the choice value is longer than 100 characters"]),
    ("long-area-id", ["ruleset.yaml:8:3: the area id is longer than 100 characters"]),
    ("number-not-finite", ["ruleset.yaml:13:10: 'min' is out of range (numbers must be finite and below 10^15)"]),
    ("condition-number-too-large",
     ["ruleset.yaml:16:11: the number is too large (numbers must be below 10^15)"]),
    ("condition-number-too-small",
     ["ruleset.yaml:16:11: the number is too small for the rules engine (write 0, or a number of at least 0.0001)"]),
    ("condition-listed-twice", ['ruleset.yaml:19:45: "federal" is listed twice']),
    ("several-limits", [
        "ruleset.yaml:10:9: the question id is longer than 100 characters",
        "ruleset.yaml:16:10: 'max' is out of range (numbers must be finite and below 10^15)",
        "ruleset.yaml:20:11: the number is too small for the rules engine (write 0, or a number of at least 0.0001)",
        "ruleset.yaml:23:31: 12 is listed twice",
    ]),
]


@pytest.mark.parametrize(("name", "expected"), RULESET_FIXTURES, ids=[n for n, _ in RULESET_FIXTURES])
def test_ruleset_fixture_reports_its_located_errors(name: str, expected: list[str]) -> None:
    """Each rule-set fixture fails with exactly these located errors; several-limits reports all of them at once."""
    assert errors_of(lambda: load_ruleset_dir(LIMITS / "rulesets" / name)) == expected


CASE_FIXTURES = [
    ("number-not-finite", "number-not-finite.yaml:4:16: 'months_left' is out of range (numbers must be finite and "
                          "below 10^15)"),
    ("number-huge-integer", "number-huge-integer.yaml:4:16: 'months_left' is out of range (numbers must be finite "
                            "and below 10^15)"),
    ("number-too-small", "number-too-small.yaml:4:16: 'months_left' is too small to be meaningful; round it"),
]


@pytest.mark.parametrize(("name", "expected"), CASE_FIXTURES, ids=[n for n, _ in CASE_FIXTURES])
def test_case_fixture_reports_its_located_error(mini: RuleSet, name: str, expected: str) -> None:
    """Each case fixture (against the mini rule set) is one located error, never an OverflowError or an engine error."""
    assert errors_of(lambda: load_case_file(LIMITS / "cases" / f"{name}.yaml", mini)) == [expected]


def test_every_fixture_is_used() -> None:
    """Every fixture under tests/data/limits is named by a test above."""
    assert {p.name for p in (LIMITS / "rulesets").iterdir()} == {n for n, _ in RULESET_FIXTURES}
    assert {p.stem for p in (LIMITS / "cases").iterdir()} == {n for n, _ in CASE_FIXTURES}


# --- any YAML file ------------------------------------------------------------------------------------------

def test_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    """A YAML file over 5 MB is refused from its size alone (a sparse file: nothing is written or read)."""
    path = tmp_path / "big.yaml"
    with path.open("wb") as f:
        f.truncate(limits.MAX_FILE_BYTES + 1)
    assert errors_of(lambda: load_file(path, "big.yaml")) == [
        "big.yaml: file is too large (5,242,881 bytes; the limit is 5,242,880) (split it into several files)"]


def test_mapping_and_test_files_have_the_size_limit(tmp_path: Path) -> None:
    """A spreadsheet's mapping file and a rule set's test file are YAML files like any other: 5 MB at most."""
    mapping = tmp_path / "mapping.yaml"
    with mapping.open("wb") as f:
        f.truncate(limits.MAX_FILE_BYTES + 1)
    sheet = tmp_path / "sheet.csv"
    sheet.write_text("citizen\nyes\n")
    assert errors_of(lambda: list(expand([sheet], [MINI_RULES], mapping=mapping, ruleset="mini"))) == [
        "mapping.yaml: file is too large (5,242,881 bytes; the limit is 5,242,880) (split it into several files)"]
    directory = write_ruleset(tmp_path, "big-tests", "")
    (directory / "tests").mkdir()
    with (directory / "tests" / "big.yaml").open("wb") as f:
        f.truncate(limits.MAX_FILE_BYTES + 1)
    assert errors_of(lambda: load_ruleset_tests(directory, load_ruleset_dir(directory))) == [
        "big.yaml: file is too large (5,242,881 bytes; the limit is 5,242,880) (split it into several files)"]


def test_text_over_the_size_limit_is_refused() -> None:
    """Case text from stdin or an upload has the same size limit as a file."""
    text = "a: " + "é" * (limits.MAX_FILE_BYTES // 2)
    assert errors_of(lambda: load_text(text, "-")) == [
        "-: file is too large (5,242,883 bytes; the limit is 5,242,880) (split it into several files)"]


def test_too_many_values_are_refused_before_composing() -> None:
    """More than 100,000 values in one file is a located error, found from the event stream, and found fast."""
    text = "- 1\n" * limits.MAX_YAML_NODES  # the list itself is one more value
    started = time.perf_counter()
    assert errors_of(lambda: load_text(text, "many.yaml")) == [
        "many.yaml:100000:3: the file holds more than 100,000 values (split it into several files)"]
    assert time.perf_counter() - started < 5
    assert len(load_text("- 1\n" * (limits.MAX_YAML_NODES - 1), "many.yaml").root) == limits.MAX_YAML_NODES - 1


def test_deep_nesting_is_refused() -> None:
    """More than 64 levels of nesting is a located error (tested in a fresh interpreter in test_yamlio too)."""
    assert errors_of(lambda: load_text("a: " + "[" * 65 + "]" * 65, "deep.yaml")) == [
        "deep.yaml:1:67: nested more than 64 levels deep"]


@pytest.mark.parametrize("quote", ["", "'", '"'])
def test_text_over_the_length_limit_is_located_at_the_value(quote: str) -> None:
    """Any string longer than 20,000 characters is an error at its position; 20,000 is fine."""
    at_limit = "x" * limits.MAX_TEXT_LENGTH
    assert load_text(f"a: 1\nb: {quote}{at_limit}{quote}\n", "t.yaml").root["b"] == at_limit
    assert errors_of(lambda: load_text(f"a: 1\nb: {quote}{at_limit}x{quote}\n", "t.yaml")) == [
        "t.yaml:2:4: the text is longer than 20,000 characters"]


def test_key_over_the_length_limit_is_located() -> None:
    """A key longer than 20,000 characters (YAML's explicit ``?`` form: plain keys stop at 1,024) is an error."""
    assert errors_of(lambda: load_text("a: 1\n? " + "k" * 20_001 + "\n: 2\n", "t.yaml")) == [
        "t.yaml:2:3: a key is longer than 20,000 characters"]


def test_unreadable_long_number_is_shown_shortened() -> None:
    """A value forced to a number it cannot be is an error that quotes only its start; a number too long for
    Python's int() loads as infinity, refused as out of range where it is checked (issue 13, point 6)."""
    assert errors_of(lambda: load_text("a: !!int " + "x" * 5000 + "\n", "t.yaml")) == [
        f"t.yaml:1:4: cannot read the value '{'x' * 40}...'"]
    assert load_text("a: " + "9" * 5000 + "\n", "t.yaml").root == {"a": float("inf")}


# --- rule sets ------------------------------------------------------------------------------------------------

META = """id: {name}
title: Generated
version: "1"
as_of: 2026-01-01
jurisdiction: Testland
description: Generated by test_limits.
areas:
  status: Status
"""
QUESTION = "  - id: q{i}\n    prompt: Is it so?\n    type: boolean\n"
CONCLUSION = "  - id: c{i}\n    title: So\n    when: q0\n"
ISSUE = ("  - id: i{i}\n    title: An issue\n    area: status\n    severity: low\n    when: q0\n    rule: R.\n"
         "    application: A.\n    counterargument: C.\n    conclusion: D.\n")
AUTHORITY = ("  - id: a{i}\n    citation: Case {i}\n    kind: case\n    proposition: It holds.\n"
             "    verified: false\n")


def write_ruleset(tmp_path: Path, name: str, body: str) -> Path:
    directory = tmp_path / name
    directory.mkdir()
    (directory / "ruleset.yaml").write_text(META.format(name=name) + body, encoding="utf-8")
    return directory


def items(template: str, count: int) -> str:
    return "".join(template.format(i=i) for i in range(count))


def spec_keys(section: str) -> str:
    from transferlaw.language import ruleset_files

    spec = {"questions": ruleset_files.QUESTION, "conclusions": ruleset_files.CONCLUSION,
            "issues": ruleset_files.ISSUE, "authorities": ruleset_files.AUTHORITY}[section]
    return ", ".join(spec)


@pytest.mark.parametrize(("section", "template", "what", "cap"), [
    ("questions", QUESTION, "a question", limits.MAX_QUESTIONS),
    ("conclusions", CONCLUSION, "a conclusion", limits.MAX_CONCLUSIONS),
    ("issues", ISSUE, "an issue", limits.MAX_ISSUES),
    ("authorities", AUTHORITY, "an authority", limits.MAX_AUTHORITIES),
], ids=["questions", "conclusions", "issues", "authorities"])
def test_sections_are_capped(tmp_path: Path, section: str, template: str, what: str, cap: int) -> None:
    """The item past a section's cap is the error; the items before it are still checked, those after it not."""
    head = "" if section == "questions" else "questions:\n" + QUESTION.format(i=0)
    assert load_ruleset_dir(write_ruleset(tmp_path, "at-cap", head + f"{section}:\n" + items(template, cap)))
    listed = [template.format(i=i) for i in range(cap + 2)]
    listed[1] += "    bogus: 1\n"
    listed[cap + 1] += "    ignored: 1\n"
    body = head + f"{section}:\n" + "".join(listed)
    text = META.format(name="over") + body
    first = template.format(i=cap).splitlines()[0]
    assert errors_of(lambda: load_ruleset_dir(write_ruleset(tmp_path, "over", body))) == [
        f"ruleset.yaml:{line_of(text, 'bogus: 1')}:5: unknown key 'bogus' in {what} (allowed: {spec_keys(section)})",
        f"ruleset.yaml:{text.splitlines().index(first) + 1}:5: more than {cap:,} {section} in the rule set "
        "(split the rule set)",
    ]


def test_areas_choices_and_lists_are_capped_all_reported_at_once(tmp_path: Path) -> None:
    """Areas, choices, an issue's next steps and authorities: each past its cap at its first extra item, together."""
    areas = "".join(f"  area{i}: Area {i}\n" for i in range(limits.MAX_AREAS))
    choices = "".join(f"      v{i}: Value {i}\n" for i in range(limits.MAX_CHOICES + 1))
    steps = "".join(f"      - Step {i}.\n" for i in range(limits.MAX_LIST_ITEMS + 1))
    body = (areas + "questions:\n" + QUESTION.format(i=0) + "  - id: pick\n    prompt: Which?\n    type: choice\n"
            "    choices:\n" + choices
            + "authorities:\n" + AUTHORITY.format(i=0) + "issues:\n" + ISSUE.format(i=0)
            + "    next_steps:\n" + steps + "    authorities: [" + ", ".join(["a0"] * 101) + "]\n")
    text = META.format(name="lists") + body
    found = errors_of(lambda: load_ruleset_dir(write_ruleset(tmp_path, "lists", body)))
    refs = text.splitlines()[line_of(text, "authorities: [a0") - 1]
    assert found == [
        f"ruleset.yaml:{line_of(text, 'area99:')}:3: more than 100 areas",
        f"ruleset.yaml:{line_of(text, 'v200:')}:7: more than 200 choices",
        f"ruleset.yaml:{line_of(text, 'Step 100.')}:9: more than 100 next steps in one issue",
        f"ruleset.yaml:{line_of(text, 'authorities: [a0')}:{len(refs) - 2}: more than 100 authorities in one issue",
    ]


def test_long_ruleset_id_is_located(tmp_path: Path) -> None:
    """A rule-set id (and so its directory name) longer than 100 characters is an error at the id."""
    name = "r" * (limits.MAX_ID_LENGTH + 1)
    assert errors_of(lambda: load_ruleset_dir(write_ruleset(tmp_path, name, ""))) == [
        "ruleset.yaml:1:5: the rule-set id is longer than 100 characters"]


def test_files_of_a_rule_set_are_capped(tmp_path: Path) -> None:
    """More than 200 definition files, or 200 test files, is an error naming the first file past the cap."""
    directory = write_ruleset(tmp_path, "files", "questions:\n" + QUESTION.format(i=0))
    (directory / "issues").mkdir()
    for n in range(limits.MAX_RULESET_FILES):
        (directory / "issues" / f"f{n:03}.yaml").write_text("issues: []\n")
    assert errors_of(lambda: load_ruleset_dir(directory)) == [
        "f199.yaml: more than 200 files in the rule set (merge some of them)"]
    (directory / "issues" / "f199.yaml").unlink()
    ruleset = load_ruleset_dir(directory)
    (directory / "tests").mkdir()
    for n in range(limits.MAX_RULESET_FILES + 1):
        (directory / "tests" / f"t{n:03}.yaml").write_text("tests: []\n")
    assert errors_of(lambda: load_ruleset_tests(directory, ruleset)) == [
        "t200.yaml: more than 200 test files in the rule set (merge some of them)"]


def test_tests_and_missing_lists_are_capped(tmp_path: Path) -> None:
    """More than 2,000 tests, and more than 100 missing facts for one issue, are errors at the first one past."""
    directory = write_ruleset(tmp_path, "tests-cap", "questions:\n" + QUESTION.format(i=0) + "issues:\n"
                              + ISSUE.format(i=0))
    ruleset = load_ruleset_dir(directory)
    (directory / "tests").mkdir()
    missing = "  - name: missing\n    facts: {}\n    expect: {}\n    missing:\n      i0: [" + ", ".join(
        ["q0"] * 101) + "]\n"
    text = "tests:\n" + missing + "".join(f"  - name: t{i}\n    facts: {{}}\n    expect: {{}}\n"
                                         for i in range(limits.MAX_TESTS))
    (directory / "tests" / "many.yaml").write_text(text)
    wide = text.splitlines()[5]
    assert errors_of(lambda: load_ruleset_tests(directory, ruleset)) == [
        f"many.yaml:6:{wide.index('[') + 2 + 4 * 100}: more than 100 missing facts for one issue",
        f"many.yaml:{line_of(text, 'name: t1999')}:5: more than 2,000 tests in the rule set (keep the tests that "
        "pin down distinct results)",
    ]


# --- cases ----------------------------------------------------------------------------------------------------

def case_text(facts: str) -> str:
    return f"ruleset: mini\ntitle: Generated\nfacts:\n{facts}"


@pytest.mark.parametrize("value", [".nan", "-.inf", "1.5e+300", "9223372036854775808", "1000000000000000",
                                   "-1000000000000000"])
def test_numbers_out_of_range_in_a_case(mini: RuleSet, value: str) -> None:
    """NaN, infinities, exponents past 10^15 and integers of 2^63 or 10^15 are located errors, never engine input."""
    from transferlaw.language.validate_case import case_from_mapping

    doc = load_text(case_text(f"  months_left: {value}\n"), "case.yaml")
    assert errors_of(lambda: case_from_mapping(doc.root, mini, "case.yaml")) == [
        "case.yaml:4:16: 'months_left' is out of range (numbers must be finite and below 10^15)"]


@pytest.mark.parametrize(("key", "value"), [("custodian", "f" * 70_000), ("name", "n" * 20_001)])
def test_long_answers_are_located_at_the_value(mini: RuleSet, key: str, value: str) -> None:
    """An answer of more than 20,000 characters (a choice or a text) is an error at its value, not an engine error."""
    from transferlaw.language.validate_case import case_from_mapping

    doc_text = case_text(f"  {key}: {value}\n")
    assert errors_of(lambda: case_from_mapping(load_text(doc_text, "case.yaml").root, mini, "case.yaml")) == [
        f"case.yaml:4:{len(key) + 5}: the text is longer than 20,000 characters"]
    at_limit = load_text(case_text("  name: " + "n" * limits.MAX_TEXT_LENGTH + "\n"), "case.yaml").root
    assert len(str(case_from_mapping(at_limit, mini, "case.yaml").facts["name"])) == limits.MAX_TEXT_LENGTH


def test_list_answer_is_capped(mini: RuleSet) -> None:
    """A multi answer of more than 200 items is one error at the first item past, not one per item."""
    from transferlaw.language.validate_case import case_from_mapping

    doc = load_text(case_text("  conditions: [" + ", ".join(["crowding"] * 201) + "]\n"), "case.yaml")
    assert errors_of(lambda: case_from_mapping(doc.root, mini, "case.yaml")) == [
        f"case.yaml:4:{16 + 10 * 200}: 'conditions' lists more than 200 items (it has 2 choices; list each at most "
        "once)"]


# --- spreadsheets ---------------------------------------------------------------------------------------------

def sheet(tmp_path: Path, text: str, name: str = "sheet.csv") -> list[Item]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return list(expand([path], [MINI_RULES], ruleset="mini"))


def problems(found: list[Item]) -> list[str]:
    return [dataclasses.replace(d, pos=dataclasses.replace(d.pos, path=Path(d.pos.path).name)).format()
            for item in found for d in item.problems]


def test_csv_over_the_size_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    """A CSV file over 64 MB is one problem from its size alone (a sparse file: nothing is written or read)."""
    path = tmp_path / "big.csv"
    with path.open("wb") as f:
        f.truncate(limits.MAX_CSV_BYTES + 1)
    found = list(expand([path], [MINI_RULES], ruleset="mini"))
    assert problems(found) == ["big.csv: file is too large (67,108,865 bytes; the limit is 67,108,864) (split it "
                               "into several CSV files)"]


def test_csv_rows_are_capped(tmp_path: Path) -> None:
    """More than 100,000 rows is one problem at the first row past, found without reading the rows."""
    found = sheet(tmp_path, "citizen\n" + "yes\n" * (limits.MAX_CSV_ROWS + 1))
    assert problems(found) == ["sheet.csv:100002:1: the file has more than 100,000 rows (split it into several CSV "
                               "files)"]


def test_csv_columns_are_capped(tmp_path: Path) -> None:
    """A header of more than 1,000 columns is one problem at the first column past."""
    found = sheet(tmp_path, ",".join(f"c{i:04}" for i in range(limits.MAX_CSV_COLUMNS + 1)) + "\nx\n")
    assert problems(found) == [f"sheet.csv:1:{6 * 1000 + 1}: the header row has more than 1,000 columns"]


def test_csv_cells_are_capped(tmp_path: Path) -> None:
    """A cell of more than 20,000 characters is an error at the cell, in a row or in the header; 20,000 is fine."""
    found = sheet(tmp_path, "citizen,name\nyes," + "n" * limits.MAX_TEXT_LENGTH + "\nno," + "n" * 20_001 + "\n")
    assert found[0].ok and len(str(found[0].case.facts["name"])) == limits.MAX_TEXT_LENGTH  # type: ignore[union-attr]
    assert problems(found) == ["sheet.csv:3:4: the cell is longer than 20,000 characters"]
    found = sheet(tmp_path, "citizen," + "h" * 20_001 + "\nyes,\n", "header.csv")
    assert problems(found) == ["header.csv:1:9: the cell is longer than 20,000 characters"]


def test_csv_cell_past_the_csv_readers_limit(tmp_path: Path) -> None:
    """A cell too long for Python's csv reader (131,072) stops the file with a problem that says why."""
    found = sheet(tmp_path, "citizen,name\nyes,ok\nno," + "n" * 140_000 + "\nyes,later\n")
    assert found[0].ok
    assert problems(found) == ["sheet.csv:3:1: a cell of this row is far longer than 20,000 characters, so the file "
                               "cannot be read past it (shorten the cell, or check for a quote that never closes)"]


def test_csv_numbers_and_lists_stay_bounded(tmp_path: Path) -> None:
    """A 5,000-digit number is out of range, not a crash; 2,000 list items in a cell read in linear time (was 12 s)."""
    started = time.perf_counter()
    found = sheet(tmp_path, "months_left,conditions\n1" + "0" * 5000 + ',\n,"' + "crowding," * 2_000 + '"\n')
    assert time.perf_counter() - started < 5
    assert problems(found) == [
        "sheet.csv:2:1: 'months_left' is out of range (numbers must be finite and below 10^15)",
        f"sheet.csv:3:{3 + 9 * 200}: 'conditions' lists more than 200 items (it has 2 choices; list each at most once)",
    ]


# --- the engine: at each limit a rule set runs, one past it is refused at its condition ---------------------------
#
# Each builder makes a rule set whose size is ``n``; ``AT_LIMIT`` is the largest ``n`` that compiles. The rule sets at
# the limit all run in one fresh interpreter (``engine_runs``), checked against the Python evaluator; the ones past
# it are compiled here and never reach the engine.

SOURCE = "limits.yaml"


def _cond(text: str, line: int) -> Condition:
    return Condition(text=text, expr=conditions.parse(text), pos=Position(SOURCE, line, 11))


def _boolean(i: int) -> Question:
    return Question(id=f"q{i}", prompt="?", type="boolean", pos=Position(SOURCE))


_X = Question(id="x", prompt="x?", type="number", pos=Position(SOURCE))
_TEXT = Text(source="t", pos=Position(SOURCE))


def _conclusion(ident: str, text: str, line: int) -> Conclusion:
    return Conclusion(id=ident, title=ident, when=_cond(text, line), pos=Position(SOURCE))


def _issue(ident: str, text: str, line: int) -> Issue:
    return Issue(id=ident, title=ident, area="a", severity="low", when=_cond(text, line), rule=_TEXT,
                 application=_TEXT, counterargument=_TEXT, conclusion=_TEXT, pos=Position(SOURCE))


def _ruleset(questions: list[Question], conclusions: list[Conclusion], issues: list[Issue] | None = None) -> RuleSet:
    return RuleSet(id="limits", title="l", version="1", as_of=dt.date(2026, 1, 1), jurisdiction="j", description="d",
                   areas=(("a", "A"),), questions=tuple(questions), conclusions=tuple(conclusions),
                   issues=tuple(issues or ()), authorities=(), path=SOURCE)


def children(n: int) -> RuleSet:
    """``x in [0, ..., n-1]``: n tests after one test (and one more for the condition's 'false' side)."""
    return _ruleset([_X], [_conclusion("wide", "x in [" + ", ".join(map(str, range(n))) + "]", 1)])


def same_end(n: int) -> RuleSet:
    """n issues that use one conclusion: n rules end on its derived-fact test."""
    return _ruleset([_X, _boolean(0)], [_conclusion("c", "q0", 1)],
                    [_issue(f"i{k}", f"c and x == {k}", k + 2) for k in range(n)])


def rules(n: int) -> RuleSet:
    """n conclusions of two rules each, and the sentinel and init rules: 2n + 2 engine rules."""
    return _ruleset([_X], [_conclusion(f"c{i}", f"x == {i}", i + 1) for i in range(n)])


def join(n: int) -> RuleSet:
    """One issue that joins the case with n conclusions."""
    return _ruleset([_boolean(i) for i in range(n)] + [_X], [_conclusion(f"c{i}", f"q{i}", i + 1) for i in range(n)],
                    [_issue("all", "x == 1 and " + " and ".join(f"c{i}" for i in range(n)), n + 1)])


def terms(n: int) -> RuleSet:
    """``(c0 or c1) and (c2 or c3) and ...``: n pairs, 2^n alternatives over conclusions."""
    return _ruleset([_boolean(i) for i in range(2 * n)],
                    [_conclusion(f"c{i}", f"q{i}", i + 1) for i in range(2 * n)],
                    [_issue("terms", " and ".join(f"(c{2 * i} or c{2 * i + 1})" for i in range(n)), 2 * n + 1)])


def keys(n: int) -> RuleSet:
    """Conditions that read n questions: n keys of the case fact, beside sid, kind and the bucket tests."""
    return _ruleset([_boolean(i) for i in range(n)], [_conclusion(f"c{i}", f"q{i}", i + 1) for i in range(n)])


def stack(n: int) -> RuleSet:
    """``q0 or q1 or ...``: a case with every answer true matches n tests at once."""
    return _ruleset([_boolean(i) for i in range(n)], [_conclusion("wide", " or ".join(f"q{i}" for i in range(n)), 1)])


LIMIT_CASES: dict[str, tuple[Callable[[int], RuleSet], int, str]] = {
    # builder, the largest size that compiles, the error one past it
    "children": (children, limits.MAX_ALPHA_CHILDREN - 1,
                 "limits.yaml:1:11: with the condition of 'wide', more than 480 different tests follow one test in the "
                 "rules engine (it hangs beyond 512) (shorten long 'in [...]' lists (a range for numbers), or split "
                 "the rule set)"),
    "same_end": (same_end, limits.MAX_ALPHA_RULES,
                 "limits.yaml:242:11: with the condition of 'i240', more than 240 engine rules end on one identical "
                 "test (it fails beyond 256) (conditions that repeat one test, or that use one conclusion, add up: "
                 "combine them, or split the rule set)"),
    "rules": (rules, (limits.MAX_RULES - 2) // 2,
              "limits.yaml:2000:11: the rule set needs more than 4,000 engine rules; they run out at the condition "
              "of 'c1999' (simplify conditions (each alternative is a rule), or split the rule set)"),
    "join": (join, limits.MAX_JOIN - 1,
             "limits.yaml:16:11: the condition of 'all' joins 15 conclusions in one alternative; the rules engine "
             "joins at most 14 (combine some of them into one conclusion)"),
    "terms": (terms, 6,
              "limits.yaml:15:11: the condition of 'terms' is too complex for the rules engine (more than 64 "
              "alternatives) (move part of it into a conclusion)"),
    "keys": (keys, 223,
             "limits.yaml:224:11: with the condition of 'c223', conditions read 224 questions; the rules engine "
             "takes at most 223 (test fewer questions in conditions, or split the rule set)"),
    "stack": (stack, 55,
              "limits.yaml:1:11: with the condition of 'wide', a case could match 61 tests at once in the rules "
              "engine, more than 60 (it fails beyond 64) (an 'or' of many different questions matches many tests "
              "at once: split it into conclusions)"),
}


def _facts_for(name: str, ruleset: RuleSet) -> list[dict[str, Any]]:
    """Cases that exercise a rule set at its limit: everything true, everything false, nothing known, and more."""
    ids = [q.id for q in ruleset.questions]
    facts: list[dict[str, Any]] = [{}]
    facts.append({i: 1 if i == "x" else True for i in ids})
    facts.append({i: 0 if i == "x" else False for i in ids})
    if name in ("children", "same_end", "rules"):
        facts += [{"x": 7, "q0": True}, {"x": 478, "q0": True}, {"x": 100_000}]
    return facts


@pytest.fixture(scope="module")
def engine_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Every rule set at its limit, run on durable_rules in one fresh interpreter with a timeout: name -> outcome."""
    jobs = {name: (build(at), _facts_for(name, build(at))) for name, (build, at, _) in LIMIT_CASES.items()}
    jobs["groups"] = (groups_ruleset(GROUPS_AT), [{}, {f"q{i}": True for i in range(40)},
                                                  {f"q{i}": i % 3 == 0 for i in range(40)}])
    path = tmp_path_factory.mktemp("engine") / "jobs.pickle"
    path.write_bytes(pickle.dumps(jobs))
    done = run_isolated(f"""
        import json, pickle
        from transferlaw.engine import evaluate
        for name, (ruleset, cases) in pickle.loads(open({str(path)!r}, "rb").read()).items():
            try:
                for facts in cases:
                    evaluate.values(ruleset, facts, "durable")  # durable, cross-checked by the Python evaluator
                outcome = "ok"
            except Exception as exc:
                outcome = f"{{type(exc).__name__}}: {{exc}}"
            print(json.dumps([name, outcome]), flush=True)
    """, timeout=120)
    assert done.returncode == 0, done.stderr
    return dict(json.loads(line) for line in done.stdout.splitlines())


@pytest.mark.parametrize("name", list(LIMIT_CASES))
def test_engine_limit_at_the_limit_runs_and_past_it_is_located(name: str, request: pytest.FixtureRequest) -> None:
    """At the limit the rule set runs on durable (in a subprocess); one past it is a CompileError at its condition."""
    build, at, message = LIMIT_CASES[name]
    compile_ruleset(build(at))
    if engine.available():
        assert request.getfixturevalue("engine_runs")[name] == "ok"
    with pytest.raises(CompileError) as info:
        compile_ruleset(build(at + 1))
    assert info.value.diagnostic.format() == message


def test_every_condition_past_a_limit_is_reported_at_once() -> None:
    """Two conditions over the engine's limits: both located in one error (and in `transferlaw check`)."""
    n = limits.MAX_JOIN
    ruleset = _ruleset([_boolean(i) for i in range(n)] + [_X],
                       [_conclusion(f"c{i}", f"q{i}", i + 1) for i in range(n)],
                       [_issue("all", "x == 1 and " + " and ".join(f"c{i}" for i in range(n)), n + 1),
                        _issue("terms", " and ".join(f"(c{2 * i} or c{2 * i + 1})" for i in range(7)), n + 2)])
    with pytest.raises(CompileError) as info:
        compile_ruleset(ruleset)
    assert [d.format() for d in info.value.diagnostics] == [
        f"limits.yaml:{n + 1}:11: the condition of 'all' joins 15 conclusions in one alternative; the rules engine "
        "joins at most 14 (combine some of them into one conclusion)",
        f"limits.yaml:{n + 2}:11: the condition of 'terms' is too complex for the rules engine (more than 64 "
        "alternatives) (move part of it into a conclusion)",
    ]
    assert info.value.report().count("\n") == 1


def groups_ruleset(depth: int) -> RuleSet:
    """``q0 and (q1 or (q2 and (q3 or ...)))``, nested ``depth`` deep: one engine pattern per group of nesting."""
    text = f"q{depth}"
    for i in reversed(range(depth)):
        text = f"q{i} {'and' if i % 2 == 0 else 'or'} ({text})"
    return _ruleset([_boolean(i) for i in range(depth + 1)], [_conclusion("deep", text, 1)])


def _max_groups(ruleset: RuleSet) -> int:
    from transferlaw.engine.compile import _groups

    return max(_groups(next(iter(p.values()))) for r in compile_ruleset(ruleset).rules.values() for p in r["all"])


GROUPS_AT = 13  # the deepest condition whose patterns are not split


def test_patterns_stay_within_the_group_limit(request: pytest.FixtureRequest) -> None:
    """A pattern reaches 14 groups and runs; deeper conditions are split so that no pattern passes 14 (113 at 16)."""
    assert _max_groups(groups_ruleset(GROUPS_AT)) == limits.MAX_GROUPS
    assert len(compile_ruleset(groups_ruleset(GROUPS_AT)).rules) < len(compile_ruleset(groups_ruleset(30)).rules)
    assert _max_groups(groups_ruleset(30)) <= limits.MAX_GROUPS
    if engine.available():
        assert request.getfixturevalue("engine_runs")["groups"] == "ok"


def test_alpha_list_limit_is_modelled() -> None:
    """The known(...) list of one node: 120 fit (durable takes 128, error 107 beyond), the 121st is named."""
    def known_rules(n: int) -> dict[str, dict[str, Any]]:
        found = {f"r{i}": {"all": [{"m": {"$and": [{"kind": "case"}, {"$nex": {f"a{i}": 1}}]}}]} for i in range(n)}
        found[SENTINEL] = {"pri": 1000, "all": [{"m": {"kind": "case"}}]}
        found[INIT] = {"all": [{"m": {"kind": "init"}}]}
        return found

    assert fanout.overflow(known_rules(limits.MAX_ALPHA_LIST)) is None
    assert fanout.overflow(known_rules(limits.MAX_ALPHA_LIST + 1)) == fanout.Overflow("r120", *fanout.LISTED)
    if engine.available():  # and durable takes them: registered, and a case runs (in a fresh interpreter)
        done = run_isolated(f"""
            from transferlaw.engine import durable as engine
            from transferlaw.engine.compiled import CompiledRuleSet
            rules = {known_rules(limits.MAX_ALPHA_LIST)!r}
            eng = engine.DurableEngine(CompiledRuleSet(
                name="known@1", rules=rules, actions={{f"r{{i}}": (f"k{{i}}", True) for i in range(120)}},
                derived=frozenset(), attributes=tuple(f"a{{i}}" for i in range(120)), lists=frozenset()))
            print(eng.decide({{f"a{{i}}": 1 for i in range(120)}}))
        """, timeout=60)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == "{}"


def test_repeated_alternatives_are_compiled_once() -> None:
    """``q0 or q0 or ...`` compiles like ``q0``: each repeat would be pushed on durable's walk stack (error 303)."""
    repeated = _ruleset([_boolean(0)], [_conclusion("c", " or ".join(["q0"] * 200), 1)])
    single = _ruleset([_boolean(0)], [_conclusion("c", "q0", 1)])
    assert compile_ruleset(repeated).rules == compile_ruleset(single).rules


def test_one_live_sid_at_a_time() -> None:
    """Every case runs in its own sid, deleted before the next starts: never more than one live (1,024 crashes)."""
    if not engine.available():
        pytest.skip("durable_rules is not importable here")
    done = run_isolated("""
        import json, threading
        from transferlaw import api
        from transferlaw.engine import durable as engine
        from transferlaw.engine import evaluate
        real = engine._dre
        live, peak, lock = set(), [0], threading.Lock()

        class Spy:
            def __getattr__(self, name):
                return getattr(real, name)
            def assert_fact(self, handle, text):
                with lock:
                    live.add(json.loads(text)["sid"])
                    peak[0] = max(peak[0], len(live))
                return real.assert_fact(handle, text)
            def delete_state(self, handle, sid):
                with lock:
                    live.discard(sid)
                return real.delete_state(handle, sid)

        engine._dre = Spy()
        rs = api.load_ruleset("tests/data/rules/mini")
        def work(n):
            for i in range(300):
                evaluate.values(rs, {"citizen": (i + n) % 2 == 0, "custodian": "state"}, "durable")
        threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
        for t in threads: t.start()
        for t in threads: t.join()
        print(peak[0], len(live))
    """, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1", "0"]


# --- the docs ---------------------------------------------------------------------------------------------------

def test_docs_list_every_limit() -> None:
    """docs/rule-language.md's Limits section names every limit of transferlaw.language.limits with its value."""
    text = (ROOT / "docs" / "rule-language.md").read_text(encoding="utf-8")
    section = text[text.index("\n## Limits"):]
    section = section[:section.find("\n## ", 5)] if "\n## " in section[5:] else section
    for name in dir(limits):
        value = getattr(limits, name)
        if not name.startswith("MAX_") and not name.startswith("MIN_") or not isinstance(value, (int, float)):
            continue
        shown = {1e15: "10^15", 1e-4: "0.0001", 2**53: "2^53"}.get(value, f"{value:,}")
        assert re.search(rf"`{name}`", section), name
        assert shown in section, (name, shown)
