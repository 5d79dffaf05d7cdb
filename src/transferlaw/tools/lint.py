"""Static checks of a rule set beyond validation: unused names, constant or duplicate conditions, weak texts.

``check`` runs the validator (errors), loads the tests (errors) and compiles for the engine (errors), then
looks for what an instructor would want to know before students see the rule set (warnings): questions,
conclusions and authorities nobody uses; conditions that can never be true or are always true, decided
exhaustively over the questions' finite domains where that is feasible and by sampling beyond; two issues
whose conditions are equivalent; a high-severity issue without a real counterargument; an authority cited
but marked unverified.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..engine import analysis
from ..engine import kleene
from ..engine import logic
from ..engine import workspace as workspace_
from ..engine.compile import compile_ruleset
from ..language.errors import CompileError
from ..language.errors import Diagnostic
from ..language.errors import SourceError
from ..language.errors import ValidationFailed
from ..language.errors import display_path
from ..language.model import Known
from ..language.model import Question
from ..language.model import RuleSet
from ..language.model import Text
from ..language.model import Tri
from ..language.model import Value
from ..language.validate_ruleset import load_ruleset_dir
from ..language.validate_ruleset import load_ruleset_tests
from ..language.visitor import Walker
from ..language.visitor import names
from . import phrase_lint

BUDGET = 20_000     # evaluations one search may spend before it gives up (and reports nothing)
WEAK_COUNTER = 60   # a counterargument shorter than this many characters is not a real one
# Words that mark unfinished text in a rule set (this is the detector for them, not a marker here).
_PLACEHOLDER = re.compile(r"\b(TODO|TBD|FIXME|XXX|lorem ipsum)\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Report:
    """The outcome of checking one rule set."""

    path: str
    diagnostics: tuple[Diagnostic, ...]
    ruleset: RuleSet | None

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.severity == "error")

    @property
    def warnings(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.severity == "warning")


def check(directory: Path) -> Report:
    """Every error and warning for the rule set in ``directory``, in file order."""
    found: list[Diagnostic] = []
    try:
        ruleset = load_ruleset_dir(directory)
    except ValidationFailed as exc:
        return Report(display_path(directory), exc.diagnostics, None)
    except SourceError as exc:
        return Report(display_path(directory), (exc.diagnostic,), None)
    try:
        load_ruleset_tests(directory, ruleset)
    except ValidationFailed as exc:
        found.extend(exc.diagnostics)
    except SourceError as exc:
        found.append(exc.diagnostic)
    try:
        compile_ruleset(ruleset)
    except CompileError as exc:
        found.extend(exc.diagnostics)
    found.extend(warnings(ruleset))
    return Report(display_path(directory), tuple(sorted(found, key=lambda d: (d.pos, d.message))), ruleset)


def warnings(ruleset: RuleSet) -> list[Diagnostic]:
    """The warnings of a valid rule set."""
    found = list(_unused(ruleset))
    found.extend(_weak_texts(ruleset))
    found.extend(_unverified(ruleset))
    found.extend(_constant_and_duplicate(ruleset))
    found.extend(phrase_lint.warnings(ruleset))
    return found


def _warn(pos: object, message: str, hint: str | None = None) -> Diagnostic:
    return Diagnostic(pos, message, hint, severity="warning")  # type: ignore[arg-type]


# --- unused names -------------------------------------------------------------------------------

_TEXT_NAME = re.compile(
    r"\b(facts|answer|phrase|known|conclusions)\s*(?:\.\s*([a-z][a-z0-9_]*)|\[\s*['\"]([a-z][a-z0-9_]*)['\"]\s*\])")


def _texts(ruleset: RuleSet) -> Iterator[Text]:
    if ruleset.question_presented is not None:
        yield ruleset.question_presented
    for issue in ruleset.issues:
        yield from (issue.rule, issue.application, issue.counterargument, issue.conclusion, *issue.next_steps)


def _used_names(ruleset: RuleSet) -> set[str]:
    used: set[str] = set()
    conditions = [c.when for c in ruleset.conclusions] + [i.when for i in ruleset.issues]
    conditions += [q.ask_if for q in ruleset.questions if q.ask_if is not None]
    for cond in conditions:
        used.update(names(cond.expr))
    for text in _texts(ruleset):
        for match in _TEXT_NAME.finditer(text.source):
            used.add(match.group(2) or match.group(3))
    return used


def _unused(ruleset: RuleSet) -> Iterator[Diagnostic]:
    used = _used_names(ruleset)
    for q in ruleset.questions:
        if q.id not in used and q.type != "text":  # text answers are shown in the memo's facts
            yield _warn(q.pos, f"question '{q.id}' is never used", "use it in a condition or a text, or remove it")
    for c in ruleset.conclusions:
        if c.id not in used:
            yield _warn(c.pos, f"conclusion '{c.id}' is never used", "use it in a condition or a text, or remove it")
    cited = {a for issue in ruleset.issues for a in issue.authorities}
    for a in ruleset.authorities:
        if a.id not in cited:
            yield _warn(a.pos, f"authority '{a.id}' is never cited", "cite it from an issue, or remove it")


def _weak_texts(ruleset: RuleSet) -> Iterator[Diagnostic]:
    for issue in ruleset.issues:
        text = issue.counterargument.source.strip()
        if issue.severity == "high" and (len(text) < WEAK_COUNTER or _PLACEHOLDER.search(text)):
            yield _warn(issue.counterargument.pos, f"high-severity issue '{issue.id}' has no real counterargument",
                        "state the strongest argument the other side would make")
        for text_ in (issue.rule, issue.application, issue.conclusion, issue.counterargument):
            if _PLACEHOLDER.search(text_.source):
                yield _warn(text_.pos, f"issue '{issue.id}' has placeholder text", "finish the text before use")


def _unverified(ruleset: RuleSet) -> Iterator[Diagnostic]:
    for issue in ruleset.issues:
        for ident in issue.authorities:
            authority = ruleset.authority_by_id[ident]
            if not authority.verified:
                yield _warn(issue.pos, f"issue '{issue.id}' cites '{ident}', which is marked verified: false",
                            "verify the citation, or do not rely on it")


# --- constant and duplicate conditions ----------------------------------------------------------

def _domain(question: Question, ruleset: RuleSet, known_tested: set[str]) -> list[Value | None]:
    values: list[Value | None] = list(analysis.domain(question, ruleset))
    if question.type == "multi" and len(question.choices) <= 6:
        choices = question.choice_values
        values = [tuple(c for c in choices if c in combo)
                  for n in range(len(choices) + 1) for combo in itertools.combinations(choices, n)]
    if question.type == "number" and not values:
        values = [0]
    if question.type == "date" and not values:
        values = ["2000-01-01"]
    if question.id in known_tested:
        values.append(None)
    return values


class _Known(Walker[str]):
    def visit_known(self, expr: Known) -> Iterator[str]:
        yield expr.name


def _known_tested(ruleset: RuleSet) -> set[str]:
    conditions = [c.when.expr for c in ruleset.conclusions] + [i.when.expr for i in ruleset.issues]
    return {name for expr in conditions for name in _Known().visit(expr)}


def _search(program: kleene.Program, domains: Sequence[tuple[str, list[Value | None]]],
            goal: Callable[[Mapping[str, Tri]], Tri], budget: int = BUDGET) -> bool | None:
    """Whether some answers make ``goal`` true: a depth-first search over the questions' domains that prunes
    every branch the three-valued evaluation already decides. None if the budget ran out first.

    ``known(x)`` reads an unassigned question as unanswered, which is not a "maybe": questions that offer
    "unanswered" (``None``) in their domain are therefore assigned first, and nothing is pruned before.
    """
    domains = sorted(domains, key=lambda d: None not in d[1])
    settled = sum(1 for _, values in domains if None in values)
    facts: dict[str, Value] = {}
    spent = 0

    def visit(depth: int) -> bool | None:
        nonlocal spent
        spent += 1
        if spent > budget:
            return None
        verdict = goal(program.values(facts)) if depth >= settled else None
        if verdict is not None or depth == len(domains):
            return bool(verdict)
        question, values = domains[depth]
        undecided = False
        for value in values:
            if value is None:
                facts.pop(question, None)
            else:
                facts[question] = value
            found = visit(depth + 1)
            facts.pop(question, None)
            if found:
                return True
            undecided = undecided or found is None
        return None if undecided else False

    return visit(0)


def _domains(ruleset: RuleSet, questions: Sequence[str], known_tested: set[str],
             ) -> list[tuple[str, list[Value | None]]]:
    return [(q, _domain(ruleset.question_by_id[q], ruleset, known_tested)) for q in questions]


def _constant_and_duplicate(ruleset: RuleSet, workspace: workspace_.Workspace | None = None) -> Iterator[Diagnostic]:
    program = workspace_.prepared(ruleset, workspace).program
    known_tested = _known_tested(ruleset)
    targets = [(c.id, c.when, "conclusion") for c in ruleset.conclusions]
    targets += [(i.id, i.when, "issue") for i in ruleset.issues]
    deps = {ident: [q for q in analysis.dependencies(ruleset, cond.expr, workspace=workspace)
                    if ruleset.question_by_id[q].type != "text"] for ident, cond, _ in targets}
    for ident, cond, kind in targets:
        domains = _domains(ruleset, deps[ident], known_tested)

        def holds(v: Mapping[str, Tri], i: str = ident) -> Tri:
            return v[i]

        def fails(v: Mapping[str, Tri], i: str = ident) -> Tri:
            return logic.not_(v[i])

        if _search(program, domains, holds) is False:
            yield _warn(cond.pos, f"the condition of {kind} '{ident}' can never be true",
                        "check the logic: a negation or an 'and' too many?")
        elif _search(program, domains, fails) is False:
            yield _warn(cond.pos, f"the condition of {kind} '{ident}' is always true",
                        "a condition that always holds decides nothing")
    issues = [i.id for i in ruleset.issues]
    for first, second in itertools.combinations(issues, 2):
        if set(deps[first]) != set(deps[second]):
            continue  # different questions: equivalence is possible but rare; compared only when alike
        domains = _domains(ruleset, deps[first], known_tested)

        def differ(v: Mapping[str, Tri], a: str = first, b: str = second) -> Tri:
            return None if v[a] is None or v[b] is None else v[a] != v[b]

        if _search(program, domains, differ) is False:
            yield _warn(ruleset.issue_by_id[second].when.pos,
                        f"issues '{first}' and '{second}' have equivalent conditions",
                        "merge them, or make their conditions differ")
