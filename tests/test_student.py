"""Student tools through the CLI and the API: explain, why-not, what-if and fact sensitivity."""

from __future__ import annotations

import json
import time

import pytest
from click.testing import CliRunner

from transferlaw import api
from transferlaw.cli import cli
from transferlaw.engine import sensitivity
from transferlaw.tools import explain

from .conftest import DATA
from .conftest import MINI_RULES

MINI = ["--rules", str(MINI_RULES)]
MINI_CASE = str(DATA / "cases" / "mini-unknowns.yaml")


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_explain_shows_every_node_down_to_the_facts() -> None:
    """explain prints the tree with values, facts named by id and prompt, conclusions expanded."""
    code, out, _ = invoke(*MINI, "explain", MINI_CASE, "exile")
    assert code == 0
    assert out.startswith("issue exile — Exile of a citizen: UNDETERMINED")
    assert "citizen = unknown (Is the person a citizen?)" in out
    assert "conclusion: Held by the government" in out
    assert "custodian = State prison (Who holds the person?)" in out
    assert "missing facts that could decide it: citizen (Is the person a citizen?)" in out


def test_why_not_names_the_failing_elements() -> None:
    """For a not-raised issue the summary counts the elements met and names the one that failed."""
    case, ruleset = api.load_case(MINI_CASE, [MINI_RULES])
    import dataclasses

    case = dataclasses.replace(case, facts={**case.facts, "citizen": True, "custodian": "ice"})
    explained = explain.explain(api.evaluate_case(case, ruleset), "exile")
    assert explained.status == "Not raised"
    assert explained.summary == '2 of 3 elements met; fails on not (custodian == "ice") is false'


def test_explain_json_and_conclusions() -> None:
    """--format json gives the tree as data; a conclusion can be explained too."""
    code, out, _ = invoke(*MINI, "explain", MINI_CASE, "protected", "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["kind"] == "conclusion" and data["tree"]["kind"] == "or"


def test_explain_unknown_issue_is_a_located_error() -> None:
    """An unknown issue id is exit 1 with a suggestion, never a traceback."""
    code, _, err = invoke(*MINI, "explain", MINI_CASE, "exil")
    assert code == 1 and "no issue or conclusion 'exil'" in err and "did you mean 'exile'?" in err


def test_whatif_lists_changed_findings() -> None:
    """whatif shows the findings that change, before and after, without touching the file."""
    before = (DATA / "cases" / "mini-unknowns.yaml").read_text()
    code, out, _ = invoke(*MINI, "whatif", MINI_CASE, "--set", "citizen=true")
    assert code == 0 and "exile: undetermined -> raised" in out
    assert (DATA / "cases" / "mini-unknowns.yaml").read_text() == before
    code, out, _ = invoke(*MINI, "whatif", MINI_CASE, "--set", "conditions=[no_visits, crowding]", "--format", "json")
    assert code == 0 and json.loads(out)["changes"][0]["issue"] == "late_notice"
    code, out, _ = invoke(*MINI, "whatif", MINI_CASE, "--set", "custodian=unknown")
    assert code == 0 and out == "no finding changes\n"  # exile was already undetermined


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("citizn=true", "--set citizn=true: unknown question 'citizn' (did you mean 'citizen'?)"),
        ("citizen=maybe", "--set citizen=maybe: 'citizen' takes true, false or unknown"),
        ("months_left=5000", "'months_left' must be at most 1200 months"),
        ("citizen", "--set citizen: expected FACT=VALUE"),
        ("notice_date=2025-13-01", "'notice_date' takes a date YYYY-MM-DD"),
    ],
)
def test_whatif_bad_values_are_located_errors(setting: str, message: str) -> None:
    """A bad --set is validated like a case file: exit 1, the setting named, no traceback."""
    code, _, err = invoke(*MINI, "whatif", MINI_CASE, "--set", setting)
    assert code == 1 and message in err and "Traceback" not in err


def test_sensitivity_for_answered_and_unknown_facts() -> None:
    """Answered facts list the other answers that change findings; unknown facts list what each decides."""
    case, ruleset = api.load_case(MINI_CASE, [MINI_RULES])
    found = {f.question: f for f in sensitivity.sensitivity(ruleset, case.facts)}
    assert found["citizen"].answered is False
    assert {a.value for a in found["citizen"].alternatives} == {True, False}
    assert found["custodian"].answered is True
    code, out, _ = invoke(*MINI, "sensitivity", MINI_CASE)
    assert code == 0 and "citizen (Is the person a citizen?) — now: unknown" in out
    assert json.loads(invoke(*MINI, "sensitivity", MINI_CASE, "--format", "json")[1])


def test_sensitivity_is_in_the_memo() -> None:
    """The memo has a 'What would change the analysis' section built from the same data: a sentence per fact
    that matters most, and at the full detail every answer that changes a finding."""
    memo = api.run(MINI_CASE, "md", [MINI_RULES])
    assert "## What would change the analysis" in memo
    assert "If the answer to “Is the person a citizen” is yes, one issue would no longer arise" in memo
    assert "- If yes: Exile of a citizen would be raised" in api.run(MINI_CASE, "md", [MINI_RULES], detail="full")


def test_sensitivity_of_a_full_flagship_case_is_fast() -> None:
    """Sensitivity of a bundled flagship case takes well under the 1 s budget (measured in bench/)."""
    case, ruleset = api.load_case("cases/lpr-state-appeal-pending.yaml")
    start = time.perf_counter()
    sensitivity.sensitivity(ruleset, case.facts)
    assert time.perf_counter() - start < 5  # generous: a smoke check, not a benchmark


def _scripted_answers(case_path: str) -> tuple[str, list[str]]:
    """The answers a user would type, in order, to rebuild a bundled case in the interview."""
    from transferlaw.tools import interview

    from .test_interview import Script

    case, ruleset = api.load_case(case_path)
    script = Script(facts=case.facts, ruleset=ruleset)
    answers: list[str] = []

    def ask(hint: str) -> str:
        answer = script.ask(hint)
        answers.append(answer)
        return answer

    interview.run(ruleset, ask=ask, say=script.said.append, save=lambda _: None, title=case.title)
    return case.title, answers


@pytest.mark.parametrize("case_path", ["cases/citizen-federal-no-consent.yaml", "cases/many-unknowns.yaml"])
def test_interview_through_the_cli_rebuilds_a_case(case_path: str, tmp_path: object) -> None:
    """Typing a bundled case's answers into `transferlaw interview` writes a case with the same findings."""
    from pathlib import Path

    title, answers = _scripted_answers(case_path)
    target = Path(str(tmp_path)) / "new.yaml"
    result = CliRunner().invoke(cli, ["interview", "foreign-prison-transfer", "-o", str(target), "--title", title],
                                input="\n".join(answers) + "\n")
    assert result.exit_code == 0, result.output
    assert f"case: {target}" in result.stdout
    original, ruleset = api.load_case(case_path)
    rebuilt, _ = api.load_case(target)
    before = {f.issue.id: f.status for f in api.evaluate_case(original, ruleset).findings}
    after = {f.issue.id: f.status for f in api.evaluate_case(rebuilt, ruleset).findings}
    assert after == before
    assert len(answers) < len(ruleset.questions)  # questions that could not matter were never asked


def test_interview_quit_and_resume(tmp_path: object) -> None:
    """'quit' saves; --resume continues the same file without asking the answered questions again."""
    from pathlib import Path

    target = Path(str(tmp_path)) / "case.yaml"
    runner = CliRunner()
    first = runner.invoke(cli, [*MINI, "interview", "mini", "-o", str(target), "--title", "T"],
                          input="Jane\nyes\nquit\n")
    assert first.exit_code == 0 and "interview saved" in first.stdout
    assert "citizen: true" in target.read_text()
    second = runner.invoke(cli, [*MINI, "interview", "mini", "--resume", str(target)], input="\n" * 10)
    assert second.exit_code == 0
    assert "Is the person a citizen?" not in second.stdout
    refused = runner.invoke(cli, [*MINI, "interview", "mini", "-o", str(target)], input="")
    assert refused.exit_code == 1 and "already exists" in refused.stderr
    assert runner.invoke(cli, [*MINI, "interview", "mini"]).exit_code == 2


ANSWERS = DATA / "answers"
CITIZEN = "cases/citizen-federal-no-consent.yaml"


def test_grade_one_answer_file() -> None:
    """grade prints precision, recall, weighted score and the match report; JSON carries the same."""
    code, out, _ = invoke("grade", CITIZEN, str(ANSWERS / "class" / "ben.txt"))
    assert code == 0 and "precision 100.0%  recall 22.2%  weighted score 20.0%" in out
    assert "line 3: Citizens can't be exiled -> A U.S. citizen or national" in out
    data = json.loads(invoke("grade", CITIZEN, str(ANSWERS / "class" / "ben.txt"), "--format", "json")[1])
    assert data["summary"]["recall"] == pytest.approx(22.2, abs=0.1)


def test_grade_a_class_into_csv(tmp_path: object) -> None:
    """--class grades every file into one CSV; a bad file is reported and the others are still graded."""
    from pathlib import Path

    target = Path(str(tmp_path)) / "grades.csv"
    code, out, err = invoke("grade", CITIZEN, "--class", str(ANSWERS / "class"), "-o", str(target))
    assert code == 1 and "zed.yaml:5:1: invalid YAML" in err
    rows = target.read_text().splitlines()
    assert rows[0] == "student,file,hits,misses,false_alarms,precision,recall,weighted_score"
    assert [r.split(",")[1] for r in rows[1:]] == ["ada.yaml", "ben.txt", "cleo.yaml", "dana.md"]
    assert invoke("grade", CITIZEN, "--class", str(ANSWERS / "class"), "-o", str(target))[0] == 1
    assert "already exists" in invoke("grade", CITIZEN, "--class", str(ANSWERS / "class"), "-o", str(target))[2]


def test_grade_bad_input_is_located() -> None:
    """A bad answer file is exit 1 with a located message; both or neither of ANSWERS/--class is a usage error."""
    code, _, err = invoke("grade", CITIZEN, str(ANSWERS / "bad" / "empty-list.yaml"))
    assert code == 1 and "empty-list.yaml:" in err and "Traceback" not in err
    assert CliRunner().invoke(cli, ["grade", CITIZEN]).exit_code == 2
