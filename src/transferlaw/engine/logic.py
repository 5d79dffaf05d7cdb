"""Kleene's strong three-valued logic, defined once: and / or / not over True / False / None, the comparison
rules, and the same connectives over (definitely true, definitely false) pairs.

Every evaluator is built on these: the Kleene evaluator compiles conditions into the closures below; the
bit-parallel trials and the durable_rules compilation represent a value as a pair (where it is definitely
true, where it is definitely false) of a Boolean algebra (trial bit masks, durable formulas), and use
:func:`pair_and`, :func:`pair_or` and :func:`pair_not` (design.md: T(a and b) = T(a) and T(b),
F(a and b) = F(a) or F(b), T(not a) = F(a)).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from collections.abc import Collection
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from typing import Any
from typing import TypeVar

from ..language.model import Tri
from ..language.model import Value

Facts = Mapping[str, Value]
Values = Mapping[str, Tri]
Compiled = Callable[[Facts, Values], Tri]
"""A compiled condition: ``f(facts, conclusion_values) -> True | False | None``."""

COMPARISONS: Mapping[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
    ">": operator.gt, ">=": operator.ge,
}

# --- values ------------------------------------------------------------------------------------


def not_(value: Tri) -> Tri:
    """Kleene's not: unknown stays unknown."""
    return None if value is None else not value


def and_(values: Iterable[Tri]) -> Tri:
    """Kleene's and: false if any is false, else unknown if any is unknown, else true."""
    return junction(False, values)


def or_(values: Iterable[Tri]) -> Tri:
    """Kleene's or: true if any is true, else unknown if any is unknown, else false."""
    return junction(True, values)


def junction(decisive: bool, values: Iterable[Tri]) -> Tri:
    """An and (``decisive`` False) or an or (``decisive`` True) of ``values``: the decisive value wins, then
    unknown, then the other value."""
    result: Tri = not decisive
    for value in values:
        if value is decisive:
            return decisive
        if value is None:
            result = None
    return result


# --- compiled conditions: the same rules over the closures of sub-conditions --------------------

def constant(value: bool) -> Compiled:
    return lambda facts, values: value


def conclusion(name: str) -> Compiled:
    """A conclusion's value (computed before, in dependency order)."""
    return lambda facts, values: values.get(name)


def answer(name: str) -> Compiled:
    """A boolean question's answer; unknown when missing."""
    return lambda facts, values: facts.get(name)  # type: ignore[return-value]


def known(name: str) -> Compiled:
    """``known(name)``: never unknown."""
    return lambda facts, values: name in facts


def compare(name: str, op: str, literal: object) -> Compiled:
    """``name op literal``: unknown when the answer is missing."""
    test = COMPARISONS[op]

    def compare(facts: Facts, values: Values) -> Tri:
        value = facts.get(name)
        return None if value is None else test(value, literal)

    return compare


def member(name: str, members: Collection[object], negated: bool) -> Compiled:
    """``name in [..]`` (``not in`` when ``negated``): unknown when the answer is missing."""
    found = frozenset(members)

    def member(facts: Facts, values: Values) -> Tri:
        value = facts.get(name)
        return None if value is None else (value in found) != negated

    return member


def contains(name: str, choice: str) -> Compiled:
    """``name contains choice`` on a multi answer: unknown when the answer is missing."""

    def contains(facts: Facts, values: Values) -> Tri:
        value = facts.get(name)
        return None if value is None else choice in value  # type: ignore[operator]

    return contains


def negation(part: Compiled) -> Compiled:
    """:func:`not_` of a compiled part."""
    return lambda facts, values: not_(part(facts, values))


def connective(decisive: bool, parts: Sequence[Compiled]) -> Compiled:
    """:func:`junction` of compiled parts, evaluated lazily: the parts after a decisive one are not run.

    The loop of :func:`junction` is written out here over the parts (not a generator passed to it): this is
    the Kleene evaluator's inner loop, and a generator doubles its cost (bench/bench_core.py)."""
    parts = tuple(parts)
    undecided: Tri = not decisive

    def connective(facts: Facts, values: Values) -> Tri:
        result = undecided
        for part in parts:
            value = part(facts, values)
            if value is decisive:
                return decisive
            if value is None:
                result = None
        return result

    return connective


# --- pairs: (where definitely true, where definitely false) over a Boolean algebra ---------------

B = TypeVar("B")
Pair = tuple[B, B]


def pair_not(pair: Pair[B]) -> Pair[B]:
    """T(not a) = F(a), F(not a) = T(a)."""
    return pair[1], pair[0]


def pair_and(parts: Sequence[Pair[B]], meet: Callable[[list[B]], B], join: Callable[[list[B]], B]) -> Pair[B]:
    """T(a and b) = T(a) meet T(b), F(a and b) = F(a) join F(b)."""
    return meet([true for true, _ in parts]), join([false for _, false in parts])


def pair_or(parts: Sequence[Pair[B]], meet: Callable[[list[B]], B], join: Callable[[list[B]], B]) -> Pair[B]:
    """T(a or b) = T(a) join T(b), F(a or b) = F(a) meet F(b)."""
    return join([true for true, _ in parts]), meet([false for _, false in parts])


def pair_of(value: Tri, everywhere: B, nowhere: B) -> Pair[B]:
    """The pair of a value that holds uniformly: true everywhere, false everywhere, or neither."""
    return (everywhere, nowhere) if value is True else (nowhere, everywhere) if value is False else (nowhere, nowhere)
