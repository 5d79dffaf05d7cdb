"""Validate a case file against its rule set into a :class:`~transferlaw.language.model.Case`, reporting every
problem."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .conditions import parse_date
from .errors import Collector
from .errors import Diagnostic
from .errors import Position
from .errors import SourceError
from .errors import TransferlawError
from .errors import ValidationFailed
from .errors import display_path
from .errors import suggest
from .limits import MAX_CHOICES
from .limits import MAX_NUMBER as MAX_NUMBER
from .limits import MAX_TEXT_LENGTH as MAX_TEXT
from .limits import MIN_FRACTION
from .model import Case
from .model import MemoMeta
from .model import Question
from .model import RuleSet
from .model import Value
from .number import NumberError
from .number import parse_number
from .shapes import ANY
from .shapes import DATE
from .shapes import MAP
from .shapes import OUT_OF_RANGE
from .shapes import TEXT
from .shapes import Field
from .shapes import check_mapping
from .shapes import describe
from .shapes import get_date
from .shapes import in_range
from .shapes import is_number
from .shapes import ok
from .words import counted
from .yamlio import Scalar
from .yamlio import YamlDoc
from .yamlio import YList
from .yamlio import YMap
from .yamlio import load_file
from .yamlio import load_text
from .yamlio import unfit_character

CASE = {
    "ruleset": Field(TEXT, True), "title": Field(TEXT, True), "as_of": Field(DATE),
    "facts": Field(MAP), "notes": Field(TEXT), "memo": Field(MAP),
}
MEMO = {"to": Field(TEXT), "from": Field(TEXT), "re": Field(TEXT), "privileged": Field(ANY), "person": Field(TEXT)}
DEFAULT_LEGEND = "PRIVILEGED & CONFIDENTIAL \u2014 ATTORNEY WORK PRODUCT"
UNKNOWN = "unknown"
_YAML_BOOL_WORDS = {"yes", "no", "on", "off", "y", "n", "true", "false"}


def read_case_doc(path: Path | None, text: str | None = None, display: str | None = None) -> YamlDoc:
    """Load a case file's YAML (from ``path``, or from ``text`` for stdin)."""
    if text is not None:
        return load_text(text, display or "-")
    assert path is not None
    return load_file(path, display or display_path(path))


def ruleset_id_of(doc: YamlDoc) -> tuple[str, Position]:
    """The ``ruleset:`` a case names, checked just enough to find the rule set."""
    root = doc.root
    if not isinstance(root, YMap):
        raise SourceError(Diagnostic(getattr(root, "pos", Position(doc.path, 1, 1)),
                                     f"a case file must be a mapping of keys, got {describe(root)}"))
    if not ok(root, "ruleset", TEXT):
        where = root.at("ruleset") if "ruleset" in root else root.pos
        raise SourceError(Diagnostic(where, "the case must name its rule set, e.g. "
                                     "'ruleset: foreign-prison-transfer'"))
    return str(root["ruleset"]), root.at("ruleset")


def load_case_file(path: Path, ruleset: RuleSet) -> Case:
    """Load and validate a case file against ``ruleset``."""
    doc = read_case_doc(path)
    ident, pos = ruleset_id_of(doc)
    if ident != ruleset.id:
        raise SourceError(Diagnostic(pos, f"the case is for rule set '{ident}', not '{ruleset.id}'"))
    return case_from_mapping(doc.root, ruleset, doc.path)


def case_from_mapping(root: Any, ruleset: RuleSet, source: str) -> Case:
    """Validate a located case mapping; raise ``ValidationFailed`` with every problem."""
    out = Collector()
    node = check_mapping(root, CASE, "a case file", out, Position(source, 1, 1))
    if node is None:
        out.raise_if_errors()
        raise AssertionError("unreachable")
    facts: dict[str, Value] = {}
    if ok(node, "facts", MAP):
        facts_node = node["facts"]
        for key, value in facts_node.items():
            question = ruleset.question_by_id.get(key)
            if question is None:
                hint = suggest(key, ruleset.question_by_id)
                if key in ruleset.conclusion_by_id:
                    hint = f"'{key}' is a conclusion the rule set derives; give the facts instead"
                out.error(facts_node.key_pos[key], f"unknown question '{key}'", hint)
                continue
            parsed = fact_value(question, value, facts_node.meta[key], out)
            if parsed is not None:
                facts[key] = parsed
    meta = _memo_meta(node, out)
    out.raise_if_errors()
    notes = node.get("notes")
    return Case(
        ruleset=str(node["ruleset"]), title=" ".join(str(node["title"]).split()),
        facts={q.id: facts[q.id] for q in ruleset.questions if q.id in facts},
        as_of=get_date(node, "as_of"), notes=notes.strip() if isinstance(notes, str) else None, memo=meta,
        source=source, pos=node.pos,
    )


def _memo_meta(node: YMap, out: Collector) -> MemoMeta:
    """The ``memo:`` block: to, from, re, privileged (true for the default legend, or a legend) and person (what
    the memo calls the person)."""
    if "memo" not in node:
        return MemoMeta()
    block = check_mapping(node["memo"], MEMO, "'memo'", out, node.at("memo"))
    if block is None:
        return MemoMeta()
    privileged = block.get("privileged")
    legend: str | None = None
    if privileged is True:
        legend = DEFAULT_LEGEND
    elif isinstance(privileged, str) and privileged.strip():
        legend = " ".join(privileged.split())
    elif privileged not in (None, False):
        out.error(block.at("privileged"), "'privileged' must be true, false or the legend's text")

    def text(key: str) -> str | None:
        value = block.get(key) if block is not None else None
        return " ".join(value.split()) if isinstance(value, str) else None

    return MemoMeta(to=text("to"), sender=text("from"), re=text("re"), privileged=legend, person=text("person"))


def fact_value(q: Question, value: Any, meta: Scalar | YMap | YList, out: Collector) -> Value | None:
    """Check one answer against its question; report a problem and return None when it is wrong.

    ``unknown`` and null also return None, without a problem.
    """
    pos = meta.pos
    if value is None or value == UNKNOWN:
        return None
    kind = q.type
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        out.error(pos, f"'{q.id}' takes true, false or unknown, got {_shown(value)}",
                  "write true or false without quotes")
        return None
    if kind == "choice":
        if isinstance(value, bool) and isinstance(meta, Scalar) and meta.raw.lower() in _YAML_BOOL_WORDS:
            value = meta.raw
        return _choice(q, value, pos, out)
    if kind == "multi":
        return _multi(q, value, meta, out)
    if kind == "number":
        return _number(q, value, meta, out)
    if kind == "date":
        if isinstance(value, str) and parse_date(value) is not None:
            return value
        out.error(pos, f"'{q.id}' takes a date YYYY-MM-DD, got {_shown(value)}")
        return None
    if isinstance(value, (YMap, YList)):
        out.error(pos, f"'{q.id}' takes text, got {describe(value)}")
        return None
    text = meta.raw if isinstance(meta, Scalar) else str(value)
    if len(text) > MAX_TEXT:
        out.error(pos, f"'{q.id}' is longer than {MAX_TEXT:,} characters")
        return None
    unfit = unfit_character(text)  # the loader refuses these in a file; an answer from elsewhere too
    if unfit is not None:
        out.error(pos, f"'{q.id}' holds {unfit}", "remove it")
        return None
    return text.strip()


def _shown(value: Any) -> str:
    if isinstance(value, (YMap, YList)):
        return describe(value)
    if isinstance(value, str):
        return repr(value) if len(value) <= 60 else repr(value[:60]) + "..."
    return str(value).lower()


def _choice(q: Question, value: Any, pos: Position, out: Collector) -> str | None:
    if isinstance(value, str) and value in q.choice_values:
        return value
    shown = _shown(value)
    hint = suggest(str(value), q.choice_values) if isinstance(value, str) else None
    out.error(pos, f"{shown} is not a choice of '{q.id}'",
              hint or "choices: " + ", ".join(q.choice_values))
    return None


def _multi(q: Question, value: Any, meta: Scalar | YMap | YList, out: Collector) -> tuple[str, ...] | None:
    if not isinstance(value, YList):
        out.error(meta.pos, f"'{q.id}' takes a list of choices, got {describe(value)}",
                  "write [] for none, or [a, b]")
        return None
    if len(value) > MAX_CHOICES:  # more than any question has choices: not checked item by item
        out.error(value.at(MAX_CHOICES), f"'{q.id}' lists more than {MAX_CHOICES} items",
                  f"it has {counted(len(q.choices), 'choices')}; list each at most once")
        return None
    chosen: set[str] = set()
    good = True
    for index, item in enumerate(value):
        item_meta = value.meta[index]
        if isinstance(item, bool) and isinstance(item_meta, Scalar):
            item = item_meta.raw
        picked = _choice(q, item, value.at(index), out)
        if picked is None:
            good = False
        elif picked in chosen:
            out.error(value.at(index), f"'{picked}' is listed twice")
            good = False
        else:
            chosen.add(picked)
    if not good:
        return None
    return tuple(v for v in q.choice_values if v in chosen)


def _number(q: Question, value: Any, meta: Scalar | YMap | YList, out: Collector) -> int | float | None:
    pos = meta.pos
    if not is_number(value):
        hint = None
        if isinstance(value, str) and isinstance(meta, Scalar):
            try:
                parse_number(value)
                hint = "write it without quotes" if meta.style else None
            except NumberError as exc:
                if exc.number_like and not meta.style:  # YAML reads 1,5 as text: say why it is not a number
                    out.error(pos, exc.message, exc.hint)
                    return None
        out.error(pos, f"'{q.id}' takes a number, got {_shown(value)}", hint)
        return None
    if not in_range(value):
        out.error(pos, f"'{q.id}' is {OUT_OF_RANGE}")
        return None
    if isinstance(value, float):
        if value != 0 and abs(value) < MIN_FRACTION:
            out.error(pos, f"'{q.id}' is too small to be meaningful; round it")
            return None
        if value.is_integer():
            value = int(value)
    unit = f" {q.unit}" if q.unit else ""
    if q.min is not None and value < q.min:
        out.error(pos, f"'{q.id}' must be at least {_num(q.min)}{unit}, got {_num(value)}")
        return None
    if q.max is not None and value > q.max:
        out.error(pos, f"'{q.id}' must be at most {_num(q.max)}{unit}, got {_num(value)}")
        return None
    return value  # type: ignore[no-any-return]


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def with_settings(case: Case, ruleset: RuleSet, settings: Sequence[str]) -> Case:
    """``case`` with ``FACT=VALUE`` settings applied (``VALUE`` is YAML; ``unknown`` clears the fact), each
    validated like a case file's answer and located at ``--set FACT=VALUE``; every problem reported at once."""
    out = Collector()
    facts = dict(case.facts)
    for setting in settings:
        where = Position(f"--set {setting}")
        name, sep, raw = setting.partition("=")
        name = name.strip()
        question = ruleset.question_by_id.get(name)
        if not sep or not name:
            out.error(where, "expected FACT=VALUE", "e.g. --set consent_given=true")
            continue
        if question is None:
            out.error(where, f"unknown question '{name}'", suggest(name, ruleset.question_by_id))
            continue
        try:
            value = load_text(raw, where.path).root
        except ValidationFailed as exc:  # e.g. 1:30: said as a case file would say it, at the setting
            out.extend(dataclasses.replace(d, pos=where) for d in exc.diagnostics)
            continue
        except TransferlawError as exc:
            out.error(where, f"cannot read the value: {exc}")
            continue
        meta = value if isinstance(value, (YMap, YList)) else Scalar(where, None, raw.strip(), "")
        if isinstance(value, (YMap, YList)):
            value.pos = where
        parsed = fact_value(question, value, meta, out)
        if parsed is None:
            facts.pop(name, None)
        else:
            facts[name] = parsed
    out.raise_if_errors()
    ordered = {q.id: facts[q.id] for q in ruleset.questions if q.id in facts}
    return dataclasses.replace(case, facts=ordered)
