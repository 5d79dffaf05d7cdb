"""Questions about paths users typed that never raise: a name the system cannot take is simply not there.

``Path.is_file()`` and friends raise on a name that is too long for the file system (``ENAMETOOLONG``) or
holds a NUL byte (``ValueError``); for a path from a command line, a case file or a spreadsheet that is
an input error to report like any missing file, not a crash.
"""

from __future__ import annotations

from pathlib import Path


def is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except (OSError, ValueError):
        return False


def exists(path: Path) -> bool:
    try:
        return path.exists()
    except (OSError, ValueError):
        return False
