"""Tests for sandbox.py and sandbox_budget.py: what the immutable sandbox refuses, and each rendering's budget.

Refusals are checked through :func:`transferlaw.language.authored.render`, which locates them at the text; the
sandbox's own surface (:func:`~transferlaw.language.sandbox.template`, :func:`~transferlaw.language.sandbox.run`,
:class:`~transferlaw.language.sandbox_budget.LimitExceeded`) is checked directly.
"""

from __future__ import annotations

from typing import Any

import jinja2
import pytest

from transferlaw.language import authored
from transferlaw.language import sandbox
from transferlaw.language import sandbox_budget
from transferlaw.language.errors import SourceError
from transferlaw.language.model import Text

from .conftest import ROOT
from .test_authored import CONTEXT
from .test_authored import POS
from .test_authored import render_error

# --- refusals, located at the text -----------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__ }}",
        "{{ ''.__class__.__mro__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ [].__class__.__base__.__subclasses__() }}",
        "{{ facts.__class__ }}",
        "{{ facts.citizen.__class__ }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ joiner.__init__.__globals__.os }}",
        "{{ range.__class__ }}",
        "{{ self.__init__ }}",
        "{{ facts|attr('__class__') }}",
        "{{ facts['__class__'] }}",
        "{% set x = facts %}{{ x.__class__ }}",
        "{{ facts.update({'citizen': false}) }}",
        "{{ facts.conditions.append('x') }}",
    ],
)
def test_sandbox_escape_is_a_located_error(source: str) -> None:
    """Reaching Python internals or mutating the context is refused as a SourceError at the text's position."""
    err = render_error(source)
    assert err.pos == POS
    assert err.diagnostic.message.startswith("refused unsafe template code: ")
    assert err.diagnostic.hint == "rule-set text may only use facts, answer, conclusions, case and as_of"
    assert isinstance(err.__cause__, jinja2.exceptions.SecurityError)


def test_sandbox_refusal_leaves_the_context_unchanged() -> None:
    """A refused mutation does not change the facts."""
    facts = dict(CONTEXT["facts"])
    render_error("{{ facts.update({'citizen': false}) }}")
    assert CONTEXT["facts"] == facts


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{{ 'a' * 10**9 }}", "the repeated value would be too long"),
        ("{{ [1] * 1000000 }}", "the repeated value would be too long"),
        ("{{ 2 ** 100000 }}", "the exponent is too large"),
    ],
)
def test_sandbox_refuses_huge_values(source: str, message: str) -> None:
    """Arithmetic that would build a huge value is refused as unsafe, with the text's position."""
    with pytest.raises(SourceError, match=message) as info:
        authored.render(Text(source=source, pos=POS), {})
    assert info.value.pos == POS


@pytest.mark.parametrize(("source", "message"), [
    ("{{ 'x' | center(10**9) }}", "refused: the text does too much work"),
    ("{{ '%1000000000s' % 'x' }}", "refused: a format may not be wider than 1,000 characters"),
    ("{{ '{:>1000000000}'.format('x') }}", "refused: a format may not be wider than 1,000 characters"),
    ("{% set x = 'a' * 99999 %}{{ x ~ x ~ x ~ x ~ x ~ x ~ x ~ x ~ x ~ x ~ x }}", "refused: the joined value"),
    ("{% for a in 'x' * 99999 %}{% for b in 'x' * 99999 %}{% endfor %}{% endfor %}", "refused: the text does "),
    ("{{ facts.get }}", "refused unsafe template code: a builtin_function_or_method cannot be printed"),
    ("{{ [facts.items()] }}", "refused unsafe template code: a dict_items cannot be printed"),
])
def test_the_sandbox_refuses_what_would_take_too_long_or_print_an_object(source: str, message: str) -> None:
    """Work and size are bounded, and only data is printed; each refusal is located at the text."""
    err = render_error(source)
    assert err.pos == POS
    assert err.diagnostic.message.startswith(message)


def test_the_sandbox_has_no_globals() -> None:
    """Jinja's globals (range, lipsum, dict, cycler, joiner, namespace) are not there to be reached."""
    assert dict(sandbox.ENV.globals) == {}


# --- the sandbox on its own ------------------------------------------------------------------------


def test_a_limit_is_raised_unlocated_as_a_security_error() -> None:
    """Going past a limit raises LimitExceeded, a Jinja SecurityError that authored.py locates."""
    with pytest.raises(sandbox_budget.LimitExceeded, match="the repeated value would be too long") as info:
        sandbox.run(sandbox.template("{{ 'a' * 10**9 }}"), {})
    assert isinstance(info.value, jinja2.exceptions.SecurityError)


def test_the_whole_output_is_capped() -> None:
    """Values each within MAX_VALUE still may not print more than MAX_VALUE characters in all."""
    value = "a" * (sandbox_budget.MAX_VALUE // 2 + 1)
    assert sandbox.run(sandbox.template("{{ x }}"), {"x": value}) == value
    with pytest.raises(sandbox_budget.LimitExceeded, match="the text would be longer than 1,000,000 characters"):
        sandbox.run(sandbox.template("{{ x }}{{ x }}"), {"x": value})


def test_each_rendering_has_its_own_budget() -> None:
    """Work is counted per rendering: a text using over half the budget renders again and again, while one
    using more than all of it is refused."""
    value = "a" * 600_000  # each comparison of it with itself costs 1,200,020 of MAX_WORK, printing it 24
    within = sandbox.template("{{ x == x }}" * 2)
    for _ in range(3):
        assert sandbox.run(within, {"x": value}) == "True" * 2
    with pytest.raises(sandbox_budget.LimitExceeded, match="the text does too much work"):
        sandbox.run(sandbox.template("{{ x == x }}" * 3), {"x": value})


def _work(compiled: jinja2.Template, context: dict[str, Any]) -> int:
    """The work rendering ``compiled`` counts, read from the budget :func:`sandbox.run` keeps."""
    budget = sandbox_budget._Budget()
    token = sandbox_budget._BUDGET.set(budget)
    try:
        "".join(compiled.generate(context))
    finally:
        sandbox_budget._BUDGET.reset(token)
    return budget.work


def test_a_loop_item_counts_the_code_it_runs() -> None:
    """Each item of a loop counts ITEM, NODE for each node of the code it runs (LOOKUP for a lookup) and the
    characters of text it writes; each printed value counts ITEM and its size."""
    compiled = sandbox.template("{% for a in 'xyz' %}{{ case.title }}.{% endfor %}")
    code = 4 * sandbox_budget.NODE + sandbox_budget.LOOKUP + len(".")  # a, the output, case, '.'; case.title
    expected = 3 * (sandbox_budget.ITEM + code) + 3 * (sandbox_budget.ITEM + len("Doe"))
    assert _work(compiled, {"case": {"title": "Doe"}}) == expected == 480


# --- the budget: code that once ran outside it ---------------------------------------------------------

_LOOPS, _END = "{% for a in 'x' * 300 %}{% for b in 'x' * 300 %}", "{% endfor %}{% endfor %}"  # 90,000 items
_NESTED = "{% set t = (1, 1) %}" + "{% set t = (t, t) %}" * 60  # a tuple of 2**61 numbers, built in 60 steps
_TWINS = "{% set t = (1, 1) %}{% set u = (1, 1) %}" + "{% set t = (t, t) %}{% set u = (u, u) %}" * 8
_MACROS = ("{% macro m0() %}" + "{% set k = case.title %}" * 100 + "{% endmacro %}"
           + "".join(f"{{% macro m{i}() %}}{f'{{{{ m{i - 1}() }}}}' * 10}{{% endmacro %}}" for i in range(1, 7))
           + "{{ m6() }}")  # a million runs of m0, through six macros that each call the one before ten times
_DISTINCT = "".join(chr(0x100 + i) for i in range(3000))  # punycode's time grows with their number squared


@pytest.mark.parametrize("source", [
    pytest.param(_LOOPS + "{% set k = case.title %}" * 200 + _END, id="nested-loops-with-set"),
    pytest.param(_LOOPS + "{% set k = facts.citizen %}{% set k = facts['custodian'] %}" + _END, id="lookups"),
    pytest.param(_LOOPS + "{% set k = -1 - 1 / 1 // 1 if b and b or not b else 0 %}" + _END, id="operators"),
    pytest.param(_LOOPS + "{% set k = [" + "1, " * 1000 + "{'a': b}] %}" + _END, id="big-literals"),
    pytest.param(_LOOPS + "{{ loop.index }}" + _END, id="printing-loop-index"),
    pytest.param("{% for a in 'x' * 300 recursive %}{% if loop.depth < 3 %}{{ loop('y' * 300) }}{% endif %}"
                 "{% endfor %}", id="recursive-loop"),
    pytest.param("{% for a in 'x' * 3000 recursive %}{{ loop('') }}{% else %}"
                 + "{% set k = case.title %}" * 50 + "{% endfor %}", id="recursive-loop-else"),
    pytest.param(_MACROS, id="macros-calling-macros"),
    pytest.param("{% set l = [1] * 50000 %}{% for a in 'x' * 1000 %}{% set k = l[1:] %}{% endfor %}",
                 id="slices"),
    pytest.param("{% set l = [1] * 10000 %}{% for a in 'x' * 1000 %}{% set k = l"
                 + "|map(attribute='real')" * 20 + "|list %}{% endfor %}", id="chained-filters"),
    pytest.param(_NESTED + "{{ facts[t] is defined }}", id="looking-up-a-nested-tuple"),
    pytest.param(_NESTED + "{% set d = {t: 1} %}", id="a-nested-tuple-as-a-key"),
    pytest.param("{% macro m() %}{% endmacro %}" + _NESTED + "{{ m(" + ", ".join(["t"] * 100) + ") }}",
                 id="measuring-many-arguments"),
    pytest.param(_NESTED + "{{ 'x'.encode(t) }}", id="a-nested-tuple-as-an-encoding"),
    pytest.param(_TWINS + "{% set l = [(u, 1)] * 100 %}{% for a in 'x' * 1000 %}{% set k = l.count((t, 2)) %}"
                 "{% endfor %}", id="list-methods-comparing-items"),
    pytest.param("{{ (('<a>' * 100000)|safe).striptags() }}", id="striptags"),
    pytest.param("{{ '" + _DISTINCT + "'.encode('punycode') }}", id="punycode"),
    pytest.param("{{ ([[1] * 100] * 1000)|sum(start=[]) }}", id="adding-lists"),
])
def test_code_that_once_ran_outside_the_budget_is_refused(source: str) -> None:
    """Loop items and macro runs count the code they run (sets, lookups, operators, literals, printing);
    recursive loops count each item; slices, keys and arguments are measured, and measuring stops with
    the budget; filters and methods whose time grows faster than their input count that too. Each of these
    texts once rendered without counting all it did (grown to the 20,000-character limit of a text, such
    texts ran for seconds to hours); now each is refused, located at the text."""
    err = render_error(source)
    assert err.pos == POS
    assert err.diagnostic.message == ("refused: the text does too much work (a loop that runs too long, or "
                                      "values too large)")


@pytest.mark.parametrize(("source", "message"), [
    ("{{ (9 ** 64) ** 64 }}", "refused: the number would have more than 1,000 digits"),
    ("{{ ('9' * 2000)|int }}", "refused: the number would have more than 1,000 digits"),
    ("{{ facts|pprint }}", "template syntax error: No filter named 'pprint'."),
])
def test_numbers_are_short_and_pprint_is_not_offered(source: str, message: str) -> None:
    """Arithmetic on long numbers slows with the square of their length, so a number may have at most
    MAX_DIGITS digits, however it is made; ``pprint`` (whose time grows with a value's nesting) is not a
    filter of the sandbox."""
    err = render_error(source)
    assert err.pos == POS
    assert err.diagnostic.message == message


def test_a_busy_text_within_the_budget_still_renders() -> None:
    """The budget leaves room for far more than rule-set text does (the bundled texts use at most about
    1,500 of it): a thousand loop items, each with lookups, a filter and a condition."""
    source = ("{% for c in facts.conditions * 1000 %}{{ loop.index }}. {{ c|upper }}"
              "{% if not loop.last %}; {% endif %}{% endfor %}")
    out = authored.render(Text(source=source, pos=POS), CONTEXT)
    assert out.startswith("1. CROWDING; 2. CROWDING;") and out.endswith("1000. CROWDING")


def test_compiling_runs_nothing() -> None:
    """Constant expressions are not folded while compiling, so their work is counted when the text runs."""
    compiled = sandbox.template("{{ 'x' | center(10**9) }}")
    with pytest.raises(sandbox_budget.LimitExceeded, match="the text does too much work"):
        sandbox.run(compiled, {})


def test_a_text_is_compiled_once() -> None:
    """The same source gives the same compiled template."""
    source = "{{ facts.citizen }} once"
    assert sandbox.template(source) is sandbox.template(source)


def test_other_templates_cannot_be_compiled() -> None:
    """Including, importing or extending another template is a syntax error when the text compiles."""
    with pytest.raises(jinja2.TemplateSyntaxError, match="'include' of another template is not allowed"):
        sandbox.template("{% include 'authored-0' %}")


def test_the_rule_language_reference_names_every_limit() -> None:
    """docs/rule-language.md's "Template text" section names every limit of the sandbox with its value."""
    text = (ROOT / "docs" / "rule-language.md").read_text(encoding="utf-8")
    section = text.split("\n## Template text", 1)[1].split("\n## ", 1)[0]
    for name in ("MAX_VALUE", "MAX_DIGITS", "MAX_FORMAT_WIDTH", "MAX_WORK"):
        assert f"`{name}`" in section and f"{getattr(sandbox_budget, name):,}" in section, name
