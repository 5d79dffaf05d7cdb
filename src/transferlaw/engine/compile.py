"""Compile a rule set into durable_rules JSON rules, keeping three values inside the engine (pure data).

Every conclusion and issue ``X`` with condition ``C`` becomes rules for T(C), "definitely true", and F(C),
"definitely false" (design.md): T(a and b) = T(a) and T(b), F(a and b) = F(a) or F(b), T(not a) = F(a), and a
comparison only matches a fact that is present. Neither firing means unknown. Conditions that use
conclusions are put in disjunctive normal form over the conclusions, and every term becomes one rule that
joins the case fact with constant-only patterns on derived facts ``{kind: derived, name, value}``.

Only a small whitelisted subset of durable's JSON language is emitted, and the engine limits measured in
``durable-rules.md`` §3 (kept in :mod:`transferlaw.language.limits`, with margins) are checked here, so no rule set
reaches a crash or a hang in the engine. Each limit is reported at the condition whose rules go past it. This
module never imports durable.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from ..language.errors import CompileError
from ..language.errors import Diagnostic
from ..language.errors import Position
from ..language.limits import MAX_FACT_KEYS
from ..language.limits import MAX_GROUPS as MAX_GROUPS
from ..language.limits import MAX_JOIN
from ..language.limits import MAX_RULES
from ..language.limits import MAX_STACK
from ..language.limits import MAX_TERMS
from ..language.model import And
from ..language.model import Compare
from ..language.model import Condition
from ..language.model import Const
from ..language.model import Contains
from ..language.model import Expr
from ..language.model import In
from ..language.model import Known
from ..language.model import Not
from ..language.model import Or
from ..language.model import Ref
from ..language.model import RuleSet
from ..language.visitor import Visitor
from ..language.visitor import names
from . import fanout
from . import logic
from .compiled import INIT
from .compiled import SENTINEL
from .compiled import SENTINEL_PRI
from .compiled import CompiledRuleSet

_NEGATE = {"==": "$neq", "!=": "$eq", "<": "$gte", "<=": "$gt", ">": "$lte", ">=": "$lt"}
_OPERATOR = {"==": "$eq", "!=": "$neq", "<": "$lt", "<=": "$lte", ">": "$gt", ">=": "$gte"}
WHITELIST = frozenset({"$and", "$or", "$eq", "$neq", "$lt", "$lte", "$gt", "$gte", "$ex", "$nex",
                       "$iany", "$iall", "$i"})

# A formula is a nested tuple: ("case", json) | ("derived", name, bool) | ("and", parts) |
# ("or", parts) | ("true",) | ("false",)
Formula = tuple[Any, ...]
TRUE: Formula = ("true",)
FALSE: Formula = ("false",)


def _atom(json_expr: dict[str, Any]) -> Formula:
    return ("case", json.dumps(json_expr, sort_keys=True))


def _derived(name: str, value: bool) -> Formula:
    return ("derived", name, value)


def _and(parts: list[Formula]) -> Formula:
    flat: list[Formula] = []
    for part in parts:
        if part == FALSE:
            return FALSE
        if part == TRUE:
            continue
        flat.extend(part[1] if part[0] == "and" else [part])
    flat = list(dict.fromkeys(flat))  # a repeated test would be a repeated node in the engine
    if not flat:
        return TRUE
    return flat[0] if len(flat) == 1 else ("and", tuple(flat))


def _or(parts: list[Formula]) -> Formula:
    flat: list[Formula] = []
    for part in parts:
        if part == TRUE:
            return TRUE
        if part == FALSE:
            continue
        flat.extend(part[1] if part[0] == "or" else [part])
    flat = list(dict.fromkeys(flat))  # repeated alternatives would each be pushed on the engine's walk stack
    if not flat:
        return FALSE
    return flat[0] if len(flat) == 1 else ("or", tuple(flat))


class _Truth(Visitor[logic.Pair[Formula]]):
    """A condition into its pair (T, F) of formulas: the Kleene connectives of :mod:`transferlaw.engine.logic`
    with meet :func:`_and` and join :func:`_or`; a test only matches a fact that is present."""

    def __init__(self, conclusions: frozenset[str]) -> None:
        self.conclusions = conclusions

    def visit_const(self, expr: Const) -> logic.Pair[Formula]:
        return logic.pair_of(expr.value, TRUE, FALSE)

    def visit_not(self, expr: Not) -> logic.Pair[Formula]:
        return logic.pair_not(self.visit(expr.operand))

    def visit_junction(self, expr: And | Or, conjunction: bool) -> logic.Pair[Formula]:
        combine = logic.pair_and if conjunction else logic.pair_or
        return combine([self.visit(op) for op in expr.operands], _and, _or)

    def visit_ref(self, expr: Ref) -> logic.Pair[Formula]:
        name = expr.name
        if name in self.conclusions:
            return _derived(name, True), _derived(name, False)
        return _atom({name: True}), _atom({name: False})

    def visit_known(self, expr: Known) -> logic.Pair[Formula]:
        return _atom({"$ex": {expr.name: 1}}), _atom({"$nex": {expr.name: 1}})

    def visit_compare(self, expr: Compare) -> logic.Pair[Formula]:
        name, value = expr.name, expr.value
        true = _atom({name: value}) if expr.op == "==" else _atom({_OPERATOR[expr.op]: {name: value}})
        return true, _atom({_NEGATE[expr.op]: {name: value}})

    def visit_in(self, expr: In) -> logic.Pair[Formula]:
        positive = _or([_atom({expr.name: v}) for v in expr.values])
        negative = _and([_atom({"$neq": {expr.name: v}}) for v in expr.values])
        return (negative, positive) if expr.negated else (positive, negative)

    def visit_contains(self, expr: Contains) -> logic.Pair[Formula]:
        name, choice = expr.name, expr.value
        return _atom({"$iany": {name: {"$i": choice}}}), _atom({"$iall": {name: {"$neq": {"$i": choice}}}})


def truths(expr: Expr, conclusions: frozenset[str]) -> logic.Pair[Formula]:
    """(T(expr), F(expr))."""
    return _Truth(conclusions).visit(expr)


def truth(expr: Expr, want: bool, conclusions: frozenset[str]) -> Formula:
    """T(expr) when ``want`` is True, F(expr) otherwise."""
    return truths(expr, conclusions)[0 if want else 1]


Term = tuple[frozenset[tuple[str, bool]], Formula]


def dnf(formula: Formula, limit: int = MAX_TERMS) -> list[Term] | None:
    """Disjunctive normal form over derived atoms; case-only sub-formulas stay whole.

    Returns a list of (derived literals, case formula) or None if it exceeds ``limit`` terms.
    """
    result = _dnf(formula, limit)
    if result is None:
        return None
    terms: dict[frozenset[tuple[str, bool]], Formula] = {}
    for literals, case in result:
        names = [name for name, _ in literals]
        if len(names) != len(set(names)):
            continue  # needs a conclusion both true and false: never fires
        terms[literals] = _or([terms[literals], case]) if literals in terms else case
    return list(terms.items())


def _dnf(f: Formula, limit: int) -> list[Term] | None:
    tag = f[0]
    if tag == "false":
        return []
    if tag in ("true", "case"):
        return [(frozenset(), f)]
    if tag == "derived":
        return [(frozenset({(f[1], f[2])}), TRUE)]
    if _pure_case(f):
        return [(frozenset(), f)]
    if tag == "or":
        out: list[Term] = []
        for part in f[1]:
            sub = _dnf(part, limit)
            if sub is None:
                return None
            out.extend(sub)
            if len(out) > limit:
                return None
        return out
    acc: list[Term] = [(frozenset(), TRUE)]
    for part in f[1]:
        sub = _dnf(part, limit)
        if sub is None:
            return None
        acc = [(a | b, _and([ca, cb])) for a, ca in acc for b, cb in sub]
        if len(acc) > limit:
            return None
    return acc


def _pure_case(f: Formula) -> bool:
    tag = f[0]
    if tag in ("case", "true", "false"):
        return True
    if tag == "derived":
        return False
    return all(_pure_case(p) for p in f[1])


def case_json(f: Formula) -> dict[str, Any] | None:
    """The durable expression of a case-only formula (None for TRUE)."""
    tag = f[0]
    if tag == "true":
        return None
    if tag == "case":
        return json.loads(f[1])  # type: ignore[no-any-return]
    parts = [case_json(p) for p in f[1]]
    return {"$and" if tag == "and" else "$or": [p for p in parts if p is not None]}


def _groups(expr: Any) -> int:
    if isinstance(expr, dict):
        here = 1 if any(k in ("$and", "$or") for k in expr) else 0
        return here + sum(_groups(v) for v in expr.values())
    if isinstance(expr, list):
        return sum(_groups(v) for v in expr)
    return 0


def _split_case(f: Formula) -> list[Formula]:
    """Split a case formula that nests too deeply for one durable pattern into alternatives that do not.

    Only as far as needed: an ``or`` is split into its branches; in an ``and``, the ``or`` conjunct with the
    most groups is distributed over the rest; each piece is split again only if it is still too deep.
    """
    expr = case_json(f)
    if expr is None or _groups(expr) <= MAX_GROUPS:
        return [f]
    if f[0] == "or":
        out = []
        for part in f[1]:
            out.extend(_split_case(part))
            if len(out) > MAX_TERMS:
                break
        return out
    if f[0] != "and":
        return [f]
    parts = list(f[1])
    ors = [i for i, p in enumerate(parts) if p[0] == "or"]
    if not ors:
        return [f]
    widest = max(ors, key=lambda i: _groups(case_json(parts[i])))
    rest = parts[:widest] + parts[widest + 1:]
    out = []
    for branch in parts[widest][1]:
        out.extend(_split_case(_and([*rest, branch])))
        if len(out) > MAX_TERMS:
            break
    return out


class _Emitter:
    def __init__(self, ruleset: RuleSet) -> None:
        self.ruleset = ruleset
        self.conclusions = frozenset(c.id for c in ruleset.conclusions)
        self.rules: dict[str, dict[str, Any]] = {}
        self.actions: dict[str, tuple[str, bool]] = {}
        self.derived: set[tuple[str, bool]] = set()

    def fail(self, cond: Condition, message: str, hint: str | None = None) -> CompileError:
        return CompileError(Diagnostic(cond.pos, message, hint))

    def target(self, ident: str, cond: Condition) -> None:
        for want, formula in zip((True, False), truths(cond.expr, self.conclusions), strict=True):
            terms = dnf(formula)
            if terms is None:
                raise self.fail(cond, f"the condition of '{ident}' is too complex for the rules engine "
                                f"(more than {MAX_TERMS} alternatives)",
                                "move part of it into a conclusion")
            for literals, case in terms:
                for case_part in self.patterns(ident, cond, case):
                    self.emit(ident, want, cond, sorted(literals), case_part)

    def patterns(self, ident: str, cond: Condition, case: Formula) -> list[dict[str, Any] | None]:
        expr = case_json(case)
        if expr is None or _groups(expr) <= MAX_GROUPS:
            return [expr]
        parts = _split_case(case)
        if len(parts) > MAX_TERMS:
            raise self.fail(cond, f"the condition of '{ident}' is too complex for the rules engine",
                            "move part of it into a conclusion")
        out = [case_json(p) for p in parts]
        if any(e is not None and _groups(e) > MAX_GROUPS for e in out):
            raise self.fail(cond, f"the condition of '{ident}' nests too deeply for the rules engine",
                            "move part of it into a conclusion")
        return out

    def emit(self, ident: str, want: bool, cond: Condition, literals: list[tuple[str, bool]],
             case: dict[str, Any] | None) -> None:
        if len(literals) + 1 > MAX_JOIN:  # the case fact and the conclusions' derived facts
            raise self.fail(cond, f"the condition of '{ident}' joins {len(literals)} conclusions in one "
                            f"alternative; the rules engine joins at most {MAX_JOIN - 1}",
                            "combine some of them into one conclusion")
        patterns: list[dict[str, Any]] = []
        if case is not None or not literals:
            conjuncts: list[dict[str, Any]] = [{"kind": "case"}]
            if case is not None:
                conjuncts.extend(case["$and"] if "$and" in case else [case])
            patterns.append({"c": {"$and": conjuncts} if len(conjuncts) > 1 else conjuncts[0]})
        for index, (name, value) in enumerate(literals):
            self.derived.add((name, value))
            patterns.append({f"d{index}": {"$and": [{"kind": "derived"}, {"name": name},
                                                    {"value": value}]}})
        if len(self.rules) + 2 >= MAX_RULES:  # the sentinel and init rules come last
            raise self.fail(cond, f"the rule set needs more than {MAX_RULES:,} engine rules; they run out at the "
                            f"condition of '{ident}'", "simplify conditions (each alternative is a rule), or split "
                            "the rule set")
        name = f"{'T' if want else 'F'}.{ident}.{len(self.rules)}"
        self.rules[name] = {"all": patterns}
        self.actions[name] = (ident, want)


def _fixed() -> dict[str, dict[str, Any]]:
    """The rules every compiled rule set ends with (see :mod:`transferlaw.engine.compiled`)."""
    return {SENTINEL: {"pri": SENTINEL_PRI, "all": [{"m": {"kind": "case"}}]}, INIT: {"all": [{"m": {"kind": "init"}}]}}


def compile_ruleset(ruleset: RuleSet) -> CompiledRuleSet:
    """Compile ``ruleset``; raise :class:`CompileError`, at the condition that goes past it, if it exceeds an
    engine limit."""
    emitter = _Emitter(ruleset)
    targets = [(c.id, c.when) for c in ruleset.conclusions] + [(i.id, i.when) for i in ruleset.issues]
    failed: list[Diagnostic] = []
    for ident, cond in targets:
        try:
            emitter.target(ident, cond)
        except CompileError as exc:  # go on: every condition past a limit is reported at once
            failed.extend(exc.diagnostics)
            if len(emitter.rules) + 2 >= MAX_RULES:  # out of rules: the ones after would all say so
                break
    if failed:
        raise CompileError(failed)
    rules, buckets = fanout.add_buckets(emitter.rules)
    rules.update(_fixed())
    attributes = _attributes(ruleset, targets, len(buckets))
    lists = frozenset(q.id for q in ruleset.questions if q.type == "multi" and q.id in attributes)
    check_limits(rules, dict(targets), emitter.actions, ruleset)
    bound = fanout.stack_bound(rules, buckets)
    if bound > MAX_STACK:
        message = (f"a case could match {bound} tests at once in the rules engine, more than {MAX_STACK} (it fails "
                   f"beyond {fanout.STACK})")
        rule, weight = fanout.heaviest(rules)
        if weight > fanout.GROUP and rule in emitter.actions:  # mostly one condition's doing: point at it
            ident = emitter.actions[rule][0]
            raise CompileError(Diagnostic(dict(targets)[ident].pos, f"with the condition of '{ident}', {message}",
                                          "an 'or' of many different questions matches many tests at once: split "
                                          "it into conclusions"))
        raise CompileError(Diagnostic(Position(ruleset.path or ruleset.id), f"the rule set's conditions are too "
                                      f"broad: {message}", "split the rule set or simplify conditions"))
    digest = hashlib.sha256(json.dumps(rules, sort_keys=True).encode()).hexdigest()[:12]
    return CompiledRuleSet(
        name=f"{ruleset.id}@{digest}", rules=rules, actions=emitter.actions,
        derived=frozenset(emitter.derived), attributes=attributes, lists=lists, buckets=buckets,
    )


def _attributes(ruleset: RuleSet, targets: list[tuple[str, Condition]], buckets: int) -> tuple[str, ...]:
    """The questions conditions read (the case fact's keys, with sid, kind and the bucket tests), in order.

    :raises CompileError: at the condition that reads one question too many for the engine's fact.
    """
    allowed = MAX_FACT_KEYS - 2 - buckets
    found: dict[str, None] = {}
    for ident, cond in targets:
        found.update((n, None) for n in names(cond.expr) if n in ruleset.question_by_id)
        if len(found) > allowed:
            raise CompileError(Diagnostic(cond.pos, f"with the condition of '{ident}', conditions read "
                                          f"{len(found)} questions; the rules engine takes at most {allowed}",
                                          "test fewer questions in conditions, or split the rule set"))
    return tuple(sorted(found))


def check_limits(rules: dict[str, dict[str, Any]], conditions: dict[str, Condition],
                 actions: dict[str, tuple[str, bool]], ruleset: RuleSet) -> None:
    """Check the generated rules against the operator whitelist and the sizes of durable's alpha network.

    :raises CompileError: at the condition of the first rule that durable could not take.
    """
    for rule in rules.values():
        for pattern in rule["all"]:
            _check_operators(list(pattern.values())[0])
    found = fanout.overflow(rules)
    if found is not None:
        ident = actions[found.rule][0] if found.rule in actions else None
        if ident is None or ident not in conditions:
            raise CompileError(Diagnostic(Position(ruleset.path or ruleset.id), found.message, found.hint))
        raise CompileError(Diagnostic(conditions[ident].pos, f"with the condition of '{ident}', {found.message}",
                                      found.hint))


def _check_operators(expr: Any) -> None:
    """Refuse anything outside the whitelist (a typo'd operator crashes the engine)."""
    if isinstance(expr, dict):
        if len(expr) != 1:
            raise AssertionError(f"expression objects have exactly one key: {expr}")
        for key, value in expr.items():
            if key.startswith("$") and key not in WHITELIST:
                raise AssertionError(f"operator {key} is not whitelisted")
            _check_operators(value)
    elif isinstance(expr, list):
        for item in expr:
            _check_operators(item)
    elif isinstance(expr, float) and ("e" in repr(expr) or expr != expr):
        raise AssertionError(f"literal {expr!r} cannot be sent to the engine")
