"""Bit-parallel Kleene evaluation: every conclusion and issue under every one-fact change at once.

A *trial* keeps a case's facts but gives one question another answer: each value of its domain
(:func:`transferlaw.engine.analysis.domain`), or unknown. Each rule set numbers its trials once, one bit each, so a
condition's values under all the trials of a case are two integers: the bits of the trials where it is true
and of those where it is false (neither: unknown). And, or and not become bitwise operations, and one pass
over the conditions answers what open questions and fact sensitivity would otherwise learn by evaluating
the rule set again for every trial.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Mapping
from dataclasses import dataclass

from ..language.model import And
from ..language.model import Compare
from ..language.model import Const
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
from ..language.visitor import Test
from ..language.visitor import Visitor
from ..language.visitor import Walker
from . import kleene
from . import logic

Masks = tuple[int, int]
"""(trials where true, trials where false)."""
_Compiled = Callable[[Mapping[str, Value], Mapping[str, Masks]], Masks]


class _Literals(Walker[object]):
    """The literals a condition compares one question with."""

    def __init__(self, name: str) -> None:
        self.name = name

    def visit_compare(self, expr: Compare) -> Iterator[object]:
        if expr.name == self.name:
            yield expr.value

    def visit_in(self, expr: In) -> Iterator[object]:
        if expr.name == self.name:
            yield from expr.values


def _conditions(ruleset: RuleSet) -> Iterator[Expr]:
    for c in ruleset.conclusions:
        yield c.when.expr
    for i in ruleset.issues:
        yield i.when.expr
    for q in ruleset.questions:
        if q.ask_if is not None:
            yield q.ask_if.expr


def domain(question: Question, ruleset: RuleSet) -> list[Value]:
    """Answers worth trying for ``question``: enough to reach every outcome the conditions distinguish."""
    kind = question.type
    if kind == "boolean":
        return [True, False]
    if kind == "choice":
        return list(question.choice_values)
    if kind == "multi":
        values = question.choice_values
        return [(), *((v,) for v in values), tuple(values)]
    if kind == "text":
        return []
    numbers: set[float] = set()
    thresholds: set[float] = set()
    days: set[str] = set()
    for expr in _conditions(ruleset):
        for literal in _Literals(question.id).visit(expr):
            if kind == "number" and isinstance(literal, (int, float)) and not isinstance(literal, bool):
                numbers.update((literal - 1, literal, literal + 1))
                thresholds.add(literal)
            elif kind == "date" and isinstance(literal, str):
                day = dt.date.fromisoformat(literal)
                for step in (-1, 0, 1):
                    try:
                        days.add(str(day + dt.timedelta(days=step)))
                    except OverflowError:  # a threshold on the first or last day there is
                        pass
    ordered = sorted(thresholds)
    numbers.update((a + b) / 2 for a, b in zip(ordered, ordered[1:], strict=False) if b - a < 1)  # a window ±1 misses
    if kind == "number":
        low = question.min if question.min is not None else float("-inf")
        high = question.max if question.max is not None else float("inf")
        if question.min is not None:
            numbers.add(question.min)
        if question.max is not None:
            numbers.add(question.max)
        return [int(p) if float(p).is_integer() else p for p in sorted(numbers) if low <= p <= high]
    return sorted(days)


@dataclass(frozen=True, slots=True)
class Layout:
    """A rule set's trials: bit ``n`` is ``trials[n]``, a question and the answer it is given (None:
    unknown). A question's trials are contiguous, its domain in order and then unknown."""

    trials: tuple[tuple[str, Value | None], ...]
    own: Mapping[str, tuple[tuple[int, Value | None], ...]]
    """question id -> its trials as (bit, answer), in order (the last is unknown)."""
    span: Mapping[str, int]
    """question id -> the mask of all its trials."""
    everything: int


def _layout(ruleset: RuleSet) -> Layout:
    trials: list[tuple[str, Value | None]] = []
    own: dict[str, tuple[tuple[int, Value | None], ...]] = {}
    span: dict[str, int] = {}
    for question in ruleset.questions:
        answers: list[Value | None] = [*domain(question, ruleset), None] if question.type != "text" else []
        own[question.id] = tuple((1 << (len(trials) + n), answer) for n, answer in enumerate(answers))
        trials.extend((question.id, answer) for answer in answers)
        span[question.id] = sum(bit for bit, _ in own[question.id])
    return Layout(trials=tuple(trials), own=own, span=span, everything=(1 << len(trials)) - 1)


class _Compiler(Visitor[_Compiled]):
    """A condition into closures over masks: the Kleene connectives of :mod:`transferlaw.engine.logic` on
    (true, false) pairs of bit masks, meet ``&`` and join ``|``."""

    def __init__(self, layout: Layout, conclusions: frozenset[str]) -> None:
        self.layout, self.conclusions = layout, conclusions

    def visit_const(self, expr: Const) -> _Compiled:
        constant: Masks = logic.pair_of(expr.value, self.layout.everything, 0)
        return lambda facts, masks: constant

    def visit_known(self, expr: Known) -> _Compiled:
        return self.atom(expr)

    def visit_test(self, expr: Test) -> _Compiled:
        return self.atom(expr)

    def visit_ref(self, expr: Ref) -> _Compiled:
        if expr.name not in self.conclusions:
            return self.atom(expr)
        name = expr.name
        return lambda facts, masks: masks.get(name, (0, 0))

    def visit_not(self, expr: Not) -> _Compiled:
        inner = self.visit(expr.operand)
        return lambda facts, masks: logic.pair_not(inner(facts, masks))

    def visit_junction(self, expr: And | Or, conjunction: bool) -> _Compiled:
        """:func:`logic.pair_and` / :func:`logic.pair_or` with meet ``&`` and join ``|``, written out over the
        parts: one loop instead of three lists per node halves the cost of a case's trials."""
        parts = tuple(self.visit(op) for op in expr.operands)
        everything = self.layout.everything

        def combine(facts: Mapping[str, Value], masks: Mapping[str, Masks]) -> Masks:
            all_of, any_of = everything, 0  # and: true where all are true, false where any is false
            for part in parts:
                true, false = part(facts, masks)
                if conjunction:
                    all_of &= true
                    any_of |= false
                else:
                    all_of &= false
                    any_of |= true
            return (all_of, any_of) if conjunction else (any_of, all_of)

        return combine

    def atom(self, expr: Test | Known) -> _Compiled:
        """A test of one fact: its own trials' values are fixed by the rule set; every other trial has the
        case's value, so a case costs one evaluation of the test."""
        layout = self.layout
        test = kleene.compile_expr(expr, self.conclusions)
        name = expr.name
        own_true = own_false = 0
        for bit, answer in layout.own.get(name, ()):
            value = test({} if answer is None else {name: answer}, {})
            if value is True:
                own_true |= bit
            elif value is False:
                own_false |= bit
        others = layout.everything & ~layout.span.get(name, 0)

        def atom(facts: Mapping[str, Value], masks: Mapping[str, Masks]) -> Masks:
            value = test(facts, {})
            if value is True:
                return others | own_true, own_false
            if value is False:
                return own_true, others | own_false
            return own_true, own_false

        return atom


@dataclass(frozen=True, slots=True)
class Outcomes:
    """Every conclusion and issue of one case under every trial."""

    layout: Layout
    masks: Mapping[str, Masks]

    def value(self, ident: str, bit: int) -> Tri:
        true, false = self.masks[ident]
        return True if true & bit else False if false & bit else None

    def differs(self, ident: str, base: Tri) -> int:
        """The trials where ``ident`` does not have the value ``base``."""
        true, false = self.masks[ident]
        if base is None:
            return true | false
        return self.layout.everything & ~(true if base else false)


@dataclass(frozen=True, slots=True)
class Program:
    """A rule set's trials layout and its conditions compiled over it; its owner keeps it
    (:attr:`transferlaw.engine.workspace.Prepared.trials`)."""

    ruleset: RuleSet
    layout: Layout
    steps: tuple[tuple[str, _Compiled], ...]

    def outcomes(self, facts: Mapping[str, Value]) -> Outcomes:
        masks: dict[str, Masks] = {}
        for ident, step in self.steps:
            masks[ident] = step(facts, masks)
        return Outcomes(layout=self.layout, masks=masks)


def build(ruleset: RuleSet) -> Program:
    """The rule set's trials (numbered once) and its conditions compiled over them."""
    layout = _layout(ruleset)
    compiler = _Compiler(layout, frozenset(c.id for c in ruleset.conclusions))
    steps = tuple((c.id, compiler.visit(c.when.expr)) for c in ruleset.conclusions) + tuple(
        (i.id, compiler.visit(i.when.expr)) for i in ruleset.issues)
    return Program(ruleset=ruleset, layout=layout, steps=steps)
