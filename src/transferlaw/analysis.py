"""What the missing facts would decide: missing facts per finding, and open questions ranked.

For every unknown question that applies, each candidate answer is tried on its own (the question's finite
domain, or for numbers and dates the values on either side of every threshold the conditions use); a
finding that some answer decides counts that question among its missing facts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from collections.abc import Mapping

from .conditions import names
from .kleene import Program
from .model import SEVERITIES
from .model import And
from .model import Compare
from .model import Expr
from .model import In
from .model import Not
from .model import OpenQuestion
from .model import Or
from .model import Question
from .model import RuleSet
from .model import Tri
from .model import Value


def _literals(expr: Expr, name: str) -> Iterator[object]:
    if isinstance(expr, Not):
        yield from _literals(expr.operand, name)
    elif isinstance(expr, (And, Or)):
        for op in expr.operands:
            yield from _literals(op, name)
    elif isinstance(expr, Compare) and expr.name == name:
        yield expr.value
    elif isinstance(expr, In) and expr.name == name:
        yield from expr.values


def _conditions(ruleset: RuleSet) -> Iterator[Expr]:
    for c in ruleset.conclusions:
        yield c.when.expr
    for i in ruleset.issues:
        yield i.when.expr
    for q in ruleset.questions:
        if q.ask_if is not None:
            yield q.ask_if.expr


def domain(question: Question, ruleset: RuleSet) -> list[Value]:
    """Answers worth trying for ``question``: enough to reach every outcome the conditions distinguish."""
    kind = question.type
    if kind == "boolean":
        return [True, False]
    if kind == "choice":
        return list(question.choice_values)
    if kind == "multi":
        values = question.choice_values
        return [(), *((v,) for v in values), tuple(values)]
    if kind == "text":
        return []
    numbers: set[float] = set()
    days: set[str] = set()
    for expr in _conditions(ruleset):
        for literal in _literals(expr, question.id):
            if kind == "number" and isinstance(literal, (int, float)) and not isinstance(literal, bool):
                numbers.update((literal - 1, literal, literal + 1))
            elif kind == "date" and isinstance(literal, str):
                day = dt.date.fromisoformat(literal)
                days.update(str(day + dt.timedelta(days=d)) for d in (-1, 0, 1))
    if kind == "number":
        low = question.min if question.min is not None else float("-inf")
        high = question.max if question.max is not None else float("inf")
        if question.min is not None:
            numbers.add(question.min)
        if question.max is not None:
            numbers.add(question.max)
        return [int(p) if float(p).is_integer() else p for p in sorted(numbers) if low <= p <= high]
    return sorted(days)


def dependencies(ruleset: RuleSet, expr: Expr) -> list[str]:
    """The questions a condition depends on, through conclusions, in first-mention order."""
    seen: dict[str, None] = {}
    stack = list(names(expr))
    visited: set[str] = set()
    while stack:
        name = stack.pop(0)
        if name in visited:
            continue
        visited.add(name)
        conclusion = ruleset.conclusion_by_id.get(name)
        if conclusion is not None:
            stack[0:0] = list(names(conclusion.when.expr))
        else:
            seen[name] = None
    return list(seen)


def deciders(program: Program, facts: Mapping[str, Value], values: Mapping[str, Tri],
             not_applicable: frozenset[str]) -> dict[str, list[str]]:
    """For each unknown, applicable question: the undetermined issues some single answer decides."""
    ruleset = program.ruleset
    open_issues = [i.id for i in ruleset.issues if values.get(i.id) is None]
    result: dict[str, list[str]] = {}
    if not open_issues:
        return result
    for question in ruleset.questions:
        if question.id in facts or question.id in not_applicable or question.type == "text":
            continue
        decided: set[str] = set()
        trial = dict(facts)
        for answer in domain(question, ruleset):
            trial[question.id] = answer
            outcome = program.values_changing(trial, values, question.id)
            decided.update(i for i in open_issues if outcome[i] is not None)
            if len(decided) == len(open_issues):
                break
        if decided:
            result[question.id] = [i for i in open_issues if i in decided]
    return result


def missing_facts(ruleset: RuleSet, issue_id: str, decided_by: Mapping[str, list[str]],
                  facts: Mapping[str, Value], not_applicable: frozenset[str]) -> tuple[str, ...]:
    """The missing facts that could decide an undetermined issue.

    First those that decide it on their own; if it takes several together, every unknown question the
    issue depends on.
    """
    alone = tuple(q.id for q in ruleset.questions if issue_id in decided_by.get(q.id, ()))
    if alone:
        return alone
    issue = ruleset.issue_by_id[issue_id]
    return tuple(q for q in dependencies(ruleset, issue.when.expr)
                 if q not in facts and q not in not_applicable
                 and ruleset.question_by_id[q].type != "text")


def open_questions(ruleset: RuleSet, decided_by: Mapping[str, list[str]]) -> tuple[OpenQuestion, ...]:
    """Open questions, most decisive first; ties by the most severe issue decided, then rule-set order."""
    rank = {s: n for n, s in enumerate(SEVERITIES)}
    order = {q.id: n for n, q in enumerate(ruleset.questions)}
    items = [
        OpenQuestion(question=ruleset.question_by_id[qid], decides=tuple(issues))
        for qid, issues in decided_by.items()
    ]

    def key(item: OpenQuestion) -> tuple[int, int, int]:
        worst = min(rank[ruleset.issue_by_id[i].severity] for i in item.decides)
        return (-len(item.decides), worst, order[item.question.id])

    return tuple(sorted(items, key=key))
