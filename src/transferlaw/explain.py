"""Explain one finding: its full reasoning tree, and a one-line why (or why not) in terms of its elements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .display import fact_display
from .errors import Diagnostic
from .errors import Position
from .errors import SourceError
from .errors import suggest
from .model import STATUS_LABELS
from .model import Evaluation
from .model import Explanation

_WORD = {True: "true", False: "false", None: "unknown"}


@dataclass(frozen=True, slots=True)
class Explained:
    """One issue or conclusion of an evaluation, with its tree and summary."""

    id: str
    kind: str
    title: str
    status: str
    summary: str
    tree: Explanation
    missing: tuple[str, ...]


def explain(evaluation: Evaluation, ident: str) -> Explained:
    """The explanation of issue or conclusion ``ident``; a located error with a suggestion if unknown."""
    for finding in evaluation.findings:
        if finding.issue.id == ident:
            return Explained(id=ident, kind="issue", title=finding.issue.title,
                             status=STATUS_LABELS[finding.status], summary=summary(finding.explanation),
                             tree=finding.explanation, missing=finding.missing)
    for result in evaluation.conclusions:
        if result.conclusion.id == ident:
            return Explained(id=ident, kind="conclusion", title=result.conclusion.title,
                             status=_WORD[result.value], summary=summary(result.explanation),
                             tree=result.explanation, missing=())
    ruleset = evaluation.ruleset
    known = [i.id for i in ruleset.issues] + [c.id for c in ruleset.conclusions]
    raise SourceError(Diagnostic(Position(ruleset.path or ruleset.id),
                                 f"no issue or conclusion '{ident}' in rule set '{ruleset.id}'", suggest(ident, known)))


def summary(tree: Explanation) -> str:
    """Why the condition has its value, in terms of its top-level elements ("3 of 4 elements met; ...")."""
    value = tree.value
    if tree.kind == "and":
        met = [c for c in tree.children if c.value is True]
        failing = [c for c in tree.children if c.value is False]
        open_ = [c for c in tree.children if c.value is None]
        head = f"{len(met)} of {len(tree.children)} elements met"
        if value is True:
            return f"all {len(tree.children)} elements met"
        if value is False:
            return f"{head}; fails on " + "; ".join(_leaf(c) for c in failing)
        return f"{head}; waiting on " + "; ".join(_leaf(c) for c in open_)
    if tree.kind == "or":
        if value is True:
            return "holds through " + "; ".join(_leaf(c) for c in tree.children if c.value is True)
        if value is False:
            return f"none of the {len(tree.children)} alternatives holds"
        return "no alternative holds yet; open: " + "; ".join(_leaf(c) for c in tree.children if c.value is None)
    return f"{_leaf(tree)}"


def _leaf(node: Explanation) -> str:
    return f"{node.text} is {_WORD[node.value]}"


def render_text(explained: Explained, evaluation: Evaluation) -> str:
    """The explanation as indented text: every node with its value, facts with their question and answer."""
    lines = [f"{explained.kind} {explained.id} — {explained.title}: {explained.status.upper()}",
             f"why: {explained.summary}"]
    if explained.missing:
        prompts = evaluation.ruleset.question_by_id
        lines.append("missing facts that could decide it: "
                     + "; ".join(f"{q} ({prompts[q].prompt})" for q in explained.missing))
    lines.append("reasoning:")
    _walk(explained.tree, evaluation, 1, lines)
    return "\n".join(lines)


def _walk(node: Explanation, evaluation: Evaluation, depth: int, lines: list[str]) -> None:
    mark = f"[{_WORD[node.value]:7}]"
    detail = ""
    if node.fact is not None:
        question = evaluation.ruleset.question_by_id[node.fact]
        shown = fact_display(question, evaluation.case.facts.get(node.fact))
        detail = f" — {node.fact} = {shown} ({question.prompt})"
    elif node.conclusion is not None:
        detail = f" — conclusion: {evaluation.ruleset.conclusion_by_id[node.conclusion].title}"
    lines.append(f"{'  ' * depth}{mark} {node.text}{detail}")
    for child in node.children:
        _walk(child, evaluation, depth + 1, lines)


def as_json(explained: Explained, evaluation: Evaluation) -> dict[str, Any]:
    """The explanation as data: status, summary, missing facts, and the tree."""
    questions = evaluation.ruleset.question_by_id

    def node(n: Explanation) -> dict[str, Any]:
        fact = None
        if n.fact is not None:
            fact = {"id": n.fact, "prompt": questions[n.fact].prompt,
                    "display": fact_display(questions[n.fact], evaluation.case.facts.get(n.fact))}
        return {"kind": n.kind, "text": n.text, "value": n.value, "summary": n.summary, "fact": fact,
                "conclusion": n.conclusion, "children": [node(c) for c in n.children]}

    return {"id": explained.id, "kind": explained.kind, "title": explained.title, "status": explained.status,
            "why": explained.summary,
            "missing_facts": [{"id": q, "prompt": questions[q].prompt} for q in explained.missing],
            "tree": node(explained.tree)}

