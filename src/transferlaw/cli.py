"""The command-line interface: thin click commands over :mod:`transferlaw.api`, printing
:mod:`transferlaw.tools.views`."""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from typing import Any

import click

from . import api
from ._version import __version__
from .cli_batch import batch as batch
from .cli_common import Commands
from .cli_common import Settings
from .cli_common import UserError as UserError
from .cli_common import ask
from .cli_common import case_argument
from .cli_common import decided_engine
from .cli_common import detail_option
from .cli_common import engine_option
from .cli_common import format_option
from .cli_common import load_case
from .cli_common import memo_format
from .cli_common import memo_meta
from .cli_common import memo_options
from .cli_common import pass_settings
from .cli_common import reports_errors
from .cli_common import rules_dirs
from .cli_common import rules_option
from .language.errors import TransferlawError
from .language.words import counted
from .tools import views


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="transferlaw")
@rules_option
@click.pass_context
def cli(ctx: click.Context, rules: tuple[Path, ...]) -> None:
    """transferlaw: spot the legal issues in transferring a person from U.S. custody to a foreign prison.

    Rule sets (YAML) are evaluated against case files (YAML) and written up as memos.

    \b
    Example:
      transferlaw run cases/citizen-federal-no-consent.yaml
    """
    ctx.obj = Settings(rules=list(rules), workspace=api.Workspace(list(rules) or None))


@cli.command()
@click.argument("case", type=click.Path(dir_okay=False, allow_dash=True, path_type=str))
@rules_option
@click.option("--format", "-f", "fmt", type=click.Choice(list(api.FORMATS)),
              help="Memo format (default: the suffix of -o, else md).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the memo to this file (atomically) instead of stdout; .md, .html, .json, .docx or .pdf.")
@click.option("--force", is_flag=True, help="Overwrite the output file if it exists.")
@click.option("--date", metavar="YYYY-MM-DD", help="The memo's date (default: the case's as_of).")
@click.option("--templates", type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="A directory of memo templates that override the bundled ones.")
@detail_option
@engine_option
@memo_options
@pass_settings
@reports_errors
def run(settings: Settings, /, case: str, rules: tuple[Path, ...], fmt: str | None, output: Path | None,
        force: bool, date: str | None, templates: Path | None, detail: str, engine: api.EngineChoice,
        **memo: Any) -> None:
    """Evaluate CASE (a case file, or - for stdin) and print its memo, or write it to -o FILE.

    The format is -f if given, else the one FILE's suffix names (.md, .html, .json, .docx, .pdf), else Markdown.

    The heading's To / From / Re and a privilege legend come from the case's `memo:` block, or from
    --to / --from / --re / --privileged / --legend.

    \b
    Example:
      transferlaw run cases/citizen-federal-no-consent.yaml -o memo.html
      transferlaw run cases/pretrial-detainee.yaml -o memo.docx --to "Supervising attorney" --privileged
      transferlaw run cases/many-unknowns.yaml --detail brief
      cat case.yaml | transferlaw run - --format json
    """
    fmt = memo_format(fmt, output)
    engine = decided_engine(engine)
    text = api.read_stdin() if case == "-" else None
    workspace = settings.workspace
    loaded, ruleset = api.load_case(case, rules_dirs(settings, rules), text, workspace=workspace)
    evaluation = api.evaluate_case(loaded, ruleset, engine, workspace=workspace)
    data = api.render_memo_bytes(evaluation, fmt, date, templates, memo_meta(**memo), workspace=workspace,
                                 detail=detail)
    if output is not None:
        api.write_output(output, data, force)
        click.echo(f"wrote {output}", err=True)
    elif fmt in ("docx", "pdf") and sys.stdout.isatty():
        kind = "a Word" if fmt == "docx" else "a PDF"
        raise click.UsageError(f"{kind} memo is binary: write it with -o FILE.{fmt}")
    else:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()


@cli.command()
@rules_option
@pass_settings
@reports_errors
def rulesets(settings: Settings, rules: tuple[Path, ...]) -> None:
    """List the available rule sets: id, title, version and as-of date.

    \b
    Example:
      transferlaw rulesets
      transferlaw rulesets --rules my-rules/
    """
    found = api.find_rulesets(rules_dirs(settings, rules))
    rows, problems = [], []
    for ident, path in sorted(found.items()):
        try:
            ruleset = api.load_ruleset(path, workspace=settings.workspace)
        except TransferlawError as exc:  # list the others, report this one, fail at the end
            problems.append(exc.report())
            rows.append((ident, "-", "-", "(does not load: see the errors below)"))
            continue
        rows.append((ident, ruleset.version, ruleset.as_of.isoformat(), ruleset.title))
    if not rows:
        click.echo("no rule sets found", err=True)
        return
    click.echo(views.rulesets_text(rows))
    if problems:
        raise UserError("\n".join(problems))


@cli.command()
@click.argument("ruleset")
@rules_option
@click.option("-k", "select", multiple=True, help="Run only tests whose name contains this text.")
@click.option("--coverage", "show_coverage", is_flag=True,
              help="Report which statuses and condition branches the tests exercise.")
@click.option("--fail-under", type=click.FloatRange(0, 100), metavar="PERCENT",
              help="With --coverage: fail (exit 1) if coverage is below PERCENT.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@engine_option
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
    engine = decided_engine(engine)
    loaded, tests = api.load_tests(ruleset, rules_dirs(settings, rules), workspace=settings.workspace)
    results = api.run_tests(loaded, tests, engine, select, workspace=settings.workspace)
    failed = [r for r in results if not r.passed]
    measured = api.measure_coverage(loaded, [r.test for r in results]) if show_coverage else None
    if fmt == "json":
        click.echo(views.dumps(views.tests_json(loaded, results, measured), ascii_only=True))
    else:
        click.echo(views.tests_text(results, measured))
    if failed:
        raise SystemExit(1)
    if measured is not None and fail_under is not None and measured.percent < fail_under:
        click.echo(f"coverage {measured.percent:.1f}% is below --fail-under {fail_under:g}%", err=True)
        raise SystemExit(1)


@cli.command()
@click.argument("rulesets", nargs=-1, required=True)
@rules_option
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
    reports = [api.check_ruleset(ref, rules_dirs(settings, rules)) for ref in rulesets]
    if fmt == "json":
        click.echo(views.dumps(views.check_json(reports), ascii_only=True))
    else:
        for report in reports:
            for diagnostic in report.diagnostics:
                click.echo(diagnostic.format(), err=diagnostic.severity == "error")
            click.echo(views.check_summary(report))
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


@cli.command()
@case_argument
@click.argument("ident", metavar="ISSUE")
@rules_option
@format_option
@engine_option
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
    engine = decided_engine(engine)
    loaded, ruleset = load_case(settings, case, rules)
    evaluation = api.evaluate_case(loaded, ruleset, engine, workspace=settings.workspace)
    explained = api.explain_finding(evaluation, ident)
    if fmt == "json":
        click.echo(views.dumps(views.explanation_json(explained, evaluation)))
    else:
        click.echo(views.explanation_text(explained, evaluation))


@cli.command()
@case_argument
@click.option("--set", "settings_", multiple=True, required=True, metavar="FACT=VALUE",
              help="Change one fact (repeatable); VALUE is written as in a case file, or 'unknown'.")
@rules_option
@format_option
@engine_option
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
    engine = decided_engine(engine)
    loaded, ruleset = load_case(settings, case, rules)
    _, _, changed = api.what_if(loaded, ruleset, settings_, engine, workspace=settings.workspace)
    if fmt == "json":
        click.echo(views.dumps(views.whatif_json(settings_, changed, ruleset)))
    else:
        click.echo(views.whatif_text(changed, ruleset))


@cli.command()
@case_argument
@rules_option
@format_option
@pass_settings
@reports_errors
def sensitivity(settings: Settings, case: str, rules: tuple[Path, ...], fmt: str) -> None:
    """Show, for each fact of CASE, which other answers would change which findings.

    For an answered fact, every other answer (and "unknown") is tried; for an unknown fact, every answer.

    \b
    Example:
      transferlaw sensitivity cases/lpr-state-appeal-pending.yaml
    """
    decided_engine()  # sensitivity is worked out by the Python evaluator; the notice is the same everywhere
    loaded, ruleset = load_case(settings, case, rules)
    found = api.fact_sensitivity(loaded, ruleset)
    if fmt == "json":
        click.echo(views.dumps(views.sensitivity_json(found, ruleset)))
    else:
        click.echo(views.sensitivity_text(found, ruleset, loaded))


@cli.command()
@click.argument("ruleset")
@rules_option
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
    decided_engine()  # the interview's findings come from the Python evaluator; the notice is the same everywhere
    loaded = api.load_ruleset(ruleset, rules_dirs(settings, rules), workspace=settings.workspace)
    try:  # line editing and history for the prompts (click.prompt reads with input()), where Python has it
        import readline  # noqa: F401
    except ImportError:  # pragma: no cover - e.g. Windows
        pass
    result = api.interview(loaded, ask=ask, say=click.echo, save=lambda text: api.write_output(target, text, True),
                           resume=resume, title=title)
    click.echo(f"{'case' if result.finished else 'interview saved'}: {target}")


@cli.command()
@case_argument
@click.argument("answers", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--class", "class_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Grade every answer file in this folder (.yaml, .yml, .txt, .md) into one CSV.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="With --class: write the CSV here (a name ending in .csv).")
@click.option("--force", is_flag=True, help="Overwrite -o if it exists.")
@rules_option
@format_option
@engine_option
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
    engine = decided_engine(engine)
    loaded, ruleset = load_case(settings, case, rules)
    evaluation = api.evaluate_case(loaded, ruleset, engine, workspace=settings.workspace)
    if answers is not None:
        result = api.grade_answers(evaluation, answers)
        if fmt == "json":
            click.echo(views.dumps(views.grade_json(result)))
        else:
            click.echo(views.grade_text(result))
        return
    assert class_dir is not None
    grades, problems = api.grade_class(evaluation, class_dir)
    table = views.class_csv(grades)
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
@click.option("--host", default="127.0.0.1", show_default=True,
              help="The address to listen on; anything but a loopback address lets other computers in.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="The port (0: any free port).")
@click.option("--state", "state_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Where interviews are kept (default: $XDG_STATE_HOME/transferlaw/web).")
@rules_option
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
    engine = decided_engine()  # decided once, with the notice once: every page uses it
    from .web import server  # Flask loads only for `serve`

    server.serve(host, port, rules_dirs(settings, rules), state_dir, click.echo, engine)


cli.add_command(batch)


def main() -> None:
    """Entry point of the ``transferlaw`` console script."""
    if hasattr(signal, "SIGXFSZ"):  # past `ulimit -f`, a write fails (EFBIG, reported) instead of killing us
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    sys.stdout = api.whole_stdout(sys.stdout)  # a full disk or a file size limit fails, never cuts the output
    cli(prog_name="transferlaw")
