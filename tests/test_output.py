"""Writing outputs: whole files or none, with the modes a user expects, on disk without flushing the whole
machine; and one CSV writer, so that no cell transferlaw writes can start a spreadsheet formula."""

from __future__ import annotations

import csv
import io
import os
import re
import stat
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from transferlaw import api
from transferlaw.batch import runner as batch
from transferlaw.language.errors import OutputError

from .conftest import ROOT

CASE = ROOT / "cases" / "pretrial-detainee.yaml"


@contextmanager
def umask(mask: int) -> Iterator[None]:
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# --- 12. file modes and syncing --------------------------------------------------------------------------------

@pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes")
def test_issue13_new_outputs_follow_the_umask(tmp_path: Path) -> None:
    """Issue 13.12: every output was created 0600 whatever the umask, so colleagues sharing a clinic folder could
    not read the memos. A new file gets the mode the umask gives, as any program's would."""
    for mask, expected in ((0o022, 0o644), (0o027, 0o640), (0o077, 0o600), (0o002, 0o664)):
        target = tmp_path / f"memo-{mask:03o}.md"
        with umask(mask):
            api.write_output(target, "memo\n")
        assert mode(target) == expected, f"umask {mask:03o}"


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes")
def test_issue13_a_replaced_output_keeps_its_mode(tmp_path: Path) -> None:
    """Issue 13.12: --force turned a 0644 memo into 0600. A replaced file keeps its mode, whatever the umask."""
    target = tmp_path / "memo.md"
    target.write_text("old\n")
    for kept in (0o644, 0o640, 0o600, 0o664, 0o444):
        os.chmod(target, kept)
        with umask(0o077):
            api.write_output(target, "new\n", force=True)
        assert mode(target) == kept and target.read_text() == "new\n"


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes")
def test_issue13_batch_outputs_follow_the_umask(tmp_path: Path) -> None:
    """Issue 13.12: a batch's memos, summaries and manifest follow the umask; a memo rewritten keeps its mode."""
    out = tmp_path / "out"
    options = batch.Options(outdir=out, formats=("md", "json"), rules_dirs=None)
    with umask(0o022):
        batch.run([CASE], options, jobs=1)
    modes = {p.name: mode(p) for p in out.iterdir()}
    assert set(modes.values()) == {0o644}, modes
    memo = next(out.glob("*.md"))
    os.chmod(memo, 0o640)
    with umask(0o077):
        batch.run([CASE], batch.Options(outdir=out, formats=("md",), rules_dirs=None, force=True), jobs=1)
    assert mode(memo) == 0o640 and mode(out / "summary.csv") == 0o644


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc/self/fd")
def test_issue13_outputs_are_fsynced_with_their_directory_never_os_sync(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 13.12: os.sync() flushed every file system of the machine. What was written is fsynced, and so is
    its directory (for the rename), in `run -o` and in a batch (its workers included)."""
    def no_sync() -> None:
        raise AssertionError("os.sync() flushes every file system")

    log = tmp_path / "fsync.log"
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        with log.open("a", encoding="utf-8") as handle:  # in a worker process too (they fork with this patch)
            handle.write(os.readlink(f"/proc/self/fd/{fd}") + "\n")
        real_fsync(fd)

    monkeypatch.setattr(os, "sync", no_sync)
    monkeypatch.setattr(os, "fsync", fsync)
    target = tmp_path / "memo.md"
    api.write_output(target, "memo\n")
    synced = log.read_text(encoding="utf-8").splitlines()
    assert re.fullmatch(re.escape(str(tmp_path)) + r"/\.memo\.md\.[^/]+\.tmp", synced[0])
    assert synced[1:] == [str(tmp_path)]
    log.unlink()
    out = tmp_path / "out"
    batch.run([CASE], batch.Options(outdir=out, formats=("md", "html"), rules_dirs=None), jobs=1)
    synced = log.read_text(encoding="utf-8").splitlines()
    memos = [p.name for p in out.iterdir() if p.suffix in (".md", ".html")]
    for name in [*memos, "summary.csv", "summary.json", "index.html"]:
        assert any(re.fullmatch(re.escape(str(out)) + rf"/\.{re.escape(name)}\.[^/]+\.tmp", s) for s in synced), name
    assert str(out) in synced


def test_issue13_output_to_something_not_a_regular_file_is_refused(tmp_path: Path) -> None:
    """`run -o /dev/full --force` replaced the device with a regular file (as root). Only a regular file is
    ever replaced; a FIFO, a device or a folder is a located error and stays as it was."""
    fifo = tmp_path / "pipe.md"
    os.mkfifo(fifo)
    with pytest.raises(OutputError, match=r"pipe\.md: is not a regular file"):
        api.write_output(fifo, "memo\n", force=True)
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    with pytest.raises(OutputError, match="is a directory"):
        api.write_output(tmp_path, "memo\n", force=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipe.md"]


# --- 5. CSV formulas ---------------------------------------------------------------------------------------

def test_issue13_csv_cells_never_start_a_formula() -> None:
    """Issue 13.5: one helper writes every CSV; a text that a spreadsheet program would run as a formula gets a
    leading apostrophe (OWASP), numbers and plain text are written as they are."""
    from transferlaw.memo import csvout

    text = csvout.table(["name", "n"], [["=HYPERLINK(\"http://evil.example\",\"x\")", 1], ["+1+1", -2],
                                        ["-1", 2.5], ["@SUM(A1)", None], ["\tx", 0], ["\rx", 0], ["Plain", 3]])
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows == [["name", "n"], ["'=HYPERLINK(\"http://evil.example\",\"x\")", "1"], ["'+1+1", "-2"],
                    ["'-1", "2.5"], ["'@SUM(A1)", ""], ["'\tx", "0"], ["'\rx", "0"], ["Plain", "3"]]


def test_issue13_every_csv_transferlaw_writes_goes_through_one_helper() -> None:
    """Issue 13.5: no module but the CSV helper makes a csv.writer, so no CSV can skip the neutralising."""
    writers = [str(p.relative_to(ROOT)) for p in (ROOT / "src" / "transferlaw").rglob("*.py")
               if p.name != "csvout.py" and re.search(r"csv\.(writer|DictWriter)\(", p.read_text(encoding="utf-8"))]
    assert writers == []
