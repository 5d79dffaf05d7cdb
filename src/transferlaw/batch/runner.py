"""Run many cases at once: every memo written atomically, bad inputs reported, the rest always finished.

Each item (a case file, or one row of a spreadsheet, from :mod:`transferlaw.batch.sources`) is evaluated and
rendered in each requested format to ``OUTDIR/<key>.<format>``, where the key depends on the item's own source
only (its name made safe and a hash of its path, and for a row its id or number), never on the other inputs.

``OUTDIR/.transferlaw-manifest.json`` (:mod:`transferlaw.batch.manifest`) records what each memo was made from: the
case (or row) as read, the rule set, transferlaw's version and templates, the memo options (``--date``,
``--to``, ``--from``, ``--re``, ``--privileged`` or ``--legend``) and the engine. A memo is up to date, and
kept, when all of that is unchanged and its files are all there as written; anything else rewrites it (and
``force`` always does), so an interrupted batch resumes where it stopped and an edited rule set or option
never leaves a stale memo. A memo of the key already in OUTDIR in a format not asked for this time is
rewritten with the others, so that no file is left out of date. A memo whose source is not among this
batch's inputs is listed as orphaned in the summaries, never as another case's.

Every file is written to a temporary name, fsynced and renamed (:mod:`transferlaw.memo.output`), so an interruption
never leaves a partial file; the folder is fsynced once before the manifest and the summaries say what was
written. The summaries (``summary.csv``, ``summary.json``, ``index.html``) are written a row at a time as
outcomes arrive and put in place together at the end, or not at all. SIGTERM stops a batch as Ctrl-C does.
Items are always evaluated in worker processes (:mod:`transferlaw.batch.workers`, even with one job): a case that
crashes its worker (a segfault in durable_rules' C core) or runs past the time limit fails alone, and the
batch goes on. Results come back in input order, so the summaries, the manifest and every memo are
byte-identical whatever the number of workers.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import threading
from collections.abc import Callable
from collections.abc import Generator
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Sequence
from contextlib import closing
from contextlib import contextmanager
from dataclasses import asdict
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from pathlib import Path
from typing import Any

from .._version import __version__
from ..engine import evaluate
from ..engine.cache import code_stamp
from ..engine.workspace import EngineChoice
from ..engine.workspace import Workspace
from ..language import paths
from ..language.errors import OutputError
from ..language.errors import TransferlawError
from ..language.limits import MAX_CSV_BYTES
from ..language.model import SEVERITIES
from ..language.model import Case
from ..language.model import MemoMeta
from ..language.model import RuleSet
from ..language.resources import templates_dir
from ..memo import csvout
from ..memo import document as memo
from ..memo import render
from ..memo.output import Staged
from ..memo.output import make_dir
from ..memo.output import sync_folder
from ..memo.output import write_output
from ..memo.render import index_parts
from . import workers
from .manifest import Entry
from .manifest import Manifest
from .manifest import digest
from .manifest import fingerprint
from .manifest import folder_digest
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
    engine: EngineChoice = "auto"
    timeout: float | None = TIMEOUT
    """Seconds one case may take before its worker is stopped and the case failed (None or 0: no limit)."""
    detail: str = "default"
    """How much the Markdown, HTML and Word memos say: brief, default or full (JSON always carries everything)."""
    worker: Worker = field(default_factory=lambda: Worker(), compare=False, repr=False)
    """The state of the worker process these options reached (each worker builds its own)."""


class Worker:
    """A batch worker's own :class:`~transferlaw.engine.workspace.Workspace`, and the rule sets it loaded for the
    batch with their digests (kept for the batch: every case sees the same rules, even if the files change
    while it runs; as many as the rule sets the batch's cases name). Built on the worker's first case: it is
    never pickled, and a forked worker, which sees another process id, never uses its parent's."""

    __slots__ = ("_pid", "_workspace", "_rulesets")

    def __init__(self) -> None:
        self._pid = 0
        self._workspace: Workspace | None = None
        self._rulesets: dict[str, tuple[RuleSet, str]] = {}

    def __reduce__(self) -> tuple[type[Worker], tuple[()]]:
        return (Worker, ())

    @property
    def workspace(self) -> Workspace:
        """This process's workspace for the batch."""
        if self._workspace is None or self._pid != os.getpid():
            self._pid, self._workspace, self._rulesets = os.getpid(), Workspace(), {}
        return self._workspace

    def ruleset(self, directory: str) -> tuple[RuleSet, str]:
        """A rule set and its digest, loaded once per batch and worker."""
        workspace = self.workspace
        found = self._rulesets.get(directory)
        if found is None:
            ruleset = workspace.load(Path(directory)).ruleset
            found = self._rulesets[directory] = (ruleset, digest(repr(ruleset)))
        return found


@dataclass
class Outcome:
    """What happened to one item (or, ``orphaned``, to a memo in OUTDIR whose source was not an input)."""

    key: str
    source: str
    title: str
    status: str  # written, skipped (up to date), failed, orphaned
    outputs: list[str] = field(default_factory=list)
    raised: dict[str, int] = field(default_factory=lambda: {"high": 0, "medium": 0, "low": 0})
    undetermined: int = 0
    not_raised: int = 0
    problems: list[str] = field(default_factory=list)
    fingerprint: str = ""
    """What the memos were made from (:func:`transferlaw.batch.manifest.fingerprint`), for the manifest only."""
    sizes: list[int] = field(default_factory=list)
    """The size of each output in bytes, for the manifest only."""

    def summary(self) -> dict[str, Any]:
        """The outcome as summary.json lists it."""
        shown = asdict(self)
        del shown["fingerprint"], shown["sizes"]
        return shown

    def entry(self) -> Entry:
        """The manifest's entry for the memos of a written or up-to-date outcome."""
        return Entry(source=self.source, title=self.title, fingerprint=self.fingerprint,
                     outputs=tuple(zip(self.outputs, self.sizes, strict=True)),
                     raised=(self.raised["high"], self.raised["medium"], self.raised["low"]),
                     undetermined=self.undetermined, not_raised=self.not_raised)


@dataclass
class Result:
    """The whole batch: counts, and the failed outcomes (kept for their messages)."""

    totals: dict[str, int] = field(default_factory=lambda: {"written": 0, "skipped": 0, "failed": 0, "orphaned": 0})
    failed: list[Outcome] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    """Lines about inputs that were still run: a spreadsheet column ignored (issue 13, point 16)."""

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
    case: Case | None
    ruleset_dir: str | None
    problems: tuple[str, ...]
    settings: str = ""
    """The batch's :func:`settings` digest, part of every memo's fingerprint."""
    formats: tuple[str, ...] = ()
    """The formats to write: those asked for, then those of this key's memos already in OUTDIR."""
    kept: Outcome | None = None
    """The outcome of memos that are up to date: nothing to do but report it."""


def work_of(item: Item) -> Work:
    return Work(key=item.key, source=item.source, label=item.label, case=item.case,
                ruleset_dir=item.ruleset.path if item.ruleset is not None else None,
                problems=tuple(d.format() for d in item.problems))


def settings(options: Options) -> str:
    """A digest of what every memo of a batch depends on besides its case and rule set: transferlaw's version
    and code (a checkout edited without a new version number still rewrites its memos), the memo templates,
    the memo date, the heading options (to, from, re, legend), the memos' detail and the engine that decides."""
    engine, _ = evaluate.choose(options.engine)
    return digest(__version__, code_stamp(), folder_digest(templates_dir()), str(options.date), repr(options.meta),
                  engine, options.detail)


def process(item: Work, options: Options) -> Outcome:
    """Evaluate one item and write its memos (in a worker process)."""
    if item.kept is not None:
        return item.kept
    title = item.case.title if item.case is not None else item.label
    outcome = Outcome(key=item.key, source=item.source, title=title, status="written")
    if item.case is None or item.ruleset_dir is None:
        outcome.status = "failed"
        outcome.problems = list(item.problems)
        return outcome
    try:
        worker = options.worker
        ruleset, ruleset_digest = worker.ruleset(item.ruleset_dir)
        workspace = worker.workspace
        engine, _ = evaluate.choose(options.engine)
        evaluation = evaluate.evaluate(ruleset, item.case, engine, workspace=workspace)
        for finding in evaluation.findings:
            if finding.status == "raised":
                outcome.raised[finding.issue.severity] += 1
            elif finding.status == "undetermined":
                outcome.undetermined += 1
            else:
                outcome.not_raised += 1
        document = memo.build(evaluation, as_of=memo.memo_date(evaluation, options.date), meta=options.meta,
                              prepared=workspace.prepare(ruleset))  # built once for every format
        for fmt in item.formats:
            target = options.outdir / f"{item.key}.{fmt}"
            data = render.render_bytes(document, fmt, workspace.templates, render.memos(workspace), options.detail)
            write_output(target, data, force=True, sync_dir=False)  # the folder is fsynced once, at the end
            outcome.outputs.append(target.name)
            outcome.sizes.append(len(data))
        outcome.fingerprint = fingerprint(item.settings, ruleset_digest, item.source, item.case)
    except TransferlawError as exc:
        outcome.status = "failed"
        outcome.outputs, outcome.sizes = [], []
        outcome.problems = [f"{item.source}: {line}" if not line.startswith(item.source) else line
                            for line in exc.report().splitlines()]
    return outcome


class _Planner:
    """Decides, in the batch's process, what each item needs: nothing (its memos are up to date: the manifest
    gives its outcome), or its memos written in which formats."""

    def __init__(self, options: Options, manifest: Manifest) -> None:
        self.options = options
        self.manifest = manifest
        self.settings = settings(options)
        self.digests: dict[int, tuple[RuleSet, str]] = {}  # by id(); the rule set is kept so its id stays its own

    def ruleset_digest(self, ruleset: RuleSet) -> str:
        found = self.digests.get(id(ruleset))
        if found is None:
            found = self.digests[id(ruleset)] = (ruleset, digest(repr(ruleset)))
        return found[1]

    def plan(self, item: Item) -> Work:
        work = replace(work_of(item), settings=self.settings)
        if item.case is None or item.ruleset is None:
            return work
        entry = self.manifest.get(item.key)
        present = dict(entry.present(self.options.outdir)) if entry is not None else {}
        formats = (*self.options.formats,
                   *(f for f in render.FILE_FORMATS if f not in self.options.formats and f"{item.key}.{f}" in present))
        names = [f"{item.key}.{fmt}" for fmt in formats]
        if (entry is None or self.options.force or not all(name in present for name in names)
                or entry.fingerprint != fingerprint(self.settings, self.ruleset_digest(item.ruleset), item.source,
                                                    item.case)):
            return replace(work, formats=formats)
        kept = Outcome(key=item.key, source=item.source, title=item.case.title, status="skipped", outputs=names,
                       raised=dict(zip(SEVERITIES, entry.raised, strict=True)), undetermined=entry.undetermined,
                       not_raised=entry.not_raised, fingerprint=entry.fingerprint,
                       sizes=[present[name] for name in names])
        return replace(work, formats=formats, kept=kept)


def _orphaned(key: str, entry: Entry) -> Outcome:
    """The outcome of memos in OUTDIR whose source is not among the batch's inputs."""
    return Outcome(key=key, source=entry.source, title=entry.title, status="orphaned",
                   outputs=[name for name, _ in entry.outputs],
                   raised=dict(zip(SEVERITIES, entry.raised, strict=True)), undetermined=entry.undetermined,
                   not_raised=entry.not_raised,
                   problems=[f"{entry.source}: not among this batch's inputs, so its memo from an earlier batch was "
                             "left as it was (delete it if it is no longer wanted)"])


def run(inputs: Sequence[Path], options: Options, *, jobs: int = 1, mapping: Path | None = None,
        ruleset: str | None = None, progress: Callable[[Outcome], None] | None = None,
        func: Callable[[Work, Options], Outcome] | None = None, strict: bool = False) -> Result:
    """Run a batch. Items stream through ``jobs`` worker processes with a bounded number in flight, and the
    summaries are written a row at a time to temporary files that replace the last batch's only at the end,
    so memory grows only by the manifest's entries (a few hundred bytes a case), and an interrupted batch
    leaves the previous summaries intact and records the memos it finished, for the next run to keep.
    ``func`` does each item (default :func:`process`; a module-level function, for tests).

    :raises OutputError: when OUTDIR, the manifest or the summaries cannot be written (no summary replaced).
    :raises workers.WorkersFailed: when the worker processes cannot start.
    """
    make_dir(options.outdir)
    result = Result()
    manifest = Manifest.load(options.outdir)
    planner = _Planner(options, manifest)
    dirs = list(options.rules_dirs) if options.rules_dirs else None
    items = (planner.plan(item) for item in expand(inputs, dirs, mapping=mapping, ruleset=ruleset, strict=strict,
                                                   warn=lambda d: result.warnings.append(d.format()),
                                                   workspace=Workspace(dirs)))
    outcomes = _outcomes(items, options, jobs, func or process)
    seen: set[str] = set()
    # closing(outcomes): on Ctrl-C or SIGTERM the workers stop, each after the case it is on
    with _sigterm_interrupts(), Summaries(options.outdir) as summaries, closing(outcomes):
        try:
            for outcome in outcomes:
                seen.add(outcome.key)
                if outcome.status in ("written", "skipped"):
                    manifest.record(outcome.key, outcome.entry())
                result.add(outcome)
                summaries.add(outcome)
                if progress is not None:
                    progress(outcome)
        except BaseException:
            _record_for_resume(manifest, options.outdir)
            raise
        for key, entry in manifest.orphans(seen):
            orphan = _orphaned(key, entry)
            result.add(orphan)
            summaries.add(orphan)
        sync_folder(options.outdir)  # every memo's name on disk before the manifest and the summaries say so
        manifest.save()
        summaries.finish(result.totals)
    return result


def _record_for_resume(manifest: Manifest, outdir: Path) -> None:
    """Save the manifest of a batch that was stopped, so that the next run keeps the memos it finished."""
    try:
        sync_folder(outdir)
        manifest.save()
    except OutputError:
        pass  # the next run writes those memos again


@contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """While a batch runs, SIGTERM (``kill``, a service manager, a CI timeout) stops it as Ctrl-C does: the
    workers stop after their case, temporary files are removed, the memos finished are recorded. (Only the
    main thread may set a signal handler; elsewhere SIGTERM keeps its handling.)"""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, workers.terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)


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


class Summaries:
    """summary.csv, summary.json and index.html: written a row at a time as outcomes arrive, and put in place
    together at the end, or not at all (:class:`transferlaw.memo.output.Staged` says how far that holds)."""

    def __init__(self, outdir: Path) -> None:
        self.parts = index_parts()
        self.staged = Staged(outdir, SUMMARY_FILES)
        self.first = True

    def __enter__(self) -> Summaries:
        self.staged.__enter__()
        try:
            self.write("summary.csv", csvout.row(CSV_COLUMNS))
            self.write("summary.json", '{\n  "schema": "transferlaw.batch",\n  "schema_version": 2,\n  "items": [')
            self.write("index.html", str(self.parts.head()))
        except BaseException:
            self.staged.discard()
            raise
        return self

    def write(self, name: str, text: str) -> None:
        self.staged.write(name, text.encode("utf-8"))

    def add(self, o: Outcome) -> None:
        self.write("summary.csv", csvout.row([o.key, o.source, o.title, o.status, o.raised["high"],
                                              o.raised["medium"], o.raised["low"], o.undetermined, o.not_raised,
                                              " ".join(o.outputs), " | ".join(o.problems)]))
        item = json.dumps(o.summary(), ensure_ascii=False, indent=2).replace("\n", "\n    ")
        self.write("summary.json", ("\n    " if self.first else ",\n    ") + item)
        self.write("index.html", str(self.parts.row(o)))
        self.first = False

    def finish(self, totals: dict[str, int]) -> None:
        self.write("summary.json", f"\n  ],\n  \"totals\": {json.dumps(totals)}\n}}\n")
        self.write("index.html", str(self.parts.foot(totals)).rstrip("\n") + "\n")
        self.staged.commit()

    def __exit__(self, *exc: object) -> None:
        self.staged.discard()  # not committed: an error or an interruption


def estimate(inputs: Sequence[Path]) -> int:
    """About how many cases the inputs hold (case files, plus one per spreadsheet line), for a progress bar."""
    total = 0
    for path in inputs:
        if paths.is_dir(path):
            total += sum(1 for p in path.rglob("*") if p.suffix in (".yaml", ".yml") and not p.name.startswith("."))
        elif path.suffix.lower() == ".csv" and paths.is_file(path):  # not a FIFO or a device: never read those
            try:
                with path.open("rb") as handle:  # counted in chunks, up to about the size limit
                    chunks = itertools.islice(iter(lambda: handle.read(1 << 20), b""), MAX_CSV_BYTES >> 20)
                    total += max(0, sum(chunk.count(b"\n") for chunk in chunks) - 1)
            except OSError:
                total += 1
        else:
            total += 1
    return total


def default_jobs() -> int:
    """One worker per core."""
    return max(1, os.cpu_count() or 1)
