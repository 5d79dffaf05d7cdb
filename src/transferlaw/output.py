"""Write outputs atomically, never replacing an existing file without being asked to."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from . import paths
from .errors import OutputError
from .errors import display_path


def make_dir(path: Path) -> None:
    """Create the folder ``path`` (and its parents) or raise :class:`OutputError` saying why not."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the name
        raise OutputError(f"{display_path(path)}: cannot create the folder: "
                          f"{getattr(exc, 'strerror', None) or exc}") from exc


def write_output(path: Path, text: str | bytes, force: bool = False, *, sync: bool = True) -> None:
    """Write ``text`` to ``path`` atomically; refuse to replace an existing file unless ``force``.

    With ``sync`` the data reach the disk before the file takes its name. A batch passes ``sync=False`` and
    calls :func:`sync_all` once at the end instead of paying for a disk flush per memo.
    """
    shown = display_path(path)
    if paths.is_dir(path):
        raise OutputError(f"{shown}: is a directory")
    if paths.exists(path) and not force:
        raise OutputError(f"{shown}: already exists (use --force to overwrite)")
    directory = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the name
        raise OutputError(f"{shown}: cannot write: {getattr(exc, 'strerror', None) or exc}") from exc
    try:
        data = text.encode("utf-8") if isinstance(text, str) else text
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            if sync:
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise OutputError(f"{shown}: cannot write: {exc.strerror}") from exc
        raise


def sync_all() -> None:
    """Flush every written file to disk (where the platform can)."""
    if hasattr(os, "sync"):
        os.sync()
