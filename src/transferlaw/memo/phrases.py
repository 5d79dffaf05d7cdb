"""Answers as clauses of a sentence, from the rule set's question phrasings (:mod:`transferlaw.language.phrasing`).

``phrase(question, value)`` is the clause for an answer (``None``: not known), e.g. "the person has close family
in the United States"; a question without phrasings falls back on its prompt and the answer's label, so a rule
set written before phrasings still reads (``check`` warns about it). :func:`sentence` makes a clause a sentence.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..language.model import Question
from ..language.model import Value
from ..language.phrasing import ANSWER
from ..language.phrasing import PLACEHOLDER
from ..language.phrasing import UNKNOWN
from .display import fact_display


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


def _fallback(question: Question, value: Value | None) -> str:
    prompt = question.prompt.rstrip("?").strip()
    if value is None:
        return f"the answer to “{prompt}” is not known"
    return f"the answer to “{prompt}” is {fact_display(question, value)}"
