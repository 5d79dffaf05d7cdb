"""Jinja's immutable sandbox with a budget: the environment untrusted rule-set text is compiled and rendered in.

:data:`ENV` is Jinja's ``ImmutableSandboxedEnvironment`` with ``StrictUndefined``, without Jinja's globals,
refusing to include, import or extend another template, and printing only data (text, numbers, lists and
mappings of them). Every rendering (:func:`run`) has a budget of time and memory: each value a text builds,
reads or prints and each call, filter, test, comparison and operator is measured when it runs, and the code
each loop item and run of a macro executes is weighed when the text compiles (:class:`_Guard`). Past a
limit, :class:`LimitExceeded` is raised. The errors raised here are Jinja's and the text's own, unlocated:
:mod:`transferlaw.language.authored` turns them into located errors.
"""

from __future__ import annotations

import contextvars
import hashlib
from collections.abc import Callable
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from typing import cast

import jinja2
from jinja2 import nodes
from jinja2.runtime import Undefined
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.visitor import NodeTransformer

from . import sandbox_budget
from .resources import bytecode_cache
from .resources import code_flavour
from .sandbox_budget import _BUDGET
from .sandbox_budget import _CONTAINERS
from .sandbox_budget import _REFUSED
from .sandbox_budget import ITEM
from .sandbox_budget import LOOKUP
from .sandbox_budget import MAX_DIGITS
from .sandbox_budget import MAX_VALUE
from .sandbox_budget import NODE
from .sandbox_budget import STEP
from .sandbox_budget import LimitExceeded
from .sandbox_budget import _Budget
from .sandbox_budget import _check_format
from .sandbox_budget import _check_printf
from .sandbox_budget import _checked
from .sandbox_budget import _compare
from .sandbox_budget import _concat
from .sandbox_budget import _digits
from .sandbox_budget import _finalize
from .sandbox_budget import _guarded
from .sandbox_budget import _key
from .sandbox_budget import _left
from .sandbox_budget import _measure
from .sandbox_budget import _printable
from .sandbox_budget import _size
from .sandbox_budget import _slice
from .sandbox_budget import _spend
from .sandbox_budget import _text_work
from .sandbox_budget import _work

_SEQUENCES = (str, bytes, list, tuple)


def upfirst(value: Any) -> Any:
    """The ``upfirst`` filter: a text with its first letter capitalised and the rest left as it is (Jinja's
    ``capitalize`` lower-cases the rest: "the United States" would become "the united states"), so that a
    phrase can start a sentence: ``{{ phrase.family_in_us | upfirst }}.``"""
    return value[:1].upper() + value[1:] if isinstance(value, str) else value


class _Sandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox, with no globals, bounded in the time and memory a text may use (see the module
    docstring). Texts may not include, import or extend other templates."""

    intercepted_binops = frozenset({"*", "**", "+", "-", "/", "//", "%"})

    def __init__(self, **options: Any) -> None:
        super().__init__(finalize=_finalize, **options)
        self.globals.clear()  # range, dict, lipsum, cycler, joiner, namespace: rule-set text needs none
        self.filters["upfirst"] = upfirst
        self.filters = {name: _guarded(name, cast("Callable[..., Any]", f)) for name, f in self.filters.items()
                        if name not in _REFUSED}
        self.tests = {name: _guarded(name, cast("Callable[..., Any]", f)) for name, f in self.tests.items()}
        self.filters.update(_work=_work, _key=_key, _slice=_slice, _concat=_concat, _compare=_compare)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        """Arithmetic, measured: on numbers by their digits, on texts and lists by the size of the result."""
        numbers = isinstance(left, int) and isinstance(right, int)
        _spend(ITEM + (_digits(left) + _digits(right) if numbers else 0))
        if operator == "**":
            if isinstance(right, (int, float)) and not isinstance(right, bool) and abs(right) > 64:
                raise LimitExceeded("the exponent is too large")
            if numbers and _digits(left) * (abs(right) + 1) > MAX_DIGITS:
                raise LimitExceeded(f"the number would have more than {MAX_DIGITS:,} digits")
        elif operator == "*":
            for seq, count in ((left, right), (right, left)):
                if isinstance(seq, _SEQUENCES) and isinstance(count, int):
                    size = _size(seq) * max(count, 0)
                    if size > MAX_VALUE:
                        raise LimitExceeded("the repeated value would be too long")
                    _spend(size)
            if numbers and _digits(left) + _digits(right) > MAX_DIGITS:
                raise LimitExceeded(f"the number would have more than {MAX_DIGITS:,} digits")
        elif operator == "+":
            if isinstance(left, _SEQUENCES) and isinstance(right, _SEQUENCES):
                size = _measure((left, right))
                if size > MAX_VALUE:
                    raise LimitExceeded("the joined value would be too long")
                _spend(size)
        elif operator == "%" and isinstance(left, (str, bytes)):
            measured = _size(right)
            size = len(left) + _check_printf(left) * (1 + measured)
            if size > MAX_VALUE:
                raise LimitExceeded("the formatted text would be too long")
            _spend(size + measured)
            _printable(right)
        return _checked(super().call_binop(context, operator, left, right))

    def call(self, context: Any, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        """Every call: ``str.format`` checked like ``%``; any other call measured before it runs, a number
        argument counting as much as it says (``'x'.ljust(10**9)``)."""
        if isinstance(obj, Undefined):
            return super().call(context, obj, *args, **kwargs)  # raises: calling an undefined name
        values = (*args, *kwargs.values())
        wrapped = getattr(obj, "__wrapped__", None)  # the sandbox's stand-in for str.format / format_map
        owner = getattr(wrapped if wrapped is not None else obj, "__self__", None)
        if wrapped is not None and isinstance(owner, str):
            measured = _measure(values)
            cost = len(owner) + _check_format(owner) * (1 + measured)
            if cost > MAX_VALUE:
                raise LimitExceeded("the formatted text would be too long")
            _spend(STEP + cost + measured)
            for value in values:
                _printable(value)
        elif isinstance(owner, (str, bytes)):  # text methods can multiply: replace, join, ljust, expandtabs
            size = 1 + len(owner) + _text_work(getattr(obj, "__name__", ""), owner, args, kwargs)
            _spend(STEP + size * (1 + _measure(values, numbers=True, limit=_left() // size)))
        else:  # a list's or mapping's own methods read its items: index, count, copy
            read = (owner, *values) if isinstance(owner, _CONTAINERS) else values
            _spend(STEP + 1 + _measure(read, numbers=True))
        return _checked(super().call(context, obj, *args, **kwargs))

    def getitem(self, obj: Any, argument: Any) -> Any:
        """An item, measured: a slice by the size of the copy, a tuple key by its size (looking it up hashes
        all of it); the lookup itself is counted with the code that makes it (:data:`LOOKUP`)."""
        if isinstance(argument, tuple):
            _spend(_size(argument))
        value = super().getitem(obj, argument)
        if isinstance(argument, slice):
            _spend(ITEM + _size(value))
        return value

    def _generate(self, source: nodes.Template, name: str | None, filename: str | None,
                  defer_init: bool = False) -> str:
        return super()._generate(_Guard().visit(source), name, filename, defer_init)


class _Guard(NodeTransformer):
    """Rewrites a text's syntax tree before it is compiled, so that everything that can take time or memory
    is measured. The code each loop item and each run of a macro, call block or block executes is weighed
    here, once (:func:`_code_work`), and counted each time it runs: for a loop in its condition (``{% for x
    in y if … %}``, which also runs for the items ``loop(…)`` recurses into), for the others first thing in
    their body. ``~``, comparisons, slices and keys of ``{…}`` call measured filters. Including, importing
    or extending another template is refused."""

    def visit_For(self, node: nodes.For) -> nodes.Node:
        item = ITEM + _code_work([node.target, *node.body, *([node.test] if node.test else [])])
        otherwise = ITEM + _code_work(node.else_)
        self.generic_visit(node)
        count = _counting(True, item, node.lineno)
        node.test = count if node.test is None else nodes.And(count, node.test, lineno=node.lineno)
        if node.else_:  # runs once per loop, and once per call of a recursive loop
            node.else_.insert(0, nodes.Output([_counting("", otherwise, node.lineno)], lineno=node.lineno))
        return node

    def visit_Macro(self, node: nodes.Macro | nodes.CallBlock | nodes.Block) -> nodes.Node:
        run = STEP + _code_work([*node.body] if isinstance(node, nodes.Block)
                                else [*node.args, *node.defaults, *node.body])
        self.generic_visit(node)
        node.body.insert(0, nodes.Output([_counting("", run, node.lineno)], lineno=node.lineno))
        return node

    visit_CallBlock = visit_Block = visit_Macro

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        return nodes.Filter(nodes.List(node.nodes, lineno=node.lineno), "_concat", [], [], None, None,
                            lineno=node.lineno)

    def visit_Compare(self, node: nodes.Compare) -> nodes.Node:
        self.generic_visit(node)
        args: list[nodes.Expr] = []
        for operand in node.ops:
            args += [nodes.Const(operand.op, lineno=node.lineno), operand.expr]
        return nodes.Filter(node.expr, "_compare", args, [], None, None, lineno=node.lineno)

    def visit_Getitem(self, node: nodes.Getitem) -> nodes.Node:
        self.generic_visit(node)
        if not isinstance(node.arg, nodes.Slice):
            return node
        bounds = [nodes.Const(None, lineno=node.lineno) if part is None else part
                  for part in (node.arg.start, node.arg.stop, node.arg.step)]
        return nodes.Filter(node.node, "_slice", bounds, [], None, None, lineno=node.lineno)

    def visit_Pair(self, node: nodes.Pair) -> nodes.Node:
        self.generic_visit(node)
        if not isinstance(node.key, nodes.Const):
            node.key = nodes.Filter(node.key, "_key", [], [], None, None, lineno=node.lineno)
        return node

    def visit_Include(self, node: nodes.Node) -> nodes.Node:
        raise jinja2.TemplateSyntaxError(f"'{type(node).__name__.lower()}' of another template is not allowed "
                                         "in rule-set text", node.lineno)

    visit_Import = visit_FromImport = visit_Extends = visit_Include


def _counting(value: object, cost: int, lineno: int) -> nodes.Filter:
    return nodes.Filter(nodes.Const(value), "_work", [nodes.Const(cost)], [], None, None, lineno=lineno)


def _code_work(code: list[nodes.Node]) -> int:
    """The work of running ``code`` once: :data:`NODE` for each node (:data:`LOOKUP` for a lookup or a
    macro's definition) and the characters of text it writes. The code of the loops, macros, call blocks
    and blocks in it is left out: each of their items and runs counts its own."""
    work = 0
    stack = list(code)
    while stack:
        node = stack.pop()
        work += LOOKUP if isinstance(node, (nodes.Getattr, nodes.Getitem, nodes.Macro, nodes.CallBlock)) else NODE
        if isinstance(node, nodes.TemplateData):
            work += len(node.data)
        elif isinstance(node, nodes.For):
            stack.append(node.iter)
        elif isinstance(node, nodes.CallBlock):
            stack.append(node.call)
        elif not isinstance(node, (nodes.Macro, nodes.Block)):
            stack.extend(node.iter_child_nodes())
    return work


_WANTED: contextvars.ContextVar[tuple[str, str] | None] = contextvars.ContextVar("transferlaw_sandbox_wanted",
                                                                                 default=None)
"""The (name, source) :func:`template` is asking Jinja for, while it asks: the loader's only source, so no
module-level table of every text ever seen is kept (Jinja's own cache holds the compiled ones, bounded)."""


class _TextLoader(jinja2.BaseLoader):
    """Serves texts by the hash of their source, so Jinja's bytecode cache applies to them."""

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str | None, Any]:
        wanted = _WANTED.get()
        if wanted is None or wanted[0] != template:
            raise jinja2.TemplateNotFound(template)
        return wanted[1], None, lambda: True


ENV = _Sandbox(
    loader=_TextLoader(),
    undefined=jinja2.StrictUndefined,
    autoescape=False,
    keep_trailing_newline=False,
    bytecode_cache=bytecode_cache(code_flavour("authored", Path(__file__), Path(sandbox_budget.__file__))),
    cache_size=4096,
)
"""The sandbox every rule-set text is parsed, compiled and rendered in.

Left at module level for now (issue 14): ``authored`` and the modules that check texts at load time reach it
without a workspace. Its only state is Jinja's own bounded cache of compiled texts (``cache_size``), keyed by
the hash of their source, so it is never stale whichever workspace asks."""


def template(source: str) -> jinja2.Template:
    """The compiled template for ``source`` (cached in memory, and on disk as bytecode).

    :raises jinja2.TemplateSyntaxError: for a syntax error, or code that includes another template.
    :raises ValueError: for a number too long to read.
    :raises RecursionError: for code nested too deeply to compile.
    """
    name = "authored-" + hashlib.sha256(source.encode("utf-8", "surrogatepass")).hexdigest()
    token = _WANTED.set((name, source))
    try:
        return ENV.get_template(name)
    finally:
        _WANTED.reset(token)


def run(compiled: jinja2.Template, context: Mapping[str, Any]) -> str:
    """Render ``compiled`` with ``context`` within a fresh budget, its output no longer than :data:`MAX_VALUE`.

    :raises LimitExceeded: past a limit.
    :raises jinja2.exceptions.SecurityError: for code the sandbox refuses.
    :raises jinja2.TemplateError: for any other Jinja error (an undefined name, for one).
    :raises Exception: whatever the text's own code raises (``1 / 0``).
    """
    pieces: list[str] = []
    length = 0
    token = _BUDGET.set(_Budget())
    try:
        for piece in compiled.generate(context):
            length += len(piece)
            if length > MAX_VALUE:
                raise LimitExceeded(f"the text would be longer than {MAX_VALUE:,} characters")
            pieces.append(piece)
    finally:
        _BUDGET.reset(token)
    return "".join(pieces)
