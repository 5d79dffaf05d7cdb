"""Keep the docs honest: the README quick start, .ci/run, and the rule-language reference."""

from __future__ import annotations

import csv
import io
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from transferlaw import api
from transferlaw.batch import sources
from transferlaw.cli import cli
from transferlaw.language import ruleset_files
from transferlaw.language import ruletest_builder
from transferlaw.language.errors import TransferlawError
from transferlaw.language.validate_case import CASE
from transferlaw.memo import phrases
from transferlaw.memo import reference

from .conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
REFERENCE = (ROOT / "docs" / "rule-language.md").read_text(encoding="utf-8")


def quick_start() -> tuple[str, list[str]]:
    """The README's quick start section and its commands (one per line of its sh blocks)."""
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, re.S)
    return section, [line for block in blocks for line in block.splitlines() if line.strip()]


def test_quick_start_has_exactly_two_commands() -> None:
    """Issue 13.13: the README opens with two one-line commands, each making its own virtual environment (a
    fresh Debian Python refuses `pip install` outside one) and installing quietly: install and write a memo to
    a file, then install and test. It says what the test command takes."""
    section, commands = quick_start()
    assert len(commands) == 2
    memo, tests = commands
    assert memo.startswith("python3 -m venv .venv && .venv/bin/pip install -q . && .venv/bin/transferlaw run cases/")
    assert memo.endswith(" -o memo.md")
    case = memo.split("transferlaw run ", 1)[1].split()[0]
    assert (ROOT / case).is_file()
    assert tests.startswith('python3 -m venv .venv && .venv/bin/pip install -q -e ".[test]" && . .venv/bin/activate '
                            "&& ruff check . && mypy && lint-imports && pytest")
    assert "`wrote memo.md`" in section
    assert re.search(r"about \d+ minutes on\s+2\s+cores", section)


def test_ci_runs_the_readme_test_command() -> None:
    """Issue 13.13: .ci/run finds the README's test command by the fixed start it names, and runs it as written."""
    script = (ROOT / ".ci" / "run").read_text()
    found = re.search(r"^start='([^']+)'$", script, re.M)
    assert found, "no start='...' line in .ci/run"
    _, commands = quick_start()
    assert [line for line in README.splitlines() if line.startswith(found.group(1))] == [commands[1]]
    assert 'eval "$cmd"' in script


def test_every_command_is_in_the_readme() -> None:
    """Each CLI command is documented in the README."""
    for name in cli.commands:
        assert f"transferlaw {name}" in README


def test_reference_documents_every_key() -> None:
    """Every key the validator accepts appears in docs/rule-language.md."""
    specs = [ruleset_files.META, ruleset_files.QUESTION, ruleset_files.CONCLUSION, ruleset_files.ISSUE,
             ruleset_files.AUTHORITY, ruleset_files.CITATION, ruletest_builder.TEST, ruletest_builder.EXPECT, CASE]
    for spec in specs:
        for key in spec:
            assert f"`{key}`" in REFERENCE, key


# --- the YAML examples in README.md and docs/ (issue 13.15) ----------------------------------------------

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
FLAGSHIP = "foreign-prison-transfer"
PARTIAL = "not a complete file"
"""The mark (``<!-- not a complete file -->`` just before a block) of an example that is deliberately a fragment."""
APPEND = re.compile(r"append to (\S+\.yaml)")
"""The mark of a tutorial step: the block is added to this file of the tutorial's scaffolded rule set."""
_BLOCK = re.compile(r"(?:^<!--\s*(?P<mark>.*?)\s*-->\n(?:[ \t]*\n)?)?^```yaml\n(?P<body>.*?)^```", re.M | re.S)


@dataclass(frozen=True)
class Example:
    """One ```yaml block of the docs: its document, first line, mark (an HTML comment just before it) and text."""

    doc: str
    line: int
    mark: str
    text: str

    @property
    def where(self) -> str:
        return f"{self.doc}:{self.line}"

    @property
    def padded(self) -> str:
        """The text on its own lines, so that errors point at the document's line and column."""
        return "\n" * (self.line - 1) + self.text


def examples(path: Path) -> list[Example]:
    text = path.read_text(encoding="utf-8")
    return [Example(path.relative_to(ROOT).as_posix(), text.count("\n", 0, m.start("body")) + 1,
                    m.group("mark") or "", m.group("body")) for m in _BLOCK.finditer(text)]


EXAMPLES = [example for doc in DOCS for example in examples(doc)]


def kind_of(example: Example) -> str:
    """case, tests (a rule-set test file), mapping (a spreadsheet mapping file), partial or tutorial."""
    if example.mark == PARTIAL:
        return "partial"
    if APPEND.fullmatch(example.mark):
        return "tutorial"
    assert not example.mark, f"{example.where}: unknown mark <!-- {example.mark} -->"
    root = yaml.safe_load(example.text)
    keys = set(root) if isinstance(root, dict) else set()
    if "ruleset" in keys:
        return "case"
    if keys == {"tests"}:
        return "tests"
    if keys and keys <= {"columns", "values", "skip"}:
        return "mapping"
    raise AssertionError(f"{example.where}: not a case, rule-set test or mapping file; if it is a fragment on "
                         f"purpose, put <!-- {PARTIAL} --> on the line before it")


def check_case(example: Example, tmp_path: Path) -> None:
    api.load_case(example.doc, text=example.padded)


def check_tests(example: Example, tmp_path: Path) -> None:
    """A rule-set test file of the bundled rule set: it loads, and every test in it passes."""
    directory = tmp_path / "rules" / FLAGSHIP
    shutil.copytree(api.ruleset_dir(FLAGSHIP), directory, ignore=shutil.ignore_patterns("tests"))
    (tmp_path / "cases").symlink_to(ROOT / "cases")  # bundled tests name cases as ../../../cases/
    (directory / "tests").mkdir()
    (directory / "tests" / "example.yaml").write_text(example.padded, encoding="utf-8")
    ruleset, tests = api.load_tests(directory)
    failed = [f"{r.test.name}: {f}" for r in api.run_tests(ruleset, tests, "python") for f in r.failures]
    assert not failed, f"{example.where}: " + "\n".join(failed)


def check_mapping(example: Example, tmp_path: Path) -> None:
    """A mapping file for the bundled rule set: a spreadsheet with its columns, and a row that uses the first
    translation of each, reads without a problem."""
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(example.padded, encoding="utf-8")
    root = yaml.safe_load(example.text)
    columns = dict(root.get("columns") or {})
    translations = {str(k): list(v or {}) for k, v in (root.get("values") or {}).items()}
    row = [translations.get(str(target), [""])[0] if target else "" for target in columns.values()]
    if "title" not in columns.values():
        columns["Title"], row = "title", [*row, "Example"]
    sheet = io.StringIO()
    csv.writer(sheet, lineterminator="\n").writerows([list(columns), row])
    (tmp_path / "sheet.csv").write_text(sheet.getvalue(), encoding="utf-8")
    items = list(sources.expand([tmp_path / "sheet.csv"], mapping=mapping, ruleset=FLAGSHIP))
    problems = [p.format() for item in items for p in item.problems]
    assert not problems, f"{example.where}: " + "\n".join(problems)


CHECKS = {"case": check_case, "tests": check_tests, "mapping": check_mapping}


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.where for e in EXAMPLES])
def test_every_yaml_example_in_the_docs_is_valid(example: Example, tmp_path: Path) -> None:
    """Issue 13.15: every case, rule-set test and mapping-file example in README.md and docs/ validates against
    the bundled rule set; a fragment must say so (and still be YAML); tutorial steps are checked together."""
    kind = kind_of(example)
    if kind in ("partial", "tutorial"):
        yaml.safe_load(example.text)
        return
    try:
        CHECKS[kind](example, tmp_path)
    except TransferlawError as exc:
        pytest.fail(f"the {kind} example at {example.where} does not validate:\n{exc.report()}")


def test_the_tutorial_works(tmp_path: Path) -> None:
    """Issue 13.15: the tutorial's steps, added to the rule set `transferlaw new` writes, pass check and test."""
    directory = tmp_path / "rules" / "hearing-rights"
    api.new_ruleset(directory)
    steps = [e for e in EXAMPLES if kind_of(e) == "tutorial"]
    assert len(steps) >= 3
    for step in steps:
        target = APPEND.fullmatch(step.mark)
        assert target
        with (directory / target.group(1)).open("a", encoding="utf-8") as handle:
            handle.write(step.text)
    report = api.check_ruleset(directory)
    assert not report.errors, "\n".join(d.format() for d in report.errors)
    ruleset, tests = api.load_tests(directory)
    results = api.run_tests(ruleset, tests, "python")
    assert len(results) == 6 and all(r.passed for r in results), [r.failures for r in results if not r.passed]


@pytest.mark.parametrize(("kind", "text"), [
    ("case", "ruleset: foreign-prison-transfer\ntitle: t\nfacts:\n  citizenship: martian\n"),
    ("tests", "tests:\n  - name: t\n    facts: {citizenship: lpr}\n    expect:\n      issues: {no_such: raised}\n"),
    ("mapping", "columns:\n  Held by: custodain\n"),
    ("mapping", "columns:\n  Held by: custodian\nvalues:\n  custodian:\n    BOP: federal_prison\n"),
])
def test_an_invalid_example_fails_the_check(kind: str, text: str, tmp_path: Path) -> None:
    """The checks above catch a wrong example of each kind."""
    example = Example("doc.md", 1, "", text)
    assert kind_of(example) == kind
    with pytest.raises((TransferlawError, AssertionError)):
        CHECKS[kind](example, tmp_path)


def test_a_valid_mapping_passes_the_check(tmp_path: Path) -> None:
    """The mapping check accepts a good mapping file (the one the batch tests use)."""
    check_mapping(Example("doc.md", 1, "", (ROOT / "tests" / "data" / "batch" / "mapping.yaml").read_text()), tmp_path)


# --- rule-set guides ------------------------------------------------------------------------------------

GUIDES = sorted((ROOT / "docs" / "rulesets").glob("*.md"))


@pytest.mark.parametrize("guide", GUIDES, ids=lambda p: p.stem)
def test_rule_set_guides_follow_their_rule_sets(guide: Path, update_golden: bool) -> None:
    """A guide's issue and question tables are the rule set's own data (`reference.refresh`): a changed
    condition or a new question shows in the guide, or this fails; `pytest --update-golden` rewrites them."""
    text = guide.read_text(encoding="utf-8")
    assert "<!-- BEGIN generated: issues -->" in text and "<!-- BEGIN generated: questions -->" in text
    fresh = reference.refresh(text, api.load_ruleset(guide.stem))
    if update_golden and fresh != text:
        guide.write_text(fresh, encoding="utf-8")
        return
    assert fresh == text, f"{guide.name} is out of date: run pytest tests/test_docs.py --update-golden"


def test_conditions_read_in_words() -> None:
    """Every issue's condition and every question's ask_if reads in words: no operator, no id, no
    true/false (an id is the only text with an underscore)."""
    for name in ("foreign-prison-transfer", "interstate-transfer"):
        ruleset = api.load_ruleset(name)
        texts = [phrases.condition_words(issue.when.expr, ruleset) for issue in ruleset.issues]
        texts += [phrases.condition_words(q.ask_if.expr, ruleset) for q in ruleset.questions if q.ask_if]
        for text in texts:
            assert not re.search(r"==|!=|<=|>=|\btrue\b|\bfalse\b|\bknown\(|\w_\w", text), text
    ruleset = api.load_ruleset("foreign-prison-transfer")
    when = ruleset.issue_by_id["consent_not_verified"].when.expr
    assert phrases.condition_words(when, ruleset) == (
        "the person has consented in writing to serve time in El Salvador, the person's consent has not been "
        "verified in a hearing by a U.S. magistrate judge or other verifying officer and a treaty transfer to "
        "El Salvador is possible in principle (a Salvadoran national serving a sentence or a juvenile disposition)")
