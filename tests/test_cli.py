"""End-to-end tests of the command line through click's CliRunner: output, exit codes, stderr, files."""

from __future__ import annotations

import contextlib
import io
import json
import os
import resource
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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
    assert target.read_text().startswith("<!DOCTYPE html>")  # the format follows the suffix (issue 13.14)
    assert [p.name for p in tmp_path.iterdir()] == ["memo.html"]  # no temporary files left


def test_python_engine_gives_the_same_memo(runner: CliRunner) -> None:
    """--engine python renders exactly what the durable engine renders."""
    durable = invoke(runner, *RULES, "run", str(MINI_CASE), "--engine", "durable", "-f", "json")
    python = invoke(runner, *RULES, "run", str(MINI_CASE), "--engine", "python", "-f", "json")
    assert durable[0] == 0 and durable[1:] != python[1:]
    assert json.loads(durable[1])["generator"]["engine"].startswith("durable_rules 2.")
    assert json.loads(python[1])["generator"]["engine"] == "python (Kleene evaluator)"
    assert durable[1].replace(json.loads(durable[1])["generator"]["engine"], "python (Kleene evaluator)") == python[1]


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
    code, _, err = invoke(runner, *RULES, "run", str(MINI_CASE), "--format", "odt")
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


def test_test_command_checks_cited_authorities(runner: CliRunner, tmp_path: Path) -> None:
    """A test's ``cites`` passes when the finding lists the authority; ``omits`` fails, naming it, when it does."""
    rules = tmp_path / "rules"
    shutil.copytree(MINI_RULES / "mini", rules / "mini")
    tests = rules / "mini" / "tests" / "basic.yaml"
    first = "    missing:\n      long_sentence: [months_left]\n"
    text = tests.read_text().replace("../../../cases/mini-unknowns.yaml", os.path.relpath(MINI_CASE, tests.parent))
    tests.write_text(text.replace(first, first + "    cites:\n      exile: [case-a]\n"))
    code, out, _ = invoke(runner, "--rules", str(rules), "test", "mini")
    assert code == 0 and "2 passed, 0 failed" in out
    tests.write_text(text.replace(first, first + "    omits:\n      exile: [case-a]\n"))
    code, out, _ = invoke(runner, "--rules", str(rules), "test", "mini")
    assert code == 1
    assert "issue exile: expected not to cite case-a" in out


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


# --- issue 13 -----------------------------------------------------------------------------------------------

def transferlaw(*args: str, stdin: int | None = subprocess.DEVNULL,
                timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """The CLI in a fresh process with 2 GB of memory at most: a hang or a runaway read fails the test (after
    ``timeout`` seconds, or with MemoryError) instead of stalling the run or the machine."""
    def limit_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))

    return subprocess.run([sys.executable, "-m", "transferlaw", *args], stdin=stdin, capture_output=True,
                          text=True, timeout=timeout, preexec_fn=limit_memory)


def special_files(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    """A FIFO and a link to /dev/zero, each named like a case file, and what each is called in the error."""
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    zero = tmp_path / "z.yaml"
    zero.symlink_to("/dev/zero")
    return {"fifo": (fifo, "a FIFO"), "dev-zero": (zero, "a device")}


@pytest.mark.parametrize("kind", ["fifo", "dev-zero"])
@pytest.mark.parametrize("command", ["run", "explain", "batch", "batch-folder", "batch-csv", "mapping", "grade"])
def test_issue13_special_files_are_refused_not_read(tmp_path: Path, kind: str, command: str) -> None:
    """Issue 13.3: a FIFO or a link to a device named as an input hung (or filled memory) in the parent process,
    where --timeout cannot help; it is a located error, and a batch goes on with the other inputs."""
    path, called = special_files(tmp_path)[kind]
    good = str(ROOT / "cases" / "many-unknowns.yaml")
    if command in ("batch-csv", "mapping"):
        csv = tmp_path / "pipe.csv"
        if kind == "fifo":
            os.mkfifo(csv)
        else:
            csv.symlink_to("/dev/zero")
        path = csv if command == "batch-csv" else path
    out = str(tmp_path / "out")
    args = {
        "run": ["run", str(path)],
        "explain": ["explain", str(path), "us_citizen"],
        "batch": ["batch", str(path), good, "-o", out, "-j", "1"],
        "batch-folder": ["batch", str(tmp_path), "-o", out, "-j", "1"],
        "batch-csv": ["batch", str(path), good, "-o", out, "-j", "1"],
        "mapping": ["batch", str(ROOT / "tests" / "data" / "batch" / "clients.csv"), "--mapping", str(path),
                    "--ruleset", "foreign-prison-transfer",
                    "-o", out, "-j", "1"],
        "grade": ["grade", good, str(path)],
    }[command]
    if command == "batch-folder":
        shutil.copy(good, tmp_path / "good.yaml")
    result = transferlaw(*args)
    assert result.returncode == 1, result.stderr
    assert f"{path.name}: is not a regular file ({called})" in result.stderr
    assert "Traceback" not in result.stderr
    if command in ("batch", "batch-folder", "batch-csv"):
        assert "1 written" in result.stdout


def test_issue13_endless_stdin_is_refused_at_the_cap() -> None:
    """Issue 13.3: `run - < /dev/zero` read stdin to its end (never) to report its size."""
    with open("/dev/zero", "rb") as zero:
        result = transferlaw("run", "-", stdin=zero.fileno())
    assert result.returncode == 1
    assert result.stderr.startswith("-: file is too large (more than 83,886,080 bytes; the limit is 5,242,880)")


@pytest.mark.parametrize(("name", "start"), [("memo.md", b"# Memorandum"), ("memo.MD", b"# Memorandum"),
                                             ("memo.html", b"<!DOCTYPE html>"), ("memo.htm", b"<!DOCTYPE html>"),
                                             ("memo.json", b"{"), ("memo.docx", b"PK\x03\x04")])
def test_issue13_output_format_follows_the_suffix(runner: CliRunner, tmp_path: Path, name: str, start: bytes) -> None:
    """Issue 13.14: `-o memo.docx` without -f wrote Markdown under that name. One line on stderr says where the
    memo went; stdout stays empty."""
    target = tmp_path / name
    result = runner.invoke(cli, [*RULES, "run", str(MINI_CASE), "-o", str(target)])
    assert result.exit_code == 0, result.stderr
    assert target.read_bytes().startswith(start)
    assert result.stdout == ""
    assert result.stderr == f"wrote {target}\n"


@pytest.mark.parametrize(("args", "message"), [
    (["-o", "memo.txt"], "cannot tell the memo's format from 'memo.txt': name it .md, .html, .json, .docx or "
                         ".pdf, or give -f md|html|json|docx|pdf"),
    (["-o", "memo"], "cannot tell the memo's format from 'memo'"),
    (["-o", "memo.docx", "-f", "md"], "-f md does not match 'memo.docx' (a docx file): drop -f, or give a name "
                                      "ending in .md"),
    (["-o", "memo.html", "--format", "json"], "-f json does not match 'memo.html'"),
])
def test_issue13_unknown_suffix_or_conflict_is_a_usage_error(runner: CliRunner, tmp_path: Path, args: list[str],
                                                            message: str) -> None:
    """Issue 13.14: an output name that does not say the format, or says another one than -f, is exit 2."""
    args = [str(tmp_path / a) if a.startswith("memo") else a for a in args]
    result = runner.invoke(cli, [*RULES, "run", str(MINI_CASE), *args])
    assert result.exit_code == 2
    assert message.replace("'memo", f"'{tmp_path}/memo") in result.stderr.replace("\n", " ").replace("  ", " ")
    assert list(tmp_path.iterdir()) == []


def test_issue13_explicit_format_with_any_other_name(runner: CliRunner, tmp_path: Path) -> None:
    """An explicit -f writes that format under a name whose suffix says nothing (memo.txt)."""
    target = tmp_path / "memo.txt"
    result = runner.invoke(cli, [*RULES, "run", str(MINI_CASE), "-f", "html", "-o", str(target)])
    assert result.exit_code == 0, result.stderr
    assert target.read_text().startswith("<!DOCTYPE html>")


@pytest.mark.parametrize(("args", "message"), [
    (["--class", "{answers}", "-o", "{tmp}/grades.xlsx"],
     "the class's grades are CSV: give -o a name ending in .csv"),
    (["{answers}/ben.txt", "-o", "{tmp}/grade.json"], "-o writes the class's CSV: use it with --class DIR"),
])
def test_issue13_grade_output_name_must_fit_what_is_written(runner: CliRunner, tmp_path: Path, args: list[str],
                                                           message: str) -> None:
    """Issue 13.14, for grade: -o always writes CSV (and only with --class); another name is a usage error."""
    answers = str(DATA / "answers" / "class")
    args = [a.replace("{answers}", answers).replace("{tmp}", str(tmp_path)) for a in args]
    result = runner.invoke(cli, ["grade", str(ROOT / "cases" / "citizen-federal-no-consent.yaml"), *args])
    assert result.exit_code == 2 and message in result.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.fixture
def no_durable(monkeypatch: pytest.MonkeyPatch) -> None:
    """durable_rules as on Python 3.13: its import failed with a linker error."""
    from transferlaw.engine import durable as engine

    monkeypatch.setattr(engine, "_dre", None)
    monkeypatch.setattr(engine, "IMPORT_ERROR", "ImportError: /x/durable_rules_engine.so: undefined symbol: "
                                                "PyEval_CallObject")


EVALUATING = {
    "run": ["run", str(MINI_CASE)],
    "explain": ["explain", str(MINI_CASE), "exile"],
    "whatif": ["whatif", str(MINI_CASE), "--set", "citizen=true"],
    "sensitivity": ["sensitivity", str(MINI_CASE)],
    "grade": ["grade", str(MINI_CASE), "{tmp}/answers.txt"],
    "test": ["test", "mini"],
    "batch": ["batch", str(MINI_CASE), "-o", "{tmp}/out", "-j", "1", "-f", "json"],
    "serve": ["serve", "--state", "{tmp}/state"],
    "interview": ["interview", "mini", "-o", "{tmp}/case.yaml", "--title", "T"],
}


@pytest.mark.parametrize("command", EVALUATING)
def test_issue13_every_evaluating_command_says_once_that_durable_is_missing(
        runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_durable: None, command: str) -> None:
    """Issue 13.18: only run warned, in linker words; every command that evaluates says so once, in plain words,
    with the fix, and goes on with the Python evaluator."""
    from transferlaw.web import server

    monkeypatch.setattr(server, "serve", lambda *args, **kwargs: None)
    (tmp_path / "answers.txt").write_text("citizen exile\n")
    args = [a.replace("{tmp}", str(tmp_path)) for a in EVALUATING[command]]
    result = runner.invoke(cli, [*RULES, *args], input="quit\n")
    assert result.exit_code == 0, result.stderr
    assert sum("durable_rules" in line for line in result.stderr.splitlines()) == 1
    assert result.stderr.count("Python evaluator") == 1
    notice = next(line for line in result.stderr.splitlines() if "durable_rules" in line)
    assert notice.startswith("warning: the durable_rules engine does not work on this Python")
    assert "so transferlaw's own Python evaluator decides instead (the findings are the same)" in notice
    assert 'CPPFLAGS="-DPyEval_CallObject=PyObject_CallObject"' in notice and "Python 3.11 or 3.12" in notice
    assert "Traceback" not in result.stderr


def test_issue13_memo_json_records_the_engine_that_decided(runner: CliRunner, no_durable: None) -> None:
    """Issue 13.18: the memo JSON's generator says which engine decided."""
    result = runner.invoke(cli, [*RULES, "run", str(MINI_CASE), "-f", "json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["generator"] == {"name": "transferlaw", "version": "0.1.0",
                                                       "engine": "python (Kleene evaluator)"}


def test_issue13_durable_engine_asked_for_but_missing(runner: CliRunner, no_durable: None) -> None:
    """--engine durable where it cannot load: exit 1, in plain words, with the fix."""
    result = runner.invoke(cli, [*RULES, "run", str(MINI_CASE), "--engine", "durable"])
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.startswith("the durable_rules engine does not work on this Python")
    assert "or use --engine python" in result.stderr


def test_issue13_a_real_import_failure_is_reported_once(tmp_path: Path) -> None:
    """The same, with durable_rules' import really failing in a fresh interpreter."""
    code = ("import sys; sys.modules['durable_rules_engine'] = None\n"
            "from transferlaw.cli import main; sys.argv[0] = 'transferlaw'; main()")
    result = subprocess.run([sys.executable, "-c", code, *RULES, "run", str(MINI_CASE), "-f", "json"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["generator"]["engine"] == "python (Kleene evaluator)"
    assert sum("durable_rules" in line for line in result.stderr.splitlines()) == 1
    assert "install a C compiler and the Python headers" in result.stderr


# --- issue 13.2: a failed write to standard output ----------------------------------------------------------

PRINTING = {"run": ["run", str(ROOT / "cases" / "pretrial-detainee.yaml")], "schema": ["schema"],
            "check": ["check", "foreign-prison-transfer"]}
"""Commands that print what they make, and how to call them."""


def _last_line(stderr: str) -> str:
    assert "Traceback" not in stderr, stderr
    return stderr.splitlines()[-1] if stderr else ""


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("command", sorted(PRINTING))
def test_issue13_stdout_to_dev_full_is_one_line_and_exit_1(command: str) -> None:
    """Issue 13.2: `run`, `schema` and `check` writing to /dev/full gave a traceback."""
    with open("/dev/full", "w") as full:
        result = subprocess.run([sys.executable, "-m", "transferlaw", *PRINTING[command]], stdout=full,
                                stderr=subprocess.PIPE, text=True, timeout=120)
    assert result.returncode == 1
    assert _last_line(result.stderr) == "transferlaw: cannot write to standard output: No space left on device"


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX resource limits")
@pytest.mark.parametrize("command", ["run", "schema", "run -o"])
def test_issue13_a_file_size_limit_is_exit_1_not_a_cut_memo(tmp_path: Path, command: str) -> None:
    """Issue 13.2: under `ulimit -f` the memo (or schema) on stdout was cut at the limit and the exit code was 0;
    with -o the cut memo took the file's name."""
    args = PRINTING[command.split()[0]]
    target = tmp_path / "memo.md"
    if command == "run -o":
        args = [*args, "-o", str(target)]
    assert transferlaw(*args[:2]).returncode == 0  # caches filled without the limit

    def limit_file_size() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (8192, 8192))

    with (tmp_path / "stdout").open("w") as out:
        result = subprocess.run([sys.executable, "-m", "transferlaw", *args], stdout=out, stderr=subprocess.PIPE,
                                text=True, timeout=120, preexec_fn=limit_file_size)
    assert result.returncode == 1
    if command == "run -o":
        assert _last_line(result.stderr) == f"{target}: cannot write: File too large"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["stdout"]
    else:
        assert _last_line(result.stderr) == "transferlaw: cannot write to standard output: File too large"


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX pipes")
def test_issue13_a_reader_that_stops_early_is_quiet() -> None:
    """`transferlaw run CASE | head -1`: when the reader goes away, transferlaw stops without a word, as other
    command-line tools do (the memo is larger than a pipe's buffer, so the write really fails)."""
    with subprocess.Popen([sys.executable, "-m", "transferlaw", *PRINTING["run"]], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE) as child:
        assert child.stdout is not None and child.stderr is not None
        assert child.stdout.read(12) == b"# Memorandum"
        child.stdout.close()
        stderr = child.stderr.read()
        child.wait(timeout=120)
    assert stderr == b""


def test_issue13_a_full_disk_under_stdout_is_exit_1(tmp_path: Path) -> None:
    """Issue 13.2: on a full disk, `run > memo.md` exited 0 with a cut memo. A real (tiny) full disk: the memo
    does not fit, part of it is written, and the rest fails."""
    from .fulldisk import on_small_disk

    report = on_small_disk(tmp_path, """
        case = ROOT / "cases" / "pretrial-detainee.yaml"
        fill(room=16384)
        with open(DISK / "piped.md", "w") as out:
            piped = transferlaw("run", case, stdout=out)
        os.unlink(DISK / "piped.md")
        named = transferlaw("run", case, "-o", DISK / "named.md")
        print(json.dumps({"piped": [piped.returncode, piped.stderr], "named": [named.returncode, named.stderr],
                          "left": sorted(os.listdir(DISK))}))
    """)
    assert report["piped"][0] == 1
    assert _last_line(report["piped"][1]) == "transferlaw: cannot write to standard output: No space left on device"
    assert report["named"][0] == 1 and _last_line(report["named"][1]).endswith(
        "named.md: cannot write: No space left on device")
    assert report["left"] == ["filler"]


class FullStdoutRunner(CliRunner):
    """A CliRunner whose standard output is /dev/full, as with `transferlaw ... > /dev/full`."""

    @contextlib.contextmanager
    def isolation(self, *args: Any, **kwargs: Any) -> Iterator[Any]:
        with super().isolation(*args, **kwargs) as streams:
            sys.stdout = io.TextIOWrapper(io.FileIO("/dev/full", "wb"), encoding="utf-8")
            try:
                yield streams
            finally:
                sys.stdout.close()


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("args", [PRINTING["run"], PRINTING["schema"], PRINTING["check"], ["rulesets"],
                                  ["run", PRINTING["run"][1], "-f", "json"]], ids=" ".join)
def test_issue13_failed_stdout_write_is_handled_in_the_cli(args: list[str]) -> None:
    """Issue 13.2, in process: any command whose output cannot be written ends with one line and exit 1."""
    result = FullStdoutRunner().invoke(cli, args)
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 1
    assert _last_line(result.stderr) == "transferlaw: cannot write to standard output: No space left on device"


@pytest.mark.parametrize("command", ["run", "batch", "batch-csv"])
def test_issue13_a_file_that_grows_past_the_cap_is_refused(runner: CliRunner, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch, command: str) -> None:
    """Issue 13.3: the size cap holds while the file is read, not only from a stat taken before it (here stat
    and fstat say 10 bytes, as if the file grew after them); a batch reports it and goes on."""
    from transferlaw.batch import csvtext
    from transferlaw.language import yamlio

    from .test_files import lie_about_size

    monkeypatch.setattr(yamlio, "MAX_FILE_BYTES", 1000)
    monkeypatch.setattr(csvtext, "MAX_CSV_BYTES", 1000)
    if command == "batch-csv":
        grows = tmp_path / "grows.csv"
        grows.write_text("ruleset,title,citizen\n" + "mini,t,yes\n" * 200)
    else:
        grows = tmp_path / "grows.yaml"
        grows.write_text(MINI_CASE.read_text() + "# padding\n" * 200)
    lie_about_size(monkeypatch, grows, 10)
    good = tmp_path / "good.yaml"
    good.write_text("ruleset: mini\ntitle: Good\n")
    args = ["run", str(grows)] if command == "run" else ["batch", str(grows), str(good), "-o", str(tmp_path / "out"),
                                                         "-j", "1"]
    result = runner.invoke(cli, [*RULES, *args])
    assert result.exit_code == 1
    assert f"{grows.name}: file is too large (it grew past the limit of 1,000 bytes while it was read)" in result.stderr
    assert "Traceback" not in result.stderr
    if command != "run":
        assert "1 written" in result.stdout


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file descriptors")
@pytest.mark.parametrize("command", sorted(PRINTING))
def test_issue13_a_closed_stdout_is_one_line_and_exit_1(command: str) -> None:
    """`transferlaw ... >&-` (standard output closed): `run` gave a traceback, `schema` and `check` exit 0 having
    written nothing. A write that cannot happen is exit 1 with one line."""
    result = subprocess.run([sys.executable, "-m", "transferlaw", *PRINTING[command]], stderr=subprocess.PIPE,
                            text=True, timeout=120, preexec_fn=lambda: os.close(1))
    assert result.returncode == 1
    assert _last_line(result.stderr) == "transferlaw: cannot write to standard output: Bad file descriptor"


def test_json_views_are_the_views_module(runner: CliRunner) -> None:
    """whatif, sensitivity, check and test print, as JSON, exactly what transferlaw.tools.views builds for the API's
    results (the one place each command's JSON view is made)."""
    from transferlaw import api
    from transferlaw.tools import views

    case, ruleset = api.load_case(MINI_CASE, [MINI_RULES])
    _, _, changes = api.what_if(case, ruleset, ["citizen=true"])
    expected = {
        ("whatif", str(MINI_CASE), "--set", "citizen=true"): views.dumps(views.whatif_json(["citizen=true"], changes,
                                                                                          ruleset)),
        ("sensitivity", str(MINI_CASE)): views.dumps(views.sensitivity_json(api.fact_sensitivity(case, ruleset),
                                                                            ruleset)),
        ("check", "mini"): views.dumps(views.check_json([api.check_ruleset("mini", [MINI_RULES])]), ascii_only=True),
    }
    loaded, tests = api.load_tests("mini", [MINI_RULES])
    expected[("test", "mini")] = views.dumps(views.tests_json(loaded, api.run_tests(loaded, tests), None),
                                             ascii_only=True)
    for args, shown in expected.items():
        code, out, err = invoke(runner, *RULES, *args, "--format", "json")
        assert code == 0, err
        assert out == shown + "\n", args
    assert json.loads(expected[("whatif", str(MINI_CASE), "--set", "citizen=true")])["changes"]
