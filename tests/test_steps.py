"""Tests for steps.py: the interview as state and steps, choosing questions as the terminal interview does."""

from __future__ import annotations

import pytest

from transferlaw import api
from transferlaw.language.model import RuleSet
from transferlaw.tools import interview
from transferlaw.tools import steps
from transferlaw.tools import typed_answers

from .conftest import ROOT


@pytest.fixture(scope="module")
def flagship() -> RuleSet:
    return api.load_ruleset("foreign-prison-transfer")


def test_text_questions_come_first_then_the_most_decisive(flagship: RuleSet) -> None:
    state = steps.start(flagship, "  Doe   client ")
    assert state.title == "Doe client"
    texts = interview.text_questions(flagship, {}, frozenset())
    for text in texts:
        question = steps.current(flagship, state)
        assert question is not None and question.id == text.id
        state = steps.skip(state, question.id)
    assert steps.current(flagship, state) == interview.next_question(flagship, {}, state.skipped)


def test_answer_unknown_and_back(flagship: RuleSet) -> None:
    state = steps.start(flagship)
    state = steps.answer(flagship, state, "citizenship", "lpr")
    state = steps.answer(flagship, state, "other_nationalities", "salvadoran")
    state = steps.answer(flagship, state, "custodian", "")  # an empty answer means unknown
    assert dict(state.facts) == {"citizenship": "lpr", "other_nationalities": ("salvadoran",)}
    assert state.skipped == {"custodian"}
    assert state.asked == ("citizenship", "other_nationalities", "custodian")
    state = steps.back(state)
    assert state.skipped == frozenset() and state.asked == ("citizenship", "other_nationalities")
    state = steps.back(steps.back(state))
    assert dict(state.facts) == {} and steps.back(state) == state


def test_answering_again_replaces_and_moves_to_the_end(flagship: RuleSet) -> None:
    state = steps.answer(flagship, steps.start(flagship), "citizenship", "lpr")
    state = steps.skip(state, "custodian")
    state = steps.answer(flagship, state, "citizenship", "us_citizen_birth")
    assert state.facts["citizenship"] == "us_citizen_birth"
    assert state.asked == ("custodian", "citizenship")


@pytest.mark.parametrize(("question", "raw", "message"), [
    ("citizenship", "martian", "martian"),
    ("nope", "yes", "unknown question 'nope'"),
    ("consent_given", "?", "'?' is not an answer"),
])
def test_bad_answers_say_what_is_accepted(flagship: RuleSet, question: str, raw: str, message: str) -> None:
    with pytest.raises(typed_answers.AnswerError, match=message):
        steps.answer(flagship, steps.start(flagship), question, raw)


def test_live_findings_and_progress(flagship: RuleSet) -> None:
    empty = steps.start(flagship)
    before = steps.live(flagship, empty.facts)
    assert before.total == len(flagship.issues) and before.raised == ()
    case, _ = api.load_case(ROOT / "cases" / "citizen-federal-no-consent.yaml")
    state = steps.start(flagship, facts=case.facts)
    after = steps.live(flagship, state.facts)
    assert after.raised and [i.severity for i in after.raised] == sorted(
        (i.severity for i in after.raised), key=["high", "medium", "low"].index)
    progress = steps.progress(flagship, steps.answer(flagship, empty, "citizenship", "lpr"))
    assert progress.done == 1 and progress.remaining > 0 and 0 < progress.fraction < 1
    finished = steps.Progress(done=3, remaining=0)
    assert finished.fraction == 1.0 and steps.Progress(done=0, remaining=0).fraction == 1.0


def test_change_keeps_the_order_asked(flagship: RuleSet) -> None:
    """A what-if change does not become the interview's last step, so Back still undoes the interview's own."""
    state = steps.answer(flagship, steps.start(flagship), "citizenship", "lpr")
    state = steps.answer(flagship, state, "custodian", "state")
    changed = steps.change(flagship, state, "citizenship", "us_citizen_birth")
    assert changed.asked == ("citizenship", "custodian") and changed.facts["citizenship"] == "us_citizen_birth"
    assert dict(steps.back(changed).facts) == {"citizenship": "us_citizen_birth"}
    fresh = steps.change(flagship, state, "consent_given", "yes")
    assert fresh.asked == state.asked and fresh.facts["consent_given"] is True


def test_version_follows_every_step(flagship: RuleSet) -> None:
    state = steps.start(flagship)
    seen = {steps.version(state)}
    for step in (lambda s: steps.answer(flagship, s, "citizenship", "lpr"), lambda s: steps.skip(s, "custodian"),
                 steps.back, steps.back):
        state = step(state)
        seen.add(steps.version(state))
    assert len(seen) == 3  # start, answered, skipped; each back returns to an earlier version
    assert steps.version(steps.start(flagship)) == steps.version(state)


def test_titles_and_text_answers_with_control_characters_are_refused(flagship: RuleSet) -> None:
    """Issue 13 point 7: the web's steps refuse what the case loader would refuse, saying what to do."""
    state = steps.start(flagship, "Ana")
    for title in ("Ana\x1b[0m", "Ana\x00", "Ana\udcff"):
        with pytest.raises(steps.AnswerError, match="the title holds"):
            steps.retitle(state, title)
        with pytest.raises(steps.AnswerError, match="the title holds"):
            steps.start(flagship, title)
    with pytest.raises(steps.AnswerError, match="the answer holds the control character U\\+0085"):
        steps.answer(flagship, state, "person_name", "Jane\x85Roe")
    assert steps.retitle(state, "Ana\tRoe\n").title == "Ana Roe"  # whitespace is only collapsed


def test_a_kept_text_answer_with_a_control_character_is_taken_out(flagship: RuleSet) -> None:
    """Issue 13 point 7: an interview kept before control characters were refused loses that answer on refit,
    so its case file loads."""
    from types import MappingProxyType

    state = steps.replace(steps.start(flagship), facts=MappingProxyType({"person_name": "Jane\x1bRoe"}))
    fitted, dropped = steps.refit(flagship, state)
    assert dropped == ("person_name",) and dict(fitted.facts) == {}
