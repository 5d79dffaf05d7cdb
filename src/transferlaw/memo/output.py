"""Write outputs whole or not at all, with the modes users expect, and never replace a file without being asked.

Every file is written to a temporary name in its folder and renamed over its target, so a reader sees the old
file or the new one, never part of one. Data and then the folder are fsynced (only what was written: never
``os.sync()``, which flushes every file system of the machine). A new file gets the mode the umask gives, as
any program's would; a replaced file keeps its mode. Only a regular file is ever replaced: a device, a FIFO or
a folder with the target's name is an error. Writes are retried until every byte is written or the system
says why not: a full disk or a file size limit (``ulimit -f``) first writes part of the data and only then
fails, and Python's buffered files drop that part silently.
"""

from __future__ import annotations

import errno
import io
import os
import secrets
import select
import stat
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from typing import TextIO

from ..language import paths
from ..language.errors import OutputError
from ..language.errors import display_path


def make_dir(path: Path) -> None:
    """Create the folder ``path`` (and its parents) or raise :class:`OutputError` saying why not."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the name
        raise OutputError(f"{display_path(path)}: cannot create the folder: "
                          f"{getattr(exc, 'strerror', None) or exc}") from exc


def write_output(path: Path, text: str | bytes, force: bool = False, *, sync_dir: bool = True) -> None:
    """Write ``text`` to ``path`` atomically; refuse to replace an existing file unless ``force``.

    The data reach the disk before the file takes its name; with ``sync_dir`` the new name does too (a batch
    passes False and calls :func:`sync_folder` once for all its memos).
    """
    shown = display_path(path)
    if paths.is_dir(path):
        raise OutputError(f"{shown}: is a directory")
    if paths.exists(path) and not force:
        raise OutputError(f"{shown}: already exists (use --force to overwrite)")
    data = text.encode("utf-8") if isinstance(text, str) else text
    with Staged(path.parent if str(path.parent) else Path("."), (path.name,)) as staged:
        staged.write(path.name, data)
        staged.commit(sync_dir=sync_dir)


def sync_folder(path: Path) -> None:
    """fsync the folder ``path``, so that the files renamed into it keep their names after a power cut."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError as exc:
        raise OutputError(f"{display_path(path)}: cannot write: {exc.strerror}") from exc
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF):  # folders that cannot be fsynced
            raise OutputError(f"{display_path(path)}: cannot write: {exc.strerror}") from exc
    finally:
        os.close(fd)


def whole_stdout(stream: TextIO | None) -> TextIO:
    """Standard output that writes every byte or raises, in place of ``stream`` (flushed first): on a full disk
    or under ``ulimit -f``, Python's own would drop what does not fit and carry on. ``stream`` itself when it
    is not a file; when there is none (``>&-``), one that fails every write, as the closed descriptor would."""
    if stream is None:
        return io.TextIOWrapper(io.BufferedWriter(_Closed()), encoding="utf-8")
    try:
        stream.flush()
        raw = WholeWrites(stream.fileno(), "wb", closefd=False)
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is both
        return stream
    return io.TextIOWrapper(io.BufferedWriter(raw), encoding=stream.encoding, errors=stream.errors,
                            line_buffering=bool(stream.line_buffering))


class WholeWrites(io.FileIO):
    """A file whose ``write`` writes all it is given or raises the error that stopped it: a short write (the
    part of the data that fitted) is followed by another for the rest, which fails with the reason."""

    def write(self, data: Any, /) -> int:
        view = memoryview(data).cast("B")
        done = 0
        while done < len(view):
            written = super().write(view[done:])
            if written is None:  # a non-blocking file that is full for now: wait until it takes more
                select.select([], [self], [])
            elif written == 0:
                raise OSError(errno.EIO, os.strerror(errno.EIO))
            else:
                done += written
        return done


class _Closed(io.RawIOBase):
    """A standard output that was closed before the program started: every write fails with EBADF."""

    def writable(self) -> bool:
        return True

    def write(self, data: Any, /) -> int:
        raise OSError(errno.EBADF, os.strerror(errno.EBADF))


class Staged:
    """Files written under temporary names in one folder, then put in place together, or not at all.

    ``with Staged(folder, names) as staged:`` creates a temporary file for each name (any error there, and
    later, is an :class:`OutputError` naming the file); :meth:`write` appends to one; :meth:`commit` puts them
    all in place; leaving the block without committing (an error, Ctrl-C, SIGTERM) removes them.

    All or nothing, as far as POSIX allows (it has no rename of several files at once): every temporary file
    is written and fsynced before any target is touched, so a full disk or a missing permission leaves every
    old file as it was. Then each target is renamed over in turn, after a hard link keeps the old one; if a
    rename fails, the targets already replaced are put back from those links (or removed, if they are new).
    Only a crash or a power cut in the microseconds between the first and the last rename can leave some
    files new and some old; the next run rewrites them all.
    """

    def __init__(self, folder: Path, names: Sequence[str]) -> None:
        self.folder = folder
        self.names = tuple(names)
        self.handles: dict[str, io.BufferedWriter] = {}
        self.temps: dict[str, Path] = {}

    def __enter__(self) -> Staged:
        try:
            for name in self.names:
                self.temps[name], self.handles[name] = self._create(name)
        except BaseException:
            self.discard()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.discard()

    def target(self, name: str) -> Path:
        return self.folder / name

    def fail(self, name: str, exc: OSError | ValueError) -> OutputError:
        """The error for ``name``, to raise ``from exc``."""
        return OutputError(f"{display_path(self.target(name))}: cannot write: "
                           f"{getattr(exc, 'strerror', None) or exc}")

    def write(self, name: str, data: bytes) -> None:
        try:
            self.handles[name].write(data)
        except OSError as exc:
            raise self.fail(name, exc) from exc

    def commit(self, sync_dir: bool = True) -> None:
        """Put every file in place (see the class); fsync the folder unless ``sync_dir`` is False."""
        for name in self.names:
            handle = self.handles.pop(name)
            try:
                with handle:
                    handle.flush()
                    os.fsync(handle.fileno())
            except OSError as exc:
                raise self.fail(name, exc) from exc
        for name in self.names:
            self._check(name)
        kept: dict[str, Path | None] = {}
        try:
            for name in self.names:
                kept[name] = self._keep(name)
                try:
                    os.replace(self.temps[name], self.target(name))
                except OSError as exc:
                    raise self.fail(name, exc) from exc
                del self.temps[name]
        except BaseException:
            self._put_back(kept)
            raise
        for old in kept.values():
            if old is not None:
                old.unlink(missing_ok=True)
        if sync_dir:
            sync_folder(self.folder)

    def discard(self) -> None:
        """Close and remove every temporary file not yet in place."""
        for handle in self.handles.values():
            try:
                handle.close()
            except OSError:
                pass
        self.handles = {}
        for temp in self.temps.values():
            temp.unlink(missing_ok=True)
        self.temps = {}

    def _check(self, name: str) -> int | None:
        """The mode of the regular file ``name`` would replace (None if there is none); anything else there
        (a folder, a device, a FIFO) is an error."""
        target = self.target(name)
        try:
            found = os.stat(target)
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise self.fail(name, exc) from exc
        if stat.S_ISDIR(found.st_mode):
            raise OutputError(f"{display_path(target)}: is a directory")
        if not stat.S_ISREG(found.st_mode):
            raise OutputError(f"{display_path(target)}: is not a regular file (a device, a FIFO or a socket), "
                              "so it is not replaced")
        return stat.S_IMODE(found.st_mode) & 0o777

    def _create(self, name: str) -> tuple[Path, io.BufferedWriter]:
        """A new temporary file for ``name``: the umask's mode (the kernel applies it), or the mode of the
        file it will replace."""
        mode = self._check(name)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
        while True:
            temp = self.folder / f".{name}.{secrets.token_hex(4)}.tmp"
            try:
                fd = os.open(temp, flags, 0o666)
            except FileExistsError:
                continue
            except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the name
                raise self.fail(name, exc) from exc
            break
        try:
            if mode is not None:
                os.fchmod(fd, mode)
            return temp, io.BufferedWriter(WholeWrites(fd, "wb"))
        except OSError as exc:
            os.close(fd)
            temp.unlink(missing_ok=True)
            raise self.fail(name, exc) from exc

    def _keep(self, name: str) -> Path | None:
        """A hard link to the file ``name`` is about to replace, to put it back if a later rename fails (None
        when there is no such file, or the file system has no hard links)."""
        target = self.target(name)
        if not target.exists():
            return None
        old = self.folder / f".{name}.{secrets.token_hex(4)}.old"
        try:
            os.link(target, old)
        except OSError:
            return None
        return old

    def _put_back(self, kept: dict[str, Path | None]) -> None:
        """Undo the renames done so far: the old files back in place, the new ones removed."""
        for name, old in kept.items():
            if name in self.temps:  # this one was never renamed
                if old is not None:
                    old.unlink(missing_ok=True)
                continue
            try:
                if old is not None:
                    os.replace(old, self.target(name))
                else:
                    self.target(name).unlink(missing_ok=True)
            except OSError:
                pass
