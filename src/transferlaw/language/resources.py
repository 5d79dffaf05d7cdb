"""Find the bundled rule sets and templates (checkout or installed package) and the template cache."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import jinja2
import jinja2.bccache

from .errors import Diagnostic
from .errors import OutputError
from .errors import Position
from .errors import SourceError
from .errors import display_path

_PACKAGE = Path(__file__).resolve().parent.parent
"""The transferlaw package folder (this module is in its ``language`` subpackage)."""


def _bundled(name: str) -> Path:
    """``<package>/_bundled/<name>`` once installed; ``<repo>/<name>`` when run from a checkout."""
    installed = _PACKAGE / "_bundled" / name
    if installed.is_dir():
        return installed
    return _PACKAGE.parent.parent / name


RULESET_ID = re.compile(r"[a-z0-9][a-z0-9.-]*\Z")
"""Rule-set ids: what a case's ``ruleset:`` may name (never a path)."""


def rule_set_files(directory: Path) -> tuple[list[Path], list[Path]]:
    """The YAML files of a rule set (definition files, test files), in sorted order.

    A rule set is read from its own directory only: a file (or an ``issues/`` or ``tests/`` folder) that is a
    symbolic link to something outside it is refused, so that a rule set from someone else cannot make
    transferlaw read, and quote in its error messages, a file elsewhere on the computer.
    """
    definition = sorted(p for p in directory.glob("*.yaml") if p.is_file())
    definition += sorted(p for p in (directory / "issues").glob("*.yaml") if p.is_file())
    tests = sorted(p for p in (directory / "tests").glob("*.yaml") if p.is_file())
    root = directory.resolve()
    for path in (*definition, *tests):
        if not path.resolve().is_relative_to(root):
            raise SourceError(Diagnostic(Position(display_path(path)), "is a link to a file outside the rule set",
                                         "a rule set is read only from its own directory: copy the file in"))
    return definition, tests


def rules_dir() -> Path:
    """The directory of the bundled rule sets."""
    return _bundled("rules")


def templates_dir() -> Path:
    """The directory of the bundled memo templates."""
    return _bundled("templates")


SCHEMAS = ("ruleset", "case")


def schema_text(kind: str) -> str:
    """The JSON Schema for rule-set files (``ruleset``) or case files (``case``), for editors."""
    path = _bundled("schemas") / f"{kind}.schema.json"
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise OutputError(f"{path}: the bundled schema is missing ({exc.strerror}); reinstall transferlaw") from exc


class _QuietBytecodeCache(jinja2.FileSystemBytecodeCache):
    """Jinja's file bytecode cache, silent when the cache directory cannot be written."""

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except (OSError, EOFError, ValueError):
            bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError:
            pass


def cache_dir(name: str) -> Path | None:
    """A private per-user cache directory (like __pycache__), or None when disabled, unwritable or not private.

    ``TRANSFERLAW_CACHE_DIR`` chooses the directory; ``TRANSFERLAW_NO_CACHE=1`` turns caching off. The
    directory is created with mode 0700: only its owner may write what later runs load from it. What is
    cached there is run (compiled templates) or unpickled (rule sets), so a directory that already exists
    and that another user owns, or that others may write to, is not used at all.
    """
    if os.environ.get("TRANSFERLAW_NO_CACHE"):
        return None
    base = os.environ.get("TRANSFERLAW_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "transferlaw")
    path = Path(base) / name
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _private(path):
            return None
    except OSError:
        return None
    return path


def _private(path: Path) -> bool:
    """Whether only the current user can write to ``path`` (always true where there are no Unix users)."""
    getuid = getattr(os, "getuid", None)
    if getuid is None:  # pragma: no cover - Windows
        return True
    info = path.stat()
    return info.st_uid == getuid() and not info.st_mode & 0o022


def bytecode_cache(flavour: str) -> jinja2.BytecodeCache | None:
    """A cache of compiled Jinja templates on disk, or None; its files are per ``flavour`` (:func:`code_flavour`).
    Each environment asks once, when it is made (the object only names a folder: nothing is kept here).

    Jinja keys its cache on a template's name and source only, but the code it compiles also depends on the
    environment (the sandbox's checks, a ``finalize`` function): each environment has its own flavour, so
    code compiled for one is never loaded into another, nor code compiled by an older transferlaw."""
    directory = cache_dir("jinja")
    return _QuietBytecodeCache(str(directory), f"__jinja2_{flavour}_%s.cache") if directory is not None else None


def code_flavour(name: str, *sources: Path) -> str:
    """``name`` and a fingerprint of Jinja's version and of the modules at ``sources`` that configure the
    environment: it changes whenever either could change the code Jinja compiles."""
    digest = hashlib.sha256(jinja2.__version__.encode("ascii"))
    for source in sources:
        try:
            code = source.read_bytes()
        except OSError:  # pragma: no cover - a module without its source: never reuse a cache entry
            code = os.urandom(16)
        digest.update(b"\0" + code)
    return f"{name}-" + digest.hexdigest()[:16]
