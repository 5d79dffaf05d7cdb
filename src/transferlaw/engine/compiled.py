"""The compiled form of a rule set for durable_rules: rule definitions and what their actions mean (data).

Produced by :mod:`transferlaw.engine.compile`, consumed by :mod:`transferlaw.engine.durable`, and kept in the
on-disk cache (:mod:`transferlaw.engine.cache`), so a cached run never needs the compiler.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SENTINEL = "sentinel"
SENTINEL_PRI = 1000
INIT = "init"
"""A rule on a tiny ``{kind: init}`` fact that every case state runs before its case is asserted: a state
that never ran an action crashes durable when it is deleted or read (durable-rules.md §5), and a case
assert can fail half-way (e.g. error 303), so the state is made safe first."""
LIST_MARKER = "__list__"
"""Sent as the first element of every multi answer, so that a list is never empty: ``$iall`` is false on an
empty list in durable (durable-rules.md §4a), and the marker makes "contains no X" true for ``[]`` with a
single ``$iall`` test. It can never equal a choice (choice values cannot contain ``__``)."""


@dataclass(frozen=True, slots=True)
class CompiledRuleSet:
    """durable_rules definitions for one rule set, and what each rule's action means."""

    name: str
    rules: dict[str, dict[str, Any]]
    actions: dict[str, tuple[str, bool]]
    """rule name -> (conclusion or issue id, the value it proves)"""
    derived: frozenset[tuple[str, bool]]
    """(conclusion, value) pairs that some rule joins on: only these are asserted as derived facts"""
    attributes: tuple[str, ...]
    """the case-fact attributes the rules read (question ids)"""
    lists: frozenset[str]
    """multi questions, sent with :data:`LIST_MARKER` as their first element"""
    buckets: tuple[str, ...] = ()
    """always-true attributes the case fact carries for the bucket tests of :mod:`fanout`"""
