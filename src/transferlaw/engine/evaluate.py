"""Evaluate a case: statuses from the chosen engine, cross-checked, with explanations and open questions."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Literal

from ..language.errors import EngineError
from ..language.errors import OutputError
from ..language.model import SEVERITIES
from ..language.model import STATUSES
from ..language.model import Case
from ..language.model import ConclusionResult
from ..language.model import Evaluation
from ..language.model import Finding
from ..language.model import RuleSet
from ..language.model import Tri
from ..language.model import Value
from . import analysis
from . import durable
from . import kleene
from . import workspace as workspace_
from .kleene import status_of as status_of  # re-exported
from .workspace import EngineChoice
from .workspace import Workspace

EngineName = Literal["durable", "python"]
ENGINES: tuple[EngineName, ...] = ("durable", "python")


def choose(choice: EngineChoice = "auto") -> tuple[EngineName, str | None]:
    """The engine to use for ``choice`` and, when falling back to Python, a one-line warning that says what to
    do. ``durable`` where durable_rules cannot be imported is an error."""
    if choice == "python":
        return "python", None
    if durable.available():
        return "durable", None
    version = ".".join(map(str, sys.version_info[:3]))
    reason = f"the durable_rules engine does not work on this Python ({version})"
    details = f"(details: {durable.IMPORT_ERROR})"
    if choice == "durable":
        raise OutputError(f"{reason}: to use it, {durable.fix()}; or use --engine python {details}")
    return "python", (f"warning: {reason}, so transferlaw's own Python evaluator decides instead (the findings are "
                      f"the same). To use durable_rules, {durable.fix()}. {details}")


def engine_label(engine: str) -> str:
    """Which engine decided, as a memo's generator names it: ``durable_rules 2.0.28`` or the Python evaluator."""
    return durable.label() if engine == "durable" else "python (Kleene evaluator)"


def durable_engine(ruleset: RuleSet, workspace: Workspace | None = None) -> durable.DurableEngine:
    """The durable_rules engine for a rule set, kept by ``workspace`` (default: :func:`workspace.default`)."""
    return (workspace or workspace_.default()).prepare(ruleset).durable()


def values(ruleset: RuleSet, facts: Mapping[str, Value], engine: EngineName = "durable", *,
           workspace: Workspace | None = None) -> dict[str, Tri]:
    """Three-valued values of every conclusion and issue.

    With ``durable``, durable_rules decides and the Kleene evaluator checks it: any disagreement is an
    :class:`EngineError` rather than a wrong memo.
    """
    expected = workspace_.prepared(ruleset, workspace).program.values(facts)
    if engine == "python":
        return expected
    decided = durable_engine(ruleset, workspace).decide(facts)
    for ident, value in expected.items():
        if decided.get(ident) is not value:
            raise EngineError(f"durable_rules and the reference evaluator disagree on '{ident}' "
                              f"({decided.get(ident)} against {value})")
    return expected


def decide(ruleset: RuleSet, facts: Mapping[str, Value], engine: EngineName = "durable", *,
           workspace: Workspace | None = None) -> dict[str, Tri]:
    """Values from one engine alone (no cross-check): for benchmarks and engine tests."""
    if engine == "python":
        return workspace_.prepared(ruleset, workspace).program.values(facts)
    decided = durable_engine(ruleset, workspace).decide(facts)
    return {ident: decided.get(ident) for ident in
            [c.id for c in ruleset.conclusions] + [i.id for i in ruleset.issues]}


def evaluate(ruleset: RuleSet, case: Case, engine: EngineName = "durable", *,
             workspace: Workspace | None = None) -> Evaluation:
    """Evaluate ``case`` against ``ruleset``: findings, conclusions and open questions; durable_rules' engine
    is kept by ``workspace`` (default: :func:`workspace.default`)."""
    facts = case.facts
    prepared = workspace_.prepared(ruleset, workspace)
    program = prepared.program
    vals = values(ruleset, facts, engine, workspace=workspace)
    not_applicable = program.not_applicable(facts, vals)
    decided_by = analysis.deciders(ruleset, facts, vals, not_applicable, workspace=workspace)
    findings = []
    # explained once, shared with every case that reads the same facts
    trees = kleene.Trees(program, facts, prepared.explained)
    for issue in ruleset.issues:
        tree = trees.get(issue.id)
        if tree is None:
            tree = trees[issue.id] = kleene.explain(issue.when.expr, issue.when.text, program, facts, vals,
                                                    memo=trees)
        status = status_of(vals[issue.id])
        missing: tuple[str, ...] = ()
        if status == "undetermined":
            missing = analysis.missing_facts(ruleset, issue.id, decided_by, facts, not_applicable)
        findings.append(Finding(issue=issue, status=status, explanation=tree,
                                reasons=kleene.reasons(tree, facts), missing=missing,
                                authorities=program.cited(issue, facts, vals)))
    rank_status = {s: n for n, s in enumerate(STATUSES)}
    rank_severity = {s: n for n, s in enumerate(SEVERITIES)}
    order = {i.id: n for n, i in enumerate(ruleset.issues)}
    findings.sort(key=lambda f: (rank_status[f.status], rank_severity[f.issue.severity],
                                 order[f.issue.id]))
    conclusions = []
    for conclusion in ruleset.conclusions:
        tree = trees.get(conclusion.id) or kleene.explain(conclusion.when.expr, conclusion.when.text, program,
                                                          facts, vals, memo=trees)
        conclusions.append(ConclusionResult(conclusion=conclusion, value=vals[conclusion.id],
                                            explanation=tree, reasons=kleene.reasons(tree, facts)))
    return Evaluation(
        ruleset=ruleset, case=case, findings=tuple(findings), conclusions=tuple(conclusions),
        open_questions=analysis.open_questions(ruleset, decided_by),
        not_applicable=not_applicable, engine=engine,
    )
