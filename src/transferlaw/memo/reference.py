"""A rule set's reference tables in Markdown, written from the rule set's own data: its issues (with the
condition that raises each, in words) and its questions (with when each is asked, in words).

The rule-set guides in ``docs/rulesets/`` keep these tables between ``<!-- BEGIN generated: NAME -->`` and
``<!-- END generated: NAME -->`` markers; :func:`refresh` rewrites those blocks, and a test keeps them in step
with the rule set, so a guide never describes an issue as it was before the rule set changed.
"""

from __future__ import annotations

import re

from ..language.model import RuleSet
from .phrases import condition_words


def _cell(text: str) -> str:
    """Text made safe for one cell of a Markdown table."""
    return " ".join(text.split()).replace("|", "\\|")


def issue_table(ruleset: RuleSet) -> str:
    """Every issue in the rule set's order: id, title, area, severity and when it is raised, in words."""
    areas = ruleset.area_titles
    rows = [f"{len(ruleset.issues)} issues in the rule set's order (a memo ranks them by status, then severity, "
            "then this order). \"Raised when\" is the issue's condition in words, from the questions' phrasings "
            "and the conclusions' titles.", "",
            "| id | title | area | severity | raised when |", "|---|---|---|---|---|"]
    for issue in ruleset.issues:
        rows.append(f"| `{issue.id}` | {_cell(issue.title)} | {_cell(areas.get(issue.area, issue.area))} | "
                    f"{issue.severity} | {_cell(condition_words(issue.when.expr, ruleset))} |")
    return "\n".join(rows) + "\n"


def question_table(ruleset: RuleSet) -> str:
    """Every question in the rule set's order: id, type, prompt and when it is asked, in words."""
    rows = [f"{len(ruleset.questions)} questions in the rule set's order.", "",
            "| id | type | prompt | when asked |", "|---|---|---|---|"]
    for question in ruleset.questions:
        asked = condition_words(question.ask_if.expr, ruleset) if question.ask_if else "always"
        rows.append(f"| `{question.id}` | {question.type} | {_cell(question.prompt)} | {_cell(asked)} |")
    return "\n".join(rows) + "\n"


TABLES = {"issues": issue_table, "questions": question_table}
"""The generated blocks a guide may hold, by the name in its markers."""

_BLOCK = re.compile(r"(<!-- BEGIN generated: (\w+) -->\n)(.*?)(<!-- END generated: \2 -->)", re.S)


def refresh(text: str, ruleset: RuleSet) -> str:
    """``text`` (a guide) with every generated block rewritten from ``ruleset``; the rest is left as it is."""
    def block(match: re.Match[str]) -> str:
        begin, name, _, end = match.groups()
        if name not in TABLES:
            raise ValueError(f"unknown generated block {name!r} (known: {', '.join(sorted(TABLES))})")
        return begin + TABLES[name](ruleset) + end
    return _BLOCK.sub(block, text)
