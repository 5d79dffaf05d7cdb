"""A pytest plugin: every rule-set test in ``<ruleset>/tests/*.yaml`` runs as a pytest item named after it.

Installed with transferlaw (entry point ``pytest11``), so ``pytest rules/`` in any project runs the YAML
tests of its rule sets next to its Python tests, with the same readable failure report as
``transferlaw test``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from . import api
from .language.errors import TransferlawError
from .language.model import RuleSet
from .language.model import RuleTest


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    """Collect ``tests/*.yaml`` files that sit in a rule set (beside a ``ruleset.yaml``)."""
    if (file_path.suffix == ".yaml" and file_path.parent.name == "tests"
            and (file_path.parent.parent / "ruleset.yaml").is_file()):
        return RuleSetTestFile.from_parent(parent, path=file_path)
    return None


class RuleSetTestError(Exception):
    """A rule-set test failed, or its rule set or tests did not load."""


class RuleSetTestFile(pytest.File):
    """One YAML test file of a rule set."""

    def collect(self) -> Iterator[pytest.Item]:
        directory = self.path.parent.parent
        try:
            ruleset, tests = api.load_tests(directory)
        except TransferlawError as exc:
            raise self.CollectError(exc.report()) from exc
        here = self.path.resolve()
        for test in tests:
            if Path(test.pos.path).resolve() == here:
                yield RuleSetTestItem.from_parent(self, name=test.name, ruleset=ruleset, test=test)


class RuleSetTestItem(pytest.Item):
    """One rule-set test: its expectations checked on the engine (cross-checked by the Python evaluator)."""

    def __init__(self, *, ruleset: RuleSet, test: RuleTest, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.ruleset = ruleset
        self.test = test

    def runtest(self) -> None:
        result = api.run_test(self.test, self.ruleset)
        if not result.passed:
            raise RuleSetTestError("\n".join(result.failures))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: Any = None) -> str:
        if isinstance(excinfo.value, (RuleSetTestError, TransferlawError)):
            return f"{self.test.pos}: rule-set test '{self.test.name}' failed\n{excinfo.value}"
        return str(super().repr_failure(excinfo, style=style))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, max(self.test.pos.line - 1, 0), f"rule-set test: {self.test.name}"
