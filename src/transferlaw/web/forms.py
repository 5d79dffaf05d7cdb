"""Answers as web forms: the options a question offers, a form's answer as typed text, and file names."""

from __future__ import annotations

import re

from flask import abort
from flask import request

from ..engine import sensitivity
from ..engine.trials import domain
from ..language.limits import CONTROL_CHARACTER
from ..language.model import Question
from ..language.model import RuleSet
from ..language.model import Value
from ..memo.display import fact_display
from ..tools import steps
from ..tools.typed_answers import AnswerError
from ..tools.typed_answers import accepted

_SLUG = re.compile(r"[^A-Za-z0-9]+")
UNFIT = re.compile(f"{CONTROL_CHARACTER.pattern}|[\ud800-\udfff]")
"""What no text may hold (:func:`transferlaw.language.yamlio.unfit_character`), taken out of an answer shown back."""


def options(question: Question, ruleset: RuleSet) -> list[tuple[str, str]]:
    """(form value, label) for a question answered by picking: booleans, choices, multi; numbers and
    dates get the values either side of every threshold the rule set uses (for what-if)."""
    if question.type == "boolean":
        return [("yes", "Yes"), ("no", "No")]
    if question.type in ("choice", "multi"):
        return list(question.choices)
    return [(steps.answer_text(v), fact_display(question, v)) for v in domain(question, ruleset)
            if sensitivity.proposable(question, v)]  # never 5e-05: the form would refuse it


def alternatives(question: Question, ruleset: RuleSet) -> list[tuple[str, str]]:
    """The answers a what-if offers: :func:`options`, but for a multi question the combinations that can
    change a finding (none, each one alone, all) rather than single ticks."""
    if question.type != "multi":
        return options(question, ruleset)
    return [(steps.answer_text(v), fact_display(question, v)) for v in domain(question, ruleset)]


def choice_value(question: Question, ruleset: RuleSet, chosen: str) -> Value | None:
    """A what-if choice ("unknown", or one of :func:`options`, or for multi a comma list) as a value."""
    if chosen == "unknown":
        return None
    try:
        found = steps.answer(ruleset, steps.State(ruleset=ruleset.id), question.id, chosen).facts.get(question.id)
    except AnswerError:
        abort(400, f"“{chosen}” is not an answer to this question: {accepted(question)}")
    return found


def raw_answer(ruleset: RuleSet, question_id: str) -> str:
    """The request form's answer as the terminal interview would read it."""
    question = ruleset.question_by_id.get(question_id)
    values = [v for v in request.form.getlist("value")]
    if question is None:
        return ""
    if question.type == "multi":
        return ", ".join(values) if values else "none"
    if question.type in ("boolean", "choice") and not values:
        raise AnswerError("Choose one of the answers, or press “Unknown”.")
    if not values or not values[0].strip():
        raise AnswerError("Type an answer, or press “Unknown”.")
    return values[0]


def slug(title: str) -> str:
    """A file name from a case title: letters, digits and dashes."""
    return _SLUG.sub("-", title).strip("-")[:60] or "memo"
