"""Batches: every memo written atomically, bad inputs reported, identical for any number of workers."""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from transferlaw import batch
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
    assert summary["totals"] == {"written": bundled + 5, "skipped": 0, "failed": 2}
    rows = list(csv.DictReader((out / "summary.csv").read_text(encoding="utf-8").splitlines()))
    assert len(rows) == bundled + 7 and {r["status"] for r in rows} == {"written", "failed"}
    index = (out / "index.html").read_text()
    assert index.count("<tr>") == bundled + 7 + 1
    assert 'href="citizen-federal-no-consent.md"' in index
    assert not list(out.glob(".*.tmp"))


def test_workers_give_byte_identical_results(tmp_path: Path) -> None:
    """--jobs 1 and --jobs 2 write exactly the same files."""
    runner = CliRunner()
    for jobs in ("1", "2"):
        result = runner.invoke(cli, ["batch", str(CASES), "-o", str(tmp_path / jobs), "-f", "md,html,json", "-j", jobs])
        assert result.exit_code == 0, result.output
    assert _files(tmp_path / "1") == _files(tmp_path / "2")


def test_up_to_date_memos_are_kept_unless_forced(tmp_path: Path) -> None:
    """A second run keeps memos newer than their input; --force rewrites them; a touched input is redone."""
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
    assert "1 written" in runner.invoke(cli, args).stdout
    (out / "one.md").write_bytes(b"")  # what a power cut can leave of a memo not yet flushed
    assert "1 written" in runner.invoke(cli, args).stdout
    assert (out / "one.md").stat().st_size > 0


def test_unknown_format_is_a_usage_error(tmp_path: Path) -> None:
    """A format outside md, html, docx, json is refused before anything runs."""
    result = CliRunner().invoke(cli, ["batch", str(CASES), "-o", str(tmp_path), "-f", "md,pdf"])
    assert result.exit_code == 2 and "unknown format 'pdf'" in result.stderr


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
    assert int(rerun.stdout.split(" written")[0]) <= 400 - len(done) + 1


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
        assert result.totals == {"written": 6 - len(crashed), "skipped": 0, "failed": len(crashed)}
        assert [o.key for o in result.failed] == crashed
        for outcome in result.failed:
            [problem] = outcome.problems
            assert problem.endswith(f"{outcome.key}.yaml: the worker process died (signal 11, SIGSEGV) while "
                                    "evaluating this case; the other cases were not affected")
        written[jobs] = _files(tmp_path / str(jobs))
    assert written[1] == written[2]
    memos = {name: data for name, data in clean.items() if not name.startswith(("summary", "index"))}
    assert {n: d for n, d in written[1].items() if n in memos} == {
        n: d for n, d in memos.items() if n.rsplit(".", 1)[0] not in crashed}
    summary = json.loads(written[1]["summary.json"])
    assert [i["key"] for i in summary["items"] if i["status"] == "failed"] == crashed
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
        if name.rsplit(".", 1)[0] in (crashed, hung):
            assert name not in written
        elif not name.startswith(("summary", "index")):
            assert written[name] == data, name
    rows = list(csv.DictReader(written["summary.csv"].decode().splitlines()))
    assert [(r["key"], r["status"]) for r in rows if r["status"] == "failed"] == [(crashed, "failed"), (hung, "failed")]
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
