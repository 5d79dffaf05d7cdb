"""The pure-Python Kleene evaluator: three-valued values of every conclusion and issue, and why.

It has three jobs (design.md): it computes explanation trees, it is the engine where durable_rules cannot be
imported, and it cross-checks durable_rules on every evaluation. Conditions are compiled once per rule set
into closures, so that evaluating a case is a pass over the conclusions and issues in dependency order.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from typing import Protocol

from .display import compare_text
from .display import fact_display
from .model import And
from .model import Compare
from .model import Const
from .model import Contains
from .model import Explanation
from .model import Expr
from .model import In
from .model import Known
from .model import Not
from .model import Or
from .model import Reason
from .model import Ref
from .model import RuleSet
from .model import Status
from .model import Tri
from .model import Value

Facts = Mapping[str, Value]
Values = Mapping[str, Tri]
Compiled = Callable[[Facts, Values], Tri]

_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
    ">": operator.gt, ">=": operator.ge,
}


def compile_expr(expr: Expr, conclusions: frozenset[str]) -> Compiled:
    """Compile a condition into a closure ``f(facts, conclusion_values) -> True | False | None``."""
    if isinstance(expr, Const):
        constant = expr.value
        return lambda facts, values: constant
    if isinstance(expr, Ref):
        name = expr.name
        if name in conclusions:
            return lambda facts, values: values.get(name)
        return lambda facts, values: facts.get(name)  # type: ignore[return-value]
    if isinstance(expr, Known):
        name = expr.name
        return lambda facts, values: name in facts
    if isinstance(expr, Compare):
        name, literal, test = expr.name, expr.value, _ORDER[expr.op]

        def compare(facts: Facts, values: Values) -> Tri:
            value = facts.get(name)
            return None if value is None else test(value, literal)

        return compare
    if isinstance(expr, In):
        name, members, negated = expr.name, frozenset(expr.values), expr.negated

        def member(facts: Facts, values: Values) -> Tri:
            value = facts.get(name)
            return None if value is None else (value in members) != negated

        return member
    if isinstance(expr, Contains):
        name, wanted = expr.name, expr.value

        def contains(facts: Facts, values: Values) -> Tri:
            value = facts.get(name)
            return None if value is None else wanted in value  # type: ignore[operator]

        return contains
    if isinstance(expr, Not):
        inner = compile_expr(expr.operand, conclusions)

        def negate(facts: Facts, values: Values) -> Tri:
            value = inner(facts, values)
            return None if value is None else not value

        return negate
    parts = tuple(compile_expr(op, conclusions) for op in expr.operands)
    if isinstance(expr, And):
        def conjunction(facts: Facts, values: Values) -> Tri:
            result: Tri = True
            for part in parts:
                value = part(facts, values)
                if value is False:
                    return False
                if value is None:
                    result = None
            return result

        return conjunction

    def disjunction(facts: Facts, values: Values) -> Tri:
        result: Tri = False
        for part in parts:
            value = part(facts, values)
            if value is True:
                return True
            if value is None:
                result = None
        return result

    return disjunction


@dataclass(frozen=True, slots=True)
class Program:
    """A rule set's conditions compiled for fast evaluation."""

    ruleset: RuleSet
    conclusions: tuple[tuple[str, Compiled], ...]
    issues: tuple[tuple[str, Compiled], ...]
    ask_if: tuple[tuple[str, Compiled], ...]
    affected: Mapping[str, tuple[tuple[str, Compiled], ...]]
    """question id -> the conclusions and issues that depend on it, directly or through conclusions, in
    evaluation order: all that can change when only that question's answer changes."""
    reads: Mapping[str, tuple[str, ...]]
    """conclusion or issue id -> the questions its value depends on (the inverse of ``affected``)."""
    trees: dict[str, dict[tuple[object, ...], Explanation]]
    """Explanation trees kept across cases, per conclusion or issue (:class:`Trees`)."""

    def values(self, facts: Facts) -> dict[str, Tri]:
        """Values of every conclusion and issue (conclusions first, in dependency order)."""
        values: dict[str, Tri] = {}
        for ident, test in self.conclusions:
            values[ident] = test(facts, values)
        for ident, test in self.issues:
            values[ident] = test(facts, values)
        return values

    def values_changing(self, facts: Facts, base: Mapping[str, Tri], question: str) -> dict[str, Tri]:
        """Values for ``facts`` that differ from the facts of ``base`` only in ``question``: only the
        conclusions and issues that depend on it are evaluated again."""
        values = dict(base)
        for ident, test in self.affected.get(question, ()):
            values[ident] = test(facts, values)
        return values

    def not_applicable(self, facts: Facts, values: Values) -> frozenset[str]:
        """Questions whose ``ask_if`` is false for these facts."""
        return frozenset(ident for ident, test in self.ask_if if test(facts, values) is False)


def _affected(ruleset: RuleSet, ordered: tuple[tuple[str, Compiled], ...],
              ) -> dict[str, tuple[tuple[str, Compiled], ...]]:
    from .conditions import names

    conditions = {c.id: c.when.expr for c in ruleset.conclusions} | {i.id: i.when.expr for i in ruleset.issues}
    depends: dict[str, set[str]] = {}
    for ident, _ in ordered:  # conclusions come before anything that uses them
        found: set[str] = set()
        for name in names(conditions[ident]):
            found |= depends.get(name, {name})
        depends[ident] = found
    return {q.id: tuple((ident, test) for ident, test in ordered if q.id in depends[ident])
            for q in ruleset.questions}


_PROGRAMS: dict[int, Program] = {}


def program(ruleset: RuleSet) -> Program:
    """The compiled program of a rule set (cached for the rule set's lifetime)."""
    cached = _PROGRAMS.get(id(ruleset))
    if cached is not None and cached.ruleset is ruleset:
        return cached
    names = frozenset(c.id for c in ruleset.conclusions)
    conclusions = tuple((c.id, compile_expr(c.when.expr, names)) for c in ruleset.conclusions)
    issues = tuple((i.id, compile_expr(i.when.expr, names)) for i in ruleset.issues)
    affected = _affected(ruleset, conclusions + issues)
    reads: dict[str, list[str]] = {ident: [] for ident, _ in conclusions + issues}
    for question, idents in affected.items():
        for ident, _ in idents:
            reads[ident].append(question)
    prog = Program(
        ruleset=ruleset, conclusions=conclusions, issues=issues,
        ask_if=tuple((q.id, compile_expr(q.ask_if.expr, names)) for q in ruleset.questions
                     if q.ask_if is not None),
        affected=affected, reads={ident: tuple(found) for ident, found in reads.items()}, trees={},
    )
    if len(_PROGRAMS) > 64:
        _PROGRAMS.clear()
    _PROGRAMS[id(ruleset)] = prog
    return prog


# --- explanations -------------------------------------------------------------------------------

_ABSENT = object()  # a question left out of the facts (known() false), unlike one given as None


class Trees:
    """The explanation trees of one case, kept across cases: a tree depends only on the facts its condition
    reads (through conclusions), so every case that agrees on those facts shares it. Pass it as the
    ``memo`` of :func:`explain`. Each condition keeps at most ``PER_CONDITION`` trees (the first patterns
    seen), which bounds memory whatever the number of cases."""

    __slots__ = ("facts", "local", "program")
    PER_CONDITION = 64

    def __init__(self, program: Program, facts: Facts) -> None:
        self.program, self.facts = program, facts
        self.local: dict[str, Explanation] = {}

    def _key(self, name: str) -> tuple[object, ...]:
        facts = self.facts
        return tuple([(type(v), v) for v in [facts.get(q, _ABSENT) for q in self.program.reads[name]]])

    def get(self, name: str) -> Explanation | None:
        tree = self.local.get(name)
        if tree is None:
            kept = self.program.trees.get(name)
            tree = kept.get(self._key(name)) if kept else None
            if tree is not None:
                self.local[name] = tree
        return tree

    def __setitem__(self, name: str, tree: Explanation) -> None:
        self.local[name] = tree
        kept = self.program.trees.setdefault(name, {})
        if len(kept) < self.PER_CONDITION:
            kept[self._key(name)] = tree


class _Memo(Protocol):
    def get(self, name: str) -> Explanation | None: ...

    def __setitem__(self, name: str, tree: Explanation) -> None: ...


def value_of(expr: Expr, facts: Facts, values: Values, conclusions: Mapping[str, object]) -> Tri:
    """The value of one sub-condition, directly (the same semantics as :func:`compile_expr`)."""
    if isinstance(expr, Const):
        return expr.value
    if isinstance(expr, Not):
        inner = value_of(expr.operand, facts, values, conclusions)
        return None if inner is None else not inner
    if isinstance(expr, (And, Or)):
        stop = isinstance(expr, Or)  # the value that decides: true for or, false for and
        result: Tri = not stop
        for op in expr.operands:
            part = value_of(op, facts, values, conclusions)
            if part is stop:
                return stop
            if part is None:
                result = None
        return result
    if isinstance(expr, Known):
        return expr.name in facts
    if isinstance(expr, Ref) and expr.name in conclusions:
        return values.get(expr.name)
    fact = facts.get(expr.name)
    if fact is None:
        return None
    if isinstance(expr, Ref):
        return bool(fact)
    if isinstance(expr, In):
        return (fact in expr.values) != expr.negated
    if isinstance(expr, Contains):
        return expr.value in fact  # type: ignore[operator]
    return bool(_ORDER[expr.op](fact, expr.value))

def explain(expr: Expr, text: str, ruleset: RuleSet, facts: Facts, values: Values,
            depth: int = 0, memo: _Memo | None = None) -> Explanation:
    """The reasoning tree of a condition: every node with its value, conclusions expanded.

    ``memo`` shares the (immutable) tree of each conclusion between the trees of one evaluation, so a
    conclusion used by many issues is explained once.
    """
    source = text[expr.start:expr.end] if expr.end > expr.start else text
    if isinstance(expr, (And, Or)):
        kind = "and" if isinstance(expr, And) else "or"
        children = tuple(explain(op, text, ruleset, facts, values, depth, memo) for op in expr.operands)
        value = _combine(kind, [child.value for child in children])  # bottom-up: each node evaluated once
        word = _word(value)
        met = sum(1 for child in children if child.value is True)
        summary = f"{met} of {len(children)} {'conditions' if kind == 'and' else 'alternatives'} " \
                  f"hold — {word}"
        return Explanation(kind=kind, text=source, value=value, summary=summary, children=children)
    if isinstance(expr, Not):
        child = explain(expr.operand, text, ruleset, facts, values, depth, memo)
        value = None if child.value is None else not child.value
        word = _word(value)
        return Explanation(kind="not", text=source, value=value, summary=f"not ({child.text}) — {word}",
                           children=(child,))
    value = value_of(expr, facts, values, ruleset.conclusion_by_id)
    word = _word(value)
    if isinstance(expr, Const):
        return Explanation(kind="const", text=source, value=value, summary=word)
    name = expr.name
    conclusion = ruleset.conclusion_by_id.get(name)
    if conclusion is not None:
        children = ()
        if depth < 20:
            tree = memo.get(name) if memo is not None else None
            if tree is None:
                tree = explain(conclusion.when.expr, conclusion.when.text, ruleset, facts, values, depth + 1, memo)
                if memo is not None:
                    memo[name] = tree
            children = (tree,)
        return Explanation(kind="conclusion", text=source, value=value, conclusion=name,
                           summary=f"{conclusion.title} — {word}", children=children)
    question = ruleset.question_by_id[name]
    shown = fact_display(question, facts.get(name))
    if isinstance(expr, Known):
        summary = f"{question.prompt} — {'answered' if value else 'not answered'}"
        return Explanation(kind="known", text=source, value=value, fact=name, summary=summary)
    kind = "fact" if isinstance(expr, Ref) else "contains" if isinstance(expr, Contains) else "compare"
    test = compare_text(question, expr)
    summary = f"{question.prompt} {shown}" if kind == "fact" else f"{test}: answer {shown}"
    return Explanation(kind=kind, text=source, value=value, fact=name, summary=f"{summary} — {word}")


def _combine(kind: str, parts: list[Tri]) -> Tri:
    """Kleene and / or of already-evaluated parts."""
    stop = kind == "or"  # the value that decides: true for or, false for and
    if stop in parts:
        return stop
    return None if None in parts else not stop


def status_of(value: Tri) -> Status:
    """The finding an issue's value gives: raised, not raised, or undetermined."""
    return "undetermined" if value is None else "raised" if value else "not_raised"


def _word(value: Tri) -> str:
    return "unknown" if value is None else "true" if value else "false"


def reasons(node: Explanation, facts: Facts) -> tuple[Reason, ...]:
    """The decisive facts and conclusions of an explanation: a minimal branch that fixes its value."""
    found: dict[tuple[str, str], Reason] = {}
    _collect(node, facts, found)
    return tuple(found.values())


def _collect(node: Explanation, facts: Facts, found: dict[tuple[str, str], Reason]) -> None:
    if node.kind == "conclusion" and node.conclusion is not None:
        found.setdefault(("conclusion", node.conclusion),
                         Reason(kind="conclusion", id=node.conclusion, value=node.value,
                                known=node.value is not None))
        return
    if node.fact is not None:
        value = facts.get(node.fact)
        found.setdefault(("fact", node.fact), Reason(kind="fact", id=node.fact, value=value,
                                                     known=value is not None))
        return
    children = node.children
    if node.kind in ("and", "or"):
        decisive = node.kind == "and" and node.value is False or node.kind == "or" and node.value is True
        if decisive:
            children = tuple(c for c in children if c.value is node.value)[:1]
    for child in children:
        _collect(child, facts, found)
