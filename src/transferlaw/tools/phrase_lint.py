"""``check``'s warnings about question phrasings (issue 15).

- A question an issue reads (through its conclusions too) that has no ``phrases``: the memo then words its
  answers from the prompt ("the answer to “…” is yes") instead of a sentence.
- An issue text that, rendered as the memo renders it for an undetermined finding, prints the phrase of an
  answer nobody gave: an undetermined finding must say what the issue turns on, never assert the unknown fact.
  Each text is rendered with every fact the issue reads unknown, and then with one of them answered at a time
  (each of its answers), the others unknown.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ..engine import analysis
from ..language.errors import Diagnostic
from ..language.errors import SourceError
from ..language.errors import quoted
from ..language.model import Issue
from ..language.model import Question
from ..language.model import RuleSet
from ..language.model import Text
from ..language.model import Value
from ..language.phrasing import ANSWER
from ..language.phrasing import PLACEHOLDER
from ..language.phrasing import UNKNOWN
from ..memo.display import fact_display
from ..memo.document import names_for
from ..memo.textcache import TextCache

MAX_TRIALS = 24
"""Answers tried per fact (a multi question's single choices and the empty list; numbers at their bounds)."""


def warnings(ruleset: RuleSet) -> Iterator[Diagnostic]:
    """Both checks, in rule-set order."""
    yield from missing(ruleset)
    yield from asserted_unknowns(ruleset)


def _reads(ruleset: RuleSet) -> dict[str, list[str]]:
    """Per issue id: the questions its condition reads, through conclusions, in first-mention order."""
    return {issue.id: analysis.dependencies(ruleset, issue.when.expr) for issue in ruleset.issues}


def missing(ruleset: RuleSet) -> Iterator[Diagnostic]:
    """A warning for each question that an issue reads and that has no phrases."""
    readers: dict[str, list[str]] = {}
    for issue_id, reads in _reads(ruleset).items():
        for ident in reads:
            readers.setdefault(ident, []).append(issue_id)
    for question in ruleset.questions:
        if question.type == "text" or question.phrases or question.id not in readers:
            continue
        count = len(readers[question.id])
        yield Diagnostic(question.pos, f"question '{question.id}' has no phrases, and {count} "
                         f"issue{'s' if count != 1 else ''} read{'s' if count == 1 else ''} it",
                         "give 'phrases:' (a clause for each answer and for unknown) so that memos say what "
                         "an answer means in a sentence (docs/rule-language.md, Phrases)", severity="warning")


def asserted_unknowns(ruleset: RuleSet) -> Iterator[Diagnostic]:
    """A warning for each issue text that asserts the phrase of an answer nobody gave, when undetermined."""
    by_id = ruleset.question_by_id
    texts = TextCache()
    all_reads = _reads(ruleset)
    for issue in ruleset.issues:
        reads = [by_id[i] for i in all_reads[issue.id] if by_id[i].phrases]
        if not reads:
            continue
        trials: list[dict[str, Value]] = [{}]
        for question in reads:
            trials.extend({question.id: value} for value in _answers(question))
        for text, part in _issue_texts(issue):
            reported: set[tuple[str, str]] = set()
            for facts in trials:
                try:
                    shown = texts.render(text, _context(ruleset, facts))
                except SourceError:
                    continue  # a text that fails to render is reported by the load check, located
                for question in reads:
                    if question.id in facts:
                        continue
                    said = _said(question, shown)
                    if said is not None and (question.id, said) not in reported:
                        reported.add((question.id, said))
                        known = ", ".join(f"{k} = {fact_display(by_id[k], v)}" for k, v in facts.items())
                        where = f" and {known}" if known else ""
                        yield Diagnostic(
                            text.pos, f"issue '{issue.id}': its {part}, when the issue is undetermined with "
                            f"'{question.id}' not known{where}, says {quoted(said, 80)}: an answer nobody gave",
                            f"say what the issue turns on instead: {{% if known.{question.id} %}}…{{% endif %}}, "
                            f"or {{{{ phrase.{question.id} }}}}", severity="warning")


def _issue_texts(issue: Issue) -> Iterator[tuple[Text, str]]:
    yield issue.application, "application"
    yield issue.conclusion, "conclusion"
    yield issue.counterargument, "counterargument"
    for step in issue.next_steps:
        yield step, "next steps"


def _answers(question: Question) -> list[Value]:
    found: list[Value] = []
    if question.type == "boolean":
        found += [True, False]
    elif question.type == "choice":
        found += question.choice_values
    elif question.type == "multi":
        found += [(), *((v,) for v in question.choice_values)]
    elif question.type == "number":
        found += [b for b in (question.min if question.min is not None else 0, question.max) if b is not None]
    return found[:MAX_TRIALS]  # a date: only its unknown phrase is checked, from the other trials


CONDITIONAL = re.compile(r"\b(?:if|whether|unless|once|when|where|provided|assuming|suppose|had|should)\s+$")
"""Words after which a phrase is a supposition, not an assertion ("If the person has close family …")."""


def _said(question: Question, shown: str) -> str | None:
    """The first phrase of a given answer to ``question`` that ``shown`` asserts (case-insensitively): present,
    and not introduced by a conditional word. The question's own "not known" phrase is not counted."""
    lowered = " ".join(shown.lower().split())
    unknown = question.phrase_for(UNKNOWN)
    if unknown:
        lowered = lowered.replace(unknown.lower(), " ")
    for key, clause in question.phrases:
        if key == UNKNOWN:
            continue
        pattern = re.escape(clause.lower())
        if key == ANSWER:
            pattern = pattern.replace(re.escape(PLACEHOLDER), ".{1,40}?")
        for found in re.finditer(pattern, lowered):
            if not CONDITIONAL.search(lowered[max(0, found.start() - 20):found.start()]):
                return found.group(0) if key == ANSWER else clause
    return None


def _context(ruleset: RuleSet, facts: dict[str, Value]) -> dict[str, Any]:
    """The names a rule-set text reads, for a case with ``facts`` and every conclusion unknown, undetermined."""
    return names_for(ruleset, facts, {c.id: None for c in ruleset.conclusions}, "The person", ruleset.as_of,
                     "undetermined")
