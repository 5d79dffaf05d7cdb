"""The command-line interface: thin click commands over :mod:`transferlaw.api`."""

from __future__ import annotations

import errno
import io
import json
import os
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from pathlib import Path
from typing import Any
from typing import TypeVar

import click

from . import __version__
from . import api
from .display import counted
from .errors import TransferlawError

F = TypeVar("F", bound=Callable[..., Any])


class UserError(click.ClickException):
    """A transferlaw error shown as located messages on stderr, exit code 1."""

    exit_code = 1

    def show(self, file: Any = None) -> None:
        click.echo(self.message, err=True)


def reports_errors(func: F) -> F:
    """Turn any :class:`TransferlawError` into exit 1 with its messages on stderr."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except TransferlawError as exc:
            raise UserError(exc.report()) from exc

    return wrapper  # type: ignore[return-value]


@dataclass
class Settings:
    """Options shared by every command."""

    rules: list[Path]


pass_settings = click.make_pass_decorator(Settings)

_rules_option = click.option(
    "--rules", "rules", multiple=True, type=click.Path(file_okay=False, path_type=Path),
    help="A rule-set directory, or a directory of rule sets (repeatable). Default: the bundled ones.",
)
_engine_option = click.option(
    "--engine", type=click.Choice(["auto", "durable", "python"]), default="auto", show_default=True,
    help="The rules engine; auto uses durable_rules and falls back to Python with a warning.",
)


class _Commands(click.Group):
    """The command group. Output that cannot be written (a full disk, ``ulimit -f``, /dev/full, a closed
    stdout) ends any command with one line and exit 1; a reader that went away (``| head``) ends it quietly,
    as other command-line tools do. A write that fails is never exit 0."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        try:
            try:
                return super().main(*args, **kwargs)  # ends in SystemExit, as click's standalone mode does
            finally:
                sys.stdout.flush()  # the end of the output can fail too: before the exit code is decided
        except OSError as exc:
            if exc.errno not in _WRITE_FAILURES or exc.filename is not None:
                raise  # not a write to standard output: a bug, to be reported with its traceback
            _silence_stdout()
            if exc.errno != errno.EPIPE:
                click.echo(f"transferlaw: cannot write to standard output: {exc.strerror}", err=True)
            sys.exit(1)


_WRITE_FAILURES = frozenset({errno.ENOSPC, errno.EFBIG, errno.EDQUOT, errno.EIO, errno.EBADF, errno.EPIPE,
                             errno.EROFS})


def _silence_stdout() -> None:
    """Send what is left in stdout's buffer to /dev/null, so that the exit does not fail again on it (the
    Python documentation's advice for a broken pipe)."""
    try:
        fileno = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # not a file: drop the stream, and what it still holds
        sys.stdout = io.StringIO()
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fileno)
    finally:
        os.close(devnull)


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="transferlaw")
@_rules_option
@click.pass_context
def cli(ctx: click.Context, rules: tuple[Path, ...]) -> None:
    """transferlaw: spot the legal issues in transferring a person from U.S. custody to a foreign prison.

    Rule sets (YAML) are evaluated against case files (YAML) and written up as memos.

    \b
    Example:
      transferlaw run cases/citizen-federal-no-consent.yaml
    """
    ctx.obj = Settings(rules=list(rules))


def _rules(settings: Settings, extra: tuple[Path, ...]) -> list[Path] | None:
    dirs = list(extra) + settings.rules
    return dirs or None


def _engine(choice: api.EngineChoice = "auto") -> api.EngineChoice:
    """The engine that will decide; when durable_rules cannot load, say so once on stderr, with the fix."""
    name, warning = api.choose_engine(choice)
    if warning:
        click.echo(warning, err=True)
    return name


def memo_options(func: F) -> F:
    """--to, --from, --re, --privileged and --legend: the memo heading, over the case's `memo:` block."""
    for option in reversed([
        click.option("--to", "memo_to", metavar="TEXT", help="The memo's To: line."),
        click.option("--from", "memo_from", metavar="TEXT", help="The memo's From: line."),
        click.option("--re", "memo_re", metavar="TEXT", help="The memo's Re: line."),
        click.option("--privileged", "memo_privileged", is_flag=True,
                     help="Print the privilege legend (attorney work product) in the header."),
        click.option("--legend", "memo_legend", metavar="TEXT", help="A privilege legend of your own."),
    ]):
        func = option(func)
    return func


def memo_meta(memo_to: str | None = None, memo_from: str | None = None, memo_re: str | None = None,
              memo_privileged: bool = False, memo_legend: str | None = None) -> api.MemoMeta | None:
    """The heading overrides given on the command line, or None."""
    legend = memo_legend or (api.DEFAULT_LEGEND if memo_privileged else None)
    if not any((memo_to, memo_from, memo_re, legend)):
        return None
    return api.MemoMeta(to=memo_to, sender=memo_from, re=memo_re, privileged=legend)


@cli.command()
@click.argument("case", type=click.Path(dir_okay=False, allow_dash=True, path_type=str))
@_rules_option
@click.option("--format", "-f", "fmt", type=click.Choice(list(api.FORMATS)),
              help="Memo format (default: the suffix of -o, else md).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the memo to this file (atomically) instead of stdout; .md, .html, .json or .docx.")
@click.option("--force", is_flag=True, help="Overwrite the output file if it exists.")
@click.option("--date", metavar="YYYY-MM-DD", help="The memo's date (default: the case's as_of).")
@click.option("--templates", type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="A directory of memo templates that override the bundled ones.")
@_engine_option
@memo_options
@pass_settings
@reports_errors
def run(settings: Settings, /, case: str, rules: tuple[Path, ...], fmt: str | None, output: Path | None,
        force: bool, date: str | None, templates: Path | None, engine: api.EngineChoice, **memo: Any) -> None:
    """Evaluate CASE (a case file, or - for stdin) and print its memo, or write it to -o FILE.

    The format is -f, else the one FILE's name ends in (.md, .html, .json, .docx), else Markdown.

    The heading's To / From / Re and a privilege legend come from the case's `memo:` block, or from
    --to / --from / --re / --privileged / --legend.

    \b
    Example:
      transferlaw run cases/citizen-federal-no-consent.yaml -o memo.html
      transferlaw run cases/pretrial-detainee.yaml -o memo.docx --to "Supervising attorney" --privileged
      cat case.yaml | transferlaw run - --format json
    """
    fmt = _memo_format(fmt, output)
    engine = _engine(engine)
    text = api.read_stdin() if case == "-" else None
    loaded, ruleset = api.load_case(case, _rules(settings, rules), text)
    evaluation = api.evaluate_case(loaded, ruleset, engine)
    data = api.render_memo_bytes(evaluation, fmt, date, templates, memo_meta(**memo))
    if output is not None:
        api.write_output(output, data, force)
        click.echo(f"wrote {output}", err=True)
    elif fmt == "docx" and sys.stdout.isatty():
        raise click.UsageError("a Word memo is binary: write it with -o FILE.docx")
    else:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()


def _memo_format(fmt: str | None, output: Path | None) -> str:
    """The memo format: -f, else the suffix of -o, else md; a name that says another format is a usage error."""
    named = api.format_of_name(output) if output is not None else None
    if fmt is None and output is not None and named is None:
        raise click.UsageError(f"cannot tell the memo's format from '{output}': name it .md, .html, .json or "
                               f".docx, or give -f {'|'.join(api.FORMATS)}")
    if fmt is not None and named is not None and named != fmt:
        raise click.UsageError(f"-f {fmt} does not match '{output}' (a {named} file): drop -f, or give a name "
                               f"ending in .{fmt}")
    return fmt or named or "md"


@cli.command()
@_rules_option
@pass_settings
@reports_errors
def rulesets(settings: Settings, rules: tuple[Path, ...]) -> None:
    """List the available rule sets: id, title, version and as-of date.

    \b
    Example:
      transferlaw rulesets
      transferlaw rulesets --rules my-rules/
    """
    found = api.find_rulesets(_rules(settings, rules))
    rows, problems = [], []
    for ident, path in sorted(found.items()):
        try:
            ruleset = api.load_ruleset(path)
        except TransferlawError as exc:  # list the others, report this one, fail at the end
            problems.append(exc.report())
            rows.append((ident, "-", "-", "(does not load: see the errors below)"))
            continue
        rows.append((ident, ruleset.version, ruleset.as_of.isoformat(), ruleset.title))
    if not rows:
        click.echo("no rule sets found", err=True)
        return
    width = max(len(r[0]) for r in rows)
    click.echo(f"{'ID'.ljust(width)}  VERSION  AS OF       TITLE")
    for ident, version, as_of, title in rows:
        click.echo(f"{ident.ljust(width)}  {version.ljust(7)}  {as_of.ljust(10)}  {title}")
    if problems:
        raise UserError("\n".join(problems))


@cli.command()
@click.argument("ruleset")
@_rules_option
@click.option("-k", "select", multiple=True, help="Run only tests whose name contains this text.")
@click.option("--coverage", "show_coverage", is_flag=True,
              help="Report which statuses and condition branches the tests exercise.")
@click.option("--fail-under", type=click.FloatRange(0, 100), metavar="PERCENT",
              help="With --coverage: fail (exit 1) if coverage is below PERCENT.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@_engine_option
@pass_settings
@reports_errors
def test(settings: Settings, ruleset: str, rules: tuple[Path, ...], select: tuple[str, ...],
         show_coverage: bool, fail_under: float | None, fmt: str, engine: api.EngineChoice) -> None:
    """Run the tests of RULESET (an id or a directory) and report what fails.

    \b
    Example:
      transferlaw test foreign-prison-transfer
      transferlaw test rules/foreign-prison-transfer -k pretrial
      transferlaw test rules/my-rules --coverage --fail-under 90
    """
    engine = _engine(engine)
    loaded, tests = api.load_tests(ruleset, _rules(settings, rules))
    results = api.run_tests(loaded, tests, engine, select)
    failed = [r for r in results if not r.passed]
    measured = api.measure_coverage(loaded, [r.test for r in results]) if show_coverage else None
    if fmt == "json":
        click.echo(json.dumps({
            "ruleset": loaded.id, "passed": len(results) - len(failed), "failed": len(failed),
            "tests": [{"name": r.test.name, "position": str(r.test.pos), "passed": r.passed,
                       "failures": list(r.failures)} for r in results],
            "coverage": measured.as_json() if measured else None,
        }, indent=2))
    else:
        for result in results:
            click.echo(f"{'ok  ' if result.passed else 'FAIL'} {result.test.name}")
            for failure in result.failures:
                click.echo(f"     {result.test.pos}: {failure}")
        if measured is not None:
            click.echo(api.coverage_report(measured))
        click.echo(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    if failed:
        raise SystemExit(1)
    if measured is not None and fail_under is not None and measured.percent < fail_under:
        click.echo(f"coverage {measured.percent:.1f}% is below --fail-under {fail_under:g}%", err=True)
        raise SystemExit(1)


@cli.command()
@click.argument("rulesets", nargs=-1, required=True)
@_rules_option
@click.option("--strict", is_flag=True, help="Fail (exit 1) on warnings too.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@pass_settings
@reports_errors
def check(settings: Settings, rulesets: tuple[str, ...], rules: tuple[Path, ...], strict: bool, fmt: str) -> None:
    """Check RULESETS (ids or directories) for errors and for what an author should fix.

    Errors: anything that stops the rule set loading, its tests loading, or the engine taking it. Warnings:
    unused questions, conclusions and authorities; conditions that can never be true or are always true;
    issues with equivalent conditions; a high-severity issue without a real counterargument; unverified
    authorities that are cited. Exit 1 on errors (and with --strict on warnings), else 0.

    \b
    Example:
      transferlaw check rules/my-rules
      transferlaw check foreign-prison-transfer --strict --format json
    """
    reports = [api.check_ruleset(ref, _rules(settings, rules)) for ref in rulesets]
    if fmt == "json":
        click.echo(json.dumps([{
            "ruleset": r.path, "errors": len(r.errors), "warnings": len(r.warnings),
            "diagnostics": [{"path": d.pos.path, "line": d.pos.line, "column": d.pos.col, "severity": d.severity,
                             "message": d.message, "hint": d.hint} for d in r.diagnostics],
        } for r in reports], indent=2))
    else:
        for report in reports:
            for diagnostic in report.diagnostics:
                click.echo(diagnostic.format(), err=diagnostic.severity == "error")
            click.echo(f"{report.path}: {counted(len(report.errors), 'errors')}, "
                       f"{counted(len(report.warnings), 'warnings')}")
    failing = any(r.errors or (strict and r.warnings) for r in reports)
    if failing:
        raise SystemExit(1)


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite files the scaffold would write.")
@reports_errors
def new(directory: Path, force: bool) -> None:
    """Create a working rule set in DIRECTORY (its name is the rule set's id), ready to edit.

    It passes `transferlaw check` and `transferlaw test` as generated, and every file points editors at the
    JSON Schemas for completion.

    \b
    Example:
      transferlaw new rules/my-rules
      transferlaw check rules/my-rules && transferlaw test rules/my-rules
    """
    for path in api.new_ruleset(directory, force):
        click.echo(f"wrote {path}")


@cli.command()
@click.argument("kind", type=click.Choice(["ruleset", "case"]), default="ruleset")
@reports_errors
def schema(kind: str) -> None:
    """Print the JSON Schema of rule-set files (ruleset) or case files (case), for editors.

    \b
    Example:
      transferlaw schema ruleset > ruleset.schema.json
      transferlaw schema case > case.schema.json
    """
    click.echo(api.schema(kind), nl=False)


_case_argument = click.argument("case", type=click.Path(dir_okay=False, allow_dash=True, path_type=str))
_format_option = click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
                              show_default=True)


def _load(settings: Settings, case: str, rules: tuple[Path, ...]) -> tuple[Any, Any]:
    text = api.read_stdin() if case == "-" else None
    return api.load_case(case, _rules(settings, rules), text)


@cli.command()
@_case_argument
@click.argument("ident", metavar="ISSUE")
@_rules_option
@_format_option
@_engine_option
@pass_settings
@reports_errors
def explain(settings: Settings, case: str, ident: str, rules: tuple[Path, ...], fmt: str,
            engine: api.EngineChoice) -> None:
    """Show why ISSUE (an issue or conclusion id) is raised, not raised or undetermined for CASE.

    Every node of its condition is shown with its value, down to the facts (with their questions and
    answers) and the conclusions beneath it; a not-raised issue says which elements failed it.

    \b
    Example:
      transferlaw explain cases/pretrial-detainee.yaml sixth_amendment_trial_rights
      transferlaw explain cases/many-unknowns.yaml us_citizen --format json
    """
    engine = _engine(engine)
    loaded, ruleset = _load(settings, case, rules)
    evaluation = api.evaluate_case(loaded, ruleset, engine)
    explained = api.explain_finding(evaluation, ident)
    if fmt == "json":
        click.echo(json.dumps(api.explanation_json(explained, evaluation), indent=2, ensure_ascii=False))
    else:
        click.echo(api.explanation_text(explained, evaluation))


@cli.command()
@_case_argument
@click.option("--set", "settings_", multiple=True, required=True, metavar="FACT=VALUE",
              help="Change one fact (repeatable); VALUE is written as in a case file, or 'unknown'.")
@_rules_option
@_format_option
@_engine_option
@pass_settings
@reports_errors
def whatif(settings: Settings, case: str, settings_: tuple[str, ...], rules: tuple[Path, ...], fmt: str,
           engine: api.EngineChoice) -> None:
    """Show which findings of CASE would change if some facts were different (the file is not edited).

    \b
    Example:
      transferlaw whatif cases/citizen-federal-no-consent.yaml --set consent_given=true
      transferlaw whatif cases/many-unknowns.yaml --set citizenship=lpr --set "other_nationalities=[salvadoran]"
    """
    engine = _engine(engine)
    loaded, ruleset = _load(settings, case, rules)
    _, _, changed = api.what_if(loaded, ruleset, settings_, engine)
    titles = {i.id: i.title for i in ruleset.issues}
    if fmt == "json":
        click.echo(json.dumps({"set": list(settings_), "changes": [
            {"issue": c.issue, "title": titles[c.issue], "before": c.before, "after": c.after} for c in changed]},
            indent=2, ensure_ascii=False))
        return
    if not changed:
        click.echo("no finding changes")
    for change in changed:
        click.echo(f"{change.issue}: {change.before} -> {change.after}  ({titles[change.issue]})")


@cli.command()
@_case_argument
@_rules_option
@_format_option
@pass_settings
@reports_errors
def sensitivity(settings: Settings, case: str, rules: tuple[Path, ...], fmt: str) -> None:
    """Show, for each fact of CASE, which other answers would change which findings.

    For an answered fact, every other answer (and "unknown") is tried; for an unknown fact, every answer.

    \b
    Example:
      transferlaw sensitivity cases/lpr-state-appeal-pending.yaml
    """
    _engine()  # sensitivity is worked out by the Python evaluator; the notice is the same everywhere
    loaded, ruleset = _load(settings, case, rules)
    found = api.fact_sensitivity(loaded, ruleset)
    if fmt == "json":
        click.echo(json.dumps(api.sensitivity_json(found, ruleset), indent=2, ensure_ascii=False))
    else:
        click.echo(api.sensitivity_text(found, ruleset, loaded))


@cli.command()
@click.argument("ruleset")
@_rules_option
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="The case file to write (saved after every answer).")
@click.option("--resume", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="Continue an interview saved in this case file (and keep saving to it unless -o).")
@click.option("--title", help="The case's title (asked for if not given).")
@click.option("--force", is_flag=True, help="Overwrite -o if it exists.")
@pass_settings
@reports_errors
def interview(settings: Settings, ruleset: str, rules: tuple[Path, ...], output: Path | None,
              resume: Path | None, title: str | None, force: bool) -> None:
    """Build a case for RULESET by answering one question at a time.

    The next question is always the one that could decide the most undetermined findings; questions whose
    answer can no longer matter are never asked. Type ? for help, 'unknown' (or just Enter) to skip, 'quit'
    to stop. The case file is saved after every answer, so nothing is lost; --resume continues it.

    \b
    Example:
      transferlaw interview foreign-prison-transfer -o cases/new-client.yaml
      transferlaw interview foreign-prison-transfer --resume cases/new-client.yaml
    """
    target = output or resume
    if target is None:
        raise click.UsageError("give -o CASE (a new case file) or --resume CASE")
    if output is not None and output.exists() and not force and output != resume:
        raise UserError(f"{output}: already exists (use --force to overwrite, or --resume to continue it)")
    _engine()  # the interview's findings come from the Python evaluator; the notice is the same everywhere
    loaded = api.load_ruleset(ruleset, _rules(settings, rules))
    try:  # line editing and history for the prompts (click.prompt reads with input()), where Python has it
        import readline  # noqa: F401
    except ImportError:  # pragma: no cover - e.g. Windows
        pass
    result = api.interview(loaded, ask=_ask, say=click.echo, save=lambda text: api.write_output(target, text, True),
                           resume=resume, title=title)
    click.echo(f"{'case' if result.finished else 'interview saved'}: {target}")


@cli.command()
@_case_argument
@click.argument("answers", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--class", "class_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Grade every answer file in this folder (.yaml, .yml, .txt, .md) into one CSV.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="With --class: write the CSV here (a name ending in .csv).")
@click.option("--force", is_flag=True, help="Overwrite -o if it exists.")
@_rules_option
@_format_option
@_engine_option
@pass_settings
@reports_errors
def grade(settings: Settings, case: str, answers: Path | None, class_dir: Path | None, output: Path | None,
          force: bool, rules: tuple[Path, ...], fmt: str, engine: api.EngineChoice) -> None:
    """Grade a student's list of issues for CASE (ANSWERS) against the issues the engine raises.

    ANSWERS is a text file (one issue per line) or YAML (a list, or {student, issues}); entries may be issue
    ids, titles or paraphrases, fuzzy-matched with a report of what matched what. Prints hits, misses (by
    severity), false alarms, precision, recall and a severity-weighted score.

    \b
    Example:
      transferlaw grade cases/citizen-federal-no-consent.yaml answers/ada.txt
      transferlaw grade cases/citizen-federal-no-consent.yaml --class answers/ -o grades.csv
    """
    if (answers is None) == (class_dir is None):
        raise click.UsageError("give either ANSWERS (one file) or --class DIR")
    if output is not None and class_dir is None:
        raise click.UsageError("-o writes the class's CSV: use it with --class DIR (one file's grade is printed)")
    if output is not None and output.suffix.lower() != ".csv":
        raise click.UsageError("the class's grades are CSV: give -o a name ending in .csv")
    engine = _engine(engine)
    loaded, ruleset = _load(settings, case, rules)
    evaluation = api.evaluate_case(loaded, ruleset, engine)
    if answers is not None:
        result = api.grade_answers(evaluation, answers)
        if fmt == "json":
            click.echo(json.dumps(api.grade_json(result), indent=2, ensure_ascii=False))
        else:
            click.echo(api.grade_text(result))
        return
    assert class_dir is not None
    grades, problems = api.grade_class(evaluation, class_dir)
    table = api.class_csv(grades)
    if output is None:
        click.echo(table, nl=False)
    else:
        api.write_output(output, table, force)
        click.echo(f"graded {counted(len(grades), 'answer files')}: {output}")
    for problem in problems:
        click.echo(problem.format(), err=True)
    if any(p.severity == "error" for p in problems):
        raise SystemExit(1)


@cli.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-o", "--outdir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="The folder for the memos and the summaries.")
@click.option("--format", "-f", "formats", default="md", show_default=True, metavar="md,html,docx,json",
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
@_rules_option
@_engine_option
@memo_options
@pass_settings
@reports_errors
def batch(settings: Settings, /, inputs: tuple[Path, ...], outdir: Path, formats: str, jobs: int | None,
          timeout: float, force: bool, mapping: Path | None, strict: bool, ruleset_id: str | None,
          date: str | None, rules: tuple[Path, ...], engine: api.EngineChoice, **memo: Any) -> None:
    """Write memos for many cases: case files, folders of them, or spreadsheets (CSV, one case per row).

    Every memo is written atomically to OUTDIR/<name>-<hash>.<format>: its name comes from its own source
    (the case file's name, or the row's id or number) and a short hash of where that source is, never from
    the other inputs. OUTDIR/.transferlaw-manifest.json records what each memo was made from: the case or
    row, the rule set, the transferlaw version, the memo options (--date, --to, --from, --re, --privileged,
    --legend) and the engine. A memo is kept (up to date, so an interrupted batch resumes) while all of that
    is unchanged, and rewritten when any of it changes, or with --force. A bad file or row is reported and the
    batch goes on; the exit code is 1 at the end if anything failed. OUTDIR also gets summary.csv,
    summary.json and index.html (one row per case, with links to its memos), replaced together or not at
    all; a memo in OUTDIR whose source is not among the inputs is listed there as orphaned.

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
    engine = _engine(engine)  # decided once here: every worker uses the same engine
    dirs = _rules(settings, rules)
    options = api.batch_options(outdir=outdir, formats=chosen, rules_dirs=tuple(dirs) if dirs else None,
                                force=force, date=date, meta=memo_meta(**memo), engine=engine,
                                timeout=timeout or None)
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


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="The address to listen on; anything but a loopback address lets other computers in.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="The port (0: any free port).")
@click.option("--state", "state_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Where interviews are kept (default: $XDG_STATE_HOME/transferlaw/web).")
@_rules_option
@pass_settings
@reports_errors
def serve(settings: Settings, host: str, port: int, state_dir: Path | None, rules: tuple[Path, ...]) -> None:
    """Start the web app: the guided interview, live findings and the memo in a browser.

    Everything runs on this machine: pages, styles and scripts are served by the app itself, and interviews
    are kept in a small database under --state, so they survive a reload and a restart.

    \b
    Example:
      transferlaw serve
      transferlaw serve --port 8080 --rules my-rules/
    """
    _engine()
    api.serve(host, port, _rules(settings, rules), state_dir, say=click.echo)


def _ask(hint: str) -> str:
    """Read one answer; end of input counts as quitting (the interview saves and stops)."""
    try:
        return str(click.prompt(hint.rstrip(), default="", show_default=False, prompt_suffix=" "))
    except click.Abort:
        raise EOFError from None


def main() -> None:
    """Entry point of the ``transferlaw`` console script."""
    if hasattr(signal, "SIGXFSZ"):  # past `ulimit -f`, a write fails (EFBIG, reported) instead of killing us
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    sys.stdout = api.whole_stdout(sys.stdout)  # a full disk or a file size limit fails, never cuts the output
    cli(prog_name="transferlaw")
