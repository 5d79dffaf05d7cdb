"""The memo's opening and its summaries, as data and sentences: the issue numbers, the brief answer, the facts to
gather first, and the few changes that would matter most (written from the questions' phrasings)."""

from __future__ import annotations

from typing import Any

from ..engine import sensitivity
from ..language.model import SEVERITIES
from ..language.model import Evaluation
from ..language.model import OpenQuestion
from ..language.model import Severity
from ..language.words import counted
from .display import fact_display
from .phrases import joined
from .phrases import phrase
from .phrases import sentence
from .phrases import topic


def issue_numbers(evaluation: Evaluation) -> dict[str, int]:
    """The issue numbers of the memo: raised and undetermined findings, in the document's order, from 1."""
    live = [f.issue.id for f in evaluation.findings if f.status != "not_raised"]
    return {ident: number for number, ident in enumerate(live, 1)}


def plain(value: object) -> object:
    return list(value) if isinstance(value, tuple) else value


KEY_CHANGES = 5
"""The facts "What would change the analysis" names at the default detail."""
_NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def _count_words(count: int, plural: str) -> str:
    """``six issues``, ``one issue``; a numeral from eleven on."""
    word = _NUMBER_WORDS[count] if count < len(_NUMBER_WORDS) else str(count)
    return f"{word} {plural[:-1] if count == 1 else plural}"


def key_changes(evaluation: Evaluation,
                 entries: tuple[sensitivity.FactSensitivity, ...]) -> list[dict[str, Any]]:
    """The facts whose change moves the most findings (then the most high-severity ones; then rule-set
    order), at most :data:`KEY_CHANGES`, each with the other answer that moves most and one sentence saying
    what it moves, written from the question's phrasings."""
    ruleset = evaluation.ruleset
    rank = {f.issue.id: n for n, f in enumerate(evaluation.findings)}
    numbers = issue_numbers(evaluation)
    chosen: list[tuple[tuple[int, int], int, sensitivity.FactSensitivity, sensitivity.Alternative]] = []
    for order, entry in enumerate(entries):
        if ruleset.question_by_id[entry.question].fixed:
            continue  # who the person is: no "what if" proposes another age or another birth
        best: tuple[tuple[int, int], sensitivity.Alternative] | None = None
        current = evaluation.case.facts.get(entry.question)
        for alt in entry.alternatives:
            if alt.value is None:
                continue  # "if it were not known" is no fact to gather
            given = set(current) if isinstance(current, tuple) else set()
            if isinstance(alt.value, tuple) and alt.value and len(given ^ set(alt.value)) != 1:
                continue  # a realistic change adds or drops one item of a list (or empties it), never many at once
            high = sum(1 for c in alt.changes if ruleset.issue_by_id[c.issue].severity == "high")
            key = (len(alt.changes), high)
            if best is None or key > best[0]:
                best = (key, alt)
        if best is not None:
            chosen.append((best[0], order, entry, best[1]))
    chosen.sort(key=lambda item: (-item[0][0], -item[0][1], item[1]))
    result = []
    for (count, _), _, entry, alt in chosen[:KEY_CHANGES]:
        question = ruleset.question_by_id[entry.question]
        changes = [{"issue": c.issue, "title": ruleset.issue_by_id[c.issue].title, "to": c.after,
                    "number": numbers.get(c.issue)} for c in sorted(alt.changes, key=lambda c: rank[c.issue])]
        result.append({"id": question.id, "prompt": question.prompt, "display": fact_display(question, alt.value),
                       "value": plain(alt.value), "count": count, "issues": [c["issue"] for c in changes],
                       "sentence": _change_sentence(phrase(question, alt.value), changes)})
    return result


def _change_sentence(clause: str, changes: list[dict[str, Any]]) -> str:
    """"If the person had consented, six issues would no longer arise, among them issues 1 and 4; two would be
    raised." The largest group of changes is named by its first two issues (most serious first: by their
    numbers in the memo, or by title for issues the memo does not discuss); the others are counted."""
    verbs = {"not_raised": "would no longer arise", "raised": "would be raised",
             "undetermined": "would turn on facts not yet known"}
    groups = [[c for c in changes if c["to"] == status] for status in verbs]
    groups = sorted((g for g in groups if g), key=len, reverse=True)
    first = groups[0]
    named = first[:2]
    if all(c["number"] is not None for c in named):
        titles = ("issues " if len(named) > 1 else "issue ") + joined([str(c["number"]) for c in named])
    else:
        titles = joined([f"\u201c{c['title']}\u201d" for c in named])
    text = f"if {clause}, {_count_words(len(first), 'issues')} {verbs[first[0]['to']]}"
    text += f", among them {titles}" if len(first) > 2 else f" ({titles})"
    others = [f"{_count_words(len(g), 'issues').split(' ')[0]} {verbs[g[0]['to']]}" for g in groups[1:]]
    return sentence(text + ("; " + joined(others) if others else ""))


def gather_first(evaluation: Evaluation) -> list[OpenQuestion]:
    """The open questions in the order a memo asks for them: those that would decide the most high-severity
    issues first, then the most issues (the engine's order breaks ties)."""
    severity = {i.id: i.severity for i in evaluation.ruleset.issues}
    return sorted(evaluation.open_questions,
                  key=lambda o: (-sum(1 for i in o.decides if severity[i] == "high"), -len(o.decides)))


def brief_answer(evaluation: Evaluation, counts: dict[str, int], by_severity: dict[Severity, int],
                 changes: list[dict[str, Any]]) -> str:
    """A few sentences, the answer first: how many issues the transfer raises and how severe, the most serious
    by number and title, what is left open, and the fact to gather first or, when every fact that matters is
    known, the answers that would change the analysis most."""
    total = len(evaluation.findings)
    raised, open_, absent = counts["raised"], counts["undetermined"], counts["not_raised"]
    levels = [f"{by_severity[s]} {s}" for s in SEVERITIES if by_severity[s]]
    numbers = issue_numbers(evaluation)
    top = [f for f in evaluation.findings if f.status == "raised"][:3]
    if not raised:
        sentences = ["On these facts, the transfer raises none of the issues in the rule set"
                     + (f"; {_count_words(open_, 'issues')} cannot be decided until more facts are known."
                        if open_ else ".")]
    else:
        severity = (f"{'all ' if raised > 1 else ''}{levels[0].split()[1]} severity" if len(levels) == 1 else
                    f"{joined(levels)} severity")
        sentences = [f"On these facts, the transfer raises {_count_words(raised, 'issues')} ({severity})."]
        named = [f"issue {numbers[f.issue.id]}, \u201c{f.issue.title}\u201d" for f in top]
        listed = named[0] if len(named) == 1 else "; ".join(named[:-1]) + "; and " + named[-1]
        sentences.append(f"The most serious {'is' if len(named) == 1 else 'are'} {listed}."
                         if raised > 1 else f"It is {named[0]}.")
        rest = [("one more issue cannot" if open_ == 1 else f"another {_count_words(open_, 'issues')} cannot")
                + " be decided until more facts are known" if open_ else "none turns on facts not yet known"]
        if absent:
            rest.append(f"the other {absent} of the {counted(total, 'issues')} checked "
                        f"{'does' if absent == 1 else 'do'} not arise")
        sentences.append(sentence(", and ".join(rest)))
    if evaluation.open_questions:
        first = gather_first(evaluation)[0]
        count = len(first.decides)
        sentences.append(f"The first fact to gather: {first.question.prompt.rstrip()} (the answer would decide "
                         f"{counted(count, 'issues')} now left open).")
    elif changes:
        topics = [topic(evaluation.ruleset.question_by_id[c["id"]]) for c in changes[:2]]
        sentences.append(f"The answer{'s' if len(topics) > 1 else ''} that would change the analysis most: "
                         f"{joined(topics)} (below).")
    return " ".join(sentences)
