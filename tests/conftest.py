"""Shared fixtures: paths, the mini rule set, a CLI runner, and the --update-golden option."""

from __future__ import annotations

import os
import re
import resource
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

# Keep the tests' template and rule-set caches out of the user's cache directory.
os.environ.setdefault("TRANSFERLAW_CACHE_DIR", tempfile.mkdtemp(prefix="transferlaw-test-cache-"))

import pytest
from click.testing import CliRunner

from transferlaw import api
from transferlaw.model import RuleSet

# Bad fixtures are read by the tests that expect their errors, never collected as rule-set tests.
collect_ignore_glob = ["data/invalid/*"]

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
MINI_RULES = DATA / "rules"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="Rewrite tests/golden/* from the current output instead of comparing.")


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture(scope="session")
def mini() -> RuleSet:
    return api.load_ruleset(MINI_RULES / "mini")


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def run_isolated(code: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run Python code in a fresh interpreter, so that an engine crash fails one test, not the run."""
    env_path = str(ROOT / "src")
    prelude = f"import sys; sys.path.insert(0, {env_path!r})\n"
    return subprocess.run([sys.executable, "-c", prelude + textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=timeout)


def pytest_configure(config: pytest.Config) -> None:
    """``pytest -m fuzz`` is the long fuzzing run: ten times the examples of the default run."""
    selected = re.sub(r"not\s+fuzz", "", config.getoption("markexpr") or "")  # "-m 'not fuzz'" is no long run
    if re.search(r"\bfuzz\b", selected) and "TRANSFERLAW_FUZZ_EXAMPLES" not in os.environ:
        os.environ["TRANSFERLAW_FUZZ_EXAMPLES"] = "1500"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """After a run that fuzzed: inputs tried per target, how many ended in a located error, the slowest."""
    fuzz = sys.modules.get("tests.test_fuzz")
    stats = getattr(fuzz, "STATS", None)
    if not stats:
        return
    terminalreporter.section("fuzzing")
    total = 0
    for target, (tried, located, slowest, what) in sorted(stats.items()):
        total += tried
        terminalreporter.write_line(f"{target}: {tried} inputs, {located} located errors, slowest {slowest:.3f} s "
                                    f"({what})")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    terminalreporter.write_line(f"total: {total} inputs; peak memory of the test process {peak:.0f} MB")
