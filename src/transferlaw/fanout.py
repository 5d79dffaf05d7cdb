"""Keep durable's alpha-network walk within its fixed stack by grouping case patterns under bucket tests.

durable_rules walks the alpha network of a fact depth-first with a fixed stack of 64 nodes
(``MAX_STACK_SIZE`` in its ``events.c``): every child test that matches is pushed before any is visited, so
a case fact that satisfies more than about 64 first conjuncts at once fails with error 303 ("max stack
size"). A rule set of 50 issues easily has 140 distinct first conjuncts, most of them satisfied by a
well-filled case. This module bounds the width: when a rule set could push too much, every case pattern is
prefixed with one or two always-true bucket tests (``{"__b1_3": true}``), so that the walk meets at most a
few buckets, then a small group of patterns, at each level. The engine sends the bucket attributes with
every case fact (:attr:`CompiledRuleSet.buckets`). Pure data; never imports durable.
"""

from __future__ import annotations

import math
from typing import Any

STACK = 64
GROUP = 8          # simultaneous matches allowed within one bucket
WIDTH = 40         # below this many possible simultaneous matches, no buckets are needed
PREFIX = "__b"


def matches(expr: Any) -> int:
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


def _equalities_on_one_attribute(branches: list[Any]) -> bool:
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
