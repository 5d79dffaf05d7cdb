"""Check, compile and render text authored in rule sets, turning every failure into a located error.

Rule-set text is untrusted: it is checked statically against the rule set's names when the rule set loads
(unknown names, private attributes, refused filters, other templates), and compiled and rendered in
:mod:`transferlaw.sandbox`, within its budget of time and memory. Every Jinja error, sandbox refusal or
failure of the text's own code is turned into a located :class:`~transferlaw.errors.SourceError` here.
"""

from __future__ import annotations

from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import Set
from typing import Any

import jinja2
from jinja2 import nodes

from . import sandbox
from .errors import Diagnostic
from .errors import Position
from .errors import SourceError
from .errors import suggest
from .model import Text

CONTEXT_NAMES = ("facts", "answer", "conclusions", "case", "as_of", "status")
CASE_KEYS = ("title",)

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


def parse_source(source: str) -> nodes.Template:
    """The Jinja syntax tree of a text (raises :class:`jinja2.TemplateSyntaxError`, also for a number too long
    to read or code nested too deeply to parse)."""
    try:
        return sandbox.ENV.parse(source)
    except (ValueError, RecursionError) as exc:
        raise jinja2.TemplateSyntaxError(_unreadable(exc), 1) from exc


def _unreadable(exc: Exception) -> str:
    if isinstance(exc, RecursionError):
        return "the text is nested too deeply"
    return f"cannot read the text: {str(exc).split(';')[0]}"


def _parse(text: Text) -> nodes.Template:
    try:
        return parse_source(text.source)
    except jinja2.TemplateSyntaxError as exc:
        raise _fail(text, f"template syntax error: {exc.message}", lineno=exc.lineno) from exc


def check(text: Text, allowed: Mapping[str, Set[str]]) -> list[Diagnostic]:
    """Every unknown name in ``text``; ``allowed`` maps facts/answer/conclusions/case to their keys."""
    if not is_template(text.source):
        return []
    try:
        tree = _parse(text)
        return _problems(text, tree, allowed)
    except SourceError as exc:
        return [exc.diagnostic]
    except RecursionError:  # a long chain like 1+1+1+…: parsed, but too deep to walk (or to compile)
        return [_fail(text, "template syntax error: the text is nested too deeply").diagnostic]


def _problems(text: Text, tree: nodes.Template, allowed: Mapping[str, Set[str]]) -> list[Diagnostic]:
    problems: list[Diagnostic] = []
    local = _assigned_names(tree)
    for node in tree.find_all(nodes.Name):
        if node.ctx == "load" and node.name not in CONTEXT_NAMES and node.name not in local:
            problems.append(Diagnostic(_line_pos(text, node.lineno), f"unknown name '{node.name}' in "
                                       "text", suggest(node.name, CONTEXT_NAMES)
                                       or "available: " + ", ".join(CONTEXT_NAMES)))
    for unsafe in list(_unsafe(tree))[-1:]:  # one refusal per text is enough: the innermost
        problems.append(Diagnostic(_line_pos(text, unsafe.lineno), "refused unsafe template code: "
                                   f"{_describe(unsafe)}", "rule-set text may only read facts, answer, "
                                   "conclusions, case and as_of"))
    for base, key, lineno in _lookups(tree):
        keys = allowed.get(base)
        if keys is not None and not key.startswith("_") and key not in keys:
            problems.append(Diagnostic(_line_pos(text, lineno), f"unknown name '{base}.{key}' in text",
                                       suggest(key, keys)))
    return problems


def _unsafe(tree: nodes.Template) -> Iterator[nodes.Node]:
    """Attribute or item lookups of private names anywhere, and the ``attr`` filter (which reaches them)."""
    for node in tree.find_all((nodes.Getattr, nodes.Getitem, nodes.Filter, nodes.Test, nodes.Include, nodes.Import,
                               nodes.FromImport, nodes.Extends)):
        if isinstance(node, (nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)):
            yield node
        elif isinstance(node, nodes.Getattr) and node.attr.startswith("_"):
            yield node
        elif (isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const)
              and isinstance(node.arg.value, str) and node.arg.value.startswith("_")):
            yield node
        elif isinstance(node, (nodes.Filter, nodes.Test)) and (
                node.name in _REFUSED_FILTERS or node.name.startswith("_")
                or any(isinstance(arg, nodes.Const) and isinstance(arg.value, str) and arg.value.startswith("_")
                       for arg in [*node.args, *(kw.value for kw in node.kwargs)])):
            yield node


_REFUSED_FILTERS = frozenset({"attr", "random"})  # attr reaches private names; random is not repeatable


def _describe(node: nodes.Node) -> str:
    if isinstance(node, (nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)):
        return f"'{type(node).__name__.lower()}' of another template"
    if isinstance(node, nodes.Getattr):
        return f"the private attribute '{node.attr}'"
    if isinstance(node, nodes.Getitem):
        return f"the private item '{node.arg.value}'"  # type: ignore[attr-defined]
    args = [a.value for a in [*node.args, *(kw.value for kw in node.kwargs)]  # type: ignore[attr-defined]
            if isinstance(a, nodes.Const) and isinstance(a.value, str)]
    shown = f" with {args[0]!r}" if args else ""
    return f"the filter '{node.name}'{shown}"  # type: ignore[attr-defined]


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
    try:
        return sandbox.template(text.source)
    except jinja2.TemplateSyntaxError as exc:
        raise _fail(text, f"template syntax error: {exc.message}", lineno=exc.lineno) from exc
    except jinja2.TemplateError as exc:  # pragma: no cover - parse already succeeded
        raise _fail(text, f"template error: {exc}") from exc
    except (ValueError, RecursionError) as exc:
        raise _fail(text, f"template syntax error: {_unreadable(exc)}") from exc


def _lineno(exc: BaseException, template: jinja2.Template) -> int | None:
    """The template line where rendering failed (Jinja rewrites tracebacks to template lines)."""
    found = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == template.filename or (
                template.name and tb.tb_frame.f_code.co_filename == template.name):
            found = tb.tb_lineno
        tb = tb.tb_next
    return found


def tidy(text: Text, result: str) -> str:
    """Fold a one-line or folded text to single spaces; keep a literal block's lines."""
    return " ".join(result.split()) if not text.block else result.strip()


def render(text: Text, context: Mapping[str, Any]) -> str:
    """Render ``text``; any Jinja error or sandbox refusal becomes a located error.

    :mod:`transferlaw.textcache` keeps the results across cases; this renders every time."""
    return tidy(text, render_raw(text, context))


def render_raw(text: Text, context: Mapping[str, Any]) -> str:
    """Render ``text`` without folding its whitespace (:func:`tidy`)."""
    if not is_template(text.source):
        return text.source
    template = compile_text(text)
    try:
        return sandbox.run(template, context)
    except sandbox.LimitExceeded as exc:
        raise _fail(text, f"refused: {exc}", "rule-set text may use only a little time and memory",
                    _lineno(exc, template)) from exc
    except jinja2.exceptions.SecurityError as exc:
        raise _fail(text, f"refused unsafe template code: {exc}",
                    "rule-set text may only use facts, answer, conclusions, case and as_of",
                    _lineno(exc, template)) from exc
    except jinja2.UndefinedError as exc:
        raise _fail(text, f"undefined name in text: {exc.message}", lineno=_lineno(exc, template)) from exc
    except jinja2.TemplateError as exc:
        raise _fail(text, f"template error: {exc}", lineno=_lineno(exc, template)) from exc
    except Exception as exc:  # the text's own code failed: 1 / 0, 'x'.encode('nope'), '{0}'.format() ...
        raise _fail(text, f"template failed: {type(exc).__name__}: {exc}", lineno=_lineno(exc, template)) from exc
