"""Find the bundled rule sets and templates (checkout or installed package) and the template cache."""

from __future__ import annotations

import os
import re
from pathlib import Path

import jinja2
import jinja2.bccache

_PACKAGE = Path(__file__).resolve().parent


def _bundled(name: str) -> Path:
    """``<package>/_bundled/<name>`` once installed; ``<repo>/<name>`` when run from a checkout."""
    installed = _PACKAGE / "_bundled" / name
    if installed.is_dir():
        return installed
    return _PACKAGE.parent.parent / name


RULESET_ID = re.compile(r"[a-z0-9][a-z0-9.-]*\Z")
"""Rule-set ids: what a case's ``ruleset:`` may name (never a path)."""


def rule_set_files(directory: Path) -> tuple[list[Path], list[Path]]:
    """The YAML files of a rule set (definition files, test files), in sorted order."""
    definition = sorted(p for p in directory.glob("*.yaml") if p.is_file())
    definition += sorted(p for p in (directory / "issues").glob("*.yaml") if p.is_file())
    tests = sorted(p for p in (directory / "tests").glob("*.yaml") if p.is_file())
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
        from .errors import OutputError

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
    """A private per-user cache directory (like __pycache__), or None when disabled or unwritable.

    ``TRANSFERLAW_CACHE_DIR`` chooses the directory; ``TRANSFERLAW_NO_CACHE=1`` turns caching off. The
    directory is created with mode 0700: only its owner may write what later runs load from it.
    """
    if os.environ.get("TRANSFERLAW_NO_CACHE"):
        return None
    base = os.environ.get("TRANSFERLAW_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "transferlaw")
    path = Path(base) / name
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError:
        return None
    return path


_BYTECODE: list[jinja2.BytecodeCache | None] = []


def bytecode_cache() -> jinja2.BytecodeCache | None:
    """A cache of compiled Jinja templates (memo templates and rule-set texts), or None."""
    if not _BYTECODE:
        directory = cache_dir("jinja")
        _BYTECODE.append(_QuietBytecodeCache(str(directory)) if directory is not None else None)
    return _BYTECODE[0]
