"""Tests for the durable_rules adapter: every trap in durable-rules.md §7, crash-prone ones in a subprocess."""

from __future__ import annotations

import dataclasses
import warnings

import pytest

from transferlaw.engine import durable as engine
from transferlaw.engine import evaluate
from transferlaw.engine.compile import compile_ruleset
from transferlaw.engine.compiled import CompiledRuleSet
from transferlaw.engine.workspace import Workspace
from transferlaw.language import conditions
from transferlaw.language.errors import EngineError
from transferlaw.language.errors import Position
from transferlaw.language.errors import ValidationFailed
from transferlaw.language.model import Condition
from transferlaw.language.model import RuleSet
from transferlaw.language.validate_case import case_from_mapping
from transferlaw.language.yamlio import load_text

from .conftest import run_isolated

pytestmark = pytest.mark.skipif(not engine.available(), reason="durable_rules is not importable here")


def _engine(ruleset: RuleSet) -> engine.DurableEngine:
    return engine.DurableEngine(compile_ruleset(ruleset))


def test_durable_rules_engine_imports() -> None:
    """Trap 1: pip can 'succeed' on a Python where the C module then fails to import; here it imports."""
    import durable_rules_engine  # noqa: F401

    assert engine.IMPORT_ERROR is None


def test_no_deprecation_warning_from_actions(mini: RuleSet) -> None:
    """Trap 2: durable's own dispatcher warns on every action (utcfromtimestamp); our loop never calls it."""
    eng = _engine(mini)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert eng.decide({"citizen": True, "custodian": "federal"})["exile"] is True
    eng.close()


def test_more_than_1024_sequential_cases(mini: RuleSet) -> None:
    """Trap 3: every sid is deleted, so 1,100 cases in a row never reach the 1,024 live-sid limit."""
    eng = _engine(mini)
    for n in range(1100):
        eng.decide({"citizen": n % 2 == 0, "custodian": "state"})
    eng.close()


def test_case_where_no_rule_but_the_sentinel_fires(mini: RuleSet) -> None:
    """Traps 3 and 5: an empty case fires only the sentinel; its state is deleted without a crash."""
    eng = _engine(mini)
    assert eng.decide({}) == {"long_sentence": False}  # known(notice_date) is false, nothing else decided
    assert eng.decide({}) == {"long_sentence": False}
    eng.close()


def test_live_sids_deleted_in_any_order_do_not_crash() -> None:
    """Trap 4: with the threads-off host, many live sids deleted oldest-first survive (default host crashes)."""
    result = run_isolated("""
        import json, random
        from transferlaw import api
        from transferlaw.engine import durable as engine
        from transferlaw.engine.compile import compile_ruleset
        rs = api.load_ruleset("tests/data/rules/mini")
        eng = engine.DurableEngine(compile_ruleset(rs))
        import durable_rules_engine as dre
        sids = [str(1000 + i) for i in range(200)]
        for sid in sids:
            fact = eng.fact({"citizen": True, "custodian": "state"}, sid)
            code, state = dre.assert_fact(eng._handle, json.dumps(fact))
            started = dre.start_action_for_state(eng._handle, state)
            msg = started[1] if started else None
            while msg:
                msg = dre.complete_and_start_action(eng._handle, state)
        random.Random(4).shuffle(sids)
        for sid in sids:
            dre.delete_state(eng._handle, sid)
        print("survived")
    """)
    assert result.returncode == 0, result.stderr
    assert "survived" in result.stdout


def _ruleset(mini: RuleSet, **conditions_by_id: str) -> RuleSet:
    """The mini rule set with some issue conditions replaced."""
    issues = []
    for issue in mini.issues:
        text = conditions_by_id.get(issue.id)
        if text is not None:
            issue = dataclasses.replace(issue, when=Condition(text=text, expr=conditions.parse(text),
                                                              pos=Position("t")))
        issues.append(issue)
    return dataclasses.replace(mini, issues=tuple(issues))


def test_or_branches_and_dnf_terms_fire_idempotently(mini: RuleSet) -> None:
    """Trap 6: a rule fires once per satisfied $or branch and once per DNF term; the result is recorded once."""
    rs = _ruleset(mini, exile='citizen or custodian == "state" or government_custody or protected')
    eng = _engine(rs)
    values = eng.decide({"citizen": True, "custodian": "state", "conditions": ("no_visits",)})
    assert values["exile"] is True
    eng.close()


def test_conflicting_true_and_false_is_detected(mini: RuleSet) -> None:
    """Trap 7: if the engine ever proves one id both true and false, that is an EngineError, not a memo."""
    compiled = compile_ruleset(mini)
    broken = CompiledRuleSet(
        name=compiled.name + "-broken",
        rules={**compiled.rules, "T.x": {"all": [{"c": {"kind": "case"}}]}, "F.x": {"all": [{"c": {"kind": "case"}}]}},
        actions={**compiled.actions, "T.x": ("exile", True), "F.x": ("exile", False)},
        derived=compiled.derived, attributes=compiled.attributes, lists=compiled.lists,
    )
    eng = engine.DurableEngine(broken)
    with pytest.raises(EngineError, match="both true and false"):
        eng.decide({})
    with pytest.raises(EngineError, match="both true and false"):  # state deleted: same error, not a crash
        eng.decide({})
    eng.close()


def test_empty_list_is_definitely_not_containing(mini: RuleSet) -> None:
    """Trap 8: $iall is false on an empty list; the length companion makes 'not contains' true for []."""
    eng = _engine(mini)
    assert eng.decide({"conditions": ()}).get("protected") is None  # citizen unknown
    assert eng.decide({"conditions": (), "citizen": False})["protected"] is False
    assert eng.decide({"conditions": ("no_visits",), "citizen": False})["protected"] is True
    eng.close()


def _case_error(mini: RuleSet, facts_yaml: str) -> str:
    doc = load_text(f"ruleset: mini\ntitle: t\nfacts:\n{facts_yaml}", "case.yaml")
    with pytest.raises(ValidationFailed) as info:
        case_from_mapping(doc.root, mini, "case.yaml")
    return str(info.value)


@pytest.mark.parametrize(
    ("facts", "message"),
    [
        ("  conditions: no_visits\n", "takes a list of choices"),
        ("  months_left: '9'\n", "takes a number"),
        ("  citizen: 1\n", "takes true, false or unknown"),
        ("  months_left: 1.0e+20\n", "out of range"),
        ("  months_left: 0.0000001\n", "too small"),
        ("  months_left: 9223372036854775808\n", "out of range"),
        ("  custodian: 1\n", "is not a choice"),
    ],
)
def test_type_confusion_is_refused_before_the_engine(mini: RuleSet, facts: str, message: str) -> None:
    """Traps 8-9: scalars for lists, numeric strings, 1 for true, exponent and huge numbers never reach durable."""
    assert message in _case_error(mini, facts)


def test_engine_refuses_values_it_would_compare_wrongly(mini: RuleSet) -> None:
    """Traps 9-10: the adapter's own check refuses huge ints, exponent floats and over-long strings."""
    eng = _engine(mini)
    with pytest.raises(EngineError):
        eng.decide({"months_left": 2**64})
    with pytest.raises(EngineError):
        eng.decide({"months_left": 1e-7})
    with pytest.raises(EngineError):
        eng.decide({"custodian": "x" * 70_000})
    assert eng.decide({"citizen": True, "custodian": "federal"})["exile"] is True
    eng.close()


def test_unicode_and_quotes_in_values_round_trip() -> None:
    """Trap 10: Unicode, quotes and backslashes in values compare correctly in the engine."""
    result = run_isolated("""
        import json
        import durable_rules_engine as dre
        from transferlaw.engine import durable as engine
        from transferlaw.engine.compiled import CompiledRuleSet
        value = 'Zo\\u00eb \\u00d1and\\u00fa "q" \\\\ it\\'s \\U0001F680'
        rules = {"T.a": {"all": [{"c": {"$and": [{"kind": "case"}, {"x": value}]}}]},
                 "sentinel": {"pri": 1000, "all": [{"m": {"kind": "case"}}]},
                 "init": {"all": [{"m": {"kind": "init"}}]}}
        compiled = CompiledRuleSet(name="uni@1", rules=rules, actions={"T.a": ("a", True)},
                                   derived=frozenset(), attributes=("x",), lists=frozenset())
        eng = engine.DurableEngine(compiled)
        print(eng.decide({"x": value}), eng.decide({"x": value + "!"}))
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "{'a': True} {}"


def test_action_has_exactly_one_parameter() -> None:
    """Trap 12: a two-parameter action would be treated as async and block the sid."""
    assert engine._never_called.__code__.co_argcount == 1


def test_four_threads_share_one_engine_safely() -> None:
    """Trap 15: the engine lock serialises evaluations; four threads get correct results and no crash."""
    result = run_isolated("""
        import threading
        from transferlaw import api
        from transferlaw.engine import evaluate
        rs = api.load_ruleset("tests/data/rules/mini")
        errors = []
        def work(n):
            for i in range(400):
                citizen = (i + n) % 2 == 0
                got = evaluate.decide(rs, {"citizen": citizen, "custodian": "federal"}, "durable")
                if got["exile"] is not citizen:
                    errors.append((n, i))
        threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
        for t in threads: t.start()
        for t in threads: t.join()
        print("errors", len(errors))
    """)
    assert result.returncode == 0, result.stderr
    assert "errors 0" in result.stdout


def test_repeated_reloads_do_not_leak() -> None:
    """Trap 16: registering and closing 200 rule-set versions keeps memory bounded."""
    result = run_isolated("""
        import dataclasses, resource
        from transferlaw import api
        from transferlaw.engine import durable as engine
        from transferlaw.engine.compile import compile_ruleset
        rs = api.load_ruleset("tests/data/rules/mini")
        def rss():
            for line in open("/proc/self/status"):
                if line.startswith("VmRSS"):
                    return int(line.split()[1]) / 1024
        start = None
        for n in range(200):
            compiled = compile_ruleset(rs)
            compiled = dataclasses.replace(compiled, name=f"mini@{n}")
            eng = engine.DurableEngine(compiled)
            eng.decide({"citizen": True})
            eng.close()
            if n == 20:
                start = rss()
        print(round(rss() - start, 1))
    """)
    assert result.returncode == 0, result.stderr
    assert float(result.stdout.strip()) < 20


def test_shared_engines_are_bounded(mini: RuleSet) -> None:
    """A workspace keeps at most MAX_CACHED engines and frees the least recently used."""
    workspace = Workspace()
    compiled = compile_ruleset(mini)
    first = workspace.engine_for(compiled)
    assert workspace.engine_for(compiled) is first
    engines = [workspace.engine_for(dataclasses.replace(compiled, name=f"mini@cache{n}"))
               for n in range(engine.MAX_CACHED + 1)]
    assert first._handle is None
    assert sum(e._handle is not None for e in engines) == engine.MAX_CACHED
    workspace.close()
    assert all(e._handle is None for e in engines)


def test_durable_and_python_agree_on_mini(mini: RuleSet) -> None:
    """The checked path (values) raises nothing on agreement and returns the reference values."""
    facts = {"citizen": True, "custodian": "state", "months_left": 10, "notice_date": "2025-06-01"}
    assert evaluate.values(mini, facts, "durable") == evaluate.values(mini, facts, "python")


def _broad_ruleset(n: int) -> RuleSet:
    """n choice questions, each with a conclusion that almost every case satisfies (x != "z")."""
    import datetime as dt

    from transferlaw.language.model import Conclusion
    from transferlaw.language.model import Question

    questions = tuple(Question(id=f"q{i}", prompt="?", type="choice", choices=(("x", "X"), ("z", "Z")),
                               pos=Position("t")) for i in range(n))
    conclusions = tuple(Conclusion(id=f"c{i}", title="c", when=Condition(
        text=f'q{i} != "z"', expr=conditions.parse(f'q{i} != "z"'), pos=Position("t")), pos=Position("t"))
        for i in range(n))
    return RuleSet(id="broad", title="b", version="1", as_of=dt.date(2026, 1, 1), jurisdiction="j",
                   description="d", areas=(("a", "A"),), questions=questions, conclusions=conclusions, issues=(),
                   authorities=(), path="broad")


def test_broad_rule_sets_stay_within_the_engines_walk_stack() -> None:
    """durable walks its alpha network with a 64-entry stack (error 303 beyond); buckets keep it bounded."""
    ruleset = _broad_ruleset(100)
    compiled = compile_ruleset(ruleset)
    assert compiled.buckets
    eng = engine.DurableEngine(compiled)
    values = eng.decide({f"q{i}": "x" for i in range(100)})
    assert all(values[f"c{i}"] is True for i in range(100))
    eng.close()
    bare = CompiledRuleSet(name="broad@bare", rules={k: {**r, "all": [
        {a: {"$and": [c for c in p["$and"] if not str(next(iter(c))).startswith("__b")]} if "$and" in p else p
         for a, p in pat.items()} for pat in r["all"]]} for k, r in compiled.rules.items()},
        actions=compiled.actions, derived=compiled.derived, attributes=compiled.attributes, lists=compiled.lists)
    eng = engine.DurableEngine(bare)
    for _ in range(50):  # the premise: without buckets durable gives up; the failed states delete safely
        with pytest.raises(EngineError, match="303"):
            eng.decide({f"q{i}": "x" for i in range(100)})
    assert "c0" not in eng.decide({})
    eng.close()
