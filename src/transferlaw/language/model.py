"""The data model: frozen dataclasses for rule sets, conditions, cases and evaluations (no behaviour)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from types import MappingProxyType
from typing import Any
from typing import Literal
from typing import TypeAlias

from .errors import Position

Tri: TypeAlias = bool | None
"""A three-valued truth value: True, False, or None for unknown."""

Value: TypeAlias = bool | int | float | str | tuple[str, ...]
"""A known answer: boolean, number, choice id, ISO date string, text, or a tuple of choice ids (multi)."""

QuestionType = Literal["boolean", "choice", "multi", "number", "date", "text"]
Severity = Literal["high", "medium", "low"]
Status = Literal["raised", "not_raised", "undetermined"]

SEVERITIES: tuple[Severity, ...] = ("high", "medium", "low")
STATUSES: tuple[Status, ...] = ("raised", "undetermined", "not_raised")
STATUS_LABELS: Mapping[str, str] = MappingProxyType(
    {"raised": "Raised", "undetermined": "Undetermined", "not_raised": "Not raised"}
)
AUTHORITY_KINDS: Mapping[str, str] = MappingProxyType(
    {
        "case": "Cases",
        "constitution": "Constitutional provisions",
        "statute": "Statutes",
        "treaty": "Treaties and international agreements",
        "regulation": "Regulations",
        "rule": "Rules of procedure",
        "executive": "Executive materials",
        "soft_law": "Soft law and standards",
        "report": "Reports",
    }
)


def _empty() -> Mapping[str, Any]:
    return {}


# --- the condition language's syntax tree -------------------------------------------------------

@dataclass(frozen=True, slots=True, kw_only=True)
class Node:
    """A node of a parsed condition; ``start``/``end`` are offsets into the condition's text."""

    start: int = field(default=0, compare=False)
    end: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class Const(Node):
    value: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class Ref(Node):
    """A bare name: a boolean question, or a conclusion."""

    name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Compare(Node):
    """``name op literal`` with op one of == != < <= > >=."""

    name: str
    op: str
    value: bool | int | float | str


@dataclass(frozen=True, slots=True, kw_only=True)
class In(Node):
    """``name in [..]`` (or ``not in`` when ``negated``)."""

    name: str
    values: tuple[bool | int | float | str, ...]
    negated: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Contains(Node):
    """``name contains "choice"`` on a multi question."""

    name: str
    value: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Known(Node):
    """``known(name)``: the question was answered."""

    name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Not(Node):
    operand: Expr


@dataclass(frozen=True, slots=True, kw_only=True)
class And(Node):
    operands: tuple[Expr, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Or(Node):
    operands: tuple[Expr, ...]


Expr: TypeAlias = Const | Ref | Compare | In | Contains | Known | Not | And | Or


@dataclass(frozen=True, slots=True, kw_only=True)
class Condition:
    """A parsed condition and where it came from."""

    text: str
    expr: Expr
    pos: Position = field(compare=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class Text:
    """A Jinja template string authored in a rule set, with its position."""

    source: str
    pos: Position = field(compare=False)
    block: bool = field(default=False, compare=False)
    """True for a literal block scalar (``|``), whose template lines are the file's lines."""


# --- rule sets ----------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True, kw_only=True)
class Question:
    id: str
    prompt: str
    type: QuestionType
    help: str | None = None
    choices: tuple[tuple[str, str], ...] = ()
    unit: str | None = None
    min: float | None = None
    max: float | None = None
    ask_if: Condition | None = None
    phrases: tuple[tuple[str, str], ...] = ()
    """How each answer reads in a sentence (:mod:`transferlaw.language.phrasing`): (answer key, clause)."""
    fixed: bool = False
    """The answer records who the person is or where the case stands (age, how citizenship was acquired): a
    memo's few "what would change" sentences never propose another answer (the full matrix still lists them)."""
    disputed_by: str | None = None
    """A boolean question that, answered yes, marks this answer as a claim in dispute: a memo's "Why" then
    reports it as the person's disputed claim, never as a fact."""
    pos: Position = field(compare=False)

    @property
    def choice_values(self) -> tuple[str, ...]:
        return tuple(value for value, _ in self.choices)

    def phrase_for(self, key: str) -> str | None:
        """The clause for answer ``key`` (``true``, a choice, ``none``, ``answer``, ``unknown``), if given."""
        for found, text in self.phrases:
            if found == key:
                return text
        return None


@dataclass(frozen=True, slots=True, kw_only=True)
class Conclusion:
    id: str
    title: str
    when: Condition
    description: str | None = None
    pos: Position = field(compare=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class Issue:
    id: str
    title: str
    area: str
    severity: Severity
    when: Condition
    rule: Text
    application: Text
    counterargument: Text
    conclusion: Text
    next_steps: tuple[Text, ...] = ()
    authorities: tuple[str, ...] = ()
    cited_when: tuple[tuple[str, Condition], ...] = ()
    """The authorities cited only where a condition holds (``{id: …, when: …}``): a memo lists one where its
    condition is true (or, in an undetermined issue, not known), so a State-only statute is not cited for a
    federal prisoner."""
    pos: Position = field(compare=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class Authority:
    id: str
    citation: str
    kind: str
    proposition: str
    verified: bool
    short: str | None = None
    court: str | None = None
    year: int | None = None
    url: str | None = None
    pos: Position = field(compare=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class MemoMeta:
    """The memo's heading fields a case (or the command line) may set; None means the default."""

    to: str | None = None
    sender: str | None = None
    re: str | None = None
    privileged: str | None = None
    """A privilege legend for the memo's header, e.g. "PRIVILEGED & CONFIDENTIAL"; None for none."""
    person: str | None = None
    """What the memo calls the person, e.g. "Mr. Whitaker", in place of "the person"; None keeps "the person"."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Case:
    """A case file validated against its rule set; ``facts`` holds only known answers."""

    ruleset: str
    title: str
    facts: Mapping[str, Value] = field(default_factory=_empty)
    as_of: dt.date | None = None
    notes: str | None = None
    memo: MemoMeta = field(default_factory=MemoMeta)
    source: str = "-"
    pos: Position = field(default=Position("-"), compare=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleTest:
    """A rule-set test: a case and the statuses it must produce."""

    name: str
    case: Case
    issues: Mapping[str, Status] = field(default_factory=_empty)
    conclusions: Mapping[str, Tri] = field(default_factory=_empty)
    missing: Mapping[str, tuple[str, ...]] = field(default_factory=_empty)
    cites: Mapping[str, tuple[str, ...]] = field(default_factory=_empty)
    """Issue id → authorities its finding must list (a conditional citation whose condition holds)."""
    omits: Mapping[str, tuple[str, ...]] = field(default_factory=_empty)
    """Issue id → authorities its finding must not list (a conditional citation that does not fit the person)."""
    pos: Position = field(compare=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleSet:
    id: str
    title: str
    version: str
    as_of: dt.date
    jurisdiction: str
    description: str
    areas: tuple[tuple[str, str], ...]
    questions: tuple[Question, ...]
    conclusions: tuple[Conclusion, ...]
    """In dependency order: every conclusion comes after those it uses."""
    issues: tuple[Issue, ...]
    authorities: tuple[Authority, ...]
    question_presented: Text | None = None
    disclaimer: str | None = None
    path: str = ""
    pos: Position = field(default=Position(""), compare=False)
    question_by_id: Mapping[str, Question] = field(init=False, compare=False, repr=False)
    conclusion_by_id: Mapping[str, Conclusion] = field(init=False, compare=False, repr=False)
    issue_by_id: Mapping[str, Issue] = field(init=False, compare=False, repr=False)
    authority_by_id: Mapping[str, Authority] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "question_by_id", {q.id: q for q in self.questions})
        object.__setattr__(self, "conclusion_by_id", {c.id: c for c in self.conclusions})
        object.__setattr__(self, "issue_by_id", {i.id: i for i in self.issues})
        object.__setattr__(self, "authority_by_id", {a.id: a for a in self.authorities})

    @property
    def area_titles(self) -> Mapping[str, str]:
        return dict(self.areas)


# --- evaluations --------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True, kw_only=True)
class Explanation:
    """One node of a reasoning tree, as data: a sub-condition (``expr``, its source ``text``), its value, the
    question it reads and the answer it read (``fact``, ``answer``) or the conclusion it uses, and the nodes
    beneath it. The words for it are made in the memo layer (:func:`transferlaw.memo.display.summary`)."""

    kind: str
    text: str
    value: Tri
    fact: str | None = None
    answer: Value | None = None
    conclusion: str | None = None
    children: tuple[Explanation, ...] = ()
    expr: Expr | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Reason:
    """A fact or conclusion that decides a finding (the leaves of a minimal explanation)."""

    kind: Literal["fact", "conclusion"]
    id: str
    value: Tri | Value
    known: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    issue: Issue
    status: Status
    explanation: Explanation
    reasons: tuple[Reason, ...]
    missing: tuple[str, ...] = ()
    authorities: tuple[str, ...] = ()
    """The issue's authorities that apply to this case (:meth:`transferlaw.engine.kleene.Program.cited`)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ConclusionResult:
    conclusion: Conclusion
    value: Tri
    explanation: Explanation
    reasons: tuple[Reason, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class OpenQuestion:
    question: Question
    decides: tuple[str, ...]
    """Ids of the undetermined issues that some answer to this question would decide."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Evaluation:
    """Everything the engine found for one case."""

    ruleset: RuleSet
    case: Case
    findings: tuple[Finding, ...]
    conclusions: tuple[ConclusionResult, ...]
    open_questions: tuple[OpenQuestion, ...]
    not_applicable: frozenset[str]
    engine: str
