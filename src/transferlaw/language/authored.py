"""Check, compile and render text authored in rule sets, turning every failure into a located error.

Rule-set text is untrusted: it is checked statically against the rule set's names when the rule set loads
(unknown names, private attributes, refused filters, other templates), and compiled and rendered in
:mod:`transferlaw.language.sandbox`, within its budget of time and memory. Every Jinja error, sandbox refusal or
failure of the text's own code is turned into a located :class:`~transferlaw.language.errors.SourceError` here.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import Set
from typing import Any

import jinja2
from jinja2 import nodes

from . import sandbox
from . import sandbox_budget
from .errors import Diagnostic
from .errors import Position
from .errors import SourceError
from .errors import suggest
from .model import Text

CONTEXT_NAMES = ("facts", "answer", "phrase", "known", "conclusions", "case", "as_of", "status")
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
    scopes = _Scopes(text)
    scopes.body(tree.body, set(CONTEXT_NAMES))
    problems = scopes.problems
    for unsafe in list(_unsafe(tree))[-1:]:  # one refusal per text is enough: the innermost
        problems.append(Diagnostic(_line_pos(text, unsafe.lineno), "refused unsafe template code: "
                                   f"{_describe(unsafe)}", "rule-set text may only read facts, answer, "
                                   "phrase, known, conclusions, case and as_of"))
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


_MACRO_NAMES = ("caller", "varargs", "kwargs")
"""Names Jinja defines inside every macro (and call block): the call block's body, extra arguments."""
_LOOP_HINT = "'loop' exists only inside {% for %} ... {% endfor %}"


class _Scopes:
    """The names a text reads where Jinja would find them undefined, found with Jinja's scopes.

    The statements are walked in order, each scope a set of the names defined so far: the context names;
    ``{% set %}`` names from the set on (an ``{% if %}`` adds what any branch sets); a for loop's targets and
    ``loop`` in its body (its ``else`` has neither, its ``if`` filter has the targets); macro names, and a
    macro's parameters, ``caller``, ``varargs`` and ``kwargs`` in its body, which also sees every name its
    enclosing scope sets (Jinja looks them up when the macro runs); ``{% with %}`` names in its body. Names
    set inside a for, macro, call, filter, with, block or ``{% set %}`` block stay there. A text may not
    redefine a context name (its own value would hide the case's)."""

    def __init__(self, text: Text) -> None:
        self.text = text
        self.problems: list[Diagnostic] = []

    def _report(self, lineno: int, message: str, hint: str) -> None:
        self.problems.append(Diagnostic(_line_pos(self.text, lineno), message, hint))

    def body(self, statements: Iterable[nodes.Node], names: set[str]) -> None:
        """Check ``statements`` in order, adding what they define to ``names``; macro bodies last."""
        macros: list[nodes.Macro] = []
        for node in statements:
            if isinstance(node, nodes.Macro):
                self.define_name(node.name, node.lineno, names)
                macros.append(node)
            else:
                self.statement(node, names)
        for macro in macros:
            self.macro(macro, names)

    def statement(self, node: nodes.Node, names: set[str]) -> None:
        if isinstance(node, nodes.For):
            self.read(node.iter, names)
            inner = set(names)
            self.define(node.target, inner)
            if node.test is not None:
                self.read(node.test, inner)
            self.body(node.body, inner | {"loop"})
            self.body(node.else_, set(names))
        elif isinstance(node, nodes.If):
            added: set[str] = set()
            for test, branch in [(node.test, node.body), *((e.test, e.body) for e in node.elif_),
                                 (None, node.else_)]:
                if test is not None:
                    self.read(test, names)
                scope = set(names)
                self.body(branch, scope)
                added |= scope
            names |= added
        elif isinstance(node, nodes.Assign):
            self.read(node.node, names)
            self.define(node.target, names)
        elif isinstance(node, nodes.AssignBlock):
            self.body(node.body, set(names))
            if node.filter is not None:
                self.read(node.filter, names)
            self.define(node.target, names)
        elif isinstance(node, nodes.CallBlock):
            self.read(node.call, names)
            self.macro(node, names)
        elif isinstance(node, nodes.With):
            inner = set(names)
            for target, value in zip(node.targets, node.values, strict=True):
                self.read(value, names)
                self.define(target, inner)
            self.body(node.body, inner)
        elif isinstance(node, nodes.FilterBlock):
            self.read(node.filter, names)
            self.body(node.body, set(names))
        elif isinstance(node, (nodes.Block, nodes.Scope, nodes.OverlayScope, nodes.ScopedEvalContextModifier)):
            for child in node.iter_child_nodes():
                if isinstance(child, nodes.Expr):
                    self.read(child, names)
            self.body(node.body, set(names))
        else:  # output, include/import (refused elsewhere), an autoescape switch: expressions and statements
            for child in node.iter_child_nodes():
                if isinstance(child, nodes.Expr):
                    self.read(child, names)
                else:
                    self.statement(child, names)

    def macro(self, node: nodes.Macro | nodes.CallBlock, names: set[str]) -> None:
        """A macro's or call block's defaults, parameters and body, in a scope of their own."""
        scope = names | set(_MACRO_NAMES)
        first_default = len(node.args) - len(node.defaults)
        for index, arg in enumerate(node.args):
            if index >= first_default:
                self.read(node.defaults[index - first_default], scope)  # may read the parameters before it
            self.define(arg, scope)
        self.body(node.body, scope)

    def read(self, expr: nodes.Node, names: set[str]) -> None:
        for node in [expr, *expr.find_all(nodes.Name)]:
            if isinstance(node, nodes.Name) and node.ctx == "load" and node.name not in names:
                hint = (_LOOP_HINT if node.name == "loop" else suggest(node.name, names)
                        or "available: " + ", ".join([*CONTEXT_NAMES, *sorted(names - set(CONTEXT_NAMES))]))
                self._report(node.lineno, f"unknown name '{node.name}' in text", hint)

    def define(self, target: nodes.Node, names: set[str]) -> None:
        """Add the names a ``set``, ``for`` or ``with`` target or a parameter defines."""
        if isinstance(target, nodes.NSRef):  # {% set ns.attr = ... %} reads ns
            self.read(nodes.Name(target.name, "load", lineno=target.lineno), names)
        for node in [target, *target.find_all(nodes.Name)]:
            if isinstance(node, nodes.Name) and node.ctx in ("store", "param"):
                self.define_name(node.name, node.lineno, names)

    def define_name(self, name: str, lineno: int, names: set[str]) -> None:
        if name in CONTEXT_NAMES:
            self._report(lineno, f"'{name}' is a name every text is given; it cannot be redefined",
                         "choose another name")
        names.add(name)


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

    :mod:`transferlaw.memo.textcache` keeps the results across cases; this renders every time."""
    return tidy(text, render_raw(text, context))


def render_raw(text: Text, context: Mapping[str, Any]) -> str:
    """Render ``text`` without folding its whitespace (:func:`tidy`)."""
    if not is_template(text.source):
        return text.source
    template = compile_text(text)
    try:
        return sandbox.run(template, context)
    except sandbox_budget.LimitExceeded as exc:
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
    except RecursionError as exc:  # a macro, or a recursive loop's loop(...), that calls itself without end
        raise _fail(text, "refused: the text's macros or recursive loops call themselves too deeply",
                    "a macro must stop calling itself", _lineno(exc, template)) from exc
    except Exception as exc:  # the text's own code failed: 1 / 0, 'x'.encode('nope'), '{0}'.format() ...
        raise _fail(text, f"template failed: {type(exc).__name__}: {exc}", lineno=_lineno(exc, template)) from exc
