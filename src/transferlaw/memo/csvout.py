"""Write CSV for spreadsheet programs: the one writer of every CSV transferlaw writes, so no cell is a formula.

A spreadsheet program runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and, in some, a tab or a
carriage return) as a formula: a student's name or a case title such as ``=HYPERLINK("http://...")`` from
someone else's file would become a live link, or worse. Following OWASP's advice on CSV injection, such a
text gets a leading apostrophe, which the spreadsheet shows as text and hides. Numbers are written as they
are; the JSON outputs keep every text as it is.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

Cell = str | int | float | None

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Cell) -> str | int | float:
    """``value`` as a CSV cell that a spreadsheet program shows, never runs: a text that would start a formula
    gets a leading apostrophe; None is an empty cell."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def row(values: Iterable[Cell]) -> str:
    """One CSV record, quoted as needed, ending in ``\\n``. A record with a carriage return in a cell has every
    cell quoted (the csv module quotes only the line end it writes, ``\\n``, and a bare ``\\r`` would end the
    row in a spreadsheet program)."""
    cells = [cell(value) for value in values]
    out = io.StringIO()
    if any(isinstance(c, str) and "\r" in c for c in cells):
        csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL).writerow(cells)
    else:
        csv.writer(out, lineterminator="\n").writerow(cells)
    return out.getvalue()


def table(header: Iterable[str], rows: Iterable[Iterable[Cell]]) -> str:
    """A whole CSV file: the header row, then each row."""
    return row(header) + "".join(row(values) for values in rows)
