"""Tests for compile: T/F compilation, DNF over conclusions, and the engine limits (no engine started)."""

from __future__ import annotations

import dataclasses

import pytest

from transferlaw.engine.compile import MAX_GROUPS
from transferlaw.engine.compile import WHITELIST
from transferlaw.engine.compile import _check_operators
from transferlaw.engine.compile import _groups
from transferlaw.engine.compile import compile_ruleset
from transferlaw.engine.compile import dnf
from transferlaw.engine.compile import truth
from transferlaw.language import conditions
from transferlaw.language.errors import CompileError
from transferlaw.language.errors import Position
from transferlaw.language.model import Condition
from transferlaw.language.model import Question
from transferlaw.language.model import RuleSet


def test_atoms_compile_to_true_and_false_patterns() -> None:
    """x == v is {x: v} when true and $neq when false; not swaps them."""
    expr = conditions.parse('custodian == "state"')
    assert truth(expr, True, frozenset()) == ("case", '{"custodian": "state"}')
    assert truth(expr, False, frozenset()) == ("case", '{"$neq": {"custodian": "state"}}')
    negated = conditions.parse('not custodian == "state"')
    assert truth(negated, True, frozenset()) == truth(expr, False, frozenset())


def test_in_and_contains_compile_with_empty_list_companion() -> None:
    """'in' is an $or of equalities; F(contains) is one $iall test (lists carry a marker, never empty)."""
    t = truth(conditions.parse('c in ["a", "b"]'), True, frozenset())
    assert t[0] == "or" and len(t[1]) == 2
    f = truth(conditions.parse('m contains "x"'), False, frozenset())
    assert f == ("case", '{"$iall": {"m": {"$neq": {"$i": "x"}}}}')


def test_dnf_expands_only_over_conclusions() -> None:
    """Case-only sub-formulas stay whole; conclusions split the condition into join terms."""
    expr = conditions.parse("(p or q) and (a or b)")
    terms = dnf(truth(expr, True, frozenset({"p", "q"})))
    assert terms is not None
    assert sorted(sorted(lits) for lits, _ in terms) == [[("p", True)], [("q", True)]]
    for _, case in terms:
        assert case[0] == "or"


def test_contradictory_terms_are_dropped() -> None:
    """A term needing a conclusion both true and false can never fire, so it is not emitted."""
    expr = conditions.parse("p and not p")
    assert dnf(truth(expr, True, frozenset({"p"}))) == []


def test_compiled_rules_use_only_whitelisted_operators(mini: RuleSet) -> None:
    """Every operator the compiler emits is on the whitelist, and no priority is negative."""
    compiled = compile_ruleset(mini)
    text = repr(compiled.rules)
    for token in ("$in", "$not", "$any", "$mt", '"any"'):
        assert token not in text
    for rule in compiled.rules.values():
        _check_operators(rule["all"])
        assert rule.get("pri", 0) >= 0
        assert set(rule) <= {"all", "pri"}
    assert all(op in WHITELIST for op in ("$and", "$or", "$neq"))


def test_sentinel_rule_runs_last(mini: RuleSet) -> None:
    """The sentinel matches every case and has the highest priority number (runs last)."""
    compiled = compile_ruleset(mini)
    assert compiled.rules["sentinel"] == {"pri": 1000, "all": [{"m": {"kind": "case"}}]}
    assert compiled.rules["init"] == {"all": [{"m": {"kind": "init"}}]}


def test_compiled_name_is_content_hashed(mini: RuleSet) -> None:
    """The same rule set compiles to the same name; a changed condition to another."""
    first = compile_ruleset(mini).name
    assert first == compile_ruleset(mini).name
    assert first.startswith("mini@") and "$" not in first
    issue = dataclasses.replace(mini.issues[0], when=Condition(text="citizen", expr=conditions.parse("citizen"),
                                                              pos=Position("x")))
    changed = dataclasses.replace(mini, issues=(issue, *mini.issues[1:]))
    assert compile_ruleset(changed).name != first


def test_typo_operator_is_refused() -> None:
    """An operator outside the whitelist (which would crash durable) is refused before registration."""
    with pytest.raises(AssertionError):
        _check_operators({"$in": {"x": "A"}})
    with pytest.raises(AssertionError):
        _check_operators({"$lt": {"x": 5}, "$gt": {"x": 1}})


def _wide_ruleset(n: int) -> RuleSet:
    """A rule set with one number question and n conclusions on distinct thresholds."""
    from transferlaw.language.model import Conclusion

    question = Question(id="x", prompt="x?", type="number", pos=Position("t"))
    conclusions = tuple(
        Conclusion(id=f"c{i}", title=f"c{i}", when=Condition(text=f"x == {i}", expr=conditions.parse(f"x == {i}"),
                                                             pos=Position("t", i + 1, 1)), pos=Position("t"))
        for i in range(n)
    )
    return RuleSet(id="wide", title="w", version="1", as_of=__import__("datetime").date(2026, 1, 1),
                   jurisdiction="j", description="d", areas=(("a", "A"),), questions=(question,),
                   conclusions=conclusions, issues=(), authorities=(), path="wide")


def test_many_distinct_patterns_fit_under_bucket_tests() -> None:
    """Distinct patterns are spread under bucket tests, so no node of the network nears its 512 children."""
    compiled = compile_ruleset(_wide_ruleset(1000))
    assert len(compiled.rules) == 2002 and compiled.buckets


def test_too_many_tests_after_one_test_is_a_located_compile_error_not_a_hang() -> None:
    """More than the alpha-node fan-out limit (512 in durable, which hangs) is refused at the condition."""
    ruleset = _wide_ruleset(3)
    values = ", ".join(str(v) for v in range(600))
    cond = Condition(text=f"x in [{values}]", expr=conditions.parse(f"x in [{values}]"), pos=Position("t", 9, 5))
    wide = dataclasses.replace(ruleset.conclusions[1], when=cond)
    ruleset = dataclasses.replace(ruleset, conclusions=(ruleset.conclusions[0], wide, ruleset.conclusions[2]))
    with pytest.raises(CompileError) as info:
        compile_ruleset(ruleset)
    assert info.value.diagnostic.pos == Position("t", 9, 5)
    assert "with the condition of 'c1', more than 480 different tests follow one test" in str(info.value)


def test_deep_case_patterns_are_split() -> None:
    """A case pattern with more $and/$or groups than durable takes is split into several rules."""
    clauses = " and ".join(f'(c == "a" or n == {i})' for i in range(20))
    expr = conditions.parse(clauses)
    assert _groups({"$and": [{"$or": [1, 2]}] * 20}) > MAX_GROUPS
    question_c = Question(id="c", prompt="c?", type="choice", choices=(("a", "A"), ("b", "B")), pos=Position("t"))
    question_n = Question(id="n", prompt="n?", type="number", pos=Position("t"))
    from transferlaw.language.model import Conclusion

    conclusion = Conclusion(id="deep", title="deep", when=Condition(text=clauses, expr=expr, pos=Position("t")),
                            pos=Position("t"))
    ruleset = RuleSet(id="deep", title="d", version="1", as_of=__import__("datetime").date(2026, 1, 1),
                      jurisdiction="j", description="d", areas=(("a", "A"),), questions=(question_c, question_n),
                      conclusions=(conclusion,), issues=(), authorities=(), path="deep")
    with pytest.raises(CompileError, match="too complex|nests too deeply"):
        compile_ruleset(ruleset)


def test_too_many_attributes_is_a_compile_error() -> None:
    """Trap 11: a case fact over the engine's 253-key limit is refused when the rule set compiles."""
    from transferlaw.language.model import Conclusion

    questions = tuple(Question(id=f"q{i}", prompt="?", type="boolean", pos=Position("t")) for i in range(260))
    conclusions = tuple(
        Conclusion(id=f"c{i}", title="c", when=Condition(text=f"q{i}", expr=conditions.parse(f"q{i}"),
                                                        pos=Position("t")), pos=Position("t"))
        for i in range(260)
    )
    ruleset = RuleSet(id="many", title="m", version="1", as_of=__import__("datetime").date(2026, 1, 1),
                      jurisdiction="j", description="d", areas=(("a", "A"),), questions=questions,
                      conclusions=conclusions, issues=(), authorities=(), path="many")
    with pytest.raises(CompileError, match="questions; the rules engine takes at most"):
        compile_ruleset(ruleset)
