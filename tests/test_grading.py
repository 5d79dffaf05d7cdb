"""Tests for grading.py and the modules below it: reading answer files (answer_files.py), matching entries to
issues (matching.py), scoring, reports and class grading."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from transferlaw import api
from transferlaw.language.errors import Position
from transferlaw.language.errors import SourceError
from transferlaw.language.errors import ValidationFailed
from transferlaw.language.errors import display_path
from transferlaw.language.model import Evaluation
from transferlaw.tools import answer_files
from transferlaw.tools import grading
from transferlaw.tools import matching

from .conftest import DATA
from .conftest import ROOT

ANSWERS = DATA / "answers"
CLASS = ANSWERS / "class"
BAD = ANSWERS / "bad"


@pytest.fixture(scope="module")
def citizen() -> Evaluation:
    case, ruleset = api.load_case(ROOT / "cases" / "citizen-federal-no-consent.yaml")
    return api.evaluate_case(case, ruleset)


@pytest.fixture(scope="module")
def unknowns() -> Evaluation:
    case, ruleset = api.load_case(ROOT / "cases" / "many-unknowns.yaml")
    return api.evaluate_case(case, ruleset)


def graded(evaluation: Evaluation, name: str) -> grading.Grade:
    return grading.grade(evaluation, answer_files.read_answers(CLASS / name))


def at(path: Path, line: int, col: int) -> Position:
    return Position(display_path(path), line, col)


def inline(*entries: str) -> answer_files.Answers:
    return answer_files.Answers(student="t", source="t.txt", entries=tuple(
        answer_files.Entry(text, Position("t.txt", n, 1)) for n, text in enumerate(entries, start=1)))


def matched(grade: grading.Grade) -> dict[str, tuple[str, str]]:
    return {m.text: (m.issue.id, m.how) for m in grade.matches}


# --- reading answer files ----------------------------------------------------------------------------


def test_yaml_mapping_gives_student_name_and_located_entries() -> None:
    """A YAML mapping names the student and every entry keeps its line and column."""
    answers = answer_files.read_answers(CLASS / "ada.yaml")
    assert answers.student == "Ada Lovelace"
    assert answers.source == display_path(CLASS / "ada.yaml")
    assert len(answers.entries) == 14
    assert answers.entries[0] == ("citizen_exile_barred", at(CLASS / "ada.yaml", 4, 5))


def test_yaml_list_takes_the_student_from_the_file_stem() -> None:
    """A bare YAML list is accepted and the student defaults to the file's stem."""
    answers = answer_files.read_answers(CLASS / "cleo.yaml")
    assert answers.student == "cleo"
    assert [e.text for e in answers.entries][:2] == [
        "citizen_exile_barred",
        "A U.S. citizen or national cannot be handed to a foreign jailer outside a treaty transfer",
    ]


def test_text_file_drops_markers_comments_and_blank_lines() -> None:
    """A text file yields one entry per line, without list markers, comments or blank lines, at its column."""
    answers = answer_files.read_answers(CLASS / "ben.txt")
    assert [(e.text, e.pos.line, e.pos.col) for e in answers.entries] == [
        ("Citizens can't be exiled", 3, 3),
        ("CECOT conditions violate the 8th Amendment", 4, 3),
        ("no rehab programs for the federal sentence", 5, 4),
        ("Leahy law fundng", 6, 4),
        ("family contact lost", 8, 3),
        ("statute of limitations", 9, 3),
    ]


def test_markdown_headings_and_rules_are_ignored() -> None:
    """In Markdown, ``#`` headings and a ``---`` rule are not entries, and ``3)`` is a list marker."""
    answers = answer_files.read_answers(CLASS / "dana.md")
    assert answers.student == "dana"
    assert [e.text for e in answers.entries] == [
        "Non-Detention Act",
        "Bureau of Prisons designation power does not reach a foreign prison",
        "ex post facto",
        "Equal protection",
        "consent",
    ]


BAD_FILES = [
    ("malformed.yaml", 5, 1, "invalid YAML"),
    ("empty-list.yaml", 3, 9, "lists no issues"),
    ("wrong-shape.yaml", 2, 9, "'issues' must be a list"),
    ("not-text.yaml", 2, 3, "put it in quotes"),
    ("unknown-key.yaml", 1, 1, "did you mean 'student'?"),
    ("scalar.yaml", 2, 1, "expected a list of issues"),
    ("only-comments.txt", 1, 1, "lists no issues"),
    ("not-utf8.txt", 2, 6, "not valid UTF-8"),
]


@pytest.mark.parametrize(("name", "line", "col", "fragment"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_every_bad_answer_file_is_located(name: str, line: int, col: int, fragment: str) -> None:
    """Every bad answer file raises a located error (path:line:col) whose message says what is wrong."""
    with pytest.raises((SourceError, ValidationFailed)) as info:
        answer_files.read_answers(BAD / name)
    exc = info.value
    first = exc.diagnostics[0] if isinstance(exc, ValidationFailed) else exc.diagnostic
    assert first.pos == at(BAD / name, line, col)
    assert fragment in str(exc)
    assert str(exc).startswith(f"{display_path(BAD / name)}:{line}:{col}: ")


def test_every_bad_item_in_a_list_is_reported_at_once() -> None:
    """A YAML list with several bad items reports each of them, not only the first."""
    with pytest.raises(ValidationFailed) as info:
        answer_files.read_answers(BAD / "not-text.yaml")
    assert [(d.pos.line, d.pos.col) for d in info.value.diagnostics] == [(2, 3), (3, 3)]


def test_missing_file_and_unsupported_type_are_source_errors(tmp_path: Path) -> None:
    """A missing file and an unsupported file type are SourceErrors naming the file."""
    with pytest.raises(SourceError, match="no such file"):
        answer_files.read_answers(tmp_path / "absent.yaml")
    doc = tmp_path / "answers.docx"
    doc.write_text("citizen_exile_barred\n", encoding="utf-8")
    with pytest.raises(SourceError, match="unsupported answer file type '.docx'"):
        answer_files.read_answers(doc)


# --- matching ------------------------------------------------------------------------------------------


def test_exact_id_and_title_matches(citizen: Evaluation) -> None:
    """An issue id matches by id and a full title (any case or punctuation) matches by title, scoring 1."""
    grade = grading.grade(citizen, inline(
        "citizen_exile_barred",
        "KNOWINGLY exposing the person to a substantial risk of violence and torture, by guards!",
        "Non-Detention Act",
    ))
    assert matched(grade) == {
        "citizen_exile_barred": ("citizen_exile_barred", "id"),
        "KNOWINGLY exposing the person to a substantial risk of violence and torture, by guards!":
            ("deliberate_indifference_violence", "title"),
        "Non-Detention Act": ("non_detention_act", "id"),
    }
    assert {m.score for m in grade.matches} == {1.0}


def test_an_id_followed_by_a_comment_matches_by_id(citizen: Evaluation) -> None:
    """An entry that starts with an exact id and a separator (``id: note``) matches that id."""
    grade = grading.grade(citizen, inline("leahy_law_funding: the U.S. pays for CECOT",
                                          "habeas_before_transfer (file now)"))
    assert [(m.issue.id, m.how) for m in grade.matches] == [("leahy_law_funding", "id"),
                                                            ("habeas_before_transfer", "id")]


def test_paraphrases_and_typos_match_fuzzily_with_a_score(citizen: Evaluation) -> None:
    """Paraphrased titles and misspelt words match the intended issue, reported as fuzzy with the score."""
    grade = graded(citizen, "ben.txt")
    assert matched(grade) == {
        "Citizens can't be exiled": ("citizen_exile_barred", "fuzzy"),
        "CECOT conditions violate the 8th Amendment": ("eighth_amendment_conditions", "fuzzy"),
        "no rehab programs for the federal sentence": ("rehabilitation_goals_federal", "fuzzy"),
        "Leahy law fundng": ("leahy_law_funding", "fuzzy"),
    }
    assert all(matching.THRESHOLD <= m.score < 1.0 for m in grade.matches)


def test_an_ambiguous_entry_is_unmatched_and_names_the_candidates(citizen: Evaluation) -> None:
    """An entry that fits several issues equally well ("consent") matches none and lists them as suggestions."""
    grade = graded(citizen, "dana.md")
    (entry,) = grade.unmatched
    assert entry.text == "consent"
    assert entry.pos == at(CLASS / "dana.md", 7, 4)
    assert {i.id for i in entry.candidates} <= {"consent_not_verified", "consent_voluntariness",
                                                "consent_withdrawal", "consent_capacity"}
    assert len(entry.candidates) > 1
    assert entry.hint.startswith("did you mean ") and " or " in entry.hint


def test_a_second_entry_for_the_same_issue_is_a_duplicate(citizen: Evaluation) -> None:
    """A second entry naming an already matched issue is a duplicate pointing at the first and not counted."""
    grade = graded(citizen, "cleo.yaml")
    (dup,) = grade.duplicates
    assert (dup.issue.id, dup.how, dup.pos.line) == ("citizen_exile_barred", "title", 4)
    assert dup.first == at(CLASS / "cleo.yaml", 3, 3)
    assert [m.issue.id for m in grade.matches].count("citizen_exile_barred") == 1
    assert len(grade.hits) == 2


def test_unmatched_entry_has_its_line_and_closest_title(citizen: Evaluation) -> None:
    """An entry below the threshold is unmatched, located, with a "did you mean" of the closest title."""
    grade = graded(citizen, "ben.txt")
    family, statute = grade.unmatched
    assert family.pos == at(CLASS / "ben.txt", 8, 3)
    assert [i.id for i in family.candidates] == ["family_integrity"]
    assert family.hint == "did you mean 'Total loss of contact with family'?"
    assert matching.SUGGEST_FLOOR <= family.score <= matching.THRESHOLD  # a score is kept to two places
    assert statute.pos.line == 9


def test_an_entry_far_from_every_issue_gets_no_suggestion(citizen: Evaluation) -> None:
    """An entry unlike any issue ("the weather") is unmatched with no misleading suggestion."""
    (entry,) = graded(citizen, "cleo.yaml").unmatched
    assert entry.text == "the weather"
    assert entry.candidates == ()
    assert entry.hint == "no issue comes close"


def test_unrelated_legal_topics_do_not_match(citizen: Evaluation) -> None:
    """Legal topics the rule set does not cover stay unmatched instead of snapping to a random issue."""
    topics = ("double jeopardy", "qualified immunity", "Miranda warnings", "adverse possession", "hearsay",
              "search and seizure", "free speech", "ineffective assistance", "statute of limitations")
    grade = grading.grade(citizen, inline(*topics))
    assert grade.matches == ()
    assert len(grade.unmatched) == len(topics)


# --- scoring ---------------------------------------------------------------------------------------------


def test_hits_misses_and_false_alarms(citizen: Evaluation) -> None:
    """Matched raised issues are hits, unmatched raised ones misses, matched unraised ones false alarms."""
    grade = graded(citizen, "cleo.yaml")
    assert [m.issue.id for m in grade.hits] == ["citizen_exile_barred", "non_detention_act"]
    assert [(f.match.issue.id, f.status, f.weight) for f in grade.false_alarms] == [
        ("consent_not_verified", "not_raised", 1.0),
        ("juvenile_transfer", "not_raised", 1.0),
    ]
    assert grade.raised == 18
    assert len(grade.misses) == 16
    assert "citizen_exile_barred" not in {i.id for i in grade.misses}


def test_misses_are_ordered_by_severity(citizen: Evaluation) -> None:
    """Misses come high first, then medium, then low, each in rule-set order."""
    grade = graded(citizen, "ada.yaml")
    assert [(i.id, i.severity) for i in grade.misses] == [
        ("access_to_courts_sentenced", "medium"),
        ("leahy_law_funding", "medium"),
        ("mandela_rules_standards", "low"),
        ("rehabilitation_goals_federal", "low"),
    ]


def test_scores_on_hand_checked_examples(citizen: Evaluation) -> None:
    """Precision, recall and the weighted score agree with hand arithmetic (18 raised: 11 high, 5 medium, 2 low)."""
    ada = graded(citizen, "ada.yaml")  # 11 high + 3 medium hits, nothing else
    assert (ada.weighted_hits, ada.weighted_raised) == (11 * 3 + 3 * 2, 11 * 3 + 5 * 2 + 2 * 1)
    assert ada.precision == 100.0
    assert ada.recall == pytest.approx(100 * 14 / 18)
    assert ada.weighted_score == pytest.approx(100 * 39 / 45)
    cleo = graded(citizen, "cleo.yaml")  # 2 high hits, 2 false alarms
    assert cleo.precision == pytest.approx(100 * 2 / 4)
    assert cleo.recall == pytest.approx(100 * 2 / 18)
    assert cleo.weighted_score == pytest.approx(100 * 6 / 45)
    dana = graded(citizen, "dana.md")  # 2 high hits; ex post facto (no later law), equal protection false alarms
    assert (len(dana.hits), dana.false_alarm_weight, dana.weighted_hits) == (2, 2.0, 6)
    assert dana.precision == pytest.approx(50.0)
    assert dana.recall == pytest.approx(100 * 2 / 18)


def test_undetermined_false_alarm_counts_half(unknowns: Evaluation) -> None:
    """An undetermined issue named by the student is a "possible": half a false alarm, no hit credit."""
    grade = grading.grade(unknowns, answer_files.read_answers(ANSWERS / "unknowns.yaml"))
    assert [m.issue.id for m in grade.hits] == ["executive_added_punishment"]
    assert [(f.match.issue.id, f.status, f.weight) for f in grade.false_alarms] == [
        ("citizen_exile_barred", "undetermined", 0.5),
        ("consent_not_verified", "undetermined", 0.5),
        ("pretrial_punishment", "not_raised", 1.0),
    ]
    assert grade.false_alarm_weight == 2.0
    assert grade.possibles == 2
    assert grade.precision == pytest.approx(100 * 1 / (1 + 0.5 + 0.5 + 1))
    assert (grade.recall, grade.weighted_score) == (100.0, 100.0)


def test_scores_are_none_when_their_denominator_is_zero(citizen: Evaluation) -> None:
    """With nothing matched, precision is None (not 0 or 100); recall and the weighted score are 0."""
    grade = grading.grade(citizen, inline("the weather"))
    assert (grade.precision, grade.recall, grade.weighted_score) == (None, 0.0, 0.0)
    assert "precision n/a" in grading.format_text(grade)


# --- reports ---------------------------------------------------------------------------------------------


def test_text_report_has_summary_and_every_section(citizen: Evaluation) -> None:
    """The text report opens with the scores, then lists matches, hits, misses by severity, false alarms, unmatched."""
    text = grading.format_text(graded(citizen, "ben.txt"))
    lines = text.splitlines()
    assert lines[1] == "precision 100.0%  recall 22.2%  weighted score 20.0%"  # 4/18; (3+3+2+1)/45
    for heading in ("Matched (4)", "Hits (4)", "Misses (14)", "  high (9)", "  medium (4)", "  low (1)",
                    "False alarms (0)", "Unmatched (2)"):
        assert heading in lines
    assert ("  line 3: Citizens can't be exiled -> A U.S. citizen or national cannot be handed to "
            "a foreign jailer outside a treaty transfer [fuzzy 0.80]") in lines
    assert any(line.startswith(f"  {display_path(CLASS / 'ben.txt')}:8:3: 'family contact lost' (did you mean")
               for line in lines)


def test_text_report_marks_undetermined_false_alarms(unknowns: Evaluation) -> None:
    """A false alarm the engine left undetermined is labelled as a possible that counts half."""
    text = grading.format_text(grading.grade(unknowns, answer_files.read_answers(ANSWERS / "unknowns.yaml")))
    assert "(engine: undetermined - a possible, counts half)" in text
    assert "pretrial_punishment: A pretrial detainee" in text and "(engine: not raised)" in text


def test_json_has_the_documented_keys_in_order(citizen: Evaluation) -> None:
    """as_json returns JSON-ready data whose keys, and summary keys, come in the documented order."""
    data = grading.as_json(graded(citizen, "cleo.yaml"))
    assert list(data) == ["student", "answers", "case", "ruleset", "summary", "matches", "duplicates", "hits",
                          "misses", "false_alarms", "unmatched"]
    assert list(data["summary"]) == ["raised", "hits", "misses", "false_alarms", "possibles", "precision",
                                     "recall", "weighted_score", "weighted_hits", "weighted_raised", "matched",
                                     "duplicates", "unmatched"]
    assert data["summary"]["precision"] == 50.0 and data["summary"]["recall"] == 11.1
    assert data["duplicates"] == [{"entry": "A U.S. citizen or national cannot be handed to a foreign jailer "
                                   "outside a treaty transfer", "line": 4, "col": 3,
                                   "issue": "citizen_exile_barred", "first_line": 3}]
    assert data["false_alarms"][0]["status"] == "not_raised"
    assert json.loads(json.dumps(data)) == data


# --- class grading -----------------------------------------------------------------------------------


def test_class_grading_reports_a_bad_file_and_grades_the_rest(citizen: Evaluation) -> None:
    """Every readable file in the folder is graded, by file name, and the broken one becomes a diagnostic."""
    grades, diagnostics = grading.grade_class(citizen, CLASS)
    assert [g.student for g in grades] == ["Ada Lovelace", "ben", "cleo", "dana"]
    assert [(d.pos, d.severity) for d in diagnostics] == [(at(CLASS / "zed.yaml", 5, 1), "error")]
    assert "invalid YAML" in diagnostics[0].message


def test_class_grading_warns_when_two_files_name_one_student(citizen: Evaluation, tmp_path: Path) -> None:
    """Two files for the same student are both graded, with a warning on the second."""
    (tmp_path / "a.yaml").write_text("student: Sam\nissues: [citizen_exile_barred]\n", encoding="utf-8")
    (tmp_path / "b.yaml").write_text("student: Sam\nissues: [non_detention_act]\n", encoding="utf-8")
    (tmp_path / "notes.pdf").write_bytes(b"%PDF")
    grades, diagnostics = grading.grade_class(citizen, tmp_path)
    assert len(grades) == 2
    assert [d.severity for d in diagnostics] == ["warning"]
    assert "also answered in" in diagnostics[0].message


def test_class_grading_needs_a_folder_with_answer_files(citizen: Evaluation, tmp_path: Path) -> None:
    """A missing folder, or one without answer files, is a SourceError rather than an empty result."""
    with pytest.raises(SourceError, match="no such folder"):
        grading.grade_class(citizen, tmp_path / "absent")
    with pytest.raises(SourceError, match="no answer files"):
        grading.grade_class(citizen, tmp_path)


def test_class_csv_has_a_header_and_one_row_per_student(citizen: Evaluation) -> None:
    """The CSV has the documented header and one rounded row per student, in file-name order."""
    grades, _ = grading.grade_class(citizen, CLASS)
    assert grading.class_csv(grades) == (
        "student,file,hits,misses,false_alarms,precision,recall,weighted_score\n"
        "Ada Lovelace,ada.yaml,14,4,0.0,100.0,77.8,86.7\n"  # 14/18; 39/45
        "ben,ben.txt,4,14,0.0,100.0,22.2,20.0\n"  # 4/18; 9/45
        "cleo,cleo.yaml,2,16,2.0,50.0,11.1,13.3\n"  # 2/4; 2/18; 6/45
        "dana,dana.md,2,16,2.0,50.0,11.1,13.3\n"  # 2/4; 2/18; 6/45 (ex post facto is a false alarm: no later law)
    )


def test_class_csv_is_deterministic(citizen: Evaluation) -> None:
    """Grading the same folder twice gives byte-identical CSV; a None score is an empty cell."""
    first = grading.class_csv(grading.grade_class(citizen, CLASS)[0])
    assert grading.class_csv(grading.grade_class(citizen, CLASS)[0]) == first
    none = grading.grade(citizen, inline("the weather"))
    assert grading.class_csv([none]).splitlines()[1] == "t,t.txt,0,18,0.0,,0.0,0.0"


def test_a_yes_or_a_number_in_a_yaml_list_asks_for_quotes(tmp_path: Path) -> None:
    """A YAML item that is not text (``yes``, a number) is located with a hint to quote it."""
    path = tmp_path / "answers.yaml"
    path.write_text("- citizen_exile_barred\n- yes\n-\n", encoding="utf-8")
    with pytest.raises(ValidationFailed) as info:
        answer_files.read_answers(path)
    assert [(d.pos.line, d.message, d.hint) for d in info.value.diagnostics] == [
        (2, "an issue must be a line of text", "put it in quotes"),
        (3, "an empty issue", "write the issue's id or title"),
    ]


def test_issue13_class_csv_never_starts_a_formula(citizen: Evaluation, tmp_path: Path) -> None:
    """Issue 13.5: `grade --class -o grades.csv` wrote student names and file names as they were, so a student
    named =HYPERLINK(...) (or a file named +cmd.txt) became a live formula in a spreadsheet program. Every cell
    that would start a formula is written as text, through the one CSV helper."""
    folder = tmp_path / "class"
    folder.mkdir()
    student = "student: '=HYPERLINK(\"http://evil.example\",\"Ada\")'\n"
    (folder / "a.yaml").write_text(student + "issues: [citizen_exile_barred]\n", encoding="utf-8")
    (folder / "+cmd.txt").write_text("citizen_exile_barred\n", encoding="utf-8")
    (folder / "@b.md").write_text("- citizen_exile_barred\n", encoding="utf-8")
    grades, _ = grading.grade_class(citizen, folder)
    rows = list(csv.reader(io.StringIO(grading.class_csv(grades), newline="")))
    assert [row[:2] for row in rows[1:]] == [["'+cmd", "'+cmd.txt"], ["'@b", "'@b.md"],
                                             ["'=HYPERLINK(\"http://evil.example\",\"Ada\")", "a.yaml"]]
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
