"""Matching a student's entry to one issue of the rule set, for :mod:`grading`: by id, by title, or fuzzily.

Each entry is matched (:meth:`_Index.match`) to one issue:

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

An entry matching nothing gets the closest issue as a "did you mean" (if it scores at least
:data:`SUGGEST_FLOOR`). The issues' words are kept in a :class:`_Vocabulary`, so an entry's word is compared
only with the words it may resemble.
"""

from __future__ import annotations

import difflib
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal
from typing import NamedTuple

from ..language.model import Issue
from ..language.model import RuleSet

How = Literal["id", "title", "fuzzy"]

THRESHOLD = 0.6
AMBIGUITY_MARGIN = 0.03
SUGGEST_FLOOR = 0.5
RATIO_CANDIDATES = 12


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

