"""Keep durable's alpha network within its fixed sizes: bucket tests for its walk stack, a model for its fan-out.

durable_rules walks the alpha network of a fact depth-first with a fixed stack of 64 nodes
(``MAX_STACK_SIZE`` in its ``events.c``): every child test that matches is pushed before any is visited, so
a case fact that satisfies more than about 64 first conjuncts at once fails with error 303 ("max stack
size"). A rule set of 50 issues easily has 140 distinct first conjuncts, most of them satisfied by a
well-filled case. This module bounds the width: when a rule set could push too much, every case pattern is
prefixed with one or two always-true bucket tests (``{"__b1_3": true}``), so that the walk meets at most a
few buckets, then a small group of patterns, at each level. The engine sends the bucket attributes with
every case fact (:attr:`CompiledRuleSet.buckets`).

The network's nodes also have fixed-size tables (``rete.c``, ``rules.h``): 512 slots for the different tests
that follow a node (a 513th makes ``register_rulesets`` loop forever), 128 entries for its ``$nex`` tests and
the ``$or`` alternatives that join again after it (error 107 beyond), and 256 for the rules that end on it
(error 108 beyond, and a write past the table at exactly 257). :func:`overflow` builds a model of the network
as durable would, and names the first rule that takes a node past :mod:`transferlaw.language.limits`' margins of those
sizes. Pure data; never imports durable.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from ..language.limits import MAX_ALPHA_CHILDREN
from ..language.limits import MAX_ALPHA_LIST
from ..language.limits import MAX_ALPHA_RULES

STACK = 64
GROUP = 8          # simultaneous matches allowed within one bucket
WIDTH = 40         # below this many possible simultaneous matches, no buckets are needed
PREFIX = "__b"


def matches(expr: object) -> int:
    """An upper bound on the alpha paths of one pattern that a single fact can match at once.

    ``$or`` branches become separate paths in durable (a rule fires once per satisfied branch); an ``$or``
    of equalities on one attribute can match only once.
    """
    if not isinstance(expr, dict) or len(expr) != 1:
        return 1
    (key, value), = expr.items()
    if key == "$and":
        return math.prod(matches(v) for v in value)
    if key == "$or":
        if _equalities_on_one_attribute(value):
            return 1
        return sum(matches(v) for v in value)
    return 1


def _equalities_on_one_attribute(branches: list[object]) -> bool:
    names = set()
    for branch in branches:
        if not isinstance(branch, dict) or len(branch) != 1:
            return False
        (name, value), = branch.items()
        if name.startswith("$") or isinstance(value, (dict, list)):
            return False
        names.add(name)
    return len(names) == 1


def _case_conjuncts(pattern: dict[str, Any]) -> list[Any] | None:
    """The conjuncts after ``{kind: case}`` of a case pattern, or None for other patterns."""
    expr = next(iter(pattern.values()))
    if expr == {"kind": "case"}:
        return []
    if isinstance(expr, dict) and "$and" in expr and expr["$and"][:1] == [{"kind": "case"}]:
        return list(expr["$and"][1:])
    return None


def add_buckets(rules: dict[str, dict[str, Any]]) -> tuple[dict[str, dict[str, Any]], tuple[str, ...]]:
    """Rules with bucket tests inserted where needed, and the bucket attribute names to send as true."""
    weights: list[tuple[str, int, int]] = []  # (rule, pattern index, simultaneous matches)
    for name, rule in rules.items():
        for index, pattern in enumerate(rule["all"]):
            conjuncts = _case_conjuncts(pattern)
            if conjuncts:
                weights.append((name, index, matches({"$and": conjuncts})))
    if sum(w for _, _, w in weights) <= WIDTH:
        return rules, ()
    groups: list[list[tuple[str, int]]] = [[]]
    load = 0
    for name, index, weight in weights:
        if groups[-1] and load + weight > GROUP:
            groups.append([])
            load = 0
        groups[-1].append((name, index))
        load += weight
    fan = max(2, math.ceil(math.sqrt(len(groups))))
    levels = 1 if len(groups) <= fan else 2
    placed: dict[tuple[str, int], list[dict[str, bool]]] = {}
    used: set[str] = set()
    for number, group in enumerate(groups):
        tests = [f"{PREFIX}1_{number % fan}"]
        if levels == 2:
            tests.append(f"{PREFIX}2_{number // fan}")
        used.update(tests)
        for key in group:
            placed[key] = [{test: True} for test in tests]
    result: dict[str, dict[str, Any]] = {}
    for name, rule in rules.items():
        patterns = []
        for index, pattern in enumerate(rule["all"]):
            prefix = placed.get((name, index))
            if prefix is None:
                patterns.append(pattern)
                continue
            (alias, _), = pattern.items()
            conjuncts = _case_conjuncts(pattern) or []
            patterns.append({alias: {"$and": [{"kind": "case"}, *prefix, *conjuncts]}})
        result[name] = {**rule, "all": patterns}
    return result, tuple(sorted(used))


def heaviest(rules: dict[str, dict[str, Any]]) -> tuple[str, int]:
    """The rule whose case pattern can match the most paths at once, and that number (for error messages)."""
    best = ("", 0)
    for name, rule in rules.items():
        for pattern in rule["all"]:
            conjuncts = _case_conjuncts(pattern)
            if conjuncts:
                weight = matches({"$and": conjuncts})
                if weight > best[1]:
                    best = (name, weight)
    return best


def stack_bound(rules: dict[str, dict[str, Any]], buckets: tuple[str, ...]) -> int:
    """An upper bound on durable's walk stack for one case fact, for the limit check."""
    per_bucket: dict[tuple[str, ...], int] = {}
    top = 0
    for rule in rules.values():
        for pattern in rule["all"]:
            conjuncts = _case_conjuncts(pattern)
            if conjuncts is None:
                continue
            key = tuple(next(iter(c)) for c in conjuncts if isinstance(c, dict) and
                        next(iter(c)).startswith(PREFIX))
            weight = matches({"$and": [c for c in conjuncts if not (isinstance(c, dict)
                                                                    and next(iter(c)).startswith(PREFIX))]})
            if key:
                per_bucket[key] = per_bucket.get(key, 0) + weight
            else:
                top += weight
    level1 = len({b for b in buckets if b.startswith(f"{PREFIX}1_")})
    level2 = len({b for b in buckets if b.startswith(f"{PREFIX}2_")})
    return top + level1 + level2 + max(per_bucket.values(), default=0) + 2


# --- a model of the alpha network, for its fixed-size tables ----------------------------------------

CHILDREN = (f"more than {MAX_ALPHA_CHILDREN} different tests follow one test in the rules engine (it hangs "
            "beyond 512)", "shorten long 'in [...]' lists (a range for numbers), or split the rule set")
LISTED = (f"more than {MAX_ALPHA_LIST} known(...) tests, or alternatives of 'in [...]' and 'or' with a test in "
          "common, follow one test in the rules engine (it fails beyond 128)",
          "move the repeated alternatives into a conclusion")
RULES = (f"more than {MAX_ALPHA_RULES} engine rules end on one identical test (it fails beyond 256)",
         "conditions that repeat one test, or that use one conclusion, add up: combine them, or split the rule set")


class _Alpha:
    """A node of the model: what hangs off it in each of durable's tables."""

    __slots__ = ("tests", "fresh", "listed", "joins", "rules")

    def __init__(self) -> None:
        self.tests: dict[str, _Alpha] = {}   # shared tests, in the node's 512-slot hash set
        self.fresh = 0                       # $iany/$iall tests, never shared, in the same hash set
        self.listed: dict[str, _Alpha] = {}  # shared $nex tests, in the node's 128-entry list
        self.joins = 0                       # $or alternatives joining again after this node, in the same list
        self.rules = 0                       # rules whose pattern ends here, in the node's 256-entry list


@dataclass(frozen=True, slots=True)
class Overflow:
    """The first rule that takes a node of the network past a limit, and what and how to fix (a hint)."""

    rule: str
    message: str
    hint: str


class _Full(Exception):
    def __init__(self, problem: tuple[str, str]) -> None:
        super().__init__(problem[0])
        self.problem = problem


def overflow(rules: dict[str, dict[str, Any]]) -> Overflow | None:
    """The first rule, in registration order, that durable could not take within the margins; None if all fit.

    Mirrors ``createAlpha`` and ``findAlpha`` (``rete.c``): ``$and`` chains its tests; ``$or`` places each
    alternative under the same node and joins them in a new node; a test equal to one already under the node
    (same attribute, operator and value) is shared, except ``$iany``/``$iall``, which are always new.
    """
    root = _Alpha()
    for name, rule in rules.items():
        try:
            for pattern in rule["all"]:
                end = _place(next(iter(pattern.values())), root)
                end.rules += 1
                if end.rules > MAX_ALPHA_RULES:
                    raise _Full(RULES)
        except _Full as full:
            return Overflow(name, *full.problem)
    return None


def _place(expr: dict[str, Any], parent: _Alpha) -> _Alpha:
    """Add one expression under ``parent``; return the node that its pattern continues from."""
    (key, value), = expr.items()
    if key == "$and":
        node = parent
        for part in value:
            node = _place(part, node)
        return node
    if key == "$or":
        for part in value:
            end = _place(part, parent)
            end.joins += 1
            if len(end.listed) + end.joins > MAX_ALPHA_LIST:
                raise _Full(LISTED)
        return _Alpha()
    if key in ("$iany", "$iall"):
        parent.fresh += 1
        if len(parent.tests) + parent.fresh > MAX_ALPHA_CHILDREN:
            raise _Full(CHILDREN)
        return _Alpha()
    test = json.dumps(expr if key.startswith("$") else {"$eq": expr}, sort_keys=True)
    table = parent.listed if key == "$nex" else parent.tests
    found = table.get(test)
    if found is not None:
        return found
    node = table[test] = _Alpha()
    if len(parent.listed) + parent.joins > MAX_ALPHA_LIST:
        raise _Full(LISTED)
    if len(parent.tests) + parent.fresh > MAX_ALPHA_CHILDREN:
        raise _Full(CHILDREN)
    return node
