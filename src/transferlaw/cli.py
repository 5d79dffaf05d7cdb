"""The command-line interface: thin click commands over :mod:`transferlaw.api`."""

from __future__ import annotations

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


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
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


@cli.command()
@click.argument("case", type=click.Path(dir_okay=False, allow_dash=True, path_type=str))
@_rules_option
@click.option("--format", "-f", "fmt", type=click.Choice(list(api.FORMATS)), default="md",
              show_default=True, help="Memo format.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the memo to this file (atomically) instead of stdout.")
@click.option("--force", is_flag=True, help="Overwrite the output file if it exists.")
@click.option("--date", metavar="YYYY-MM-DD", help="The memo's date (default: the case's as_of).")
@click.option("--templates", type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="A directory of memo templates that override the bundled ones.")
@_engine_option
@pass_settings
@reports_errors
def run(settings: Settings, case: str, rules: tuple[Path, ...], fmt: str, output: Path | None,
        force: bool, date: str | None, templates: Path | None, engine: api.EngineChoice) -> None:
    """Evaluate CASE (a case file, or - for stdin) and print or write its memo.

    \b
    Example:
      transferlaw run cases/citizen-federal-no-consent.yaml --format html -o memo.html
      cat case.yaml | transferlaw run - --format json
    """
    _, warning = api.choose_engine(engine)
    if warning:
        click.echo(warning, err=True)
    text = sys.stdin.read() if case == "-" else None
    memo = api.run(case, fmt, _rules(settings, rules), date, engine, text, templates)
    if output is None:
        click.echo(memo, nl=False)
    else:
        api.write_output(output, memo, force)


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
@_engine_option
@pass_settings
@reports_errors
def test(settings: Settings, ruleset: str, rules: tuple[Path, ...], select: tuple[str, ...],
         engine: api.EngineChoice) -> None:
    """Run the tests of RULESET (an id or a directory) and report what fails.

    \b
    Example:
      transferlaw test foreign-prison-transfer
      transferlaw test rules/foreign-prison-transfer -k pretrial
    """
    loaded, tests = api.load_tests(ruleset, _rules(settings, rules))
    results = api.run_tests(loaded, tests, engine, select)
    failed = [r for r in results if not r.passed]
    for result in results:
        mark = "ok  " if result.passed else "FAIL"
        click.echo(f"{mark} {result.test.name}")
        for failure in result.failures:
            click.echo(f"     {result.test.pos}: {failure}")
    click.echo(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    if failed:
        raise SystemExit(1)


def main() -> None:
    """Entry point of the ``transferlaw`` console script."""
    cli(prog_name="transferlaw")
