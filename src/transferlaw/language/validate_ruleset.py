"""Validate a rule-set directory into a :class:`~transferlaw.language.model.RuleSet`, reporting every problem at once.

Each file's shape is checked, and the files gathered, in :mod:`ruleset_files`; the tests are built in
:mod:`ruletest_builder`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from . import authored
from . import conditions
from . import phrasing
from .errors import Collector
from .errors import Diagnostic
from .errors import Position
from .errors import ValidationFailed
from .errors import display_path
from .errors import suggest
from .limits import MAX_AREAS
from .limits import MAX_CHOICES
from .limits import MAX_ID_LENGTH
from .limits import MAX_LIST_ITEMS
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
from .ruleset_files import AUTHORITY
from .ruleset_files import CITATION
from .ruleset_files import CONCLUSION
from .ruleset_files import IDENT
from .ruleset_files import ISSUE
from .ruleset_files import QUESTION
from .ruleset_files import QUESTION_TYPES
from .ruleset_files import SLUG
from .ruleset_files import _capped
from .ruleset_files import _check_file_count
from .ruleset_files import _gather
from .ruleset_files import _gather_tests
from .ruleset_files import _Gathered
from .ruleset_files import _Item
from .ruleset_files import _load_all
from .ruletest_builder import RuleTestBuilder
from .shapes import BOOL
from .shapes import CITATION_LIST
from .shapes import INT
from .shapes import MAP
from .shapes import NUMBER
from .shapes import TEXT
from .shapes import TEXT_LIST
from .shapes import check_mapping
from .shapes import get_date
from .shapes import ok
from .shapes import opt_text
from .yamlio import Scalar
from .yamlio import YMap
from .yamlio import locate_in_scalar


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
    builder = RuleTestBuilder(out)
    tests = [t for t in (builder.test(item, ruleset) for item in gathered.tests) if t]
    out.raise_if_errors()
    return tuple(tests)


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
        self.check_disputed_by(pairs, vocab)
        authorities = [a for a in (self.authority(i) for i in g.sections["authorities"]) if a]
        authority_ids = {a.id for a in authorities}
        text_names = {
            "facts": set(vocab) - {c.id for c in conclusions},
            "answer": set(vocab) - {c.id for c in conclusions},
            "phrase": set(vocab) - {c.id for c in conclusions},
            "known": set(vocab) - {c.id for c in conclusions},
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
        phrases = phrasing.read(node, qtype, choices, self.out)
        if ident is None or not ok(node, "prompt", TEXT) or not ok(node, "type", TEXT):
            return None
        disputed = str(node["disputed_by"]).strip() if ok(node, "disputed_by", TEXT) else None
        return Question(
            id=ident, prompt=str(node["prompt"]).strip(), type=qtype,  # type: ignore[arg-type]
            help=opt_text(node, "help"), choices=choices, unit=opt_text(node, "unit"),
            min=low if ok(node, "min", NUMBER) else None,
            max=high if ok(node, "max", NUMBER) else None, phrases=phrases,
            fixed=node.get("fixed") is True if ok(node, "fixed", BOOL) else False, disputed_by=disputed,
            pos=node.pos,
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

    def check_disputed_by(self, pairs: list[tuple[Question, _Item]], vocab: conditions.Vocabulary) -> None:
        """``disputed_by`` names a boolean question other than the question itself."""
        questions = {ident: q for ident, q in vocab.items() if isinstance(q, Question)}
        for q, item in pairs:
            if q.disputed_by is None:
                continue
            other = questions.get(q.disputed_by)
            where = item.node.at("disputed_by")
            if other is None:
                self.out.error(where, f"'disputed_by' names an unknown question '{q.disputed_by}'",
                               suggest(q.disputed_by, questions))
            elif other.type != "boolean" or other.id == q.id:
                self.out.error(where, f"'disputed_by' of '{q.id}' must name another, boolean question "
                               f"('{other.id}' is {'the question itself' if other.id == q.id else other.type})")

    def ask_if(self, q: Question, item: _Item, vocab: conditions.Vocabulary) -> Question:
        if "ask_if" not in item.node:
            return q
        cond = self.condition(item, "ask_if", vocab)
        if cond is None:
            return q
        direct = set(conditions.names(cond.expr))
        if q.id in direct:
            self.out.error(cond.pos, f"the ask_if of '{q.id}' depends on '{q.id}' itself")
        elif q.id in conditions.expand(direct, vocab):
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
                          description=opt_text(node, "description"), pos=node.pos)

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
            short=opt_text(node, "short"), court=opt_text(node, "court"),
            year=node["year"] if ok(node, "year", INT) else None, url=opt_text(node, "url"),
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
        cited: list[str] = []
        cited_when: list[tuple[str, Condition]] = []
        if ok(node, "authorities", CITATION_LIST):
            refs = node["authorities"]
            _capped(refs, MAX_LIST_ITEMS, "authorities in one issue", self.out)
            for index, ref in enumerate(refs):
                at = refs.at(index)
                condition = None
                if isinstance(ref, YMap):  # {id: …, when: …}: cited only where the condition holds
                    entry = check_mapping(ref, CITATION, "a conditional authority", self.out, at)
                    if entry is None or not ok(entry, "id", TEXT) or not ok(entry, "when", TEXT):
                        continue
                    condition = self.condition(_Item(entry, item.doc), "when", vocab)
                    at, ref = entry.at("id"), str(entry["id"])
                if ref not in authority_ids:
                    self.out.error(at, f"unknown authority '{ref}'", suggest(ref, authority_ids))
                elif ref in cited and len(refs) <= MAX_LIST_ITEMS:  # past the cap, the cap is the error
                    self.out.error(at, f"authority '{ref}' is cited twice in this issue",
                                   "keep one entry, with a `when` if it applies only to some cases")
                else:
                    cited.append(ref)
                    if condition is not None:
                        cited_when.append((ref, condition))
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
            when=when, next_steps=tuple(steps), authorities=tuple(cited), cited_when=tuple(cited_when),
            pos=node.pos, **texts,
        )


_TRUE = Condition(text="true", expr=conditions.parse("true"), pos=Position(""))
