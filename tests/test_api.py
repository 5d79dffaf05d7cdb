"""In-process end-to-end tests through the Python API, including the automatic engine fallback."""

from __future__ import annotations

from pathlib import Path

import pytest

from transferlaw import api
from transferlaw.engine import durable as engine
from transferlaw.language.errors import OutputError
from transferlaw.language.errors import SourceError

from .conftest import DATA
from .conftest import MINI_RULES

CASE = DATA / "cases" / "mini-unknowns.yaml"


def test_pipeline_end_to_end() -> None:
    """load_case -> evaluate_case -> render_memo gives findings, missing facts and open questions."""
    case, ruleset = api.load_case(CASE, [MINI_RULES])
    evaluation = api.evaluate_case(case, ruleset)
    statuses = {f.issue.id: f.status for f in evaluation.findings}
    assert statuses == {"exile": "undetermined", "long_sentence": "undetermined", "late_notice": "undetermined"}
    missing = {f.issue.id: f.missing for f in evaluation.findings}
    assert missing["exile"] == ("citizen",)
    assert missing["long_sentence"] == ("months_left",)
    assert [o.question.id for o in evaluation.open_questions] == ["citizen", "months_left"]
    assert "Facts to gather first" in api.render_memo(evaluation, "md")


def test_not_applicable_questions_are_not_open(mini: object) -> None:
    """A question whose ask_if is false is 'not applicable' and never an open question."""
    case, ruleset = api.load_case(CASE, [MINI_RULES])
    import dataclasses

    case = dataclasses.replace(case, facts={**case.facts, "custodian": "ice"})
    evaluation = api.evaluate_case(case, ruleset)
    assert "months_left" in evaluation.not_applicable
    assert "months_left" not in [o.question.id for o in evaluation.open_questions]


def test_memo_date_never_comes_from_the_clock() -> None:
    """The memo date is --date, else the case's as_of, else the rule set's as_of."""
    case, ruleset = api.load_case(CASE, [MINI_RULES])
    evaluation = api.evaluate_case(case, ruleset)
    assert api.memo_document(evaluation)["as_of"] == "2026-02-01"
    assert api.memo_document(evaluation, "2026-12-31")["as_of"] == "2026-12-31"
    import dataclasses

    undated = dataclasses.replace(evaluation, case=dataclasses.replace(case, as_of=None))
    assert api.memo_document(undated)["as_of"] == "2026-01-15"


def test_fallback_to_python_engine_with_a_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where durable_rules cannot be imported, auto uses the Python engine and says so in one line."""
    monkeypatch.setattr(engine, "_dre", None)
    monkeypatch.setattr(engine, "IMPORT_ERROR", "ImportError: simulated")
    name, warning = api.choose_engine("auto")
    assert name == "python"
    assert warning is not None and "simulated" in warning and "\n" not in warning
    with pytest.raises(OutputError):
        api.choose_engine("durable")
    assert api.run(CASE, "json", [MINI_RULES]) == api.run(CASE, "json", [MINI_RULES], engine="python")


def test_unknown_ruleset_reference() -> None:
    """load_ruleset by an unknown id is a located error with a suggestion."""
    with pytest.raises(SourceError, match="did you mean 'mini'"):
        api.load_ruleset("minni", [MINI_RULES])


def test_ruleset_field_cannot_traverse_paths(tmp_path: Path) -> None:
    """The case's ruleset: is an id, never a path."""
    case = tmp_path / "case.yaml"
    case.write_text("ruleset: ../rules/mini\ntitle: t\n")
    with pytest.raises(SourceError, match="unknown rule set"):
        api.load_case(case, [MINI_RULES])


def test_write_output_is_atomic_and_safe(tmp_path: Path) -> None:
    """write_output replaces atomically, refuses to clobber, and leaves no temporary file on error."""
    target = tmp_path / "out.md"
    api.write_output(target, "one\n")
    with pytest.raises(OutputError, match="already exists"):
        api.write_output(target, "two\n")
    api.write_output(target, "two\n", force=True)
    assert target.read_text() == "two\n"
    with pytest.raises(OutputError):
        api.write_output(tmp_path / "missing-dir" / "out.md", "x")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.md"]


def test_ruleset_cache_reloads_when_a_file_changes(tmp_path: Path) -> None:
    """A rule set is cached until one of its files changes."""
    import shutil

    shutil.copytree(MINI_RULES / "mini", tmp_path / "mini", ignore=shutil.ignore_patterns("tests"))
    first = api.load_ruleset(tmp_path / "mini")
    assert api.load_ruleset(tmp_path / "mini") is first
    path = tmp_path / "mini" / "ruleset.yaml"
    path.write_text(path.read_text().replace("Mini rule set for tests", "Mini rule set, edited"))
    assert api.load_ruleset(tmp_path / "mini").title == "Mini rule set, edited"


def test_public_api_is_sorted_and_complete() -> None:
    """__all__ is sorted and every name in it exists."""
    import transferlaw

    assert transferlaw.__all__ == sorted(transferlaw.__all__)
    for name in transferlaw.__all__:
        assert hasattr(transferlaw, name)


def test_every_api_function_is_public_and_documented() -> None:
    """Each function api.py defines is public and has a docstring; helpers live in the modules they serve."""
    import inspect

    defined = [(name, value) for name, value in vars(api).items()
               if inspect.isfunction(value) and value.__module__ == api.__name__]
    assert defined
    undocumented = [name for name, value in defined if not name.startswith("_") and not inspect.getdoc(value)]
    assert undocumented == []
    private = {name for name, _ in defined if name.startswith("_")}
    assert private <= {"_ws"}  # the default Workspace, while the loading functions take it as an option


def test_compare_cases_is_what_if_with_the_case_already_changed() -> None:
    """compare_cases evaluates two cases with the chosen engine and gives the same changes as what_if."""
    import dataclasses

    case, ruleset = api.load_case(CASE, [MINI_RULES])
    after = api.with_settings(case, ruleset, ["citizen=true"])
    assert after.facts["citizen"] is True and dataclasses.replace(after, facts=case.facts) == case
    engines: tuple[api.EngineChoice, ...] = ("auto", "python")
    for engine_name in engines:
        before_eval, after_eval, changes = api.compare_cases(case, after, ruleset, engine_name)
        assert (before_eval.case, after_eval.case) == (case, after)
        assert changes == api.what_if(case, ruleset, ["citizen=true"], engine_name)[2]
        assert changes and all(c.before != c.after for c in changes)
