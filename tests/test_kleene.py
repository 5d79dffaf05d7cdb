"""Tests for kleene.py: explanation trees kept across cases (the evaluator itself is in test_properties.py)."""

from __future__ import annotations

from transferlaw import api
from transferlaw.engine import kleene
from transferlaw.language.model import Case

from .test_trials import random_cases


def test_shared_trees_equal_fresh_explanations() -> None:
    """A tree reused from another case is the tree this case's own facts give."""
    ruleset = api.load_ruleset("foreign-prison-transfer")
    workspace = api.Workspace()  # a cold start: nothing kept yet
    prepared = workspace.prepare(ruleset)
    program = prepared.program
    cases = random_cases(ruleset, 40, seed=3)
    cases += [dict(f) for f in cases[:10]]  # repeats: all served from the shared trees
    shared = [api.evaluate_case(Case(ruleset=ruleset.id, title="t", facts=f), ruleset, "python",
                                workspace=workspace) for f in cases]
    assert any(len(kept) for kept in prepared.explained.values()), "the trees were kept"
    for facts, evaluation in zip(cases, shared, strict=True):
        values = program.values(facts)
        memo: dict[str, kleene.Explanation] = {}
        for finding in evaluation.findings:
            issue = finding.issue
            assert finding.explanation == kleene.explain(issue.when.expr, issue.when.text, program, facts, values,
                                                         memo=memo)
        for result in evaluation.conclusions:
            conclusion = result.conclusion
            assert result.explanation == kleene.explain(conclusion.when.expr, conclusion.when.text, program,
                                                        facts, values, memo=memo)


def test_shared_trees_are_bounded() -> None:
    """Each condition keeps a bounded number of trees, however many cases pass."""
    ruleset = api.load_ruleset("foreign-prison-transfer")
    workspace = api.Workspace()
    prepared = workspace.prepare(ruleset)
    for facts in random_cases(ruleset, 400, seed=5):
        api.evaluate_case(Case(ruleset=ruleset.id, title="t", facts=facts), ruleset, "python", workspace=workspace)
    sizes = [len(kept) for kept in prepared.explained.values()]
    assert max(sizes) == kleene.Trees.PER_CONDITION
    assert min(sizes) < kleene.Trees.PER_CONDITION  # conditions that read few facts have few trees


def test_a_fact_given_as_none_is_not_mistaken_for_a_missing_one() -> None:
    """known() tells a question left out from one given; the kept trees must too (found in review)."""
    ruleset = api.load_ruleset("foreign-prison-transfer")
    prepared = api.Workspace().prepare(ruleset)
    program = prepared.program
    trees_absent = kleene.Trees(program, {}, prepared.explained)
    trees_none = kleene.Trees(program, {"notice_hours": None}, prepared.explained)
    name = next(ident for ident, questions in program.reads.items() if "notice_hours" in questions)
    assert trees_absent._key(name) != trees_none._key(name)
