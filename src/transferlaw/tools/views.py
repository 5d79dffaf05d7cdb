"""Each command's output as data (its JSON view) and as text, built in one place for the CLI and the web app.

A ``*_json`` function returns plain data with the keys each command documents, in that order; :func:`dumps`
writes it as the CLI prints it. A ``*_text`` function returns the readable report. The tools behind the
views (explanations, grading, coverage) load on first use, as in :mod:`transferlaw.api`, so that
``transferlaw run`` does not pay for them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING
from typing import Any

from ..language.model import Case
from ..language.model import Evaluation
from ..language.model import RuleSet
from ..language.words import counted
from ..memo.display import fact_display

# The modules of the tools a view prints (coverage, explain, grading) are imported in the views that use them:
# the CLI imports this module for every command, and `run` needs none of them (start-up).
if TYPE_CHECKING:
    from ..engine.sensitivity import Change
    from ..engine.sensitivity import FactSensitivity
    from .coverage import Coverage
    from .explain import Explained
    from .grading import Grade
    from .lint import Report
    from .ruletests import TestResult


def dumps(data: Any, *, ascii_only: bool = False) -> str:
    """A view as the CLI prints it: JSON indented by two (``ascii_only``: non-ASCII escaped)."""
    return json.dumps(data, indent=2, ensure_ascii=ascii_only)


# --- check ----------------------------------------------------------------------------------------

def check_json(reports: Sequence[Report]) -> list[dict[str, Any]]:
    """``check --format json``: per rule set, the counts and every diagnostic with its position."""
    return [{
        "ruleset": r.path, "errors": len(r.errors), "warnings": len(r.warnings),
        "diagnostics": [{"path": d.pos.path, "line": d.pos.line, "column": d.pos.col, "severity": d.severity,
                         "message": d.message, "hint": d.hint} for d in r.diagnostics],
    } for r in reports]


def check_summary(report: Report) -> str:
    """The line ``check`` ends a rule set's report with: its errors and warnings counted."""
    return f"{report.path}: {counted(len(report.errors), 'errors')}, {counted(len(report.warnings), 'warnings')}"


# --- test -----------------------------------------------------------------------------------------

def tests_json(ruleset: RuleSet, results: Sequence[TestResult], measured: Coverage | None) -> dict[str, Any]:
    """``test --format json``: the counts, each test's failures, and the coverage if measured."""
    failed = sum(not r.passed for r in results)
    return {
        "ruleset": ruleset.id, "passed": len(results) - failed, "failed": failed,
        "tests": [{"name": r.test.name, "position": str(r.test.pos), "passed": r.passed,
                   "failures": list(r.failures)} for r in results],
        "coverage": measured.as_json() if measured else None,
    }


def tests_text(results: Sequence[TestResult], measured: Coverage | None) -> str:
    """``test``: ok or FAIL per test with its failures, the coverage report if measured, and the counts."""
    lines = []
    for result in results:
        lines.append(f"{'ok  ' if result.passed else 'FAIL'} {result.test.name}")
        lines.extend(f"     {result.test.pos}: {failure}" for failure in result.failures)
    if measured is not None:
        lines.append(coverage_text(measured))
    failed = sum(not r.passed for r in results)
    lines.append(f"{len(results) - failed} passed, {failed} failed")
    return "\n".join(lines)


def coverage_text(measured: Coverage) -> str:
    """The readable coverage report."""
    from . import coverage

    return coverage.report(measured)


# --- what if and sensitivity ----------------------------------------------------------------------

def change_rows(changes: Sequence[Change], ruleset: RuleSet) -> list[dict[str, str]]:
    """Changed findings as rows: issue id, title, status before and after (the CLI's JSON, the web page)."""
    return [{"issue": c.issue, "title": ruleset.issue_by_id[c.issue].title, "before": c.before, "after": c.after}
            for c in changes]


def whatif_json(settings: Sequence[str], changes: Sequence[Change], ruleset: RuleSet) -> dict[str, Any]:
    """``whatif --format json``: the settings and the findings they change."""
    return {"set": list(settings), "changes": change_rows(changes, ruleset)}


def whatif_text(changes: Sequence[Change], ruleset: RuleSet) -> str:
    """``whatif``: one line per changed finding, or that none changes."""
    if not changes:
        return "no finding changes"
    return "\n".join(f"{row['issue']}: {row['before']} -> {row['after']}  ({row['title']})"
                     for row in change_rows(changes, ruleset))


def sensitivity_json(found: Sequence[FactSensitivity], ruleset: RuleSet) -> list[dict[str, Any]]:
    """``sensitivity --format json``: per fact, the alternatives and the changes each would make."""
    rows = []
    for f in found:
        question = ruleset.question_by_id[f.question]
        rows.append({
            "id": f.question, "prompt": question.prompt, "answered": f.answered,
            "alternatives": [{"value": list(a.value) if isinstance(a.value, tuple) else a.value,
                              "display": fact_display(question, a.value),
                              "changes": [{"issue": c.issue, "title": ruleset.issue_by_id[c.issue].title,
                                           "from": c.before, "to": c.after} for c in a.changes]}
                             for a in f.alternatives]})
    return rows


def sensitivity_text(found: Sequence[FactSensitivity], ruleset: RuleSet, case: Case) -> str:
    """``sensitivity``: per fact, its answer now and what each other answer would change."""
    lines = []
    for f in found:
        question = ruleset.question_by_id[f.question]
        now = fact_display(question, case.facts.get(f.question))
        lines.append(f"{f.question} ({question.prompt}) — now: {now}")
        for alt in f.alternatives:
            changed = "; ".join(f"{c.issue} {c.before} -> {c.after}" for c in alt.changes)
            lines.append(f"    if {fact_display(question, alt.value)}: {changed}")
    return "\n".join(lines) if lines else "no single fact would change any finding"


# --- explain and grade ----------------------------------------------------------------------------

def explanation_json(explained: Explained, evaluation: Evaluation) -> dict[str, Any]:
    """``explain --format json``: status, summary, missing facts and the reasoning tree."""
    from . import explain

    return explain.as_json(explained, evaluation)


def explanation_text(explained: Explained, evaluation: Evaluation) -> str:
    """``explain``: the reasoning tree as indented text."""
    from . import explain

    return explain.render_text(explained, evaluation)


def grade_json(result: Grade) -> dict[str, Any]:
    """``grade --format json``: one answer file's grade as data."""
    from . import grading

    return grading.as_json(result)


def grade_text(result: Grade) -> str:
    """``grade``: one answer file's grade as a readable report."""
    from . import grading

    return grading.format_text(result)


def class_csv(grades: Sequence[Grade]) -> str:
    """``grade --class``: one CSV row per answer file."""
    from . import grading

    return grading.class_csv(grades)


# --- rulesets -------------------------------------------------------------------------------------

def rulesets_text(rows: Sequence[tuple[str, str, str, str]]) -> str:
    """``rulesets``: id, version, as-of date and title, in aligned columns under a header."""
    width = max(len(r[0]) for r in rows)
    lines = [f"{'ID'.ljust(width)}  VERSION  AS OF       TITLE"]
    lines.extend(f"{ident.ljust(width)}  {version.ljust(7)}  {as_of.ljust(10)}  {title}"
                 for ident, version, as_of, title in rows)
    return "\n".join(lines)
