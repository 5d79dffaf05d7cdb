"""Tests for sandbox.py: what Jinja's immutable sandbox refuses, and the budget each rendering has.

Refusals are checked through :func:`transferlaw.authored.render`, which locates them at the text; the
sandbox's own surface (:func:`~transferlaw.sandbox.template`, :func:`~transferlaw.sandbox.run`,
:class:`~transferlaw.sandbox.LimitExceeded`) is checked directly.
"""

from __future__ import annotations

import jinja2
import pytest

from transferlaw import authored
from transferlaw import sandbox
from transferlaw.errors import SourceError
from transferlaw.model import Text

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
    with pytest.raises(sandbox.LimitExceeded, match="the repeated value would be too long") as info:
        sandbox.run(sandbox.template("{{ 'a' * 10**9 }}"), {})
    assert isinstance(info.value, jinja2.exceptions.SecurityError)


def test_the_whole_output_is_capped() -> None:
    """Values each within MAX_VALUE still may not print more than MAX_VALUE characters in all."""
    value = "a" * (sandbox.MAX_VALUE // 2 + 1)
    assert sandbox.run(sandbox.template("{{ x }}"), {"x": value}) == value
    with pytest.raises(sandbox.LimitExceeded, match="the text would be longer than 1,000,000 characters"):
        sandbox.run(sandbox.template("{{ x }}{{ x }}"), {"x": value})


def test_each_rendering_has_its_own_budget() -> None:
    """Work is counted per rendering: a text using over half the budget renders again and again, while one
    using more than all of it is refused."""
    value = "a" * 600_000  # each comparison of it with itself costs 1,200,020 of MAX_WORK
    within = sandbox.template("{{ x == x }}" * 5)
    for _ in range(3):
        assert sandbox.run(within, {"x": value}) == "True" * 5
    with pytest.raises(sandbox.LimitExceeded, match="the text does too much work"):
        sandbox.run(sandbox.template("{{ x == x }}" * 9), {"x": value})


def test_compiling_runs_nothing() -> None:
    """Constant expressions are not folded while compiling, so their work is counted when the text runs."""
    compiled = sandbox.template("{{ 'x' | center(10**9) }}")
    with pytest.raises(sandbox.LimitExceeded, match="the text does too much work"):
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
        assert f"`{name}`" in section and f"{getattr(sandbox, name):,}" in section, name
