"""Loops and macros in rule-set text (issue 13, point 10): a rule set whose texts use ``{% for %}`` with
``loop``, ``{% macro %}`` with arguments and calls, ``{% call %}`` and ``{% set %}`` loads and renders; the load
check still reports unknown names, with Jinja's scopes (a ``loop`` outside a for, a loop variable or a macro
parameter used outside its block, a name used before it is set).

Bad fixtures live in ``tests/data/invalid/templates/<name>/`` (one per error message), next to the
rule-set fixtures of tests/test_validate.py.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

import pytest

from transferlaw import api
from transferlaw.language import authored
from transferlaw.language.errors import Diagnostic
from transferlaw.language.errors import Position
from transferlaw.language.errors import SourceError
from transferlaw.language.errors import ValidationFailed
from transferlaw.language.errors import display_path
from transferlaw.language.model import Text
from transferlaw.language.validate_ruleset import load_ruleset_dir

from .conftest import DATA

TEMPLATES = DATA / "templates"
BAD = DATA / "invalid" / "templates"
ALLOWED = {"facts": {"citizen", "conditions"}, "answer": {"citizen"}, "conclusions": set(), "case": {"title"}}


def unknown(source: str) -> list[tuple[str, str | None]]:
    """The (message, hint) of every problem the load check finds in ``source``."""
    found = authored.check(Text(source=source, pos=Position("r.yaml", 3, 5)), ALLOWED)
    return [(d.message, d.hint) for d in found]


# --- a rule set with loops and macros loads and renders ---------------------------------------------------


def test_a_rule_set_with_loops_and_macros_loads() -> None:
    """loop.index, loop.last, loop.first, a macro with arguments (positional, keyword, default), a call block
    with caller(), nested loops and set: the rule set loads without a diagnostic."""
    ruleset = load_ruleset_dir(TEMPLATES / "templated")
    assert [i.id for i in ruleset.issues] == ["exile"]


def test_the_loops_and_macros_render_in_the_memo() -> None:
    """The memo shows what the loops and macros wrote, each text through the sandbox."""
    case, ruleset = api.load_case(TEMPLATES / "case.yaml", rules_dirs=[TEMPLATES])
    memo = api.render_memo(api.evaluate_case(case, ruleset, "python"), "md", dt.date(2026, 2, 1))
    assert "1. crowding; 2. heat." in memo
    assert "See A v. B, at 12 and C v. D." in memo
    assert "The government answers: transfer and not exile." in memo
    assert "[Conclusion: 1112]" in memo
    assert "Write and then File." in memo
    assert "Is a citizen held by Federal prison protected?" in memo


# --- scoping: what the load check accepts -----------------------------------------------------------------


@pytest.mark.parametrize("source", [
    "{% for x in facts.conditions %}{{ loop.index }}{{ loop.last }}{{ loop.length }}{{ x }}{% endfor %}",
    "{% for a, b in [(1, 2)] %}{{ a }}{{ b }}{% endfor %}",
    "{% for x in [1] %}{% for y in [2] %}{{ loop.index }}{{ x }}{{ y }}{% endfor %}{{ loop.index }}{% endfor %}",
    "{% for x in [1, 2] if x > 1 %}{{ x }}{% endfor %}",
    "{% for x in [1] %}{% for y in [1, 2] if loop.index %}{{ y }}{% endfor %}{% endfor %}",
    "{% for x in [[1]] recursive %}{{ loop.depth }}{% if x is iterable %}{{ loop(x) }}{% endif %}{% endfor %}",
    "{% set n = 1 %}{{ n }}",
    "{% set a, b = 1, 2 %}{{ a + b }}",
    "{% set x %}text{% endset %}{{ x }}",
    "{% if facts.citizen %}{% set z = 1 %}{% else %}{% set z = 2 %}{% endif %}{{ z }}",
    "{% macro m(a, b=2) %}{{ a }}{{ b }}{{ varargs }}{{ kwargs }}{% endmacro %}{{ m(1, 2, 3, c=4) }}",
    "{% macro m(a, b=a) %}{{ b }}{% endmacro %}{{ m(1) }}",
    "{% macro m(n) %}{% if n %}{{ m(n - 1) }}{% endif %}{% endmacro %}{{ m(2) }}",
    "{% macro m() %}{{ later }}{% endmacro %}{% set later = 1 %}{{ m() }}",
    "{% macro box() %}[{{ caller(1) }}]{% endmacro %}{% call(v) box() %}{{ v }}{% endcall %}",
    "{% for x in [1] %}{% macro m() %}{{ loop.index }}{{ x }}{% endmacro %}{{ m() }}{% endfor %}",
    "{% with a = 1 %}{{ a }}{% endwith %}",
    "{% filter upper %}{{ case.title }}{% endfilter %}",
])
def test_names_defined_in_scope_are_accepted(source: str) -> None:
    """Loop targets and loop inside their for, set names after the set, macro names, parameters, caller,
    varargs and kwargs inside the macro, call-block arguments and with names inside their block."""
    assert unknown(source) == []


# --- scoping: what it still reports -----------------------------------------------------------------------


@pytest.mark.parametrize(("source", "name"), [
    ("{{ loop.index }}", "loop"),
    ("{% for x in [] %}{% else %}{{ loop.index }}{% endfor %}", "loop"),
    ("{% for x in [1, 2] if loop.index > 1 %}{{ x }}{% endfor %}", "loop"),
    ("{% for x in [1] %}{% endfor %}{{ x }}", "x"),
    ("{% for x in [1] %}{% set inner = 1 %}{% endfor %}{{ inner }}", "inner"),
    ("{{ n }}{% set n = 1 %}", "n"),
    ("{% macro m(a) %}{{ a }}{% endmacro %}{{ a }}", "a"),
    ("{{ m() }}{% macro m() %}{% endmacro %}", "m"),
    ("{% macro m() %}{% set inside = 1 %}{% endmacro %}{{ m() }}{{ inside }}", "inside"),
    ("{% with a = 1 %}{% endwith %}{{ a }}", "a"),
    ("{% with a = 1, b = a %}{{ b }}{% endwith %}", "a"),
    ("{% macro box() %}{{ caller() }}{% endmacro %}{% call box() %}{{ loop }}{% endcall %}", "loop"),
    ("{% set x %}{% set inner = 1 %}{% endset %}{{ inner }}", "inner"),
    ("{% filter upper %}{% set f = 1 %}{% endfilter %}{{ f }}", "f"),
    ("{{ caller() }}", "caller"),
    ("{{ range(3) }}", "range"),
])
def test_names_out_of_scope_are_unknown(source: str, name: str) -> None:
    """A name used where Jinja would find it undefined is reported when the rule set loads."""
    assert [message for message, _ in unknown(source)] == [f"unknown name '{name}' in text"]


def test_a_loop_outside_a_for_says_where_loop_exists() -> None:
    """'loop' outside any for gets a hint that says where it can be used."""
    assert unknown("{{ loop.index }}") == [("unknown name 'loop' in text",
                                            "'loop' exists only inside {% for %} ... {% endfor %}")]


def test_a_misspelt_local_name_gets_a_did_you_mean() -> None:
    """Suggestions come from the names in scope: a macro parameter, a loop variable, loop itself."""
    assert unknown("{% macro cite(name) %}{{ nmae }}{% endmacro %}{{ cite(1) }}") == [
        ("unknown name 'nmae' in text", "did you mean 'name'?")]
    assert unknown("{% for item in [1] %}{{ lop.index }}{{ itme }}{% endfor %}") == [
        ("unknown name 'lop' in text", "did you mean 'loop'?"), ("unknown name 'itme' in text", "did you mean 'item'?")]
    assert unknown("{{ fcts.citizen }}") == [("unknown name 'fcts' in text", "did you mean 'facts'?")]


def test_every_unknown_name_is_reported_once_per_use() -> None:
    """All unknown names of a text are reported at once, in order."""
    assert [m for m, _ in unknown("{{ a }}{% for x in [1] %}{{ b }}{% endfor %}{{ x }}")] == [
        "unknown name 'a' in text", "unknown name 'b' in text", "unknown name 'x' in text"]


@pytest.mark.parametrize("source", [
    "{% set facts = {} %}{{ facts }}",
    "{% for status in [1] %}{{ status }}{% endfor %}",
    "{% macro m(case) %}{{ case }}{% endmacro %}{{ m(1) }}",
    "{% macro answer() %}{% endmacro %}",
])
def test_a_context_name_cannot_be_redefined(source: str) -> None:
    """Redefining facts, answer, conclusions, case, as_of or status would hide the case's own values."""
    [(message, hint)] = unknown(source)
    assert message.endswith("is a name every text is given; it cannot be redefined")
    assert hint == "choose another name"


# --- bad fixtures: one per error message, each through loading a rule set ----------------------------------


class Bad(NamedTuple):
    name: str
    message: str
    line: int


BAD_FIXTURES = [
    Bad("loop-outside-for", "unknown name 'loop' in text ('loop' exists only inside {% for %} ... {% endfor %})",
        27),
    Bad("macro-parameter-misspelt", "unknown name 'pinpoit' in text (did you mean 'pinpoint'?)", 28),
    Bad("context-name-redefined", "'status' is a name every text is given; it cannot be redefined (choose "
        "another name)", 27),
]


@pytest.mark.parametrize("bad", BAD_FIXTURES, ids=lambda b: b.name)
def test_bad_template_fixture_reports_one_located_error(bad: Bad) -> None:
    """Each fixture fails to load with exactly one located diagnostic."""
    with pytest.raises(ValidationFailed) as info:
        load_ruleset_dir(BAD / bad.name)
    found: tuple[Diagnostic, ...] = info.value.diagnostics
    assert len(found) == 1, info.value
    assert found[0].format().endswith(f": {bad.message}")
    assert found[0].pos.line == bad.line
    assert found[0].pos.path.endswith(f"{bad.name}/ruleset.yaml")


def test_every_template_fixture_is_covered() -> None:
    """Every directory under tests/data/invalid/templates is named above."""
    assert {p.name for p in BAD.iterdir() if p.is_dir()} == {b.name for b in BAD_FIXTURES}


def test_a_macro_that_calls_itself_without_end_is_refused_when_it_renders() -> None:
    """Recursion loads (its names are known) and is stopped when the memo renders, as a located refusal, not
    a RecursionError's own words."""
    case, ruleset = api.load_case(TEMPLATES / "recursive-macro.yaml", rules_dirs=[TEMPLATES])
    with pytest.raises(SourceError) as info:
        api.render_memo(api.evaluate_case(case, ruleset, "python"), "md", dt.date(2026, 2, 1))
    assert info.value.diagnostic.format() == (
        f"{display_path(TEMPLATES / 'recursive-macro' / 'ruleset.yaml')}:22:7: refused: the text's macros or "
        "recursive loops call themselves too deeply (a macro must stop calling itself)")
