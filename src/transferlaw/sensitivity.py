"""Fact sensitivity and what-if: which findings change when one fact is answered differently.

For every answered fact, each other answer (and "unknown") is tried on its own; for every unknown fact that
applies, each possible answer is tried. The findings whose status changes are recorded, before and after.
The same comparison serves ``transferlaw whatif`` for any set of changed facts.
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass

from . import kleene
from . import trials
from .display import fact_display
from .kleene import status_of
from .model import RuleSet
from .model import Status
from .model import Tri
from .model import Value


@dataclass(frozen=True, slots=True)
class Change:
    """One issue whose status differs between two sets of facts."""

    issue: str
    before: Status
    after: Status


@dataclass(frozen=True, slots=True)
class Alternative:
    """One other answer to a fact, and the findings it would change."""

    value: Value | None
    display: str
    changes: tuple[Change, ...]


@dataclass(frozen=True, slots=True)
class FactSensitivity:
    """What answering one fact differently would do."""

    question: str
    answered: bool
    alternatives: tuple[Alternative, ...]


def changes(ruleset: RuleSet, before: Mapping[str, Tri], after: Mapping[str, Tri],
            among: Sequence[str] | None = None) -> tuple[Change, ...]:
    """The issues whose status differs between two evaluations, in rule-set order (only ``among`` if given:
    the issues that can differ at all)."""
    idents = among if among is not None else [i.id for i in ruleset.issues]
    return tuple(
        Change(issue=ident, before=status_of(before[ident]), after=status_of(after[ident]))
        for ident in idents if before[ident] is not after[ident]
    )


def sensitivity(ruleset: RuleSet, facts: Mapping[str, Value]) -> tuple[FactSensitivity, ...]:
    """For each fact that could change a finding: the other answers and what each would change (every
    trial at once, from :mod:`transferlaw.trials`)."""
    program = kleene.program(ruleset)
    base = program.values(facts)
    not_applicable = program.not_applicable(facts, base)
    found = trials.outcomes(ruleset, facts)
    issues = [i.id for i in ruleset.issues]
    differs = {ident: found.differs(ident, base[ident]) for ident in issues}
    result = []
    for question in ruleset.questions:
        answered = question.id in facts
        if question.type == "text" or not answered and question.id in not_applicable:
            continue
        candidates = [ident for ident in issues if differs[ident] & found.layout.span[question.id]]
        if not candidates:
            continue
        current = facts.get(question.id)
        alternatives = []
        for bit, value in found.layout.own[question.id]:
            if (value is None and not answered) or (value is not None and value == current):
                continue  # the case as it is
            changed = tuple(Change(issue=ident, before=status_of(base[ident]), after=status_of(found.value(ident, bit)))
                            for ident in candidates if differs[ident] & bit)
            if changed:
                alternatives.append(Alternative(value=value, display=fact_display(question, value), changes=changed))
        if alternatives:
            result.append(FactSensitivity(question=question.id, answered=answered, alternatives=tuple(alternatives)))
    return tuple(result)
