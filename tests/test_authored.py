"""Tests for authored.py: rule-set text checked statically, compiled and rendered, with located errors."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from collections.abc import Set
from typing import Any

import jinja2
import pytest

from transferlaw import api
from transferlaw.language import authored
from transferlaw.language.errors import Diagnostic
from transferlaw.language.errors import Position
from transferlaw.language.errors import SourceError
from transferlaw.language.model import Text
from transferlaw.memo import document

from .conftest import DATA
from .conftest import MINI_RULES

REFUSED = "rule-set text may only read facts, answer, phrase, known, conclusions, case and as_of"
POS = Position("rules/x/issues/a.yaml", 7, 12)
BLOCK_POS = Position("rules/x/issues/a.yaml", 20, 7)  # first content line of a `|` block

CONTEXT: dict[str, Any] = {
    "facts": {"citizen": True, "custodian": "state", "conditions": ["crowding"], "months_left": 3},
    "answer": {"citizen": "yes", "custodian": "State prison", "conditions": "Overcrowding", "months_left": "3"},
    "conclusions": {"protected": None},
    "case": {"title": "Doe"},
    "as_of": "2026-02-01",
}
ALLOWED: Mapping[str, Set[str]] = {
    "facts": {"citizen", "custodian", "conditions", "months_left"},
    "answer": {"citizen", "custodian", "conditions", "months_left"},
    "conclusions": {"protected"},
    "case": {"title"},
}


def text(source: str, *, block: bool = False) -> Text:
    return Text(source=source, pos=BLOCK_POS if block else POS, block=block)


def render_error(source: str, *, block: bool = False) -> SourceError:
    """The SourceError rendering ``source`` raises."""
    with pytest.raises(SourceError) as info:
        authored.render(text(source, block=block), CONTEXT)
    return info.value


def check(source: str, *, block: bool = False) -> list[Diagnostic]:
    return authored.check(text(source, block=block), ALLOWED)


# --- rendering -------------------------------------------------------------------------------------


def test_every_context_name_is_available() -> None:
    """facts, answer, conclusions, case and as_of can all be used in rule-set text."""
    source = "{{ facts.citizen }}|{{ answer.custodian }}|{{ conclusions.protected }}|{{ case.title }}|{{ as_of }}"
    assert authored.render(text(source), CONTEXT) == "True|State prison|None|Doe|2026-02-01"


def test_context_from_a_real_evaluation() -> None:
    """The context the memo builds from an evaluation gives text the answers, labels, conclusions and dates."""
    case, ruleset = api.load_case(DATA / "cases" / "mini-unknowns.yaml", rules_dirs=[MINI_RULES])
    evaluation = api.evaluate_case(case, ruleset, "python")
    context = document.text_context(evaluation, dt.date(2026, 2, 1))
    source = ("{{ case.title }}: held by {{ answer.custodian }} ({{ facts.custodian }}); citizen "
              "{{ answer.citizen }}; custody {{ conclusions.government_custody }}; as of {{ as_of }}.")
    assert authored.render(text(source), context) == (
        "Mostly unknown: held by State prison (state); citizen unknown; custody True; as of 2026-02-01."
    )


def test_control_structures_work() -> None:
    """Conditionals, loops, filters and local names work inside the sandbox."""
    source = ("{% if facts.citizen %}A citizen{% else %}Not a citizen{% endif %}; "
              "{% for c in facts.conditions %}{{ c|upper }}{% endfor %}; "
              "{% set n = facts.months_left + 1 %}{{ n }}")
    assert authored.render(text(source), CONTEXT) == "A citizen; CROWDING; 4"


def test_one_line_text_is_folded_to_single_spaces() -> None:
    """Ordinary text has its whitespace folded to single spaces and trimmed."""
    assert authored.render(text("  Held by\n   {{ answer.custodian }}  now.\n"), CONTEXT) == "Held by State prison now."


def test_plain_text_is_folded_without_jinja() -> None:
    """Text without any template markers is printed as written, folded like any other text."""
    assert authored.render(text("No  markers\nhere."), CONTEXT) == "No markers here."


def test_block_text_keeps_its_lines() -> None:
    """Text from a ``|`` block keeps its line breaks and is only trimmed at the ends."""
    source = "First {{ case.title }}.\n  Indented second.\n"
    assert authored.render(text(source, block=True), CONTEXT) == "First Doe.\n  Indented second."


# --- located errors at render time -----------------------------------------------------------------


@pytest.mark.parametrize("source", ["{{ nope }}", "{{ facts.nope }}", "{{ facts.citizen.nope }}", "{{ case.nope }}"])
def test_undefined_name_is_a_located_error(source: str) -> None:
    """StrictUndefined makes an undefined name fail, as a SourceError at the text's position."""
    err = render_error(source)
    assert err.pos == POS
    assert err.diagnostic.message.startswith("undefined name in text: ")
    assert isinstance(err.__cause__, jinja2.UndefinedError)


@pytest.mark.parametrize(
    ("source", "start"),
    [
        ("{{ 1 / 0 }}", "template failed: "),
        ("{{ facts.months_left + 'x' }}", "template failed: "),
        ("{{ range(10 ** 9) | list | length }}", "undefined name in text: 'range' is undefined"),
        ("{{ lipsum.__globals__ }}", "undefined name in text: 'lipsum' is undefined"),
        ("{{ namespace(a=1).__class__ }}", "undefined name in text: 'namespace' is undefined"),
        ("{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}", "refused: the text's macros or recursive loops"),
        ("{{ 'x'.encode('no-such-codec') }}", "template failed: LookupError: "),
        ("{{ '{0}'.format() }}", "template failed: IndexError: "),
        ("{% include 'other' %}", "template syntax error: 'include' of another template is not allowed"),
        ("{% import 'other' as o %}", "template syntax error: 'import' of another template is not allowed"),
        ("{% from 'other' import x %}", "template syntax error: 'fromimport' of another template is not allowed"),
        ("{% extends 'other' %}", "template syntax error: 'extends' of another template is not allowed"),
        ("{{ facts.citizen | nosuchfilter }}", "template syntax error: "),
        ("{{ facts.citizen is nosuchtest }}", "template syntax error: "),
        ("{% for %}", "template syntax error: "),
        ("{{ facts.citizen ", "template syntax error: "),
        ("{% if facts.citizen %}open", "template syntax error: "),
    ],
)
def test_every_jinja_failure_is_a_located_source_error(source: str, start: str) -> None:
    """Syntax errors, runtime errors and missing templates all become SourceErrors, never raw Jinja exceptions."""
    err = render_error(source)
    assert err.pos == POS
    assert err.diagnostic.message.startswith(start)


# --- block text keeps line numbers -----------------------------------------------------------------


def test_syntax_error_on_line_three_of_a_block_is_at_that_file_line() -> None:
    """A syntax error on line 3 of a ``|`` block is reported at the file line of that text line."""
    err = render_error("Line one.\nLine two.\nBad {{ facts.citizen here.\nLine four.\n", block=True)
    assert err.pos == Position(BLOCK_POS.path, BLOCK_POS.line + 2, BLOCK_POS.col)


def test_check_finds_an_unknown_name_on_line_three_of_a_block() -> None:
    """An unknown name on line 3 of a ``|`` block is reported at the file line of that text line."""
    found = check("Line one.\nLine two.\nBad {{ facts.nope }}.\n", block=True)
    assert [d.pos for d in found] == [Position(BLOCK_POS.path, BLOCK_POS.line + 2, BLOCK_POS.col)]


def test_error_in_one_line_text_is_at_the_text_start() -> None:
    """Text that is not a ``|`` block has no reliable line mapping, so errors point at its start."""
    err = render_error("Line one.\nLine two.\nBad {{ facts.citizen here.\n")
    assert err.pos == POS


@pytest.mark.parametrize("bad", ["{{ facts.citizen.nope }}", "{{ ''.__class__ }}", "{{ 1 / 0 }}"])
def test_render_error_on_line_three_of_a_block_is_at_that_file_line(bad: str) -> None:
    """An error raised while rendering line 3 of a ``|`` block is reported at the file line of that text line."""
    err = render_error(f"Line one.\nLine two.\nBad {bad}.\nLine four.\n", block=True)
    assert err.pos == Position(BLOCK_POS.path, BLOCK_POS.line + 2, BLOCK_POS.col)


# --- static check ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        "Plain text.",
        "{{ facts.citizen }} {{ answer.custodian }} {{ conclusions.protected }} {{ case.title }} {{ as_of }}",
        "{{ facts['citizen'] }}",
        "{% set x = 1 %}{{ x }}",
        "{% for c in facts.conditions %}{{ c }}{% endfor %}",
        "{% if facts.citizen %}yes{% endif %}",
    ],
)
def test_check_accepts_known_names(source: str) -> None:
    """Text using only the rule set's names (and its own local names) passes the static check."""
    assert check(source) == []


@pytest.mark.parametrize(
    ("source", "message", "hint"),
    [
        ("{{ fact.citizen }}", "unknown name 'fact' in text", "did you mean 'facts'?"),
        ("{{ cycler }}", "unknown name 'cycler' in text",
         "available: facts, answer, phrase, known, conclusions, case, as_of, status"),
        ("{{ facts.citizn }}", "unknown name 'facts.citizn' in text", "did you mean 'citizen'?"),
        ("{{ answer['custodain'] }}", "unknown name 'answer.custodain' in text", "did you mean 'custodian'?"),
        ("{{ conclusions.citizen }}", "unknown name 'conclusions.citizen' in text", None),
        ("{{ case.name }}", "unknown name 'case.name' in text", None),
        ("{{ facts.__class__ }}", "refused unsafe template code: the private attribute '__class__'", REFUSED),
        ("{{ facts['__init__'] }}", "refused unsafe template code: the private item '__init__'", REFUSED),
        ("{{ facts.citizen ", "template syntax error: ", None),
    ],
)
def test_check_reports_located_problems(source: str, message: str, hint: str | None) -> None:
    """Unknown names, underscore names and syntax errors are found before any case runs, at the text's position."""
    found = check(source)
    assert len(found) == 1
    assert found[0].pos == POS
    assert found[0].message.startswith(message)
    assert found[0].hint == hint


def test_check_reports_every_problem() -> None:
    """All unknown names in a text are reported, not just the first."""
    found = check("{{ facts.nope }} and {{ answer.nada }} and {{ zzz }}")
    assert sorted(d.message for d in found) == [
        "unknown name 'answer.nada' in text",
        "unknown name 'facts.nope' in text",
        "unknown name 'zzz' in text",
    ]


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ facts.citizen.__class__ }}",
        "{% set x = facts %}{{ x.__class__ }}",
        "{{ facts|attr('__class__') }}",
    ],
)
def test_check_refuses_underscore_attributes_anywhere(source: str) -> None:
    """An attribute starting with '_' is refused by the static check whatever it is looked up on."""
    found = check(source)
    assert len(found) == 1
    assert found[0].pos == POS
    assert "__class__" in found[0].message



def test_check_refuses_the_random_filter() -> None:
    """Rule-set text must render the same every time, so the ``random`` filter is refused like ``attr``."""
    found = check("{{ ['a', 'b'] | random }}")
    assert [d.message for d in found] == ["refused unsafe template code: the filter 'random'"]


@pytest.mark.parametrize("source", [
    '{% include "authored-0" %}', '{% import "authored-0" as x %}', '{% from "authored-0" import y %}',
    '{% extends "authored-0" %}',
])
def test_check_refuses_other_templates(source: str) -> None:
    """Rule-set text stands alone: it may not include, import or extend another template."""
    found = check(source)
    assert len(found) == 1 and "of another template" in found[0].message


# --- security review (issue 8): what the static check refuses ------------------------------------------


@pytest.mark.parametrize(("source", "message"), [
    ("{{ 1" + "0" * 5000 + " }}", "template syntax error: cannot read the text: Exceeds the limit"),
    ("{{ " + "(" * 3000 + "1" + ")" * 3000 + " }}", "template syntax error: the text is nested too deeply"),
    ("{{ 1" + "+1" * 5000 + " }}", "template syntax error: the text is nested too deeply"),
    ("{{ facts|_each(1) }}", "refused unsafe template code: the filter '_each'"),
])
def test_check_refuses_what_cannot_be_read_or_is_internal(source: str, message: str) -> None:
    """A number too long to read, code nested too deeply to walk, and the sandbox's own filters are located
    problems when the rule set loads, never a crash."""
    found = check(source)
    assert len(found) == 1 and found[0].pos == POS
    assert found[0].message.startswith(message)
