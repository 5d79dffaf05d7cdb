"""Question phrasings (issue 15): each answer as a clause, from the rule set's ``phrases``, with the prompt as
the fallback; and rule-set text that reads ``phrase.<id>`` and ``known.<id>``."""

from __future__ import annotations

from pathlib import Path

import pytest

from transferlaw import api
from transferlaw.language.errors import Position
from transferlaw.language.model import Question
from transferlaw.language.model import Value
from transferlaw.memo.phrases import joined
from transferlaw.memo.phrases import phrase
from transferlaw.memo.phrases import sentence
from transferlaw.tools import lint

HERE = Position("questions.yaml", 1, 1)
FAMILY = Question(id="family", prompt="Does the person have close family in the United States?", type="boolean",
                  phrases=(("true", "the person has close family in the United States"),
                           ("false", "the person has no close family in the United States"),
                           ("unknown", "whether the person has close family in the United States is not known")),
                  pos=HERE)
CUSTODIAN = Question(id="custodian", prompt="Who holds the person?", type="choice",
                     choices=(("ice", "ICE"), ("state", "A State")),
                     phrases=(("ice", "the person is in civil immigration detention"),
                              ("state", "the person is held by a State"),
                              ("unknown", "who holds the person is not known")),
                     pos=HERE)
NATIONS = Question(id="nations", prompt="Which other nationalities?", type="multi",
                   choices=(("sv", "Salvadoran"), ("mx", "Mexican"), ("hn", "Honduran")),
                   phrases=(("sv", "the person holds Salvadoran nationality"),
                            ("mx", "the person holds Mexican nationality"),
                            ("hn", "the person holds Honduran nationality"),
                            ("none", "the person holds no other nationality"),
                            ("unknown", "the person's other nationalities are not known")), pos=HERE)
AGE = Question(id="age", prompt="How old is the person?", type="number", unit="years",
               phrases=(("answer", "the person is {answer} old"), ("unknown", "the person's age is not known")),
               pos=HERE)
ORDER = Question(id="order", prompt="When did the order become final?", type="date",
                 phrases=(("answer", "the removal order became final on {answer}"),
                          ("unknown", "when the removal order became final is not known")), pos=HERE)
BARE = Question(id="bare", prompt="Is there a court order?", type="boolean", pos=HERE)


@pytest.mark.parametrize(("question", "value", "expected"), [
    (FAMILY, True, "the person has close family in the United States"),
    (FAMILY, False, "the person has no close family in the United States"),
    (FAMILY, None, "whether the person has close family in the United States is not known"),
    (CUSTODIAN, "ice", "the person is in civil immigration detention"),
    (CUSTODIAN, None, "who holds the person is not known"),
    (NATIONS, (), "the person holds no other nationality"),
    (NATIONS, ("sv",), "the person holds Salvadoran nationality"),
    (NATIONS, ("sv", "mx", "hn"), "the person holds Salvadoran nationality, the person holds Mexican nationality "
                                  "and the person holds Honduran nationality"),
    (AGE, 1, "the person is 1 year old"),
    (AGE, 34.0, "the person is 34 years old"),
    (AGE, None, "the person's age is not known"),
    (ORDER, "2025-03-01", "the removal order became final on 2025-03-01"),
    (BARE, True, "the answer to “Is there a court order” is yes"),
    (BARE, None, "the answer to “Is there a court order” is not known"),
])
def test_each_answer_reads_as_its_phrase(question: Question, value: Value | None, expected: str) -> None:
    assert phrase(question, value) == expected


def test_clauses_join_and_become_sentences() -> None:
    assert joined(["a"]) == "a" and joined(["a", "b"]) == "a and b" and joined(["a", "b", "c"]) == "a, b and c"
    assert sentence("the person is held") == "The person is held."
    assert sentence("is it?") == "Is it?"


RULESET = """\
id: phrased
title: Phrased
version: "1"
as_of: 2026-01-01
jurisdiction: Testland
description: Texts that read phrases.
areas:
  main: Main
questions:
  - id: family
    prompt: Does the person have close family in the United States?
    type: boolean
    phrases:
      true: the person has close family in the United States
      false: the person has no close family in the United States
      unknown: whether the person has close family in the United States is not known
issues:
  - id: family_ties
    title: Loss of contact with family
    area: main
    severity: medium
    when: family
    rule: Family ties matter.
    application: >
      {% if known.family %}{{ phrase.family | upfirst }}.{% else %}The issue turns on family: {{ phrase.family }}.
      If the person has close family in the United States, the move would cut them off.{% endif %}
    counterargument: The government would say prisoners have no right to be held near their families.
    conclusion: Arguable.
"""


@pytest.mark.parametrize(("facts", "expected"), [
    ("family: true", "The person has close family in the United States."),
    ("family: unknown", "The issue turns on family: whether the person has close family in the United States is "
                        "not known. If the person has close family in the United States, the move would cut them off."),
])
def test_rule_set_text_reads_phrase_and_known(tmp_path: Path, facts: str, expected: str) -> None:
    """``phrase.<id>`` is the clause for the answer given (or the unknown clause); ``known.<id>`` branches."""
    rules = tmp_path / "rules" / "phrased"
    rules.mkdir(parents=True)
    (rules / "ruleset.yaml").write_text(RULESET)
    case = tmp_path / "case.yaml"
    case.write_text(f"ruleset: phrased\ntitle: T\nfacts:\n  {facts}\n")
    document = api.memo_document(api.evaluate_case(*api.load_case(case, [tmp_path / "rules"]), engine="python"))
    [finding] = [f for f in document["findings"] if f["id"] == "family_ties"]
    assert finding["application"] == expected


def test_check_is_clean_on_the_conditional_text(tmp_path: Path) -> None:
    """The text above never asserts the unknown answer, so ``check`` has nothing to say about it."""
    rules = tmp_path / "phrased"
    rules.mkdir()
    (rules / "ruleset.yaml").write_text(RULESET)
    assert lint.check(rules).diagnostics == ()
