"""Cache validated rule sets on disk, keyed by the exact content of their files (like .pyc files).

Validating and compiling the flagship rule set (YAML, conditions, a Jinja parse of every authored text, the
durable_rules rules) costs more than the rest of a memo; a command-line run therefore keeps the validated
model and its compiled rules in the user's private cache directory, and reuses them while no file of the
rule set, nor transferlaw itself, has changed. The key covers every file's path and bytes, the transferlaw
version, a stamp of transferlaw's own modules (so a rule set validated by older checks is never reused, even
in a development checkout where the version number stays the same) and the displayed path (positions in
error messages are relative to the working directory).
Anything wrong with a cache entry means a miss, never an error.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from pathlib import Path

from .._version import __version__
from ..language.limits import MAX_FILE_BYTES
from ..language.limits import MAX_RULESET_FILES
from ..language.model import RuleSet
from ..language.resources import cache_dir
from .compiled import CompiledRuleSet

FORMAT = 3


def code_stamp() -> str:
    """The name, size and modification time of every module of this package (a stat each, no reading).

    Not kept: it is asked once per rule set a workspace loads from disk and once per batch, and a process
    whose code is edited while it runs then sees the change."""
    stamps = []
    folders = [os.path.dirname(os.path.dirname(__file__))]  # the package: this module is in engine/
    while folders:
        with os.scandir(folders.pop()) as entries:
            for entry in entries:
                if entry.name.endswith(".py"):
                    info = entry.stat()
                    stamps.append(f"{entry.path}:{info.st_size}:{info.st_mtime_ns}")
                elif entry.is_dir() and entry.name != "__pycache__":
                    folders.append(entry.path)
    return hashlib.sha256("\n".join(sorted(stamps)).encode()).hexdigest()


def key(files: list[Path], shown: str) -> str | None:
    """The cache key of a rule set: its files' paths and bytes, our version and code, its displayed path.

    None when the rule set is not to be cached: the cache is off, or a file cannot be read or is past the
    size limits (so a huge file is refused by the loader, which checks sizes before reading, not read here)."""
    if cache_dir("rulesets") is None or len(files) > MAX_RULESET_FILES:
        return None
    digest = hashlib.sha256(f"{__version__}\0{FORMAT}\0{code_stamp()}\0{shown}".encode())
    try:
        for path in files:
            if path.stat().st_size > MAX_FILE_BYTES:
                return None
            digest.update(str(path).encode("utf-8", "surrogateescape") + b"\0")
            digest.update(path.read_bytes() + b"\0")
    except OSError:
        return None
    return digest.hexdigest()


def load(cache_key: str) -> tuple[RuleSet, CompiledRuleSet] | None:
    """The cached rule set and its compiled engine rules for ``cache_key``, or None."""
    directory = cache_dir("rulesets")
    if directory is None:
        return None
    try:
        with open(directory / f"{cache_key}.pickle", "rb") as handle:
            value = pickle.load(handle)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
        return None
    if (isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], RuleSet)
            and isinstance(value[1], CompiledRuleSet)):
        return value
    return None


def store(cache_key: str, ruleset: RuleSet, compiled: CompiledRuleSet) -> None:
    """Keep ``ruleset`` and ``compiled`` under ``cache_key`` (atomically; failures are ignored)."""
    directory = cache_dir("rulesets")
    if directory is None:
        return
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            pickle.dump((ruleset, compiled), handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, directory / f"{cache_key}.pickle")
    except (OSError, pickle.PicklingError, RecursionError):
        try:
            os.unlink(tmp)
        except (OSError, UnboundLocalError):
            pass
