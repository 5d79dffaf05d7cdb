"""Batches: every memo written atomically, bad inputs reported, identical for any number of workers."""

from __future__ import annotations

import csv
import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from transferlaw.batch import runner as batch
from transferlaw.cli import cli

from . import crashers
from .conftest import ROOT

CASES = ROOT / "cases"
FEW = sorted(CASES.glob("*.yaml"))[:6]  # keys are the file stems, in this order


def _csv(path: Path, rows: int, bad_row: int | None = None) -> Path:
    """A spreadsheet of flagship clients: one case per row (row ``bad_row`` has a bad choice)."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["title", "custodian", "citizenship", "conviction_stage", "consent_given"])
        for n in range(rows):
            custodian = "federl" if n == bad_row else ("federal_bop", "state", "ice")[n % 3]
            writer.writerow([f"Client {n}", custodian, ("us_citizen_birth", "lpr", "")[n % 3], "final",
                             ("yes", "no", "unknown")[n % 3]])
    return path


def _files(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def _stem(name: str) -> str:
    """A memo's or key's stem: the source's name, without the hash (and the format)."""
    return name.rsplit(".", 1)[0].rsplit("-", 1)[0] if "." in name else name.rsplit("-", 1)[0]


def _is_memo(name: str) -> bool:
    return not name.startswith(("summary", "index", "."))


def test_batch_over_folders_and_a_spreadsheet(tmp_path: Path) -> None:
    """Case files and CSV rows all get memos; a bad row and a bad file are reported; the rest is finished."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("ruleset: foreign-prison-transfer\ntitle: broken\nfacts:\n  custodian: nowhere\n")
    sheet = _csv(tmp_path / "clients.csv", 6, bad_row=2)
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["batch", str(CASES), str(sheet), str(bad), "-o", str(out), "-f", "md,json",
                                      "--ruleset", "foreign-prison-transfer", "-j", "1"])
    assert result.exit_code == 1
    assert "clients.csv:4:" in result.stderr and "'federl' is not a choice of 'custodian'" in result.stderr
    assert "bad.yaml:4:14:" in result.stderr
    bundled = len(list(CASES.rglob("*.yaml")))
    memos = sorted(p.name for p in out.glob("*.md"))
    assert len(memos) == bundled + 5
    summary = json.loads((out / "summary.json").read_text())
    assert summary["totals"] == {"written": bundled + 5, "skipped": 0, "failed": 2, "orphaned": 0}
    rows = list(csv.DictReader((out / "summary.csv").read_text(encoding="utf-8").splitlines()))
    assert len(rows) == bundled + 7 and {r["status"] for r in rows} == {"written", "failed"}
    index = (out / "index.html").read_text()
    assert index.count("<tr>") == bundled + 7 + 1
    assert f'href="{_memo_of(out, "citizen-federal-no-consent.yaml").name}"' in index
    assert not list(out.glob(".*.tmp"))


def test_workers_give_byte_identical_results(tmp_path: Path) -> None:
    """--jobs 1 and --jobs 2 write exactly the same files."""
    runner = CliRunner()
    for jobs in ("1", "2"):
        result = runner.invoke(cli, ["batch", str(CASES), "-o", str(tmp_path / jobs), "-f", "md,html,json", "-j", jobs])
        assert result.exit_code == 0, result.output
    assert _files(tmp_path / "1") == _files(tmp_path / "2")


def test_up_to_date_memos_are_kept_unless_forced(tmp_path: Path) -> None:
    """A second run keeps memos made from the same input; --force rewrites them; an input that was only touched
    is not redone, an edited one is; so is a memo that is no longer whole."""
    runner = CliRunner()
    case = tmp_path / "one.yaml"
    case.write_text((CASES / "pretrial-detainee.yaml").read_text())
    out = tmp_path / "out"
    args = ["batch", str(case), "-o", str(out), "-j", "1"]
    assert "1 written" in runner.invoke(cli, args).stdout
    assert "1 up to date" in runner.invoke(cli, args).stdout
    assert "1 written" in runner.invoke(cli, [*args, "--force"]).stdout
    later = time.time() + 5
    os.utime(case, (later, later))
    assert "1 up to date" in runner.invoke(cli, args).stdout
    case.write_text(case.read_text().replace("title: ", "title: Edited "))
    assert "1 written" in runner.invoke(cli, args).stdout
    memo = _memo_of(out, "one.yaml")
    memo.write_bytes(b"")  # what a power cut can leave of a memo not yet flushed
    assert "1 written" in runner.invoke(cli, args).stdout
    assert memo.stat().st_size > 0


def test_unknown_format_is_a_usage_error(tmp_path: Path) -> None:
    """A format outside md, html, docx, pdf, json is refused before anything runs."""
    result = CliRunner().invoke(cli, ["batch", str(CASES), "-o", str(tmp_path), "-f", "md,odt"])
    assert result.exit_code == 2 and "unknown format 'odt'" in result.stderr


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_interrupt_leaves_no_partial_file_and_rerun_resumes(tmp_path: Path) -> None:
    """SIGINT mid-batch leaves only complete memos; running again finishes the rest without redoing them."""
    sheet = _csv(tmp_path / "clients.csv", 400)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "transferlaw", "batch", str(sheet), "-o", str(out), "-f", "md,json",
               "--ruleset", "foreign-prison-transfer", "-j", "1"]
    child = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 60
    while time.time() < deadline and len(list(out.glob("clients-*.json"))) < 20:
        time.sleep(0.05)
    child.send_signal(signal.SIGINT)
    child.communicate(timeout=60)
    assert child.returncode != 0
    assert not list(out.glob(".*.tmp"))
    done = list(out.glob("clients-*.json"))
    assert 20 <= len(done) < 400
    for path in done:
        json.loads(path.read_text())  # every memo that exists is whole
    rerun = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    assert "up to date" in rerun.stdout and len(list(out.glob("clients-*.json"))) == 400
    # the manifest records what the batch had received when it stopped: the case its worker was on (finished
    # after that) and an answer still in the pipe are redone, at most two cases per worker
    assert int(rerun.stdout.split(" written")[0]) <= 400 - len(done) + 2


# --- crash isolation: real segfaults and hangs, injected through crashers.process_or_fault ------------------

@pytest.fixture(scope="module")
def few(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, bytes]]:
    """A folder of six bundled cases, and the files a clean batch of it writes."""
    folder = tmp_path_factory.mktemp("few")
    for path in FEW:
        shutil.copy(path, folder / path.name)
    clean = tmp_path_factory.mktemp("clean")
    result = batch.run([folder], batch.Options(outdir=clean, formats=("md", "json"), rules_dirs=None), jobs=1)
    assert result.count("written") == 6
    return folder, _files(clean)


def _faulty_batch(folder: Path, out: Path, jobs: int, faults: dict[str, str], monkeypatch: pytest.MonkeyPatch,
                  timeout: float | None = 60) -> batch.Result:
    monkeypatch.setenv(crashers.PLAN, ",".join(f"{key}={fault}" for key, fault in faults.items()))
    options = batch.Options(outdir=out, formats=("md", "json"), rules_dirs=None, timeout=timeout)
    return batch.run([folder], options, jobs=jobs, func=crashers.process_or_fault)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("where", [pytest.param([0], id="first"), pytest.param([5], id="last"),
                                   pytest.param([2, 3], id="two-in-a-row")])
def test_a_segfaulting_case_fails_alone(where: list[int], few: tuple[Path, dict[str, bytes]], tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """A case that segfaults its worker fails with the signal named; every other memo is written exactly as in
    a clean batch, and -j 1 and -j 2 write the same files, summaries included."""
    folder, clean = few
    crashed = [FEW[n].stem for n in where]
    written = {}
    for jobs in (1, 2):
        result = _faulty_batch(folder, tmp_path / str(jobs), jobs, dict.fromkeys(crashed, "segv"), monkeypatch)
        assert result.totals == {"written": 6 - len(crashed), "skipped": 0, "failed": len(crashed), "orphaned": 0}
        assert [_stem(o.key) for o in result.failed] == crashed
        for outcome in result.failed:
            [problem] = outcome.problems
            assert problem.endswith(f"{_stem(outcome.key)}.yaml: the worker process died (signal 11, SIGSEGV) "
                                    "while evaluating this case; the other cases were not affected")
        written[jobs] = _files(tmp_path / str(jobs))
    assert written[1] == written[2]
    memos = {name: data for name, data in clean.items() if _is_memo(name)}
    assert {n: d for n, d in written[1].items() if n in memos} == {
        n: d for n, d in memos.items() if _stem(n) not in crashed}
    summary = json.loads(written[1]["summary.json"])
    assert [_stem(i["key"]) for i in summary["items"] if i["status"] == "failed"] == crashed
    assert all("SIGSEGV" in i["problems"][0] for i in summary["items"] if i["status"] == "failed")


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_the_cli_reports_a_crash_and_a_hang_and_finishes_the_rest(few: tuple[Path, dict[str, bytes]],
                                                                  tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """`transferlaw batch --timeout`: a segfault and a hang are reported by source, the others are written,
    and the exit code is 1."""
    folder, clean = few
    crashed, hung = FEW[1].stem, FEW[4].stem
    monkeypatch.setattr(batch, "process", crashers.process_or_fault)
    monkeypatch.setenv(crashers.PLAN, f"{crashed}=segv,{hung}=hang")
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["batch", str(folder), "-o", str(out), "-f", "md,json", "-j", "2",
                                      "--timeout", "5"])  # real cases take ~0.1 s: room for a loaded machine
    assert result.exit_code == 1
    assert f"{crashed}.yaml: the worker process died (signal 11, SIGSEGV) while evaluating this case" in result.stderr
    assert (f"{hung}.yaml: evaluating this case took longer than 5 s (--timeout), so its worker process was "
            "stopped; the other cases were not affected") in result.stderr
    assert result.stdout.startswith("4 written, 0 up to date, 2 failed")
    written = _files(out)
    for name, data in clean.items():
        if _stem(name) in (crashed, hung):
            assert name not in written
        elif _is_memo(name):
            assert written[name] == data, name
    rows = list(csv.DictReader(written["summary.csv"].decode().splitlines()))
    assert [(_stem(r["key"]), r["status"]) for r in rows if r["status"] == "failed"] == [
        (crashed, "failed"), (hung, "failed")]
    assert not list(out.glob(".*.tmp"))


def test_timeout_is_documented() -> None:
    """--timeout and the crash isolation appear in `transferlaw batch --help` and in the README."""
    help_text = " ".join(CliRunner().invoke(cli, ["batch", "--help"]).stdout.split())
    assert "--timeout SECONDS" in help_text and "a case that crashes its worker" in help_text
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "--timeout SECONDS" in readme and "segfault" in readme


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_in_a_terminal_stops_the_workers_quietly(tmp_path: Path) -> None:
    """SIGINT to the whole process group, as a terminal sends it: no traceback from any worker, no partial
    file, and the batch stops promptly."""
    sheet = _csv(tmp_path / "clients.csv", 300)
    out = tmp_path / "out"
    child = subprocess.Popen([sys.executable, "-m", "transferlaw", "batch", str(sheet), "-o", str(out), "-f", "md,json",
                              "--ruleset", "foreign-prison-transfer", "-j", "2"], cwd=ROOT, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.time() + 60
    while time.time() < deadline and len(list(out.glob("clients-*.json"))) < 20:
        time.sleep(0.05)
    os.killpg(child.pid, signal.SIGINT)
    _, stderr = child.communicate(timeout=30)
    assert child.returncode != 0
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr, stderr
    assert not list(out.glob(".*.tmp"))
    for path in out.glob("clients-*.json"):
        json.loads(path.read_text())


def test_summary_csv_cells_never_start_a_formula(tmp_path: Path) -> None:
    """A title from someone else's spreadsheet such as =HYPERLINK(...) is written so a spreadsheet shows it as text."""
    sheet = tmp_path / "hostile.csv"
    sheet.write_text('title,citizenship\n"=HYPERLINK(""http://evil.example"",""x"")",us_citizen_birth\n'
                     "+1+1,lpr\n@SUM(A1),lpr\nPlain,lpr\n", encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["batch", str(sheet), "--ruleset", "foreign-prison-transfer", "-o", str(out),
                                      "-f", "json"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader((out / "summary.csv").read_text(encoding="utf-8").splitlines()))
    assert [r["title"] for r in rows] == ["'=HYPERLINK(\"http://evil.example\",\"x\")", "'+1+1", "'@SUM(A1)", "Plain"]
    assert json.loads((out / "summary.json").read_text(encoding="utf-8"))["items"][0]["title"].startswith("=HYPER")


# --- issue 13.1: a memo's name and freshness depend on its own source and on everything it is made from ---------

def _summary(out: Path) -> dict[str, Any]:
    return dict(json.loads((out / "summary.json").read_text(encoding="utf-8")))


def _memo_of(out: Path, source: str, fmt: str = "md") -> Path:
    """The memo the summary lists for the input whose source ends with ``source``."""
    [item] = [i for i in _summary(out)["items"] if i["source"].endswith(source) and i["status"] != "orphaned"]
    [name] = [n for n in item["outputs"] if n.endswith(f".{fmt}")]
    return out / name


def test_issue13_a_memo_is_named_by_its_own_source_never_by_input_order(tmp_path: Path) -> None:
    """Issue 13.1: A/case.yaml and B/case.yaml batched together, then B alone into the same folder: B's memo was
    client A's memo under B's name, reported up to date. Now each memo's name comes from its own source, and A's
    memo is listed as orphaned in every summary, never as B's."""
    for folder, bundled in (("A", "pretrial-detainee.yaml"), ("B", "citizen-federal-no-consent.yaml")):
        (tmp_path / folder).mkdir()
        shutil.copy(CASES / bundled, tmp_path / folder / "case.yaml")
    titles = {folder: yaml.safe_load((tmp_path / folder / "case.yaml").read_text())["title"] for folder in "AB"}
    out = tmp_path / "out"
    runner = CliRunner()
    both = runner.invoke(cli, ["batch", str(tmp_path / "A" / "case.yaml"), str(tmp_path / "B" / "case.yaml"), "-o",
                               str(out), "-j", "1"])
    assert both.exit_code == 0, both.stderr
    memo_a, memo_b = _memo_of(out, "A/case.yaml"), _memo_of(out, "B/case.yaml")
    alone = runner.invoke(cli, ["batch", str(tmp_path / "B" / "case.yaml"), "-o", str(out), "-j", "1"])
    assert alone.exit_code == 0, alone.stderr
    assert alone.stdout.startswith("0 written, 1 up to date, 0 failed, 1 orphaned")
    assert _memo_of(out, "B/case.yaml") == memo_b and titles["B"] in memo_b.read_text(encoding="utf-8")
    assert titles["A"] in memo_a.read_text(encoding="utf-8")
    summary = _summary(out)
    assert [(i["source"].split("/")[-2], i["status"], i["title"]) for i in summary["items"]] == [
        ("B", "skipped", titles["B"]), ("A", "orphaned", titles["A"])]
    assert summary["items"][1]["outputs"] == [memo_a.name]
    assert summary["totals"] == {"written": 0, "skipped": 1, "failed": 0, "orphaned": 1}
    rows = list(csv.DictReader((out / "summary.csv").read_text(encoding="utf-8").splitlines()))
    assert [(r["status"], r["outputs"]) for r in rows] == [("skipped", memo_b.name), ("orphaned", memo_a.name)]
    index = (out / "index.html").read_text(encoding="utf-8")
    assert index.count(f'href="{memo_a.name}"') == 1 and "Orphaned" in index
    assert index.index(titles["B"]) < index.index("Orphaned") < index.index(f'href="{memo_a.name}"')


def test_issue13_changing_what_a_memo_is_made_from_rewrites_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 13.1: "up to date" compared file times only, so an edited rule set or another --date, --to, --from,
    --re, --privileged, --legend or engine kept the old memos. Each of them now rewrites the memo, and running
    the same batch again keeps it."""
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules" / "foreign-prison-transfer", rules / "foreign-prison-transfer")
    case = tmp_path / "one.yaml"
    shutil.copy(CASES / "pretrial-detainee.yaml", case)
    out = tmp_path / "out"
    runner = CliRunner()

    def counts(*extra: str) -> str:
        result = runner.invoke(cli, ["--rules", str(rules), "batch", str(case), "-o", str(out), "-j", "1", *extra])
        assert result.exit_code == 0, result.stderr
        return result.stdout.split(" failed")[0]

    assert counts() == "1 written, 0 up to date, 0"
    assert counts() == "0 written, 1 up to date, 0"
    options = [["--date", "2030-01-02"], ["--to", "Supervising attorney"], ["--from", "Clinic"], ["--re", "Transfer"],
               ["--privileged"], ["--legend", "Draft"], ["--engine", "python"], ["-f", "md,html"]]
    for extra in options:
        assert counts(*extra) == "1 written, 0 up to date, 0", extra
        assert counts(*extra) == "0 written, 1 up to date, 0", extra
    assert counts() == "0 written, 1 up to date, 0"  # as the last run: md asked for, html there too and kept
    assert [name.rsplit(".", 1)[1] for name in _summary(out)["items"][0]["outputs"]] == ["md", "html"]
    issues = rules / "foreign-prison-transfer" / "issues" / "01-citizenship.yaml"
    text = issues.read_text(encoding="utf-8")
    old_title = "A U.S. citizen or national cannot be handed to a foreign jailer outside a treaty transfer"
    assert old_title in text
    issues.write_text(text.replace(old_title, "Edited title of the citizenship issue"), encoding="utf-8")
    assert counts() == "1 written, 0 up to date, 0"
    for fmt in ("md", "html"):  # the html memo, not asked for this time, is not left out of date
        assert "Edited title of the citizenship issue" in _memo_of(out, "one.yaml", fmt).read_text(encoding="utf-8")
    assert counts() == "0 written, 1 up to date, 0"
    monkeypatch.setattr(batch, "__version__", "99.0", raising=False)  # a new transferlaw may write other memos
    assert counts() == "1 written, 0 up to date, 0"
    manifest = json.loads((out / ".transferlaw-manifest.json").read_text(encoding="utf-8"))
    assert manifest["schema"] == "transferlaw.manifest"
    assert not [p.name for p in out.iterdir() if p.name.endswith(".tmp")]


def test_issue13_spreadsheet_rows_are_named_by_their_id(tmp_path: Path) -> None:
    """Issue 13.1: a row with an id keeps its memo's name when rows are moved, added or removed, and its memo
    when nothing it depends on changed (its row number is part of it: the memo cites its source row); a row
    that is gone leaves an orphaned memo; a row whose answers changed gets a new memo."""
    sheet = tmp_path / "clients.csv"
    header = "id,title,custodian,citizenship,conviction_stage,consent_given\n"
    rows = {"C-1": "C-1,Client one,federal_bop,us_citizen_birth,final,no\n",
            "C-2": "C-2,Client two,state,lpr,final,yes\n",
            "C-3": "C-3,Client three,ice,,final,unknown\n"}
    out = tmp_path / "out"
    runner = CliRunner()

    def counts(*ids: str) -> str:
        sheet.write_text(header + "".join(rows[i] for i in ids), encoding="utf-8")
        result = runner.invoke(cli, ["batch", str(sheet), "--ruleset", "foreign-prison-transfer", "-o", str(out),
                                     "-j", "1"])
        assert result.exit_code == 0, result.stderr
        return result.stdout.split(":")[0]

    def names() -> dict[str, list[str]]:
        return {i["title"]: i["outputs"] for i in _summary(out)["items"]}

    assert counts("C-1", "C-2") == "2 written, 0 up to date, 0 failed"
    first = names()
    assert counts("C-1", "C-2", "C-3") == "1 written, 2 up to date, 0 failed"
    assert counts("C-3", "C-2", "C-1") == "2 written, 1 up to date, 0 failed"  # C-1 and C-3 moved
    assert {title: outputs for title, outputs in names().items() if title in first} == first
    assert counts("C-3", "C-2", "C-1") == "0 written, 3 up to date, 0 failed"
    rows["C-2"] = rows["C-2"].replace(",yes\n", ",no\n")
    assert counts("C-3", "C-2") == "1 written, 1 up to date, 0 failed, 1 orphaned"
    assert [(i["title"], i["status"], i["outputs"]) for i in _summary(out)["items"]] == [
        ("Client three", "skipped", names()["Client three"]), ("Client two", "written", first["Client two"]),
        ("Client one", "orphaned", first["Client one"])]


def test_issue13_interrupted_runs_are_recorded_for_the_next(tmp_path: Path) -> None:
    """A batch stopped half way records what it finished, so the next run keeps those memos (resumes)."""
    out = tmp_path / "out"
    calls = []

    def stop_after_two(outcome: batch.Outcome) -> None:
        calls.append(outcome.key)
        if len(calls) == 2:
            raise KeyboardInterrupt

    options = batch.Options(outdir=out, formats=("md",), rules_dirs=None)
    with pytest.raises(KeyboardInterrupt):
        batch.run(FEW, options, jobs=1, progress=stop_after_two)
    assert not (out / "summary.json").exists() and not [p for p in out.iterdir() if p.name.endswith(".tmp")]
    result = batch.run(FEW, options, jobs=1)
    assert result.totals == {"written": len(FEW) - 2, "skipped": 2, "failed": 0, "orphaned": 0}


# --- issue 13.4: the summaries are replaced together or not at all; errors are one located line --------------

def _first_run(tmp_path: Path) -> tuple[Path, list[str], dict[str, bytes]]:
    """A folder of two cases batched once into OUTDIR; the batch command, and the summaries it wrote."""
    folder = tmp_path / "cases"
    folder.mkdir()
    for path in FEW[:2]:
        shutil.copy(path, folder / path.name)
    out = tmp_path / "out"
    args = ["batch", str(folder), "-o", str(out), "-j", "1", "-f", "md"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.stderr
    return out, args, {name: (out / name).read_bytes() for name in batch.SUMMARY_FILES}


def _left_over(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir() if p.name.startswith("."))


def test_issue13_an_unwritable_outdir_is_one_located_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 13.4: an OUTDIR where nothing can be created gave a traceback. (Root may write anywhere, so the
    refusal is simulated: every file created in OUTDIR fails with EACCES, as without write permission.)"""
    out = tmp_path / "out"
    out.mkdir()
    real_open = os.open

    def refuse(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if flags & os.O_CREAT and str(path).startswith(str(out)):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", refuse)
    result = CliRunner().invoke(cli, ["batch", str(FEW[0]), "-o", str(out), "-j", "1"])
    assert isinstance(result.exception, SystemExit) and result.exit_code == 1
    assert result.stderr == f"{out}/summary.csv: cannot write: Permission denied\n"
    assert list(out.iterdir()) == []


@pytest.mark.parametrize("failing", ["summary.csv", "summary.json", "index.html"])
def test_issue13_a_failed_rename_puts_back_every_summary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         failing: str) -> None:
    """Issue 13.4: summary.csv was replaced and summary.json not. When putting any of the three in place fails,
    the ones already replaced are put back: the three stay those of the last complete batch."""
    out, args, before = _first_run(tmp_path)
    real_replace = os.replace

    def replace(src: Any, dst: Any, *rest: Any, **kwargs: Any) -> None:
        if Path(dst).name == failing and str(src).endswith(".tmp"):
            raise OSError(errno.EIO, os.strerror(errno.EIO), str(dst))
        real_replace(src, dst, *rest, **kwargs)

    monkeypatch.setattr(os, "replace", replace)
    result = CliRunner().invoke(cli, [*args, "--force"])
    assert isinstance(result.exception, SystemExit) and result.exit_code == 1
    assert result.stderr.splitlines()[-1] == f"{out / failing}: cannot write: Input/output error"
    assert {name: (out / name).read_bytes() for name in batch.SUMMARY_FILES} == before
    assert _left_over(out) == [".transferlaw-manifest.json"]


@pytest.mark.parametrize("room", [0, 1, 2], ids=lambda n: f"{n}-pages-free")
def test_issue13_a_full_disk_replaces_no_summary(tmp_path: Path, room: int) -> None:
    """Issue 13.4: a full disk while the summaries were written gave a traceback, replaced summary.csv but not
    summary.json or index.html, and left temporary files. On a real (tiny) disk with no room, or with room for
    the new summary.csv but not the others (a case with 30 problems joins the batch, so each summary grows by a
    few kB; with 1 page free the old code replaced summary.csv only): one located line, exit 1, the last batch's
    three summaries kept, no file left over."""
    from .fulldisk import on_small_disk

    report = on_small_disk(tmp_path, f"""
        cases = DISK / "cases"
        cases.mkdir()
        for name in ("pretrial-detainee.yaml", "citizen-federal-no-consent.yaml"):
            (cases / name).write_bytes((ROOT / "cases" / name).read_bytes())
        first = transferlaw("batch", "cases", "-o", "out", "-j", "1", "-f", "json", cwd=DISK)
        assert first.returncode == 0, first.stderr
        out = DISK / "out"
        names = ("summary.csv", "summary.json", "index.html")
        before = {{name: (out / name).read_text() for name in names}}
        facts = "".join(f"  unknown_fact_{{n}}: 1\\n" for n in range(30))
        (cases / "many-problems.yaml").write_text(f"ruleset: foreign-prison-transfer\\ntitle: bad\\nfacts:\\n{{facts}}")
        fill(room={room} * 4096)
        second = transferlaw("batch", "cases", "-o", "out", "-j", "1", "-f", "json", cwd=DISK)
        after = {{name: (out / name).read_text() for name in names}}
        print(json.dumps({{"code": second.returncode, "stderr": second.stderr.splitlines(),
                          "kept": [before[name] == after[name] for name in names],
                          "left": sorted(p.name for p in out.iterdir() if p.name.startswith("."))}}))
    """, size_kb=2048)
    assert report["code"] == 1  # the case with problems fails in any event
    assert [name for name in report["left"] if name != ".transferlaw-manifest.json"] == []
    if report["kept"] == [False, False, False]:  # there was room for all three: all three are new
        assert room > 0 and all(line.startswith("cases/many-problems.yaml:") for line in report["stderr"])
        return
    assert report["kept"] == [True, True, True]
    problems, error = report["stderr"][:-1], report["stderr"][-1]
    assert all(line.startswith("cases/many-problems.yaml:") for line in problems), problems
    assert error.startswith("out/") and error.endswith(": cannot write: No space left on device"), error


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_issue13_sigterm_leaves_no_temporary_file(tmp_path: Path) -> None:
    """Issue 13.4: SIGTERM (from `kill`, a service manager, a CI timeout) stopped a batch leaving its temporary
    summaries behind. It now stops a batch as Ctrl-C does: quietly, no partial or temporary file left."""
    sheet = _csv(tmp_path / "clients.csv", 300)
    out = tmp_path / "out"
    with subprocess.Popen([sys.executable, "-m", "transferlaw", "batch", str(sheet), "-o", str(out), "-f", "md,json",
                           "--ruleset", "foreign-prison-transfer", "-j", "2"], cwd=ROOT, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True) as child:
        deadline = time.time() + 60
        while time.time() < deadline and len(list(out.glob("clients-*.json"))) < 10:
            time.sleep(0.05)
        child.send_signal(signal.SIGTERM)
        _, stderr = child.communicate(timeout=30)
    assert child.returncode != 0
    assert "Traceback" not in stderr, stderr
    assert not list(out.glob(".*.tmp")), sorted(p.name for p in out.iterdir())
    for path in out.glob("clients-*.json"):
        json.loads(path.read_text())


def test_issue13_a_directory_named_like_a_memo_is_not_taken_for_one(tmp_path: Path) -> None:
    """Issue 13.4: a folder with a memo's name counted as that memo, up to date. It is reported, located."""
    case = tmp_path / "one.yaml"
    shutil.copy(CASES / "pretrial-detainee.yaml", case)
    out = tmp_path / "out"
    args = ["batch", str(case), "-o", str(out), "-j", "1"]
    assert CliRunner().invoke(cli, args).exit_code == 0
    memo = _memo_of(out, "one.yaml")
    memo.unlink()
    memo.mkdir()
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1
    assert result.stdout.startswith("0 written, 0 up to date, 1 failed")
    assert f"{memo}: is a directory" in result.stderr


def test_issue13_a_directory_named_like_a_summary_is_one_located_line(tmp_path: Path) -> None:
    """A folder named summary.json in OUTDIR is a located error before any case runs; no summary is replaced."""
    out, args, before = _first_run(tmp_path)
    (out / "summary.json").unlink()
    (out / "summary.json").mkdir()
    result = CliRunner().invoke(cli, [*args, "--force"])
    assert isinstance(result.exception, SystemExit) and result.exit_code == 1
    assert result.stderr == f"{out / 'summary.json'}: is a directory\n"
    assert (out / "summary.csv").read_bytes() == before["summary.csv"]
    assert not [name for name in _left_over(out) if name.endswith(".tmp")]


# --- issue 13.16: an unmapped spreadsheet column is a warning; --strict makes it an error ------------------------

def test_issue13_an_unmapped_column_is_a_warning_on_stderr_and_strict_fails_the_file(tmp_path: Path) -> None:
    """Point 16: one column that is no question no longer fails the whole file: it is ignored with one warning
    line on stderr, and the memos are written; with --strict it fails the file."""
    sheet = tmp_path / "clients.csv"
    sheet.write_text("title,citizenship,remarks\nClient A,lpr,call back\nClient B,us_citizen_birth,\n",
                     encoding="utf-8")
    args = ["batch", str(sheet), "--ruleset", "foreign-prison-transfer", "-f", "json", "-j", "1"]
    result = CliRunner().invoke(cli, [*args, "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        f"{sheet}:1:19: warning: column 'remarks' is not a question of rule set 'foreign-prison-transfer'; it is "
        "ignored (map it in --mapping, or list it under skip:)"]
    assert result.stdout.startswith("2 written, 0 up to date, 0 failed")
    strict = CliRunner().invoke(cli, [*args, "-o", str(tmp_path / "strict"), "--strict"])
    assert strict.exit_code == 1
    assert (f"{sheet}:1:19: column 'remarks' is not a question of rule set 'foreign-prison-transfer' (map it in "
            "--mapping, or list it under skip:)") in strict.stderr
    assert "--strict" in " ".join(CliRunner().invoke(cli, ["batch", "--help"]).stdout.split())
