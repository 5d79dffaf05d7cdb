"""Jinja's immutable sandbox with a budget: the environment untrusted rule-set text is compiled and rendered in.

:data:`ENV` is Jinja's ``ImmutableSandboxedEnvironment`` with ``StrictUndefined``, without Jinja's globals,
refusing to include, import or extend another template, and printing only data (text, numbers, lists and
mappings of them). Every rendering (:func:`run`) has a budget of time and memory: each value a text builds or
prints, each call, filter, test, loop item and comparison is measured, and going past a limit
(:data:`MAX_VALUE`, :data:`MAX_WORK`, :data:`MAX_DIGITS`, :data:`MAX_FORMAT_WIDTH`) raises
:class:`LimitExceeded`. The errors raised here are Jinja's and the text's own, unlocated:
:mod:`transferlaw.authored` turns them into located errors.
"""

from __future__ import annotations

import contextvars
import hashlib
import operator
import re
import string
from collections.abc import Callable
from collections.abc import ItemsView
from collections.abc import Iterator
from collections.abc import KeysView
from collections.abc import Mapping
from collections.abc import ValuesView
from pathlib import Path
from typing import Any
from typing import cast

import jinja2
from jinja2 import nodes
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.runtime import Undefined
from jinja2.runtime import markup_join
from jinja2.runtime import str_join
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.visitor import NodeTransformer

from .resources import bytecode_cache
from .resources import code_flavour

MAX_VALUE = 1_000_000
"""The most characters any one value a text builds or prints may hold (a list counts its items' characters),
and the most its whole output may hold."""
MAX_WORK = 10_000_000
"""The most work one rendering of a text may do, added up: the sizes of the values it builds (each measured
before it is built), :data:`STEP` for each call, filter, test and run of a macro, and :data:`ITEM` for each
item a loop takes or comparison it makes: well under a second of work."""
STEP = 200
"""The work counted for each call, filter, test, and run of a macro or call block."""
ITEM = 20
"""The work counted for each item a loop takes and each comparison a text makes."""
MAX_DIGITS = 10_000
"""The most digits a number a text computes may have."""
MAX_FORMAT_WIDTH = 1_000
"""The widest width or precision a format string (``'%5s'``, ``'{:>5}'``) may ask for."""


class LimitExceeded(SecurityError):
    """Raised while a text renders when it would take more time or memory than rule-set text may: a value or
    output longer than :data:`MAX_VALUE`, more work than :data:`MAX_WORK`, a number of more than
    :data:`MAX_DIGITS` digits, or a format wider than :data:`MAX_FORMAT_WIDTH`. It is a Jinja
    ``SecurityError``: catch it before those."""


class _Budget:
    """The work one rendering has done so far (:data:`MAX_WORK`)."""

    __slots__ = ("work",)

    def __init__(self) -> None:
        self.work = 0


_BUDGET: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar("transferlaw_sandbox_budget",
                                                                         default=None)


def _spend(amount: int) -> None:
    """Count ``amount`` against the current rendering's budget (none while a text is being compiled)."""
    budget = _BUDGET.get()
    if budget is not None:
        budget.work += amount
        if budget.work > MAX_WORK:
            raise LimitExceeded("the text does too much work (a loop that runs too long, or values too large)")


_CONTAINERS = (list, tuple, set, frozenset, Mapping, KeysView, ValuesView, ItemsView)


def _size(value: object, limit: int = MAX_WORK) -> int:
    """How large ``value`` is when printed or copied: the characters of text, the digits of a number, and for
    a list or mapping one per item plus the items' own sizes; counted no further than ``limit``."""
    if isinstance(value, (str, bytes)):
        return len(value)
    if isinstance(value, int):
        return value.bit_length() * 3 // 10 + 1
    if not isinstance(value, _CONTAINERS):
        return 1
    total, stack = 0, [value]
    while stack and total <= limit:
        item = stack.pop()
        if isinstance(item, (str, bytes)):
            total += len(item) + 1
        elif isinstance(item, Mapping):
            total += 1
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, _CONTAINERS):
            total += 1
            stack.extend(item)
        else:
            total += _size(item)
    return total


def _amount(value: object) -> int:
    """The size of an argument, where a number counts as much as it says (it may be a width or a count)."""
    if isinstance(value, bool):
        return 1
    if isinstance(value, (int, float)):
        return int(min(abs(value), MAX_WORK)) if value == value else 1
    return _size(value)


_PRINTABLE = (str, int, float, type(None))


def _printable(value: object) -> None:
    """Refuse to print anything but data (text, numbers, lists and mappings of them): a function, a method or
    another object would print its memory address, which differs from run to run."""
    stack = [value]
    seen = 0
    while stack and seen <= MAX_VALUE:
        item = stack.pop()
        seen += 1
        if isinstance(item, (list, tuple)):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, Undefined):
            str(item)  # raises, as printing it alone would: an undefined name, or a refused attribute
        elif not isinstance(item, _PRINTABLE):
            raise SecurityError(f"a {type(item).__name__} cannot be printed, only text, numbers and lists")


def _finalize(value: Any) -> Any:
    """Every printed value: only data, and no larger than :data:`MAX_VALUE`."""
    if isinstance(value, str):
        size = len(value)
    else:
        _printable(value)
        size = _size(value, MAX_VALUE)
    if size > MAX_VALUE:
        raise LimitExceeded(f"the text would be longer than {MAX_VALUE:,} characters")
    _spend(size)
    return value


def _checked(value: Any) -> Any:
    """A value a call, filter or operator built: refused when larger than :data:`MAX_VALUE`."""
    if _size(value, MAX_VALUE) > MAX_VALUE:
        raise LimitExceeded(f"the value would be longer than {MAX_VALUE:,} characters")
    return value


_PRINTF = re.compile(r"%(?:\([^)]*\))?[#0 +-]*(\*|[0-9]+)?(?:\.(\*|[0-9]*))?")


def _check_printf(fmt: str | bytes) -> int:
    """Refuse ``%`` formats asking for huge widths or precisions (or for them from the arguments, ``%*s``);
    the number of places the arguments may be printed."""
    text = fmt.decode("latin-1") if isinstance(fmt, bytes) else fmt
    places = 0
    for match in _PRINTF.finditer(text):
        places += 1
        for number in match.groups():
            if number == "*" or (number and (len(number) > 4 or int(number) > MAX_FORMAT_WIDTH)):
                raise LimitExceeded(f"a format may not be wider than {MAX_FORMAT_WIDTH:,} characters")
    return places


def _check_format(fmt: str) -> int:
    """The same for ``str.format``: no huge widths, no widths taken from the arguments (``{:{}}``)."""
    places = 0
    for _, field, spec, _ in string.Formatter().parse(fmt):
        if field is None:
            continue
        places += 1
        if spec and ("{" in spec or any(len(n) > 4 or int(n) > MAX_FORMAT_WIDTH
                                        for n in re.findall(r"[0-9]+", spec))):
            raise LimitExceeded(f"a format may not be wider than {MAX_FORMAT_WIDTH:,} characters")
    return places


def _digits(value: object) -> int:
    return value.bit_length() * 3 // 10 + 1 if isinstance(value, int) else 1


_SEQUENCES = (str, bytes, list, tuple)


class _Sandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox, with no globals, bounded in the time and memory a text may use.

    Every call, filter, test, loop item, comparison and printed value is measured (:data:`MAX_WORK`,
    :data:`MAX_VALUE`), including arithmetic that would build huge values (``'a' * 10**9``) and format
    strings with huge widths (``'%1000000000s'``). Texts may not include, import or extend other templates.
    """

    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self, **options: Any) -> None:
        super().__init__(finalize=_finalize, **options)
        self.globals.clear()  # range, dict, lipsum, cycler, joiner, namespace: rule-set text needs none
        self.filters = {name: _guarded(name, cast("Callable[..., Any]", f)) for name, f in self.filters.items()}
        self.tests = {name: _guarded(name, cast("Callable[..., Any]", f)) for name, f in self.tests.items()}
        self.filters.update(_each=_each, _work=_work, _concat=_concat, _compare=_compare)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**":
            if isinstance(right, (int, float)) and not isinstance(right, bool) and abs(right) > 64:
                raise LimitExceeded("the exponent is too large")
            if isinstance(right, int) and _digits(left) * (abs(right) + 1) > MAX_DIGITS:
                raise LimitExceeded(f"the number would have more than {MAX_DIGITS:,} digits")
        elif operator == "*":
            for seq, count in ((left, right), (right, left)):
                if isinstance(seq, _SEQUENCES) and isinstance(count, int):
                    if _size(seq) * max(count, 0) > MAX_VALUE:
                        raise LimitExceeded("the repeated value would be too long")
                    _spend(_size(seq) * max(count, 0))
            if isinstance(left, int) and isinstance(right, int) and _digits(left) + _digits(right) > MAX_DIGITS:
                raise LimitExceeded(f"the number would have more than {MAX_DIGITS:,} digits")
        elif operator == "+":
            if isinstance(left, _SEQUENCES) and isinstance(right, _SEQUENCES):
                size = _size(left) + _size(right)
                if size > MAX_VALUE:
                    raise LimitExceeded("the joined value would be too long")
                _spend(size)
        elif operator == "%" and isinstance(left, (str, bytes)):
            size = len(left) + _check_printf(left) * (1 + _size(right))
            if size > MAX_VALUE:
                raise LimitExceeded("the formatted text would be too long")
            _printable(right)
            _spend(size)
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
            for value in values:
                _printable(value)
            cost = len(owner) + _check_format(owner) * (1 + sum(_size(v) for v in values))
            if cost > MAX_VALUE:
                raise LimitExceeded("the formatted text would be too long")
        elif isinstance(owner, (str, bytes)):  # text methods can multiply: replace, join, ljust, expandtabs
            cost = (1 + len(owner)) * (1 + sum(_amount(v) for v in values))
        else:
            cost = 1 + (len(owner) if isinstance(owner, _CONTAINERS) else 0) + sum(_amount(v) for v in values)
        _spend(STEP + cost)
        return _checked(super().call(context, obj, *args, **kwargs))

    def getitem(self, obj: Any, argument: Any) -> Any:
        value = super().getitem(obj, argument)
        if isinstance(argument, slice):
            _spend(ITEM + _size(value))
        return value

    def _generate(self, source: nodes.Template, name: str | None, filename: str | None,
                  defer_init: bool = False) -> str:
        return super()._generate(_Guard().visit(source), name, filename, defer_init)


def _guarded(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """A filter or test that is measured like a call, and never run while a text is compiled (Jinja folds
    constant expressions at compile time: ``'x' | center(10**9)`` would run there, outside any budget)."""
    passes = getattr(getattr(func, "jinja_pass_arg", None), "name", None)
    stringifies = name in ("string", "join", "format", "pprint", "tojson", "xmlattr", "urlencode")

    @jinja2.pass_context
    def guarded(context: Context, value: Any, *args: Any, **kwargs: Any) -> Any:
        if stringifies:
            _printable(value)
        if name == "format" and isinstance(value, str):
            cost = len(value) + _check_printf(value) * (1 + sum(_size(v) for v in (*args, *kwargs.values())))
        else:
            cost = (1 + _size(value)) * (1 + sum(_amount(v) for v in (*args, *kwargs.values())))
        _spend(STEP + cost)
        if passes == "context":
            result = func(context, value, *args, **kwargs)
        elif passes == "eval_context":
            result = func(context.eval_ctx, value, *args, **kwargs)
        elif passes == "environment":
            result = func(context.environment, value, *args, **kwargs)
        else:
            result = func(value, *args, **kwargs)
        return _checked(result)

    guarded.__name__ = guarded.__qualname__ = f"guarded_{name}"
    return guarded


@jinja2.pass_context
def _each(context: Context, iterable: Any, cost: int) -> Iterator[Any]:
    """The items of a ``for`` loop, each counted with the text its body writes (:class:`_Guard`)."""
    for item in iterable:
        _spend(cost)
        yield item


@jinja2.pass_context
def _work(context: Context, value: str, cost: int) -> str:
    """Counts one run of a macro or call block with the text its body writes (:class:`_Guard`)."""
    _spend(cost)
    return value


@jinja2.pass_context
def _concat(context: Context, values: list[Any]) -> str:
    """``a ~ b``, measured (:class:`_Guard`)."""
    for value in values:
        _printable(value)
    size = sum(_size(v) for v in values)
    if size > MAX_VALUE:
        raise LimitExceeded("the joined value would be too long")
    _spend(size)
    return markup_join(values) if context.eval_ctx.autoescape else str_join(values)


_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "eq": operator.eq, "ne": operator.ne, "lt": operator.lt, "lteq": operator.le, "gt": operator.gt,
    "gteq": operator.ge, "in": lambda a, b: a in b, "notin": lambda a, b: a not in b,
}


@jinja2.pass_context
def _compare(context: Context, left: Any, *pairs: Any) -> Any:
    """``a == b``, ``a in b``, ``a < b < c``…, measured (:class:`_Guard`): comparing long texts or lists
    costs as much as they are long."""
    result: Any = True
    for op, right in zip(pairs[::2], pairs[1::2], strict=True):
        _spend(ITEM + _size(left) + _size(right))
        result = _COMPARE[op](left, right)
        if not result:
            return result
        left = right
    return result


class _Guard(NodeTransformer):
    """Rewrites a text's syntax tree before it is compiled, so that everything that can take time or memory
    goes through a measured filter: loops (per item), macro and call-block bodies (per run), ``~`` and
    comparisons. Including, importing or extending another template is refused."""

    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)
        node.iter = _filter(cast(nodes.Expr, node.iter), "_each", ITEM + _literal_size(node.body), node.lineno)
        return node

    def visit_Macro(self, node: nodes.Macro) -> nodes.Node:
        self.generic_visit(node)
        return _counted(node)

    def visit_CallBlock(self, node: nodes.CallBlock) -> nodes.Node:
        self.generic_visit(node)
        return _counted(node)

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

    def visit_Include(self, node: nodes.Node) -> nodes.Node:
        raise jinja2.TemplateSyntaxError(f"'{type(node).__name__.lower()}' of another template is not allowed "
                                         "in rule-set text", node.lineno)

    visit_Import = visit_FromImport = visit_Extends = visit_Include


def _counted(node: nodes.Macro | nodes.CallBlock) -> nodes.Node:
    """``node`` with its body counting each run (:func:`_work`)."""
    cost = _filter(nodes.Const(""), "_work", STEP + _literal_size(node.body), node.lineno)
    node.body.insert(0, nodes.Output([cost], lineno=node.lineno))
    return node


def _filter(node: nodes.Expr, name: str, cost: int, lineno: int) -> nodes.Filter:
    return nodes.Filter(node, name, [nodes.Const(cost, lineno=lineno)], [], None, None, lineno=lineno)


def _literal_size(body: list[nodes.Node]) -> int:
    """The characters of plain text a block of template code writes each time it runs."""
    return sum(len(data.data) for node in body for data in node.find_all(nodes.TemplateData))


_SOURCES: dict[str, str] = {}


class _TextLoader(jinja2.BaseLoader):
    """Serves texts by the hash of their source, so Jinja's bytecode cache applies to them."""

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str | None, Any]:
        source = _SOURCES.get(template)
        if source is None:
            raise jinja2.TemplateNotFound(template)
        return source, None, lambda: True


ENV = _Sandbox(
    loader=_TextLoader(),
    undefined=jinja2.StrictUndefined,
    autoescape=False,
    keep_trailing_newline=False,
    bytecode_cache=bytecode_cache(code_flavour("authored", Path(__file__))),
    cache_size=4096,
)
"""The sandbox every rule-set text is parsed, compiled and rendered in."""


def template(source: str) -> jinja2.Template:
    """The compiled template for ``source`` (cached in memory, and on disk as bytecode).

    :raises jinja2.TemplateSyntaxError: for a syntax error, or code that includes another template.
    :raises ValueError: for a number too long to read.
    :raises RecursionError: for code nested too deeply to compile.
    """
    name = "authored-" + hashlib.sha256(source.encode("utf-8", "surrogatepass")).hexdigest()
    _SOURCES[name] = source
    return ENV.get_template(name)


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
