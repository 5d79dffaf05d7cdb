"""The work budget of one rendering of rule-set text, and everything that charges it.

The sandbox's limits (:data:`MAX_VALUE`, :data:`MAX_WORK`…) and :class:`LimitExceeded`; measuring the values a
text builds, reads or prints (:func:`_size`, :func:`_checked`, :func:`_finalize`); checking format strings;
the measured filters and tests (:func:`_guarded`) and the filters the rewritten syntax tree calls (``_work``,
``_key``, ``_slice``, ``_concat``, ``_compare``). :mod:`transferlaw.language.sandbox` installs these in its environment
and sets a fresh budget (``_BUDGET``) for each rendering; this module never imports it.
"""

from __future__ import annotations

import codecs
import contextvars
import operator
import re
import string
from collections.abc import Callable
from collections.abc import ItemsView
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import KeysView
from collections.abc import Mapping
from collections.abc import Sized
from collections.abc import ValuesView
from typing import Any
from typing import cast

import jinja2
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.runtime import Undefined
from jinja2.runtime import markup_join
from jinja2.runtime import str_join

MAX_VALUE = 1_000_000
"""The most characters any one value a text builds or prints may hold (a list counts its items' characters),
and the most its whole output may hold."""
MAX_WORK = 3_000_000
"""The most work one rendering of a text may do, added up: the sizes of the values it builds, reads or prints
(:func:`_size`, measured before they are built), :data:`STEP` for each call, filter, test and run of a macro,
:data:`ITEM` for each loop item, comparison, operator and printed value, and the code each loop item and run
of a macro executes (:data:`NODE`, :data:`LOOKUP`). docs/rule-language.md gives the slowest text measured."""
STEP = 200
"""The work counted for each call, filter, test, and run of a macro, call block or block."""
ITEM = 20
"""The work counted for each item a loop takes, comparison, arithmetic operation and printed value."""
NODE = 4
"""The work counted, for each loop item and each run of a macro, for each node of the code it runs: a name,
a constant, an operator, an item of a list, a ``{% set %}``…, besides the characters of text it writes."""
LOOKUP = 100
"""The same for an attribute or item lookup (``case.title``, ``loop.index``), which the sandbox checks, and
for defining a macro."""
MAX_DIGITS = 1_000
"""The most digits a number a text computes may have (arithmetic on longer numbers slows with the square of
their length)."""
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


def _left() -> int:
    """The work the current rendering may still do: no value is measured further than that."""
    budget = _BUDGET.get()
    return MAX_WORK if budget is None else max(MAX_WORK - budget.work, 0)


# --- measuring values ------------------------------------------------------------------------------

_CONTAINERS = (list, tuple, set, frozenset, Mapping, KeysView, ValuesView, ItemsView)
_SCALARS = frozenset({str, int, float, bool, type(None)})
_CONTAINER = 8  # a list or mapping in :func:`_size`: its brackets and ", ", and as much again to read it
_IN_A_LIST = {bool: 7, type(None): 7, float: 26}  # the most they print as, and ", "


def _size(value: object, limit: int | None = None) -> int:
    """How large ``value`` is when printed, copied, compared or hashed: the characters of a text, the digits
    of a number and, in a list or mapping, each item with its quotes and the ``, `` after it (an item held
    twice counts twice: printing or comparing reads it twice). Counted no further than ``limit``, by default
    the work left (:func:`_left`), so measuring a value never takes longer than the budget allows."""
    if isinstance(value, (str, bytes)):
        return len(value)
    if type(value) in _SCALARS or not isinstance(value, _CONTAINERS):  # printed alone, without ", "
        return _digits(value) + 1 if type(value) is int else _IN_A_LIST.get(type(value), 3) - 2
    limit = _left() if limit is None else limit
    total, stack = 0, [cast(Any, value)]
    pop, push = stack.pop, stack.extend
    while stack and total <= limit:
        item = pop()
        kind = type(item)
        if kind is str:
            total += len(item) + 4
        elif kind is int:
            total += _digits(item) + 4
        elif kind in _IN_A_LIST:
            total += _IN_A_LIST[kind]
        elif kind is list or kind is tuple:
            total += _CONTAINER
            push(item)
        elif kind is dict or isinstance(item, Mapping):
            total += _CONTAINER
            push(item.keys())
            push(item.values())
        elif isinstance(item, (str, bytes)):
            total += len(item) + 4
        elif isinstance(item, _CONTAINERS):
            total += _CONTAINER
            push(item)
        else:
            total += _size(item) + 2
    return total


def _digits(value: int) -> int:
    return value.bit_length() * 3 // 10 + 1  # the digits of value, or one more


def _measure(values: Iterable[object], numbers: bool = False, limit: int | None = None) -> int:
    """The sizes of ``values`` added up, measured together no further than ``limit`` (the work left); with
    ``numbers``, a number counts as much as it says (it may be a width or a count: ``'x'.ljust(10**9)``)."""
    left, total = _left() if limit is None else limit, 0
    for value in values:
        if numbers and isinstance(value, (int, float)) and not isinstance(value, bool):
            total += int(min(abs(value), MAX_WORK)) if value == value else 1
        else:
            total += _size(value, left - total)
        if total > left:
            break
    return total


def _printable(value: object) -> None:
    """Refuse to print anything but data (text, numbers, lists and mappings of them): a function, a method or
    another object would print its memory address, which differs from run to run. Call it once the value's
    size has been counted: it reads the value as far as that, and each list or mapping in it once."""
    if type(value) in _SCALARS:
        return
    stack, seen = [value], set()
    pop, push = stack.pop, stack.extend
    while stack:
        item = pop()
        if type(item) in _SCALARS or id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, (list, tuple)):
            if not _SCALARS.issuperset(map(type, item)):
                push(item)
        elif isinstance(item, dict):
            push(item.keys())
            push(item.values())
        elif isinstance(item, Undefined):
            str(item)  # raises, as printing it alone would: an undefined name, or a refused attribute
        elif not isinstance(item, (str, int, float)):
            raise SecurityError(f"a {type(item).__name__} cannot be printed, only text, numbers and lists")


def _finalize(value: Any) -> Any:
    """Every printed value: only data, and no larger than :data:`MAX_VALUE`."""
    size = len(value) if isinstance(value, str) else _size(value, min(MAX_VALUE, _left()))
    if size > MAX_VALUE:
        raise LimitExceeded(f"the text would be longer than {MAX_VALUE:,} characters")
    _spend(ITEM + size)
    _printable(value)
    return value


def _checked(value: Any) -> Any:
    """A value a call, filter or operator returned: refused when larger than :data:`MAX_VALUE` or, a number,
    longer than :data:`MAX_DIGITS` digits (``'9' * 4000 | int``). Measuring a list or mapping reads it: that
    is counted as work."""
    if isinstance(value, (str, bytes)):
        if len(value) > MAX_VALUE:
            raise LimitExceeded(f"the value would be longer than {MAX_VALUE:,} characters")
    elif type(value) is int:
        if _digits(value) > MAX_DIGITS:
            raise LimitExceeded(f"the number would have more than {MAX_DIGITS:,} digits")
    elif type(value) not in _SCALARS and isinstance(value, _CONTAINERS):
        size = _size(value, min(MAX_VALUE, _left()))
        if size > MAX_VALUE:
            raise LimitExceeded(f"the value would be longer than {MAX_VALUE:,} characters")
        _spend(size)
    return value


_PRINTF = re.compile(r"%(?:\([^)]*\))?[#0 +-]*(\*|[0-9]+)?(?:\.(\*|[0-9]*))?")


def _check_printf(fmt: str | bytes) -> int:
    """Refuse ``%`` formats asking for huge widths or precisions (or for them from the arguments, ``%*s``);
    the number of places the arguments may be printed. Reading each place counts :data:`ITEM`."""
    text = fmt.decode("latin-1") if isinstance(fmt, bytes) else fmt
    _spend(ITEM * text.count("%"))
    places = 0
    for match in _PRINTF.finditer(text):
        places += 1
        for number in match.groups():
            if number == "*" or (number and (len(number) > 4 or int(number) > MAX_FORMAT_WIDTH)):
                raise LimitExceeded(f"a format may not be wider than {MAX_FORMAT_WIDTH:,} characters")
    return places


def _check_format(fmt: str) -> int:
    """The same for ``str.format``: no huge widths, no widths taken from the arguments (``{:{}}``)."""
    _spend(ITEM * (fmt.count("{") + fmt.count("}")))
    places = 0
    for _, field, spec, _ in string.Formatter().parse(fmt):
        if field is None:
            continue
        places += 1
        if spec and ("{" in spec or any(len(n) > 4 or int(n) > MAX_FORMAT_WIDTH
                                        for n in re.findall(r"[0-9]+", spec))):
            raise LimitExceeded(f"a format may not be wider than {MAX_FORMAT_WIDTH:,} characters")
    return places


# --- filters and tests -----------------------------------------------------------------------------

_REFUSED = frozenset({"pprint"})  # its time grows with a value's size times its nesting
_ITEMWISE = frozenset({"batch", "dictsort", "groupby", "items", "join", "map", "max", "min", "reject",
                       "rejectattr", "select", "selectattr", "slice", "sort", "sum", "unique", "urlencode",
                       "xmlattr"})
"""Filters that run Python code for each item (each character of a text): :data:`ITEM` more for each."""
_TEXT_WEIGHT = {"title": 8, "urlize": 50, "wordwrap": 16}
"""Filters that run Python code for each word of a text: counted as this many times its length."""
_SLOW_CODECS = frozenset({"punycode", "idna"})
"""Encodings written in Python, whose time grows with the square of the text (``'…'.encode('punycode')``)."""


def _text_work(name: str, text: str | bytes, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> int:
    """The work of the filter or text method ``name`` on ``text`` beyond reading it once: some run Python
    code for each word, tag or entity, and ``striptags`` copies the whole text again for each tag."""
    if name in _TEXT_WEIGHT:
        return len(text) * (_TEXT_WEIGHT[name] - 1)
    if name in ("striptags", "unescape"):
        tags, entities = (text.count("<"), text.count("&")) if isinstance(text, str) else (0, 0)
        return len(text) * tags * (name == "striptags") + ITEM * entities
    if name in ("encode", "decode"):
        encoding = args[0] if args else kwargs.get("encoding", "utf-8")
        try:  # an encoding that is not a name, or not known, fails on its own
            slow = isinstance(encoding, str) and codecs.lookup(encoding).name in _SLOW_CODECS
        except LookupError:
            slow = False
        return len(text) * len(text) if slow else 0
    return 0


def _guarded(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """A filter or test that is measured like a call, and never run while a text is compiled (Jinja folds
    constant expressions at compile time: ``'x' | center(10**9)`` would run there, outside any budget). A
    result produced item by item (``map``, ``select``…) counts :data:`ITEM` (times the size of the
    arguments, as the filter does for each item) for each item taken from it, so a chain counts every stage."""
    passes = getattr(getattr(func, "jinja_pass_arg", None), "name", None)
    stringifies = name in ("string", "join", "format", "tojson", "xmlattr", "urlencode")
    itemwise = name in _ITEMWISE

    @jinja2.pass_context
    def guarded(context: Context, value: Any, *args: Any, **kwargs: Any) -> Any:
        values = (*args, *kwargs.values())
        factor = 1
        if name == "format" and isinstance(value, str):
            measured = _measure(values)
            _spend(STEP + len(value) + (1 + _check_printf(value)) * (1 + measured))
            for printed in values:
                _printable(printed)
        else:
            size = 1 + _size(value)
            if itemwise and isinstance(value, Sized):
                size += ITEM * len(value)
                if name in ("sort", "dictsort", "groupby"):
                    size *= 1 + len(value).bit_length()  # n log n comparisons
                elif name == "sum" and not isinstance(kwargs.get("start", args[1] if len(args) > 1 else 0),
                                                      (int, float)):
                    size *= 1 + len(value)  # adding lists copies the sum so far for each item
            elif isinstance(value, str):
                size += _text_work(name, value, args, kwargs)
            factor = 1 + _measure(values, numbers=True, limit=_left() // size)
            _spend(STEP + size * factor)
        if stringifies:
            _printable(value)
        passed = {"context": context, "eval_context": context.eval_ctx, "environment": context.environment}
        result = func(passed[passes], value, *args, **kwargs) if passes else func(value, *args, **kwargs)
        return _items(result, ITEM * factor) if isinstance(result, Iterator) else _checked(result)

    guarded.__name__ = guarded.__qualname__ = f"guarded_{name}"
    return guarded


def _items(iterator: Iterator[Any], cost: int) -> Iterator[Any]:
    for item in iterator:  # each counts as it is taken
        _spend(cost)
        yield item


# --- what the syntax tree is rewritten to call (``sandbox._Guard``) ---------------------------------

@jinja2.pass_context
def _work(context: Context, value: Any, cost: int) -> Any:
    """``value``, counting ``cost``: the work of one loop item, or one run of a macro, call block or block."""
    _spend(cost)
    return value


@jinja2.pass_context
def _key(context: Context, value: Any) -> Any:
    """A key of a ``{…}`` mapping a text builds, measured: a tuple is hashed, all of it."""
    if isinstance(value, tuple):
        _spend(_size(value))
    return value


@jinja2.pass_context
def _slice(context: Context, value: Any, start: Any, stop: Any, step: Any) -> Any:
    """``value[start:stop:step]``, measured like any item (Jinja bypasses the sandbox's ``getitem`` for it:
    :meth:`transferlaw.language.sandbox._Sandbox.getitem`)."""
    return context.environment.getitem(value, slice(start, stop, step))


@jinja2.pass_context
def _concat(context: Context, values: list[Any]) -> str:
    """``a ~ b``, measured."""
    size = _measure(values)
    if size > MAX_VALUE:
        raise LimitExceeded("the joined value would be too long")
    _spend(ITEM + size)
    for value in values:
        _printable(value)
    return markup_join(values) if context.eval_ctx.autoescape else str_join(values)


_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "eq": operator.eq, "ne": operator.ne, "lt": operator.lt, "lteq": operator.le, "gt": operator.gt,
    "gteq": operator.ge, "in": lambda a, b: a in b, "notin": lambda a, b: a not in b,
}


@jinja2.pass_context
def _compare(context: Context, left: Any, *pairs: Any) -> Any:
    """``a == b``, ``a in b``, ``a < b < c``…, measured: comparing long texts or lists costs as much as they
    are long."""
    result: Any = True
    for op, right in zip(pairs[::2], pairs[1::2], strict=True):
        _spend(ITEM + _measure((left, right)))
        result = _COMPARE[op](left, right)
        if not result:
            return result
        left = right
    return result
