"""Find the bundled rule sets and templates, in a source checkout or an installed package."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _bundled(name: str) -> Path:
    """``<package>/_bundled/<name>`` once installed; ``<repo>/<name>`` when run from a checkout."""
    installed = _PACKAGE / "_bundled" / name
    if installed.is_dir():
        return installed
    return _PACKAGE.parent.parent / name


def rules_dir() -> Path:
    """The directory of the bundled rule sets."""
    return _bundled("rules")


def templates_dir() -> Path:
    """The directory of the bundled memo templates."""
    return _bundled("templates")
