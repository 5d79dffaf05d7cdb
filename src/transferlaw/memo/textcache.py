"""Keep rendered rule-set text across cases, keyed by the context values each text reads.

A text's output is a function of what it reads. When every read is a fixed lookup (``facts.x``,
``answer['x']``, ``case.title``, ``as_of``, ``status``), the output is kept under those values, so a batch
renders each text once per distinct combination rather than once per case. A string that a text only prints
(``{{ case.title }}``, ``{{ answer.x }}``, never tested or filtered) is not part of the key: the text is
rendered once with a marker in its place and the value is put in afterwards; the first few such renders
of each text are checked against plain ones, and a text where the two differ is keyed on the value
instead. A text that reads the context any other way (``facts[name]``, a whole mapping) is rendered every
time. A text is planned the second time it is rendered, so a single memo pays nothing. Each text keeps
at most ``PER_TEXT`` outputs (the first combinations seen), which bounds memory whatever the number of
cases.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jinja2
from jinja2 import nodes

from ..language import authored
from ..language.model import Text

Read = tuple[str, str | None]
"""(context name, key): ``("facts", "x")`` for ``facts.x``; ``("as_of", None)`` for a bare scalar."""

SCALARS = ("as_of", "status")
SPLICEABLE = ("case", "answer", "phrase")  # their values are always strings
PER_TEXT = 128
_MARKER = "\ufdd0"
_MARK = re.compile("\x00\ufdd0([0-9]+)\ufdd1\x00")
_DICT_ATTRIBUTES = frozenset(dir(dict))
_CAPTURING = (nodes.FilterBlock, nodes.AssignBlock, nodes.Macro, nodes.CallBlock)


@dataclass(frozen=True, slots=True)
class Plan:
    """How a text's output is kept: ``keyed`` reads select it; ``spliced`` reads are put into it."""

    keyed: tuple[Read, ...]
    spliced: tuple[tuple[str, str], ...] = ()


PLAIN = Plan(keyed=())
"""Plain text, no Jinja (compared by identity)."""

_UNSEEN = Plan(keyed=())
CHECKS = 4


class TextCache:
    """The kept outputs of one prepared rule set's texts (:class:`transferlaw.engine.workspace.Prepared` owns one).

    Bounded by the rule set: its texts are the keys, and each keeps at most ``PER_TEXT`` outputs. A batch
    renders each text once per distinct combination of what it reads instead of once per case, which is most
    of a memo's time when the texts are templates (bench/bench_batch.py). Dictionary reads and writes need no
    lock: each is atomic, and two threads that render the same text at once only do the work twice.
    """

    __slots__ = ("plans", "kept", "plain", "once", "checked")

    def __init__(self) -> None:
        self.plans: dict[str, Plan | None] = {}
        self.kept: dict[str, dict[tuple[object, ...], str]] = {}
        """source -> (block, *keyed values) -> output (raw with markers if the plan splices)."""
        self.plain: tuple[dict[str, str], dict[str, str]] = ({}, {})  # tidied plain text, one-line and block
        self.once: set[str] = set()  # texts rendered once: planned the second time
        self.checked: dict[str, int] = {}  # source -> spliced fills checked against a plain render

    def render(self, text: Text, context: Mapping[str, Any]) -> str:
        """``authored.render(text, context)``, from the kept results where possible."""
        source = text.source
        plan = self.plans.get(source, _UNSEEN)
        if plan is _UNSEEN:
            if source not in self.once:  # planning costs a parse: a text used once (one memo) is just rendered
                self.once.add(source)
                return authored.render(text, context)
            plan = self.plan_of(source)
        if plan is PLAIN:
            plain = self.plain[text.block]
            done = plain.get(source)
            if done is None:
                done = plain[source] = authored.tidy(text, source)
            return done
        if plan is None:
            return authored.render(text, context)
        try:
            keyed = [_lookup(context, read) for read in plan.keyed]
            values = [context[base][name] for base, name in plan.spliced]
        except (KeyError, TypeError):  # a missing name: a plain render reports it, located
            return authored.render(text, context)
        if plan.spliced and (not all(isinstance(v, str) for v in values)
                             or any(isinstance(v, str) and _MARKER in v for v in keyed)):
            return authored.render(text, context)  # a value that is not text, or that looks like a marker
        key = (text.block, *[_frozen(v) for v in keyed])
        kept_here = self.kept.get(source)
        kept = kept_here.get(key) if kept_here is not None else None
        if kept is None:
            kept = self._fill(text, context, plan, values)
            if kept is None:
                return authored.render(text, context)
            kept_here = self.kept.setdefault(source, {})
            if len(kept_here) < PER_TEXT:
                kept_here[key] = kept
        if not plan.spliced:
            return kept
        return authored.tidy(text, _splice(kept, values))

    def _fill(self, text: Text, context: Mapping[str, Any], plan: Plan, values: list[Any]) -> str | None:
        """What to keep: the tidied output, or with spliced reads the raw output with markers (None: the text
        turned out not to be spliceable, and now never is)."""
        if not plan.spliced:
            return authored.render(text, context)
        marked = {name: dict(value) if name in SPLICEABLE else value for name, value in context.items()}
        for n, (base, name) in enumerate(plan.spliced):
            marked[base][name] = f"\x00\ufdd0{n}\ufdd1\x00"
        raw = authored.render_raw(text, marked)
        checked = self.checked.get(text.source, 0)
        if checked < CHECKS:  # the first few fills of each text are checked against a plain render
            if authored.tidy(text, _splice(raw, values)) != authored.render(text, context):
                self.plans[text.source] = Plan(keyed=plan.keyed + plan.spliced)
                return None
            self.checked[text.source] = checked + 1
        return raw

    def plan_of(self, source: str) -> Plan | None:
        """How ``source``'s output can be kept (None: it cannot, render it every time); planned once."""
        if source in self.plans:
            return self.plans[source]
        plan = plan_of(source)
        self.plans[source] = plan
        return plan


def _splice(raw: str, values: list[Any]) -> str:
    """Put each spliced value where its marker is (one pass: a value is never searched for markers)."""
    return _MARK.sub(lambda m: str(values[int(m.group(1))]), raw)


def _lookup(context: Mapping[str, Any], read: Read) -> Any:
    base, name = read
    return context[base] if name is None else context[base][name]


def _frozen(value: object) -> object:
    """A value as part of a key: with its type (1, 1.0 and True print differently), lists as tuples."""
    if isinstance(value, list):
        return (list, *[_frozen(v) for v in value])
    return (type(value), value)


def plan_of(source: str) -> Plan | None:
    """How ``source``'s output can be kept (None: it cannot, render it every time)."""
    plan: Plan | None = PLAIN
    if authored.is_template(source):
        try:
            plan = _plan(authored.parse_source(source))
        except jinja2.TemplateError:
            plan = None
    return plan


def _plan(tree: nodes.Template) -> Plan | None:
    if any(True for _ in tree.find_all((nodes.EvalContextModifier, nodes.Include, nodes.Import,
                                         nodes.FromImport, nodes.Extends))):
        return None  # autoescape blocks change how values print; other templates read what we cannot see
    printed = {id(node) for node in _printed(tree, captured=False)}
    wrapped: set[int] = set()
    reads: dict[Read, bool] = {}  # read -> only ever printed
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        assert isinstance(node, (nodes.Getattr, nodes.Getitem))
        base = node.node
        if not (isinstance(base, nodes.Name) and base.ctx == "load" and base.name in authored.CONTEXT_NAMES):
            continue
        if isinstance(node, nodes.Getattr):
            if node.attr in _DICT_ATTRIBUTES:
                return None  # answer.items(): a method of the whole mapping, not one value
            read: Read = (base.name, node.attr)
        elif isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
            read = (base.name, node.arg.value)
        else:
            return None  # a computed key could read anything
        reads[read] = reads.get(read, True) and id(node) in printed and base.name in SPLICEABLE
        wrapped.add(id(base))
    for name in tree.find_all(nodes.Name):
        if name.ctx == "load" and name.name in authored.CONTEXT_NAMES and id(name) not in wrapped:
            if name.name not in SCALARS:
                return None  # a whole mapping, passed on or looped over
            reads[(name.name, None)] = False
    return Plan(keyed=tuple(r for r, only_printed in reads.items() if not only_printed),
                spliced=tuple((r[0], r[1]) for r, only_printed in reads.items() if only_printed and r[1] is not None))


def _printed(node: nodes.Node, captured: bool) -> Iterator[nodes.Node]:
    """Expressions printed straight into the output (``{{ x.y }}``), outside any block that captures or
    transforms its output (filter blocks, ``set`` blocks, macros, call blocks)."""
    for child in node.iter_child_nodes():
        if isinstance(node, nodes.Output) and not captured:
            yield child
        yield from _printed(child, captured or isinstance(child, _CAPTURING))
