"""Reading a typed interview answer: what it means for its question, and whether a case file could hold it.

:func:`parse_answer` reads one answer as the case validator would check it (raising :class:`AnswerError`,
whose message says what the question accepts, or returning :class:`Help` for ``?``); :func:`refuse_unfit`
and :func:`clean_title` refuse text no case file may hold; :func:`accepted`, :func:`help_text`,
:func:`choice_lines` and :func:`prompt_hint` say in words what a question takes. The terminal interview
(:mod:`transferlaw.tools.interview`), the web interview (:mod:`transferlaw.tools.steps`) and the web forms use them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..language.errors import Collector
from ..language.errors import Position
from ..language.errors import TransferlawError
from ..language.errors import suggest
from ..language.model import Question
from ..language.model import Value
from ..language.number import NumberError
from ..language.number import parse_number
from ..language.validate_case import fact_value
from ..language.yamlio import Scalar
from ..language.yamlio import unfit_character

SKIP_WORDS = frozenset({"", "unknown", "skip"})

_TRUE = frozenset({"y", "yes", "true"})
_FALSE = frozenset({"n", "no", "false"})
DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
"""The form of a date answer, YYYY-MM-DD."""
_STR_TAG = "tag:yaml.org,2002:str"
_ANSWER = Position("answer")


class AnswerError(TransferlawError, ValueError):
    """A typed answer that the question cannot take; the message says what it accepts."""


@dataclass(frozen=True, slots=True)
class Help:
    """The answer ``?``: show ``text`` (the question's help and the answers it accepts) and ask again."""

    text: str


def parse_answer(question: Question, raw: str) -> Value | None | Help:
    """Read a typed answer.

    ``?`` asks for help; an empty answer, ``unknown`` or ``skip`` means unknown (None). Booleans take
    y/yes/true/n/no/false; a choice takes its id, its number in the list, or a unique start of its label;
    a multi takes those separated by commas, or ``none``; numbers and dates (YYYY-MM-DD) are checked as a
    case file would check them.

    :raises AnswerError: the answer does not fit; the message says what the question accepts.
    """
    refuse_unfit(raw, "the answer")
    text = raw.strip()
    if text == "?":
        return Help(help_text(question))
    if text.lower() in SKIP_WORDS:
        return None
    kind = question.type
    if kind == "boolean":
        word = text.lower()
        if word in _TRUE or word in _FALSE:
            return word in _TRUE
        raise AnswerError(f"{text!r} is not yes or no: {accepted(question)}")
    if kind == "choice":
        return _pick(question, text)
    if kind == "multi":
        if text.lower() == "none":
            return ()
        picked = {_pick(question, part.strip()) for part in text.split(",") if part.strip()}
        return tuple(v for v in question.choice_values if v in picked)
    if kind == "number":
        return _checked(question, _number(question, text), text)
    if kind == "date":
        if not DATE.fullmatch(text):
            raise AnswerError(f"{text!r} is not a date: {accepted(question)}")
    return _checked(question, text, text)


def refuse_unfit(text: str, what: str, *, typed: bool = True) -> None:
    """Refuse text that no case file may hold (a control character, or bytes that were not UTF-8), saying
    what to do; ``what`` names it in the message (``the title``, ``the answer``, ``--title``), and ``typed``
    says it was typed at a prompt (so it can be typed again) rather than given on the command line.

    :raises AnswerError: ``text`` holds such a character.
    """
    unfit = unfit_character(text)
    if unfit is None:
        return
    if not typed:
        raise AnswerError(f"{what} holds {unfit}; give it again without it")
    if unfit.startswith("the control"):
        raise AnswerError(f"{what} holds {unfit}; type it again without it (a paste or an arrow key can put one in)")
    raise AnswerError(f"{what} holds {unfit}; type it again (check that the terminal's encoding is UTF-8)")


def clean_title(title: str) -> str:
    """A typed title with its whitespace collapsed (empty when there is none).

    :raises AnswerError: it holds a character no case file may hold.
    """
    refuse_unfit(title, "the title")
    return " ".join(title.split())


def _pick(question: Question, text: str) -> str:
    """One choice, by id, by 1-based number, or by a unique case-insensitive start of its label."""
    choices = question.choices
    lowered = text.lower()
    if text.isascii() and text.isdigit():  # not "²": str.isdigit accepts digits int() refuses
        if len(text) < 10 and 1 <= int(text) <= len(choices):
            return choices[int(text) - 1][0]
        raise AnswerError(f"there is no choice {text if len(text) < 10 else text[:9] + '…'}: {accepted(question)}")
    for value, label in choices:
        if lowered in (value.lower(), label.lower()):
            return value
    starts = [(value, label) for value, label in choices if label.lower().startswith(lowered)]
    if len(starts) == 1:
        return starts[0][0]
    if starts:
        labels = "; ".join(label for _, label in starts)
        raise AnswerError(f"{text!r} could be any of: {labels} (type more of the label, or its number)")
    hint = suggest(text, question.choice_values)
    raise AnswerError(f"{text!r} is not a choice{f' ({hint})' if hint else ''}: {accepted(question)}")


def _number(question: Question, text: str) -> int | float:
    """A number in plain decimal (:func:`~transferlaw.language.number.parse_number`, as every input reads it), with or
    without the question's unit."""
    number = text
    if question.unit and number.lower().endswith(question.unit.lower()):
        number = number[: -len(question.unit)].strip()
    try:
        return parse_number(number)
    except NumberError as exc:
        if exc.number_like:
            raise AnswerError(str(exc)) from None
        raise AnswerError(f"{text!r} is not a number: {accepted(question)}") from None


def _checked(question: Question, value: Value, raw: str) -> Value:
    """Check an answer exactly as the case validator would, so whatever is accepted round-trips."""
    out = Collector()
    checked = fact_value(question, value, Scalar(_ANSWER, None, raw, _STR_TAG), out)
    if out.diagnostics:
        problem = out.diagnostics[0]
        raise AnswerError(problem.message + (f" ({problem.hint})" if problem.hint else ""))
    if checked is None:  # e.g. the text "unknown"
        raise AnswerError(f"{raw!r} is not an answer: {accepted(question)}")
    return checked


def accepted(question: Question) -> str:
    """What a question accepts, in words."""
    kind = question.type
    if kind == "boolean":
        return "answer yes or no (y/n)"
    if kind == "choice":
        return f"answer a number from 1 to {len(question.choices)}, a choice's id, or the start of its label"
    if kind == "multi":
        return ("answer the numbers or ids of every choice that applies, separated by commas "
                "(e.g. 1,3), or 'none'")
    if kind == "number":
        return "answer a number" + _range(question)
    if kind == "date":
        return "answer a date as YYYY-MM-DD"
    return "answer in words"


def _range(question: Question) -> str:
    unit = f" {question.unit}" if question.unit else ""
    low = _num(question.min) if question.min is not None else None
    high = _num(question.max) if question.max is not None else None
    if low is not None and high is not None:
        return f" from {low} to {high}{unit}"
    if low is not None:
        return f" of at least {low}{unit}"
    if high is not None:
        return f" of at most {high}{unit}"
    return f" ({unit.strip()})" if unit else ""


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def choice_lines(question: Question) -> list[str]:
    """The numbered choices of a choice or multi question, as shown."""
    return [f"    {n}) {label}  [{value}]" for n, (value, label) in enumerate(question.choices, 1)]


def help_text(question: Question) -> str:
    """What ``?`` shows: the prompt, its help, the choices, and what the answer may be."""
    lines = [question.prompt]
    if question.help:
        lines.append(" ".join(question.help.split()))
    lines.extend(choice_lines(question))
    lines.append(accepted(question).capitalize() + ".")
    lines.append("Press Enter (or answer 'unknown') if you don't know; 'quit' saves and stops.")
    return "\n".join(lines)


def prompt_hint(question: Question) -> str:
    """The short prompt ``ask`` shows, e.g. ``y/n> ``."""
    kind = question.type
    if kind == "boolean":
        return "y/n> "
    if kind == "choice":
        return f"1-{len(question.choices)}> "
    if kind == "multi":
        return f"1-{len(question.choices)}, comma-separated, or none> "
    if kind == "number":
        return f"number{_range(question)}> "
    if kind == "date":
        return "YYYY-MM-DD> "
    return "> "
