"""Validate a rule-set directory into a :class:`~transferlaw.model.RuleSet`, reporting every problem at once."""

from __future__ import annotations

import re
from collections.abc import Callable
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

from . import authored
from . import conditions
from . import paths
from .errors import Collector
from .errors import Diagnostic
from .errors import Position
from .errors import SourceError
from .errors import ValidationFailed
from .errors import display_path
from .errors import quoted
from .errors import suggest
from .limits import MAX_AREAS
from .limits import MAX_CHOICES
from .limits import MAX_ID_LENGTH
from .limits import MAX_LIST_ITEMS
from .limits import MAX_RULESET_FILES
from .limits import MAX_TESTS
from .limits import SECTION_CAPS
from .model import AUTHORITY_KINDS
from .model import SEVERITIES
from .model import Authority
from .model import Conclusion
from .model import Condition
from .model import Issue
from .model import Question
from .model import RuleSet
from .model import RuleTest
from .model import Text
from .resources import rule_set_files
from .shapes import BOOL
from .shapes import DATE
from .shapes import INT
from .shapes import LIST
from .shapes import MAP
from .shapes import NUMBER
from .shapes import TEXT
from .shapes import TEXT_LIST
from .shapes import Field
from .shapes import check_mapping
from .shapes import get_date
from .shapes import ok
from .validate_case import case_from_mapping
from .yamlio import Scalar
from .yamlio import YamlDoc
from .yamlio import YList
from .yamlio import YMap
from .yamlio import load_file
from .yamlio import locate_in_scalar

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
    "ask_if": Field(TEXT),
}
CONCLUSION = {"id": Field(TEXT, True), "title": Field(TEXT, True), "when": Field(TEXT, True),
              "description": Field(TEXT)}
ISSUE = {
    "id": Field(TEXT, True), "title": Field(TEXT, True), "area": Field(TEXT, True),
    "severity": Field(TEXT, True), "when": Field(TEXT, True), "rule": Field(TEXT, True),
    "application": Field(TEXT, True), "counterargument": Field(TEXT, True),
    "conclusion": Field(TEXT, True), "next_steps": Field(TEXT_LIST), "authorities": Field(TEXT_LIST),
}
AUTHORITY = {
    "id": Field(TEXT, True), "citation": Field(TEXT, True), "short": Field(TEXT),
    "kind": Field(TEXT, True), "court": Field(TEXT), "year": Field(INT), "url": Field(TEXT),
    "proposition": Field(TEXT, True), "verified": Field(BOOL, True), "note": Field(TEXT),
}
TEST = {"name": Field(TEXT, True), "case": Field(TEXT), "facts": Field(MAP), "expect": Field(MAP, True),
        "missing": Field(MAP)}
EXPECT = {"issues": Field(MAP), "conclusions": Field(MAP)}
ISSUE_STATUSES = ("raised", "not_raised", "undetermined")
CONCLUSION_VALUES = {"true": True, "false": False, "unknown": None}


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


def load_ruleset_dir(directory: Path) -> RuleSet:
    """Load and validate a rule-set directory; raise :class:`ValidationFailed` listing every problem."""
    out = Collector()
    shown = display_path(directory)
    if not (directory / "ruleset.yaml").is_file():
        raise ValidationFailed([Diagnostic(Position(shown), "not a rule set: no ruleset.yaml here")])
    definition, _ = rule_set_files(directory)
    _check_file_count(definition, "", out)
    gathered = _Gathered()
    for path, doc in _load_all(definition, out):
        _gather(doc, path.name == "ruleset.yaml" and path.parent == directory, gathered, out)
    if gathered.meta is None or gathered.meta_doc is None:
        out.raise_if_errors()
        raise ValidationFailed([Diagnostic(Position(shown), "ruleset.yaml holds no metadata")])
    builder = _Builder(out, directory)
    ruleset = builder.build(gathered)
    out.raise_if_errors()
    assert ruleset is not None
    return ruleset


def load_ruleset_tests(directory: Path, ruleset: RuleSet) -> tuple[RuleTest, ...]:
    """Load and validate the tests in ``directory/tests/`` against ``ruleset``; report every problem.

    Tests are loaded on their own, only when they are run: a broken test never stops a memo.
    """
    out = Collector()
    gathered = _Gathered()
    files = rule_set_files(directory)[1]
    _check_file_count(files, "test ", out)
    for _, doc in _load_all(files, out):
        _gather_tests(doc, gathered, out)
    if len(gathered.tests) > MAX_TESTS:
        out.error(gathered.tests[MAX_TESTS].node.pos, f"more than {MAX_TESTS:,} tests in the rule set",
                  "keep the tests that pin down distinct results")
        del gathered.tests[MAX_TESTS:]
    builder = _Builder(out, directory)
    tests = [t for t in (builder.test(item, ruleset) for item in gathered.tests) if t]
    out.raise_if_errors()
    return tuple(tests)


def _check_file_count(files: list[Path], kind: str, out: Collector) -> None:
    """Report, and drop, the YAML files of a rule set past :data:`~transferlaw.limits.MAX_RULESET_FILES`."""
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


class _Builder:
    """Builds model objects from gathered items, reporting problems to one collector."""

    def __init__(self, out: Collector, directory: Path) -> None:
        self.out = out
        self.directory = directory
        self.ids: dict[str, Position] = {}
        self.authority_ids: dict[str, Position] = {}
        self.issue_ids: dict[str, Position] = {}

    # -- helpers ---------------------------------------------------------------------------------

    def claim_id(self, item: _Item, pattern: re.Pattern[str], what: str,
                 namespace: dict[str, Position]) -> str | None:
        node = item.node
        if not ok(node, "id", TEXT):
            return None
        ident = str(node["id"])
        if len(ident) > MAX_ID_LENGTH:
            self.out.error(node.at("id"), f"the {what} id is longer than {MAX_ID_LENGTH} characters")
            return None
        if not pattern.match(ident) or (pattern is IDENT and ("__" in ident
                                                              or ident in conditions.RESERVED)):
            rule = ("lower-case letters, digits and _, starting with a letter; not a reserved word"
                    if pattern is IDENT else "lower-case letters, digits, '-' and '.'")
            self.out.error(node.at("id"), f"invalid {what} id '{ident}'", rule)
            return None
        if ident in namespace:
            self.out.error(node.at("id"), f"duplicate id '{ident}'",
                           f"first defined at {namespace[ident]}")
            return None
        namespace[ident] = node.at("id")
        return ident

    def text(self, item: _Item, key: str) -> Text:
        node = item.node
        meta = node.meta.get(key)
        value = node.get(key)
        if isinstance(meta, Scalar) and isinstance(value, str):
            return Text(source=value, pos=locate_in_scalar(item.doc.lines, meta, 0),
                        block=meta.style == "|")
        return Text(source=str(value or ""), pos=node.at(key))

    def condition(self, item: _Item, key: str, vocab: conditions.Vocabulary | None) -> Condition | None:
        node = item.node
        if not ok(node, key, TEXT):
            return None
        source = str(node[key])
        meta = node.meta[key]
        assert isinstance(meta, Scalar)

        def located(offset: int) -> Position:
            return locate_in_scalar(item.doc.lines, meta, offset)

        try:
            expr = conditions.parse(source)
        except conditions.ConditionProblem as exc:
            problem = exc.problem
            self.out.error(located(problem.offset), problem.message, problem.hint)
            return None
        if vocab is not None:
            for problem in conditions.check(expr, vocab):
                self.out.error(located(problem.offset), problem.message, problem.hint)
        return Condition(text=source, expr=expr, pos=located(0))

    # -- sections --------------------------------------------------------------------------------

    def build(self, g: _Gathered) -> RuleSet | None:
        assert g.meta is not None and g.meta_doc is not None
        meta = g.meta
        ruleset_id = str(meta.get("id", ""))
        if ok(meta, "id", TEXT) and len(ruleset_id) > MAX_ID_LENGTH:
            self.out.error(meta.at("id"), f"the rule-set id is longer than {MAX_ID_LENGTH} characters")
        elif ok(meta, "id", TEXT) and not SLUG.match(ruleset_id):
            self.out.error(meta.at("id"), f"invalid rule-set id '{ruleset_id}'",
                           "lower-case letters, digits, '-' and '.', as in foreign-prison-transfer")
        elif ok(meta, "id", TEXT) and ruleset_id != self.directory.name:
            self.out.error(meta.at("id"), f"the rule-set id '{ruleset_id}' must equal its directory "
                           f"name '{self.directory.name}'")
        areas = self.areas(meta)
        for section, items in g.sections.items():  # past a cap, report it and check only the items before
            cap = SECTION_CAPS[section]
            if len(items) > cap:
                self.out.error(items[cap].node.pos, f"more than {cap:,} {section} in the rule set",
                               "split the rule set")
                del items[cap:]
        pairs = [(q, i) for q, i in ((self.question(i), i) for i in g.sections["questions"]) if q]
        vocab: dict[str, Question | Conclusion] = {q.id: q for q, _ in pairs}
        raw_conclusions = self.conclusion_stubs(g.sections["conclusions"], vocab)
        for c in raw_conclusions:
            vocab[c.id] = c
        conclusions = [c for c in (self.conclusion(i, vocab) for i in g.sections["conclusions"]) if c]
        conclusions = self.order_conclusions(conclusions)
        vocab.update((c.id, c) for c in conclusions)
        questions = [self.ask_if(q, item, vocab) for q, item in pairs]
        authorities = [a for a in (self.authority(i) for i in g.sections["authorities"]) if a]
        authority_ids = {a.id for a in authorities}
        text_names = {
            "facts": set(vocab) - {c.id for c in conclusions},
            "answer": set(vocab) - {c.id for c in conclusions},
            "conclusions": {c.id for c in conclusions},
            "case": set(authored.CASE_KEYS),
        }
        issues = [i for i in (self.issue(item, vocab, areas, authority_ids, text_names)
                              for item in g.sections["issues"]) if i]
        presented = None
        if ok(meta, "question_presented", TEXT):
            presented = self.text(_Item(meta, g.meta_doc), "question_presented")
            self.out.extend(authored.check(presented, text_names))
        if self.out.has_errors:
            return None
        ruleset = RuleSet(
            id=ruleset_id, title=str(meta["title"]), version=str(meta["version"]),
            as_of=get_date(meta, "as_of"),  # type: ignore[arg-type]
            jurisdiction=str(meta["jurisdiction"]), description=str(meta["description"]).strip(),
            areas=tuple(areas.items()), questions=tuple(questions), conclusions=tuple(conclusions),
            issues=tuple(issues), authorities=tuple(authorities), question_presented=presented,
            disclaimer=str(meta["disclaimer"]).strip() if ok(meta, "disclaimer", TEXT) else None,
            path=display_path(self.directory), pos=meta.pos,
        )
        return ruleset

    def areas(self, meta: YMap) -> dict[str, str]:
        areas: dict[str, str] = {}
        if not ok(meta, "areas", MAP):
            return areas
        node = meta["areas"]
        _capped(node, MAX_AREAS, "areas", self.out)
        for key, title in node.items():
            if len(key) > MAX_ID_LENGTH:
                self.out.error(node.key_pos[key], f"the area id is longer than {MAX_ID_LENGTH} characters")
            elif not IDENT.match(key):
                self.out.error(node.key_pos[key], f"invalid area id '{key}'",
                               "lower-case letters, digits and _")
            elif not isinstance(title, str) or not title.strip():
                self.out.error(node.at(key), f"area '{key}' needs a title")
            else:
                areas[key] = title.strip()
        if not areas and not node:
            self.out.error(node.pos, "'areas' must name at least one area")
        return areas

    def question(self, item: _Item) -> Question | None:
        node = check_mapping(item.node, QUESTION, "a question", self.out, item.node.pos)
        if node is None:
            return None
        ident = self.claim_id(item, IDENT, "question", self.ids)
        qtype = str(node.get("type", ""))
        if ok(node, "type", TEXT) and qtype not in QUESTION_TYPES:
            self.out.error(node.at("type"), f"unknown question type '{qtype}'",
                           suggest(qtype, QUESTION_TYPES) or "types: " + ", ".join(QUESTION_TYPES))
            return None
        choices = self.choices(node, qtype)
        if qtype != "number":
            for key in ("unit", "min", "max"):
                if key in node:
                    self.out.error(node.key_pos[key], f"'{key}' applies only to number questions")
        low: Any = node.get("min")
        high: Any = node.get("max")
        if ok(node, "min", NUMBER) and ok(node, "max", NUMBER) and low > high:
            self.out.error(node.at("max"), "'max' is smaller than 'min'")
        if ident is None or not ok(node, "prompt", TEXT) or not ok(node, "type", TEXT):
            return None
        return Question(
            id=ident, prompt=str(node["prompt"]).strip(), type=qtype,  # type: ignore[arg-type]
            help=_opt_text(node, "help"), choices=choices, unit=_opt_text(node, "unit"),
            min=low if ok(node, "min", NUMBER) else None,
            max=high if ok(node, "max", NUMBER) else None, pos=node.pos,
        )

    def choices(self, node: YMap, qtype: str) -> tuple[tuple[str, str], ...]:
        needs = qtype in ("choice", "multi")
        if not needs:
            if "choices" in node:
                self.out.error(node.key_pos["choices"], f"'choices' applies only to choice and multi "
                               f"questions, not {qtype}")
            return ()
        if "choices" not in node:
            self.out.error(node.pos, f"a {qtype} question needs 'choices'")
            return ()
        mapping = node["choices"]
        if not isinstance(mapping, YMap):
            return ()
        result: list[tuple[str, str]] = []
        _capped(mapping, MAX_CHOICES, "choices", self.out)
        for value, label in mapping.items():
            if len(value) > MAX_ID_LENGTH:
                self.out.error(mapping.key_pos[value], f"the choice value is longer than {MAX_ID_LENGTH} characters")
            elif not IDENT.match(value) or value in conditions.RESERVED:
                self.out.error(mapping.key_pos[value], f"invalid choice value '{value}'",
                               "lower-case letters, digits and _, starting with a letter; not a "
                               "reserved word")
            elif not isinstance(label, str) or not label.strip():
                self.out.error(mapping.at(value), f"choice '{value}' needs a label")
            else:
                result.append((value, label.strip()))
        if not mapping:
            self.out.error(mapping.pos, "'choices' is empty")
        return tuple(result)

    def ask_if(self, q: Question, item: _Item, vocab: conditions.Vocabulary) -> Question:
        if "ask_if" not in item.node:
            return q
        cond = self.condition(item, "ask_if", vocab)
        if cond is None:
            return q
        direct = set(conditions.names(cond.expr))
        if q.id in direct:
            self.out.error(cond.pos, f"the ask_if of '{q.id}' depends on '{q.id}' itself")
        elif q.id in _expand(direct, vocab):
            self.out.error(cond.pos, f"the ask_if of '{q.id}' depends on '{q.id}' through a conclusion")
        import dataclasses

        return dataclasses.replace(q, ask_if=cond)

    def conclusion_stubs(self, items: list[_Item], vocab: dict[str, Question | Conclusion]) -> list[Conclusion]:
        """Conclusion ids first, so that conclusions may use each other in any order."""
        stubs = []
        for item in items:
            node = check_mapping(item.node, CONCLUSION, "a conclusion", self.out, item.node.pos)
            if node is None:
                continue
            ident = self.claim_id(item, IDENT, "conclusion", self.ids)
            if ident is not None:
                stubs.append(Conclusion(id=ident, title="", when=_TRUE, pos=node.pos))
        return stubs

    def conclusion(self, item: _Item, vocab: conditions.Vocabulary) -> Conclusion | None:
        node = item.node
        ident = node.get("id")
        if not isinstance(ident, str) or vocab.get(ident) is None or vocab[ident].pos != node.pos:
            return None
        when = self.condition(item, "when", vocab)
        if when is None or not ok(node, "title", TEXT):
            return None
        return Conclusion(id=ident, title=str(node["title"]).strip(), when=when,
                          description=_opt_text(node, "description"), pos=node.pos)

    def order_conclusions(self, conclusions: list[Conclusion]) -> list[Conclusion]:
        """Topological order (dependencies first); report cycles."""
        by_id = {c.id: c for c in conclusions}
        order: list[Conclusion] = []
        state: dict[str, int] = {}

        def visit(c: Conclusion, path: list[str]) -> None:
            mark = state.get(c.id)
            if mark == 2:
                return
            if mark == 1:
                cycle = path[path.index(c.id):] + [c.id]
                self.out.error(c.when.pos, "conclusions form a cycle: " + " -> ".join(cycle))
                return
            state[c.id] = 1
            for name in conditions.names(c.when.expr):
                if name in by_id:
                    visit(by_id[name], path + [c.id])
            state[c.id] = 2
            order.append(c)

        for c in conclusions:
            visit(c, [])
        return order

    def authority(self, item: _Item) -> Authority | None:
        node = check_mapping(item.node, AUTHORITY, "an authority", self.out, item.node.pos)
        if node is None:
            return None
        ident = self.claim_id(item, SLUG, "authority", self.authority_ids)
        kind = str(node.get("kind", ""))
        if ok(node, "kind", TEXT) and kind not in AUTHORITY_KINDS:
            self.out.error(node.at("kind"), f"unknown authority kind '{kind}'",
                           suggest(kind, AUTHORITY_KINDS) or "kinds: " + ", ".join(AUTHORITY_KINDS))
            return None
        required = ("citation", "kind", "proposition")
        if ident is None or not all(ok(node, k, TEXT) for k in required) or not ok(node, "verified",
                                                                                   BOOL):
            return None
        return Authority(
            id=ident, citation=str(node["citation"]).strip(), kind=kind,
            proposition=" ".join(str(node["proposition"]).split()), verified=bool(node["verified"]),
            short=_opt_text(node, "short"), court=_opt_text(node, "court"),
            year=node["year"] if ok(node, "year", INT) else None, url=_opt_text(node, "url"),
            pos=node.pos,
        )

    def issue(self, item: _Item, vocab: conditions.Vocabulary, areas: dict[str, str],
              authority_ids: set[str], text_names: dict[str, set[str]]) -> Issue | None:
        node = check_mapping(item.node, ISSUE, "an issue", self.out, item.node.pos)
        if node is None:
            return None
        ident = self.claim_id(item, IDENT, "issue", self.issue_ids)
        if ident is not None and isinstance(vocab.get(ident), Conclusion):  # one result per id in the engine
            self.out.error(node.at("id"), f"the issue id '{ident}' is also a conclusion's",
                           f"rename one; the conclusion is at {vocab[ident].pos}")
            ident = None
        area = str(node.get("area", ""))
        if ok(node, "area", TEXT) and areas and area not in areas:
            self.out.error(node.at("area"), f"unknown area '{area}'",
                           suggest(area, areas) or "areas: " + ", ".join(areas))
        severity = str(node.get("severity", ""))
        if ok(node, "severity", TEXT) and severity not in SEVERITIES:
            self.out.error(node.at("severity"), f"unknown severity '{severity}'",
                           suggest(severity, SEVERITIES) or "high, medium or low")
        when = self.condition(item, "when", vocab)
        cited: tuple[str, ...] = ()
        if ok(node, "authorities", TEXT_LIST):
            refs = node["authorities"]
            _capped(refs, MAX_LIST_ITEMS, "authorities in one issue", self.out)
            for index, ref in enumerate(refs):
                if ref not in authority_ids:
                    self.out.error(refs.at(index), f"unknown authority '{ref}'",
                                   suggest(ref, authority_ids))
            cited = tuple(str(r) for r in refs)
        texts = {}
        for key in ("rule", "application", "counterargument", "conclusion"):
            if ok(node, key, TEXT):
                texts[key] = self.text(item, key)
                self.out.extend(authored.check(texts[key], text_names))
        steps: list[Text] = []
        if ok(node, "next_steps", TEXT_LIST):
            steps_node = node["next_steps"]
            _capped(steps_node, MAX_LIST_ITEMS, "next steps in one issue", self.out)
            for index, step in enumerate(steps_node):
                meta = steps_node.meta[index]
                assert isinstance(meta, Scalar)
                text = Text(source=step, pos=locate_in_scalar(item.doc.lines, meta, 0),
                            block=meta.style == "|")
                self.out.extend(authored.check(text, text_names))
                steps.append(text)
        if (ident is None or when is None or len(texts) < 4 or not ok(node, "title", TEXT)
                or area not in areas or severity not in SEVERITIES):
            return None
        return Issue(
            id=ident, title=str(node["title"]).strip(), area=area,
            severity=severity,
            when=when, next_steps=tuple(steps), authorities=cited, pos=node.pos, **texts,
        )

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
                case = self._collect(lambda: _load_case_file(path, ruleset), node.at("case"))
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
        missing = self._missing(node, ruleset)
        if case is None or expect is None or not ok(node, "name", TEXT):
            return None
        return RuleTest(name=str(node["name"]), case=case,
                        issues={k: v for k, v in issues.items()},  # type: ignore[misc]
                        conclusions={k: CONCLUSION_VALUES[str(v)] for k, v in concl.items()},
                        missing=missing, pos=node.pos)

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

    def _missing(self, node: YMap, ruleset: RuleSet) -> dict[str, tuple[str, ...]]:
        result: dict[str, tuple[str, ...]] = {}
        if not ok(node, "missing", MAP):
            return result
        mapping = node["missing"]
        for name, facts in mapping.items():
            if name not in ruleset.issue_by_id:
                self.out.error(mapping.key_pos[name], f"unknown issue '{name}'",
                               suggest(name, ruleset.issue_by_id))
                continue
            if not isinstance(facts, YList) or not all(isinstance(f, str) for f in facts):
                self.out.error(mapping.at(name), "expected a list of question ids")
                continue
            _capped(facts, MAX_LIST_ITEMS, "missing facts for one issue", self.out)
            for index, fact in enumerate(facts):
                if fact not in ruleset.question_by_id:
                    self.out.error(facts.at(index), f"unknown question '{fact}'",
                                   suggest(fact, ruleset.question_by_id))
            result[name] = tuple(facts)
        return result


_TRUE = Condition(text="true", expr=conditions.parse("true"), pos=Position(""))


def _expand(names: set[str], vocab: conditions.Vocabulary) -> set[str]:
    """The names a condition depends on, through the conclusions it uses."""
    seen: set[str] = set()
    stack = list(names)
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen.add(name)
        item = vocab.get(name)
        if isinstance(item, Conclusion) and item.title:  # stubs (no title yet) have no condition
            stack.extend(conditions.names(item.when.expr))
    return seen


def _yaml_name(path: Path) -> bool:
    """Whether ``path``, and the file a symbolic link there leads to, are named ``*.yaml`` or ``*.yml``."""
    try:
        target = path.resolve()
    except (OSError, ValueError, RuntimeError):  # a name the system cannot take, a loop of links
        return False
    return all(p.suffix.lower() in (".yaml", ".yml") for p in (path, target))


def _opt_text(node: YMap, key: str) -> str | None:
    value = node.get(key)
    return str(value).strip() if isinstance(value, str) and value.strip() else None


def _synthetic_case(node: YMap, ruleset_id: str, title: str) -> YMap:
    case = YMap({"ruleset": ruleset_id, "title": title, "facts": node["facts"]})
    case.pos = node.pos
    case.key_pos = {"ruleset": node.pos, "title": node.pos, "facts": node.key_pos["facts"]}
    case.meta = {"facts": node["facts"]}
    return case


def _load_case_file(path: Path, ruleset: RuleSet) -> Any:
    from .validate_case import load_case_file

    return load_case_file(path, ruleset)
