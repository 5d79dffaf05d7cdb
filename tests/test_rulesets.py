"""The bundled legal content: every rule set loads and compiles, and every rule-set test passes."""

from __future__ import annotations

import pytest

from transferlaw import api
from transferlaw.engine import evaluate
from transferlaw.engine.compile import compile_ruleset

from .conftest import MINI_RULES
from .conftest import ROOT

RULESET_DIRS = [*sorted(p.parent for p in (ROOT / "rules").glob("*/ruleset.yaml")), MINI_RULES / "mini"]


@pytest.mark.parametrize("directory", RULESET_DIRS, ids=[d.name for d in RULESET_DIRS])
def test_ruleset_loads_and_compiles(directory: object) -> None:
    """Each rule set validates without a problem and fits the engine's limits."""
    ruleset = api.load_ruleset(directory)  # type: ignore[arg-type]
    compiled = compile_ruleset(ruleset)
    assert compiled.rules and ruleset.issues


def test_flagship_counts() -> None:
    """The flagship rule set has at least 15 issues and 6 conclusions, and each case has a test."""
    ruleset = api.load_ruleset(ROOT / "rules" / "foreign-prison-transfer")
    assert len(ruleset.issues) >= 15
    assert len(ruleset.conclusions) >= 6
    tested = {t.case.source.split("/")[-1] for t in api.load_tests(ruleset.id)[1]}
    for case in (ROOT / "cases").glob("*.yaml"):
        assert case.name in tested, f"{case.name} has no rule-set test"


def test_engines_agree_on_every_bundled_case() -> None:
    """durable_rules and the Python evaluator agree on every value of every bundled case."""
    for path in sorted((ROOT / "cases").rglob("*.yaml")):
        case, ruleset = api.load_case(path)
        assert evaluate.decide(ruleset, case.facts, "durable") == evaluate.decide(ruleset, case.facts, "python")
        for fmt in ("md", "html", "json"):
            api.render_memo(api.evaluate_case(case, ruleset), fmt)


def test_only_verified_authorities_are_cited_as_settled() -> None:
    """Every authority an issue cites is defined; unverified ones are marked so in memos."""
    ruleset = api.load_ruleset(ROOT / "rules" / "foreign-prison-transfer")
    cited = {a for issue in ruleset.issues for a in issue.authorities}
    assert cited <= set(ruleset.authority_by_id)


def _bundled_statuses() -> dict[str, set[str]]:
    """For each flagship issue, the statuses it takes over the bundled cases."""
    seen: dict[str, set[str]] = {}
    for path in sorted((ROOT / "cases").glob("*.yaml")):
        case, ruleset = api.load_case(path)
        for ident, value in evaluate.decide(ruleset, case.facts, "python").items():
            if ident in ruleset.issue_by_id:
                seen.setdefault(ident, set()).add(evaluate.status_of(value))
    return seen


def test_flagship_depth() -> None:
    """The flagship covers the legal brief at depth: 40+ issues in 10+ areas, 25+ bundled cases."""
    ruleset = api.load_ruleset(ROOT / "rules" / "foreign-prison-transfer")
    assert len(ruleset.issues) >= 40
    assert len({i.area for i in ruleset.issues}) >= 10
    assert len(list((ROOT / "cases").glob("*.yaml"))) >= 25


def test_every_issue_is_raised_and_not_raised_by_some_case() -> None:
    """Each flagship issue is raised by at least one bundled case and not raised by at least one."""
    for ident, statuses in _bundled_statuses().items():
        assert "raised" in statuses, f"no bundled case raises '{ident}'"
        assert "not_raised" in statuses, f"every bundled case raises or leaves open '{ident}'"
