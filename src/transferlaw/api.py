"""The Python API: load, validate, evaluate, render and write — what the CLI, a notebook or a web app call."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

from .engine import evaluate as evaluation_
from .engine import sensitivity as sensitivity_
from .engine import workspace as workspace_
from .engine.workspace import EngineChoice as EngineChoice  # re-exported: the engine options
from .engine.workspace import Workspace as Workspace  # re-exported: the owner of loaded rule sets
from .language import validate_case
from .language import yamlio
from .language.errors import Diagnostic
from .language.errors import display_path
from .language.model import Case
from .language.model import Evaluation
from .language.model import MemoMeta as MemoMeta  # re-exported for the CLI
from .language.model import RuleSet
from .language.model import RuleTest
from .language.resources import rules_dir
from .language.resources import schema_text
from .language.validate_case import DEFAULT_LEGEND as DEFAULT_LEGEND  # re-exported for the CLI
from .language.validate_case import read_case_doc
from .memo import document
from .memo import render as render_
from .memo.output import whole_stdout as whole_stdout  # re-exported for the CLI
from .memo.output import write_output as write_output  # re-exported for the CLI
from .tools import ruletests
from .tools.ruletests import TestResult as TestResult  # re-exported: what run_test returns

# The tools of other commands (lint, coverage, scaffold, explain, interview, grading: ~30 ms) and the batch
# machinery (~30 ms) are imported in the functions that use them, so that `transferlaw run` does not load them
# (bench/bench_core.py's cold start).
if TYPE_CHECKING:
    from .batch import runner as batch_
    from .tools import coverage as coverage_
    from .tools import explain as explain_
    from .tools import grading
    from .tools import interview as interview_
    from .tools import lint

FORMATS = render_.FILE_FORMATS
DETAILS = render_.DETAILS
"""How much a memo says: brief, default or full (docs/memo.md); JSON always carries everything."""


def default_rules_dirs() -> list[Path]:
    """The rule-set directories used when none is given: the bundled rule sets."""
    return [rules_dir()]


find_rulesets = workspace_.find_rulesets
ruleset_dir = workspace_.ruleset_dir


def _ws(workspace: Workspace | None) -> Workspace:
    """``workspace``, else the Python API's default one (:func:`transferlaw.engine.workspace.default`)."""
    return workspace if workspace is not None else workspace_.default()


def load_ruleset(ref: str | Path, rules_dirs: Sequence[Path] | None = None, *,
                 workspace: Workspace | None = None) -> RuleSet:
    """Load a rule set by directory path or by id; ``workspace`` keeps it until one of its files changes."""
    return _ws(workspace).load(ref, rules_dirs).ruleset


def load_case(source: str | Path, rules_dirs: Sequence[Path] | None = None,
              text: str | None = None, *, workspace: Workspace | None = None) -> tuple[Case, RuleSet]:
    """Load a case file (``text`` instead of reading ``source``, e.g. stdin) and its rule set."""
    return _ws(workspace).load_case(source, rules_dirs, text)


def read_stdin() -> str:
    """Case text from standard input: at most the file size limit, UTF-8, located errors like a file's."""
    return yamlio.read_stream(sys.stdin.buffer, "-")


def load_upload(text: str, name: str, rules_dirs: Sequence[Path] | None = None, *,
                workspace: Workspace | None = None) -> tuple[interview_.Resumed, RuleSet]:
    """A case file's text (an upload named ``name``) as an interview to continue, and its rule set; validated
    exactly as a case file on disk, with errors located in ``name``."""
    from .tools import interview as interview_
    case, ruleset = load_case(name, rules_dirs, text, workspace=workspace)
    return interview_.saved(case, read_case_doc(None, text, display_path(name)).root), ruleset


def choose_engine(choice: EngineChoice = "auto") -> tuple[evaluation_.EngineName, str | None]:
    """The engine to use and, when falling back to Python, a one-line warning that says what to do."""
    return evaluation_.choose(choice)


def evaluate_case(case: Case, ruleset: RuleSet, engine: EngineChoice = "auto", *,
                  workspace: Workspace | None = None) -> Evaluation:
    """Evaluate a loaded case (durable_rules' engine kept by ``workspace``)."""
    name, _ = choose_engine(engine)
    return evaluation_.evaluate(ruleset, case, name, workspace=_ws(workspace))


def memo_date(evaluation: Evaluation, date: dt.date | str | None = None) -> dt.date:
    """The memo's date: the option, else the case's as_of, else the rule set's (never the clock)."""
    return document.memo_date(evaluation, date)


def memo_document(evaluation: Evaluation, date: dt.date | str | None = None,
                  meta: MemoMeta | None = None, *, workspace: Workspace | None = None) -> dict[str, Any]:
    """The memo as data (docs/memo-json.md); ``meta`` overrides the case's To / From / Re / privilege."""
    return document.build(evaluation, as_of=memo_date(evaluation, date), meta=meta,
                          prepared=_ws(workspace).prepare(evaluation.ruleset))


def render_memo(evaluation: Evaluation, fmt: str = "md", date: dt.date | str | None = None,
                templates: Path | None = None, meta: MemoMeta | None = None, *,
                workspace: Workspace | None = None, detail: str = "default") -> str:
    """The memo as text in ``fmt`` (md, html, json) at ``detail`` (brief, default, full)."""
    ws = _ws(workspace)
    return render_.render(memo_document(evaluation, date, meta, workspace=ws), fmt, templates or ws.templates,
                          render_.memos(ws), detail)


def render_memo_bytes(evaluation: Evaluation, fmt: str = "md", date: dt.date | str | None = None,
                      templates: Path | None = None, meta: MemoMeta | None = None, *,
                      workspace: Workspace | None = None, detail: str = "default") -> bytes:
    """The memo as the bytes of a file in ``fmt`` (md, html, json, docx or pdf) at ``detail`` (brief, default,
    full)."""
    ws = _ws(workspace)
    return render_document(memo_document(evaluation, date, meta, workspace=ws), fmt, templates, workspace=ws,
                           detail=detail)


def format_of_name(path: Path) -> str | None:
    """The memo format a file name's suffix says (``memo.docx``: docx; ``.htm`` and ``.markdown`` too), or None."""
    suffix = path.suffix.lower()
    for fmt, suffixes in (("md", (".md", ".markdown")), ("html", (".html", ".htm")), ("json", (".json",)),
                          ("docx", (".docx",)), ("pdf", (".pdf",))):
        if suffix in suffixes:
            return fmt
    return None


def render_document(document_: dict[str, Any], fmt: str, templates: Path | None = None, *,
                    workspace: Workspace | None = None, detail: str = "default") -> bytes:
    """A memo document as the bytes of a file: md, html, docx, pdf or json, at ``detail`` (brief, default, full)."""
    ws = _ws(workspace)
    return render_.render_bytes(document_, fmt, templates or ws.templates, render_.memos(ws), detail)


def run(source: str | Path, fmt: str = "md", rules_dirs: Sequence[Path] | None = None,
        date: dt.date | str | None = None, engine: EngineChoice = "auto", text: str | None = None,
        templates: Path | None = None, meta: MemoMeta | None = None, *,
        workspace: Workspace | None = None, detail: str = "default") -> str:
    """Load a case, evaluate it and render its memo: the whole pipeline in one call (text formats), at
    ``detail`` (brief, default, full)."""
    case, ruleset = load_case(source, rules_dirs, text, workspace=workspace)
    evaluation = evaluate_case(case, ruleset, engine, workspace=workspace)
    return render_memo(evaluation, fmt, date, templates, meta, workspace=workspace, detail=detail)


# --- rule-set tests -----------------------------------------------------------------------------

def run_test(test: RuleTest, ruleset: RuleSet, engine: EngineChoice = "auto", *,
             workspace: Workspace | None = None) -> TestResult:
    """Run one rule-set test and describe every expectation it misses, with the reasoning."""
    return ruletests.check(test, evaluate_case(test.case, ruleset, engine, workspace=workspace))


def load_tests(ref: str | Path, rules_dirs: Sequence[Path] | None = None, *,
               workspace: Workspace | None = None) -> tuple[RuleSet, tuple[RuleTest, ...]]:
    """A rule set and its tests (``tests/*.yaml``), validated; every problem reported at once."""
    directory = _ws(workspace).ruleset_dir(ref, rules_dirs)
    from .language.validate_ruleset import load_ruleset_tests  # the validator loads only on a cache miss or here

    ruleset = load_ruleset(directory, workspace=workspace)
    return ruleset, load_ruleset_tests(directory, ruleset)


def run_tests(ruleset: RuleSet, tests: Iterable[RuleTest], engine: EngineChoice = "auto",
              select: Iterable[str] | None = None, *, workspace: Workspace | None = None) -> list[TestResult]:
    """Run rule-set tests (those whose name contains one of ``select``, if given)."""
    wanted = [s.lower() for s in select or []]
    return [run_test(t, ruleset, engine, workspace=workspace) for t in tests
            if not wanted or any(w in t.name.lower() for w in wanted)]


# --- instructor tools ---------------------------------------------------------------------------

def check_ruleset(ref: str | Path, rules_dirs: Sequence[Path] | None = None) -> lint.Report:
    """Static checks of a rule set: every error, and the warnings an author should see (``lint``)."""
    from .tools import lint
    return lint.check(ruleset_dir(ref, rules_dirs))


def measure_coverage(ruleset: RuleSet, tests: Iterable[RuleTest], *,
                     workspace: Workspace | None = None) -> coverage_.Coverage:
    """Which statuses and condition branches the tests exercise (``coverage``)."""
    from .tools import coverage as coverage_
    return coverage_.measure(ruleset, tests, workspace=_ws(workspace))


def coverage_report(measured: coverage_.Coverage) -> str:
    """A readable coverage report."""
    from .tools import coverage as coverage_
    return coverage_.report(measured)


def new_ruleset(directory: Path, force: bool = False) -> list[Path]:
    """Scaffold a working rule set in ``directory`` (``scaffold``)."""
    from .tools import scaffold
    return scaffold.create(directory, force=force)


def schema(kind: str) -> str:
    """The JSON Schema for ``ruleset`` or ``case`` files."""
    return schema_text(kind)


# --- student tools ------------------------------------------------------------------------------

def explain_finding(evaluation: Evaluation, ident: str) -> explain_.Explained:
    """The reasoning tree and why / why-not summary of one issue or conclusion."""
    from .tools import explain as explain_
    return explain_.explain(evaluation, ident)


def with_settings(case: Case, ruleset: RuleSet, settings: Sequence[str]) -> Case:
    """``case`` with ``FACT=VALUE`` settings applied (``VALUE`` is YAML; ``unknown`` clears the fact).

    Each value is validated like a case file's answer; every problem is reported at once.

    :raises ValidationFailed: a setting names no question or holds no valid answer.
    """
    return validate_case.with_settings(case, ruleset, settings)


def what_if(case: Case, ruleset: RuleSet, settings: Sequence[str], engine: EngineChoice = "auto", *,
            workspace: Workspace | None = None) -> tuple[Evaluation, Evaluation, tuple[sensitivity_.Change, ...]]:
    """Evaluate ``case`` before and after ``settings`` (``FACT=VALUE``, as :func:`with_settings` reads them).

    :returns: the evaluation before, the evaluation after, and the findings that change, in rule-set order.
    :raises ValidationFailed: a setting names no question or holds no valid answer.
    """
    return compare_cases(case, with_settings(case, ruleset, settings), ruleset, engine, workspace=workspace)


def compare_cases(before: Case, after: Case, ruleset: RuleSet, engine: EngineChoice = "auto", *,
                  workspace: Workspace | None = None) -> tuple[Evaluation, Evaluation, tuple[sensitivity_.Change, ...]]:
    """Evaluate two cases of ``ruleset`` with ``engine`` (e.g. one with a fact answered differently).

    :returns: the two evaluations and the findings whose status differs, in rule-set order.
    """
    first = evaluate_case(before, ruleset, engine, workspace=workspace)
    second = evaluate_case(after, ruleset, engine, workspace=workspace)
    return first, second, sensitivity_.finding_changes(ruleset, first, second)


def fact_sensitivity(case: Case, ruleset: RuleSet, *,
                     workspace: Workspace | None = None) -> tuple[sensitivity_.FactSensitivity, ...]:
    """For each fact: the other answers that would change findings, and how."""
    return sensitivity_.sensitivity(ruleset, case.facts, workspace=_ws(workspace))






def interview(ruleset: RuleSet, *, ask: Callable[[str], str], say: Callable[[str], None],
              save: Callable[[str], None], resume: Path | None = None,
              title: str | None = None) -> interview_.InterviewResult:
    """Run the guided interview (``interview``), resuming a saved case file if given."""
    from .tools import interview as interview_
    if resume is None:
        return interview_.run(ruleset, ask=ask, say=say, save=save, title=title)
    saved = interview_.load_saved(ruleset, resume)
    return interview_.run(ruleset, ask=ask, say=say, save=save, facts=saved.facts, skipped=saved.skipped,
                          title=title or saved.title, as_of=saved.as_of, notes=saved.notes)


def grade_answers(evaluation: Evaluation, path: Path) -> grading.Grade:
    """Grade one answer file against the evaluation's raised issues (``grading``)."""
    from .tools import answer_files
    from .tools import grading
    return grading.grade(evaluation, answer_files.read_answers(path))


def grade_class(evaluation: Evaluation, directory: Path) -> tuple[list[grading.Grade], list[Diagnostic]]:
    """Grade every answer file in a folder; a bad file is reported, the others are still graded."""
    from .tools import grading
    return grading.grade_class(evaluation, directory)




# --- batches ------------------------------------------------------------------------------------

def run_batch(inputs: Sequence[Path], options: batch_.Options, *, jobs: int = 1, mapping: Path | None = None,
              ruleset: str | None = None, progress: Callable[[batch_.Outcome], None] | None = None,
              strict: bool = False) -> batch_.Result:
    """Run a batch of cases (``batch``): memos written atomically, bad inputs reported, summaries last; with
    ``strict``, a spreadsheet column that is no question stops its file instead of a warning."""
    from .batch import runner as batch

    return batch.run(inputs, options, jobs=jobs, mapping=mapping, ruleset=ruleset, progress=progress, strict=strict)


def default_jobs() -> int:
    """The number of batch workers when none is given: one per core."""
    from .batch import runner as batch

    return batch.default_jobs()


def estimate_batch(inputs: Sequence[Path]) -> int:
    """About how many cases a batch's inputs hold (for a progress bar)."""
    from .batch import runner as batch

    return batch.estimate(inputs)


def batch_options(outdir: Path, formats: tuple[str, ...], rules_dirs: tuple[Path, ...] | None = None, *,
                  force: bool = False, date: str | None = None, meta: MemoMeta | None = None,
                  engine: EngineChoice = "auto", timeout: float | None = None,
                  detail: str = "default") -> batch_.Options:
    """The options of a batch: where the memos go, in which formats, the rule-set folders, whether to rewrite
    memos that are up to date, the memo date and heading, the engine, the seconds one case may take (None:
    the batch's default limit; 0: none) and the memos' detail (brief, default, full)."""
    from .batch.runner import TIMEOUT
    from .batch.runner import Options

    return Options(outdir=outdir, formats=formats, rules_dirs=rules_dirs, force=force, date=date, meta=meta,
                   engine=engine, timeout=TIMEOUT if timeout is None else timeout or None, detail=detail)
