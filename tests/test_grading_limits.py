"""Tests for the input caps on answer files (issue 13, point 8): long lines, control characters, too many
entries, and matching work that stays linear in the length of an entry."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from transferlaw import api
from transferlaw.cli import cli
from transferlaw.language.errors import ValidationFailed
from transferlaw.language.errors import display_path
from transferlaw.language.limits import MAX_ANSWERS
from transferlaw.language.limits import MAX_TEXT_LENGTH
from transferlaw.language.model import Evaluation
from transferlaw.tools import answer_files
from transferlaw.tools import grading
from transferlaw.tools import matching

from .conftest import DATA
from .conftest import ROOT

BAD = DATA / "answers" / "bad"
CASE = ROOT / "cases" / "citizen-federal-no-consent.yaml"

BAD_FILES = [
    ("long-line.txt", 3, 1, f"this line is 20,001 characters long; the limit is {MAX_TEXT_LENGTH:,}"),
    ("control-character.txt", 3, 9, "the line holds the control character U+001B"),
    ("too-many.txt", MAX_ANSWERS + 2, 1, f"the answer file lists more than {MAX_ANSWERS:,} issues"),
]


@pytest.fixture(scope="module")
def citizen() -> Evaluation:
    case, ruleset = api.load_case(CASE)
    return api.evaluate_case(case, ruleset)


@pytest.mark.parametrize(("name", "line", "col", "message"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_text_answer_file_over_a_cap_is_a_located_error(name: str, line: int, col: int, message: str) -> None:
    """Each cap on a text answer file is one located error, with the file's position and what to do."""
    with pytest.raises(ValidationFailed) as info:
        answer_files.read_answers(BAD / name)
    [diagnostic] = info.value.diagnostics
    assert diagnostic.format().startswith(f"{display_path(BAD / name)}:{line}:{col}: {message}")
    assert diagnostic.hint


def test_every_capped_line_is_reported_at_once(tmp_path: Path) -> None:
    """Two long lines and a control character are three errors, in file order."""
    path = tmp_path / "answers.txt"
    path.write_text("x" * 20_001 + "\nnon_detention_act\n" + "y" * 30_000 + "\nbell\x07\n", encoding="utf-8")
    with pytest.raises(ValidationFailed) as info:
        answer_files.read_answers(path)
    assert [(d.pos.line, d.pos.col) for d in info.value.diagnostics] == [(1, 1), (3, 1), (4, 5)]
    assert "30,000 characters long" in info.value.diagnostics[1].message


def test_a_line_at_the_cap_is_accepted(tmp_path: Path) -> None:
    """A line of exactly the text cap is an entry, not an error."""
    path = tmp_path / "answers.txt"
    path.write_text("a" * MAX_TEXT_LENGTH + "\n", encoding="utf-8")
    assert len(answer_files.read_answers(path).entries[0].text) == MAX_TEXT_LENGTH


def test_yaml_answer_list_over_the_entry_cap_is_located(tmp_path: Path) -> None:
    """The entry cap applies to YAML lists too, at the first entry past it."""
    path = tmp_path / "answers.yaml"
    path.write_text("".join(f"- issue {n}\n" for n in range(MAX_ANSWERS + 5)), encoding="utf-8")
    with pytest.raises(ValidationFailed) as info:
        answer_files.read_answers(path)
    [diagnostic] = info.value.diagnostics
    assert (diagnostic.pos.line, diagnostic.pos.col) == (MAX_ANSWERS + 1, 3)
    assert f"lists more than {MAX_ANSWERS:,} issues" in diagnostic.message


def test_grade_refuses_a_one_line_5_mb_answer_file_quickly(tmp_path: Path) -> None:
    """The reported case: a one-line 5 MB answer file is refused at once, one located line, exit 1."""
    path = tmp_path / "answers.txt"
    path.write_text("consent transfer " * (5_000_000 // 17), encoding="utf-8")
    started = time.perf_counter()
    result = CliRunner().invoke(cli, ["grade", str(CASE), str(path)])
    elapsed = time.perf_counter() - started
    assert result.exit_code == 1, result.output
    assert result.stderr.strip() == (f"{display_path(path)}:1:1: this line is 4,999,989 characters long; the "
                                     f"limit is 20,000 (write one issue per line)")
    assert "Traceback" not in result.output
    assert elapsed < 30  # minutes before the cap; well under a second after it


def test_grade_class_reports_the_long_file_and_grades_the_rest(tmp_path: Path) -> None:
    """With --class, the over-long file is a located error and the others are still graded."""
    (tmp_path / "ada.txt").write_text("citizen_exile_barred\n", encoding="utf-8")
    (tmp_path / "huge.txt").write_text("exile " * 800_000, encoding="utf-8")
    result = CliRunner().invoke(cli, ["grade", str(CASE), "--class", str(tmp_path)])
    assert result.exit_code == 1
    assert result.stdout.splitlines()[1].startswith("ada,ada.txt,")
    assert result.stderr.strip() == (f"{display_path(tmp_path / 'huge.txt')}:1:1: this line is 4,800,000 "
                                     "characters long; the limit is 20,000 (write one issue per line)")


def _words(count: int) -> str:
    """``count`` different made-up words, none of them a stop word or an issue's word."""
    letters = "bcdfghjklmnpqrstvwz"
    return " ".join("".join(letters[(n // 19 ** k) % 19] for k in range(5)) + "o" for n in range(count))


def test_matching_compares_each_new_word_with_the_vocabulary_once(citizen: Evaluation) -> None:
    """Matching an entry compares each of its distinct words with the issues' words once, not once per issue
    and per repetition: grading the same long entry twice, or a second entry of the same words, costs no
    further word comparisons."""
    entry = _words(2_000)
    assert len(entry) <= MAX_TEXT_LENGTH
    index = matching._Index(citizen.ruleset)
    index.match(entry)
    first = index.vocabulary.compared
    vocabulary = len({w for t in index.targets for w in t.words})
    assert first <= 2 * vocabulary * 2_000 // 10
    index.match(entry + " again")
    assert index.vocabulary.compared - first <= 2 * vocabulary


def test_matching_results_are_unchanged_for_the_class(citizen: Evaluation) -> None:
    """The faster matcher gives the same matches and scores as before on the sample class."""
    grades, _ = grading.grade_class(citizen, DATA / "answers" / "class")
    summary = [(g.student, [(m.issue.id, m.how, m.score) for m in g.matches],
                [(u.text, u.score, [i.id for i in u.candidates]) for u in g.unmatched]) for g in grades]
    assert summary == EXPECTED_CLASS


EXPECTED_CLASS: list[object] = [
    ("Ada Lovelace", [(i, "title" if i == "deliberate_indifference_violence" else "id", 1.0) for i in (
        "citizen_exile_barred", "eighth_amendment_conditions", "deliberate_indifference_violence",
        "non_detention_act", "bop_designation_limits", "executive_added_punishment", "habeas_before_transfer",
        "fifth_amendment_prison_transfer", "inadequate_notice", "cat_non_refoulement",
        "treaty_transfer_unavailable", "executive_agreement_basis", "political_question_deference",
        "family_integrity")], []),
    ("ben", [("citizen_exile_barred", "fuzzy", 0.8), ("eighth_amendment_conditions", "fuzzy", 0.82),
             ("rehabilitation_goals_federal", "fuzzy", 0.85), ("leahy_law_funding", "fuzzy", 0.97)],
     # "statute of limitations" is nearest the Compact Clause issue's title ("State's ... agreement"): a
     # suggestion only, below the matching threshold
     [("family contact lost", 0.6, ["family_integrity"]),
      ("statute of limitations", 0.52, ["state_compact_clause"])]),
    ("cleo", [("citizen_exile_barred", "id", 1.0), ("consent_not_verified", "id", 1.0),
              ("juvenile_transfer", "id", 1.0), ("non_detention_act", "id", 1.0)], [("the weather", 0.0, [])]),
    ("dana", [("non_detention_act", "id", 1.0), ("bop_designation_limits", "fuzzy", 0.91),
              ("ex_post_facto_transfer", "fuzzy", 0.96), ("equal_protection_nationality", "fuzzy", 0.9)],
     [("consent", 0.83, ["consent_not_verified", "consent_voluntariness", "consent_withdrawal"])]),
]
