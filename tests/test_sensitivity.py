"""Tests for sensitivity.py: the other answers "What would change the analysis" proposes, and what they change."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from transferlaw import api
from transferlaw.engine import sensitivity
from transferlaw.language.model import Case
from transferlaw.language.model import RuleSet
from transferlaw.tools.steps import answer_text

from .conftest import MINI_RULES
from .conftest import ROOT

_QUESTION = """  - id: amount
    prompt: How much?
    type: number
"""
_ISSUE = """  - id: threshold_{n}
    title: Threshold {n}
    area: process
    severity: low
    when: {when}
    rule: R.
    application: A.
    counterargument: C.
    conclusion: C.
"""


def _ruleset(tmp_path: Path, *conditions: str) -> RuleSet:
    """The mini rule set with an unbounded number question ``amount`` and one issue per condition on it."""
    target = tmp_path / "mini"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(MINI_RULES / "mini", target)
    shutil.rmtree(target / "tests")
    path = target / "ruleset.yaml"
    text = path.read_text(encoding="utf-8")
    issues = "".join(_ISSUE.format(n=n, when=when) for n, when in enumerate(conditions))
    text = text.replace("conclusions:\n", _QUESTION + "conclusions:\n", 1)
    text = text.replace("authorities:\n", issues + "authorities:\n", 1)
    path.write_text(text, encoding="utf-8")
    return api.load_ruleset(target)


def _proposed(ruleset: RuleSet, facts: dict[str, object]) -> list[tuple[str, object]]:
    found = sensitivity.sensitivity(ruleset, facts)  # type: ignore[arg-type]
    return [(f.question, a.value) for f in found for a in f.alternatives if a.value is not None]


def _round_trips(ruleset: RuleSet, facts: dict[str, object]) -> None:
    """Every value proposed is one ``whatif --set`` accepts, and reads back as that same value."""
    case = Case(ruleset=ruleset.id, title="T", facts=facts)  # type: ignore[arg-type]
    for question, value in _proposed(ruleset, facts):
        setting = f"{question}={answer_text(value) if not isinstance(value, tuple) else list(value)}"
        setting = setting.replace("'", "")
        assert api.with_settings(case, ruleset, [setting]).facts[question] == value, setting


def test_issue13_only_values_a_case_file_accepts_are_proposed(tmp_path: Path) -> None:
    """Issue 13 point 11: thresholds at 0 and 0.0001 proposed 5e-05, and one at 999999999999999 proposed
    1000000000000000; ``whatif --set`` refuses both, so neither is proposed."""
    ruleset = _ruleset(tmp_path, "amount > 0 and amount < 0.0001", "amount >= 999999999999999")
    proposed = [value for question, value in _proposed(ruleset, {"amount": 5}) if question == "amount"]
    assert proposed == [999999999999999]  # not 5e-05, not 1000000000000000
    _round_trips(ruleset, {"amount": 5})
    _round_trips(ruleset, {})


_LITERALS = st.one_of(
    st.integers(min_value=-999999999999999, max_value=999999999999999),
    st.sampled_from([0, 0.0001, -0.0001, 0.0002, 0.5, 1.5, 999999999999999, -999999999999999, 0.1, 0.3]),
    st.decimals(min_value=-1000, max_value=1000, places=4).filter(lambda d: d == 0 or abs(d) >= 0.0001).map(
        lambda d: float(d) if d != d.to_integral_value() else int(d)),
)


@given(st.lists(st.tuples(st.sampled_from(["<", "<=", ">", ">=", "==", "!="]), _LITERALS), min_size=1, max_size=4))
@settings(max_examples=40, deadline=None)
def test_every_proposed_value_round_trips_through_set(tmp_path_factory: pytest.TempPathFactory,
                                                      comparisons: list[tuple[str, float]]) -> None:
    """Issue 13 point 11 (property): whatever thresholds a rule set uses, every value proposed reads back
    through the ``--set`` parser as itself."""
    conditions = [f"amount {op} {value}" for op, value in comparisons]
    ruleset = _ruleset(tmp_path_factory.mktemp("rules"), *conditions)
    _round_trips(ruleset, {})
    _round_trips(ruleset, {"amount": 0})


@pytest.mark.parametrize("path", sorted((ROOT / "cases").glob("*.yaml")), ids=lambda p: p.stem)
def test_bundled_cases_propose_only_values_set_accepts(path: Path) -> None:
    """Issue 13 point 11: every value a bundled case's memo proposes round-trips through ``--set``."""
    case, ruleset = api.load_case(path)
    _round_trips(ruleset, dict(case.facts))
