"""Issue-spotting grading: match a student's list of issues to the rule set and score it against the engine.

A student's answer file (:func:`read_answers`) is YAML — a list of strings, or ``{student: NAME, issues:
[...]}`` — or plain text (``.txt``/``.md``): one issue per non-empty line, list markers (``-``, ``*``,
``+``, ``1.``, ``1)``) dropped, ``#`` lines ignored. The text caps of :mod:`limits` apply: a line (or YAML
string) of at most ``MAX_TEXT_LENGTH`` characters, no control character but tab, at most ``MAX_ANSWERS``
entries; each is a located error. Each entry is matched (:func:`grade`) to one issue:

- **id** — the entry is an issue id (ignoring case and ``_``/``-``/space differences), or starts with an
  exact id followed by ``:``, ``(`` or a dash, or, for an id with ``_``, a space (``citizen_exile_barred:
  born in Ohio``);
- **title** — the entry is an issue's title, ignoring case and punctuation;
- **fuzzy** — otherwise the best issue whose score reaches :data:`THRESHOLD`. The score is the larger of
  a token score ``0.7 * (entry words found in the title or id) + 0.3 * (id words found in the entry)``
  (both shares weighted by how rare the word is among the issues; stop words dropped; words match when
  equal, when one is a prefix of 4+ letters of the other, or when their difflib ratio is 0.8 or more) and
  the difflib ratio of the normalized entry to the normalized title and id (computed for the
  :data:`RATIO_CANDIDATES` issues with the best token scores). If another issue scores within
  :data:`AMBIGUITY_MARGIN` of the best, the entry is ambiguous and left unmatched.

An issue is matched once: a later entry matching it is a *duplicate* and counts for nothing. An entry
matching nothing is *unmatched*, with the closest issue as a "did you mean" (if it scores at least
:data:`SUGGEST_FLOOR`). Unmatched entries and duplicates do not affect the scores.

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

import difflib
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from types import MappingProxyType
from typing import Any
from typing import Literal
from typing import NamedTuple

from . import csvout
from . import yamlio
from .errors import Collector
from .errors import Diagnostic
from .errors import Position
from .errors import SourceError
from .errors import ValidationFailed
from .errors import display_path
from .errors import suggest
from .limits import CONTROL_CHARACTER
from .limits import MAX_ANSWERS
from .limits import MAX_TEXT_LENGTH
from .model import SEVERITIES
from .model import Evaluation
from .model import Issue
from .model import RuleSet
from .model import Severity

How = Literal["id", "title", "fuzzy"]

WEIGHTS: Mapping[Severity, int] = MappingProxyType({"high": 3, "medium": 2, "low": 1})
POSSIBLE_WEIGHT = 0.5
THRESHOLD = 0.6
AMBIGUITY_MARGIN = 0.03
SUGGEST_FLOOR = 0.5
RATIO_CANDIDATES = 12
ANSWER_SUFFIXES = (".yaml", ".yml", ".txt", ".md")
CSV_HEADER = ("student", "file", "hits", "misses", "false_alarms", "precision", "recall", "weighted_score")


class Entry(NamedTuple):
    """One issue a student wrote down, and where."""

    text: str
    pos: Position


@dataclass(frozen=True, slots=True, kw_only=True)
class Answers:
    """A student's answer file: their name, the file (as shown in positions) and their entries."""

    student: str
    source: str
    entries: tuple[Entry, ...]


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

    ``candidates`` is empty when nothing scores :data:`SUGGEST_FLOOR`; below the floor ``score`` may leave
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

_MARKER = re.compile(r"(?:[-*+]|\d+[.)])\s+")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_SHAPE_HINT = "write a list of issues, or a mapping with 'student' and 'issues'"


def read_answers(path: Path) -> Answers:
    """Read a student's answer file.

    :param path: a ``.yaml``/``.yml`` file (a list of strings, or ``{student: NAME, issues: [...]}``) or a
        ``.txt``/``.md`` file (one issue per line).
    :returns: the answers; the student defaults to the file's stem.
    :raises SourceError: the file cannot be read, is not UTF-8, is malformed YAML or lists no issue.
    :raises ValidationFailed: a YAML file of the wrong shape (every problem, located).
    """
    shown = display_path(path)
    suffix = path.suffix.lower()
    if suffix not in ANSWER_SUFFIXES:
        raise SourceError(Diagnostic(Position(shown), f"unsupported answer file type {suffix or path.name!r}",
                                     "use " + ", ".join(ANSWER_SUFFIXES)))
    if suffix in (".txt", ".md"):
        student, entries = path.stem, _text_entries(yamlio.read_text(path, shown), shown)
    else:
        student, entries = _yaml_entries(yamlio.load_file(path, shown), path.stem)
    return Answers(student=student, source=shown, entries=entries)


def _text_entries(text: str, shown: str) -> tuple[Entry, ...]:
    """One entry per line: every line within the text cap, clean of control characters, at most
    :data:`MAX_ANSWERS` entries (the scan stops there, so no file costs more than one pass)."""
    problems = Collector()
    entries: list[Entry] = []
    listed = 0
    for number, line in enumerate(_LINE_BREAK.split(text), start=1):
        too_long = len(line) > MAX_TEXT_LENGTH
        body = line.strip()
        if not too_long and (not body or body.startswith("#")):
            continue
        listed += 1
        if listed > MAX_ANSWERS:
            problems.error(Position(shown, number, 1), f"the answer file lists more than {MAX_ANSWERS:,} issues",
                           "list each issue once, one per line")
            break
        if too_long:
            problems.error(Position(shown, number, 1), f"this line is {len(line):,} characters long; the limit "
                           f"is {MAX_TEXT_LENGTH:,}", "write one issue per line")
            continue
        control = CONTROL_CHARACTER.search(line)
        if control is not None:
            problems.error(Position(shown, number, control.start() + 1), "the line holds the control character "
                           f"U+{ord(control.group()):04X}", "delete it; a tab is the only one allowed")
            continue
        column = len(line) - len(line.lstrip()) + 1
        marker = _MARKER.match(body)
        if marker:
            body, column = body[marker.end():].strip(), column + marker.end()
        if any(c.isalnum() for c in body):
            entries.append(Entry(body, Position(shown, number, column)))
    problems.raise_if_errors()
    if not entries:
        raise SourceError(Diagnostic(Position(shown, 1, 1), "the answer file lists no issues",
                                     "write one issue per line"))
    return tuple(entries)


def _yaml_entries(doc: yamlio.YamlDoc, stem: str) -> tuple[str, tuple[Entry, ...]]:
    root = doc.root
    problems = Collector()
    student, items = stem, root
    if isinstance(root, yamlio.YMap):
        for key in root:
            if key not in ("student", "issues"):
                problems.error(root.key_pos[key], f"unknown key {key!r}",
                               suggest(key, ("student", "issues")) or "the keys are 'student' and 'issues'")
        if "student" in root:
            name = root["student"]
            if isinstance(name, str) and name.strip():
                student = name.strip()
            else:
                problems.error(root.at("student"), "'student' must be a name", "e.g. student: Ada Lovelace")
        if "issues" not in root:
            problems.error(root.pos, "missing key 'issues'", "list the issues you spotted under 'issues:'")
            problems.raise_if_errors()
        items = root["issues"]
        where = root.at("issues")
    elif isinstance(root, yamlio.YList):
        where = root.pos
    else:
        raise SourceError(Diagnostic(_first_content(doc), "the answer file lists no issues" if root is None
                                     else "expected a list of issues", _SHAPE_HINT))
    if not isinstance(items, yamlio.YList):
        problems.error(where, "'issues' must be a list of issues", "one '- issue' per line")
        problems.raise_if_errors()
    entries = []
    for index, item in enumerate(items):
        if index == MAX_ANSWERS:
            problems.error(items.at(index), f"the answer file lists more than {MAX_ANSWERS:,} issues",
                           "list each issue once")
            break
        if isinstance(item, str) and item.strip():
            entries.append(Entry(item.strip(), items.at(index)))
        elif item is None or isinstance(item, str):
            problems.error(items.at(index), "an empty issue", "write the issue's id or title")
        else:
            problems.error(items.at(index), "an issue must be a line of text",
                           "put it in quotes if it contains ': '" if isinstance(item, yamlio.YMap)
                           else "one issue per item" if isinstance(item, yamlio.YList) else "put it in quotes")
    if not entries and not problems.has_errors:
        problems.error(where, "the answer file lists no issues", "list at least one issue")
    problems.raise_if_errors()
    return student, tuple(entries)


def _first_content(doc: yamlio.YamlDoc) -> Position:
    for number, line in enumerate(doc.lines, start=1):
        body = line.strip()
        if body and not body.startswith("#") and body != "---":
            return Position(doc.path, number, len(line) - len(line.lstrip()) + 1)
    return Position(doc.path, 1, 1)


# --- matching -----------------------------------------------------------------------------------

_STOP = frozenset(
    "a all also an and any are as at be been by can cannot cant could do does for from has have he her his how "
    "if in into is it its may might must no nor not of on one only or our s she should so t than that the their "
    "them then there these they this those to too under very was were whether which while who whom why will "
    "with without would".split())
_ORDINALS = {"1st": "first", "4th": "fourth", "5th": "fifth", "6th": "sixth", "8th": "eighth",
             "13th": "thirteenth", "14th": "fourteenth"}


def _norm(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    words = re.sub(r"[^a-z0-9]+", " ", re.sub(r"[.'\u2019]", "", ascii_text)).split()
    return " ".join(_ORDINALS.get(w, w) for w in words)


def _tokens(text: str) -> tuple[str, ...]:
    return tuple(w for w in _norm(text).split() if w not in _STOP)


def _word_similarity(a: str, b: str) -> float:
    if a == b:
        return 1.0
    short, long_ = sorted((a, b), key=len)
    if len(short) >= 4 and long_.startswith(short):
        return 0.9
    if len(short) <= 3 or 2 * len(short) / (len(a) + len(b)) < 0.8:
        return 0.0
    ratio = difflib.SequenceMatcher(None, a, b).ratio()
    return ratio if ratio >= 0.8 else 0.0


class _Vocabulary:
    """The issues' words, to find those an entry's word resembles (a non-zero :func:`_word_similarity`)
    without comparing it with each: an equal word and the prefix relations are looked up, and difflib is run
    only on the words of a compatible length that lack few of its letters (a ratio of 0.8 needs both).
    Words are numbered; a set of them is an int with bit ``n`` set for word ``n``."""

    KEPT = 100_000
    """Distinct words whose resemblances are kept (then the memory starts afresh): bounds a class's memory."""

    def __init__(self, words: Iterable[str]) -> None:
        self.words = tuple(sorted(set(words)))
        self.number = {w: n for n, w in enumerate(self.words)}
        self.longest = max(map(len, self.words), default=0)
        self.extending: dict[str, int] = {}  # a prefix of 4+ letters -> the longer words starting with it
        self.with_letter: dict[str, int] = {}
        self.of_size: dict[int, int] = {}
        for n, word in enumerate(self.words):
            for end in range(4, len(word)):
                self.extending[word[:end]] = self.extending.get(word[:end], 0) | 1 << n
            for letter in set(word):
                self.with_letter[letter] = self.with_letter.get(letter, 0) | 1 << n
            self.of_size[len(word)] = self.of_size.get(len(word), 0) | 1 << n
        self.known: dict[str, tuple[tuple[str, float, float], ...]] = {}
        """The resemblances of each word seen, so each pair of words is compared once per vocabulary (this
        memo replaced a process-wide ``lru_cache`` on :func:`_word_similarity`: it covered the same pairs,
        as nothing else calls it, and kept them after the grading; measured in the issue-14 note)."""
        self.compared = 0
        """Word pairs compared so far (:func:`_word_similarity` calls), for the tests."""

    def resembled(self, word: str) -> tuple[tuple[str, float, float], ...]:
        """The words ``word`` resembles, each with :func:`_word_similarity` both ways (``word`` first, then
        the other first); computed once per distinct word."""
        known = self.known.get(word)
        if known is None:
            if len(self.known) >= self.KEPT:
                self.known.clear()
            found = []
            for n in _members(self._candidates(word)):
                other = self.words[n]
                if not _may_resemble(word, other):
                    continue
                forward, backward = _word_similarity(word, other), _word_similarity(other, word)
                self.compared += 2
                if forward or backward:
                    found.append((other, forward, backward))
            known = self.known[word] = tuple(found)
        return known

    def _candidates(self, word: str) -> int:
        size = len(word)
        found = 1 << self.number[word] if word in self.number else 0
        if size < 4:
            return found
        found |= self.extending.get(word, 0)
        for end in range(4, min(size, self.longest + 1)):
            found |= 1 << self.number[word[:end]] if word[:end] in self.number else 0
        # A ratio of 0.8 needs both words longer than 3 letters and within 2:3 in length; then the other
        # word's length is at least 2/3 of this one's, so the matched letters must be at least 2/3 of this
        # word's: it lacks at most a third of them (0.35 leaves a margin for rounding).
        sizes = 0
        for other_size, members in self.of_size.items():
            if other_size > 3 and 2 * min(size, other_size) >= 0.79 * (size + other_size):
                sizes |= members
        if not sizes:
            return found
        most = int(0.35 * size)
        lacking = [sizes] + [0] * most  # lacking[k]: the words that lack k of the letters seen so far
        for letter in set(word):
            absent = ~self.with_letter.get(letter, 0)
            for k in range(most, 0, -1):
                lacking[k] = (lacking[k] & ~absent) | (lacking[k - 1] & absent)
            lacking[0] &= ~absent
        for members in lacking:
            found |= members
        return found


def _may_resemble(word: str, other: str) -> bool:
    """False when difflib's ratio of two words cannot reach 0.8 (nor one word start the other): it is
    2 * matched letters / both lengths, and neither word matches more than its letters the other holds."""
    if word == other or (min(len(word), len(other)) >= 4 and (word.startswith(other) or other.startswith(word))):
        return True
    letters, other_letters = set(word), set(other)
    matched = min(sum(letter in other_letters for letter in word), sum(letter in letters for letter in other))
    return 2 * matched >= 0.79 * (len(word) + len(other))


def _members(bits: int) -> Iterable[int]:
    """The numbers of the words in a set of words."""
    while bits:
        low = bits & -bits
        yield low.bit_length() - 1
        bits ^= low


@dataclass(frozen=True, slots=True)
class _Target:
    issue: Issue
    id_norm: str
    title_norm: str
    words: frozenset[str]
    id_words: tuple[str, ...]


class _Index:
    """The rule set's issues prepared for matching (built once per rule set, reused for a class)."""

    def __init__(self, ruleset: RuleSet) -> None:
        self.targets = [_Target(i, _norm(i.id), _norm(i.title), frozenset(_tokens(i.title) + _tokens(i.id)),
                                _tokens(i.id)) for i in ruleset.issues]
        self.by_id = {i.id.lower(): i for i in ruleset.issues}
        frequency = Counter(w for t in self.targets for w in t.words)
        self.idf = {w: math.log((len(self.targets) + 1) / (n + 1)) + 1 for w, n in frequency.items()}
        self.unseen = math.log(len(self.targets) + 1) + 1
        self.matchers = [(difflib.SequenceMatcher(None, "", t.title_norm), difflib.SequenceMatcher(None, "", t.id_norm))
                         for t in self.targets]
        self.found: dict[str, _Found] = {}
        self.vocabulary = _Vocabulary(frequency)
        self.holders = {w: tuple(n for n, t in enumerate(self.targets) if w in t.words) for w in frequency}
        self.id_totals = [sum(self.idf[w] for w in t.id_words) for t in self.targets]

    def tokens(self, words: tuple[str, ...]) -> list[float]:
        """The token score of an entry's words for every issue, in rule-set order: 0.7 * the share (by weight)
        of the entry's words found in the issue's title or id + 0.3 * the share of the id's words found in
        the entry, a word counting by its best :func:`_word_similarity`. One pass over the words, each looked
        up once; the sums skip the zero terms, so they equal the word-by-word sums exactly."""
        total = 0.0
        found = [0.0] * len(self.targets)
        in_entry: dict[str, float] = {}
        for word in words:
            weight = self.idf.get(word, self.unseen)
            total += weight
            best: dict[int, float] = {}
            for other, forward, backward in self.vocabulary.resembled(word):
                in_entry[other] = max(in_entry.get(other, 0.0), backward)
                if forward:
                    for n in self.holders[other]:
                        best[n] = max(best.get(n, 0.0), forward)
            for n, value in best.items():
                found[n] += weight * value
        scores = []
        for n, target in enumerate(self.targets):
            id_found = 0.0
            for word in target.id_words:
                if in_entry.get(word):
                    id_found += self.idf[word] * in_entry[word]
            id_total = self.id_totals[n]
            scores.append(0.7 * (found[n] / total if total else 0.0) + 0.3 * (id_found / id_total if id_total else 0.0))
        return scores

    def ratio(self, text: str, n: int, best: float) -> float:
        for matcher in self.matchers[n]:  # the title's and the id's, prepared once
            matcher.set_seq1(text)
            bar = max(best, SUGGEST_FLOOR)
            if matcher.real_quick_ratio() > bar and matcher.quick_ratio() > bar:
                best = max(best, matcher.ratio())
        return best

    def match(self, entry: str) -> _Found:
        """The issue an entry names, how, and the score; or no issue and the closest candidates."""
        if entry not in self.found:
            self.found[entry] = self._match(entry)
        return self.found[entry]

    def _match(self, entry: str) -> _Found:
        text = _norm(entry)
        lead = re.match(r"\s*([A-Za-z0-9_]+)(\s*[:(\u2013\u2014-]|\s|$)", entry)
        for target in self.targets:
            if text == target.id_norm:
                return _Found(target.issue, "id", 1.0)
        if lead and lead.group(1).lower() in self.by_id and ("_" in lead.group(1) or lead.group(2).strip()):
            return _Found(self.by_id[lead.group(1).lower()], "id", 1.0)
        for target in self.targets:
            if text == target.title_norm:
                return _Found(target.issue, "title", 1.0)
        scored = sorted(((score, n) for n, score in enumerate(self.tokens(_tokens(entry)))),
                        key=lambda pair: (-pair[0], pair[1]))
        scored[:RATIO_CANDIDATES] = [(self.ratio(text, n, s), n) for s, n in scored[:RATIO_CANDIDATES]]
        scored.sort(key=lambda pair: (-pair[0], pair[1]))
        best = scored[0][0]
        close = tuple(self.targets[n].issue for s, n in scored[:3] if s >= best - AMBIGUITY_MARGIN)
        if best < THRESHOLD:
            return _Found(None, None, best, close[:1] if best >= SUGGEST_FLOOR else ())
        if len(close) == 1:
            return _Found(close[0], "fuzzy", best)
        return _Found(None, None, best, close)


class _Found(NamedTuple):
    issue: Issue | None
    how: How | None
    score: float
    candidates: tuple[Issue, ...] = ()


# --- grading ------------------------------------------------------------------------------------

def grade(evaluation: Evaluation, answers: Answers) -> Grade:
    """Grade a student's answers against the engine's findings for the case.

    :param evaluation: the engine's evaluation of the case the student read.
    :param answers: the student's answers (:func:`read_answers`).
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
