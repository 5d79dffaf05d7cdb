"""Read an input file safely: a regular file only, and never more than a size cap, however it changes.

A case, rule-set, mapping, answer or CSV file could be a FIFO (reading it waits for a writer for ever), a
device such as ``/dev/zero`` (it never ends), or a link to one; and a file can grow after a ``stat``. So
the file is opened without blocking, checked with ``fstat`` on the open descriptor, and read up to one byte
past the cap.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from .errors import Diagnostic
from .errors import Position
from .errors import SourceError

_CHUNK = 1 << 20
_FLAGS = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)


def read_regular(path: Path, cap: int, display: str, hint: str = "split it into several files",
                 what: str = "file") -> bytes:
    """The bytes of the regular file at ``path`` (links followed), at most ``cap`` of them.

    :param hint: what to do about a file over the cap.
    :param what: what the file should be, for the message about a directory ("is a directory, not a …").
    :raises SourceError: located at ``display`` for a missing, special, unreadable or too large file.
    """
    try:
        _check(os.stat(path), cap, display, hint, what)  # refuse a device before opening it: opening may act
        fd = os.open(path, _FLAGS)
    except (FileNotFoundError, ValueError):  # ValueError: a NUL byte in the name
        raise _fail(display, "no such file") from None
    except OSError as exc:
        raise _fail(display, f"cannot read: {exc.strerror}") from exc
    try:
        _check(os.fstat(fd), cap, display, hint, what)  # the file opened, whatever the name points at now
        chunks, left = [], cap + 1
        while left > 0:
            chunk = os.read(fd, min(left, _CHUNK))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    except OSError as exc:
        raise _fail(display, f"cannot read: {exc.strerror}") from exc
    finally:
        os.close(fd)
    if left <= 0:
        raise _fail(display, f"file is too large (it grew past the limit of {cap:,} bytes while it was read)", hint)
    return b"".join(chunks)


def _fail(display: str, message: str, hint: str | None = None) -> SourceError:
    return SourceError(Diagnostic(Position(display), message, hint))


def _check(info: os.stat_result, cap: int, display: str, hint: str, what: str) -> None:
    """Refuse a directory, a special file or a file over the cap, from its ``stat``."""
    mode = info.st_mode
    if stat.S_ISDIR(mode):
        raise _fail(display, f"is a directory, not a {what}")
    if not stat.S_ISREG(mode):
        kind = ("a FIFO" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode)
                else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "a special file")
        raise _fail(display, f"is not a regular file ({kind})", "save it to a file first")
    if info.st_size > cap:
        raise _fail(display, f"file is too large ({info.st_size:,} bytes; the limit is {cap:,})", hint)
