"""End-to-end tests of the command line through click's CliRunner: output, exit codes, stderr, files."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from transferlaw.cli import cli

from .conftest import DATA
from .conftest import MINI_RULES
from .conftest import ROOT

MINI_CASE = DATA / "cases" / "mini-unknowns.yaml"
RULES = ["--rules", str(MINI_RULES)]


def invoke(runner: CliRunner, *args: str, input: str | None = None) -> tuple[int, str, str]:
    result = runner.invoke(cli, list(args), input=input, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_run_prints_markdown_memo(runner: CliRunner) -> None:
    """run renders the memo to stdout with the disclaimer and the as-of date."""
    code, out, err = invoke(runner, *RULES, "run", str(MINI_CASE))
    assert code == 0, err
    assert out.startswith("# Memorandum")
    assert "not legal advice" in out and "2026-01-15" in out
    assert out.endswith("\n") and not out.endswith("\n\n")


@pytest.mark.parametrize("fmt", ["md", "html", "json"])
def test_run_is_deterministic(runner: CliRunner, fmt: str) -> None:
    """The same inputs give byte-identical memos in every format."""
    first = invoke(runner, *RULES, "run", str(MINI_CASE), "--format", fmt)
    second = invoke(runner, *RULES, "run", str(MINI_CASE), "--format", fmt)
    assert first[0] == 0 and first == second


def test_date_option_sets_memo_date(runner: CliRunner) -> None:
    """--date replaces the case's as_of as the memo date."""
    code, out, _ = invoke(runner, *RULES, "run", str(MINI_CASE), "--date", "2027-05-06", "-f", "json")
    assert code == 0 and '"as_of": "2027-05-06"' in out


def test_bad_date_option_is_located_error(runner: CliRunner) -> None:
    """An invalid --date is exit 1 with a message, not a traceback."""
    code, _, err = invoke(runner, *RULES, "run", str(MINI_CASE), "--date", "2027-13-01")
    assert code == 1 and "invalid date" in err and "Traceback" not in err


def test_run_reads_stdin(runner: CliRunner) -> None:
    """'-' reads the case from stdin."""
    code, out, err = invoke(runner, *RULES, "run", "-", "-f", "json", input=MINI_CASE.read_text())
    assert code == 0, err
    assert '"source": "-"' in out


def test_output_file_is_written_and_not_overwritten(runner: CliRunner, tmp_path: Path) -> None:
    """-o writes the file; an existing file is refused without --force and replaced with it."""
    target = tmp_path / "memo.html"
    assert invoke(runner, *RULES, "run", str(MINI_CASE), "-f", "html", "-o", str(target))[0] == 0
    assert target.read_text().startswith("<!DOCTYPE html>")
    target.write_text("keep me")
    code, _, err = invoke(runner, *RULES, "run", str(MINI_CASE), "-o", str(target))
    assert code == 1 and "already exists" in err and "--force" in err
    assert target.read_text() == "keep me"
    assert invoke(runner, *RULES, "run", str(MINI_CASE), "-o", str(target), "--force")[0] == 0
    assert target.read_text().startswith("# Memorandum")
    assert [p.name for p in tmp_path.iterdir()] == ["memo.html"]  # no temporary files left


def test_python_engine_gives_the_same_memo(runner: CliRunner) -> None:
    """--engine python renders exactly what the durable engine renders."""
    durable = invoke(runner, *RULES, "run", str(MINI_CASE), "--engine", "durable", "-f", "json")
    python = invoke(runner, *RULES, "run", str(MINI_CASE), "--engine", "python", "-f", "json")
    assert durable[0] == 0 and durable == python


@pytest.mark.parametrize(
    ("case_text", "expected"),
    [
        ("ruleset: mini\ntitle: t\nfacts:\n  citizn: true\n",
         ":4:3: unknown question 'citizn' (did you mean 'citizen'?)"),
        ("ruleset: mini\ntitle: t\nfacts:\n  custodian: federl\n", ":4:14: 'federl' is not a choice of 'custodian'"),
        ("ruleset: mini\ntitle: t\nfacts:\n  citizen: maybe\n", ":4:12: 'citizen' takes true, false or unknown"),
        ("ruleset: mini\ntitle: [\n", ":3:1: invalid YAML"),
        ("ruleset: minni\ntitle: t\n", ":1:10: unknown rule set 'minni' (did you mean 'mini'?)"),
        ("- a\n- b\n", ":1:1: a case file must be a mapping"),
    ],
)
def test_bad_case_is_exit_1_with_located_message(runner: CliRunner, tmp_path: Path, case_text: str,
                                                  expected: str) -> None:
    """Bad input gives exit 1 and path:line:col: message on stderr, never a traceback."""
    path = tmp_path / "case.yaml"
    path.write_text(case_text)
    code, out, err = invoke(runner, *RULES, "run", str(path))
    assert code == 1
    assert out == ""
    assert f"case.yaml{expected}" in err
    assert "Traceback" not in err


def test_several_problems_are_reported_at_once(runner: CliRunner, tmp_path: Path) -> None:
    """Every problem in a case file is reported in one run, in file order."""
    path = tmp_path / "case.yaml"
    path.write_text("ruleset: mini\ntitle: t\nfacts:\n  citizen: 3\n  custodian: nope\n  months_left: -1\n")
    code, _, err = invoke(runner, *RULES, "run", str(path))
    lines = err.strip().splitlines()
    assert code == 1 and len(lines) == 3
    assert [line.split(":")[1] for line in lines] == ["4", "5", "6"]


def test_broken_rule_set_is_located(runner: CliRunner, tmp_path: Path) -> None:
    """A broken condition and an unknown name in a rule set are located errors with suggestions."""
    rules = tmp_path / "rules"
    shutil.copytree(MINI_RULES / "mini", rules / "mini")
    ruleset = rules / "mini" / "ruleset.yaml"
    text = ruleset.read_text()
    text = text.replace('when: custodian in ["federal", "state", "ice"]', 'when: custodain in ["federal"]')
    text = text.replace("when: months_left >= 6 and known(notice_date)", "when: months_left >= and")
    ruleset.write_text(text)
    code, _, err = invoke(runner, "--rules", str(rules), "run", str(MINI_CASE))
    assert code == 1
    assert "unknown name 'custodain' (did you mean 'custodian'?)" in err
    assert "expected a literal value" in err
    assert "Traceback" not in err


def test_usage_error_is_exit_2(runner: CliRunner) -> None:
    """A wrong option value is a usage error (exit 2), as click does."""
    code, _, err = invoke(runner, *RULES, "run", str(MINI_CASE), "--format", "pdf")
    assert code == 2 and "Invalid value" in err


def test_missing_case_file(runner: CliRunner, tmp_path: Path) -> None:
    """A missing case file is a located error."""
    code, _, err = invoke(runner, *RULES, "run", str(tmp_path / "nope.yaml"))
    assert code == 1 and "nope.yaml: no such file" in err


@pytest.mark.parametrize("command", [[], *([name] for name in sorted(cli.commands))])
def test_every_command_has_help_with_an_example(runner: CliRunner, command: list[str]) -> None:
    """--help works on every command and shows an example."""
    code, out, _ = invoke(runner, *command, "--help")
    assert code == 0 and "Example" in out


def test_rulesets_lists_bundled_and_extra(runner: CliRunner) -> None:
    """rulesets lists id, version, as-of date and title."""
    code, out, _ = invoke(runner, "rulesets")
    assert code == 0 and "foreign-prison-transfer" in out
    code, out, _ = invoke(runner, *RULES, "rulesets")
    assert "mini" in out and "2026-01-15" in out


def test_test_command_passes_and_fails_readably(runner: CliRunner, tmp_path: Path) -> None:
    """test reports each rule-set test; a wrong expectation fails with expected/got and the trace."""
    code, out, _ = invoke(runner, *RULES, "test", "mini")
    assert code == 0 and "2 passed, 0 failed" in out
    rules = tmp_path / "rules"
    shutil.copytree(MINI_RULES / "mini", rules / "mini")
    tests = rules / "mini" / "tests" / "basic.yaml"
    tests.write_text(tests.read_text().replace("exile: raised", "exile: not_raised"))
    (rules / "mini" / "tests" / "basic.yaml").write_text(
        tests.read_text().replace("../../../cases/mini-unknowns.yaml", os.path.relpath(MINI_CASE, tests.parent)))
    code, out, _ = invoke(runner, "--rules", str(rules), "test", "mini")
    assert code == 1
    assert "FAIL citizen in federal custody" in out
    assert "issue exile: expected not_raised, got raised" in out
    assert "1 passed, 1 failed" in out


def test_version(runner: CliRunner) -> None:
    """--version prints the version."""
    assert "0.1.0" in invoke(runner, "--version")[1]


def test_python_m_entry_point_exists() -> None:
    """python -m transferlaw is wired to the CLI."""
    assert (ROOT / "src" / "transferlaw" / "__main__.py").read_text().strip().endswith("main()")


def test_a_broken_test_file_never_stops_a_memo(runner: CliRunner, tmp_path: Path) -> None:
    """Rule-set tests load only when run: a broken test file fails 'test' but not 'run'."""
    rules = tmp_path / "rules"
    shutil.copytree(MINI_RULES / "mini", rules / "mini")
    (rules / "mini" / "tests" / "basic.yaml").write_text("tests:\n  - name: x\n    facts: {citizn: true}\n")
    assert invoke(runner, "--rules", str(rules), "run", str(MINI_CASE))[0] == 0
    code, _, err = invoke(runner, "--rules", str(rules), "test", "mini")
    assert code == 1 and "basic.yaml:3:13: unknown question 'citizn'" in err


def test_rulesets_lists_good_ones_and_reports_broken_ones(runner: CliRunner, tmp_path: Path) -> None:
    """A broken rule set does not hide the others: they are listed, its errors go to stderr, exit 1."""
    rules = tmp_path / "rules"
    shutil.copytree(MINI_RULES / "mini", rules / "mini")
    shutil.copytree(DATA / "invalid" / "rulesets" / "unknown-area", rules / "unknown-area")
    code, out, err = invoke(runner, "--rules", str(rules), "rulesets")
    assert code == 1
    assert "mini " in out and "unknown-area" in out and "does not load" in out
    assert "ruleset.yaml:22:11: unknown area 'statsu'" in err


def test_memo_heading_from_the_case_and_the_command_line(runner: CliRunner, tmp_path: Path) -> None:
    """A case's memo: block sets To / From / Re and the privilege legend; options override it."""
    case = tmp_path / "case.yaml"
    case.write_text(MINI_CASE.read_text() + "memo:\n  to: Supervising attorney\n  from: Clinic intern\n"
                    "  privileged: true\n")
    code, out, _ = invoke(runner, *RULES, "run", str(case))
    assert code == 0
    assert out.startswith("**PRIVILEGED & CONFIDENTIAL — ATTORNEY WORK PRODUCT**")
    assert "**To:** Supervising attorney" in out and "**From:** Clinic intern" in out
    code, out, _ = invoke(runner, *RULES, "run", str(case), "--to", "Court team", "--legend", "CONFIDENTIAL",
                          "-f", "json")
    heading = json.loads(out)["heading"]
    assert heading["to"] == "Court team" and heading["from"] == "Clinic intern"
    assert heading["privileged"] == "CONFIDENTIAL"
    code, out, _ = invoke(runner, *RULES, "run", str(MINI_CASE), "-f", "json")
    assert json.loads(out)["heading"]["privileged"] is None


def test_bad_memo_block_is_located(runner: CliRunner, tmp_path: Path) -> None:
    """An unknown key or a wrong type in the memo: block is a located error."""
    case = tmp_path / "case.yaml"
    case.write_text("ruleset: mini\ntitle: t\nmemo:\n  too: x\n  privileged: 3\n")
    code, _, err = invoke(runner, *RULES, "run", str(case))
    assert code == 1
    assert "case.yaml:4:3: unknown key 'too' in 'memo' (did you mean 'to'?)" in err
    assert "case.yaml:5:15: 'privileged' must be true, false or the legend's text" in err


LONG = "x" * 300  # longer than any file system takes for one name: Path.is_file() raises ENAMETOOLONG


@pytest.mark.parametrize(("args", "message"), [
    (["check", LONG], f"no rule set '{LONG[:60]}…'"),
    (["test", LONG], f"no rule set '{LONG[:60]}…'"),
    (["--rules", LONG, "run", str(ROOT / "cases" / "many-unknowns.yaml")], "no such rules directory"),
    (["run", LONG], "cannot read"),
    (["explain", LONG, "us_citizen"], "cannot read"),
    (["batch", LONG, "-o", "{tmp}/out"], "no such file or folder"),
    (["run", str(ROOT / "cases" / "many-unknowns.yaml"), "-o", f"{LONG}/memo.md"], "cannot write"),
    (["new", f"{LONG}/rules"], "cannot create the folder"),
    (["new", "/etc/passwd/rules"], "cannot create the folder: Not a directory"),
])
def test_paths_the_system_cannot_take_are_input_errors(runner: CliRunner, tmp_path: Path, args: list[str],
                                                       message: str) -> None:
    """Found by fuzzing: a file name too long for the file system raised OSError from Path.is_file()."""
    result = runner.invoke(cli, [a.replace("{tmp}", str(tmp_path)) for a in args])
    assert result.exit_code == 1, result.output
    assert not isinstance(result.exception, OSError)
    assert message in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("command", [["run"], ["explain", "-", "us_citizen"], ["sensitivity"],
                                     ["whatif", "-", "--set", "age_years=30"]])
def test_stdin_that_is_not_utf8_or_too_large_is_located(runner: CliRunner, command: list[str]) -> None:
    """Found by review: non-UTF-8 bytes on stdin raised UnicodeEncodeError inside PyYAML, and stdin was read whole."""
    args = command if "-" in command else [*command, "-"]
    result = runner.invoke(cli, args, input=b"ruleset: foreign-prison-transfer\ntitle: \xff\n")
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("-:2:8: the file is not valid UTF-8 text (save it as UTF-8)")
    result = runner.invoke(cli, args, input=b"a" * (6 * 1024 * 1024))
    assert result.exit_code == 1
    assert result.stderr.startswith("-: file is too large (6,291,456 bytes; the limit is 5,242,880)")
