"""The pure-Python Kleene evaluator: three-valued values of every conclusion and issue, and why.

It has three jobs (design.md): it computes explanation trees, it is the engine where durable_rules cannot be
imported, and it cross-checks durable_rules on every evaluation. Conditions are compiled once per rule set
into closures, so that evaluating a case is a pass over the conclusions and issues in dependency order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from ..language.model import And
from ..language.model import Compare
from ..language.model import Const
from ..language.model import Contains
from ..language.model import Explanation
from ..language.model import Expr
from ..language.model import In
from ..language.model import Issue
from ..language.model import Known
from ..language.model import Not
from ..language.model import Or
from ..language.model import Reason
from ..language.model import Ref
from ..language.model import RuleSet
from ..language.model import Status
from ..language.model import Tri
from ..language.visitor import Test
from ..language.visitor import Visitor
from ..language.visitor import dependencies
from . import logic

Facts = logic.Facts
Values = logic.Values
Compiled = logic.Compiled

class _Compiler(Visitor[Compiled]):
    """A condition into nested closures (:mod:`transferlaw.engine.logic`); conclusions are read from the values.
    The closure of each leaf (a test, ``known``, a constant) is kept in ``leaves`` by node ``id``."""

    def __init__(self, conclusions: frozenset[str]) -> None:
        self.conclusions = conclusions
        self.leaves: dict[int, Compiled] = {}

    def leaf(self, expr: Expr, test: Compiled) -> Compiled:
        self.leaves[id(expr)] = test
        return test

    def visit_const(self, expr: Const) -> Compiled:
        return self.leaf(expr, logic.constant(expr.value))

    def visit_known(self, expr: Known) -> Compiled:
        return self.leaf(expr, logic.known(expr.name))

    def visit_ref(self, expr: Ref) -> Compiled:
        name = expr.name
        return self.leaf(expr, logic.conclusion(name) if name in self.conclusions else logic.answer(name))

    def visit_compare(self, expr: Compare) -> Compiled:
        return self.leaf(expr, logic.compare(expr.name, expr.op, expr.value))

    def visit_in(self, expr: In) -> Compiled:
        return self.leaf(expr, logic.member(expr.name, expr.values, expr.negated))

    def visit_contains(self, expr: Contains) -> Compiled:
        return self.leaf(expr, logic.contains(expr.name, expr.value))

    def visit_not(self, expr: Not) -> Compiled:
        return logic.negation(self.visit(expr.operand))

    def visit_junction(self, expr: And | Or, conjunction: bool) -> Compiled:
        return logic.connective(not conjunction, [self.visit(op) for op in expr.operands])


def compile_expr(expr: Expr, conclusions: frozenset[str]) -> Compiled:
    """Compile a condition into a closure ``f(facts, conclusion_values) -> True | False | None``."""
    return _Compiler(conclusions).visit(expr)


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
    names: frozenset[str]
    """The conclusions' ids."""
    depends: Mapping[str, tuple[str, ...]]
    """conclusion or issue id -> the questions its value depends on, in first-mention order."""
    leaves: Mapping[int, Compiled]
    """``id`` of each leaf node (a test, ``known``, a constant) of the conclusions and issues -> its closure,
    for the values of explanation trees."""
    citations: Mapping[str, tuple[tuple[str, Compiled], ...]]
    """issue id -> its conditional authorities (:attr:`Issue.cited_when`) and their compiled conditions."""

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

    def cited(self, issue: Issue, facts: Facts, values: Values) -> tuple[str, ...]:
        """The issue's authorities that apply to these facts: all but those whose condition is false, and, in a
        raised issue, those whose condition is not known (a raised issue's text speaks only of what the file
        shows; an undetermined one speaks conditionally, so it keeps them)."""
        tests = self.citations.get(issue.id)
        if not tests:
            return issue.authorities
        keep: tuple[Tri, ...] = (True,) if values.get(issue.id) is True else (True, None)
        dropped = {ident for ident, test in tests if test(facts, values) not in keep}
        return tuple(ident for ident in issue.authorities if ident not in dropped)

    def not_applicable(self, facts: Facts, values: Values) -> frozenset[str]:
        """Questions whose ``ask_if`` is false for these facts."""
        return frozenset(ident for ident, test in self.ask_if if test(facts, values) is False)


def _depends(ruleset: RuleSet) -> dict[str, tuple[str, ...]]:
    depends: dict[str, tuple[str, ...]] = {}
    for cond in [(c.id, c.when.expr) for c in ruleset.conclusions] + [(i.id, i.when.expr) for i in ruleset.issues]:
        depends[cond[0]] = dependencies(cond[1], depends)  # conclusions come before anything that uses them
    return depends


def build(ruleset: RuleSet) -> Program:
    """The compiled program of a rule set; its owner keeps it
    (:attr:`transferlaw.engine.workspace.Prepared.program`)."""
    names = frozenset(c.id for c in ruleset.conclusions)
    compiler = _Compiler(names)
    conclusions = tuple((c.id, compiler.visit(c.when.expr)) for c in ruleset.conclusions)
    issues = tuple((i.id, compiler.visit(i.when.expr)) for i in ruleset.issues)
    depends = _depends(ruleset)
    ordered = conclusions + issues
    affected = {q.id: tuple((ident, test) for ident, test in ordered if q.id in depends[ident])
                for q in ruleset.questions}
    reads: dict[str, list[str]] = {ident: [] for ident, _ in ordered}
    for question, idents in affected.items():
        for ident, _ in idents:
            reads[ident].append(question)
    ask_if = tuple((q.id, compiler.visit(q.ask_if.expr)) for q in ruleset.questions if q.ask_if is not None)
    prog = Program(
        ruleset=ruleset, conclusions=conclusions, issues=issues,
        ask_if=ask_if,
        affected=affected, reads={ident: tuple(found) for ident, found in reads.items()}, depends=depends,
        names=names, leaves=compiler.leaves,
        citations={i.id: tuple((ident, compiler.visit(c.expr)) for ident, c in i.cited_when)
                   for i in ruleset.issues if i.cited_when},
    )
    return prog


# --- explanations -------------------------------------------------------------------------------

_ABSENT = object()  # a question left out of the facts (known() false), unlike one given as None


class _Kept(Protocol):
    """A bounded store of trees (:class:`transferlaw.engine.lru.LRU` with ``first``)."""

    bound: int

    def get(self, key: tuple[object, ...]) -> Explanation | None: ...

    def put(self, key: tuple[object, ...], value: Explanation) -> Explanation: ...

    def __len__(self) -> int: ...


class Trees:
    """The explanation trees of one case, kept across cases: a tree depends only on the facts its condition
    reads (through conclusions), so every case that agrees on those facts shares it. Pass it as the
    ``memo`` of :func:`explain`. Each condition keeps at most ``PER_CONDITION`` trees (the first patterns
    seen), which bounds memory whatever the number of cases. ``kept`` is the owner's store, per condition
    (:attr:`transferlaw.engine.workspace.Prepared.explained`)."""

    __slots__ = ("facts", "kept", "local", "program")
    PER_CONDITION = 64

    def __init__(self, program: Program, facts: Facts, kept: Mapping[str, _Kept]) -> None:
        self.program, self.facts, self.kept = program, facts, kept
        self.local: dict[str, Explanation] = {}

    def _key(self, name: str) -> tuple[object, ...]:
        facts = self.facts
        return tuple([(type(v), v) for v in [facts.get(q, _ABSENT) for q in self.program.reads[name]]])

    def get(self, name: str) -> Explanation | None:
        tree = self.local.get(name)
        if tree is None:
            kept = self.kept.get(name)
            tree = kept.get(self._key(name)) if kept is not None else None
            if tree is not None:
                self.local[name] = tree
        return tree

    def __setitem__(self, name: str, tree: Explanation) -> None:
        self.local[name] = tree
        kept = self.kept.get(name)
        if kept is not None and len(kept) < kept.bound:
            kept.put(self._key(name), tree)


class _Memo(Protocol):
    def get(self, name: str) -> Explanation | None: ...

    def __setitem__(self, name: str, tree: Explanation) -> None: ...


class _Explainer(Visitor[Explanation]):
    """The reasoning tree of one condition: each node with its value and the answer it reads, as data (the
    words are made in the memo layer, :func:`transferlaw.memo.display.summary`)."""

    def __init__(self, prog: Program, text: str, facts: Facts, values: Values, depth: int,
                 memo: _Memo | None) -> None:
        self.prog, self.text, self.facts, self.values, self.depth, self.memo = prog, text, facts, values, depth, memo

    def source(self, expr: Expr) -> str:
        return self.text[expr.start:expr.end] if expr.end > expr.start else self.text

    def leaf(self, expr: Expr) -> Tri:
        test = self.prog.leaves.get(id(expr)) or compile_expr(expr, self.prog.names)
        return test(self.facts, self.values)

    def visit_junction(self, expr: And | Or, conjunction: bool) -> Explanation:
        children = tuple(self.visit(op) for op in expr.operands)
        value = logic.junction(not conjunction, [child.value for child in children])  # bottom-up: once each
        return Explanation(kind="and" if conjunction else "or", text=self.source(expr), value=value,
                           children=children, expr=expr)

    def visit_not(self, expr: Not) -> Explanation:
        child = self.visit(expr.operand)
        return Explanation(kind="not", text=self.source(expr), value=logic.not_(child.value), children=(child,),
                           expr=expr)

    def visit_const(self, expr: Const) -> Explanation:
        return Explanation(kind="const", text=self.source(expr), value=expr.value, expr=expr)

    def visit_known(self, expr: Known) -> Explanation:
        return Explanation(kind="known", text=self.source(expr), value=self.leaf(expr), fact=expr.name,
                           answer=self.facts.get(expr.name), expr=expr)

    def visit_ref(self, expr: Ref) -> Explanation:
        return self.fact(expr, "fact") if expr.name not in self.prog.names else self.conclusion(expr)

    def visit_compare(self, expr: Compare) -> Explanation:
        return self.fact(expr, "compare")

    def visit_in(self, expr: In) -> Explanation:
        return self.fact(expr, "compare")

    def visit_contains(self, expr: Contains) -> Explanation:
        return self.fact(expr, "contains")

    def fact(self, expr: Test, kind: str) -> Explanation:
        return Explanation(kind=kind, text=self.source(expr), value=self.leaf(expr), fact=expr.name,
                           answer=self.facts.get(expr.name), expr=expr)

    def conclusion(self, expr: Ref) -> Explanation:
        name = expr.name
        children: tuple[Explanation, ...] = ()
        if self.depth < 20:
            memo = self.memo
            tree = memo.get(name) if memo is not None else None
            if tree is None:
                when = self.prog.ruleset.conclusion_by_id[name].when
                tree = _Explainer(self.prog, when.text, self.facts, self.values, self.depth + 1, memo).visit(when.expr)
                if memo is not None:
                    memo[name] = tree
            children = (tree,)
        return Explanation(kind="conclusion", text=self.source(expr), value=self.leaf(expr), conclusion=name,
                           children=children, expr=expr)


def explain(expr: Expr, text: str, program: Program, facts: Facts, values: Values,
            depth: int = 0, memo: _Memo | None = None) -> Explanation:
    """The reasoning tree of a condition: every node with its value, conclusions expanded (``program``: the
    rule set's, from its :class:`transferlaw.engine.workspace.Prepared`).

    ``memo`` shares the (immutable) tree of each conclusion between the trees of one evaluation, so a
    conclusion used by many issues is explained once.
    """
    return _Explainer(program, text, facts, values, depth, memo).visit(expr)


def status_of(value: Tri) -> Status:
    """The finding an issue's value gives: raised, not raised, or undetermined."""
    return "undetermined" if value is None else "raised" if value else "not_raised"


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
