"""Batches: every memo written atomically, bad inputs reported, identical for any number of workers."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from transferlaw.cli import cli

from .conftest import ROOT

CASES = ROOT / "cases"


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
