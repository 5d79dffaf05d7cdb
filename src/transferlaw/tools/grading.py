"""Issue-spotting grading: match a student's list of issues to the rule set and score it against the engine.

A student's answer file is read by :mod:`answer_files` (:func:`~.answer_files.read_answers`: YAML or plain
text, within the text caps of :mod:`limits`). Each entry is matched (:func:`grade`) to one issue by
:mod:`matching`: by id, by title, or fuzzily (a score reaching :data:`~.matching.THRESHOLD`, unambiguous);
the rules are in that module's docstring.

An issue is matched once: a later entry matching it is a *duplicate* and counts for nothing. An entry
matching nothing is *unmatched*, with the closest issue as a "did you mean" (if it scores at least
:data:`~.matching.SUGGEST_FLOOR`). Unmatched entries and duplicates do not affect the scores.

Scoring against the engine's evaluation of the case:

- **hits**: matched issues the engine raised; **misses**: raised issues nobody matched;
- **false alarms**: matched issues the engine did not raise. One the engine has *not_raised* counts 1;
  one it has *undetermined* (the facts do not decide it — a "possible") counts :data:`POSSIBLE_WEIGHT`
  (a half): spotting it is not wrong, but the case does not support it either. Possibles earn no hit
  credit, so recall and the weighted score only ever measure the raised issues;
- **precision** = hits / (hits + false alarms, as weighted above); **recall** = hits / raised;
- **weighted score** = sum of :data:`WEIGHTS` (high 3, medium 2, low 1) over hits / the same over raised.

The three are percentages (0-100), or ``None`` when the denominator is zero (nothing matched; nothing
raised). :func:`as_json` keys, in order: ``student``, ``answers`` (file), ``case``, ``ruleset``,
``summary`` {``raised``, ``hits``, ``misses``, ``false_alarms`` (weighted), ``possibles``, ``precision``,
``recall``, ``weighted_score``, ``weighted_hits``, ``weighted_raised``, ``matched``, ``duplicates``,
``unmatched``}, then the lists ``matches`` {entry, line, col, issue, how, score}, ``duplicates``
{entry, line, col, issue, first_line}, ``hits`` {issue, title, severity, line}, ``misses`` {issue,
title, severity}, ``false_alarms`` {issue, title, severity, status, weight, line} and ``unmatched``
{entry, line, col, suggestion, suggestion_title, candidates, score}. Percentages are rounded to 1 decimal
and match scores to 2. Hits, misses and false alarms are listed by severity, then in rule-set order.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from types import MappingProxyType
from typing import Any
from typing import Literal

from ..language.errors import Diagnostic
from ..language.errors import Position
from ..language.errors import SourceError
from ..language.errors import ValidationFailed
from ..language.errors import display_path
from ..language.model import SEVERITIES
from ..language.model import Evaluation
from ..language.model import Issue
from ..language.model import Severity
from ..memo import csvout
from .answer_files import ANSWER_SUFFIXES
from .answer_files import Answers
from .answer_files import read_answers
from .matching import How
from .matching import _Index

WEIGHTS: Mapping[Severity, int] = MappingProxyType({"high": 3, "medium": 2, "low": 1})
POSSIBLE_WEIGHT = 0.5
CSV_HEADER = ("student", "file", "hits", "misses", "false_alarms", "precision", "recall", "weighted_score")


@dataclass(frozen=True, slots=True, kw_only=True)
class Match:
    """An entry matched to an issue; ``first`` is set on a duplicate (where the issue was first matched)."""

    text: str
    pos: Position = field(compare=False)
    issue: Issue
    how: How
    score: float
    first: Position | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class Unmatched:
    """An entry that matched no issue: its closest issues (several when it was ambiguous) and best score.

    ``candidates`` is empty when nothing scores :data:`~.matching.SUGGEST_FLOOR`; below the floor ``score`` may leave
    out the (then irrelevant) whole-string ratio.
    """

    text: str
    pos: Position = field(compare=False)
    candidates: tuple[Issue, ...]
    score: float

    @property
    def hint(self) -> str:
        if not self.candidates:
            return "no issue comes close"
        return "did you mean " + " or ".join(repr(i.title) for i in self.candidates) + "?"


@dataclass(frozen=True, slots=True, kw_only=True)
class FalseAlarm:
    """A matched issue the engine did not raise; ``weight`` is 1, or 0.5 for an undetermined one."""

    match: Match
    status: Literal["not_raised", "undetermined"]
    weight: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Grade:
    """One student's grade on one case (see the module docstring for the rules).

    ``matches`` are in entry order; ``hits``, ``misses`` and ``false_alarms`` by severity, then rule-set
    order. ``precision``, ``recall`` and ``weighted_score`` are percentages, or None on a zero denominator.
    """

    student: str
    source: str
    case: str
    ruleset: str
    matches: tuple[Match, ...]
    duplicates: tuple[Match, ...]
    unmatched: tuple[Unmatched, ...]
    hits: tuple[Match, ...]
    misses: tuple[Issue, ...]
    false_alarms: tuple[FalseAlarm, ...]
    raised: int
    weighted_hits: int
    weighted_raised: int
    precision: float | None
    recall: float | None
    weighted_score: float | None

    @property
    def false_alarm_weight(self) -> float:
        return sum(f.weight for f in self.false_alarms)

    @property
    def possibles(self) -> int:
        return sum(1 for f in self.false_alarms if f.status == "undetermined")


# --- reading answer files -----------------------------------------------------------------------
# --- grading ------------------------------------------------------------------------------------

def grade(evaluation: Evaluation, answers: Answers) -> Grade:
    """Grade a student's answers against the engine's findings for the case.

    :param evaluation: the engine's evaluation of the case the student read.
    :param answers: the student's answers (:func:`~.answer_files.read_answers`).
    :returns: the grade: the match report, hits, misses, false alarms and scores.
    """
    return _grade(_Index(evaluation.ruleset), evaluation, answers)


def _grade(index: _Index, evaluation: Evaluation, answers: Answers) -> Grade:
    matches: list[Match] = []
    duplicates: list[Match] = []
    unmatched: list[Unmatched] = []
    first: dict[str, Position] = {}
    for text, pos in answers.entries:
        issue, how, score, candidates = index.match(text)
        if issue is None or how is None:
            unmatched.append(Unmatched(text=text, pos=pos, candidates=candidates, score=round(score, 2)))
        elif issue.id in first:
            duplicates.append(Match(text=text, pos=pos, issue=issue, how=how, score=round(score, 2),
                                    first=first[issue.id]))
        else:
            first[issue.id] = pos
            matches.append(Match(text=text, pos=pos, issue=issue, how=how, score=round(score, 2)))
    order = {issue.id: n for n, issue in enumerate(evaluation.ruleset.issues)}

    def rank(issue: Issue) -> tuple[int, int]:
        return SEVERITIES.index(issue.severity), order[issue.id]

    status = {f.issue.id: f.status for f in evaluation.findings}
    raised = sorted((f.issue for f in evaluation.findings if f.status == "raised"), key=rank)
    by_issue = {m.issue.id: m for m in matches}
    hits = tuple(by_issue[i.id] for i in raised if i.id in by_issue)
    false_alarms = tuple(
        FalseAlarm(match=m, status="undetermined" if status[m.issue.id] == "undetermined" else "not_raised",
                   weight=POSSIBLE_WEIGHT if status[m.issue.id] == "undetermined" else 1.0)
        for m in sorted(matches, key=lambda m: rank(m.issue)) if status[m.issue.id] != "raised")
    weighted_hits = sum(WEIGHTS[m.issue.severity] for m in hits)
    weighted_raised = sum(WEIGHTS[i.severity] for i in raised)
    claimed = len(hits) + sum(f.weight for f in false_alarms)
    return Grade(
        student=answers.student, source=answers.source, case=evaluation.case.source,
        ruleset=evaluation.ruleset.id, matches=tuple(matches), duplicates=tuple(duplicates),
        unmatched=tuple(unmatched), hits=hits, misses=tuple(i for i in raised if i.id not in by_issue),
        false_alarms=false_alarms, raised=len(raised), weighted_hits=weighted_hits,
        weighted_raised=weighted_raised, precision=_percent(len(hits), claimed),
        recall=_percent(len(hits), len(raised)), weighted_score=_percent(weighted_hits, weighted_raised))


def _percent(part: float, whole: float) -> float | None:
    return 100.0 * part / whole if whole else None


def grade_class(evaluation: Evaluation, directory: Path) -> tuple[list[Grade], list[Diagnostic]]:
    """Grade every answer file (``*.yaml``, ``*.yml``, ``*.txt``, ``*.md``) in a folder, by file name.

    :param evaluation: the engine's evaluation of the case the class read.
    :param directory: the folder of answer files (hidden files and sub-folders are skipped).
    :returns: the grades of the readable files, and one or more error diagnostics per unreadable file
        (plus a warning when two files name the same student).
    :raises SourceError: ``directory`` is not a folder, or holds no answer files.
    """
    shown = display_path(directory)
    if not directory.is_dir():
        raise SourceError(Diagnostic(Position(shown), "no such folder of answer files"))
    files = sorted((p for p in directory.iterdir() if p.is_file() and not p.name.startswith(".")
                    and p.suffix.lower() in ANSWER_SUFFIXES), key=lambda p: p.name)
    if not files:
        raise SourceError(Diagnostic(Position(shown), "no answer files in this folder",
                                     "expected " + ", ".join("*" + s for s in ANSWER_SUFFIXES)))
    index = _Index(evaluation.ruleset)
    grades: list[Grade] = []
    diagnostics: list[Diagnostic] = []
    seen: dict[str, str] = {}
    for path in files:
        try:
            answers = read_answers(path)
        except SourceError as exc:
            diagnostics.append(exc.diagnostic)
            continue
        except ValidationFailed as exc:
            diagnostics.extend(exc.diagnostics)
            continue
        if answers.student in seen:
            diagnostics.append(Diagnostic(Position(answers.source), f"student {answers.student!r} also "
                                          f"answered in {seen[answers.student]}", severity="warning"))
        seen.setdefault(answers.student, answers.source)
        grades.append(_grade(index, evaluation, answers))
    return grades, diagnostics


# --- output -------------------------------------------------------------------------------------

def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}%"


def _how(match: Match) -> str:
    return f"fuzzy {match.score:.2f}" if match.how == "fuzzy" else match.how


def _num(value: float) -> str:
    return f"{value:g}"


def format_text(grade: Grade) -> str:
    """A readable report: the summary, then matched entries, hits, misses, false alarms and unmatched."""
    lines = [
        f"{grade.student} ({grade.source}) on {grade.case} [{grade.ruleset}]",
        f"precision {_pct(grade.precision)}  recall {_pct(grade.recall)}  weighted score "
        f"{_pct(grade.weighted_score)}",
        f"hits {len(grade.hits)} of {grade.raised} raised, misses {len(grade.misses)}, false alarms "
        f"{_num(grade.false_alarm_weight)}, weighted {grade.weighted_hits} of {grade.weighted_raised}",
        "", f"Matched ({len(grade.matches)})",
    ]
    lines += [f"  line {m.pos.line}: {m.text} -> {m.issue.title} [{_how(m)}]" for m in grade.matches] or ["  none"]
    if grade.duplicates:
        lines += ["", f"Duplicates ({len(grade.duplicates)}, not counted)"]
        lines += [f"  line {d.pos.line}: {d.text} -> {d.issue.id}, already matched on line "
                  f"{d.first.line if d.first else '?'}" for d in grade.duplicates]
    lines += ["", f"Hits ({len(grade.hits)})"]
    lines += [f"  {m.issue.severity:<6}  {m.issue.id}: {m.issue.title}" for m in grade.hits] or ["  none"]
    lines += ["", f"Misses ({len(grade.misses)})"]
    for severity in SEVERITIES:
        missed = [i for i in grade.misses if i.severity == severity]
        if missed:
            lines.append(f"  {severity} ({len(missed)})")
            lines += [f"    {i.id}: {i.title}" for i in missed]
    if not grade.misses:
        lines.append("  none")
    lines += ["", f"False alarms ({_num(grade.false_alarm_weight)})"]
    lines += [f"  {f.match.issue.id}: {f.match.issue.title} (engine: "
              + ("undetermined - a possible, counts half)" if f.status == "undetermined" else "not raised)")
              for f in grade.false_alarms] or ["  none"]
    lines += ["", f"Unmatched ({len(grade.unmatched)})"]
    lines += [f"  {u.pos}: {u.text!r} ({u.hint}; score {u.score:.2f})" for u in grade.unmatched] or ["  none"]
    return "\n".join(lines) + "\n"


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def as_json(grade: Grade) -> dict[str, Any]:
    """The grade as plain data, with the keys listed in the module docstring, in that order."""
    return {
        "student": grade.student,
        "answers": grade.source,
        "case": grade.case,
        "ruleset": grade.ruleset,
        "summary": {
            "raised": grade.raised, "hits": len(grade.hits), "misses": len(grade.misses),
            "false_alarms": grade.false_alarm_weight, "possibles": grade.possibles,
            "precision": _round(grade.precision), "recall": _round(grade.recall),
            "weighted_score": _round(grade.weighted_score), "weighted_hits": grade.weighted_hits,
            "weighted_raised": grade.weighted_raised, "matched": len(grade.matches),
            "duplicates": len(grade.duplicates), "unmatched": len(grade.unmatched),
        },
        "matches": [{"entry": m.text, "line": m.pos.line, "col": m.pos.col, "issue": m.issue.id, "how": m.how,
                     "score": m.score} for m in grade.matches],
        "duplicates": [{"entry": d.text, "line": d.pos.line, "col": d.pos.col, "issue": d.issue.id,
                        "first_line": d.first.line if d.first else None} for d in grade.duplicates],
        "hits": [{"issue": m.issue.id, "title": m.issue.title, "severity": m.issue.severity,
                  "line": m.pos.line} for m in grade.hits],
        "misses": [{"issue": i.id, "title": i.title, "severity": i.severity} for i in grade.misses],
        "false_alarms": [{"issue": f.match.issue.id, "title": f.match.issue.title,
                          "severity": f.match.issue.severity, "status": f.status, "weight": f.weight,
                          "line": f.match.pos.line} for f in grade.false_alarms],
        "unmatched": [{"entry": u.text, "line": u.pos.line, "col": u.pos.col,
                       "suggestion": u.candidates[0].id if len(u.candidates) == 1 else None,
                       "suggestion_title": u.candidates[0].title if len(u.candidates) == 1 else None,
                       "candidates": [i.id for i in u.candidates], "score": u.score} for u in grade.unmatched],
    }


def class_csv(grades: Iterable[Grade]) -> str:
    """One CSV row per grade, in the order given, under :data:`CSV_HEADER`; empty cells for n/a scores. A name
    that a spreadsheet would run as a formula (``=HYPERLINK(...)``) is written as text (:mod:`.csvout`)."""
    return csvout.table(CSV_HEADER, ([g.student, Path(g.source).name, len(g.hits), len(g.misses),
                                      f"{g.false_alarm_weight:.1f}",
                                      *("" if v is None else f"{v:.1f}" for v in (g.precision, g.recall,
                                                                                  g.weighted_score))]
                                     for g in grades))
