"""What the missing facts would decide: missing facts per finding, and open questions ranked.

For every unknown question that applies, each candidate answer is tried on its own (the question's finite
domain, or for numbers and dates the values on either side of every threshold the conditions use); a
finding that some answer decides counts that question among its missing facts.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..language import visitor
from ..language.model import SEVERITIES
from ..language.model import Expr
from ..language.model import OpenQuestion
from ..language.model import RuleSet
from ..language.model import Tri
from ..language.model import Value
from . import trials
from . import workspace as workspace_
from .trials import domain as domain  # re-exported: the answers worth trying for a question


def dependencies(ruleset: RuleSet, expr: Expr, *, workspace: workspace_.Workspace | None = None) -> list[str]:
    """The questions a condition depends on, through conclusions, in first-mention order."""
    return list(visitor.dependencies(expr, workspace_.prepared(ruleset, workspace).program.depends))


def deciders(ruleset: RuleSet, facts: Mapping[str, Value], values: Mapping[str, Tri],
             excluded: frozenset[str], outcomes: trials.Outcomes | None = None, *,
             workspace: workspace_.Workspace | None = None, changes: bool = False) -> dict[str, list[str]]:
    """For each unknown question not ``excluded`` (not applicable, or skipped): the undetermined issues
    that some single answer to it decides (from the bit-parallel trials, or ``outcomes`` if given).

    With ``changes``, also every issue not raised now that some single answer raises or opens: an issue
    kept from arising only because a fact is not yet answered (a ``known(x)`` test). An interview must ask
    such a question; a memo's count of open issues must not count it."""
    open_issues = [i.id for i in ruleset.issues if changes or values.get(i.id) is None]
    result: dict[str, list[str]] = {}
    if not open_issues:
        return result
    found = outcomes if outcomes is not None else workspace_.prepared(ruleset, workspace).outcomes(facts)
    # the trials that decide it (an open issue) or that raise it or open it (one decided not raised);
    # an answer that could only take back a raised issue (an answer that overrides a preset) is not asked for
    decided = {ident: found.differs(ident, values.get(ident)) if values.get(ident) is not True else 0
               for ident in open_issues}
    for question in ruleset.questions:
        if question.id in facts or question.id in excluded or question.type == "text":
            continue
        span = found.layout.span[question.id]
        issues = [ident for ident in open_issues if decided[ident] & span]
        if issues:
            result[question.id] = issues
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
