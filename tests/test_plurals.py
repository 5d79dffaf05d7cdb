"""Counts print in the singular for one (issue 13, point 17): "1 error", "1 warning", "1 issue", "1 day".

One helper, :func:`transferlaw.language.words.counted`, for Python; the templates' ``count_of`` macro for Jinja. The
one-issue rule set is the scaffold of `transferlaw new`, with tests and authorities trimmed where a test
needs exactly one of something.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from transferlaw import api
from transferlaw.cli import cli
from transferlaw.language import words
from transferlaw.language.errors import Position
from transferlaw.language.errors import ValidationFailed
from transferlaw.language.errors import display_path
from transferlaw.language.model import Question
from transferlaw.memo import display
from transferlaw.memo import render
from transferlaw.tools import interview
from transferlaw.web import create_app

from .conftest import DATA


@pytest.mark.parametrize(("count", "plural", "expected"), [
    (1, "errors", "1 error"), (0, "errors", "0 errors"), (2, "warnings", "2 warnings"), (1, "warnings", "1 warning"),
    (1, "issues", "1 issue"), (1, "days", "1 day"), (1.0, "days", "1 day"), (1.5, "days", "1.5 days"),
    (-1, "days", "-1 day"), (1, "inches", "1 inch"), (1, "boxes", "1 box"), (1, "entries", "1 entry"),
    (1, "choices", "1 choice"), (1, "answer files", "1 answer file"), (1, "cases", "1 case"),
    (1, "miles", "1 mile"), (1, "kg", "1 kg"), (1, "%", "1 %"), (1, "class", "1 class"), (3, "day", "3 day"),
])
def test_counted_is_singular_for_one(count: float, plural: str, expected: str) -> None:
    """The helper: the number, then the noun, singular when the number is one (either sign)."""
    assert words.counted(count, plural) == expected


@pytest.fixture()
def one_issue(tmp_path: Path) -> Path:
    """The scaffold: a rule set with one issue, one authority and four tests."""
    directory = tmp_path / "one-issue"
    api.new_ruleset(directory)
    return directory


def test_check_counts_one_error(tmp_path: Path) -> None:
    """A rule set with one error: '1 error, 0 warnings'."""
    bad = DATA / "invalid" / "rulesets" / "template-unknown-name"
    result = CliRunner().invoke(cli, ["check", str(bad)])
    assert result.stdout.splitlines()[-1] == f"{display_path(bad)}: 1 error, 0 warnings"


def test_check_counts_one_warning(one_issue: Path) -> None:
    """A rule set with one warning (its one cited authority unverified): '0 errors, 1 warning'."""
    authorities = one_issue / "authorities.yaml"
    authorities.write_text(authorities.read_text(encoding="utf-8").replace("verified: true", "verified: false"),
                           encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", str(one_issue)])
    assert result.stdout.splitlines()[-1] == f"{display_path(one_issue)}: 0 errors, 1 warning"


def test_a_unit_is_singular_after_one() -> None:
    """An answer of 1 with the unit 'days' reads '1 day'; other numbers keep the plural."""
    question = Question(id="notice_days", prompt="How many days of notice?", type="number", unit="days",
                        pos=Position("q.yaml", 1, 1))
    assert [display.fact_display(question, v) for v in (1, 1.0, 2, 0.5)] == ["1 day", "1 day", "2 days", "0.5 days"]


def test_memo_of_a_one_issue_rule_set_says_1_issue(one_issue: Path) -> None:
    """The brief answer of a rule set with one issue: 'the transfer raises one issue', never '1 issues' or 'the
    remaining 0'."""
    case, ruleset = api.load_case(one_issue / "cases" / "example.yaml", rules_dirs=[one_issue.parent])
    memo = api.render_memo(api.evaluate_case(case, ruleset, "python"), "md", dt.date(2026, 2, 1))
    assert "On these facts, the transfer raises one issue (medium severity). It is issue 1," in memo
    assert "1 issues" not in memo and "remaining 0" not in memo


def test_interview_summary_of_a_one_issue_rule_set(one_issue: Path) -> None:
    """The interview's closing summary: '(of 1 issue)'."""
    ruleset = api.load_ruleset(one_issue)
    assert interview.summary(ruleset, {}).splitlines()[0].endswith("(of 1 issue).")


def test_coverage_by_one_test(one_issue: Path) -> None:
    """A coverage report for one test: 'by 1 test'."""
    tests = one_issue / "tests" / "examples.yaml"
    text = tests.read_text(encoding="utf-8")
    tests.write_text(text[:text.index("  - name:", text.index("  - name:") + 1)], encoding="utf-8")
    ruleset, loaded = api.load_tests(one_issue)
    assert len(loaded) == 1
    assert api.coverage_report(api.measure_coverage(ruleset, loaded)).startswith(
        f"coverage of {ruleset.id} by 1 test: ")


def test_batch_index_counts_one_case() -> None:
    """The batch index's last line for a batch of one case: '1 case: 1 written, ...'."""
    foot = str(render.index_parts().foot({"written": 1, "skipped": 0, "failed": 0, "orphaned": 0}))
    assert "<p>1 case: 1 written," in foot


def test_web_interview_counts_one_issue(one_issue: Path, tmp_path: Path) -> None:
    """The web interview's running count: '(of 1 issue)'."""
    app = create_app(rules_dirs=[one_issue.parent], state_dir=tmp_path / "state", today=lambda: dt.date(2026, 3, 1))
    with app.test_client() as client:
        found = re.search(r'name="csrf" value="([0-9a-f]+)"', client.get("/").get_data(as_text=True))
        assert found
        started = client.post("/start", data={"csrf": found.group(1), "ruleset": "one-issue", "title": "T"})
        page = client.get(started.headers["Location"]).get_data(as_text=True)
    assert "(of 1 issue)" in page


def test_a_multi_answer_past_the_cap_counts_one_choice(tmp_path: Path) -> None:
    """The hint for a multi answer with too many items, on a question with one choice: 'it has 1 choice'."""
    rules = tmp_path / "rules" / "one-choice"
    rules.mkdir(parents=True)
    (rules / "ruleset.yaml").write_text(
        "id: one-choice\ntitle: T\nversion: '1'\nas_of: 2026-01-01\njurisdiction: J\ndescription: D\n"
        "areas: {a: A}\nquestions:\n  - id: seen\n    prompt: Seen?\n    type: multi\n    choices: {x: X}\n"
        "issues:\n  - id: i\n    title: I\n    area: a\n    severity: low\n    when: seen contains \"x\"\n"
        "    rule: R\n    application: A\n    counterargument: C\n    conclusion: K\n", encoding="utf-8")
    case = tmp_path / "case.yaml"
    case.write_text("ruleset: one-choice\ntitle: T\nfacts:\n  seen: [" + ", ".join(["x"] * 201) + "]\n",
                    encoding="utf-8")
    with pytest.raises(ValidationFailed) as info:
        api.load_case(case, rules_dirs=[tmp_path / "rules"])
    assert [d.hint for d in info.value.diagnostics] == ["it has 1 choice; list each at most once"]


def test_grading_a_class_of_one_says_1_answer_file(tmp_path: Path) -> None:
    """`grade --class DIR -o grades.csv` with one answer file: 'graded 1 answer file'."""
    (tmp_path / "class").mkdir()
    (tmp_path / "class" / "ada.txt").write_text("citizen_exile_barred\n", encoding="utf-8")
    out = tmp_path / "grades.csv"
    result = CliRunner().invoke(cli, ["grade", str(DATA.parent.parent / "cases" / "citizen-federal-no-consent.yaml"),
                                      "--class", str(tmp_path / "class"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("graded 1 answer file: ")
