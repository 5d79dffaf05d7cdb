"""Read a CSV file's raw text and split it into records, locating any cell at its physical line and column.

This is the text layer under :mod:`transferlaw.batch.sheets`: it reads a file (with a size limit, as UTF-8 with or
without a byte-order mark), splits it into physical lines and CSV records that know their first and last
lines, and turns a cell (and an offset in its value) into a ``path:line:col`` position and source line.
Problems found before a cell is located carry a placeholder position (:func:`cell_at`), which
:meth:`Locator.resolve` turns into a real one.
"""

from __future__ import annotations

import bisect
import csv
import io
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import replace
from pathlib import Path

from ..language.errors import Diagnostic
from ..language.errors import Position
from ..language.errors import SourceError
from ..language.files import read_regular
from ..language.limits import MAX_CSV_BYTES as MAX_CSV_BYTES
from ..language.limits import MAX_TEXT_LENGTH
from ..language.yamlio import decode

CELL = "\x00cell"
"""Path of a placeholder position (line = cell index, col = offset in the cell's value), resolved lazily."""


def cell_at(cell: int, offset: int = 0) -> Position:
    """A placeholder position for ``offset`` in cell ``cell`` (-1: the end of the record), resolved by a locator."""
    return Position(CELL, cell, offset)


def lines_of(text: str) -> list[str]:
    """The physical lines of ``text``, each with its own line ending (any of ``\\n``, ``\\r\\n`` or ``\\r``)."""
    return list(io.StringIO(text, newline=""))


@dataclass(slots=True)
class Record:
    """One CSV record: its spreadsheet row number, its first and last physical lines, its cells or error."""

    row: int
    line: int
    end: int
    cells: list[str]
    error: str | None = None


def _layout(text: str) -> tuple[list[tuple[int, list[int] | None]], int | None, int | None]:
    """Cells of a raw record as (start, value-index map for quoted cells); a stray and an unclosed quote."""
    cells: list[tuple[int, list[int] | None]] = []
    index, size = 0, len(text)
    while True:
        start = index
        if index < size and text[index] == '"':
            inside: list[int] = []
            index += 1
            while True:
                if index >= size:
                    cells.append((start, inside))
                    return cells, None, start
                if text[index] == '"':
                    if text[index + 1:index + 2] == '"':
                        inside.append(index)
                        index += 2
                        continue
                    index += 1
                    break
                inside.append(index)
                index += 1
            cells.append((start, inside))
            if index < size and text[index] not in ",\r\n":
                return cells, index, None
        else:
            while index < size and text[index] not in ",\r\n":
                index += 1
            cells.append((start, None))
        if index < size and text[index] == ",":
            index += 1
            continue
        return cells, None, None


class Locator:
    """Turns (cell, offset) into a file position and source line, scanning a record's raw text only when asked."""

    def __init__(self, display: str, lines: Sequence[str], record: Record) -> None:
        self.display = display
        self.first = record.line
        self.raw = lines[record.line - 1:record.end]
        self.text = "".join(self.raw)
        self.starts = [0, *itertools.accumulate(len(line) for line in self.raw)]
        self.cells, self.stray, self.unclosed = _layout(self.text)

    def at_index(self, index: int) -> tuple[Position, str]:
        number = max(bisect.bisect_right(self.starts, index) - 1, 0)
        number = min(number, len(self.raw) - 1)
        line = self.raw[number] if self.raw else ""
        position = Position(self.display, self.first + number, index - self.starts[number] + 1)
        return position, line.rstrip("\r\n")

    def at(self, cell: int, offset: int = 0) -> tuple[Position, str]:
        if cell < 0 or cell >= len(self.cells):  # the end of the record's content
            return self.at_index(len(self.text.rstrip("\r\n")))
        start, inside = self.cells[cell]
        if inside is None:
            return self.at_index(start + offset)
        if not inside:
            return self.at_index(start + 1)
        return self.at_index(inside[min(offset, len(inside) - 1)] + (offset >= len(inside)))

    def resolve(self, diagnostics: list[Diagnostic]) -> tuple[Diagnostic, ...]:
        located = []
        for d in diagnostics:
            if d.pos.path == CELL:
                pos, line = self.at(d.pos.line, d.pos.col)
                d = Diagnostic(pos, d.message, d.hint, d.severity, line)
            located.append(d)
        return tuple(sorted(dict.fromkeys(located), key=lambda d: (d.pos, d.message)))


def split_records(lines: list[str], most: int | None = None) -> list[Record]:
    """The CSV records of ``lines``; only the first ``most`` + 1 when ``most`` is given (enough to tell that
    there are too many)."""
    reader = csv.reader(iter(lines), strict=True)
    records: list[Record] = []
    end = 0
    for row in itertools.count(1):
        if most is not None and len(records) > most:
            break
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            records.append(Record(row, end + 1, max(reader.line_num, end + 1), [], str(exc)))
            if reader.line_num <= end or "field limit" in str(exc):
                break
            end = reader.line_num
            continue
        records.append(Record(row, end + 1, reader.line_num, cells))
        end = reader.line_num
    return records


def record_problem(loc: Locator, record: Record, last_line: int) -> Diagnostic:
    if loc.unclosed is not None:
        pos, line = loc.at_index(loc.unclosed)
        return Diagnostic(pos, f"a quote opens a cell here and never closes, so lines {record.line}-{last_line} "
                          "were read as one row", 'close the quote, or double a quote inside a quoted cell ("")',
                          source_line=line)
    if loc.stray is not None:
        pos, line = loc.at_index(loc.stray)
        return Diagnostic(pos, "text after the closing quote of a quoted cell",
                          'put the whole cell in quotes and double any quote inside it ("")', source_line=line)
    pos, line = loc.at_index(0)
    if record.error is not None and "field limit" in record.error:  # the csv module stops reading here
        return Diagnostic(pos, f"a cell of this row is far longer than {MAX_TEXT_LENGTH:,} characters, so the "
                          "file cannot be read past it", "shorten the cell, or check for a quote that never closes",
                          source_line=line)
    return Diagnostic(pos, f"cannot read this row: {record.error}", source_line=line)


def read_csv(path: Path, display: str) -> str:
    data = read_regular(path, MAX_CSV_BYTES, display, "split it into several CSV files", "CSV file")
    try:
        return decode(data, display)
    except SourceError as exc:
        hint = ("save it as UTF-8: in Excel, File > Save As > 'CSV UTF-8 (Comma delimited)'; in LibreOffice, "
                "tick 'Edit filter settings' and choose Unicode (UTF-8)")
        raise SourceError(replace(exc.diagnostic, hint=hint)) from exc
