"""Fact sensitivity and what-if: which findings change when one fact is answered differently.

For every answered fact, each other answer (and "unknown") is tried on its own; for every unknown fact that
applies, each possible answer is tried. The findings whose status changes are recorded, before and after. Only
answers a case file can hold are proposed (:func:`proposable`), so each one works with ``whatif --set``.
The same comparison serves ``transferlaw whatif`` for any set of changed facts.
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass

from ..language.errors import Collector
from ..language.errors import Position
from ..language.model import Evaluation
from ..language.model import Question
from ..language.model import RuleSet
from ..language.model import Status
from ..language.model import Tri
from ..language.model import Value
from ..language.number import NumberError
from ..language.number import parse_number
from ..language.validate_case import fact_value
from ..language.yamlio import Scalar
from . import workspace as workspace_
from .kleene import status_of

_INT = "tag:yaml.org,2002:int"


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
    changes: tuple[Change, ...]


@dataclass(frozen=True, slots=True)
class FactSensitivity:
    """What answering one fact differently would do."""

    question: str
    answered: bool
    alternatives: tuple[Alternative, ...]


def proposable(question: Question, value: Value | None) -> bool:
    """True when a case file, a CSV cell, a form and ``whatif --set`` can all hold ``value`` as the answer to
    ``question``, so that a memo or a page may propose it. The trials of :mod:`transferlaw.engine.trials` also try
    numbers no one can write (halfway between 0 and 0.0001 is 5e-05, too small; one past 999999999999999 is
    out of range): a number must read back as itself in plain decimal and pass the case validator's checks.
    Other answers are the rule set's own choices and dates."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return True
    try:
        parsed = parse_number(str(value))
    except NumberError:
        return False
    out = Collector()
    checked = fact_value(question, parsed, Scalar(Position("proposed"), None, str(value), _INT), out)
    return not out.diagnostics and checked == value


def changes(ruleset: RuleSet, before: Mapping[str, Tri], after: Mapping[str, Tri],
            among: Sequence[str] | None = None) -> tuple[Change, ...]:
    """The issues whose status differs between two evaluations, in rule-set order (only ``among`` if given:
    the issues that can differ at all)."""
    idents = among if among is not None else [i.id for i in ruleset.issues]
    return tuple(
        Change(issue=ident, before=status_of(before[ident]), after=status_of(after[ident]))
        for ident in idents if before[ident] is not after[ident]
    )


def finding_changes(ruleset: RuleSet, before: Evaluation, after: Evaluation) -> tuple[Change, ...]:
    """The issues whose status differs between two evaluations of ``ruleset``, in rule-set order."""
    return changes(ruleset, _values(before), _values(after))


def _values(evaluation: Evaluation) -> dict[str, Tri]:
    return {f.issue.id: None if f.status == "undetermined" else f.status == "raised" for f in evaluation.findings}


def sensitivity(ruleset: RuleSet, facts: Mapping[str, Value], *,
                workspace: workspace_.Workspace | None = None) -> tuple[FactSensitivity, ...]:
    """For each fact that could change a finding: the other answers and what each would change (every
    trial at once, from :mod:`transferlaw.engine.trials`)."""
    prepared = workspace_.prepared(ruleset, workspace)
    program = prepared.program
    base = program.values(facts)
    not_applicable = program.not_applicable(facts, base)
    found = prepared.outcomes(facts)
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
            if not proposable(question, value):
                continue  # a trial between thresholds that no case file can hold (5e-05, 10^15)
            changed = tuple(Change(issue=ident, before=status_of(base[ident]), after=status_of(found.value(ident, bit)))
                            for ident in candidates if differs[ident] & bit)
            if changed:
                alternatives.append(Alternative(value=value, changes=changed))
        if alternatives:
            result.append(FactSensitivity(question=question.id, answered=answered, alternatives=tuple(alternatives)))
    return tuple(result)
