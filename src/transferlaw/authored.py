"""Compile, check and render text authored in rule sets, in Jinja's immutable sandbox.

Rule-set text is untrusted: it is rendered with ``ImmutableSandboxedEnvironment`` and ``StrictUndefined``,
checked statically against the rule set's names when the rule set loads, and every Jinja error is turned
into a located :class:`~transferlaw.errors.SourceError` here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import Set
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

from .errors import Diagnostic
from .errors import Position
from .errors import SourceError
from .errors import suggest
from .model import Text
from .resources import bytecode_cache

CONTEXT_NAMES = ("facts", "answer", "conclusions", "case", "as_of")
CASE_KEYS = ("title",)

_SOURCES: dict[str, str] = {}


class _TextLoader(jinja2.BaseLoader):
    """Serves authored texts by the hash of their source, so Jinja's bytecode cache applies to them."""

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str | None, Any]:
        source = _SOURCES.get(template)
        if source is None:
            raise jinja2.TemplateNotFound(template)
        return source, None, lambda: True


_ENV = ImmutableSandboxedEnvironment(
    loader=_TextLoader(),
    undefined=jinja2.StrictUndefined,
    autoescape=False,
    keep_trailing_newline=False,
    bytecode_cache=bytecode_cache(),
    cache_size=4096,
)
_MARKERS = ("{{", "{%", "{#")


def is_template(source: str) -> bool:
    """Whether a text uses Jinja at all (plain text is printed as it is, without compiling)."""
    return any(marker in source for marker in _MARKERS)


def _line_pos(text: Text, lineno: int | None) -> Position:
    if text.block and lineno:
        return Position(text.pos.path, text.pos.line + lineno - 1, text.pos.col)
    return text.pos


def _fail(text: Text, message: str, hint: str | None = None, lineno: int | None = None) -> SourceError:
    return SourceError(Diagnostic(_line_pos(text, lineno), message, hint))


def _parse(text: Text) -> nodes.Template:
    try:
        return _ENV.parse(text.source)
    except jinja2.TemplateSyntaxError as exc:
        raise _fail(text, f"template syntax error: {exc.message}", lineno=exc.lineno) from exc


def check(text: Text, allowed: Mapping[str, Set[str]]) -> list[Diagnostic]:
    """Every unknown name in ``text``; ``allowed`` maps facts/answer/conclusions/case to their keys."""
    if not is_template(text.source):
        return []
    try:
        tree = _parse(text)
    except SourceError as exc:
        return [exc.diagnostic]
    problems: list[Diagnostic] = []
    local = _assigned_names(tree)
    for node in tree.find_all(nodes.Name):
        if node.ctx == "load" and node.name not in CONTEXT_NAMES and node.name not in local:
            problems.append(Diagnostic(_line_pos(text, node.lineno), f"unknown name '{node.name}' in "
                                       "text", suggest(node.name, CONTEXT_NAMES)
                                       or "available: " + ", ".join(CONTEXT_NAMES)))
    for base, key, lineno in _lookups(tree):
        keys = allowed.get(base)
        if keys is None:
            continue
        if key.startswith("_"):
            problems.append(Diagnostic(_line_pos(text, lineno), f"'{base}.{key}' is not allowed in "
                                       "text", "names starting with '_' are refused"))
        elif key not in keys:
            problems.append(Diagnostic(_line_pos(text, lineno), f"unknown name '{base}.{key}' in text",
                                       suggest(key, keys)))
    return problems


def _assigned_names(tree: nodes.Template) -> set[str]:
    found: set[str] = set()
    for node in tree.find_all(nodes.Name):
        if node.ctx in ("store", "param"):
            found.add(node.name)
    return found


def _lookups(tree: nodes.Template) -> Iterator[tuple[str, str, int]]:
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        assert isinstance(node, (nodes.Getattr, nodes.Getitem))
        base = node.node
        if not isinstance(base, nodes.Name):
            continue
        if isinstance(node, nodes.Getattr):
            yield base.name, node.attr, node.lineno
        elif isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
            yield base.name, node.arg.value, node.lineno


def compile_text(text: Text) -> jinja2.Template:
    """The compiled template for ``text`` (cached in memory, and on disk as bytecode)."""
    name = "authored-" + hashlib.sha256(text.source.encode("utf-8")).hexdigest()
    _SOURCES[name] = text.source
    try:
        return _ENV.get_template(name)
    except jinja2.TemplateSyntaxError as exc:
        raise _fail(text, f"template syntax error: {exc.message}", lineno=exc.lineno) from exc
    except jinja2.TemplateError as exc:  # pragma: no cover - parse already succeeded
        raise _fail(text, f"template error: {exc}") from exc


def _tidy(text: Text, result: str) -> str:
    """Fold a one-line or folded text to single spaces; keep a literal block's lines."""
    return " ".join(result.split()) if not text.block else result.strip()


def render(text: Text, context: Mapping[str, Any]) -> str:
    """Render ``text``; any Jinja error or sandbox refusal becomes a located error."""
    if not is_template(text.source):
        return _tidy(text, text.source)
    template = compile_text(text)
    try:
        result = template.render(context)
    except jinja2.exceptions.SecurityError as exc:
        raise _fail(text, f"refused unsafe template code: {exc}",
                    "rule-set text may only use facts, answer, conclusions, case and as_of") from exc
    except jinja2.UndefinedError as exc:
        raise _fail(text, f"undefined name in text: {exc.message}") from exc
    except jinja2.TemplateError as exc:
        raise _fail(text, f"template error: {exc}") from exc
    except (TypeError, ValueError, ArithmeticError, RecursionError) as exc:
        raise _fail(text, f"template failed: {exc}") from exc
    return _tidy(text, result)
