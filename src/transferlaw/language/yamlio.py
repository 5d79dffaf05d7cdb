"""Load YAML safely into located values: mappings and lists that remember where each item stood.

PyYAML is called here and nowhere else. Only the safe schema is accepted (no tags that build objects),
duplicate keys are errors (all of them reported), dates stay text until validation parses them, numbers are
plain decimal as in every other input (``010`` is 10; YAML 1.1's ``1:30``, ``0x10`` and ``1_0`` are errors
with the number to write: :mod:`transferlaw.language.number`), and anchors are shared rather than expanded, so an alias
bomb costs nothing. The size limits of
:mod:`transferlaw.language.limits` are checked here for every file: its size, nesting, number of values and the length
of each text. PyYAML's 0-based marks become 1-based positions in exactly one place, :func:`_pos`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from typing import BinaryIO

import yaml

from .errors import Collector
from .errors import Diagnostic
from .errors import Position
from .errors import SourceError
from .files import read_regular
from .limits import CONTROL_CHARACTER
from .limits import MAX_FILE_BYTES
from .limits import MAX_TEXT_LENGTH
from .limits import MAX_YAML_DEPTH as MAX_DEPTH
from .limits import MAX_YAML_NODES
from .number import NumberError
from .number import parse_number

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_NUMBER_TAGS = (_INT, _FLOAT)
_BaseLoader: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_INT_LIKE = re.compile(r"""^(?:[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])*
    |[-+]?[0-9]{1,3}(?:,[0-9]{3})+
    |[-+]?0[xXoObB][0-9a-fA-F_]+)$""", re.X)
_FLOAT_LIKE = re.compile(r"""^(?:[-+]?(?:[0-9][0-9_]*(?::[0-5]?[0-9])*|[0-9]{1,3}(?:,[0-9]{3})+)
      (?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?
    |[-+]?\.[0-9][0-9_]*(?:[eE][-+]?[0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$""", re.X)
_NOT_FINITE = re.compile(r"[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)")


def _resolvers() -> dict[Any, list[tuple[str, re.Pattern[str]]]]:
    """PyYAML's implicit resolvers without YAML 1.1's numbers, plus ours: every plain scalar that some
    notation reads as a number is tagged a number, and :func:`~transferlaw.language.number.parse_number` then takes
    plain decimal (``010`` is 10) and refuses the rest (``1:30``, ``0x10``, ``1_0``) with a hint."""
    kept = {first: [(tag, regexp) for tag, regexp in found if tag not in _NUMBER_TAGS]
            for first, found in _BaseLoader.yaml_implicit_resolvers.items()}
    for first in "-+0123456789.":
        kept.setdefault(first, [])
        kept[first] = [*kept[first], (_INT, _INT_LIKE), (_FLOAT, _FLOAT_LIKE)]
    return kept


class _Loader(_BaseLoader):  # type: ignore[misc]
    """The safe loader, with numbers resolved as :func:`_resolvers` says."""

    yaml_implicit_resolvers = _resolvers()


_SAFE_SCALAR_TAGS = {
    _STR,
    _INT,
    _FLOAT,
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
}
_CONSTRUCTOR = yaml.SafeLoader("")
"""PyYAML's safe constructor functions are called through it for booleans and nulls (:meth:`_Converter._scalar`):
by its table, not ``construct_object``, which would keep every node it has read in ``constructed_objects``
(a module-level table that only grew: found in issue 14's review). Nothing of it changes after this line."""
_COLLECTION_TAGS: dict[type, str] = {
    yaml.MappingNode: "tag:yaml.org,2002:map",
    yaml.SequenceNode: "tag:yaml.org,2002:seq",
}


@dataclass(frozen=True, slots=True)
class Scalar:
    """Where a scalar value stood and how it was written."""

    pos: Position
    style: str | None
    raw: str
    tag: str
    end_line: int = 0


class YMap(dict[str, Any]):
    """A mapping from a YAML file; remembers the position of each key and value."""

    pos: Position
    key_pos: dict[str, Position]
    meta: dict[str, Scalar | YMap | YList]

    def at(self, key: str) -> Position:
        """Position of the value of ``key`` (or of the mapping if the key is absent)."""
        item = self.meta.get(key)
        return item.pos if item is not None else self.pos


class YList(list[Any]):
    """A sequence from a YAML file; remembers the position of each item."""

    pos: Position
    meta: list[Scalar | YMap | YList]

    def at(self, index: int) -> Position:
        return self.meta[index].pos


@dataclass(frozen=True, slots=True)
class YamlDoc:
    """One loaded YAML file: its located root value and its lines (for locating text inside scalars)."""

    path: str
    root: Any
    lines: tuple[str, ...]


_SURROGATE = re.compile("[\ud800-\udfff]")


def unfit_character(text: str) -> str | None:
    """What in ``text`` no text that transferlaw reads may hold, in words for a message (``the control character
    U+001B``, ``bytes that are not UTF-8 text``), or None. The loader refuses such text in every file; the
    interview and the web app refuse it where it is typed, so they never write a file the loader refuses."""
    control = CONTROL_CHARACTER.search(text)
    if control is not None:
        return f"the control character U+{ord(control.group()):04X}"
    if _SURROGATE.search(text) is not None:  # a lone surrogate: bytes decoded with surrogateescape
        return "bytes that are not UTF-8 text"
    return None


def _pos(path: str, mark: Any) -> Position:
    return Position(path, mark.line + 1, mark.column + 1)


def read_text(path: Path, display: str) -> str:
    """Read a UTF-8 file (regular, within the size limit), turning OS and decoding errors into located errors."""
    return decode(read_regular(path, MAX_FILE_BYTES, display, what="YAML file"), display)


def _too_large(display: str, size: int) -> SourceError:
    shown = f"{size:,} bytes" if size <= 16 * MAX_FILE_BYTES else f"more than {16 * MAX_FILE_BYTES:,} bytes"
    return SourceError(Diagnostic(Position(display), f"file is too large ({shown}; the limit is "
                                  f"{MAX_FILE_BYTES:,})", "split it into several files"))


def read_stream(stream: BinaryIO, display: str = "-") -> str:
    """Read YAML text from a byte stream (stdin): at most the size limit, decoded like a file."""
    data = stream.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        size = len(data)  # counted on for the message, up to a point: stdin may be /dev/zero
        while size <= 16 * MAX_FILE_BYTES and (chunk := stream.read(1 << 20)):
            size += len(chunk)
        raise _too_large(display, size)
    return decode(data, display)


def decode(data: bytes, display: str) -> str:
    """Decode UTF-8 (with or without a BOM) or raise a located error at the first bad byte."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        col = exc.start - (before.rfind(b"\n") + 1) + 1
        raise SourceError(
            Diagnostic(Position(display, line, col), "the file is not valid UTF-8 text",
                       "save it as UTF-8")
        ) from exc


def load_file(path: Path, display: str | None = None) -> YamlDoc:
    """Load one YAML file from disk."""
    shown = display if display is not None else str(path)
    return load_text(read_text(path, shown), shown)


def load_text(text: str, path: str) -> YamlDoc:
    """Parse YAML text; raise :class:`SourceError` or ``ValidationFailed`` with positions."""
    if len(text) > MAX_FILE_BYTES // 4 and len(text.encode("utf-8", "surrogatepass")) > MAX_FILE_BYTES:
        raise _too_large(path, len(text.encode("utf-8", "surrogatepass")))
    try:
        _check_shape(text, path)
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        pos = _pos(path, mark) if mark is not None else Position(path)
        problem = (exc.problem or exc.context or "malformed YAML").strip()
        if exc.context and exc.problem and problem.startswith("but "):
            problem = f"{exc.context.strip()}, {problem}"
        raise SourceError(Diagnostic(pos, f"invalid YAML: {problem}", _syntax_hint(text, mark, problem))) from exc
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow: located by its offset
        code = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "\0")
        raise SourceError(_bad_character(text, path, code)) from exc
    except UnicodeEncodeError as exc:  # a lone surrogate: text that was never valid UTF-8
        raise SourceError(_bad_character(text, path, ord(text[exc.start]))) from exc
    except yaml.YAMLError as exc:
        raise SourceError(Diagnostic(Position(path), f"invalid YAML: {exc}")) from exc
    except RecursionError as exc:
        raise SourceError(Diagnostic(Position(path), "invalid YAML: nested too deeply")) from exc
    lines = tuple(text.splitlines())
    if node is None:
        return YamlDoc(path, None, lines)
    converter = _Converter(path)
    root = converter.convert(node, 0)
    converter.problems.raise_if_errors()
    return YamlDoc(path, root, lines)


_INDENTATION_PROBLEMS = ("expected '-' indicator", "expected key", "block end", "mapping values are not allowed",
                        "expected ':'", "expected <document start>")


def _syntax_hint(text: str, mark: Any, problem: str) -> str | None:
    """What usually causes a YAML syntax error: a tab in the indentation, a line indented wrongly, or a
    value holding ': ' that YAML takes for a second key."""
    if mark is None:
        return None
    lines = text.split("\n")
    line = lines[mark.line] if mark.line < len(lines) else ""
    if "\t" in line[:len(line) - len(line.lstrip())] or line[mark.column:mark.column + 1] == "\t":
        return "indent with spaces: YAML does not allow a tab there"
    if "mapping values are not allowed" in problem and ":" in line[:mark.column]:
        return "put a value that contains ': ' in quotes"
    if any(words in problem for words in _INDENTATION_PROBLEMS):
        return "check the indentation: the keys of one mapping, and the '-' items of one list, start in the same column"
    return None


def _bad_character(text: str, path: str, code: int) -> Diagnostic:
    """The first ``chr(code)`` in ``text``, which the reader refused (it reports a byte offset under libyaml,
    a character offset without it: finding the character itself is right for both)."""
    at = max(text.find(chr(code)), 0)
    line = text.count("\n", 0, at) + 1
    col = at - (text.rfind("\n", 0, at) + 1) + 1
    return Diagnostic(Position(path, line, col), f"the character U+{code:04X} is not allowed in YAML text",
                      "delete it")


def _check_shape(text: str, path: str) -> None:
    """Refuse nesting deeper than ``MAX_DEPTH`` and more than ``MAX_YAML_NODES`` values before composing.

    libyaml's composer recurses in C, and a small file of nested ``[`` would overflow the stack and crash the
    process; a 5 MB file of one-character list items would take half a minute and most of a gigabyte to
    compose. The event stream does not recurse and costs little, so it is walked first, but only for text
    that could be that deep or hold that many values (each value takes at least one character).
    """
    if sum(text.count(c) for c in "[{-?:") <= MAX_DEPTH and len(text) < MAX_YAML_NODES:
        return
    depth = nodes = 0
    too_deep = f"nested more than {MAX_DEPTH} levels deep"
    try:
        for event in yaml.parse(text, Loader=_Loader):
            if isinstance(event, (yaml.ScalarEvent, yaml.SequenceStartEvent, yaml.MappingStartEvent)):
                nodes += 1
                if nodes > MAX_YAML_NODES:
                    raise SourceError(Diagnostic(_pos(path, event.start_mark), f"the file holds more than "
                                                 f"{MAX_YAML_NODES:,} values", "split it into several files"))
            if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:
                    raise SourceError(Diagnostic(_pos(path, event.start_mark), too_deep))
            elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                depth -= 1
    except yaml.MarkedYAMLError as exc:  # PyYAML 6.0.4 and later stop very deep nesting in the scanner
        if "nesting depth" not in (exc.problem or "") or exc.problem_mark is None:
            raise
        raise SourceError(Diagnostic(_pos(path, exc.problem_mark), too_deep)) from exc


class _Converter:
    """Turns a composed node graph into YMap / YList / plain scalars, collecting every problem."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.problems = Collector()
        self.done: dict[int, Any] = {}
        self.active: set[int] = set()

    def convert(self, node: yaml.Node, depth: int) -> Any:
        key = id(node)
        if key in self.done:
            return self.done[key]
        pos = _pos(self.path, node.start_mark)
        if key in self.active:
            self.problems.error(pos, "an anchor refers to itself")
            return None
        if depth > MAX_DEPTH:
            self.problems.error(pos, f"nested more than {MAX_DEPTH} levels deep")
            return None
        self.active.add(key)
        try:
            value = self._convert(node, pos, depth)
        finally:
            self.active.discard(key)
        self.done[key] = value
        return value

    def meta_of(self, node: yaml.Node, value: Any) -> Scalar | YMap | YList:
        if isinstance(value, (YMap, YList)):
            return value
        text = node.value if isinstance(node, yaml.ScalarNode) else ""
        return Scalar(_pos(self.path, node.start_mark), getattr(node, "style", None), text, node.tag,
                      node.end_mark.line + 1)

    def _convert(self, node: yaml.Node, pos: Position, depth: int) -> Any:
        expected = _COLLECTION_TAGS.get(type(node))
        if expected is not None and node.tag != expected:
            self.problems.error(pos, f"the tag '{node.tag}' is not allowed", "remove the tag")
            return None
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, pos, depth)
        if isinstance(node, yaml.SequenceNode):
            seq = YList()
            seq.pos = pos
            seq.meta = []
            for item in node.value:
                value = self.convert(item, depth + 1)
                seq.append(value)
                seq.meta.append(self.meta_of(item, value))
            return seq
        return self._scalar(node, pos)

    def _mapping(self, node: yaml.MappingNode, pos: Position, depth: int) -> YMap:
        mapping = YMap()
        mapping.pos = pos
        mapping.key_pos = {}
        mapping.meta = {}
        for key_node, value_node in node.value:
            key_pos = _pos(self.path, key_node.start_mark)
            if key_node.tag == "tag:yaml.org,2002:merge":
                self.problems.error(key_pos, "merge keys ('<<') are not supported",
                                    "write the keys out")
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                self.problems.error(key_pos, "a key must be a plain name, not a list or mapping")
                continue
            name = str(key_node.value)
            if len(name) > MAX_TEXT_LENGTH:
                self.problems.error(key_pos, f"a key is longer than {MAX_TEXT_LENGTH:,} characters")
                continue
            unfit = unfit_character(name)
            if unfit is not None:
                self.problems.error(key_pos, f"the key holds {unfit}", "remove it")
                continue
            if name in mapping.key_pos:
                first = mapping.key_pos[name]
                self.problems.error(key_pos, f"duplicate key '{name}'",
                                    f"first defined at line {first.line}")
                continue
            mapping.key_pos[name] = key_pos
            value = self.convert(value_node, depth + 1)
            mapping[name] = value
            mapping.meta[name] = self.meta_of(value_node, value)
        return mapping

    def _scalar(self, node: yaml.Node, pos: Position) -> Any:
        tag = node.tag
        if tag not in _SAFE_SCALAR_TAGS:
            self.problems.error(pos, f"the tag '{tag}' is not allowed", "remove the tag")
            return None
        if len(node.value) > MAX_TEXT_LENGTH:
            self.problems.error(pos, f"the text is longer than {MAX_TEXT_LENGTH:,} characters")
            return None
        unfit = unfit_character(node.value)
        if unfit is not None:  # only an escape in a double-quoted string can write one
            self.problems.error(pos, f"the text holds {unfit}",
                                "remove it; tabs and line breaks are the only control characters allowed"
                                if unfit.startswith("the control") else "remove it")
            return None
        if tag in (_STR, "tag:yaml.org,2002:timestamp"):
            return str(node.value)
        if tag in _NUMBER_TAGS:
            return self._number(str(node.value), pos)
        try:
            return _CONSTRUCTOR.yaml_constructors[tag](_CONSTRUCTOR, node)
        except (yaml.YAMLError, ValueError, OverflowError):
            shown = node.value if len(node.value) <= 40 else node.value[:40] + "..."
            self.problems.error(pos, f"cannot read the value {shown!r}")
            return None


    def _number(self, text: str, pos: Position) -> int | float | None:
        """A number in plain decimal; ``.inf``, ``.nan`` and ``1.0e+400`` become floats (refused as out of range
        where a number is checked); any other notation is an error saying what to write."""
        try:
            return parse_number(text)
        except NumberError as exc:
            if exc.beyond:  # reported where a number is checked: out of range
                return float(text.replace(".", "", 1) if _NOT_FINITE.fullmatch(text) else text.replace("_", ""))
            if exc.number_like:
                self.problems.error(pos, exc.message, f"{exc.hint}, or quote it if it is text")
            else:
                shown = text if len(text) <= 40 else text[:40] + "..."
                self.problems.error(pos, f"cannot read the value {shown!r}")
            return None


def locate_in_scalar(doc_lines: tuple[str, ...], scalar: Scalar, offset: int) -> Position:
    """Position of character ``offset`` of a scalar's value, for errors inside a condition or template.

    Walks the source text, so escapes in quoted scalars and line folding in plain and quoted scalars are
    accounted for; literal (``|``) blocks map line by line; anything else falls back to the value's start.
    """
    pos = scalar.pos
    if scalar.style == "|":
        text = scalar.raw[:offset]
        content_line = pos.line + 1 + text.count("\n")  # block content starts below the indicator
        indent = _indent_of(doc_lines, pos.line + 1)
        return Position(pos.path, content_line, indent + offset - (text.rfind("\n") + 1) + 1)
    if scalar.style not in (None, "", "'", '"'):
        return pos
    found = _walk_flow_scalar(doc_lines, scalar, offset)
    return Position(pos.path, *found) if found is not None else pos


def _walk_flow_scalar(lines: tuple[str, ...], scalar: Scalar, offset: int) -> tuple[int, int] | None:
    """(line, column) of value character ``offset`` in a plain or quoted scalar, read from the source."""
    quote = scalar.style if scalar.style in ("'", '"') else ""
    line_no, col = scalar.pos.line, scalar.pos.col - 1 + len(quote)
    count = 0
    last = max(scalar.end_line, line_no)
    while line_no <= min(last, len(lines)):
        text = lines[line_no - 1]
        if line_no != scalar.pos.line:
            col = len(text) - len(text.lstrip())  # a folded line contributes one space, then its text
            count += 1
        while col < len(text):
            if count >= offset:
                return line_no, col + 1
            char = text[col]
            if quote and char == quote:
                if quote == "'" and text[col + 1:col + 2] == "'":
                    col += 2
                    count += 1
                    continue
                return None
            if quote == '"' and char == "\\":
                col += 2 + _ESCAPE_WIDTH.get(text[col + 1:col + 2], 0)
            else:
                col += 1
            count += 1
        if count >= offset:
            return line_no, col + 1
        line_no += 1
    return None


_ESCAPE_WIDTH = {"x": 2, "u": 4, "U": 8}


def _indent_of(lines: tuple[str, ...], line: int) -> int:
    for text in lines[line - 1:]:
        if text.strip():
            return len(text) - len(text.lstrip(" "))
    return 0
