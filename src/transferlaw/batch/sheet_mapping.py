"""The mapping file of a spreadsheet batch (``--mapping``, docs/batch.md), read and checked.

A mapping file renames spreadsheet headers to question ids or case keys (``columns:``; an empty target skips a
column), lists columns to ignore (``skip:``) and translates cell text to answers (``values:``). Every problem is
located in the mapping file. Headers and cell text are compared case-folded with whitespace collapsed
(``_norm``), and headers name columns with spaces or hyphens read as ``_`` (``_column_name``), as in
:mod:`transferlaw.batch.sheets`, which applies the mapping to each spreadsheet.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..language.errors import Collector
from ..language.errors import Position
from ..language.errors import display_path
from ..language.shapes import LIST
from ..language.shapes import MAP
from ..language.shapes import Field
from ..language.shapes import check_mapping
from ..language.shapes import ok
from ..language.yamlio import Scalar
from ..language.yamlio import YList
from ..language.yamlio import YMap
from ..language.yamlio import load_file

ROLES = {"ruleset": "ruleset", "title": "title", "as_of": "as_of", "id": "id", "case_id": "id", "notes": "notes"}
"""Spreadsheet columns that are not questions, and the case key each fills."""


def mtime_of(path: Path) -> float:
    """``path``'s modification time, or 0.0 when it cannot be read."""
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _norm(text: str) -> str:
    """Text as compared with labels and mapping keys: case-folded, whitespace collapsed."""
    return " ".join(text.casefold().split())


def _column_name(header: str) -> str:
    return re.sub(r"[\s-]+", "_", header.strip().casefold())


Target = str | tuple[str, ...] | None


@dataclass(frozen=True, slots=True)
class MappingFile:
    """A parsed mapping file: normalised header -> (target, where); question -> translations."""

    path: Path
    mtime: float
    columns: dict[str, tuple[str | None, Position]]
    values: dict[str, tuple[Position, dict[str, tuple[Target, Position]]]]
    skip: frozenset[str] = frozenset()
    """Normalised headers of the columns to ignore (``skip:``)."""


def load_mapping(path: Path) -> MappingFile:
    """A mapping file (``columns:``, ``values:`` and ``skip:``), checked; :raises TransferlawError: with every
    problem."""
    display = display_path(path)
    doc = load_file(path, display)
    out = Collector()
    spec = {"columns": Field(MAP), "values": Field(MAP), "skip": Field(LIST)}
    root = check_mapping(doc.root, spec, "a mapping file", out, Position(display, 1, 1))
    columns: dict[str, tuple[str | None, Position]] = {}
    values: dict[str, tuple[Position, dict[str, tuple[Target, Position]]]] = {}
    if root is not None and ok(root, "columns", MAP):
        node: YMap = root["columns"]
        for header, target in node.items():
            where = node.meta[header].pos
            if _norm(header) in columns:
                out.error(node.key_pos[header], f"the column '{header}' is listed twice")
            elif target is None or isinstance(target, str) and target.strip():
                columns[_norm(header)] = (_column_name(target) if target else None, where)
            else:
                out.error(where, f"the column '{header}' must map to a question id or to one of "
                          f"{', '.join(ROLES)}", "leave it empty to skip the column")
    if root is not None and ok(root, "values", MAP):
        node = root["values"]
        for ident, table in node.items():
            if not isinstance(table, YMap):
                out.error(node.at(ident), f"the values of '{ident}' must be a mapping of cell text to answer")
                continue
            entries: dict[str, tuple[Target, Position]] = {}
            for raw, target in table.items():
                meta = table.meta[raw]
                if isinstance(target, YMap) or isinstance(target, YList) and not all(
                        isinstance(m, Scalar) for m in target.meta):
                    out.error(meta.pos, f"'{raw}' must translate to an answer or a list of choices")
                elif isinstance(target, YList):
                    entries[_norm(raw)] = (tuple(m.raw for m in target.meta if isinstance(m, Scalar)), meta.pos)
                else:
                    entries[_norm(raw)] = (None if target is None else str(getattr(meta, "raw", target)), meta.pos)
            values[_column_name(ident)] = (node.key_pos[ident], entries)
    skip: set[str] = set()
    if root is not None and ok(root, "skip", LIST):
        listed: YList = root["skip"]
        for index, header in enumerate(listed):
            where = listed.at(index)
            if not isinstance(header, str) or not header.strip():
                out.error(where, "'skip' lists column headers: each must be non-empty text")
            elif _norm(header) in columns:
                out.error(where, f"the column '{header}' is both mapped (line {columns[_norm(header)][1].line}) and "
                          "skipped", "keep one")
            else:
                skip.add(_norm(header))
    out.raise_if_errors()
    return MappingFile(path.resolve(), mtime_of(path), columns, values, frozenset(skip))
