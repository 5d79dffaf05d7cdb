"""Build a case file by interview: ask, one at a time, the open question that could decide the most findings.

The pure parts are :func:`next_question` (which question to ask), :func:`case_yaml` (the case file so far)
and, in :mod:`transferlaw.tools.typed_answers`, :func:`~transferlaw.tools.typed_answers.parse_answer` (what a typed
answer means); :func:`run` is the loop, with its terminal I/O injected as ``ask``/``say``/``save`` callables
so that it runs the same under a CLI, a test or a web form.

A question is asked only if some single answer to it would decide an issue that is still undetermined;
the interview ends when no remaining question can. Text questions (a name, a summary) never change a
finding, so :func:`next_question` never returns them; :func:`run` offers each of them once, at the start.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from ..engine import analysis
from ..engine import workspace as workspace_
from ..engine.evaluate import status_of
from ..language.model import SEVERITIES
from ..language.model import Case
from ..language.model import OpenQuestion
from ..language.model import Question
from ..language.model import RuleSet
from ..language.model import Value
from ..language.validate_case import UNKNOWN
from ..language.validate_case import load_case_file
from ..language.validate_case import read_case_doc
from ..language.words import counted
from ..language.yamlio import YMap
from .typed_answers import DATE
from .typed_answers import AnswerError
from .typed_answers import Help
from .typed_answers import choice_lines
from .typed_answers import clean_title
from .typed_answers import parse_answer
from .typed_answers import prompt_hint
from .typed_answers import refuse_unfit

QUIT_WORDS = frozenset({"quit", "q"})
DEFAULT_TITLE = "Untitled case"

_PLAIN = re.compile(r"[a-z][a-z0-9_.-]*\Z")
_YAML_WORDS = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false", "null", "unknown"})


@dataclass(frozen=True, slots=True, kw_only=True)
class InterviewResult:
    """Where an interview stopped: the answers, the questions skipped, the order asked, and whether it ended."""

    title: str
    facts: Mapping[str, Value]
    skipped: frozenset[str]
    asked: tuple[str, ...]
    """Question ids in the order they were asked in this run (text questions included)."""
    finished: bool
    """True when no remaining question could decide anything; False after ``quit`` (or end of input)."""


# --- which question -----------------------------------------------------------------------------

def ranked_questions(ruleset: RuleSet, facts: Mapping[str, Value],
                     skipped: frozenset[str] = frozenset(), *,
                     workspace: workspace_.Workspace | None = None) -> tuple[OpenQuestion, ...]:
    """Every question worth asking now, most decisive first (ties: most severe issue, then rule-set order).

    A question qualifies if it is unanswered, not skipped, not text, applicable (its ``ask_if`` is not
    false), and some single answer to it changes an issue's status: decides one that is undetermined now,
    or raises one that a ``known(x)`` test keeps from arising until ``x`` is answered.
    """
    program = workspace_.prepared(ruleset, workspace).program
    values = program.values(facts)
    excluded = program.not_applicable(facts, values) | skipped
    return analysis.open_questions(ruleset, analysis.deciders(ruleset, facts, values, excluded,
                                                              workspace=workspace, changes=True))


def next_question(ruleset: RuleSet, facts: Mapping[str, Value],
                  skipped: frozenset[str] = frozenset(), *,
                  workspace: workspace_.Workspace | None = None) -> Question | None:
    """The question to ask next, or None when no remaining answer could change any finding.

    The question whose answers could decide the most undetermined issues; ties go to the one deciding
    the most severe issue, then to rule-set order (:func:`ranked_questions`).

    :param facts: the known answers so far.
    :param skipped: questions already asked and answered ``unknown``; they are not asked again.
    :returns: the question whose answer could decide the most undetermined issues.
    """
    ranked = ranked_questions(ruleset, facts, skipped, workspace=workspace)
    return ranked[0].question if ranked else None


def text_questions(ruleset: RuleSet, facts: Mapping[str, Value],
                   skipped: frozenset[str] = frozenset(), *,
                   workspace: workspace_.Workspace | None = None) -> tuple[Question, ...]:
    """The text questions still to offer: unanswered, not skipped, and not ruled out by ``ask_if``."""
    program = workspace_.prepared(ruleset, workspace).program
    ruled_out = program.not_applicable(facts, program.values(facts))
    return tuple(q for q in ruleset.questions if q.type == "text" and q.id not in facts
                 and q.id not in skipped and q.id not in ruled_out)



# --- the case file ------------------------------------------------------------------------------

def case_yaml(ruleset: RuleSet, title: str, facts: Mapping[str, Value], as_of: dt.date | None = None, *,
              skipped: Iterable[str] = (), notes: str | None = None) -> str:
    """The case file for these answers: deterministic, in rule-set question order.

    Questions in ``skipped`` (asked, answered unknown) are written ``unknown`` so that a resumed interview
    does not ask them again. The text loads back through the case validator to the same facts.

    :raises AnswerError: a fact names a question the rule set does not have.
    """
    stray = sorted(set(facts) - set(ruleset.question_by_id))
    if stray:
        raise AnswerError(f"unknown question {stray[0]!r} for rule set {ruleset.id!r}")
    skip = set(skipped)
    lines = [
        "# Written by `transferlaw interview`; an answer of `unknown` was asked and skipped.",
        f"ruleset: {_word(ruleset.id)}",
        f"title: {_quoted(' '.join(title.split()) or DEFAULT_TITLE)}",
    ]
    if as_of is not None:
        lines.append(f"as_of: {as_of.isoformat()}")
    entries = [(q, facts.get(q.id)) for q in ruleset.questions if q.id in facts or q.id in skip]
    lines.append("facts:" if entries else "facts: {}")
    for question, value in entries:
        shown = UNKNOWN if value is None else _yaml_value(question, value)
        lines.append(f"  {question.id}: {shown}")
    if notes and notes.strip():
        lines.append(f"notes: {_text_block(notes.strip(), 0)}")
    return "\n".join(lines) + "\n"


def _yaml_value(question: Question, value: Value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        shown = repr(value)
        if isinstance(value, float) and ("e" in shown or "." not in shown):
            shown = f"{value:.6f}".rstrip("0").rstrip(".")  # YAML 1.1 floats need a dot and no exponent
        return shown
    if isinstance(value, tuple):
        return "[" + ", ".join(_word(v) for v in value) + "]"
    if question.type == "date" and DATE.fullmatch(value):
        return value  # the loader keeps dates as text
    if question.type == "choice":
        return _word(value)
    return _text_block(value, 2)


def _word(value: str) -> str:
    """An id: plain when YAML reads it back as that same string, else quoted."""
    return value if _PLAIN.fullmatch(value) and value not in _YAML_WORDS else _quoted(value)


def _text_block(text: str, indent: int) -> str:
    """Free text: a double-quoted scalar, or a literal block for several lines of printable text.

    ``indent`` is the indentation of the key the text is the value of.
    """
    if "\n" in text and all(ch == "\n" or ch.isprintable() for ch in text):
        pad = " " * (indent + 2)
        return "|2-\n" + "\n".join(f"{pad}{line}" if line else "" for line in text.split("\n"))
    return _quoted(text)


def _quoted(text: str) -> str:
    """A YAML double-quoted scalar; anything unprintable is escaped."""
    out = ['"']
    for ch in text:
        if ch in ('"', "\\"):
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch.isprintable():
            out.append(ch)
        else:
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000
                       else f"\\U{code:08x}")
    out.append('"')
    return "".join(out)


@dataclass(frozen=True, slots=True, kw_only=True)
class Resumed:
    """A saved interview: its title, answers, skipped questions, and the case's ``as_of`` and notes."""

    title: str
    facts: Mapping[str, Value]
    skipped: frozenset[str]
    as_of: dt.date | None = None
    notes: str | None = None


def load_saved(ruleset: RuleSet, path: Path | str) -> Resumed:
    """Load a case file to continue its interview; every ``unknown`` answer counts as asked and skipped.

    :raises SourceError | ValidationFailed: the file is not a valid case file for ``ruleset``.
    """
    return saved(load_case_file(Path(path), ruleset), read_case_doc(Path(path)).root)


def saved(case: Case, root: object) -> Resumed:
    """A loaded case as a saved interview; ``root`` is its YAML document, whose ``unknown`` answers count as
    asked and skipped."""
    facts_node = root.get("facts") if isinstance(root, YMap) else None
    skipped = frozenset(key for key, value in facts_node.items() if value is None or value == UNKNOWN) \
        if isinstance(facts_node, YMap) else frozenset()
    return Resumed(title=case.title, facts=dict(case.facts), skipped=skipped - set(case.facts),
                   as_of=case.as_of, notes=case.notes)


def resume(ruleset: RuleSet, path: Path | str) -> tuple[str, dict[str, Value], frozenset[str]]:
    """The title, answers and skipped questions of a saved case file (see :func:`load_saved`)."""
    saved = load_saved(ruleset, path)
    return saved.title, dict(saved.facts), saved.skipped


# --- the loop -----------------------------------------------------------------------------------

def summary(ruleset: RuleSet, facts: Mapping[str, Value], *, workspace: workspace_.Workspace | None = None) -> str:
    """A brief answer: how many issues are raised, undetermined and not raised, and which are raised."""
    values = workspace_.prepared(ruleset, workspace).program.values(facts)
    rank = {s: n for n, s in enumerate(SEVERITIES)}
    counts = {"raised": 0, "undetermined": 0, "not_raised": 0}
    for issue in ruleset.issues:
        counts[status_of(values[issue.id])] += 1
    lines = [f"{counts['raised']} raised, {counts['undetermined']} undetermined, "
             f"{counts['not_raised']} not raised (of {counted(len(ruleset.issues), 'issues')})."]
    raised = sorted((i for i in ruleset.issues if values[i.id] is True), key=lambda i: rank[i.severity])
    lines.extend(f"  - {issue.title} ({issue.severity})" for issue in raised)
    return "\n".join(lines)


class _Session:
    """The mutable state of one run of the loop."""

    def __init__(self, ruleset: RuleSet, ask: Callable[[str], str], say: Callable[[str], None],
                 save: Callable[[str], None], facts: Mapping[str, Value], skipped: Iterable[str],
                 title: str | None, as_of: dt.date | None, notes: str | None) -> None:
        self.ruleset = ruleset
        self.ask, self.say, self.save_text = ask, say, save
        self.facts: dict[str, Value] = dict(facts)
        self.skipped: set[str] = set(skipped) - set(self.facts)
        self.asked: list[str] = []
        self.title = title
        self.as_of, self.notes = as_of, notes

    def save(self) -> None:
        self.save_text(case_yaml(self.ruleset, self.title or DEFAULT_TITLE, self.facts, self.as_of,
                                 skipped=self.skipped, notes=self.notes))

    def read(self, hint: str) -> str | None:
        """One line from ``ask``; None for ``quit`` (or the end of input). A line the terminal could not decode
        is refused, and asked again."""
        while True:
            try:
                raw = self.ask(hint)
            except EOFError:
                return None
            except UnicodeDecodeError:
                self.say("    that line was not UTF-8 text; type it again (check that the terminal's encoding is "
                         "UTF-8)")
                continue
            return None if raw.strip().lower() in QUIT_WORDS else raw

    def ask_title(self) -> bool:
        """Ask for the case title until it is one a case file can hold; False if the user quits."""
        while True:
            raw = self.read("Case title (a name or short description)> ")
            if raw is None:
                self.title = self.title or DEFAULT_TITLE
                return False
            try:
                self.title = clean_title(raw) or DEFAULT_TITLE
            except AnswerError as exc:
                self.say(f"    {exc}")
                continue
            self.save()
            return True

    def ask_question(self, question: Question) -> bool:
        """Ask one question until it gets an answer (or unknown) and save; False if the user quits."""
        number = len(self.facts) + len(self.skipped) + 1
        unit = f" ({question.unit})" if question.unit else ""
        self.say(f"[{number}] {question.prompt}{unit}")
        for line in choice_lines(question):
            self.say(line)
        while True:
            raw = self.read(prompt_hint(question))
            if raw is None:
                return False
            try:
                answer = parse_answer(question, raw)
            except AnswerError as exc:
                self.say(f"    {exc}")
                continue
            if isinstance(answer, Help):
                self.say(answer.text)
                continue
            break
        self.asked.append(question.id)
        if answer is None:
            self.skipped.add(question.id)
        else:
            self.facts[question.id] = answer
        self.save()
        return True

    def result(self, finished: bool) -> InterviewResult:
        return InterviewResult(title=self.title or DEFAULT_TITLE, facts=MappingProxyType(dict(self.facts)),
                               skipped=frozenset(self.skipped), asked=tuple(self.asked), finished=finished)


def run(ruleset: RuleSet, *, ask: Callable[[str], str], say: Callable[[str], None],
        save: Callable[[str], None], facts: Mapping[str, Value] | None = None,
        skipped: Iterable[str] | None = None, title: str | None = None, as_of: dt.date | None = None,
        notes: str | None = None, ask_text: bool = True) -> InterviewResult:
    """Interview a user until no remaining question could change a finding, or until they quit.

    Asks for a title first unless given; then offers each text question once (unless ``ask_text`` is
    false); then asks :func:`next_question` after :func:`next_question`. ``?`` shows help, a bad answer
    says why, and both ask again. After every answer the whole case file goes to ``save`` (so an
    interrupted interview loses nothing). ``quit``/``q``, or end of input (``EOFError`` from ``ask``),
    saves and stops. At the end ``say`` gets the counts of raised, undetermined and not-raised issues.

    :param facts: answers to start from (e.g. from :func:`resume`); they are never asked again.
    :param skipped: questions already answered unknown; never asked again.
    :returns: the answers, the skipped questions, the ids asked in this run, and whether it finished.
    """
    if title is not None:
        refuse_unfit(title, "--title", typed=False)
    session = _Session(ruleset, ask, say, save, facts or {}, skipped or (), title, as_of, notes)
    say(f"Interview: {ruleset.title}. Press Enter or answer 'unknown' if you don't know, '?' for help, "
        "'quit' to stop; your answers are saved after each one.")
    saved_before = False
    if title is None:
        if not session.ask_title():
            session.save()
            return _stop(session)
        saved_before = True
    if ask_text:
        for text_question in text_questions(ruleset, session.facts, frozenset(session.skipped)):
            if not session.ask_question(text_question):
                session.save()
                return _stop(session)
    while True:
        question = next_question(ruleset, session.facts, frozenset(session.skipped))
        if question is None:
            break
        if not session.ask_question(question):
            session.save()
            return _stop(session)
    if not session.asked and not saved_before:
        session.save()  # nothing was asked: still write the case file
    say("Done: no remaining question could change a finding.")
    say(summary(ruleset, session.facts))
    return session.result(finished=True)


def _stop(session: _Session) -> InterviewResult:
    remaining = len(ranked_questions(session.ruleset, session.facts, frozenset(session.skipped)))
    session.say(f"Stopped and saved; {remaining} question(s) could still change a finding.")
    session.say(summary(session.ruleset, session.facts))
    return session.result(finished=False)
