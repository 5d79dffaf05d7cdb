"""Tests for validate_ruleset.py and validate_case.py: one tiny bad fixture per error message (openfisca style).

Rule-set fixtures live in ``tests/data/invalid/rulesets/<name>/`` (the rule-set id equals the directory name);
case fixtures in ``tests/data/invalid/cases/<name>.yaml`` are checked against the ``mini`` rule set. Each test
asserts the message (and hint) fragment, the file, the line and, where it is meaningful, the column.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import pytest

from transferlaw import api
from transferlaw.language.errors import Diagnostic
from transferlaw.language.errors import SourceError
from transferlaw.language.errors import TransferlawError
from transferlaw.language.errors import ValidationFailed
from transferlaw.language.model import RuleSet
from transferlaw.language.validate_case import case_from_mapping
from transferlaw.language.validate_case import load_case_file
from transferlaw.language.validate_ruleset import load_ruleset_dir
from transferlaw.language.validate_ruleset import load_ruleset_tests
from transferlaw.language.yamlio import load_text

from .conftest import DATA
from .conftest import MINI_RULES

INVALID = DATA / "invalid"
RULESETS = INVALID / "rulesets"
CASES = INVALID / "cases"


class Bad(NamedTuple):
    """One bad fixture and the single diagnostic it must produce."""

    name: str
    fragment: str  # must appear in "message (hint)"
    line: int
    col: int | None  # None where the column carries no meaning (e.g. a whole template)
    file: str = "ruleset.yaml"


def diagnostics_of(load: Callable[[], object]) -> list[Diagnostic]:
    """Call ``load`` and return every diagnostic it raises (failing the test if it raises none)."""
    try:
        load()
    except SourceError as exc:
        return [exc.diagnostic]
    except ValidationFailed as exc:
        return list(exc.diagnostics)
    pytest.fail("expected a validation error, but the file loaded")


def assert_single(found: list[Diagnostic], bad: Bad, directory: Path) -> None:
    """Exactly one diagnostic, at the expected file, line and column, with the expected text."""
    assert len(found) == 1, "\n".join(d.format() for d in found)
    diag = found[0]
    text = diag.format()
    assert bad.fragment in text
    assert Path(diag.pos.path).resolve() == (directory / bad.file).resolve(), text
    assert diag.pos.line == bad.line, text
    if bad.col is not None:
        assert diag.pos.col == bad.col, text


# --- rule sets -------------------------------------------------------------------------------------

RULESET_CASES = [
    Bad("unknown-top-key", "unknown key 'disclaimr' in ruleset.yaml (did you mean 'disclaimer'?)", 7, 1),
    Bad("missing-required-key", "ruleset.yaml is missing the required key 'title'", 1, 1),
    Bad("wrong-type", "'version' must be non-empty text, got a number", 3, 10),
    Bad("bad-date", "'as_of' must be a date YYYY-MM-DD", 4, 8),
    Bad("duplicate-key", "duplicate key 'title' (first defined at line 2)", 4, 1),
    Bad("yaml-syntax", "invalid YAML: mapping values are not allowed", 8, 17),
    Bad("invalid-id", "invalid question id 'Custodian' (lower-case letters", 13, 9),
    Bad("duplicate-id", "duplicate id 'citizen' (first defined at ", 30, 9),
    Bad("question-unknown-key", "unknown key 'hepl' in a question (did you mean 'help'?)", 13, 5),
    Bad("unknown-question-type", "unknown question type 'choise' (did you mean 'choice'?)", 15, 11),
    Bad("choice-without-choices", "a choice question needs 'choices'", 13, 5),
    Bad("unit-on-non-number", "'unit' applies only to number questions", 13, 5),
    Bad("phrases-on-text", "'phrases' do not apply to text questions (a text question is never read", 16, 5),
    Bad("phrases-unknown-answer", "no answer 'flase' to phrase for a boolean question (did you mean 'false'?)", 15, 7),
    Bad("phrases-not-text", "the phrase for 'true' must be text", 14, 13),
    Bad("phrases-answer-without-placeholder", "the phrase for 'answer' must say where the answer goes: {answer}",
        18, 15),
    Bad("phrases-placeholder-elsewhere", "only the phrase for 'answer' may hold {answer}", 19, 16),
    Bad("phrases-missing", "'phrases' needs a phrase for every answer: missing false, unknown", 14, 7),
    Bad("min-greater-than-max", "'max' is smaller than 'min'", 23, 10),
    Bad("unknown-area", "unknown area 'statsu' (did you mean 'status'?)", 22, 11),
    Bad("unknown-severity", "unknown severity 'hihg' (did you mean 'high'?)", 23, 15),
    Bad("unknown-authority-id", "unknown authority 'case-x' (did you mean 'case-a'?)", 29, 19),
    Bad("conditional-authority-missing-when", "a conditional authority is missing the required key 'when'", 29, 19),
    Bad("conditional-authority-unknown-name", "unknown name 'citzen' (did you mean 'citizen'?)", 29, 38),
    Bad("conditional-authority-unknown-key", "unknown key 'note' in a conditional authority (allowed: id, when)",
        29, 47),
    Bad("authority-cited-twice", "authority 'case-a' is cited twice in this issue (keep one entry, with a `when`",
        29, 32),
    Bad("unknown-authority-kind", "unknown authority kind 'cases' (did you mean 'case'?)", 32, 11),
    Bad("condition-syntax", "'=' is not an operator (use '==' to compare)", 24, 19),
    Bad("condition-unknown-name", "unknown name 'citizn' (did you mean 'citizen'?)", 24, 36),
    Bad("condition-type-mismatch", "'>' needs a number or date question; 'citizen' is boolean", 24, 36),
    Bad("condition-choice-literal", "'federl' is not a choice of 'custodian' (did you mean 'federal'?)", 24, 11),
    Bad("conclusion-cycle", "conclusions form a cycle: c_one -> c_two -> c_one", 32, 11),
    Bad("ask-if-self", "the ask_if of 'citizen' depends on 'citizen' itself", 13, 13),
    Bad("ask-if-self-via-conclusion", "the ask_if of 'citizen' depends on 'citizen' through a conclusion", 13, 13),
    Bad("disputed-by-not-boolean", "'disputed_by' of 'citizen' must name another, boolean question ('custodian' is "
        "choice)", 13, 18),
    Bad("disputed-by-unknown", "'disputed_by' names an unknown question 'citizen_disputd' (did you mean 'citizen'?)",
        13, 18),
    Bad("template-syntax", "template syntax error: unexpected end of template", 25, 12),
    Bad("template-syntax-block", "template syntax error: expected token 'end of print statement'", 28, 7),
    Bad("template-unknown-name", "unknown name 'facts.nope' in text", 26, None),
    Bad("template-injection-facts-class", "refused unsafe template code: the private attribute '__class__'", 25, None),
    Bad("template-injection-mro", "refused unsafe template code: the private attribute '__class__'", 25, None),
    Bad("id-not-directory", "the rule-set id 'other-name' must equal its directory name 'id-not-directory'", 1, 5),
    Bad("Bad_Set", "invalid rule-set id 'Bad_Set'", 1, 5),
    Bad("test-case-and-facts", "a test needs either 'case' (a path) or 'facts', not both", 2, 5, "tests/basic.yaml"),
    Bad("test-unknown-issue", "unknown issue 'exil' (did you mean 'exile'?)", 7, 9, "tests/basic.yaml"),
    Bad("test-bad-status", "expected one of raised, not_raised, undetermined, got 'raisd' (did you mean 'raised'?)",
        7, 16, "tests/basic.yaml"),
    Bad("test-missing-expect", "a test is missing the required key 'expect'", 2, 5, "tests/basic.yaml"),
    Bad("test-cites-unknown-authority", "unknown authority 'case-aa' (did you mean 'case-a'?)", 9, 15,
        "tests/basic.yaml"),
    Bad("test-cites-not-cited", "issue 'exile' never cites 'case-b' (it cites: case-a)", 9, 15, "tests/basic.yaml"),
]


def bad_of(param: object) -> Bad:
    """The Bad fixture of a parameter, whether plain or wrapped in ``pytest.param``."""
    return param if isinstance(param, Bad) else param.values[0]  # type: ignore[attr-defined,no-any-return]


@pytest.mark.parametrize("bad", RULESET_CASES, ids=lambda b: b.name if isinstance(b, Bad) else None)
def test_bad_ruleset_reports_one_located_error(bad: Bad) -> None:
    """Each bad rule-set fixture fails with exactly one diagnostic, with the right text, file, line and column."""
    directory = RULESETS / bad.name
    if bad.file.startswith("tests/"):  # tests load on their own, against a valid rule set
        found = diagnostics_of(lambda: load_ruleset_tests(directory, load_ruleset_dir(directory)))
    else:
        found = diagnostics_of(lambda: load_ruleset_dir(directory))
    assert_single(found, bad, directory)


def test_every_ruleset_fixture_is_covered() -> None:
    """Every directory under tests/data/invalid/rulesets is used by a test, so none is forgotten."""
    named = {bad_of(p).name for p in RULESET_CASES} | {"several-problems"}
    assert {p.name for p in RULESETS.iterdir() if p.is_dir()} == named


def test_duplicate_id_hint_names_the_first_definition() -> None:
    """A duplicate id's hint gives the file, line and column of the first definition."""
    directory = RULESETS / "duplicate-id"
    [diag] = diagnostics_of(lambda: load_ruleset_dir(directory))
    assert diag.hint is not None
    assert diag.hint.startswith("first defined at ")
    assert diag.hint.endswith("duplicate-id/ruleset.yaml:10:9")


def test_ruleset_with_several_problems_reports_all_in_file_order() -> None:
    """A rule-set file with several independent problems reports every one of them at once, in file order."""
    directory = RULESETS / "several-problems"
    found = diagnostics_of(lambda: load_ruleset_dir(directory))
    assert len(found) >= 3
    assert [(d.pos.line, d.pos.col) for d in found] == [(3, 10), (4, 8), (15, 11), (23, 15), (24, 19)]
    assert [d.message.split(" ")[0] for d in found] == ["'version'", "'as_of'", "unknown", "unknown", "'='"]


def test_problems_in_several_files_are_all_reported(tmp_path: Path) -> None:
    """Problems in different files of one rule set are all reported together."""
    directory = tmp_path / "split"
    directory.mkdir()
    source = (RULESETS / "unknown-area" / "ruleset.yaml").read_text(encoding="utf-8")
    (directory / "ruleset.yaml").write_text(source.replace("id: unknown-area", "id: split"), encoding="utf-8")
    (directory / "extra.yaml").write_text("questions:\n  - id: extra\n    prompt: Extra?\n    type: boolen\n",
                                          encoding="utf-8")
    found = diagnostics_of(lambda: load_ruleset_dir(directory))
    assert sorted((Path(d.pos.path).name, d.pos.line, d.pos.col) for d in found) == [
        ("extra.yaml", 4, 11), ("ruleset.yaml", 22, 11),
    ]


def test_issue_id_that_is_also_a_conclusion_id_is_refused(tmp_path: Path) -> None:
    """An issue and a conclusion with one id would share one result in the engine ("proved both true and false")."""
    directory = tmp_path / "clash"
    directory.mkdir()
    source = (MINI_RULES / "mini" / "ruleset.yaml").read_text(encoding="utf-8")
    (directory / "ruleset.yaml").write_text(source.replace("id: mini", "id: clash").replace(
        "  - id: late_notice", "  - id: protected"), encoding="utf-8")
    [diag] = diagnostics_of(lambda: load_ruleset_dir(directory))
    assert (diag.pos.line, diag.pos.col) == (72, 9)
    assert diag.message == "the issue id 'protected' is also a conclusion's"
    assert diag.hint is not None and diag.hint.startswith("rename one; the conclusion is at ")


def test_directory_without_ruleset_yaml(tmp_path: Path) -> None:
    """A directory with no ruleset.yaml is refused with a clear message."""
    found = diagnostics_of(lambda: load_ruleset_dir(tmp_path))
    assert [d.message for d in found] == ["not a rule set: no ruleset.yaml here"]


def test_good_fixture_base_loads() -> None:
    """The mini rule set the case fixtures use is itself valid."""
    ruleset = api.load_ruleset(MINI_RULES / "mini")
    assert ruleset.id == "mini"


# --- case files ------------------------------------------------------------------------------------

CASE_CASES = [
    Bad("unknown-question", "unknown question 'citizn' (did you mean 'citizen'?)", 4, 3),
    Bad("conclusion-as-fact", "unknown question 'protected' ('protected' is a conclusion the rule set derives", 4, 3),
    Bad("value-outside-choices", "'federl' is not a choice of 'custodian' (did you mean 'federal'?)", 4, 14),
    Bad("boolean-wrong-type", "'citizen' takes true, false or unknown, got 'yes' (write true or false without quotes)",
        4, 12),
    Bad("number-out-of-bounds", "'months_left' must be at most 1200 months, got 5000", 4, 16),
    Bad("bad-date", "'notice_date' takes a date YYYY-MM-DD, got '2025-02-30'", 4, 16),
    Bad("multi-duplicate", "'crowding' is listed twice", 4, 26),
    Bad("multi-not-a-list", "'conditions' takes a list of choices, got text", 4, 15),
    Bad("unknown-top-key", "unknown key 'fact' in a case file (did you mean 'facts'?)", 3, 1),
    Bad("ruleset-missing", "the case must name its rule set", 1, 1),
    Bad("unknown-ruleset", "unknown rule set 'mni' (did you mean 'mini'?)", 1, 10),
]


@pytest.mark.parametrize("bad", CASE_CASES, ids=lambda b: b.name)
def test_bad_case_reports_one_located_error(bad: Bad) -> None:
    """Each bad case fixture fails with exactly one diagnostic, with the right text, line and column."""
    path = CASES / f"{bad.name}.yaml"
    found = diagnostics_of(lambda: api.load_case(path, rules_dirs=[MINI_RULES]))
    assert_single(found, bad._replace(file=path.name), CASES)


def test_every_case_fixture_is_covered() -> None:
    """Every file under tests/data/invalid/cases is used by a test, so none is forgotten."""
    named = {b.name for b in CASE_CASES} | {"several-problems", "unknown-values"}
    assert {p.stem for p in CASES.glob("*.yaml")} == named


def test_unknown_is_accepted_as_unknown() -> None:
    """Any question answered ``unknown`` is valid and simply leaves the fact unknown."""
    case, ruleset = api.load_case(CASES / "unknown-values.yaml", rules_dirs=[MINI_RULES])
    assert ruleset.id == "mini"
    assert dict(case.facts) == {}


def test_case_with_several_problems_reports_all_in_file_order() -> None:
    """A case with several problems reports every one of them at once, in file order."""
    found = diagnostics_of(lambda: api.load_case(CASES / "several-problems.yaml", rules_dirs=[MINI_RULES]))
    assert len(found) >= 3
    assert [(d.pos.line, d.pos.col) for d in found] == [(4, 3), (5, 14), (6, 16), (7, 16)]
    assert [d.message for d in found] == [
        "unknown question 'citizn'",
        "'federl' is not a choice of 'custodian'",
        "'months_left' must be at least 0 months, got -3",
        "'notice_date' takes a date YYYY-MM-DD, got '1 May 2025'",
    ]


def test_case_for_another_ruleset_is_refused(mini: RuleSet, tmp_path: Path) -> None:
    """A case file naming a different rule set is refused at its ``ruleset:`` value."""
    path = tmp_path / "other.yaml"
    path.write_text("title: T\nruleset: other-set\n", encoding="utf-8")
    found = diagnostics_of(lambda: load_case_file(path, mini))
    assert [(d.pos.line, d.pos.col, d.message) for d in found] == [
        (2, 10, "the case is for rule set 'other-set', not 'mini'"),
    ]


@pytest.mark.parametrize(
    ("facts", "fragment", "col"),
    [
        ("citizen: 1", "'citizen' takes true, false or unknown, got 1", 12),
        ("custodian: 3", "3 is not a choice of 'custodian'", 14),
        ("months_left: \"5\"", "'months_left' takes a number, got '5'", 16),
        ("months_left: -1", "'months_left' must be at least 0 months, got -1", 16),
        ("months_left: .nan", "'months_left' is out of range", 16),
        ("months_left: 0.00001", "'months_left' is too small to be meaningful", 16),
        ("notice_date: 2025-1-5", "'notice_date' takes a date YYYY-MM-DD", 16),
        ("conditions: [crowding, lockdown]", "'lockdown' is not a choice of 'conditions'", 26),
        ("name: [a]", "'name' takes text, got a list", 9),
    ],
)
def test_fact_value_errors(mini: RuleSet, facts: str, fragment: str, col: int) -> None:
    """Each wrongly typed or out-of-range answer is one error at the value."""
    doc = load_text(f"ruleset: mini\ntitle: T\nfacts:\n  {facts}\n", "c.yaml")
    found = diagnostics_of(lambda: case_from_mapping(doc.root, mini, "c.yaml"))
    assert len(found) == 1, found
    assert fragment in found[0].format()
    assert (found[0].pos.line, found[0].pos.col) == (4, col)


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        ("citizen: true", {"citizen": True}),
        ("citizen:", {}),
        ("custodian: ice", {"custodian": "ice"}),
        ("conditions: []", {"conditions": ()}),
        ("conditions: [no_visits, crowding]", {"conditions": ("crowding", "no_visits")}),
        ("months_left: 6.0", {"months_left": 6}),
        ("months_left: 2.5", {"months_left": 2.5}),
        ("notice_date: 2025-04-01", {"notice_date": "2025-04-01"}),
        ("name: 12", {"name": "12"}),
    ],
)
def test_fact_values_that_are_accepted(mini: RuleSet, facts: str, expected: dict[str, object]) -> None:
    """Well-formed answers load to their documented Python values (null means unknown)."""
    doc = load_text(f"ruleset: mini\ntitle: T\nfacts:\n  {facts}\n", "c.yaml")
    case = case_from_mapping(doc.root, mini, "c.yaml")
    assert dict(case.facts) == expected


def test_test_case_paths_the_system_cannot_take_are_located(tmp_path: Path) -> None:
    """Found by fuzzing: a test's `case:` too long for the file system raised OSError. (A NUL byte cannot get
    that far: YAML text may not hold control characters.)"""
    rules = tmp_path / "mini"
    (rules / "tests").mkdir(parents=True)
    shutil.copy(MINI_RULES / "mini" / "ruleset.yaml", rules / "ruleset.yaml")
    (rules / "tests" / "basic.yaml").write_text(
        f"tests:\n  - name: long\n    case: {'x' * 300}.yaml\n    expect: {{issues: {{exile: raised}}}}\n",
        encoding="utf-8")
    with pytest.raises(TransferlawError) as info:
        api.load_tests(rules)
    assert "basic.yaml:3:11: no case file 'xxx" in info.value.report()


@pytest.mark.parametrize("case", ["/etc/passwd", "../../../../../etc/passwd", "creds.json", "/tmp/x.yaml"])
def test_test_case_must_be_a_relative_yaml_path(tmp_path: Path, case: str) -> None:
    """A shared rule set's test cannot make `check` or `test` read (and quote the keys of) an arbitrary file."""
    rules = tmp_path / "mini"
    (rules / "tests").mkdir(parents=True)
    shutil.copy(MINI_RULES / "mini" / "ruleset.yaml", rules / "ruleset.yaml")
    (rules / "tests" / "basic.yaml").write_text(
        f"tests:\n  - name: t\n    case: {case}\n    expect: {{issues: {{exile: raised}}}}\n", encoding="utf-8")
    with pytest.raises(TransferlawError) as info:
        api.load_tests(rules)
    assert (f"basic.yaml:3:11: 'case' must be a relative path to a .yaml case file, got '{case}' (the path is "
            "relative to this test file)") in info.value.report()


def test_test_case_through_a_link_to_another_kind_of_file_is_refused(tmp_path: Path) -> None:
    """Found by review: cases/evil.yaml -> private.txt made `check` read and quote the text file."""
    rules = tmp_path / "mini"
    (rules / "tests").mkdir(parents=True)
    shutil.copy(MINI_RULES / "mini" / "ruleset.yaml", rules / "ruleset.yaml")
    (tmp_path / "private.txt").write_text("secret: 1\n", encoding="utf-8")
    (rules / "cases").mkdir()
    (rules / "cases" / "evil.yaml").symlink_to(tmp_path / "private.txt")
    (rules / "tests" / "basic.yaml").write_text(
        "tests:\n  - name: t\n    case: ../cases/evil.yaml\n    expect: {issues: {exile: raised}}\n", encoding="utf-8")
    with pytest.raises(TransferlawError) as info:
        api.load_tests(rules)
    assert "'case' must be a relative path to a .yaml case file, got '../cases/evil.yaml'" in info.value.report()
    assert "secret" not in info.value.report()


# --- numbers mean the same in every input (issue 13, point 6) ----------------------------------------

def _number_everywhere(mini: RuleSet, text: str, tmp_path: Path) -> dict[str, object]:
    """What ``text`` becomes as the answer to a number question in each input: a value, or "refused"."""
    from transferlaw.batch.sources import expand
    from transferlaw.language.model import Case
    from transferlaw.tools import steps
    from transferlaw.tools import typed_answers

    found: dict[str, object] = {}
    try:
        doc = load_text(f"ruleset: mini\ntitle: T\nfacts:\n  months_left: {text}\n", "c.yaml")
        found["case file"] = case_from_mapping(doc.root, mini, "c.yaml").facts["months_left"]
    except TransferlawError:
        found["case file"] = "refused"
    sheet = tmp_path / "sheet.csv"
    sheet.write_text(f"months_left\n{text}\n" if "," not in text else f'months_left\n"{text}"\n', encoding="utf-8")
    [item] = expand([sheet], [MINI_RULES], ruleset="mini")
    found["csv cell"] = item.case.facts["months_left"] if item.case is not None else "refused"
    question = mini.question_by_id["months_left"]
    try:
        found["terminal interview"] = typed_answers.parse_answer(question, text)
    except TransferlawError:
        found["terminal interview"] = "refused"
    try:
        found["web form"] = steps.answer(mini, steps.start(mini), "months_left", text).facts["months_left"]
    except TransferlawError:
        found["web form"] = "refused"
    try:
        case = api.with_settings(Case(ruleset="mini", title="T", facts={}), mini, [f"months_left={text}"])
        found["whatif --set"] = case.facts["months_left"]
    except TransferlawError:
        found["whatif --set"] = "refused"
    return found


@pytest.mark.parametrize(("text", "expected"), [
    ("10", 10), ("010", 10), ("2.5", 2.5), (".5", 0.5), ("1,000", 1000), ("1:30", "refused"), ("0x10", "refused"),
    ("0o10", "refused"), ("1_0", "refused"), ("1e2", "refused"), ("1.0e+2", "refused"), ("\u0661\u0660", "refused"),
    ("inf", "refused"),
])
def test_a_number_means_the_same_in_every_input(mini: RuleSet, tmp_path: Path, text: str, expected: object) -> None:
    """Issue 13 point 6: a case file, a CSV cell, a web form, the terminal interview and ``whatif --set`` read a
    number alike: plain decimal (``010`` is 10), everything else refused."""
    found = _number_everywhere(mini, text, tmp_path)
    assert found == dict.fromkeys(found, expected)


def test_set_reports_a_number_form_at_the_setting(mini: RuleSet) -> None:
    """Issue 13 point 6: ``--set months_left=1:30`` says what is wrong and what to write, in one line."""
    from transferlaw.language.model import Case

    found = diagnostics_of(lambda: api.with_settings(Case(ruleset="mini", title="T", facts={}), mini,
                                                     ["months_left=1:30"]))
    assert [d.format() for d in found] == [
        "--set months_left=1:30: 1:30 is not a plain decimal number (write 90, or quote it if it is text)"]
