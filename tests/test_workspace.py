"""Tests for workspace.py and lru.py: one owner of loaded rule sets and their bounded, locked caches."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest

from transferlaw import api
from transferlaw.engine.lru import LRU
from transferlaw.engine.workspace import Workspace

from .conftest import MINI_RULES


def test_lru_keeps_the_most_recently_used_and_hands_out_the_evicted() -> None:
    """Past its bound an LRU drops the least recently used entry, and gives it to ``evict``."""
    evicted: list[int] = []
    cache: LRU[str, int] = LRU(2, threading.RLock(), evict=evicted.append)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # "b" is now the least recently used
    cache.put("c", 3)
    assert evicted == [2] and "b" not in cache and len(cache) == 2
    assert cache.pop_oldest() == 1 and len(cache) == 1
    with pytest.raises(ValueError):
        LRU(0, threading.RLock())


def test_a_first_cache_keeps_the_first_values_seen() -> None:
    """With ``first``, a full cache keeps what it has and takes nothing more (nothing is evicted)."""
    cache: LRU[str, int] = LRU(2, threading.RLock(), first=True)
    for n, key in enumerate("abc"):
        cache.put(key, n)
    read = cache.reader()
    assert (read("a"), read("b"), read("c")) == (0, 1, None)
    assert cache.get("a") == 0 and len(cache) == 2


def test_a_workspace_loads_a_rule_set_once_and_prepares_it_once(tmp_path: Path) -> None:
    """Loading again gives the same prepared rule set, with its compiled form and engine; a new workspace is
    a cold start, with a prepared rule set of its own."""
    directory = tmp_path / "mini"
    shutil.copytree(MINI_RULES / "mini", directory, ignore=shutil.ignore_patterns("tests"))
    workspace = Workspace([tmp_path])
    prepared = workspace.load("mini")
    assert workspace.load(directory) is prepared
    assert workspace.prepare(prepared.ruleset) is prepared
    assert prepared.durable() is prepared.durable()
    other = Workspace([tmp_path])
    assert other.load("mini") is not prepared
    assert other.load("mini").durable() is not prepared.durable()
    workspace.close()
    other.close()


def test_a_changed_file_is_loaded_again(tmp_path: Path) -> None:
    """A workspace keeps a rule set until one of its files changes."""
    directory = tmp_path / "mini"
    shutil.copytree(MINI_RULES / "mini", directory, ignore=shutil.ignore_patterns("tests"))
    workspace = Workspace()
    first = workspace.load(directory)
    path = directory / "ruleset.yaml"
    path.write_text(path.read_text() + "\n# edited\n")
    assert workspace.load(directory) is not first


def test_threads_share_one_prepared_rule_set(tmp_path: Path) -> None:
    """Requests on several threads (the web server) evaluate with one workspace and agree."""
    workspace = Workspace()
    ruleset = api.load_ruleset("foreign-prison-transfer", workspace=workspace)
    case, _ = api.load_case(Path(__file__).parent.parent / "cases" / "pretrial-detainee.yaml", workspace=workspace)
    expected = api.render_memo(api.evaluate_case(case, ruleset, workspace=workspace), workspace=workspace)
    got: list[str] = []

    def work() -> None:
        for _ in range(5):
            got.append(api.render_memo(api.evaluate_case(case, ruleset, workspace=workspace), workspace=workspace))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert got == [expected] * 20
    assert workspace.prepare(ruleset) is workspace.load("foreign-prison-transfer")
