"""Tests for logic.py (the three-valued operators) and visitor.py (the one visitor over conditions)."""

from __future__ import annotations

import itertools

import pytest

from transferlaw.engine import logic
from transferlaw.language import conditions
from transferlaw.language import visitor
from transferlaw.language.model import Const
from transferlaw.language.model import Expr
from transferlaw.language.model import Tri

TRI: tuple[Tri, ...] = (True, False, None)


def test_kleene_truth_tables() -> None:
    assert logic.and_([False, None]) is False and logic.and_([True, None]) is None
    assert logic.or_([True, None]) is True and logic.or_([False, None]) is None
    assert logic.not_(None) is None and logic.not_(True) is False
    assert logic.and_([]) is True and logic.or_([]) is False


@pytest.mark.parametrize("size", [1, 2, 3])
def test_compiled_connectives_agree_with_the_operators(size: int) -> None:
    for values in itertools.product(TRI, repeat=size):
        parts = [logic.constant(v) for v in values]  # type: ignore[arg-type]
        assert logic.connective(False, parts)({}, {}) is logic.and_(values)
        assert logic.connective(True, parts)({}, {}) is logic.or_(values)
        assert logic.negation(parts[0])({}, {}) is logic.not_(values[0])


def _pair(value: Tri) -> logic.Pair[bool]:
    return logic.pair_of(value, True, False)


def _tri(pair: logic.Pair[bool]) -> Tri:
    assert not (pair[0] and pair[1])
    return True if pair[0] else False if pair[1] else None


@pytest.mark.parametrize("size", [1, 2, 3])
def test_pairs_are_kleene_logic(size: int) -> None:
    """(definitely true, definitely false) over the Booleans is Kleene's logic itself."""
    for values in itertools.product(TRI, repeat=size):
        pairs = [_pair(v) for v in values]
        assert _tri(logic.pair_and(pairs, all, any)) is logic.and_(values)
        assert _tri(logic.pair_or(pairs, all, any)) is logic.or_(values)
        assert _tri(logic.pair_not(pairs[0])) is logic.not_(values[0])


def test_comparisons_with_an_unknown_answer_are_unknown() -> None:
    for test in (logic.compare("x", "<", 3), logic.member("x", (1, 2), False), logic.contains("x", "a"),
                 logic.answer("x")):
        assert test({}, {}) is None
    assert logic.known("x")({}, {}) is False
    assert logic.compare("x", ">=", 3)({"x": 3}, {}) is True
    assert logic.member("x", ("a",), True)({"x": "a"}, {}) is False
    assert logic.contains("x", "a")({"x": ("a", "b")}, {}) is True


def test_names_and_nodes_in_source_order() -> None:
    expr = conditions.parse('a and not (b or c == "x") and known(d) and e contains "y" and true')
    assert list(visitor.names(expr)) == ["a", "b", "c", "d", "e"]
    assert [type(n).__name__ for n in visitor.nodes(expr)] == [
        "And", "Ref", "Not", "Or", "Ref", "Compare", "Known", "Contains", "Const"]


def test_dependencies_through_conclusions_first_mention_order() -> None:
    expr = conditions.parse("p and x and q")
    assert visitor.dependencies(expr, {"p": ("y", "x"), "q": ("z", "y")}) == ("y", "x", "z")


def test_an_unhandled_node_kind_is_an_error() -> None:
    class Only(visitor.Visitor[str]):
        def visit_const(self, expr: Const) -> str:
            return "const"

    assert Only().visit(Const(value=True)) == "const"
    unhandled: Expr = conditions.parse("a")
    with pytest.raises(TypeError, match="Only does not handle Ref"):
        Only().visit(unhandled)
