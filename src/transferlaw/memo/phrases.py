"""Answers as clauses of a sentence, from the rule set's question phrasings (:mod:`transferlaw.language.phrasing`).

``phrase(question, value)`` is the clause for an answer (``None``: not known), e.g. "the person has close family
in the United States"; a question without phrasings falls back on its prompt and the answer's label, so a rule
set written before phrasings still reads (``check`` warns about it). :func:`sentence` makes a clause a sentence.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..language.model import And
from ..language.model import Compare
from ..language.model import Const
from ..language.model import Contains
from ..language.model import Explanation
from ..language.model import Expr
from ..language.model import In
from ..language.model import Known
from ..language.model import Not
from ..language.model import Or
from ..language.model import Question
from ..language.model import Ref
from ..language.model import RuleSet
from ..language.model import Tri
from ..language.model import Value
from ..language.phrasing import ANSWER
from ..language.phrasing import PLACEHOLDER
from ..language.phrasing import UNKNOWN
from .display import OPERATOR_WORDS
from .display import fact_display
from .display import literal_display


def phrase(question: Question, value: Value | None) -> str:
    """The clause that says ``question`` was answered ``value`` (``None``: that the answer is not known)."""
    if not question.phrases:
        return _fallback(question, value)
    if value is None:
        return question.phrase_for(UNKNOWN) or _fallback(question, value)
    if isinstance(value, bool):
        found = question.phrase_for("true" if value else "false")
    elif isinstance(value, tuple):
        found = joined([question.phrase_for(v) or fact_display(question, v) for v in value]) if value \
            else question.phrase_for("none")
    elif isinstance(value, str) and question.type == "choice":
        found = question.phrase_for(value)
    else:
        template = question.phrase_for(ANSWER)
        found = template.replace(PLACEHOLDER, fact_display(question, value)) if template else None
    return found or _fallback(question, value)


def choice_phrase(question: Question, choice: str) -> str:
    """The clause for one choice of a choice or multi question (``true``/``false`` for a boolean's answer)."""
    return question.phrase_for(choice) or _fallback(question, choice)


def joined(clauses: Sequence[str]) -> str:
    """Clauses joined as English lists them: ``a``, ``a and b``, ``a, b and c``."""
    if len(clauses) <= 2:
        return " and ".join(clauses)
    return ", ".join(clauses[:-1]) + " and " + clauses[-1]


def sentence(clause: str) -> str:
    """A clause as a sentence: its first letter capitalised, a full stop at the end."""
    text = clause.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "?", "!")) else text + "."


_THE_PERSON = re.compile(r"\b[Tt]he person\b(\.?)")


def named(text: str, name: str) -> str:
    """``text`` with ``name`` ("Mr. Whitaker") written for "the person" (a rule set's texts and phrasings call
    the person that, so a memo can call him or her by name)."""
    if not text:
        return text
    # a name that ends in a full stop ("D.T.W.") ends the sentence too: no second full stop
    return _THE_PERSON.sub(lambda m: name if name.endswith(".") else name + m.group(1), text)


def _fallback(question: Question, value: Value | None) -> str:
    prompt = question.prompt.rstrip("?").strip()
    if value is None:
        return f"the answer to “{prompt}” is not known"
    return f"the answer to “{prompt}” is {fact_display(question, value)}"


def topic(question: Question) -> str:
    """What a question is about, from its not-known phrase ("whether the person has consented"), else its
    prompt in quotation marks."""
    unknown = phrase(question, None)
    for ending in (" is not known", " are not known"):
        if unknown.endswith(ending) and question.phrases:
            return unknown[: -len(ending)]
    return f"\u201c{question.prompt.rstrip('?')}\u201d"


STATES: dict[Tri, str] = {True: "Met", False: "Not met", None: "Not known"}
"""How a node of a reasoning tree reads in a memo: whether its condition is met on the facts given."""


def tree_line(node: Explanation, ruleset: RuleSet) -> str:
    """One node of a reasoning tree in a memo's words: whether it is met, then what it asks, written from the
    questions' phrasings and the conclusions' titles ("Not met: the person has not consented"; "Met: all 3 of
    the following are required (3 met)"); no id, no TRUE/FALSE."""
    state = STATES[node.value]
    kind = node.kind
    if kind in ("and", "or"):
        met = sum(1 for child in node.children if child.value is True)
        count = len(node.children)
        asked = (f"all {count} of the following are required" if kind == "and" else
                 f"any one of the following {count} suffices")
        return f"{state}: {asked} ({met} met)"
    if kind == "not":
        return f"{state}: the following must not hold"
    if node.conclusion is not None:
        return f"{state}: {ruleset.conclusion_by_id[node.conclusion].title}"
    if node.fact is None:
        return f"{state}: a condition fixed by the rule set"
    question = ruleset.question_by_id[node.fact]
    if kind == "known":
        return f"{state}: the file answers {topic(question)}"
    said = topic(question) if node.answer is None else phrase(question, node.answer)
    expr = node.expr
    if kind == "fact" or not isinstance(expr, (Compare, In, Contains)):
        return f"{state}: {said}"
    return f"{state}: {said} (the test: {_test(question, expr)})"


def _test(question: Question, expr: Compare | In | Contains) -> str:
    """What a sub-condition asks of one answer, in the question's phrasings where it has them."""
    def clause(value: object) -> str:
        if isinstance(value, bool):
            return choice_phrase(question, "true" if value else "false")
        if isinstance(value, str) and question.choices:
            return choice_phrase(question, value)
        return f"the answer {OPERATOR_WORDS['==']} {literal_display(question, value)}"

    if isinstance(expr, Contains):
        return clause(expr.value)
    if isinstance(expr, In):
        listed = " or ".join(clause(v) for v in expr.values)
        return f"none of: {listed}" if expr.negated else listed
    if expr.op == "==":
        return clause(expr.value)
    if expr.op == "!=":
        return f"anything but: {clause(expr.value)}"
    return f"the answer {OPERATOR_WORDS[expr.op]} {literal_display(question, expr.value)}"


def condition_words(expr: Expr, ruleset: RuleSet) -> str:
    """A condition in words, from the questions' phrasings and the conclusions' titles, for a reader who does
    not read the rule language: ``consent_given and not treaty_route_possible`` reads "the person has
    consented in writing to serve time in El Salvador and not (a treaty transfer to El Salvador is possible
    in principle …)". A compound part of a compound condition is bracketed."""
    return _words(expr, ruleset, nested=False)


def _words(expr: Expr, ruleset: RuleSet, *, nested: bool) -> str:
    if isinstance(expr, Const):
        return "always" if expr.value else "never"
    if isinstance(expr, And | Or):
        parts = [_words(op, ruleset, nested=True) for op in expr.operands]
        text = joined(parts) if isinstance(expr, And) else " or ".join(parts)
        if isinstance(expr, Or) and len(parts) > 1:
            text = "either " + text
        return f"({text})" if nested else text
    if isinstance(expr, Not):
        inner = expr.operand
        if isinstance(inner, Ref) and inner.name in ruleset.question_by_id:
            question = ruleset.question_by_id[inner.name]
            if question.type == "boolean":
                return phrase(question, False)
        text = _words(inner, ruleset, nested=True)
        return "not " + (text if text.startswith("(") else f"({text})")
    if isinstance(expr, Ref):
        if expr.name in ruleset.question_by_id:
            return phrase(ruleset.question_by_id[expr.name], True)
        return _lower_first(ruleset.conclusion_by_id[expr.name].title)
    if isinstance(expr, Known):
        return f"the file answers {topic(ruleset.question_by_id[expr.name])}"
    if isinstance(expr, Compare | In | Contains):
        question = ruleset.question_by_id[expr.name]
        if isinstance(expr, Compare) and expr.op not in ("==", "!="):
            return f"{topic(question)} {OPERATOR_WORDS[expr.op]} {literal_display(question, expr.value)}"
        return _test(question, expr)
    raise TypeError(f"not a condition node: {expr!r}")


_PROPER_STARTS = frozenset({"El", "I", "Congress", "CECOT"})


def _lower_first(title: str) -> str:
    """A title as a clause: "The person is …" reads "the person is …"; a name ("El Salvador holds …",
    "U.S. officers …") keeps its capital."""
    first = title.split(" ", 1)[0]
    if first in _PROPER_STARTS or not (first[1:].islower() or first == "A"):
        return title
    return title[0].lower() + title[1:]
