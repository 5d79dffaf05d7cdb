"""The guided interview: which question comes next, reading answers, the case file it writes, and the loop."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from transferlaw import api
from transferlaw.engine import analysis
from transferlaw.engine import kleene
from transferlaw.engine import workspace as workspace_
from transferlaw.language.errors import Position
from transferlaw.language.errors import SourceError
from transferlaw.language.model import Case
from transferlaw.language.model import Question
from transferlaw.language.model import RuleSet
from transferlaw.language.model import Value
from transferlaw.language.validate_case import case_from_mapping
from transferlaw.language.yamlio import load_text
from transferlaw.tools.interview import InterviewResult
from transferlaw.tools.interview import case_yaml
from transferlaw.tools.interview import next_question
from transferlaw.tools.interview import resume
from transferlaw.tools.interview import run
from transferlaw.tools.typed_answers import AnswerError
from transferlaw.tools.typed_answers import Help
from transferlaw.tools.typed_answers import parse_answer

from .conftest import MINI_RULES
from .conftest import ROOT

FLAGSHIP = "foreign-prison-transfer"
MINI = MINI_RULES / "mini"
CASES = sorted((ROOT / "cases").glob("**/*.yaml"))


@pytest.fixture(scope="module")
def flagship() -> RuleSet:
    return api.load_ruleset(FLAGSHIP)


def _status_changes(ruleset: RuleSet, facts: Mapping[str, Value], question: Question) -> int:
    """By brute force: how many issues some answer to ``question`` changes (decides an undetermined one, or
    raises or opens one that a ``known()`` test keeps from arising while the question is unanswered)."""
    program = _program(ruleset)
    before = program.values(facts)
    changed: set[str] = set()
    for answer in analysis.domain(question, ruleset):
        # exact: only the conclusions and issues that read this question can change
        after = program.values_changing({**facts, question.id: answer}, before, question.id)
        changed.update(i.id for i in ruleset.issues if before[i.id] is not True and after[i.id] != before[i.id])
    return len(changed)


def _program(ruleset: RuleSet) -> kleene.Program:
    """The rule set's Kleene program, compiled once by its owner (the default workspace's prepared rule set)."""
    return workspace_.prepared(ruleset).program


def _candidates(ruleset: RuleSet, facts: Mapping[str, Value], skipped: Iterable[str]) -> list[Question]:
    program = _program(ruleset)
    ruled_out = program.not_applicable(facts, program.values(facts))
    return [q for q in ruleset.questions if q.id not in facts and q.id not in set(skipped)
            and q.id not in ruled_out and q.type != "text"]


def _check_choice(ruleset: RuleSet, facts: Mapping[str, Value], skipped: frozenset[str],
                  question: Question | None) -> None:
    """The chosen question is askable, can matter, and matters most; None only when nothing can matter."""
    counts = {q.id: _status_changes(ruleset, facts, q) for q in _candidates(ruleset, facts, skipped)}
    if question is None:
        assert not any(counts.values())
        return
    assert question.id in counts, "answered, skipped, text or not applicable"
    assert counts[question.id] > 0
    assert counts[question.id] == max(counts.values())


def _case(path: Path) -> tuple[Case, RuleSet]:
    return api.load_case(path)


def _typed(value: Value) -> str:
    """How a user would type a known answer."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, tuple):
        return ", ".join(value) if value else "none"
    return str(value)


class Script:
    """A scripted user: answers from a list, or answers each question from a case's facts."""

    def __init__(self, answers: Iterable[str] = (), facts: Mapping[str, Value] | None = None,
                 ruleset: RuleSet | None = None) -> None:
        self.answers = iter(answers)
        self.facts = facts
        self.by_prompt = {q.prompt: q for q in ruleset.questions} if ruleset else {}
        self.said: list[str] = []
        self.saves: list[str] = []
        self.asks: list[str] = []

    def ask(self, hint: str) -> str:
        self.asks.append(hint)
        if self.facts is None:
            answer = next(self.answers, None)
            if answer is None:
                raise EOFError
            return answer
        header = next(line for line in reversed(self.said) if line.startswith("["))
        prompt = header.split("] ", 1)[1]
        question = next(q for p, q in self.by_prompt.items() if prompt.startswith(p))
        value = self.facts.get(question.id)
        return "unknown" if value is None else _typed(value)

    def run(self, ruleset: RuleSet, **options: object) -> InterviewResult:
        return run(ruleset, ask=self.ask, say=self.said.append, save=self.saves.append,
                   **options)  # type: ignore[arg-type]


def _load(ruleset: RuleSet, text: str) -> Case:
    return case_from_mapping(load_text(text, "saved.yaml").root, ruleset, "saved.yaml")


# --- next_question ------------------------------------------------------------------------------

def test_next_question_from_empty_flagship_is_the_most_decisive(flagship: RuleSet) -> None:
    """From an empty case the flagship's first question decides the most issues, by brute force."""
    question = next_question(flagship, {}, frozenset())
    assert question is not None
    _check_choice(flagship, {}, frozenset(), question)


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_next_question_along_each_bundled_case(path: Path) -> None:
    """Answering a bundled case question by question, each choice can matter and matters most."""
    case, ruleset = _case(path)
    facts: dict[str, Value] = {}
    skipped: set[str] = set()
    for _ in range(len(ruleset.questions) + 1):
        question = next_question(ruleset, facts, frozenset(skipped))
        _check_choice(ruleset, facts, frozenset(skipped), question)
        if question is None:
            break
        if question.id in case.facts:
            facts[question.id] = case.facts[question.id]
        else:
            skipped.add(question.id)
    else:
        pytest.fail("the interview did not end")


def test_next_question_half_filled_with_skips(flagship: RuleSet) -> None:
    """With half the facts known and some questions skipped, skipped questions are never chosen."""
    case, _ = _case(ROOT / "cases" / "citizen-federal-no-consent.yaml")
    items = list(case.facts.items())
    facts = dict(items[: len(items) // 2])
    first = next_question(flagship, facts, frozenset())
    assert first is not None
    skipped = frozenset({first.id})
    second = next_question(flagship, facts, skipped)
    assert second is not None and second.id != first.id
    _check_choice(flagship, facts, skipped, second)


def test_next_question_never_not_applicable(mini: RuleSet) -> None:
    """A question whose ask_if is false (months_left when held by ICE) is never asked."""
    facts: dict[str, Value] = {"custodian": "ice", "notice_date": "2025-06-01"}
    seen = []
    while (question := next_question(mini, facts, frozenset())) is not None:
        seen.append(question.id)
        facts[question.id] = analysis.domain(question, mini)[0]
    assert "months_left" not in seen
    assert "name" not in seen


def test_next_question_none_when_nothing_applicable_can_matter(mini: RuleSet) -> None:
    """No question is asked when only a not-applicable question could decide what is still open."""
    facts: dict[str, Value] = {"citizen": True, "custodian": "ice", "notice_date": "2025-06-01"}
    program = kleene.build(mini)
    values = program.values(facts)
    assert values["long_sentence"] is None
    assert "months_left" in program.not_applicable(facts, values)
    assert next_question(mini, facts, frozenset()) is None
    assert next_question(mini, {**facts, "notice_date": "2025-01-01"}, frozenset({"citizen"})) is None


def test_next_question_skips_questions_that_no_longer_matter(mini: RuleSet) -> None:
    """With citizen false and custody by ICE, the citizen and custodian questions are not asked again; the
    notice date comes first because it now also decides whether the long-sentence issue can arise (its
    ``known(notice_date)`` test), so it changes more findings than the conditions question."""
    facts: dict[str, Value] = {"citizen": False, "custodian": "ice"}
    asked: list[str] = []
    while (question := next_question(mini, facts, frozenset(asked))) is not None:
        assert _status_changes(mini, facts, question) > 0
        asked.append(question.id)
    assert asked == ["notice_date", "conditions"]


# --- parse_answer -------------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "expected"), [
    ("y", True), ("YES", True), (" true ", True), ("n", False), ("No", False), ("false", False),
    ("", None), ("unknown", None), ("Skip", None),
])
def test_parse_boolean(mini: RuleSet, raw: str, expected: bool | None) -> None:
    """Booleans take y/yes/true and n/no/false; empty, unknown and skip mean unknown."""
    assert parse_answer(mini.question_by_id["citizen"], raw) is expected


@pytest.mark.parametrize(("raw", "expected"), [
    ("federal", "federal"), ("ICE", "ice"), ("2", "state"), ("imm", "ice"), ("state prison", "state"),
])
def test_parse_choice(mini: RuleSet, raw: str, expected: str) -> None:
    """A choice takes its id, its 1-based number, or a unique start of its label."""
    assert parse_answer(mini.question_by_id["custodian"], raw) == expected


@pytest.mark.parametrize(("raw", "fragment"), [
    ("4", "no choice 4"), ("0", "no choice 0"), ("county", "not a choice"), ("federl", "did you mean 'federal'"),
    ("²", "not a choice"), ("9" * 5000, "no choice 999999999…"),  # found by fuzzing: int() refused both
])
def test_parse_choice_errors(mini: RuleSet, raw: str, fragment: str) -> None:
    """A wrong choice says why and what the question accepts."""
    with pytest.raises(AnswerError, match=fragment) as info:
        parse_answer(mini.question_by_id["custodian"], raw)
    assert "from 1 to 3" in str(info.value)


def test_parse_choice_ambiguous_prefix() -> None:
    """A label prefix shared by two choices is refused, naming both."""
    question = Question(id="place", prompt="Where?", type="choice", pos=Position("t"),
                        choices=(("sp", "State prison"), ("sf", "State farm"), ("jail", "Jail")))
    with pytest.raises(AnswerError, match="State prison; State farm"):
        parse_answer(question, "state")
    assert parse_answer(question, "state f") == "sf"


@pytest.mark.parametrize(("raw", "expected"), [
    ("none", ()), ("NONE", ()), ("no_visits", ("no_visits",)), ("2, 1", ("crowding", "no_visits")),
    ("crowding,2,", ("crowding", "no_visits")), ("1,1", ("crowding",)), ("over", ("crowding",)),
])
def test_parse_multi(mini: RuleSet, raw: str, expected: tuple[str, ...]) -> None:
    """A multi takes comma-separated ids, numbers or label starts (in choice order), or none."""
    assert parse_answer(mini.question_by_id["conditions"], raw) == expected


def test_parse_multi_error(mini: RuleSet) -> None:
    """One bad item in a multi answer rejects the whole answer."""
    with pytest.raises(AnswerError, match="'3'|no choice 3"):
        parse_answer(mini.question_by_id["conditions"], "1, 3")


@pytest.mark.parametrize(("raw", "expected"), [
    ("12", 12), ("0", 0), ("1200", 1200), ("6.5", 6.5), ("7.0", 7), ("18 months", 18),
])
def test_parse_number(mini: RuleSet, raw: str, expected: float) -> None:
    """A number is read within its bounds, with or without its unit."""
    got = parse_answer(mini.question_by_id["months_left"], raw)
    assert got == expected and type(got) is type(expected)


@pytest.mark.parametrize(("raw", "fragment"), [
    ("-1", "at least 0 months"), ("1201", "at most 1200 months"), ("twelve", "not a number"),
    ("nan", "must be finite"), ("1e400", "out of range"),
])
def test_parse_number_errors(mini: RuleSet, raw: str, fragment: str) -> None:
    """Numbers outside the bounds, or not numbers, are refused with the reason."""
    with pytest.raises(AnswerError, match=fragment):
        parse_answer(mini.question_by_id["months_left"], raw)


@pytest.mark.parametrize(("raw", "message"), [
    ("1_0", "1_0 is not a plain decimal number (write 10)"),
    ("0x10", "0x10 is not a plain decimal number (write 16)"),
    ("1:30", "1:30 is not a plain decimal number (write 90)"),
    ("1e2 months", "1e2 is not a plain decimal number (write 100)"),
    ("\uff11\uff12", "\uff11\uff12 is not a plain decimal number (write 12)"),
    ("1,5", "1,5 is not a plain decimal number (use a dot for decimals, e.g. 1.5)"),
])
def test_parse_number_reads_plain_decimal_only(mini: RuleSet, raw: str, message: str) -> None:
    """Issue 13 point 6: the interview reads numbers as a case file does; Python's int() and float() took
    ``1_0``, ``1e2`` and full-width digits."""
    with pytest.raises(AnswerError) as info:
        parse_answer(mini.question_by_id["months_left"], raw)
    assert str(info.value) == message
    assert parse_answer(mini.question_by_id["months_left"], "010") == 10


def test_parse_date(mini: RuleSet) -> None:
    """A date is YYYY-MM-DD and must exist."""
    question = mini.question_by_id["notice_date"]
    assert parse_answer(question, "2025-03-02") == "2025-03-02"
    for bad in ("2025-02-30", "3/2/2025", "2025-3-2"):
        with pytest.raises(AnswerError, match="YYYY-MM-DD"):
            parse_answer(question, bad)


def test_parse_text(mini: RuleSet) -> None:
    """Text is taken as typed, trimmed."""
    assert parse_answer(mini.question_by_id["name"], '  Ana "Q" Pérez ') == 'Ana "Q" Pérez'


def test_answer_error_is_a_value_error() -> None:
    """AnswerError is both a transferlaw error and a ValueError."""
    from transferlaw.language.errors import TransferlawError

    assert issubclass(AnswerError, ValueError) and issubclass(AnswerError, TransferlawError)


def test_parse_help(mini: RuleSet) -> None:
    """``?`` returns help with the prompt, the numbered choices and what is accepted."""
    shown = parse_answer(mini.question_by_id["custodian"], " ? ")
    assert isinstance(shown, Help)
    assert "Who holds the person?" in shown.text
    assert "2) State prison  [state]" in shown.text
    assert "from 1 to 3" in shown.text


# --- case_yaml ----------------------------------------------------------------------------------

def test_case_yaml_round_trips_every_type(mini: RuleSet) -> None:
    """Every answer type loads back through the case validator to the same facts; skips are 'unknown'."""
    facts: dict[str, Value] = {
        "notice_date": "2025-03-02", "citizen": False, "custodian": "state", "conditions": (),
        "months_left": 6.5, "name": 'Ana "Q" Pérez: #1 \\ yes\ttab',
    }
    text = case_yaml(mini, "  A  title: with # marks ", facts, dt.date(2026, 3, 1))
    case = _load(mini, text)
    assert dict(case.facts) == facts
    assert list(case.facts) == [q.id for q in mini.questions if q.id in facts]
    assert case.title == "A title: with # marks"
    assert case.as_of == dt.date(2026, 3, 1)
    skipped = case_yaml(mini, "T", {"conditions": ("crowding", "no_visits")}, skipped={"citizen"})
    assert "  citizen: unknown\n" in skipped
    assert dict(_load(mini, skipped).facts) == {"conditions": ("crowding", "no_visits")}


def test_case_yaml_is_deterministic(mini: RuleSet) -> None:
    """The same answers give the same text, whatever order they were given in."""
    one = case_yaml(mini, "T", {"citizen": True, "custodian": "ice"}, skipped=["name", "conditions"])
    two = case_yaml(mini, "T", {"custodian": "ice", "citizen": True}, skipped=("conditions", "name"))
    assert one == two
    assert case_yaml(mini, "T", {}).endswith("facts: {}\n")


def test_case_yaml_multiline_text_and_notes(mini: RuleSet) -> None:
    """Several lines of text and notes are written as literal blocks and load back unchanged."""
    facts: dict[str, Value] = {"name": "Line one\n  indented two\n\nfour"}
    text = case_yaml(mini, "T", facts, notes="First note.\nSecond: note.")
    case = _load(mini, text)
    assert dict(case.facts) == facts
    assert case.notes == "First note.\nSecond: note."


def test_case_yaml_quotes_ids_yaml_would_misread(mini: RuleSet) -> None:
    """A rule-set id YAML would read as a number is quoted, so it loads back as text."""
    import dataclasses

    text = case_yaml(dataclasses.replace(mini, id="2026.1"), "T", {})
    assert load_text(text, "x.yaml").root["ruleset"] == "2026.1"
    assert "ruleset: mini\n" in case_yaml(mini, "T", {})


def test_case_yaml_rejects_unknown_question(mini: RuleSet) -> None:
    """A fact the rule set does not ask about is an error, not silently dropped."""
    with pytest.raises(AnswerError, match="unknown question 'citizn'"):
        case_yaml(mini, "T", {"citizn": True})


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_case_yaml_round_trips_bundled_cases(path: Path, tmp_path: Path) -> None:
    """Every bundled case, written by case_yaml, loads back (api.load_case) to the same facts."""
    case, ruleset = _case(path)
    target = tmp_path / "case.yaml"
    target.write_text(case_yaml(ruleset, case.title, case.facts, case.as_of), encoding="utf-8")
    loaded, _ = api.load_case(target)
    assert dict(loaded.facts) == dict(case.facts)
    assert loaded.title == case.title and loaded.as_of == case.as_of


# --- run ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_run_reproduces_bundled_case_findings(path: Path) -> None:
    """Answering from a bundled case reaches the same findings and never asks a question that cannot matter."""
    case, ruleset = _case(path)
    user = Script(facts=case.facts, ruleset=ruleset)
    result = user.run(ruleset, title=case.title)
    assert result.finished
    final = _load(ruleset, user.saves[-1])
    assert dict(final.facts) == dict(result.facts)
    expected = {f.issue.id: f.status for f in api.evaluate_case(case, ruleset).findings}
    got = {f.issue.id: f.status for f in api.evaluate_case(final, ruleset).findings}
    assert got == expected
    facts: dict[str, Value] = {}
    skipped: set[str] = set()
    for ident in result.asked:  # replay: each question was the best one at the time
        question = ruleset.question_by_id[ident]
        if question.type != "text":
            assert next_question(ruleset, facts, frozenset(skipped)) == question
            assert _status_changes(ruleset, facts, question) > 0
        if ident in case.facts:
            facts[ident] = case.facts[ident]
        else:
            skipped.add(ident)
    assert len(user.saves) == len(result.asked)
    assert any(line.startswith(f"{sum(1 for v in got.values() if v == 'raised')} raised")
               for line in "\n".join(user.said).splitlines())


def test_run_saves_after_every_answer(mini: RuleSet) -> None:
    """Each answer is followed by a save of the whole case file including that answer."""
    user = Script(["Case A", "Ana", "yes", "2", "2025-06-01", "24"])
    result = user.run(mini)
    # the notice date is asked though no issue is open: answering it lets the long-sentence issue arise
    assert result.asked == ("name", "citizen", "custodian", "notice_date", "months_left")
    assert len(user.saves) == 6  # the title, then one per answer
    saved = [dict(_load(mini, text).facts) for text in user.saves]
    base = {"citizen": True, "custodian": "state", "name": "Ana"}
    assert saved == [{}, {"name": "Ana"}, {"citizen": True, "name": "Ana"}, base,
                     {**base, "notice_date": "2025-06-01"},
                     {**base, "notice_date": "2025-06-01", "months_left": 24}]
    assert result.finished and result.title == "Case A"
    said = "\n".join(user.said)
    assert "2 raised, 0 undetermined, 1 not raised (of 3 issues).\n  - Exile of a citizen (high)" in said


def test_run_shows_numbered_choices_and_units(mini: RuleSet) -> None:
    """A question is shown as '[n] prompt' with numbered choices; the unit is shown for numbers."""
    user = Script(["", "no", "2025-06-01", "24", "none"])
    result = user.run(mini, title="T")
    assert result.asked == ("name", "citizen", "notice_date", "months_left", "conditions")
    assert "[5] Which conditions are reported?" in user.said
    assert "    1) Overcrowding  [crowding]" in user.said
    assert "[4] How many months of the sentence remain? (months)" in user.said
    assert user.asks[1:] == ["y/n> ", "YYYY-MM-DD> ", "number from 0 to 1200 months> ",
                             "1-2, comma-separated, or none> "]


def test_run_help_and_invalid_answers_ask_again(mini: RuleSet) -> None:
    """``?`` shows help and an invalid answer says why; both ask the same question again."""
    user = Script(["", "?", "maybe", "y", "Fed", ""])
    result = user.run(mini, title="T")
    assert result.asked == ("name", "citizen", "custodian", "notice_date")
    assert result.facts == {"citizen": True, "custodian": "federal"}
    assert "Is the person a citizen?\nAnswer yes or no (y/n).\n" in "\n".join(user.said)
    assert any("'maybe' is not yes or no" in line for line in user.said)
    assert user.asks.count("y/n> ") == 3
    assert len(user.saves) == 4


@pytest.mark.parametrize("word", ["quit", "Q"])
def test_run_quit_saves_and_stops(mini: RuleSet, word: str) -> None:
    """``quit`` (or ``q``) stops early after saving what was answered."""
    user = Script(["", "no", word])
    result = user.run(mini, title="T")
    assert not result.finished
    assert result.asked == ("name", "citizen")
    assert dict(_load(mini, user.saves[-1]).facts) == {"citizen": False}
    assert "  name: unknown\n" in user.saves[-1]
    assert any(line.startswith("Stopped and saved") for line in user.said)


def test_run_end_of_input_is_quit(mini: RuleSet) -> None:
    """When ``ask`` raises EOFError (Ctrl-D), the interview saves and stops."""
    user = Script(["My title"])
    result = user.run(mini)
    assert not result.finished and result.asked == ()
    assert _load(mini, user.saves[-1]).title == "My title"


def test_run_asks_title_with_default(mini: RuleSet) -> None:
    """Without a title the first answer is the title; an empty one gets a default."""
    user = Script(["", "quit"])
    result = user.run(mini)
    assert result.title == "Untitled case"
    assert user.asks[0].startswith("Case title")


def test_run_without_text_questions(mini: RuleSet) -> None:
    """With ask_text off, the name is never asked."""
    user = Script(["yes", "ice", "2025-06-01"])
    result = user.run(mini, title="T", ask_text=False)
    assert "name" not in result.asked and result.finished


def test_resume_continues_without_asking_again(mini: RuleSet, tmp_path: Path) -> None:
    """A saved interview resumes where it stopped: answered and skipped questions are not asked again."""
    path = tmp_path / "case.yaml"
    first = Script(["Case R", "", "no", "quit"])
    first.run(mini)
    path.write_text(first.saves[-1], encoding="utf-8")
    title, facts, skipped = resume(mini, path)
    assert (title, facts, skipped) == ("Case R", {"citizen": False}, frozenset({"name"}))
    second = Script(["2025-06-01", "24", "none"])
    result = second.run(mini, facts=facts, skipped=skipped, title=title)
    assert result.finished
    assert result.asked == ("notice_date", "months_left", "conditions")
    assert second.said[1] == "[3] When was notice given?"
    whole = Script(["", "no", "2025-06-01", "24", "none"]).run(mini, title="Case R")
    assert dict(result.facts) == dict(whole.facts) and result.skipped == whole.skipped


def test_resume_keeps_unknown_and_rejects_other_rule_sets(mini: RuleSet, flagship: RuleSet,
                                                          tmp_path: Path) -> None:
    """resume reads 'unknown' answers as skipped and refuses a case for another rule set."""
    path = tmp_path / "case.yaml"
    path.write_text("ruleset: mini\ntitle: T\nfacts:\n  citizen: unknown\n  conditions: []\n  name:\n",
                    encoding="utf-8")
    assert resume(mini, path) == ("T", {"conditions": ()}, frozenset({"citizen", "name"}))
    with pytest.raises(SourceError, match="not 'foreign-prison-transfer'"):
        resume(flagship, path)


def _never(_: str) -> str:
    raise AssertionError("nothing should be asked")


def test_run_with_everything_decided_asks_nothing(mini: RuleSet) -> None:
    """When no question can matter, nothing is asked and the case is still saved once."""
    saves: list[str] = []
    said: list[str] = []
    ask: Callable[[str], str] = _never
    facts: dict[str, Value] = {"citizen": True, "custodian": "ice", "notice_date": "2025-06-01"}
    result = run(mini, ask=ask, say=said.append, save=saves.append, facts=facts, skipped={"name"}, title="T")
    assert result.finished and result.asked == () and len(saves) == 1


# --- control characters and undecodable input (issue 13, point 7) -------------------------------------------

class _Undecodable(Script):
    """A user whose terminal sends one line that is not UTF-8 before the scripted answers."""

    def __init__(self, answers: Iterable[str]) -> None:
        super().__init__(answers)
        self.sent_bad = False

    def ask(self, hint: str) -> str:
        if not self.sent_bad:
            self.sent_bad = True
            self.asks.append(hint)
            raise UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte")
        return super().ask(hint)


def test_run_refuses_control_characters_where_they_are_typed(mini: RuleSet) -> None:
    """Issue 13 point 7: a title or text answer holding a control character (an arrow key's ESC, a pasted NUL)
    or a lone surrogate (bytes that were not UTF-8) is refused with what to do, and asked again; every case
    file saved loads back."""
    user = Script(["Ana\x1b[D", "Ana", "x\x00y", "Bea \udcff", "Bea", "quit"])
    result = user.run(mini)
    assert result.title == "Ana" and result.facts == {"name": "Bea"}
    problems = [line.strip() for line in user.said if "control character" in line or "UTF-8" in line]
    assert problems == [
        "the title holds the control character U+001B; type it again without it (a paste or an arrow key can "
        "put one in)",
        "the answer holds the control character U+0000; type it again without it (a paste or an arrow key can "
        "put one in)",
        "the answer holds bytes that are not UTF-8 text; type it again (check that the terminal's encoding is "
        "UTF-8)",
    ]
    assert user.asks.count("> ") == 3 and user.asks[:2] == ["Case title (a name or short description)> "] * 2
    for text in user.saves:
        _load(mini, text)


def test_run_asks_again_after_a_line_that_is_not_utf8(mini: RuleSet) -> None:
    """Issue 13 point 7: a line the terminal could not decode is refused and asked again, not a traceback."""
    user = _Undecodable(["Case A", "quit"])
    result = user.run(mini)
    assert result.title == "Case A"
    assert "    that line was not UTF-8 text; type it again (check that the terminal's encoding is UTF-8)" in user.said


def test_a_title_given_up_front_with_a_control_character_is_refused(mini: RuleSet) -> None:
    """Issue 13 point 7: ``interview --title`` with a control character is refused before anything is written."""
    user = Script(["quit"])
    with pytest.raises(AnswerError, match="--title holds the control character U\\+0007; give it again without"):
        user.run(mini, title="Bell\x07")
    assert user.saves == []


@given(st.text(max_size=40), st.text(max_size=40))
@settings(max_examples=150, deadline=None)
def test_whatever_the_interview_accepts_loads_back(title: str, text: str) -> None:
    """Issue 13 point 7: the interview never writes a case file that transferlaw would refuse: any title and
    text answer it accepts loads back through the case loader to the same title and answer."""
    ruleset = api.load_ruleset(MINI)
    user = Script([title, text, "quit"])
    try:
        result = user.run(ruleset)
    except AnswerError:
        return
    case = _load(ruleset, user.saves[-1])
    assert case.title == result.title
    assert case.facts.get("name") == result.facts.get("name")


def test_cli_interview_uses_line_editing_and_refuses_control_characters(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 13 point 7: ``transferlaw interview`` loads readline (line editing for the prompts) where it
    exists, and a control character typed in an answer is refused and asked again."""
    import importlib.util
    import sys

    from click.testing import CliRunner

    from transferlaw.cli import cli

    monkeypatch.delitem(sys.modules, "readline", raising=False)
    target = tmp_path / "case.yaml"
    result = CliRunner().invoke(cli, ["interview", "mini", "--rules", str(MINI.parent), "-o", str(target)],
                                input="T\x1b[A\nT\nquit\n")
    assert result.exit_code == 0, result.output
    assert "the title holds the control character U+001B" in result.output
    assert _load(api.load_ruleset(MINI), target.read_text(encoding="utf-8")).title == "T"
    assert ("readline" in sys.modules) == (importlib.util.find_spec("readline") is not None)
