"""An interview as immutable state and the steps that change it, for front ends that are not a terminal.

The terminal interview (:mod:`transferlaw.tools.interview`) is a loop; a web form is a sequence of requests, each
of which needs the state, the step it asks for, and what to show next. :class:`State` is that state (the
answers, the questions answered unknown, and the order they were asked in, for *back*); :func:`current`
is the question to show, chosen exactly as the terminal interview chooses it (text questions first, then
the open question that could decide the most findings); :func:`answer`, :func:`skip` and :func:`back` are
the steps; :func:`live` is the brief answer to show beside the question.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from types import MappingProxyType

from ..engine import workspace as workspace_
from ..engine.kleene import status_of
from ..language.model import SEVERITIES
from ..language.model import Issue
from ..language.model import Question
from ..language.model import RuleSet
from ..language.model import Value
from ..language.yamlio import unfit_character
from .interview import DEFAULT_TITLE
from .interview import next_question
from .interview import ranked_questions
from .interview import text_questions
from .typed_answers import AnswerError
from .typed_answers import Help
from .typed_answers import clean_title
from .typed_answers import parse_answer


@dataclass(frozen=True, slots=True)
class State:
    """Where an interview stands."""

    ruleset: str
    title: str = DEFAULT_TITLE
    facts: Mapping[str, Value] = field(default_factory=lambda: MappingProxyType({}))
    skipped: frozenset[str] = frozenset()
    asked: tuple[str, ...] = ()
    """Question ids in the order they were answered or skipped, so that *back* can undo the last."""
    as_of: dt.date | None = None
    """The date the facts speak as of (the memo's date)."""
    notes: str | None = None


@dataclass(frozen=True, slots=True)
class Live:
    """The brief answer for the facts so far: issues raised (most severe first) and undetermined."""

    raised: tuple[Issue, ...]
    undetermined: tuple[Issue, ...]
    not_raised: int

    @property
    def total(self) -> int:
        return len(self.raised) + len(self.undetermined) + self.not_raised


@dataclass(frozen=True, slots=True)
class Progress:
    """How far along: questions dealt with, and how many could still change a finding."""

    done: int
    remaining: int

    @property
    def fraction(self) -> float:
        total = self.done + self.remaining
        return 1.0 if total == 0 else self.done / total


def start(ruleset: RuleSet, title: str | None = None, facts: Mapping[str, Value] | None = None,
          skipped: frozenset[str] = frozenset(), as_of: dt.date | None = None, notes: str | None = None) -> State:
    """A new interview (from an uploaded case's answers, if given).

    :raises AnswerError: the title holds a character no case file may hold (a control character).
    """
    given = dict(facts or {})
    return State(ruleset=ruleset.id, title=_title(title),
                 facts=MappingProxyType(given), skipped=frozenset(skipped) - set(given), as_of=as_of, notes=notes)


def current(ruleset: RuleSet, state: State, *, workspace: workspace_.Workspace | None = None) -> Question | None:
    """The question to ask now: each text question once, first; then the open question that could decide the
    most findings; None when no remaining question could change a finding."""
    offered = text_questions(ruleset, state.facts, state.skipped, workspace=workspace)
    if offered:
        return offered[0]
    return next_question(ruleset, state.facts, state.skipped, workspace=workspace)


def answer(ruleset: RuleSet, state: State, question_id: str, raw: str) -> State:
    """Record an answer typed or picked for ``question_id`` (``unknown`` or empty: skip it).

    :raises AnswerError: the answer does not fit the question (the message says what it accepts), or the
        question is not one of the rule set's.
    """
    question = ruleset.question_by_id.get(question_id)
    if question is None:
        raise AnswerError(f"unknown question {question_id!r}")
    parsed = parse_answer(question, raw) if raw.strip() != "?" else Help("")
    if isinstance(parsed, Help):
        raise AnswerError(f"'?' is not an answer to {question_id!r}")
    if parsed is None:
        return skip(state, question_id)
    facts = {k: v for k, v in state.facts.items() if k != question_id}
    facts[question_id] = parsed
    return replace(state, facts=MappingProxyType(facts), skipped=state.skipped - {question_id},
                   asked=_asked(state, question_id))


def skip(state: State, question_id: str) -> State:
    """Answer ``question_id`` unknown: it is not asked again (the caller checks that it is a question)."""
    facts = {k: v for k, v in state.facts.items() if k != question_id}
    return replace(state, facts=MappingProxyType(facts), skipped=state.skipped | {question_id},
                   asked=_asked(state, question_id))


def back(state: State) -> State:
    """Undo the last answer or skip, so that its question is asked again (no change at the start)."""
    if not state.asked:
        return state
    last = state.asked[-1]
    facts = {k: v for k, v in state.facts.items() if k != last}
    return replace(state, facts=MappingProxyType(facts), skipped=state.skipped - {last}, asked=state.asked[:-1])


def change(ruleset: RuleSet, state: State, question_id: str, raw: str) -> State:
    """Change one answer outside the interview's order (what-if): like :func:`answer`, but the question keeps
    its place in the order asked, so that *back* still undoes the interview's own last step.

    :raises AnswerError: as :func:`answer`.
    """
    changed = answer(ruleset, state, question_id, raw)
    return replace(changed, asked=state.asked if question_id in state.asked else changed.asked[:-1])


def version(state: State) -> str:
    """A short fingerprint of the answers, the skips and their order: a form shows it, and a step sent from
    a page that is no longer current (another tab moved on) is refused instead of applied to the wrong
    question."""
    facts = sorted((k, repr(v)) for k, v in state.facts.items())
    return hashlib.sha256(repr((facts, sorted(state.skipped), state.asked)).encode("utf-8")).hexdigest()[:16]


def retitle(state: State, title: str) -> State:
    """``state`` with a new title.

    :raises AnswerError: as :func:`start`.
    """
    return replace(state, title=_title(title))


def _title(title: str | None) -> str:
    """A typed title, whitespace collapsed and capped (the default when empty).

    :raises AnswerError: it holds a character no case file may hold (a control character), saying what to do.
    """
    return clean_title(title or "")[:MAX_TITLE] or DEFAULT_TITLE


MAX_TITLE = 200


def refit(ruleset: RuleSet, state: State) -> tuple[State, tuple[str, ...]]:
    """``state`` with only the answers that still fit ``ruleset`` (it may have changed since they were
    given): each answer is read back as the interview would read it. Also the ids taken out."""
    dropped = []
    for ident, value in state.facts.items():
        question = ruleset.question_by_id.get(ident)
        if question is None:
            fits = False
        elif question.type == "text":  # kept before control characters were refused: taken out
            fits = isinstance(value, str) and unfit_character(value) is None
        else:
            try:
                fits = parse_answer(question, answer_text(value)) == value
            except AnswerError:
                fits = False
        if not fits:
            dropped.append(ident)
    gone = [q for q in state.skipped if q not in ruleset.question_by_id]
    if not dropped and not gone:
        return state, ()
    facts = {k: v for k, v in state.facts.items() if k not in dropped}
    return replace(state, facts=MappingProxyType(facts), skipped=state.skipped - set(gone),
                   asked=tuple(q for q in state.asked if q not in dropped and q not in gone)), tuple(dropped)


def answer_text(value: Value) -> str:
    """A value as the answer the interview reads back to it."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, tuple):
        return ", ".join(value) if value else "none"
    return str(value)


def _asked(state: State, question_id: str) -> tuple[str, ...]:
    return (*(q for q in state.asked if q != question_id), question_id)


def live(ruleset: RuleSet, facts: Mapping[str, Value], *, workspace: workspace_.Workspace | None = None) -> Live:
    """The issues raised (most severe first, then rule-set order) and undetermined on ``facts``."""
    values = workspace_.prepared(ruleset, workspace).program.values(facts)
    rank = {s: n for n, s in enumerate(SEVERITIES)}
    raised = sorted((i for i in ruleset.issues if values[i.id] is True), key=lambda i: rank[i.severity])
    undetermined = tuple(i for i in ruleset.issues if status_of(values[i.id]) == "undetermined")
    return Live(raised=tuple(raised), undetermined=undetermined,
                not_raised=len(ruleset.issues) - len(raised) - len(undetermined))


def progress(ruleset: RuleSet, state: State, *, workspace: workspace_.Workspace | None = None) -> Progress:
    """Questions dealt with so far, and those that could still change a finding (text questions included)."""
    remaining = len(ranked_questions(ruleset, state.facts, state.skipped, workspace=workspace))
    remaining += len(text_questions(ruleset, state.facts, state.skipped, workspace=workspace))
    return Progress(done=len(state.facts) + len(state.skipped), remaining=remaining)


__all__ = ["AnswerError", "Live", "Progress", "State", "answer", "answer_text", "back", "change", "current", "live",
           "progress", "refit", "replace", "retitle", "skip", "start", "version"]
