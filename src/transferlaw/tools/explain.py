"""Explain one finding: its full reasoning tree, and a one-line why (or why not) in terms of its elements."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from ..language.errors import Diagnostic
from ..language.errors import Position
from ..language.errors import SourceError
from ..language.errors import suggest
from ..language.model import STATUS_LABELS
from ..language.model import Evaluation
from ..language.model import Explanation
from ..language.model import RuleSet
from ..language.model import Tri
from ..memo import display
from ..memo.display import fact_display
from ..memo.display import value_word


@dataclass(frozen=True, slots=True, kw_only=True)
class Worded:
    """A node of a reasoning tree with its words (:func:`transferlaw.memo.display.summary`), for display."""

    kind: str
    text: str
    value: Tri
    summary: str
    fact: str | None = None
    conclusion: str | None = None
    children: tuple[Worded, ...] = ()


def worded(tree: Explanation, ruleset: RuleSet, done: dict[int, Worded] | None = None) -> Worded:
    """``tree`` in the rule set's words; a subtree shared in ``tree`` is worded once (``done``)."""
    done = {} if done is None else done
    found = done.get(id(tree))
    if found is None:
        found = done[id(tree)] = Worded(
            kind=tree.kind, text=tree.text, value=tree.value, summary=display.summary(tree, ruleset),
            fact=tree.fact, conclusion=tree.conclusion,
            children=tuple(worded(child, ruleset, done) for child in tree.children))
    return found


@dataclass(frozen=True, slots=True)
class Explained:
    """One issue or conclusion of an evaluation, with its tree and summary in words, and the trees of the
    evaluation's conclusions (which the tree refers to)."""

    id: str
    kind: str
    title: str
    status: str
    summary: str
    tree: Worded
    missing: tuple[str, ...]
    conclusions: Mapping[str, Worded] = field(default_factory=dict)


def explain(evaluation: Evaluation, ident: str) -> Explained:
    """The explanation of issue or conclusion ``ident``; a located error with a suggestion if unknown."""
    ruleset = evaluation.ruleset
    done: dict[int, Worded] = {}
    conclusions = {c.conclusion.id: worded(c.explanation, ruleset, done) for c in evaluation.conclusions}
    for finding in evaluation.findings:
        if finding.issue.id == ident:
            return Explained(ident, "issue", finding.issue.title, STATUS_LABELS[finding.status],
                             summary(finding.explanation), worded(finding.explanation, ruleset, done),
                             finding.missing, conclusions)
    for result in evaluation.conclusions:
        if result.conclusion.id == ident:
            return Explained(ident, "conclusion", result.conclusion.title, value_word(result.value),
                             summary(result.explanation), conclusions[ident], (), conclusions)
    known = [i.id for i in ruleset.issues] + [c.id for c in ruleset.conclusions]
    raise SourceError(Diagnostic(Position(ruleset.path or ruleset.id),
                                 f"no issue or conclusion '{ident}' in rule set '{ruleset.id}'", suggest(ident, known)))


def summary(tree: Explanation | Worded) -> str:
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


def _leaf(node: Explanation | Worded) -> str:
    return f"{node.text} is {value_word(node.value)}"


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


def _walk(node: Worded, evaluation: Evaluation, depth: int, lines: list[str]) -> None:
    mark = f"[{value_word(node.value):7}]"
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

    def node(n: Worded) -> dict[str, Any]:
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

