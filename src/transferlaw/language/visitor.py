"""One visitor over the condition syntax tree (:mod:`transferlaw.language.model`), and the walks built on it.

Like :class:`ast.NodeVisitor`: :meth:`Visitor.visit` dispatches on the node's type, in this one place, to
a method per node kind. Evaluators, the durable compilation and the checks subclass it instead of writing
``isinstance`` chains. The fact-dependency walk (:func:`dependencies`) is here too, once.
"""

from __future__ import annotations

from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import Sequence
from typing import Generic
from typing import TypeVar
from typing import cast

from .model import And
from .model import Compare
from .model import Const
from .model import Contains
from .model import Expr
from .model import In
from .model import Known
from .model import Not
from .model import Or
from .model import Ref

T = TypeVar("T")

Test = Ref | Compare | In | Contains
"""A node that tests one name's value (a bare name is a boolean question, or a conclusion)."""

_METHOD: Mapping[type, str] = {
    Const: "visit_const", Ref: "visit_ref", Compare: "visit_compare", In: "visit_in",
    Contains: "visit_contains", Known: "visit_known", Not: "visit_not", And: "visit_and", Or: "visit_or",
}


class Visitor(Generic[T]):
    """A method per node kind, returning ``T``. Leaf tests default to :meth:`visit_test`, and ``and`` /
    ``or`` to :meth:`visit_junction`; a kind a subclass does not handle is a programming error,
    :class:`TypeError`."""

    def visit(self, expr: Expr) -> T:
        return cast(T, getattr(self, _METHOD[type(expr)])(expr))

    def generic_visit(self, expr: Expr) -> T:
        raise TypeError(f"{type(self).__name__} does not handle {type(expr).__name__}")

    def visit_const(self, expr: Const) -> T:
        return self.generic_visit(expr)

    def visit_known(self, expr: Known) -> T:
        return self.generic_visit(expr)

    def visit_test(self, expr: Test) -> T:
        """A test of one name: ``x``, ``x op v``, ``x in [..]``, ``x contains v``."""
        return self.generic_visit(expr)

    def visit_ref(self, expr: Ref) -> T:
        return self.visit_test(expr)

    def visit_compare(self, expr: Compare) -> T:
        return self.visit_test(expr)

    def visit_in(self, expr: In) -> T:
        return self.visit_test(expr)

    def visit_contains(self, expr: Contains) -> T:
        return self.visit_test(expr)

    def visit_not(self, expr: Not) -> T:
        return self.generic_visit(expr)

    def visit_junction(self, expr: And | Or, conjunction: bool) -> T:
        """An ``and`` (``conjunction`` True) or an ``or``."""
        return self.generic_visit(expr)

    def visit_and(self, expr: And) -> T:
        return self.visit_junction(expr, True)

    def visit_or(self, expr: Or) -> T:
        return self.visit_junction(expr, False)


class Walker(Visitor[Iterator[T]]):
    """A visitor that yields: through ``not``, ``and`` and ``or`` to every leaf, in source order; a leaf
    yields nothing unless its method is overridden."""

    def generic_visit(self, expr: Expr) -> Iterator[T]:
        return iter(())

    def visit_not(self, expr: Not) -> Iterator[T]:
        return self.visit(expr.operand)

    def visit_junction(self, expr: And | Or, conjunction: bool) -> Iterator[T]:
        for operand in expr.operands:
            yield from self.visit(operand)


class _Names(Walker[str]):
    def visit_known(self, expr: Known) -> Iterator[str]:
        yield expr.name

    def visit_test(self, expr: Test) -> Iterator[str]:
        yield expr.name


class _Nodes(Walker[Expr]):
    def generic_visit(self, expr: Expr) -> Iterator[Expr]:
        yield expr

    def visit_not(self, expr: Not) -> Iterator[Expr]:
        yield expr
        yield from self.visit(expr.operand)

    def visit_junction(self, expr: And | Or, conjunction: bool) -> Iterator[Expr]:
        yield expr
        yield from super().visit_junction(expr, conjunction)


_NAMES = _Names()
_NODES = _Nodes()


def nodes(expr: Expr) -> Iterator[Expr]:
    """Every node of a condition, parents before children, in source order."""
    return _NODES.visit(expr)


def names(expr: Expr) -> Iterator[str]:
    """Every question or conclusion id the condition mentions, in order."""
    return _NAMES.visit(expr)


def dependencies(expr: Expr, through: Mapping[str, Sequence[str]]) -> tuple[str, ...]:
    """The questions ``expr`` depends on, in first-mention order: a name in ``through`` (a conclusion) stands
    for the questions it depends on in turn (``through[name]``, found the same way)."""
    found: dict[str, None] = {}
    for name in names(expr):
        inner = through.get(name)
        if inner is None:
            found[name] = None
        else:
            found.update(dict.fromkeys(inner))
    return tuple(found)
