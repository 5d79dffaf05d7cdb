"""Turn answers and sub-conditions into the words a memo reader sees (labels, yes/no, units)."""

from __future__ import annotations

from ..language.model import Compare
from ..language.model import Contains
from ..language.model import Explanation
from ..language.model import In
from ..language.model import Question
from ..language.model import Ref
from ..language.model import RuleSet
from ..language.model import Tri
from ..language.model import Value
from ..language.visitor import Visitor
from ..language.words import counted
from ..language.words import number_text

OPERATOR_WORDS = {
    "==": "is", "!=": "is not", "<": "is less than", "<=": "is at most", ">": "is more than",
    ">=": "is at least",
}


def literal_display(question: Question, value: object) -> str:
    """How a literal of a condition reads: a choice's label, yes/no, a number with its unit (``1 day``,
    ``2 days``: a unit is written in the plural)."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        return counted(value, question.unit) if question.unit else number_text(value)
    if isinstance(value, str) and question.choices:
        return dict(question.choices).get(value, value)
    return str(value)


def fact_display(question: Question, value: Value | None) -> str:
    """How an answer reads in a memo; ``unknown`` when it is missing."""
    if value is None:
        return "unknown"
    if isinstance(value, tuple):
        if not value:
            return "none"
        labels = dict(question.choices)
        return "; ".join(labels.get(v, v) for v in value)
    return literal_display(question, value)


class _Words(Visitor[str]):
    """A test of one question in words."""

    def __init__(self, question: Question, ids: bool = True) -> None:
        self.question = question
        self.name = question.id if ids else f"\u201c{question.prompt.strip()}\u201d"

    def visit_ref(self, expr: Ref) -> str:
        return f"{self.name} is yes"

    def visit_contains(self, expr: Contains) -> str:
        return f"{self.name} includes \u201c{literal_display(self.question, expr.value)}\u201d"

    def visit_in(self, expr: In) -> str:
        shown = ", ".join(f"\u201c{literal_display(self.question, v)}\u201d" for v in expr.values)
        verb = "is not one of" if expr.negated else "is one of"
        return f"{self.name} {verb} {shown}"

    def visit_compare(self, expr: Compare) -> str:
        return f"{self.name} {OPERATOR_WORDS[expr.op]} \u201c{literal_display(self.question, expr.value)}\u201d"


def compare_text(question: Question, expr: Ref | Compare | In | Contains) -> str:
    """A sub-condition in words, e.g. ``custodian is "State prison system"``."""
    return _Words(question).visit(expr)


def value_word(value: Tri) -> str:
    """A three-valued value in words: true, false or unknown."""
    return "unknown" if value is None else "true" if value else "false"


def summary(node: Explanation, ruleset: RuleSet, ids: bool = True) -> str:
    """One node of a reasoning tree in words, from the rule set's own (question prompts, conclusion titles),
    e.g. ``2 of 3 conditions hold — false`` or ``Is the person in custody? yes — true``. Without ``ids`` (a
    memo's words), a test names its question by its prompt, never by its id or the condition's source text."""
    word = value_word(node.value)
    kind = node.kind
    if kind in ("and", "or"):
        met = sum(1 for child in node.children if child.value is True)
        noun = "conditions" if kind == "and" else "alternatives"
        return f"{met} of {len(node.children)} {noun} hold — {word}"
    if kind == "not":
        return f"not ({node.children[0].text}) — {word}" if ids else f"the opposite of the condition below — {word}"
    if node.conclusion is not None:
        return f"{ruleset.conclusion_by_id[node.conclusion].title} — {word}"
    if node.fact is None:
        return word
    question = ruleset.question_by_id[node.fact]
    if kind == "known":
        return f"{question.prompt} — {'answered' if node.value else 'not answered'}"
    shown = fact_display(question, node.answer)
    if kind == "fact":
        return f"{question.prompt} {shown} — {word}"
    assert node.expr is not None
    return f"{_Words(question, ids).visit(node.expr)}: answer {shown} — {word}"
