"""Tests for textcache.py: rendered rule-set text kept across cases must equal a fresh render, always."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from transferlaw.language import authored
from transferlaw.language.model import Text
from transferlaw.memo import textcache

from .test_authored import CONTEXT
from .test_authored import POS
from .test_authored import text


@pytest.fixture
def cache() -> textcache.TextCache:
    """A cold cache: what a fresh workspace's prepared rule set starts with."""
    return textcache.TextCache()


@pytest.mark.parametrize(
    ("source", "keyed", "spliced"),
    [
        ("{{ facts.citizen }} and {{ answer['custodian'] }}", (("facts", "citizen"),), (("answer", "custodian"),)),
        ("{% if status == 'raised' %}{{ as_of }}{% endif %}", (("status", None), ("as_of", None)), ()),
        ("{% for c in facts.conditions %}{{ c }}{% endfor %}", (("facts", "conditions"),), ()),
        ("{{ case.title }}: {% if answer.citizen == 'yes' %}{{ answer.citizen }}{% endif %}",
         (("answer", "citizen"),), (("case", "title"),)),
        ("{{ case.title | upper }}", (("case", "title"),), ()),  # filtered: the value selects the output
        ("{% filter upper %}{{ case.title }}{% endfilter %}", (("case", "title"),), ()),
        ("{% set t %}{{ case.title }}{% endset %}{{ t | length }}", (("case", "title"),), ()),
        ("{{ 1 + 1 }}", (), ()),
    ],
)
def test_plans_key_on_what_selects_and_splice_what_is_only_printed(source: str, keyed: object,
                                                                  spliced: object, cache: textcache.TextCache) -> None:
    plan = textcache.plan_of(source)
    assert plan is not None
    assert (plan.keyed, plan.spliced) == (keyed, spliced)


@pytest.mark.parametrize(
    "source",
    ["{{ facts[case.title] }}", "{% set f = facts %}{{ f.citizen }}", "{% for k in answer %}{{ k }}{% endfor %}"],
)
def test_texts_that_could_read_anything_are_never_kept(source: str) -> None:
    assert textcache.plan_of(source) is None


def test_plain_text_is_kept_as_is() -> None:
    assert textcache.plan_of("No Jinja here.") is textcache.PLAIN


SOURCES = [
    "{{ facts.citizen }} / {{ answer.custodian }} / {{ case.title }} / {{ status }}",
    "{% for c in facts.conditions %}{{ c }};{% endfor %} {{ facts.months_left }}",
    "{{ facts[case.title] if case.title in facts else 'none' }}",
    "{{ case.title }}:   {% if status == 'raised' %}{{ answer.custodian }}{% else %}no{% endif %}  end",
    "{% for c in facts.conditions %}{{ case.title }}{% endfor %}",
    "{% filter upper %}{{ case.title }}{% endfilter %} {{ case.title | length }}",
    "{{ 1 + 1 }} plain",
]
TITLES = ("Doe", "citizen", "A  b\n c", "\x00\ufdd00\ufdd1\x00 trick", "{{ facts.citizen }}")


def contexts() -> list[dict[str, Any]]:
    found = []
    for citizen, months, title, status, conditions, custodian in itertools.product(
            (True, False, 1, None), (3, 3.0), TITLES, ("raised", "undetermined"),
            (["crowding"], ["crowding", "violence"]), ("State prison", "ICE")):
        found.append({**CONTEXT, "facts": {**CONTEXT["facts"], "citizen": citizen, "months_left": months,
                                           "conditions": conditions},
                      "answer": {**CONTEXT["answer"], "custodian": custodian},
                      "case": {"title": title}, "status": status})
    return found


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("block", [False, True])
def test_kept_output_always_equals_a_fresh_render(source: str, block: bool, cache: textcache.TextCache) -> None:
    """Every context, in two orders, gives exactly what a fresh render gives (titles with whitespace, markers
    and Jinja syntax included)."""
    every = contexts()
    expected = [authored.render(text(source, block=block), c) for c in every]
    for order in (list(range(len(every))), list(range(len(every)))[::-1]):
        got = {n: cache.render(text(source, block=block), every[n]) for n in order}
        assert [got[n] for n in range(len(every))] == expected


def test_a_text_that_transforms_a_printed_value_falls_back_to_keying(cache: textcache.TextCache) -> None:
    """Should a plan splice a value the text transforms, the first render's check catches it and the text is
    keyed on the value from then on."""
    source = "{{ case.title | upper }}"
    cache.plans[source] = textcache.Plan(keyed=(), spliced=(("case", "title"),))  # a wrong plan
    assert cache.render(Text(source=source, pos=POS), {**CONTEXT, "case": {"title": "doe"}}) == "DOE"
    assert cache.plan_of(source) == textcache.Plan(keyed=(("case", "title"),))
    assert cache.render(Text(source=source, pos=POS), {**CONTEXT, "case": {"title": "roe"}}) == "ROE"


def test_errors_are_still_located(cache: textcache.TextCache) -> None:
    """A kept text that fails for some context still raises the located error."""
    source = "{{ facts.months_left + 'x' }}"
    with pytest.raises(authored.SourceError) as info:
        cache.render(Text(source=source, pos=POS), CONTEXT)
    assert info.value.pos == POS


def test_cache_is_bounded(cache: textcache.TextCache) -> None:
    """Each text keeps at most PER_TEXT outputs, and renders correctly beyond them."""
    source = "{{ facts.months_left }} months"
    for n in range(textcache.PER_TEXT + 50):
        assert cache.render(text(source), {**CONTEXT, "facts": {"months_left": n}}) == f"{n} months"
    assert len(cache.kept[source]) == textcache.PER_TEXT


@pytest.mark.parametrize("source", [
    "{% autoescape true %}{{ case.title }}{% endautoescape %}",  # escaping changes how a value prints
    "{% for k, v in answer.items() %}{{ k }}={{ v }};{% endfor %}",  # a method of the whole mapping
])
def test_texts_the_plan_cannot_see_through_are_rendered_every_time(source: str, cache: textcache.TextCache) -> None:
    """Found in review: both once gave a stale or unescaped output after the first few renders."""
    assert textcache.plan_of(source) is None
    for title in ("A", "B", "C", "D", "<b>&'\""):
        context = {**CONTEXT, "case": {"title": title}, "answer": {"x": title}}
        assert cache.render(text(source), context) == authored.render(text(source), context)


def test_a_value_that_looks_like_a_marker_is_never_spliced_into(cache: textcache.TextCache) -> None:
    source = "{{ facts.note }} / {{ case.title }}"
    fake = "\x00\ufdd00\ufdd1\x00"
    for n in range(textcache.CHECKS + 2):
        context = {**CONTEXT, "facts": {"note": fake}, "case": {"title": f"T{n}"}}
        assert cache.render(text(source), context) == authored.render(text(source), context)
