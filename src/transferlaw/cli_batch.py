"""The ``batch`` command: memos for many cases, from case files, folders and spreadsheets."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from . import api
from .cli_common import Settings
from .cli_common import decided_engine
from .cli_common import detail_option
from .cli_common import engine_option
from .cli_common import memo_meta
from .cli_common import memo_options
from .cli_common import reports_errors
from .cli_common import rules_dirs
from .cli_common import rules_option


@click.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-o", "--outdir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="The folder for the memos and the summaries.")
@click.option("--format", "-f", "formats", default="md", show_default=True, metavar="md,html,docx,pdf,json",
              help="Comma-separated memo formats.")
@click.option("--jobs", "-j", type=click.IntRange(1, 64), default=None,
              help="Worker processes (default: one per core); results are identical for any number.")
@click.option("--timeout", type=click.FloatRange(min=0), default=120, show_default=True, metavar="SECONDS",
              help="Stop a case that runs longer than this and report it failed (0: no limit).")
@click.option("--force", is_flag=True, help="Rewrite every memo, even those that are up to date.")
@click.option("--mapping", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="YAML that renames spreadsheet columns to question ids, skips columns and translates values "
                   "(docs/batch.md).")
@click.option("--strict", is_flag=True,
              help="A spreadsheet column that is no question (nor mapped, nor skipped) fails its file, instead of "
                   "being ignored with a warning.")
@click.option("--ruleset", "ruleset_id", metavar="ID", help="The rule set for spreadsheets without a 'ruleset' column.")
@click.option("--date", metavar="YYYY-MM-DD", help="The memos' date (default: each case's as_of).")
@detail_option
@rules_option
@engine_option
@memo_options
@click.pass_obj
@reports_errors
def batch(settings: Settings, /, inputs: tuple[Path, ...], outdir: Path, formats: str, jobs: int | None,
          timeout: float, force: bool, mapping: Path | None, strict: bool, ruleset_id: str | None,
          date: str | None, detail: str, rules: tuple[Path, ...], engine: api.EngineChoice, **memo: Any) -> None:
    """Write memos for many cases: case files, folders of them, or spreadsheets (CSV, one case per row).

    Every memo is written atomically to OUTDIR/<name>-<hash>.<format>: its name comes from its own source (the case
    file's name, or the row's id or number) and a short hash of where that source is, never from the other inputs.
    OUTDIR/.transferlaw-manifest.json records what each memo was made from: the case or row, the rule set, the
    transferlaw version, the memo options (--date, --detail, --to, --from, --re, --privileged, --legend) and the
    engine. A memo is kept (up to date, so an interrupted batch resumes) while all of that is unchanged, and
    rewritten when any of it changes, or with --force. A bad file or row is reported and the batch goes on; the
    exit code is 1 at the end if anything failed. OUTDIR also gets summary.csv, summary.json and index.html (one
    row per case, with links to its memos), replaced together or not at all; a memo in OUTDIR whose source is not
    among the inputs is listed there as orphaned.

    Cases run in worker processes, also with -j 1: a case that crashes its worker (a segfault in the rules
    engine, say) or runs longer than --timeout is reported failed, a new worker takes over, and every other
    memo is still written.

    A spreadsheet's header row names a question id (or ruleset, title, as_of, id, notes) per column. A mapping
    file (--mapping, YAML; see docs/batch.md) renames other headers under columns:, lists columns to ignore
    under skip:, and translates answers under values:

    \b
      columns: {Client ref: id, Held by: custodian, Phone: }
      skip: [Remarks]
      values: {custodian: {BOP: federal_bop, County jail: state}}

    Any other column is ignored with a warning naming it (clients.csv:1:7: warning: column 'remarks' ...);
    --strict makes it an error that fails the file.

    \b
    Example:
      transferlaw batch cases/ -o memos/ --format md,html,docx
      transferlaw batch clients.csv --ruleset foreign-prison-transfer --mapping columns.yaml -o memos/ -j 2
    """
    chosen = tuple(f.strip() for f in formats.split(",") if f.strip())
    unknown = [f for f in chosen if f not in api.FORMATS]
    if not chosen or unknown:
        raise click.UsageError(f"unknown format {', '.join(unknown) or formats!r}; "
                               f"choose from {', '.join(api.FORMATS)}")
    engine = decided_engine(engine)  # decided once here: every worker uses the same engine
    dirs = rules_dirs(settings, rules)
    options = api.batch_options(outdir=outdir, formats=chosen, rules_dirs=tuple(dirs) if dirs else None,
                                force=force, date=date, meta=memo_meta(**memo), engine=engine,
                                timeout=timeout, detail=detail)
    with click.progressbar(length=api.estimate_batch(inputs), label="cases", file=sys.stderr, show_pos=True,
                           hidden=not sys.stderr.isatty()) as bar:
        result = api.run_batch(list(inputs), options, jobs=jobs or api.default_jobs(), mapping=mapping,
                               ruleset=ruleset_id, progress=lambda _: bar.update(1), strict=strict)
    for warning in result.warnings:
        click.echo(warning, err=True)
    for outcome in result.failed:
        for problem in outcome.problems:
            click.echo(problem, err=True)
    orphaned = f", {result.count('orphaned')} orphaned" if result.count("orphaned") else ""
    click.echo(f"{result.count('written')} written, {result.count('skipped')} up to date, "
               f"{len(result.failed)} failed{orphaned}: {outdir / 'index.html'}")
    if result.failed:
        raise SystemExit(1)
