"""Run many cases at once: every memo written atomically, bad inputs reported, the rest always finished.

Each item (a case file, or one row of a spreadsheet, from :mod:`transferlaw.sources`) is evaluated and
rendered in each requested format to ``OUTDIR/<key>.<format>``. Outputs newer than their input are skipped
unless forced, so a batch that was interrupted resumes where it stopped; every file is written to a
temporary name and renamed, so an interruption never leaves a partial file. Items are always evaluated in
worker processes (:mod:`transferlaw.workers`, even with one job): a case that crashes its worker (a segfault
in durable_rules' C core) or runs past the time limit fails alone, and the batch goes on. Results come back
in input order, so the summaries (``summary.csv``, ``summary.json``, ``index.html``) and every memo are
byte-identical whatever the number of workers.
"""

from __future__ import annotations

import csv
import json
import os
import tempfile
from collections.abc import Callable
from collections.abc import Generator
from collections.abc import Iterable
from collections.abc import Sequence
from contextlib import closing
from dataclasses import asdict
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import TextIO

from . import api
from . import paths
from . import workers
from .errors import TransferlawError
from .model import Case
from .model import MemoMeta
from .model import RuleSet
from .output import make_dir
from .output import sync_all
from .output import write_output
from .render import index_parts
from .sources import Item
from .sources import expand

SUMMARY_FILES = ("summary.csv", "summary.json", "index.html")
TIMEOUT = 120.0
"""Seconds one case may take by default before its worker is stopped (durable_rules can hang in C)."""


@dataclass(frozen=True)
class Options:
    """What every item is rendered with, and how long it may take (picklable: it travels to the workers)."""

    outdir: Path
    formats: tuple[str, ...]
    rules_dirs: tuple[Path, ...] | None
    force: bool = False
    date: str | None = None
    meta: MemoMeta | None = None
    engine: api.EngineChoice = "auto"
    timeout: float | None = TIMEOUT
    """Seconds one case may take before its worker is stopped and the case failed (None or 0: no limit)."""


@dataclass
class Outcome:
    """What happened to one item."""

    key: str
    source: str
    title: str
    status: str  # written, skipped, failed
    outputs: list[str] = field(default_factory=list)
    raised: dict[str, int] = field(default_factory=lambda: {"high": 0, "medium": 0, "low": 0})
    undetermined: int = 0
    not_raised: int = 0
    problems: list[str] = field(default_factory=list)


@dataclass
class Result:
    """The whole batch: counts, and the failed outcomes (kept for their messages)."""

    totals: dict[str, int] = field(default_factory=lambda: {"written": 0, "skipped": 0, "failed": 0})
    failed: list[Outcome] = field(default_factory=list)

    def add(self, outcome: Outcome) -> None:
        self.totals[outcome.status] += 1
        if outcome.status == "failed":
            self.failed.append(outcome)

    def count(self, status: str) -> int:
        return self.totals[status]


@dataclass(frozen=True)
class Work:
    """The picklable part of an item that a worker needs (the rule set travels as its directory)."""

    key: str
    source: str
    label: str
    mtime: float
    case: Case | None
    ruleset_dir: str | None
    problems: tuple[str, ...]


def work_of(item: Item) -> Work:
    return Work(key=item.key, source=item.source, label=item.label, mtime=item.mtime, case=item.case,
                ruleset_dir=item.ruleset.path if item.ruleset is not None else None,
                problems=tuple(d.format() for d in item.problems))


def process(item: Work, options: Options) -> Outcome:
    """Evaluate one item and write its memos (in a worker process)."""
    title = item.case.title if item.case is not None else item.label
    outcome = Outcome(key=item.key, source=item.source, title=title, status="written")
    if item.case is None or item.ruleset_dir is None:
        outcome.status = "failed"
        outcome.problems = list(item.problems)
        return outcome
    try:
        ruleset = _ruleset(item.ruleset_dir)
        evaluation = api.evaluate_case(item.case, ruleset, options.engine)
        for finding in evaluation.findings:
            if finding.status == "raised":
                outcome.raised[finding.issue.severity] += 1
            elif finding.status == "undetermined":
                outcome.undetermined += 1
            else:
                outcome.not_raised += 1
        targets = [options.outdir / f"{item.key}.{fmt}" for fmt in options.formats]
        outcome.outputs = [t.name for t in targets]
        if not options.force and all(_fresh(t, item.mtime) for t in targets):
            outcome.status = "skipped"
            return outcome
        document = api.memo_document(evaluation, options.date, options.meta)  # built once for every format
        for fmt, target in zip(options.formats, targets, strict=True):
            write_output(target, api.render_document(document, fmt), force=True, sync=False)
    except TransferlawError as exc:
        outcome.status = "failed"
        outcome.problems = [f"{item.source}: {line}" if not line.startswith(item.source) else line
                            for line in exc.report().splitlines()]
    return outcome


_RULESETS: dict[str, RuleSet] = {}


def _ruleset(directory: str) -> RuleSet:
    """A rule set loaded once per batch and process: every case of a batch sees the same rules, even if
    the files change while it runs."""
    ruleset = _RULESETS.get(directory)
    if ruleset is None:
        ruleset = _RULESETS[directory] = api.load_ruleset(Path(directory))
    return ruleset


def _fresh(target: Path, input_mtime: float) -> bool:
    try:
        found = target.stat()
    except OSError:
        return False
    return found.st_mtime >= input_mtime and found.st_size > 0  # empty: a write lost in a power cut


def run(inputs: Sequence[Path], options: Options, *, jobs: int = 1, mapping: Path | None = None,
        ruleset: str | None = None, progress: Callable[[Outcome], None] | None = None,
        func: Callable[[Work, Options], Outcome] | None = None) -> Result:
    """Run a batch. Items stream through ``jobs`` worker processes with a bounded number in flight, and the
    summaries are written a row at a time to temporary files that replace the last batch's only at the end,
    so memory does not grow with the number of cases and an interrupted batch leaves the previous summaries
    intact. ``func`` does each item (default :func:`process`; a module-level function, for tests).

    :raises workers.WorkersFailed: when the worker processes cannot start.
    """
    make_dir(options.outdir)
    _RULESETS.clear()  # workers fork from this process: they must not inherit rule sets an earlier call loaded
    items = (work_of(item) for item in expand(inputs, list(options.rules_dirs) if options.rules_dirs else None,
                                              mapping=mapping, ruleset=ruleset))
    result = Result()
    outcomes = _outcomes(items, options, jobs, func or process)
    with Summaries(options.outdir) as summaries, closing(outcomes):  # closing: the workers stop on Ctrl-C
        for outcome in outcomes:
            result.add(outcome)
            summaries.add(outcome)
            if progress is not None:
                progress(outcome)
        sync_all()  # every memo on disk before the summaries say it was written
        summaries.finish(result.totals)
    return result


def _outcomes(items: Iterable[Work], options: Options, jobs: int,
              func: Callable[[Work, Options], Outcome]) -> Generator[Outcome, None, None]:
    """Outcomes in input order, from worker processes; a case whose worker died or ran out of time fails."""
    with closing(workers.imap(func, items, options, jobs=jobs, timeout=options.timeout)) as results:
        for item, result in results:
            yield result if isinstance(result, Outcome) else _failed(item, result)


def _failed(item: Work, failure: workers.Failure) -> Outcome:
    """The outcome of a case that has none: its worker died or ran out of time, or transferlaw failed."""
    if failure.kind == "died":
        problem = f"the worker process died ({failure.reason}) while evaluating this case"
    elif failure.kind == "timeout":
        problem = (f"evaluating this case took longer than {failure.reason} (--timeout), so its worker process "
                   "was stopped")
    else:
        problem = f"internal error while evaluating this case, please report it: {failure.reason}"
    title = item.case.title if item.case is not None else item.label
    return Outcome(key=item.key, source=item.source, title=title, status="failed",
                   problems=[f"{item.source}: {problem}; the other cases were not affected"])


# --- summaries ----------------------------------------------------------------------------------

CSV_COLUMNS = ("key", "source", "title", "status", "raised_high", "raised_medium", "raised_low", "undetermined",
               "not_raised", "outputs", "problems")


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(text: str) -> str:
    """A text for summary.csv that a spreadsheet program shows as text, never runs as a formula: a title such
    as ``=HYPERLINK(...)`` from someone else's spreadsheet gets a leading apostrophe (OWASP's advice)."""
    return "'" + text if text.startswith(_FORMULA_START) else text


class Summaries:
    """summary.csv, summary.json and index.html, written as outcomes arrive and renamed into place at the end."""

    def __init__(self, outdir: Path) -> None:
        self.outdir = outdir
        self.parts = index_parts()
        self.files: dict[str, tuple[str, TextIO]] = {}

    def __enter__(self) -> Summaries:
        for name in SUMMARY_FILES:
            fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=self.outdir)
            self.files[name] = (tmp, os.fdopen(fd, "w", encoding="utf-8", newline="\n"))
        self.csv = csv.writer(self.files["summary.csv"][1], lineterminator="\n")
        self.csv.writerow(CSV_COLUMNS)
        self.files["summary.json"][1].write('{\n  "schema": "transferlaw.batch",\n  "schema_version": 1,\n'
                                            '  "items": [')
        self.files["index.html"][1].write(str(self.parts.head()))
        self.first = True
        return self

    def add(self, o: Outcome) -> None:
        self.csv.writerow([_cell(o.key), _cell(o.source), _cell(o.title), o.status, o.raised["high"],
                           o.raised["medium"], o.raised["low"], o.undetermined, o.not_raised, " ".join(o.outputs),
                           _cell(" | ".join(o.problems))])
        item = json.dumps(asdict(o), ensure_ascii=False, indent=2).replace("\n", "\n    ")
        self.files["summary.json"][1].write(("\n    " if self.first else ",\n    ") + item)
        self.files["index.html"][1].write(str(self.parts.row(o)))
        self.first = False

    def finish(self, totals: dict[str, int]) -> None:
        self.files["summary.json"][1].write(f"\n  ],\n  \"totals\": {json.dumps(totals)}\n}}\n")
        self.files["index.html"][1].write(str(self.parts.foot(totals)).rstrip("\n") + "\n")
        for name, (tmp, handle) in self.files.items():
            handle.flush()
            os.fsync(handle.fileno())
            handle.close()
            os.replace(tmp, self.outdir / name)
        self.files = {}

    def __exit__(self, *exc: object) -> None:
        for tmp, handle in self.files.values():  # not finished: an error or an interruption
            handle.close()
            Path(tmp).unlink(missing_ok=True)


def estimate(inputs: Sequence[Path]) -> int:
    """About how many cases the inputs hold (case files, plus one per spreadsheet line), for a progress bar."""
    total = 0
    for path in inputs:
        if paths.is_dir(path):
            total += sum(1 for p in path.rglob("*") if p.suffix in (".yaml", ".yml") and not p.name.startswith("."))
        elif path.suffix.lower() == ".csv":
            try:
                with path.open("rb") as handle:
                    total += max(0, sum(1 for _ in handle) - 1)
            except OSError:
                total += 1
        else:
            total += 1
    return total


def default_jobs() -> int:
    """One worker per core."""
    return max(1, os.cpu_count() or 1)
