"""The Python API: load, validate, evaluate, render and write — what the CLI, a notebook or a web app call."""

from __future__ import annotations

import dataclasses
import datetime as dt
import sys
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any
from typing import Literal

from . import cache
from . import document
from . import engine as durable
from . import evaluate as evaluation_
from . import paths
from . import render as render_
from . import sensitivity as sensitivity_
from . import yamlio
from .conditions import parse_date
from .errors import Diagnostic
from .errors import OutputError
from .errors import Position
from .errors import SourceError
from .errors import TransferlawError
from .errors import display_path
from .errors import quoted
from .errors import shortened
from .errors import suggest
from .model import Case
from .model import Evaluation
from .model import MemoMeta as MemoMeta  # re-exported for the CLI
from .model import RuleSet
from .model import RuleTest
from .model import Status
from .output import whole_stdout as whole_stdout  # re-exported for the CLI
from .output import write_output as write_output  # re-exported for the CLI
from .resources import RULESET_ID
from .resources import rule_set_files
from .resources import rules_dir
from .resources import schema_text
from .validate_case import DEFAULT_LEGEND as DEFAULT_LEGEND  # re-exported for the CLI
from .validate_case import case_from_mapping
from .validate_case import read_case_doc
from .validate_case import ruleset_id_of

if TYPE_CHECKING:
    from . import coverage as coverage_
    from . import explain as explain_
    from . import grading
    from . import interview as interview_
    from . import lint
    from . import scaffold
else:  # the tools of other commands load on first use, not with every `transferlaw run`
    class _Lazy:
        def __init__(self, name: str) -> None:
            self._name = name

        def __getattr__(self, attribute: str) -> Any:
            import importlib

            return getattr(importlib.import_module(f"{__package__}.{self._name}"), attribute)

    coverage_, explain_, grading, interview_, lint, scaffold = (
        _Lazy(n) for n in ("coverage", "explain", "grading", "interview", "lint", "scaffold"))

EngineChoice = Literal["auto", "durable", "python"]
FORMATS = (*render_.FORMATS, "docx")


def default_rules_dirs() -> list[Path]:
    return [rules_dir()]


def find_rulesets(rules_dirs: Sequence[Path] | None = None) -> dict[str, Path]:
    """Rule-set ids and their directories: each DIR is a rule set, or holds rule sets one level down."""
    found: dict[str, Path] = {}
    for base in rules_dirs or default_rules_dirs():
        if not paths.is_dir(base):
            raise SourceError(Diagnostic(Position(display_path(base)), "no such rules directory"))
        candidates = [base] if paths.is_file(base / "ruleset.yaml") else sorted(
            p for p in base.iterdir() if paths.is_file(p / "ruleset.yaml"))
        for path in candidates:
            found.setdefault(path.name, path)
    return found


_CACHE: dict[Path, tuple[tuple[tuple[str, float, int], ...], RuleSet]] = {}


def _stamp(directory: Path) -> tuple[tuple[str, float, int], ...]:
    stamps = []
    for path in rule_set_files(directory)[0]:
        info = path.stat()
        stamps.append((str(path), info.st_mtime, info.st_size))
    return tuple(stamps)


def ruleset_dir(ref: str | Path, rules_dirs: Sequence[Path] | None = None) -> Path:
    """The directory of a rule set given as a directory path or as an id."""
    path = Path(ref)
    if paths.is_file(path / "ruleset.yaml"):
        return path
    available = find_rulesets(rules_dirs)
    if str(ref) not in available:
        raise SourceError(Diagnostic(Position(shortened(str(ref))), f"no rule set {quoted(str(ref))}",
                                     suggest(str(ref), available)
                                     or "available: " + ", ".join(sorted(available))))
    return available[str(ref)]


def load_ruleset(ref: str | Path, rules_dirs: Sequence[Path] | None = None) -> RuleSet:
    """Load a rule set by directory path or by id; cached until one of its files changes."""
    path = ruleset_dir(ref, rules_dirs)
    resolved = path.resolve()
    stamp = _stamp(resolved)
    cached = _CACHE.get(resolved)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    definition, _ = rule_set_files(path)
    disk_key = cache.key(definition, display_path(path))  # None: not to be cached
    cached_pair = cache.load(disk_key) if disk_key is not None else None
    if cached_pair is None:
        from .compile import compile_ruleset  # the validator and compiler load only on a cache miss
        from .validate_ruleset import load_ruleset_dir

        ruleset = load_ruleset_dir(path)
        compiled = compile_ruleset(ruleset)  # engine-limit errors surface when the rule set loads
        if disk_key is not None and cache.key(definition, display_path(path)) == disk_key:  # unchanged meanwhile
            cache.store(disk_key, ruleset, compiled)
    else:
        ruleset, compiled = cached_pair
    evaluation_.remember_compiled(ruleset, compiled)
    _CACHE[resolved] = (stamp, ruleset)
    return ruleset


def load_case(source: str | Path, rules_dirs: Sequence[Path] | None = None,
              text: str | None = None) -> tuple[Case, RuleSet]:
    """Load a case file (``text`` instead of reading ``source``, e.g. stdin) and its rule set."""
    shown = "-" if text is not None and str(source) == "-" else display_path(source)
    doc = read_case_doc(None if text is not None else Path(source), text, shown)
    ident, pos = ruleset_id_of(doc)
    available = find_rulesets(rules_dirs)
    if not RULESET_ID.match(ident) or ident not in available:
        raise SourceError(Diagnostic(pos, f"unknown rule set {quoted(ident)}",
                                     suggest(ident, available)
                                     or "available: " + ", ".join(sorted(available))))
    ruleset = load_ruleset(available[ident])
    return case_from_mapping(doc.root, ruleset, shown), ruleset


def read_stdin() -> str:
    """Case text from standard input: at most the file size limit, UTF-8, located errors like a file's."""
    return yamlio.read_stream(sys.stdin.buffer, "-")


def load_upload(text: str, name: str,
                rules_dirs: Sequence[Path] | None = None) -> tuple[interview_.Resumed, RuleSet]:
    """A case file's text (an upload named ``name``) as an interview to continue, and its rule set; validated
    exactly as a case file on disk, with errors located in ``name``."""
    case, ruleset = load_case(name, rules_dirs, text)
    return interview_.saved(case, read_case_doc(None, text, display_path(name)).root), ruleset


def choose_engine(choice: EngineChoice = "auto") -> tuple[evaluation_.EngineName, str | None]:
    """The engine to use and, when falling back to Python, a one-line warning that says what to do."""
    if choice == "python":
        return "python", None
    if durable.available():
        return "durable", None
    version = ".".join(map(str, sys.version_info[:3]))
    reason = f"the durable_rules engine does not work on this Python ({version})"
    details = f"(details: {durable.IMPORT_ERROR})"
    if choice == "durable":
        raise OutputError(f"{reason}: to use it, {durable.fix()}; or use --engine python {details}")
    return "python", (f"warning: {reason}, so transferlaw's own Python evaluator decides instead (the findings are "
                      f"the same). To use durable_rules, {durable.fix()}. {details}")


def evaluate_case(case: Case, ruleset: RuleSet, engine: EngineChoice = "auto") -> Evaluation:
    """Evaluate a loaded case."""
    name, _ = choose_engine(engine)
    return evaluation_.evaluate(ruleset, case, name)


def memo_date(evaluation: Evaluation, date: dt.date | str | None = None) -> dt.date:
    """The memo's date: the option, else the case's as_of, else the rule set's (never the clock)."""
    if isinstance(date, str):
        parsed = parse_date(date)
        if parsed is None:
            raise SourceError(Diagnostic(Position("--date"), f"invalid date {date!r}", "use YYYY-MM-DD"))
        return parsed
    return date or evaluation.case.as_of or evaluation.ruleset.as_of


def memo_document(evaluation: Evaluation, date: dt.date | str | None = None,
                  meta: MemoMeta | None = None) -> dict[str, Any]:
    """The memo as data (docs/memo-json.md); ``meta`` overrides the case's To / From / Re / privilege."""
    return document.build(evaluation, as_of=memo_date(evaluation, date), meta=meta)


def render_memo(evaluation: Evaluation, fmt: str = "md", date: dt.date | str | None = None,
                templates: Path | None = None, meta: MemoMeta | None = None) -> str:
    """The memo as text in ``fmt`` (md, html, json)."""
    return render_.render(memo_document(evaluation, date, meta), fmt, templates)


def render_memo_bytes(evaluation: Evaluation, fmt: str = "md", date: dt.date | str | None = None,
                      templates: Path | None = None, meta: MemoMeta | None = None) -> bytes:
    """The memo as the bytes of a file in ``fmt`` (md, html, json, or docx)."""
    return render_document(memo_document(evaluation, date, meta), fmt, templates)


def format_of_name(path: Path) -> str | None:
    """The memo format a file name's suffix says (``memo.docx``: docx; ``.htm`` and ``.markdown`` too), or None."""
    suffix = path.suffix.lower()
    for fmt, suffixes in (("md", (".md", ".markdown")), ("html", (".html", ".htm")), ("json", (".json",)),
                          ("docx", (".docx",))):
        if suffix in suffixes:
            return fmt
    return None


def render_document(document_: dict[str, Any], fmt: str, templates: Path | None = None) -> bytes:
    """A memo document as the bytes of a file: md, html, docx or json."""
    if fmt == "docx":
        from .render_docx import render_docx

        return render_docx(document_)
    if fmt == "json":
        return render_.render_json(document_)
    return render_.render(document_, fmt, templates).encode("utf-8")


def run(source: str | Path, fmt: str = "md", rules_dirs: Sequence[Path] | None = None,
        date: dt.date | str | None = None, engine: EngineChoice = "auto", text: str | None = None,
        templates: Path | None = None, meta: MemoMeta | None = None) -> str:
    """Load a case, evaluate it and render its memo: the whole pipeline in one call (text formats)."""
    case, ruleset = load_case(source, rules_dirs, text)
    evaluation = evaluate_case(case, ruleset, engine)
    return render_memo(evaluation, fmt, date, templates, meta)


# --- rule-set tests -----------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class TestResult:
    """The outcome of one rule-set test: empty ``failures`` means it passed."""

    test: RuleTest
    failures: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return not self.failures


def _word(value: object) -> str:
    return "unknown" if value is None else "true" if value else "false"


def run_test(test: RuleTest, ruleset: RuleSet, engine: EngineChoice = "auto") -> TestResult:
    """Run one rule-set test and describe every expectation it misses, with the reasoning."""
    evaluation = evaluate_case(test.case, ruleset, engine)
    by_issue = {f.issue.id: f for f in evaluation.findings}
    by_conclusion = {c.conclusion.id: c for c in evaluation.conclusions}
    failures: list[str] = []
    for ident, expected in test.issues.items():
        finding = by_issue[ident]
        if finding.status != expected:
            failures.append(f"issue {ident}: expected {expected}, got {finding.status}\n"
                            + _trace(finding.explanation))
    for ident, value in test.conclusions.items():
        result = by_conclusion[ident]
        if result.value is not value:
            failures.append(f"conclusion {ident}: expected {_word(value)}, got {_word(result.value)}\n"
                            + _trace(result.explanation))
    for ident, facts in test.missing.items():
        got = by_issue[ident].missing
        if set(facts) - set(got):
            failures.append(f"issue {ident}: expected missing facts {', '.join(facts)}, got "
                            f"{', '.join(got) or 'none'}")
    return TestResult(test, tuple(failures))


def _trace(node: Any, depth: int = 1) -> str:
    lines = [f"{'  ' * depth}{node.summary}    [{node.text}]"]
    for child in node.children:
        lines.append(_trace(child, depth + 1))
    return "\n".join(lines)


def load_tests(ref: str | Path, rules_dirs: Sequence[Path] | None = None) -> tuple[RuleSet, tuple[RuleTest, ...]]:
    """A rule set and its tests (``tests/*.yaml``), validated; every problem reported at once."""
    directory = ruleset_dir(ref, rules_dirs)
    from .validate_ruleset import load_ruleset_tests

    ruleset = load_ruleset(directory)
    return ruleset, load_ruleset_tests(directory, ruleset)


def run_tests(ruleset: RuleSet, tests: Iterable[RuleTest], engine: EngineChoice = "auto",
              select: Iterable[str] | None = None) -> list[TestResult]:
    """Run rule-set tests (those whose name contains one of ``select``, if given)."""
    wanted = [s.lower() for s in select or []]
    return [run_test(t, ruleset, engine) for t in tests
            if not wanted or any(w in t.name.lower() for w in wanted)]


# --- instructor tools ---------------------------------------------------------------------------

def check_ruleset(ref: str | Path, rules_dirs: Sequence[Path] | None = None) -> lint.Report:
    """Static checks of a rule set: every error, and the warnings an author should see (``lint``)."""
    return lint.check(ruleset_dir(ref, rules_dirs))


def measure_coverage(ruleset: RuleSet, tests: Iterable[RuleTest]) -> coverage_.Coverage:
    """Which statuses and condition branches the tests exercise (``coverage``)."""
    return coverage_.measure(ruleset, tests)


def coverage_report(measured: coverage_.Coverage) -> str:
    """A readable coverage report."""
    return coverage_.report(measured)


def new_ruleset(directory: Path, force: bool = False) -> list[Path]:
    """Scaffold a working rule set in ``directory`` (``scaffold``)."""
    return scaffold.create(directory, force=force)


def schema(kind: str) -> str:
    """The JSON Schema for ``ruleset`` or ``case`` files."""
    return schema_text(kind)


# --- student tools ------------------------------------------------------------------------------

def explain_finding(evaluation: Evaluation, ident: str) -> explain_.Explained:
    """The reasoning tree and why / why-not summary of one issue or conclusion."""
    return explain_.explain(evaluation, ident)


def with_settings(case: Case, ruleset: RuleSet, settings: Sequence[str]) -> Case:
    """``case`` with ``FACT=VALUE`` settings applied (``VALUE`` is YAML; ``unknown`` clears the fact).

    Each value is validated like a case file's answer; every problem is reported at once.
    """
    from .errors import Collector
    from .errors import ValidationFailed
    from .validate_case import fact_value
    from .yamlio import Scalar
    from .yamlio import YList
    from .yamlio import YMap
    from .yamlio import load_text

    out = Collector()
    facts = dict(case.facts)
    for setting in settings:
        where = Position(f"--set {setting}")
        name, sep, raw = setting.partition("=")
        name = name.strip()
        question = ruleset.question_by_id.get(name)
        if not sep or not name:
            out.error(where, "expected FACT=VALUE", "e.g. --set consent_given=true")
            continue
        if question is None:
            out.error(where, f"unknown question '{name}'", suggest(name, ruleset.question_by_id))
            continue
        try:
            value = load_text(raw, where.path).root
        except ValidationFailed as exc:  # e.g. 1:30: said as a case file would say it, at the setting
            out.extend(dataclasses.replace(d, pos=where) for d in exc.diagnostics)
            continue
        except TransferlawError as exc:
            out.error(where, f"cannot read the value: {exc}")
            continue
        meta = value if isinstance(value, (YMap, YList)) else Scalar(where, None, raw.strip(), "")
        if isinstance(value, (YMap, YList)):
            value.pos = where
        parsed = fact_value(question, value, meta, out)
        if parsed is None:
            facts.pop(name, None)
        else:
            facts[name] = parsed
    out.raise_if_errors()
    ordered = {q.id: facts[q.id] for q in ruleset.questions if q.id in facts}
    return dataclasses.replace(case, facts=ordered)


def what_if(case: Case, ruleset: RuleSet, settings: Sequence[str],
            engine: EngineChoice = "auto") -> tuple[Evaluation, Evaluation, tuple[sensitivity_.Change, ...]]:
    """Evaluate ``case`` before and after ``settings``; the findings that change."""
    before = evaluate_case(case, ruleset, engine)
    after = evaluate_case(with_settings(case, ruleset, settings), ruleset, engine)
    values_before = {f.issue.id: _tri(f.status) for f in before.findings}
    values_after = {f.issue.id: _tri(f.status) for f in after.findings}
    return before, after, sensitivity_.changes(ruleset, values_before, values_after)


def _tri(status: Status) -> bool | None:
    return None if status == "undetermined" else status == "raised"


def fact_sensitivity(case: Case, ruleset: RuleSet) -> tuple[sensitivity_.FactSensitivity, ...]:
    """For each fact: the other answers that would change findings, and how."""
    return sensitivity_.sensitivity(ruleset, case.facts)


def explanation_text(explained: explain_.Explained, evaluation: Evaluation) -> str:
    return explain_.render_text(explained, evaluation)


def explanation_json(explained: explain_.Explained, evaluation: Evaluation) -> dict[str, Any]:
    return explain_.as_json(explained, evaluation)


def sensitivity_json(found: Sequence[sensitivity_.FactSensitivity], ruleset: RuleSet) -> list[dict[str, Any]]:
    """Sensitivity as data: per fact, the alternatives and the changes each would make."""
    return [
        {"id": f.question, "prompt": ruleset.question_by_id[f.question].prompt, "answered": f.answered,
         "alternatives": [{"value": list(a.value) if isinstance(a.value, tuple) else a.value, "display": a.display,
                           "changes": [{"issue": c.issue, "title": ruleset.issue_by_id[c.issue].title,
                                        "from": c.before, "to": c.after} for c in a.changes]}
                          for a in f.alternatives]}
        for f in found
    ]


def sensitivity_text(found: Sequence[sensitivity_.FactSensitivity], ruleset: RuleSet, case: Case) -> str:
    """Sensitivity as readable text."""
    from .display import fact_display

    lines = []
    for f in found:
        question = ruleset.question_by_id[f.question]
        now = fact_display(question, case.facts.get(f.question))
        lines.append(f"{f.question} ({question.prompt}) — now: {now}")
        for alt in f.alternatives:
            changed = "; ".join(f"{c.issue} {c.before} -> {c.after}" for c in alt.changes)
            lines.append(f"    if {alt.display}: {changed}")
    return "\n".join(lines) if lines else "no single fact would change any finding"


def interview(ruleset: RuleSet, *, ask: Callable[[str], str], say: Callable[[str], None],
              save: Callable[[str], None], resume: Path | None = None,
              title: str | None = None) -> interview_.InterviewResult:
    """Run the guided interview (``interview``), resuming a saved case file if given."""
    if resume is None:
        return interview_.run(ruleset, ask=ask, say=say, save=save, title=title)
    saved = interview_.load_saved(ruleset, resume)
    return interview_.run(ruleset, ask=ask, say=say, save=save, facts=saved.facts, skipped=saved.skipped,
                          title=title or saved.title, as_of=saved.as_of, notes=saved.notes)


def grade_answers(evaluation: Evaluation, path: Path) -> grading.Grade:
    """Grade one answer file against the evaluation's raised issues (``grading``)."""
    return grading.grade(evaluation, grading.read_answers(path))


def grade_class(evaluation: Evaluation, directory: Path) -> tuple[list[grading.Grade], list[Diagnostic]]:
    """Grade every answer file in a folder; a bad file is reported, the others are still graded."""
    return grading.grade_class(evaluation, directory)


def grade_text(result: grading.Grade) -> str:
    return grading.format_text(result)


def grade_json(result: grading.Grade) -> dict[str, Any]:
    return grading.as_json(result)


def class_csv(grades: Sequence[grading.Grade]) -> str:
    return grading.class_csv(grades)


# --- batches ------------------------------------------------------------------------------------

def run_batch(inputs: Sequence[Path], options: Any, *, jobs: int = 1, mapping: Path | None = None,
              ruleset: str | None = None, progress: Callable[[Any], None] | None = None,
              strict: bool = False) -> Any:
    """Run a batch of cases (``batch``): memos written atomically, bad inputs reported, summaries last; with
    ``strict``, a spreadsheet column that is no question stops its file instead of a warning."""
    from . import batch

    return batch.run(inputs, options, jobs=jobs, mapping=mapping, ruleset=ruleset, progress=progress, strict=strict)


def serve(host: str, port: int, rules_dirs: Sequence[Path] | None = None, state_dir: Path | None = None,
          say: Callable[[str], None] = print) -> None:
    """Run the web app (``transferlaw serve``) until interrupted."""
    from .web.server import serve as serve_

    serve_(host, port, rules_dirs, state_dir, say)


def default_jobs() -> int:
    from . import batch

    return batch.default_jobs()


def estimate_batch(inputs: Sequence[Path]) -> int:
    """About how many cases a batch's inputs hold (for a progress bar)."""
    from . import batch

    return batch.estimate(inputs)


def batch_options(**options: Any) -> Any:
    """The options of a batch (``batch.Options``: outdir, formats, rules_dirs, force, date, meta, engine)."""
    from .batch import Options  # the batch module loads only when a batch runs

    return Options(**options)
