"""What the CLI's commands share: error reporting, the common options, the engine notice, memo headings, and
output that cannot be written."""

from __future__ import annotations

import errno
import io
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from functools import wraps
from pathlib import Path
from typing import Any
from typing import TypeVar

import click

from . import api
from .language.errors import TransferlawError
from .language.model import Case
from .language.model import RuleSet

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class Settings:
    """Options shared by every command, and the workspace that owns what they load."""

    rules: list[Path]
    workspace: api.Workspace = field(default_factory=api.Workspace)


pass_settings = click.make_pass_decorator(Settings)


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


rules_option = click.option(
    "--rules", "rules", multiple=True, type=click.Path(file_okay=False, path_type=Path),
    help="A rule-set directory, or a directory of rule sets (repeatable). Default: the bundled ones.",
)
engine_option = click.option(
    "--engine", type=click.Choice(["auto", "durable", "python"]), default="auto", show_default=True,
    help="The rules engine; auto uses durable_rules and falls back to Python with a warning.",
)


class Commands(click.Group):
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


def rules_dirs(settings: Settings, extra: tuple[Path, ...]) -> list[Path] | None:
    """A command's --rules directories, then the group's; None for the bundled rule sets."""
    dirs = list(extra) + settings.rules
    return dirs or None


def decided_engine(choice: api.EngineChoice = "auto") -> api.EngineChoice:
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


def memo_format(fmt: str | None, output: Path | None) -> str:
    """The memo format: -f, else the suffix of -o, else md; a name that says another format is a usage error."""
    named = api.format_of_name(output) if output is not None else None
    if fmt is None and output is not None and named is None:
        raise click.UsageError(f"cannot tell the memo's format from '{output}': name it .md, .html, .json, .docx or "
                               f".pdf, or give -f {'|'.join(api.FORMATS)}")
    if fmt is not None and named is not None and named != fmt:
        raise click.UsageError(f"-f {fmt} does not match '{output}' (a {named} file): drop -f, or give a name "
                               f"ending in .{fmt}")
    return fmt or named or "md"


detail_option = click.option(
    "--detail", type=click.Choice(list(api.DETAILS)), default="default", show_default=True,
    help="How much the memo says: brief (the answer, the raised issues' conclusions and next steps, the facts to "
         "gather), default (the memo a supervising attorney reads) or full (every section, the full what-if "
         "matrix included). JSON always carries everything.",
)
case_argument = click.argument("case", type=click.Path(dir_okay=False, allow_dash=True, path_type=str))
format_option = click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
                              show_default=True)


def load_case(settings: Settings, case: str, rules: tuple[Path, ...]) -> tuple[Case, RuleSet]:
    """The case CASE names (a file, or - for stdin) and its rule set."""
    text = api.read_stdin() if case == "-" else None
    return api.load_case(case, rules_dirs(settings, rules), text, workspace=settings.workspace)


def ask(hint: str) -> str:
    """Read one answer; end of input counts as quitting (the interview saves and stops)."""
    try:
        return str(click.prompt(hint.rstrip(), default="", show_default=False, prompt_suffix=" "))
    except click.Abort:
        raise EOFError from None
