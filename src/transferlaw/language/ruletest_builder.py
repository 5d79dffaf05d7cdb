"""Rule-set tests (``tests/*.yaml`` of a rule set) checked and built into :class:`~transferlaw.language.model.RuleTest`.

The files are loaded and gathered by :mod:`ruleset_files`; :func:`validate_ruleset.load_ruleset_tests` runs this.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from . import paths
from .errors import Collector
from .errors import Position
from .errors import SourceError
from .errors import ValidationFailed
from .errors import quoted
from .errors import suggest
from .limits import MAX_LIST_ITEMS
from .model import RuleSet
from .model import RuleTest
from .ruleset_files import _capped
from .ruleset_files import _Item
from .shapes import MAP
from .shapes import TEXT
from .shapes import Field
from .shapes import check_mapping
from .shapes import ok
from .validate_case import case_from_mapping
from .validate_case import load_case_file
from .yamlio import YList
from .yamlio import YMap

TEST = {"name": Field(TEXT, True), "case": Field(TEXT), "facts": Field(MAP), "expect": Field(MAP, True),
        "missing": Field(MAP), "cites": Field(MAP), "omits": Field(MAP)}
EXPECT = {"issues": Field(MAP), "conclusions": Field(MAP)}
ISSUE_STATUSES = ("raised", "not_raised", "undetermined")
CONCLUSION_VALUES = {"true": True, "false": False, "unknown": None}


_Problem = Callable[[str, str, RuleSet], tuple[str, Iterable[str]] | None]
"""What is wrong with one id listed under one issue of a test (a message and the names to suggest from), or None."""


class RuleTestBuilder:
    """Builds the tests of a rule set from gathered items, reporting problems to one collector."""

    def __init__(self, out: Collector) -> None:
        self.out = out

    def test(self, item: _Item, ruleset: RuleSet) -> RuleTest | None:
        node = check_mapping(item.node, TEST, "a test", self.out, item.node.pos)
        if node is None:
            return None
        case = None
        if ("case" in node) == ("facts" in node):
            self.out.error(node.pos, "a test needs either 'case' (a path) or 'facts', not both")
        elif ok(node, "case", TEXT):
            path = Path(item.doc.path).parent / str(node["case"])
            if Path(str(node["case"])).is_absolute() or not _yaml_name(path):
                # a rule set shared between classes must not make `check` read (and quote) any file it likes
                self.out.error(node.at("case"),
                               f"'case' must be a relative path to a .yaml case file, got {quoted(str(node['case']))}",
                               "the path is relative to this test file")
            elif paths.is_file(path):
                case = self._collect(lambda: load_case_file(path, ruleset), node.at("case"))
            else:
                self.out.error(node.at("case"), f"no case file {quoted(str(node['case']))}",
                               "the path is relative to this test file")
        elif ok(node, "facts", MAP):
            title = str(node.get("name", "test"))
            case = self._collect(lambda: case_from_mapping(
                _synthetic_case(node, ruleset.id, title), ruleset, item.doc.path), node.at("facts"))
        expect = None
        if "expect" in node:
            expect = check_mapping(node["expect"], EXPECT, "'expect'", self.out, node.at("expect"))
        issues = self._expected(expect, "issues", ruleset.issue_by_id, ISSUE_STATUSES)
        concl = self._expected(expect, "conclusions", ruleset.conclusion_by_id, CONCLUSION_VALUES)
        missing = self._per_issue(node, "missing", ruleset, _question_of)
        cites = self._per_issue(node, "cites", ruleset, _authority_of)
        omits = self._per_issue(node, "omits", ruleset, _authority_of)
        if case is None or expect is None or not ok(node, "name", TEXT):
            return None
        return RuleTest(name=str(node["name"]), case=case,
                        issues={k: v for k, v in issues.items()},  # type: ignore[misc]
                        conclusions={k: CONCLUSION_VALUES[str(v)] for k, v in concl.items()},
                        missing=missing, cites=cites, omits=omits, pos=node.pos)

    def _collect(self, make: Callable[[], Any], pos: Position) -> Any:
        try:
            return make()
        except SourceError as exc:
            self.out.extend([exc.diagnostic])
        except ValidationFailed as exc:
            self.out.extend(exc.diagnostics)
        return None

    def _expected(self, expect: YMap | None, key: str, known: Any, values: Iterable[str]) -> dict[str, str]:
        result: dict[str, str] = {}
        if expect is None or not ok(expect, key, MAP):
            return result
        mapping = expect[key]
        allowed = tuple(values)
        for name, value in mapping.items():
            text = "true" if value is True else "false" if value is False else str(value)
            if name not in known:
                self.out.error(mapping.key_pos[name], f"unknown {key[:-1]} '{name}'",
                               suggest(name, known))
            elif text not in allowed:
                self.out.error(mapping.at(name), f"expected one of {', '.join(allowed)}, got "
                               f"'{text}'", suggest(text, allowed))
            else:
                result[name] = text
        return result

    def _per_issue(self, node: YMap, key: str, ruleset: RuleSet,
                   problem: _Problem) -> dict[str, tuple[str, ...]]:
        """A test's mapping of issue id → ids (``missing`` facts, ``cites``/``omits`` authorities), every
        unknown id reported where it stands; ``problem`` says what is wrong with one id for one issue."""
        result: dict[str, tuple[str, ...]] = {}
        if not ok(node, key, MAP):
            return result
        mapping = node[key]
        for name, items in mapping.items():
            if name not in ruleset.issue_by_id:
                self.out.error(mapping.key_pos[name], f"unknown issue '{name}'",
                               suggest(name, ruleset.issue_by_id))
                continue
            if not isinstance(items, YList) or not all(isinstance(f, str) for f in items):
                self.out.error(mapping.at(name), f"expected a list of {_KINDS[key]} ids")
                continue
            _capped(items, MAX_LIST_ITEMS, f"{_ITEMS[key]} for one issue", self.out)
            for index, ident in enumerate(items):
                found = problem(name, ident, ruleset)
                if found is not None:
                    self.out.error(items.at(index), found[0], suggest(ident, found[1]))
            result[name] = tuple(items)
        return result


_KINDS = {"missing": "question", "cites": "authority", "omits": "authority"}
_ITEMS = {"missing": "missing facts", "cites": "cited authorities", "omits": "omitted authorities"}


def _question_of(issue: str, ident: str, ruleset: RuleSet) -> tuple[str, Iterable[str]] | None:
    if ident in ruleset.question_by_id:
        return None
    return f"unknown question '{ident}'", ruleset.question_by_id


def _authority_of(issue: str, ident: str, ruleset: RuleSet) -> tuple[str, Iterable[str]] | None:
    listed = ruleset.issue_by_id[issue].authorities
    if ident in listed:
        return None
    if ident in ruleset.authority_by_id:
        return f"issue '{issue}' never cites '{ident}' (it cites: {', '.join(listed) or 'nothing'})", ()
    return f"unknown authority '{ident}'", ruleset.authority_by_id


def _yaml_name(path: Path) -> bool:
    """Whether ``path``, and the file a symbolic link there leads to, are named ``*.yaml`` or ``*.yml``."""
    try:
        target = path.resolve()
    except (OSError, ValueError, RuntimeError):  # a name the system cannot take, a loop of links
        return False
    return all(p.suffix.lower() in (".yaml", ".yml") for p in (path, target))


def _synthetic_case(node: YMap, ruleset_id: str, title: str) -> YMap:
    case = YMap({"ruleset": ruleset_id, "title": title, "facts": node["facts"]})
    case.pos = node.pos
    case.key_pos = {"ruleset": node.pos, "title": node.pos, "facts": node.key_pos["facts"]}
    case.meta = {"facts": node["facts"]}
    return case
