"""Run many cases at once: every memo written atomically, bad inputs reported, the rest always finished.

Each item (a case file, or one row of a spreadsheet, from :mod:`transferlaw.sources`) is evaluated and
rendered in each requested format to ``OUTDIR/<key>.<format>``. Outputs newer than their input are skipped
unless forced, so a batch that was interrupted resumes where it stopped; every file is written to a
temporary name and renamed, so an interruption never leaves a partial file. Work is spread over worker
processes; results come back in input order, so the summaries (``summary.csv``, ``summary.json``,
``index.html``) and every memo are byte-identical whatever the number of workers.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

from . import api
from .errors import TransferlawError
from .model import Case
from .model import MemoMeta
from .sources import Item
from .sources import expand

SUMMARY_FILES = ("summary.csv", "summary.json", "index.html")
CHUNK = 16


@dataclass(frozen=True)
class Options:
    """What every item is rendered with (picklable: it travels to the worker processes)."""

    outdir: Path
    formats: tuple[str, ...]
    rules_dirs: tuple[Path, ...] | None
    force: bool = False
    date: str | None = None
    meta: MemoMeta | None = None
    engine: api.EngineChoice = "auto"


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
    """The whole batch."""

    outcomes: list[Outcome]

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "failed"]

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)


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
    """Evaluate one item and write its memos (in a worker, or in this process with --jobs 1)."""
    title = item.case.title if item.case is not None else item.label
    outcome = Outcome(key=item.key, source=item.source, title=title, status="written")
    if item.case is None or item.ruleset_dir is None:
        outcome.status = "failed"
        outcome.problems = list(item.problems)
        return outcome
    try:
        ruleset = api.load_ruleset(Path(item.ruleset_dir))
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
        for fmt, target in zip(options.formats, targets, strict=True):
            data = api.render_memo_bytes(evaluation, fmt, options.date, None, options.meta)
            api.write_output(target, data, force=True)
    except TransferlawError as exc:
        outcome.status = "failed"
        outcome.problems = [f"{item.source}: {line}" if not line.startswith(item.source) else line
                            for line in exc.report().splitlines()]
    return outcome


def _fresh(target: Path, input_mtime: float) -> bool:
    try:
        return target.stat().st_mtime >= input_mtime
    except OSError:
        return False


def _run_chunk(items: list[Work], options: Options) -> list[Outcome]:
    return [process(item, options) for item in items]


def _chunks(items: Iterable[Work], size: int) -> Iterator[list[Work]]:
    chunk: list[Work] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def run(inputs: Sequence[Path], options: Options, *, jobs: int = 1, mapping: Path | None = None,
        ruleset: str | None = None, progress: Callable[[Outcome], None] | None = None) -> Result:
    """Run a batch; the summaries are written last, atomically, and reflect every item."""
    options.outdir.mkdir(parents=True, exist_ok=True)
    items = (work_of(item) for item in expand(inputs, list(options.rules_dirs) if options.rules_dirs else None,
                                              mapping=mapping, ruleset=ruleset))
    outcomes: list[Outcome] = []

    def record(outcome: Outcome) -> None:
        outcomes.append(outcome)
        if progress is not None:
            progress(outcome)

    if jobs <= 1:
        for item in items:
            record(process(item, options))
    else:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            for results in pool.map(_run_chunk, _chunks(items, CHUNK), _repeat(options)):
                for outcome in results:
                    record(outcome)
    result = Result(outcomes)
    write_summaries(result, options.outdir, options.force)
    return result


def _repeat(options: Options) -> Iterator[Options]:
    while True:
        yield options


# --- summaries ----------------------------------------------------------------------------------

CSV_COLUMNS = ("key", "source", "title", "status", "raised_high", "raised_medium", "raised_low", "undetermined",
               "not_raised", "outputs", "problems")


def summary_csv(result: Result) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for o in result.outcomes:
        writer.writerow([o.key, o.source, o.title, o.status, o.raised["high"], o.raised["medium"], o.raised["low"],
                         o.undetermined, o.not_raised, " ".join(o.outputs), " | ".join(o.problems)])
    return buffer.getvalue()


def summary_json(result: Result) -> str:
    totals = {status: result.count(status) for status in ("written", "skipped", "failed")}
    data: dict[str, Any] = {"schema": "transferlaw.batch", "schema_version": 1, "totals": totals,
                            "items": [asdict(o) for o in result.outcomes]}
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def index_html(result: Result) -> str:
    from .render import render_index

    return render_index(result.outcomes)


def write_summaries(result: Result, outdir: Path, force: bool) -> None:
    """summary.csv, summary.json and index.html, each written atomically (replacing the last batch's)."""
    for name, text in (("summary.csv", summary_csv(result)), ("summary.json", summary_json(result)),
                       ("index.html", index_html(result))):
        api.write_output(outdir / name, text, force=True)


def default_jobs() -> int:
    """One worker per core."""
    return max(1, os.cpu_count() or 1)
