"""Check the shape of located YAML mappings against small declarative specs, collecting every problem."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .conditions import parse_date
from .errors import Collector
from .errors import Position
from .errors import suggest
from .limits import MAX_NUMBER
from .yamlio import YList
from .yamlio import YMap

# kinds a field may have
TEXT = "text"
INT = "integer"
NUMBER = "number"
BOOL = "boolean"
DATE = "date"
LIST = "list"
MAP = "mapping"
TEXT_LIST = "list of text"
CITATION_LIST = "list of citations"
ANY = "any"


@dataclass(frozen=True, slots=True)
class Field:
    kind: str
    required: bool = False


def describe(value: Any) -> str:
    """How a YAML value reads to a user, for "expected X, got Y" messages."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def is_kind(value: Any, kind: str) -> bool:
    if kind == ANY:
        return True
    if kind == TEXT:
        return isinstance(value, str) and value.strip() != ""
    if kind == INT:
        return isinstance(value, int) and not isinstance(value, bool) and abs(value) < MAX_NUMBER
    if kind == NUMBER:
        return in_range(value)
    if kind == BOOL:
        return isinstance(value, bool)
    if kind == DATE:
        return isinstance(value, str) and parse_date(value) is not None
    if kind == LIST:
        return isinstance(value, YList)
    if kind == MAP:
        return isinstance(value, YMap)
    if kind == TEXT_LIST:
        return isinstance(value, YList) and all(isinstance(v, str) and v.strip() for v in value)
    if kind == CITATION_LIST:  # an authority id, or a mapping {id, when} checked item by item
        return isinstance(value, YList) and all((isinstance(v, str) and v.strip()) or isinstance(v, YMap)
                                                for v in value)
    raise ValueError(kind)


def is_number(value: Any) -> bool:
    """True for an int or a float (not a bool), whatever its size."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def in_range(value: Any) -> bool:
    """True for a number that is finite and below :data:`~transferlaw.language.limits.MAX_NUMBER` in size.

    Compares without converting, so an integer of any number of digits is refused, never an OverflowError.
    """
    return is_number(value) and abs(value) < MAX_NUMBER


OUT_OF_RANGE = "out of range (numbers must be finite and below 10^15)"


def check_mapping(node: Any, spec: Mapping[str, Field], what: str, out: Collector,
                  pos: Position) -> YMap | None:
    """Check that ``node`` is a mapping with the keys of ``spec``; report all problems; return it."""
    if not isinstance(node, YMap):
        out.error(getattr(node, "pos", pos), f"{what} must be a mapping of keys, got {describe(node)}")
        return None
    for key in node:
        if key not in spec:
            hint = suggest(key, spec) or "allowed: " + ", ".join(spec)
            out.error(node.key_pos[key], f"unknown key '{key}' in {what}", hint)
    for key, fld in spec.items():
        if key not in node:
            if fld.required:
                out.error(node.pos, f"{what} is missing the required key '{key}'")
            continue
        value = node[key]
        if fld.kind in (NUMBER, INT) and is_number(value) and not in_range(value):
            out.error(node.at(key), f"'{key}' is {OUT_OF_RANGE}")
        elif not is_kind(value, fld.kind):
            expected = _EXPECTED.get(fld.kind, fld.kind)
            got = "empty text" if isinstance(value, str) and not value.strip() else describe(value)
            out.error(node.at(key), f"'{key}' must be {expected}, got {got}")
    return node


_EXPECTED = {
    TEXT: "non-empty text", DATE: "a date YYYY-MM-DD", LIST: "a list", MAP: "a mapping", INT: "a whole number",
    NUMBER: "a number", BOOL: "true or false", TEXT_LIST: "a list of text",
    CITATION_LIST: "a list of authority ids (an id, or a mapping with id and when)",
}


def get_date(node: YMap, key: str) -> dt.date | None:
    value = node.get(key)
    return parse_date(value) if isinstance(value, str) else None


def ok(node: YMap, key: str, kind: str) -> bool:
    """True when ``key`` is present and of the right kind (problems were reported by check_mapping)."""
    return key in node and is_kind(node[key], kind)


def opt_text(node: YMap, key: str) -> str | None:
    """The text at ``key``, stripped, or None when it is absent or blank."""
    value = node.get(key)
    return str(value).strip() if isinstance(value, str) and value.strip() else None
