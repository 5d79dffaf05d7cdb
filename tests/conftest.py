"""Shared fixtures: paths, the mini rule set, a CLI runner, and the --update-golden option."""

from __future__ import annotations

import os
import re
import resource
import signal
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Any

# Keep the tests' template and rule-set caches out of the user's cache directory.
os.environ.setdefault("TRANSFERLAW_CACHE_DIR", tempfile.mkdtemp(prefix="transferlaw-test-cache-"))

import pytest
from click.testing import CliRunner

from transferlaw import api
from transferlaw.language.model import RuleSet

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
    # A shell starts a background job with SIGINT ignored, and an ignored signal stays ignored across exec: the
    # tests that press Ctrl-C on a child (serve, batch) would then see it ignored. A handler does not survive
    # exec, so installing Python's own makes every child start with the default, as from a terminal.
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def _worker_report() -> dict[str, Any]:
    """What this process has to tell the run's summary: fuzzing statistics, missed screenshots, peak memory."""
    fuzz = sys.modules.get("tests.test_fuzz")
    browser = sys.modules.get("tests.test_browser")
    return {"fuzz": dict(getattr(fuzz, "STATS", None) or {}),
            "shots_missed": list(getattr(browser, "SHOTS_MISSED", None) or []),
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Under pytest-xdist each worker hands its report to the controller (``workeroutput``)."""
    output = getattr(session.config, "workeroutput", None)
    if output is not None:
        output["transferlaw"] = _worker_report()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:  # pytest-xdist's hook, on the controller
    report = getattr(node, "workeroutput", {}).get("transferlaw")
    if report:
        node.config.stash.setdefault(_REPORTS, []).append(report)


_REPORTS = pytest.StashKey[list[dict[str, Any]]]()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    """After a run that fuzzed: inputs tried per target, how many ended in a located error, the slowest; and the
    screenshots that could not be taken (an artefact never fails a test)."""
    reports = config.stash.get(_REPORTS, []) or [_worker_report()]  # from the xdist workers, or this process
    stats: dict[str, list[Any]] = {}
    for report in reports:
        for target, (tried, located, slowest, what) in report["fuzz"].items():
            merged = stats.setdefault(target, [0, 0, 0.0, ""])
            merged[0] += tried
            merged[1] += located
            if slowest >= merged[2]:
                merged[2], merged[3] = slowest, what
    missed = sorted(shot for report in reports for shot in report["shots_missed"])
    if missed:
        terminalreporter.section("screenshots not taken (artefacts only; no test failed for them)")
        for shot in missed:
            terminalreporter.write_line(shot)
    if not stats:
        return
    terminalreporter.section("fuzzing")
    total = 0
    for target, (tried, located, slowest, what) in sorted(stats.items()):
        total += tried
        terminalreporter.write_line(f"{target}: {tried} inputs, {located} located errors, slowest {slowest:.3f} s "
                                    f"({what})")
    peak = max(report["peak_mb"] for report in reports)
    terminalreporter.write_line(f"total: {total} inputs; peak memory of a test process {peak:.0f} MB")
