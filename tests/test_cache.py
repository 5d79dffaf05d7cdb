"""Tests for the on-disk rule-set cache: hits, misses on any change, and corrupt entries."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from transferlaw import api
from transferlaw.engine import cache
from transferlaw.language.errors import TransferlawError
from transferlaw.language.errors import display_path
from transferlaw.language.resources import rule_set_files

from .conftest import MINI_RULES


def _key(directory: Path) -> str | None:
    return cache.key(rule_set_files(directory)[0], display_path(directory))


def test_cached_rule_set_equals_the_validated_one(tmp_path: Path) -> None:
    """A validated rule set is stored and comes back equal."""
    directory = tmp_path / "mini"
    shutil.copytree(MINI_RULES / "mini", directory, ignore=shutil.ignore_patterns("tests"))
    ruleset = api.load_ruleset(directory, workspace=api.Workspace())
    assert cache.load(_key(directory))[0] == ruleset  # type: ignore[index]
    assert api.load_ruleset(directory, workspace=api.Workspace()) == ruleset  # a cold start reads the cache


def test_any_byte_changed_is_a_different_key(tmp_path: Path) -> None:
    """Editing a file changes the key, so a stale rule set is never used."""
    directory = tmp_path / "mini"
    shutil.copytree(MINI_RULES / "mini", directory, ignore=shutil.ignore_patterns("tests"))
    before = _key(directory)
    path = directory / "ruleset.yaml"
    path.write_text(path.read_text() + "\n")
    assert _key(directory) != before


def test_changed_code_is_a_different_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A rule set validated by an older transferlaw (same version number, other checks) is not reused."""
    directory = tmp_path / "mini"
    shutil.copytree(MINI_RULES / "mini", directory, ignore=shutil.ignore_patterns("tests"))
    before = _key(directory)
    assert len(cache.code_stamp()) == 64
    monkeypatch.setattr(cache, "code_stamp", lambda: "other code")
    assert _key(directory) != before


def test_a_file_past_the_size_limit_is_not_read_for_the_key(tmp_path: Path) -> None:
    """Found by review: the key read every file before the loader's size check (a 1.5 GB file took 3 GB)."""
    directory = tmp_path / "mini"
    shutil.copytree(MINI_RULES / "mini", directory, ignore=shutil.ignore_patterns("tests"))
    assert _key(directory) is not None
    with open(directory / "zz.yaml", "wb") as handle:  # sparse: costs no disk space
        handle.truncate(1024**3)
    assert _key(directory) is None
    with pytest.raises(TransferlawError, match="file is too large"):
        api.load_ruleset(directory)


def test_corrupt_entry_is_a_miss(tmp_path: Path) -> None:
    """A damaged cache file is ignored, not an error."""
    directory = tmp_path / "mini"
    shutil.copytree(MINI_RULES / "mini", directory, ignore=shutil.ignore_patterns("tests"))
    api.load_ruleset(directory, workspace=api.Workspace())
    entry = cache.cache_dir("rulesets") / f"{_key(directory)}.pickle"  # type: ignore[operator]
    entry.write_bytes(b"not a pickle")
    assert cache.load(_key(directory)) is None
    assert api.load_ruleset(directory, workspace=api.Workspace()).id == "mini"


def test_cache_can_be_turned_off(monkeypatch: pytest.MonkeyPatch) -> None:
    """TRANSFERLAW_NO_CACHE disables the cache directory."""
    monkeypatch.setenv("TRANSFERLAW_NO_CACHE", "1")
    assert cache.cache_dir("rulesets") is None
    assert cache.load("anything") is None
