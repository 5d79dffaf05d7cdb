"""Tests for the memo document: the JSON schema's shape and the names rule-set text can use."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

from transferlaw import api
from transferlaw.language import conditions
from transferlaw.language.model import Text

from .conftest import DATA
from .conftest import MINI_RULES

CASE = DATA / "cases" / "mini-unknowns.yaml"


def test_issue_text_can_read_its_own_status() -> None:
    """An issue's texts see `status`, so they can speak differently when the issue is undetermined."""
    case, ruleset = api.load_case(CASE, [MINI_RULES])
    source = "{% if status == 'undetermined' %}open{% else %}{{ status }}{% endif %}"
    issue = dataclasses.replace(ruleset.issues[0], conclusion=Text(source=source, pos=ruleset.issues[0].pos))
    ruleset = dataclasses.replace(ruleset, issues=(issue, *ruleset.issues[1:]))
    doc = api.memo_document(api.evaluate_case(case, ruleset))
    assert {f["id"]: f["conclusion"] for f in doc["findings"]}["exile"] == "open"
    case = dataclasses.replace(case, facts={**case.facts, "citizen": True})
    doc = api.memo_document(api.evaluate_case(case, ruleset))
    assert {f["id"]: f["conclusion"] for f in doc["findings"]}["exile"] == "raised"


def test_document_keys_and_order_follow_the_schema() -> None:
    """The memo document has the documented top-level keys, in order, and schema version 1."""
    case, ruleset = api.load_case(CASE, [MINI_RULES])
    doc = api.memo_document(api.evaluate_case(case, ruleset))
    assert list(doc) == ["schema", "schema_version", "generator", "as_of", "ruleset", "case", "heading",
                         "question_presented", "brief_answer", "summary", "findings", "conclusions", "facts",
                         "open_questions", "sensitivity", "key_changes", "not_raised_groups", "authorities",
                         "authority_kinds", "disclaimer"]
    assert doc["schema"] == "transferlaw.memo" and doc["schema_version"] == 2
    assert "not legal advice" in doc["disclaimer"]
    finding = doc["findings"][0]
    assert list(finding) == ["id", "title", "area", "severity", "status", "status_label", "rule", "application",
                             "counterargument", "conclusion", "next_steps", "because", "because_text",
                             "missing_facts", "explanation", "authorities", "number", "why", "reason", "turns_on"]


def test_only_authorities_of_live_findings_are_listed() -> None:
    """The table of authorities lists only what raised or undetermined findings cite, grouped by kind."""
    case, ruleset = api.load_case(CASE, [MINI_RULES])
    case = dataclasses.replace(case, facts={**case.facts, "citizen": False, "months_left": 3})
    doc = api.memo_document(api.evaluate_case(case, ruleset))
    statuses = {f["id"]: f["status"] for f in doc["findings"]}
    assert statuses["exile"] == "not_raised" and statuses["long_sentence"] == "not_raised"
    assert doc["authorities"] == []


def test_contains_any_and_all() -> None:
    """'contains any' and 'contains all' are an or and an and of single contains tests."""
    expr = conditions.parse('m contains any ["a", "b"]')
    assert type(expr).__name__ == "Or" and len(expr.operands) == 2  # type: ignore[union-attr]
    expr = conditions.parse('m contains all ["a", "b"]')
    assert type(expr).__name__ == "And"


def test_conclusion_trees_are_given_once() -> None:
    """An issue's tree names the conclusions it uses; each conclusion's own tree is in `conclusions`."""
    case, ruleset = api.load_case(CASE, [MINI_RULES])
    doc = api.memo_document(api.evaluate_case(case, ruleset))
    exile = next(f for f in doc["findings"] if f["id"] == "exile")

    def leaves(node: dict[str, object]) -> list[dict[str, object]]:
        kids = node["children"]
        assert isinstance(kids, list)
        return [node] if not kids else [leaf for kid in kids for leaf in leaves(kid)]

    named = [leaf for leaf in leaves(exile["explanation"]) if leaf["kind"] == "conclusion"]
    assert [leaf["conclusion"] for leaf in named] == ["government_custody"]
    trees = {c["id"]: c["explanation"] for c in doc["conclusions"]}
    assert trees["government_custody"]["text"] == 'custodian in ["federal", "state", "ice"]'


def _cold_workspace() -> api.Workspace:
    """A workspace that has kept nothing: programs, explanation trees, texts, converted trees and engines start
    cold."""
    return api.Workspace()


def test_documents_are_the_same_whatever_was_kept_from_earlier_cases() -> None:
    """Trees, texts and converted trees kept across cases never change a memo: random flagship cases, each
    built cold (everything forgotten first) and then warm, in reverse order, give identical JSON."""
    from transferlaw.language.model import Case

    from .test_trials import random_cases

    ruleset = api.load_ruleset("foreign-prison-transfer")
    cases = [Case(ruleset=ruleset.id, title=f"Client {n}", facts=f)
             for n, f in enumerate(random_cases(ruleset, 30, seed=11))]
    cold = []
    for case in cases:
        workspace = _cold_workspace()
        cold.append(api.render_memo_bytes(api.evaluate_case(case, ruleset, "python", workspace=workspace), "json",
                                          "2026-01-01", workspace=workspace))
    workspace = api.Workspace()
    warm = [api.render_memo_bytes(api.evaluate_case(case, ruleset, "python", workspace=workspace), "json",
                                  "2026-01-01", workspace=workspace)
            for case in reversed(cases)]
    assert warm[::-1] == cold


def test_a_conditional_authority_is_cited_only_where_its_condition_is_not_false(tmp_path: Path) -> None:
    """``{id, when}`` in an issue's authorities: listed in the finding where its condition is true, left out
    where it is false; where it is not known, kept by an undetermined issue (whose text speaks conditionally)
    and left out of a raised one; both engines agree."""
    rules = tmp_path / "mini"
    shutil.copytree(MINI_RULES / "mini", rules)
    text = (rules / "ruleset.yaml").read_text(encoding="utf-8")
    text = text.replace("    authorities: [case-a]\n",
                        "    authorities: [case-a, {id: statute-b, when: custodian == \"state\"}]\n", 1)
    (rules / "ruleset.yaml").write_text(text, encoding="utf-8")
    ruleset = api.load_ruleset(rules)
    assert ruleset.issue_by_id["exile"].authorities == ("case-a", "statute-b")
    case, _ = api.load_case(CASE, [MINI_RULES])
    for custodian, expected in (("state", ["case-a", "statute-b"]), ("federal", ["case-a"]),
                                (None, ["case-a", "statute-b"])):  # custodian unknown: exile is undetermined
        facts = {**case.facts, "citizen": True, "custodian": custodian}
        if custodian is None:
            del facts["custodian"]
        for engine in ("durable", "python"):
            evaluation = api.evaluate_case(dataclasses.replace(case, facts=facts), ruleset, engine)
            exile = next(f for f in api.memo_document(evaluation)["findings"] if f["id"] == "exile")
            assert exile["authorities"] == expected, (custodian, engine)
    text = text.replace('when: custodian == "state"}', 'when: notice_date > "2025-01-01"}')
    (rules / "ruleset.yaml").write_text(text, encoding="utf-8")
    ruleset = api.load_ruleset(rules)
    raised = {**case.facts, "citizen": True, "custodian": "state"}
    raised.pop("notice_date", None)
    evaluation = api.evaluate_case(dataclasses.replace(case, facts=raised), ruleset)
    exile = next(f for f in evaluation.findings if f.issue.id == "exile")
    assert exile.status == "raised" and exile.authorities == ("case-a",)  # not known, in a raised issue
