"""Tests for trials.py on the flagship rule set (random rule sets are in test_properties.py)."""

from __future__ import annotations

import random
from typing import Any

import pytest

from transferlaw import api
from transferlaw.engine import evaluate
from transferlaw.engine import trials
from transferlaw.language.model import RuleSet


@pytest.fixture(scope="module")
def flagship() -> RuleSet:
    return api.load_ruleset("foreign-prison-transfer")


def random_cases(ruleset: RuleSet, count: int, seed: int) -> list[dict[str, Any]]:
    """Random partial cases: each question answered from its domain, or left unknown a third of the time."""
    rng = random.Random(seed)
    cases = []
    for _ in range(count):
        facts: dict[str, Any] = {}
        for question in ruleset.questions:
            answers = trials.domain(question, ruleset)
            if answers and rng.random() > 1 / 3:
                facts[question.id] = rng.choice(answers)
        cases.append(facts)
    return cases


def test_layout_numbers_every_answer_and_unknown(flagship: RuleSet) -> None:
    """Each question's trials are contiguous: its domain in order, then unknown; text questions have none."""
    layout = trials.build(flagship).layout
    assert layout.everything == (1 << len(layout.trials)) - 1
    for question in flagship.questions:
        own = layout.own[question.id]
        expected = [] if question.type == "text" else [*trials.domain(question, flagship), None]
        assert [answer for _, answer in own] == expected
        assert layout.span[question.id] == sum(bit for bit, _ in own)
        assert all(layout.trials[bit.bit_length() - 1] == (question.id, answer) for bit, answer in own)


def test_flagship_trials_equal_evaluating_each_trial(flagship: RuleSet) -> None:
    """On random flagship cases, every trial's values equal evaluating the changed facts from scratch."""
    for facts in random_cases(flagship, 12, seed=7):
        found = api.Workspace().prepare(flagship).outcomes(facts)
        for n, (name, answer) in enumerate(found.layout.trials):
            changed = {k: v for k, v in facts.items() if k != name}
            if answer is not None:
                changed[name] = answer
            expected = evaluate.decide(flagship, changed, "python")
            assert {ident: found.value(ident, 1 << n) for ident in expected} == expected, (name, answer)
