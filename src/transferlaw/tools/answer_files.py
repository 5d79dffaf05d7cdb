"""Reading a student's answer file for :mod:`grading`: YAML or plain text, within the text caps, every problem located.

A student's answer file (:func:`read_answers`) is YAML — a list of strings, or ``{student: NAME, issues:
[...]}`` — or plain text (``.txt``/``.md``): one issue per non-empty line, list markers (``-``, ``*``,
``+``, ``1.``, ``1)``) dropped, ``#`` lines ignored. The text caps of :mod:`limits` apply: a line (or YAML
string) of at most ``MAX_TEXT_LENGTH`` characters, no control character but tab, at most ``MAX_ANSWERS``
entries; each is a located error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from ..language import yamlio
from ..language.errors import Collector
from ..language.errors import Diagnostic
from ..language.errors import Position
from ..language.errors import SourceError
from ..language.errors import display_path
from ..language.errors import suggest
from ..language.limits import CONTROL_CHARACTER
from ..language.limits import MAX_ANSWERS
from ..language.limits import MAX_TEXT_LENGTH

ANSWER_SUFFIXES = (".yaml", ".yml", ".txt", ".md")


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

