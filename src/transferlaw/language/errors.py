"""Errors: one exception tree whose user-input errors carry a file position and a hint.

::

    TransferlawError                 base; the CLI exits 1 on any of these
      SourceError                    one located problem (Diagnostic) in a user's file
      ValidationFailed               every problem found in a file or a rule set, reported at once
      CompileError                   a valid rule set that the durable_rules engine cannot take
      EngineError                    the rules engine failed or disagreed with itself
      OutputError                    an output could not be written (exists, no permission, ...)
      typed_answers.AnswerError      an interview answer the question does not accept (the interview asks again)
      workers.WorkersFailed          a batch's worker processes cannot start at all

Foreign exceptions (PyYAML, Jinja, durable_rules) are translated where those libraries are called, and
nowhere else.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

# Characters that would let text from a user's file move the cursor, recolour or reorder a terminal, or
# break a message into lines: C0 and C1 controls (but tab and newline), bidirectional and invisible
# formatting characters, line and paragraph separators, lone surrogates. (Tab is harmless.)
_UNPRINTABLE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069"
                          "\ufeff\ufff9-\ufffb\ud800-\udfff]")


def printable(text: str) -> str:
    """``text`` with every character that could garble a terminal shown as an escape (``\\x1b``)."""
    return _UNPRINTABLE.sub(lambda m: ascii(m.group())[1:-1], text)


def shortened(text: str, limit: int = 60) -> str:
    """``text`` cut to ``limit`` characters for a message (an id can be 20,000 long)."""
    return text if len(text) <= limit else f"{text[:limit]}…"


def quoted(text: str, limit: int = 60) -> str:
    """``text`` in single quotes for a message, cut to ``limit`` characters."""
    return f"'{shortened(text, limit)}'"


@dataclass(frozen=True, slots=True, order=True)
class Position:
    """A place in a file: 1-based line and column."""

    path: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        if self.line <= 0:
            return printable(self.path)
        return f"{printable(self.path)}:{self.line}:{max(self.col, 1)}"

    def shifted(self, lines: int = 0, col: int | None = None, cols: int = 0) -> Position:
        """Return a position moved down by ``lines`` and to column ``col`` (or right by ``cols``)."""
        new_col = col if col is not None else self.col + cols
        return Position(self.path, self.line + lines, new_col)


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem at one position; ``severity`` is ``error`` or ``warning``."""

    pos: Position
    message: str
    hint: str | None = None
    severity: str = "error"
    source_line: str | None = field(default=None, compare=False)

    def format(self, *, excerpt: bool = False) -> str:
        """Render as ``path:line:col: message (hint)``, optionally with the source line and a caret."""
        text = f"{self.pos}: {printable(self.message)}"
        if self.severity != "error":
            text = f"{self.pos}: {self.severity}: {printable(self.message)}"
        if self.hint:
            text += f" ({printable(self.hint)})"
        if excerpt and self.source_line is not None and self.pos.col > 0:
            line = self.source_line.rstrip()
            caret = " " * len(printable(line[:self.pos.col - 1])) + "^"
            text += f"\n    {printable(line)}\n    {caret}"
        return text


class TransferlawError(Exception):
    """Base of every error transferlaw raises on purpose."""

    exit_code = 1

    def report(self) -> str:
        """The text the CLI prints on stderr."""
        return str(self)


class SourceError(TransferlawError):
    """One problem in a user's file, at a known position."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.format())
        self.diagnostic = diagnostic

    @property
    def pos(self) -> Position:
        return self.diagnostic.pos

    def __reduce__(self) -> tuple[type[SourceError], tuple[Diagnostic]]:
        return (type(self), (self.diagnostic,))


class ValidationFailed(TransferlawError):
    """Several problems (at least one an error), reported together in file order."""

    def __init__(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.diagnostics = tuple(sorted(diagnostics, key=lambda d: (d.pos, d.message)))
        super().__init__("\n".join(d.format() for d in self.diagnostics))

    def __reduce__(self) -> tuple[type[ValidationFailed], tuple[tuple[Diagnostic, ...]]]:
        return (type(self), (self.diagnostics,))


class CompileError(TransferlawError):
    """A valid rule set that cannot be expressed within the durable_rules engine's limits (every condition
    that goes past one, reported at once)."""

    def __init__(self, diagnostics: Diagnostic | Iterable[Diagnostic]) -> None:
        self.diagnostics = (diagnostics,) if isinstance(diagnostics, Diagnostic) else tuple(diagnostics)
        self.diagnostic = self.diagnostics[0]
        super().__init__("\n".join(d.format() for d in self.diagnostics))

    def __reduce__(self) -> tuple[type[CompileError], tuple[tuple[Diagnostic, ...]]]:
        return (type(self), (self.diagnostics,))


class EngineError(TransferlawError):
    """The durable_rules engine failed, or its result disagreed with the reference evaluator."""


class OutputError(TransferlawError):
    """An output file could not be written."""


class Collector:
    """Gathers diagnostics so that a whole file is checked before anything is reported."""

    def __init__(self) -> None:
        self.diagnostics: list[Diagnostic] = []

    def error(self, pos: Position, message: str, hint: str | None = None) -> None:
        self.diagnostics.append(Diagnostic(pos, message, hint))

    def warning(self, pos: Position, message: str, hint: str | None = None) -> None:
        self.diagnostics.append(Diagnostic(pos, message, hint, severity="warning"))

    def extend(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.diagnostics.extend(diagnostics)

    @property
    def has_errors(self) -> bool:
        return any(d.severity == "error" for d in self.diagnostics)

    def raise_if_errors(self) -> None:
        """Raise :class:`ValidationFailed` with every diagnostic if any of them is an error."""
        if self.has_errors:
            raise ValidationFailed(d for d in self.diagnostics if d.severity == "error")


def suggest(name: str, candidates: Iterable[str]) -> str | None:
    """Return a "did you mean" hint for a misspelt ``name``, or None."""
    matches = difflib.get_close_matches(name, sorted(set(candidates)), n=1, cutoff=0.6)
    return f"did you mean {matches[0]!r}?" if matches else None


def display_path(path: Path | str) -> str:
    """A path as users typed it: relative to the working directory when it lies below it."""
    p = Path(path)
    try:
        return str(p.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(p)
