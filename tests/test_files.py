"""Reading input files (files.py): regular files only, never more than the size cap (issue 13, point 3)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from transferlaw.batch import csvtext
from transferlaw.language import yamlio
from transferlaw.language.errors import SourceError
from transferlaw.language.files import read_regular

READERS: dict[str, Callable[[Path, str], str]] = {"read_text": yamlio.read_text, "read_csv": csvtext.read_csv}


def lie_about_size(monkeypatch: pytest.MonkeyPatch, path: Path, size: int) -> None:
    """Make stat and fstat report ``size`` for ``path``: a file that grows after it is looked at."""
    target = os.stat(path)
    real_stat, real_fstat = os.stat, os.fstat

    def shrunk(info: os.stat_result) -> os.stat_result:
        if (info.st_dev, info.st_ino) != (target.st_dev, target.st_ino):
            return info
        fields = list(info)
        fields[6] = size  # st_size
        return os.stat_result(fields)

    def fake_stat(*args: Any, **kwargs: Any) -> os.stat_result:
        return shrunk(real_stat(*args, **kwargs))

    def fake_fstat(fd: int) -> os.stat_result:
        return shrunk(real_fstat(fd))

    monkeypatch.setattr(os, "stat", fake_stat)
    monkeypatch.setattr(os, "fstat", fake_fstat)


@pytest.mark.parametrize("reader", READERS)
def test_issue13_a_file_that_grows_past_the_cap_is_refused_while_reading(
        reader: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The cap holds while reading, not only from a stat taken before: a file that grew is not read whole."""
    cap = 1000
    monkeypatch.setattr(yamlio, "MAX_FILE_BYTES", cap)
    monkeypatch.setattr(csvtext, "MAX_CSV_BYTES", cap)
    path = tmp_path / "grows.txt"
    path.write_bytes(b"a: 1\n" * 1000)  # 5,000 bytes
    lie_about_size(monkeypatch, path, 10)
    with pytest.raises(SourceError) as raised:
        READERS[reader](path, "grows.txt")
    assert str(raised.value).startswith("grows.txt: file is too large (it grew past the limit of 1,000 bytes")


@pytest.mark.parametrize("reader", READERS)
def test_issue13_special_files_are_refused(reader: str, tmp_path: Path) -> None:
    """A FIFO, a device and a link to one are refused without being read (they would hang or never end)."""
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    zero = tmp_path / "zero.yaml"
    zero.symlink_to("/dev/zero")
    for path, kind in [(fifo, "a FIFO"), (zero, "a device"), (Path("/dev/null"), "a device")]:
        with pytest.raises(SourceError) as raised:
            READERS[reader](path, path.name)
        assert str(raised.value).startswith(f"{path.name}: is not a regular file ({kind})")


def test_read_regular_reads_up_to_the_cap(tmp_path: Path) -> None:
    """Exactly ``cap`` bytes is allowed; one more is refused with the size and the caller's hint."""
    path = tmp_path / "f.yaml"
    path.write_bytes(b"x" * 10)
    assert read_regular(path, 10, "f.yaml") == b"x" * 10
    with pytest.raises(SourceError) as raised:
        read_regular(path, 9, "f.yaml", hint="split it")
    assert str(raised.value) == "f.yaml: file is too large (10 bytes; the limit is 9) (split it)"


@pytest.mark.parametrize(("name", "message"), [("absent.yaml", "no such file"), ("", "is a directory, not a file"),
                                               ("bad\0name", "no such file")])
def test_read_regular_reports_what_it_cannot_read(tmp_path: Path, name: str, message: str) -> None:
    with pytest.raises(SourceError) as raised:
        read_regular(tmp_path / name, 10, "shown")
    assert str(raised.value) == f"shown: {message}"
