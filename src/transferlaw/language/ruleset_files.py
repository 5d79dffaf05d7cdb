"""The shape of each rule-set file: the field specs, and the files loaded and gathered into section items.

:mod:`validate_ruleset` builds the rule set from what is gathered here; :mod:`ruletest_builder` builds its tests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

from .errors import Collector
from .errors import Position
from .errors import SourceError
from .errors import ValidationFailed
from .errors import display_path
from .limits import MAX_RULESET_FILES
from .shapes import BOOL
from .shapes import CITATION_LIST
from .shapes import DATE
from .shapes import INT
from .shapes import LIST
from .shapes import MAP
from .shapes import NUMBER
from .shapes import TEXT
from .shapes import TEXT_LIST
from .shapes import Field
from .shapes import check_mapping
from .shapes import ok
from .yamlio import YamlDoc
from .yamlio import YList
from .yamlio import YMap
from .yamlio import load_file

IDENT = re.compile(r"[a-z][a-z0-9_]*\Z")
SLUG = re.compile(r"[a-z0-9][a-z0-9.-]*\Z")
QUESTION_TYPES = ("boolean", "choice", "multi", "number", "date", "text")
SECTIONS = ("questions", "conclusions", "issues", "authorities")

META = {
    "id": Field(TEXT, True), "title": Field(TEXT, True), "version": Field(TEXT, True),
    "as_of": Field(DATE, True), "jurisdiction": Field(TEXT, True), "description": Field(TEXT, True),
    "areas": Field(MAP, True), "question_presented": Field(TEXT), "disclaimer": Field(TEXT),
}
SECTION_FIELDS = {name: Field(LIST) for name in SECTIONS}
QUESTION = {
    "id": Field(TEXT, True), "prompt": Field(TEXT, True), "help": Field(TEXT), "type": Field(TEXT, True),
    "choices": Field(MAP), "unit": Field(TEXT), "min": Field(NUMBER), "max": Field(NUMBER),
    "ask_if": Field(TEXT), "phrases": Field(MAP), "fixed": Field(BOOL), "disputed_by": Field(TEXT),
}
CONCLUSION = {"id": Field(TEXT, True), "title": Field(TEXT, True), "when": Field(TEXT, True),
              "description": Field(TEXT)}
ISSUE = {
    "id": Field(TEXT, True), "title": Field(TEXT, True), "area": Field(TEXT, True),
    "severity": Field(TEXT, True), "when": Field(TEXT, True), "rule": Field(TEXT, True),
    "application": Field(TEXT, True), "counterargument": Field(TEXT, True),
    "conclusion": Field(TEXT, True), "next_steps": Field(TEXT_LIST), "authorities": Field(CITATION_LIST),
}
CITATION = {"id": Field(TEXT, True), "when": Field(TEXT, True)}
"""An issue's authority cited only where a condition holds: ``{id: 28-usc-2254, when: state_custody}``."""
AUTHORITY = {
    "id": Field(TEXT, True), "citation": Field(TEXT, True), "short": Field(TEXT),
    "kind": Field(TEXT, True), "court": Field(TEXT), "year": Field(INT), "url": Field(TEXT),
    "proposition": Field(TEXT, True), "verified": Field(BOOL, True), "note": Field(TEXT),
}


@dataclass
class _Item:
    """A located mapping of one section item and the file it came from."""

    node: YMap
    doc: YamlDoc


@dataclass
class _Gathered:
    meta: YMap | None = None
    meta_doc: YamlDoc | None = None
    sections: dict[str, list[_Item]] = field(default_factory=lambda: {s: [] for s in SECTIONS})
    tests: list[_Item] = field(default_factory=list)


def _check_file_count(files: list[Path], kind: str, out: Collector) -> None:
    """Report, and drop, the YAML files of a rule set past :data:`~transferlaw.language.limits.MAX_RULESET_FILES`."""
    if len(files) > MAX_RULESET_FILES:
        out.error(Position(display_path(files[MAX_RULESET_FILES])), f"more than {MAX_RULESET_FILES} {kind}files in "
                  "the rule set", "merge some of them")
        del files[MAX_RULESET_FILES:]


def _capped(items: YMap | YList, cap: int, what: str, out: Collector) -> None:
    """Report a located list or mapping longer than ``cap`` at its first item past the cap."""
    if len(items) > cap:
        pos = items.key_pos[list(items)[cap]] if isinstance(items, YMap) else items.at(cap)
        out.error(pos, f"more than {cap:,} {what}")


def _load_all(files: list[Path], out: Collector) -> list[tuple[Path, YamlDoc]]:
    """Every file parsed; if one does not parse (or cannot be read), its error is raised alone, before the
    other files are looked at, since they would report what it defines as unknown."""
    loaded = [(path, _load(path, out)) for path in files]
    if any(doc is None for _, doc in loaded):
        out.raise_if_errors()
    return [(path, doc) for path, doc in loaded if doc is not None]


def _load(path: Path, out: Collector) -> YamlDoc | None:
    try:
        return load_file(path, display_path(path))
    except SourceError as exc:
        out.extend([exc.diagnostic])
    except ValidationFailed as exc:
        out.extend(exc.diagnostics)
    return None


def _gather(doc: YamlDoc, is_meta: bool, gathered: _Gathered, out: Collector) -> None:
    spec = {**META, **SECTION_FIELDS} if is_meta else SECTION_FIELDS
    what = "ruleset.yaml" if is_meta else "a rule-set file"
    root = check_mapping(doc.root, spec, what, out, Position(doc.path, 1, 1))
    if root is None:
        return
    if is_meta:
        gathered.meta, gathered.meta_doc = root, doc
    for section in SECTIONS:
        if ok(root, section, LIST):
            items = root[section]
            for index, item in enumerate(items):
                if isinstance(item, YMap):
                    gathered.sections[section].append(_Item(item, doc))
                else:
                    out.error(items.at(index), f"each entry of '{section}' must be a mapping")


def _gather_tests(doc: YamlDoc, gathered: _Gathered, out: Collector) -> None:
    root = check_mapping(doc.root, {"tests": Field(LIST, True)}, "a rule-set test file", out,
                         Position(doc.path, 1, 1))
    if root is None or not ok(root, "tests", LIST):
        return
    for index, item in enumerate(root["tests"]):
        if isinstance(item, YMap):
            gathered.tests.append(_Item(item, doc))
        else:
            out.error(root["tests"].at(index), "each test must be a mapping")
