"""Tests for errors.py: positions, diagnostics, the exception tree, pickling and "did you mean" hints."""

from __future__ import annotations

import pickle

import pytest

from transferlaw.language.errors import Collector
from transferlaw.language.errors import CompileError
from transferlaw.language.errors import Diagnostic
from transferlaw.language.errors import EngineError
from transferlaw.language.errors import OutputError
from transferlaw.language.errors import Position
from transferlaw.language.errors import SourceError
from transferlaw.language.errors import TransferlawError
from transferlaw.language.errors import ValidationFailed
from transferlaw.language.errors import suggest

# --- Position --------------------------------------------------------------------------------------


def test_position_formats_as_path_line_col() -> None:
    """A position prints GNU-style as ``path:line:col``."""
    assert str(Position("rules/x/ruleset.yaml", 14, 9)) == "rules/x/ruleset.yaml:14:9"


def test_position_without_line_is_just_the_path() -> None:
    """A position with no line (a whole-file problem) prints as the bare path."""
    assert str(Position("rules/x")) == "rules/x"
    assert str(Position("rules/x", 0, 5)) == "rules/x"


def test_position_without_column_prints_column_one() -> None:
    """A position with a line but no column prints column 1, so editors can still jump to it."""
    assert str(Position("a.yaml", 3, 0)) == "a.yaml:3:1"


def test_positions_order_by_path_then_line_then_column() -> None:
    """Positions sort by path, then line, then column (numerically, not as text)."""
    unsorted = [Position("b.yaml", 1, 1), Position("a.yaml", 10, 1), Position("a.yaml", 9, 20),
                Position("a.yaml", 9, 3)]
    assert sorted(unsorted) == [Position("a.yaml", 9, 3), Position("a.yaml", 9, 20),
                                Position("a.yaml", 10, 1), Position("b.yaml", 1, 1)]


def test_position_shifted_moves_down_and_right() -> None:
    """``shifted`` moves a position down by lines and right by columns, or to an absolute column."""
    pos = Position("a.yaml", 2, 3)
    assert pos.shifted(lines=1, cols=2) == Position("a.yaml", 3, 5)
    assert pos.shifted(col=9) == Position("a.yaml", 2, 9)
    assert pos == Position("a.yaml", 2, 3)


# --- Diagnostic ------------------------------------------------------------------------------------


def test_diagnostic_format_with_hint() -> None:
    """A diagnostic formats as ``path:line:col: message (hint)``."""
    diag = Diagnostic(Position("rules/uk/sdlt.yaml", 14, 9), "unknown fact 'buyer_residnce'",
                      "did you mean 'buyer_residence'?")
    assert diag.format() == ("rules/uk/sdlt.yaml:14:9: unknown fact 'buyer_residnce' "
                             "(did you mean 'buyer_residence'?)")


def test_diagnostic_format_without_hint() -> None:
    """A diagnostic without a hint has no trailing parentheses."""
    assert Diagnostic(Position("a.yaml", 1, 2), "bad").format() == "a.yaml:1:2: bad"


def test_diagnostic_format_names_a_warning() -> None:
    """A warning says so between the position and the message."""
    diag = Diagnostic(Position("a.yaml", 4, 1), "unused question", severity="warning")
    assert diag.format() == "a.yaml:4:1: warning: unused question"


def test_diagnostic_excerpt_puts_a_caret_under_the_column() -> None:
    """With ``excerpt``, the source line follows and a caret points at the column."""
    diag = Diagnostic(Position("a.yaml", 3, 5), "bad", source_line="abc defg\n")
    assert diag.format(excerpt=True) == "a.yaml:3:5: bad\n    abc defg\n        ^"


def test_diagnostic_excerpt_is_skipped_without_a_source_line() -> None:
    """Without a source line, ``excerpt`` changes nothing."""
    diag = Diagnostic(Position("a.yaml", 3, 5), "bad")
    assert diag.format(excerpt=True) == diag.format()


def test_diagnostic_equality_ignores_the_source_line() -> None:
    """Two diagnostics at the same place with the same text are equal whatever source line they carry."""
    assert Diagnostic(Position("a", 1, 1), "m", source_line="x") == Diagnostic(Position("a", 1, 1), "m")


# --- the exception tree ----------------------------------------------------------------------------


@pytest.mark.parametrize("cls", [SourceError, ValidationFailed, CompileError, EngineError, OutputError])
def test_every_error_is_a_transferlaw_error(cls: type[Exception]) -> None:
    """Every error class derives from TransferlawError, so callers can catch them all at once."""
    assert issubclass(cls, TransferlawError)


def test_source_error_str_is_the_formatted_diagnostic() -> None:
    """A SourceError reads as its diagnostic and exposes its position."""
    diag = Diagnostic(Position("c.yaml", 4, 3), "unknown question 'citizn'", "did you mean 'citizen'?")
    err = SourceError(diag)
    assert str(err) == "c.yaml:4:3: unknown question 'citizn' (did you mean 'citizen'?)"
    assert err.report() == str(err)
    assert err.pos == Position("c.yaml", 4, 3)
    assert err.exit_code == 1


def test_validation_failed_sorts_diagnostics_into_file_order() -> None:
    """ValidationFailed lists its diagnostics by path, line and column, whatever order they came in."""
    late = Diagnostic(Position("a.yaml", 12, 1), "late")
    early = Diagnostic(Position("a.yaml", 2, 7), "early")
    earlier = Diagnostic(Position("a.yaml", 2, 3), "earlier")
    other = Diagnostic(Position("b.yaml", 1, 1), "other file")
    err = ValidationFailed([other, late, early, earlier])
    assert err.diagnostics == (earlier, early, late, other)


def test_validation_failed_orders_same_position_by_message() -> None:
    """Two problems at the same position are listed in message order, so output is deterministic."""
    first = Diagnostic(Position("a.yaml", 1, 1), "b problem")
    second = Diagnostic(Position("a.yaml", 1, 1), "a problem")
    assert ValidationFailed([first, second]).diagnostics == (second, first)


def test_validation_failed_str_has_one_line_per_diagnostic() -> None:
    """ValidationFailed reads as one formatted diagnostic per line, in file order."""
    err = ValidationFailed([
        Diagnostic(Position("a.yaml", 9, 1), "second", "fix it"),
        Diagnostic(Position("a.yaml", 3, 4), "first"),
    ])
    assert str(err) == "a.yaml:3:4: first\na.yaml:9:1: second (fix it)"


def test_source_error_survives_pickling() -> None:
    """A SourceError pickles and unpickles with its diagnostic intact (for multiprocessing)."""
    diag = Diagnostic(Position("a.yaml", 3, 4), "cannot use {{ this }} or {0}", "hint {x}")
    err = pickle.loads(pickle.dumps(SourceError(diag)))
    assert isinstance(err, SourceError)
    assert err.diagnostic == diag
    assert str(err) == "a.yaml:3:4: cannot use {{ this }} or {0} (hint {x})"


def test_validation_failed_survives_pickling() -> None:
    """A ValidationFailed pickles and unpickles with every diagnostic, in order."""
    diags = [Diagnostic(Position("a.yaml", 5, 1), "b"), Diagnostic(Position("a.yaml", 1, 1), "a", "h")]
    original = ValidationFailed(diags)
    err = pickle.loads(pickle.dumps(original))
    assert isinstance(err, ValidationFailed)
    assert err.diagnostics == original.diagnostics
    assert str(err) == str(original)


def test_compile_error_survives_pickling_with_braces_in_its_message() -> None:
    """A CompileError whose message contains braces pickles and unpickles with its diagnostic intact."""
    diag = Diagnostic(Position("rules/x", 0, 0), "cannot compile 'x == \"{0}\"'")
    err = pickle.loads(pickle.dumps(CompileError(diag)))
    assert err.diagnostic == diag


# --- Collector -------------------------------------------------------------------------------------


def test_collector_raises_every_error_at_once() -> None:
    """A collector raises one ValidationFailed holding every error, in file order."""
    out = Collector()
    out.error(Position("a.yaml", 5, 1), "two")
    out.error(Position("a.yaml", 2, 1), "one", "hint")
    with pytest.raises(ValidationFailed) as info:
        out.raise_if_errors()
    assert [d.message for d in info.value.diagnostics] == ["one", "two"]


def test_collector_with_only_warnings_does_not_raise() -> None:
    """Warnings alone never make a collector raise."""
    out = Collector()
    out.warning(Position("a.yaml", 1, 1), "just a warning")
    assert not out.has_errors
    out.raise_if_errors()


def test_collector_leaves_warnings_out_of_the_failure() -> None:
    """When a collector raises, it reports errors only, not warnings."""
    out = Collector()
    out.warning(Position("a.yaml", 1, 1), "a warning")
    out.error(Position("a.yaml", 2, 1), "an error")
    with pytest.raises(ValidationFailed) as info:
        out.raise_if_errors()
    assert [d.message for d in info.value.diagnostics] == ["an error"]


# --- suggest ---------------------------------------------------------------------------------------


def test_suggest_offers_the_close_match() -> None:
    """A misspelt name gets a "did you mean" hint naming the close candidate."""
    assert suggest("citizn", ["citizen", "custodian", "conditions"]) == "did you mean 'citizen'?"


def test_suggest_offers_only_the_best_match() -> None:
    """Among several close candidates, only the closest one is offered."""
    assert suggest("custodain", ["custody", "custodians", "custodian", "citizen"]) == "did you mean 'custodian'?"


def test_suggest_returns_none_without_a_close_match() -> None:
    """A name unlike every candidate gets no hint at all."""
    assert suggest("zzzz", ["citizen", "custodian"]) is None
    assert suggest("anything", []) is None


def test_suggest_ignores_duplicate_candidates() -> None:
    """A candidate listed twice is offered once."""
    assert suggest("hihg", ["high", "high", "low"]) == "did you mean 'high'?"


def test_suggest_is_deterministic_for_equal_scores() -> None:
    """Candidates that match equally well come out in the same order whatever order they were given in."""
    assert suggest("ab", ["ax", "ay"]) == suggest("ab", ["ay", "ax"])
