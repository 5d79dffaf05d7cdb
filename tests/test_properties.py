"""Property tests: both engines are sound against a brute-force oracle over every completion of the unknowns.

Random small rule sets (conditions generated as text, so the parser is exercised too) and random partial
cases. For every conclusion and issue: raised (true) means true in every completion of the unknown facts,
not raised (false) means false in every completion, a fully known case agrees exactly, and durable_rules and
the Python evaluator agree on every value.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
from collections.abc import Mapping
from typing import Any

from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from transferlaw.engine import analysis
from transferlaw.engine import durable as engine
from transferlaw.engine import evaluate
from transferlaw.engine import sensitivity
from transferlaw.engine import trials
from transferlaw.language import conditions
from transferlaw.language.errors import Position
from transferlaw.language.model import And
from transferlaw.language.model import Compare
from transferlaw.language.model import Conclusion
from transferlaw.language.model import Condition
from transferlaw.language.model import Const
from transferlaw.language.model import Contains
from transferlaw.language.model import Expr
from transferlaw.language.model import In
from transferlaw.language.model import Issue
from transferlaw.language.model import Known
from transferlaw.language.model import Not
from transferlaw.language.model import Or
from transferlaw.language.model import Question
from transferlaw.language.model import Ref
from transferlaw.language.model import RuleSet
from transferlaw.language.model import Text

EXAMPLES = int(os.environ.get("TRANSFERLAW_PROPERTY_EXAMPLES", "500"))
P = Position("prop")

DOMAINS: dict[str, list[Any]] = {
    "b0": [True, False],
    "b1": [True, False],
    "b2": [True, False],
    "ch": ["x", "y", "z"],
    "num": [0, 0.5, 1, 1.25, 1.75, 2, 2.5, 3],  # a value in every region the atoms' constants cut [0, 3] into
    "ms": [(), ("p",), ("q",), ("p", "q")],
}
QUESTIONS = (
    Question(id="b0", prompt="b0?", type="boolean", pos=P),
    Question(id="b1", prompt="b1?", type="boolean", pos=P),
    Question(id="b2", prompt="b2?", type="boolean", pos=P),
    Question(id="ch", prompt="ch?", type="choice", choices=(("x", "X"), ("y", "Y"), ("z", "Z")), pos=P),
    Question(id="num", prompt="num?", type="number", min=0, max=3, pos=P),
    Question(id="ms", prompt="ms?", type="multi", choices=(("p", "P"), ("q", "Q")), pos=P),
)

ATOMS = [
    "b0", "b1", "b2", 'ch == "x"', 'ch != "y"', 'ch in ["x", "z"]', 'ch not in ["y"]', "num >= 2", "num < 1",
    "num == 3", "num <= 1.5", "num in [0, 2]", "num != 1", 'ms contains "p"', 'ms contains "q"', "known(b1)",
    "known(num)", "known(ms)", "b0 == false", "true", "false", 'ms contains any ["p", "q"]',
    'ms contains all ["p", "q"]',
]


def condition_text(names: list[str]) -> st.SearchStrategy[str]:
    """Condition source text over the atoms and the given conclusion names."""
    leaves = st.sampled_from(ATOMS + names) if names else st.sampled_from(ATOMS)

    def extend(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.one_of(
            st.builds(lambda a: f"not {a}", children),
            st.builds(lambda a, b: f"({a} and {b})", children, children),
            st.builds(lambda a, b: f"({a} or {b})", children, children),
            st.builds(lambda a, b, c: f"{a} or {b} and {c}", children, children, children),
        )

    return st.recursive(leaves, extend, max_leaves=6)


def _cond(text: str) -> Condition:
    return Condition(text=text, expr=conditions.parse(text), pos=P)


def _text(s: str) -> Text:
    return Text(source=s, pos=P)


@st.composite
def rulesets(draw: st.DrawFn) -> RuleSet:
    conclusions: list[Conclusion] = []
    for n in range(draw(st.integers(0, 3))):
        text = draw(condition_text([c.id for c in conclusions]))
        conclusions.append(Conclusion(id=f"c{n}", title=f"c{n}", when=_cond(text), pos=P))
    issues = []
    for n in range(draw(st.integers(1, 3))):
        text = draw(condition_text([c.id for c in conclusions]))
        issues.append(Issue(id=f"i{n}", title=f"i{n}", area="a", severity="high", when=_cond(text),
                            rule=_text("r"), application=_text("a"), counterargument=_text("c"),
                            conclusion=_text("k"), pos=P))
    return RuleSet(id="prop", title="prop", version="1", as_of=dt.date(2026, 1, 1), jurisdiction="j",
                   description="d", areas=(("a", "A"),), questions=QUESTIONS, conclusions=tuple(conclusions),
                   issues=tuple(issues), authorities=(), path="prop")


@st.composite
def cases(draw: st.DrawFn) -> dict[str, Any]:
    facts: dict[str, Any] = {}
    for name, domain in DOMAINS.items():
        if draw(st.booleans()):
            facts[name] = draw(st.sampled_from(domain))
    return facts


def oracle(expr: Expr, facts: Mapping[str, Any], known: Mapping[str, Any], values: Mapping[str, bool]) -> bool:
    """Two-valued evaluation of a fully known world; known() looks at the original case."""
    if isinstance(expr, Const):
        return expr.value
    if isinstance(expr, Not):
        return not oracle(expr.operand, facts, known, values)
    if isinstance(expr, And):
        return all(oracle(op, facts, known, values) for op in expr.operands)
    if isinstance(expr, Or):
        return any(oracle(op, facts, known, values) for op in expr.operands)
    if isinstance(expr, Known):
        return expr.name in known
    if isinstance(expr, Ref):
        return values[expr.name] if expr.name in values else bool(facts[expr.name])
    value = facts[expr.name]
    if isinstance(expr, In):
        return (value in expr.values) != expr.negated
    if isinstance(expr, Contains):
        return expr.value in value
    assert isinstance(expr, Compare)
    return {"==": value == expr.value, "!=": value != expr.value, "<": value < expr.value,
            "<=": value <= expr.value, ">": value > expr.value, ">=": value >= expr.value}[expr.op]


def completions(facts: Mapping[str, Any]) -> list[dict[str, Any]]:
    unknown = [name for name in DOMAINS if name not in facts]
    worlds = []
    for combo in itertools.product(*(DOMAINS[name] for name in unknown)):
        world = dict(facts)
        world.update(zip(unknown, combo, strict=True))
        worlds.append(world)
    return worlds


def world_values(ruleset: RuleSet, world: Mapping[str, Any], known: Mapping[str, Any]) -> dict[str, bool]:
    values: dict[str, bool] = {}
    for c in ruleset.conclusions:
        values[c.id] = oracle(c.when.expr, world, known, values)
    for i in ruleset.issues:
        values[i.id] = oracle(i.when.expr, world, known, values)
    return values


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ruleset=rulesets(), facts=cases())
def test_engines_are_sound_and_agree(ruleset: RuleSet, facts: dict[str, Any]) -> None:
    """Raised/true holds in every completion, not raised/false in none; exact when fully known; engines agree."""
    python = evaluate.decide(ruleset, facts, "python")
    if engine.available():
        durable = evaluate.decide(ruleset, facts, "durable")
        assert durable == python, (durable, python)
    worlds = [world_values(ruleset, world, facts) for world in completions(facts)]
    for ident, value in python.items():
        outcomes = {w[ident] for w in worlds}
        if value is True:
            assert outcomes == {True}, ident
        elif value is False:
            assert outcomes == {False}, ident
    if len(worlds) == 1:
        assert python == worlds[0]


@settings(max_examples=max(50, EXAMPLES // 5), deadline=None)
@given(ruleset=rulesets(), facts=cases())
def test_missing_facts_can_decide_the_issue(ruleset: RuleSet, facts: dict[str, Any]) -> None:
    """Every missing fact reported for an undetermined issue is unknown, and some answer to it matters."""
    from transferlaw.language.model import Case

    result = evaluate.evaluate(ruleset, Case(ruleset="prop", title="t", facts=facts), "python")
    for finding in result.findings:  # the explanation tree's root agrees with the finding
        assert evaluate.status_of(finding.explanation.value) == finding.status
    for finding in result.findings:
        if finding.status != "undetermined":
            assert finding.missing == ()
            continue
        for name in finding.missing:
            assert name not in facts
        decides = [name for name in finding.missing
                   if any(evaluate.decide(ruleset, {**facts, name: v}, "python")[finding.issue.id] is not None
                          for v in DOMAINS[name])]
        assert decides == list(finding.missing) or not decides
    for question in result.open_questions:
        assert question.question.id not in facts
        assert question.decides


def _trial(facts: Mapping[str, Any], name: str, answer: Any) -> dict[str, Any]:
    changed = dict(facts)
    if answer is None:
        changed.pop(name, None)
    else:
        changed[name] = answer
    return changed


@settings(max_examples=max(100, EXAMPLES // 2), deadline=None)
@given(ruleset=rulesets(), facts=cases())
def test_trials_equal_evaluating_every_trial(ruleset: RuleSet, facts: dict[str, Any]) -> None:
    """The bit-parallel trials give, for every one-fact change, exactly what evaluating the changed facts gives."""
    found = trials.build(ruleset).outcomes(facts)
    assert len(found.layout.trials) == sum(len(trials.domain(q, ruleset)) + 1 for q in ruleset.questions)
    for n, (name, answer) in enumerate(found.layout.trials):
        expected = evaluate.decide(ruleset, _trial(facts, name, answer), "python")
        assert {ident: found.value(ident, 1 << n) for ident in expected} == expected, (name, answer)


@settings(max_examples=max(100, EXAMPLES // 2), deadline=None)
@given(ruleset=rulesets(), facts=cases())
def test_sensitivity_and_open_questions_equal_re_evaluation(ruleset: RuleSet, facts: dict[str, Any]) -> None:
    """Fact sensitivity and the deciders of open questions equal a plain loop that evaluates every trial."""
    base = evaluate.decide(ruleset, facts, "python")
    issues = [i.id for i in ruleset.issues]
    expected_sensitivity = []
    expected_deciders = {}
    for question in ruleset.questions:
        answered = question.id in facts
        tries = [v for v in trials.domain(question, ruleset) if v != facts.get(question.id)]
        alternatives = []
        for value in [*tries, None] if answered else tries:
            after = evaluate.decide(ruleset, _trial(facts, question.id, value), "python")
            changed = [(i, evaluate.status_of(base[i]), evaluate.status_of(after[i]))
                       for i in issues if after[i] is not base[i]]
            if changed:
                alternatives.append((value, changed))
        if alternatives:
            expected_sensitivity.append((question.id, answered, alternatives))
        if not answered:
            decided = [i for i in issues if base[i] is None and any(
                evaluate.decide(ruleset, {**facts, question.id: v}, "python")[i] is not None for v in tries)]
            if decided:
                expected_deciders[question.id] = decided
    found = sensitivity.sensitivity(ruleset, facts)
    assert [(f.question, f.answered, [(a.value, [(c.issue, c.before, c.after) for c in a.changes])
                                      for a in f.alternatives]) for f in found] == expected_sensitivity
    assert analysis.deciders(ruleset, facts, base, frozenset()) == expected_deciders
