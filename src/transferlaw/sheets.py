"""Read CSV spreadsheets into cases, one per row, with every problem located in the file or the mapping file.

:mod:`transferlaw.sources` hands each CSV input to :class:`SheetReader` and gives every row it yields a key.
A spreadsheet yields its rows in file order; a bad file, header or row yields one :class:`SheetItem` that
carries located problems (``path:line:col``) instead of a case, and never stops the other rows. The raw text
(reading the file, CSV records, locating a cell) is :mod:`transferlaw.csvtext`'s. Choices made for advocates:

* **Spreadsheets** are CSV in UTF-8, with or without a byte-order mark, any line endings, quoted cells that
  may hold commas, newlines and doubled quotes. A file that is not UTF-8 is not guessed at (a wrong guess
  would misspell names in memos): it yields one problem at the first bad byte, saying how to save as UTF-8.
* **The header row** names a question id per column (matched ignoring case, with spaces or hyphens read as
  ``_``), or one of ``ruleset``, ``title``, ``as_of``, ``id`` (or ``case_id``) and ``notes``. Columns with an
  empty header are ignored, as long as they are empty. A mapping file (docs/batch.md) renames other headers
  (an empty target skips a column), lists columns to ignore (``skip:``) and translates answers. A column that
  is none of these (a client's phone number, say) is ignored with one warning naming it, or with ``strict``
  is an error. Any header problem (a repeated column, a mapping to no question, no rule set) stops the whole
  file with one item, ``<csvstem>-header``, listing every header problem.
* **Rows** are read per question type: yes/no (yes, no, true, false, y, n, 1, 0), a choice's id or label, a
  multi's ids or labels separated by ``;``, ``|`` or ``,`` (``none`` for an empty list; labels that contain
  commas are recognised whole), plain decimal numbers (:func:`~transferlaw.number.parse_number`, as in a case
  file: ``010`` is 10, ``1,234`` grouping allowed) with optional unit, dates as
  YYYY-MM-DD, and text. An empty cell or ``unknown`` is unknown. Each answer is then checked by the case
  validator's :func:`~transferlaw.validate_case.fact_value`, so a row's problems read like a case file's.
  A row with too few or too many cells is reported, not guessed at. Blank rows are skipped.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import replace
from pathlib import Path

from . import api
from .conditions import parse_date
from .csvtext import MAX_CSV_BYTES as MAX_CSV_BYTES  # re-exported: transferlaw.sources imports it from here
from .csvtext import Locator
from .csvtext import Record
from .csvtext import cell_at
from .csvtext import lines_of
from .csvtext import read_csv
from .csvtext import record_problem
from .csvtext import split_records
from .display import counted
from .errors import Collector
from .errors import Diagnostic
from .errors import Position
from .errors import SourceError
from .errors import TransferlawError
from .errors import display_path
from .errors import suggest
from .limits import CONTROL_CHARACTER
from .limits import MAX_CSV_COLUMNS
from .limits import MAX_CSV_ROWS
from .limits import MAX_TEXT_LENGTH
from .model import Case
from .model import Question
from .model import RuleSet
from .model import Value
from .number import NumberError
from .number import parse_number
from .resources import RULESET_ID
from .shapes import LIST
from .shapes import MAP
from .shapes import Field
from .shapes import check_mapping
from .shapes import ok
from .validate_case import fact_value
from .yamlio import Scalar
from .yamlio import YList
from .yamlio import YMap
from .yamlio import load_file

ROLES = {"ruleset": "ruleset", "title": "title", "as_of": "as_of", "id": "id", "case_id": "id", "notes": "notes"}
"""Spreadsheet columns that are not questions, and the case key each fills."""

_BOOLS = {"yes": True, "y": True, "true": True, "1": True, "no": False, "n": False, "false": False, "0": False}
_STR, _INT = "tag:yaml.org,2002:str", "tag:yaml.org,2002:int"
_MISSING = object()


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


def _letter(index: int) -> str:
    """A spreadsheet column letter: 0 -> A, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


# --- the mapping file ---------------------------------------------------------------------------

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


# --- reading one answer from a cell -------------------------------------------------------------

class _Reader:
    """Reads one question's answers from cells, with lookups built once per spreadsheet."""

    __slots__ = ("q", "kind", "lookup", "units", "translations", "commas")

    def __init__(self, q: Question) -> None:
        self.q = q
        self.kind = q.type
        self.lookup = {_norm(label): value for value, label in q.choices}
        self.lookup.update((value.casefold(), value) for value, _ in q.choices)
        unit = _norm(q.unit or "")
        self.units = tuple(u for u in dict.fromkeys((unit, unit.removesuffix("s"))) if u)  # "months", "month"
        self.translations: dict[str, Value | None] = {}
        self.commas = max((label.count(",") for label in self.lookup), default=0)
        """The most commas in a label (or translated text), so a cell is split in linear time."""

    def read(self, raw: str, cell: int, out: Collector) -> Value | None:
        """The answer in ``raw`` (None when unknown or wrong; a wrong answer is reported to ``out``)."""
        text = raw.strip()
        if not text:
            return None
        lead = len(raw) - len(raw.lstrip())
        q = self.q
        kind = self.kind
        if kind == "text":
            if len(text) == 7 and text.casefold() == "unknown":
                return None
            hit = self.translations.get(_norm(text), _MISSING) if self.translations else _MISSING
            if hit is not _MISSING:
                return hit  # type: ignore[return-value]
            text = text.replace("\r\n", "\n")
            return fact_value(q, text, Scalar(cell_at(cell, lead), None, text, _STR), out)
        key = _norm(text)
        if key == "unknown":
            return None
        hit = self.translations.get(key, _MISSING)
        if hit is not _MISSING:
            return hit  # type: ignore[return-value]
        if kind == "boolean":
            flag = _BOOLS.get(key)
            if flag is None:
                out.error(cell_at(cell, lead), f"'{q.id}' takes yes or no, got {text!r}",
                          "write yes/no, true/false, y/n or 1/0; leave the cell empty if unknown")
            return flag
        if kind == "choice":
            choice = self.lookup.get(key)
            if choice is not None:
                return choice
            return fact_value(q, text, Scalar(cell_at(cell, lead), None, text, _STR), out)
        if kind == "multi":
            return self._multi(raw, text, key, cell, lead, out)
        if kind == "number":
            return self._number(text, key, cell, lead, out)
        if parse_date(text) is None:  # a date
            out.error(cell_at(cell, lead), f"'{q.id}' takes a date YYYY-MM-DD, got {text!r}",
                      "set the column's format to text so the spreadsheet keeps YYYY-MM-DD" if "/" in text else None)
            return None
        return text

    def _number(self, text: str, key: str, cell: int, lead: int, out: Collector) -> Value | None:
        digits = key
        for unit in self.units:
            if digits.endswith(unit):
                digits = digits[: -len(unit)].rstrip()
                break
        try:
            number = parse_number(digits)
        except NumberError as exc:
            if exc.number_like:
                out.error(cell_at(cell, lead), exc.message, exc.hint)
                return None
            unit = f" of {self.q.unit}" if self.q.unit else ""
            out.error(cell_at(cell, lead), f"'{self.q.id}' takes a number, got {text!r}",
                      f"write a number{unit} in digits, e.g. 12 or 2.5")
            return None
        return fact_value(self.q, number, Scalar(cell_at(cell, lead), None, text, _INT), out)

    def _multi(self, raw: str, text: str, key: str, cell: int, lead: int, out: Collector) -> Value | None:
        if key in ("none", "[]"):
            return ()
        whole = self.lookup.get(key)
        if whole is not None:
            return (whole,)
        if ";" in raw or "|" in raw:
            pieces = [(m.start(), m.group()) for m in re.finditer(r"[^;|]+", raw)]
        else:
            pieces = self._comma_pieces(raw)
        found = YList()
        found.pos, found.meta = cell_at(cell, lead), []
        for offset, piece in pieces:
            part = piece.strip()
            if not part:
                continue
            where = cell_at(cell, offset + len(piece) - len(piece.lstrip()))
            norm = _norm(part)
            hit = self.translations.get(norm, _MISSING)
            picked = [part] if hit is _MISSING else list(hit) if isinstance(hit, tuple) else []
            if hit is _MISSING and norm in self.lookup:
                picked = [self.lookup[norm]]
            for value in picked:
                found.append(value)
                found.meta.append(Scalar(where, None, value, _STR))
        return fact_value(self.q, found, found, out)

    def _comma_pieces(self, raw: str) -> list[tuple[int, str]]:
        """Split on commas, but keep together the longest runs that spell a label (labels may hold commas)."""
        parts = raw.split(",")
        starts = [0, *itertools.accumulate(len(p) + 1 for p in parts)]
        pieces: list[tuple[int, str]] = []
        index = 0
        while index < len(parts):
            end = index + 1
            for stop in range(min(len(parts), index + 1 + self.commas), index + 1, -1):
                joined = _norm(raw[starts[index]:starts[stop] - 1])
                if joined in self.lookup or joined in self.translations:
                    end = stop
                    break
            pieces.append((starts[index], raw[starts[index]:starts[end] - 1]))
            index = end
        return pieces

    def learn(self, entries: dict[str, tuple[Target, Position]], out: Collector) -> None:
        """Take a mapping file's translations, each checked as an answer; problems point into the mapping."""
        learned: dict[str, Value | None] = {}
        for norm, (target, where) in entries.items():
            if isinstance(target, tuple) and self.kind != "multi":
                out.error(where, f"'{self.q.id}' takes one answer, not a list")
                continue
            if target == () and self.kind == "multi":  # [] is none of the choices, not unknown
                learned[norm] = ()
                continue
            text = "; ".join(target) if isinstance(target, tuple) else target
            if text is None or not text.strip():
                learned[norm] = None
                continue
            found = Collector()
            value = self.read(text, 0, found)
            for problem in found.diagnostics:
                out.diagnostics.append(replace(problem, pos=where))
            if not found.diagnostics:
                learned[norm] = value
        self.translations = learned
        self.commas = max([self.commas, *(text.count(",") for text in learned)])


# --- the sheet expander -------------------------------------------------------------------------

@dataclass(frozen=True, slots=True, kw_only=True)
class SheetItem:
    """One row's case (``case`` and ``ruleset``), or a file, header or row that could not be read (``problems``).

    It has no key yet: :mod:`transferlaw.sources` hands out keys, from ``ident`` when that gives one, else ``stem``.
    """

    stem: str
    """The output stem asked for: ``<csvstem>``, ``<csvstem>-header`` or ``<csvstem>-row<N>``."""
    source: str
    label: str
    mtime: float
    ident: str = ""
    """A row's ``id`` cell (stripped), which names its key when it sanitises to a non-empty stem."""
    case: Case | None = None
    ruleset: RuleSet | None = None
    problems: tuple[Diagnostic, ...] = ()


class SheetReader:
    """Reads CSV files; holds what every spreadsheet of a batch shares (the mapping file, rule sets loaded)."""

    def __init__(self, available: dict[str, Path], default: RuleSet | None, mapping: MappingFile | None, *,
                 strict: bool = False, warn: Callable[[Diagnostic], None] | None = None) -> None:
        self.available = available
        self.default = default
        self.mapping = mapping
        self.strict = strict
        """A column that is no question (nor mapped, nor skipped) stops its file, instead of a warning."""
        self.warn = warn
        """Receives each warning (a column ignored), once per file, in column order."""
        self.rulesets: dict[str, RuleSet | tuple[str, str | None]] = {}
        if default is not None:
            self.rulesets[default.id] = default

    def read(self, path: Path) -> Iterator[SheetItem]:
        """Every row of the CSV file ``path`` in file order, or one item saying why the file cannot be read."""
        display = display_path(path)
        mtime = max(mtime_of(path), self.mapping.mtime if self.mapping is not None else 0.0)
        try:
            text = read_csv(path, display)
        except SourceError as exc:
            yield SheetItem(stem=path.stem, source=display, label=path.name, mtime=mtime, problems=(exc.diagnostic,))
            return
        yield from _Sheet(self, path, display, mtime, text).items()

    def ruleset_for(self, ident: str) -> RuleSet | tuple[str, str | None]:
        """A rule set named in a cell, or (message, hint) saying why it cannot be used; loaded once."""
        found = self.rulesets.get(ident)
        if found is not None:
            return found
        if not RULESET_ID.match(ident) or ident not in self.available:
            found = (f"unknown rule set '{ident}'",
                     suggest(ident, self.available) or "available: " + ", ".join(sorted(self.available)))
        else:
            try:
                found = api.load_ruleset(self.available[ident])
            except TransferlawError as exc:
                first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                found = (f"the rule set '{ident}' has errors: {first}", f"run: transferlaw check {ident}")
        self.rulesets[ident] = found
        return found


@dataclass(frozen=True, slots=True)
class _Column:
    """A spreadsheet column that answers a question."""

    index: int
    header: str
    target: str


class _Sheet:
    """One CSV file: its header checked once, then each row read into a case (or located problems)."""

    def __init__(self, owner: SheetReader, path: Path, display: str, mtime: float, text: str) -> None:
        self.owner = owner
        self.name = path.name
        self.stem = path.stem
        self.display = display
        self.mtime = mtime
        self.lines = lines_of(text)
        self.roles: dict[str, int] = {}
        self.facts_at: list[_Column] = []
        self.readers: dict[tuple[str, str], _Reader] = {}
        self.plans: dict[str, list[tuple[int, str, _Reader | None]]] = {}
        self.need = self.width = 0
        self.unnamed: list[int] = []

    def failed(self, suffix: str, source: str, problems: Sequence[Diagnostic]) -> SheetItem:
        return SheetItem(stem=self.stem + suffix, source=source, label=self.name, mtime=self.mtime,
                         problems=tuple(problems))

    def items(self) -> Iterator[SheetItem]:
        records = split_records(self.lines, MAX_CSV_ROWS + 1)
        if len(records) > MAX_CSV_ROWS + 1:
            yield self.failed("", self.display, [Diagnostic(
                Position(self.display, records[MAX_CSV_ROWS + 1].line, 1),
                f"the file has more than {MAX_CSV_ROWS:,} rows", "split it into several CSV files")])
            return
        rest = iter(records)
        header = next((r for r in rest if r.error or any(c.strip() for c in r.cells)), None)
        if header is None:
            what = "the file is empty" if not records else "the file has no header row"
            yield self.failed("", self.display, [Diagnostic(Position(self.display), what,
                                                            "the first row must name the columns")])
            return
        rows = list(rest)
        if header.error is not None:
            loc = Locator(self.display, self.lines, header)
            yield self.failed("", self.display, [record_problem(loc, header, header.end)])
            return
        problems = self.read_header(header, rows)
        if problems:
            yield self.failed("-header", f"{self.display}:row {header.row}", problems)
            return
        if not any(r.error or any(c.strip() for c in r.cells) for r in rows):
            yield self.failed("", self.display, [Diagnostic(Position(self.display, header.line, 1),
                                                            "the file has a header row but no rows of cases")])
            return
        for record in rows:
            item = self.row(record)
            if item is not None:
                yield item

    # --- the header -----------------------------------------------------------------------------

    def read_header(self, header: Record, rows: list[Record]) -> tuple[Diagnostic, ...]:
        """Work out what each column holds; every header problem, located (in the CSV or the mapping)."""
        loc = Locator(self.display, self.lines, header)
        out = Collector()
        if len(header.cells) > MAX_CSV_COLUMNS:
            where, line = loc.at(MAX_CSV_COLUMNS)
            return (Diagnostic(where, f"the header row has more than {MAX_CSV_COLUMNS:,} columns", source_line=line),)
        mapping = self.owner.mapping
        targets: list[tuple[int, str, str, Position | None]] = []
        for index, head in enumerate(header.cells):
            if len(head) > MAX_TEXT_LENGTH:
                where, line = loc.at(index)
                out.diagnostics.append(Diagnostic(where, f"the cell is longer than {MAX_TEXT_LENGTH:,} characters",
                                                  source_line=line))
                continue
            name = " ".join(head.split())
            if not name:
                self.unnamed.append(index)
                continue
            self.need = index + 1
            mapped = mapping.columns.get(_norm(name)) if mapping is not None else None
            if mapped is None and mapping is not None and _norm(name) in mapping.skip:
                continue
            if mapped is None:
                targets.append((index, name, _column_name(name), None))
            elif mapped[0] is not None:
                targets.append((index, name, mapped[0], mapped[1]))
        self.width = len(header.cells)
        used = self.rulesets_used(header, rows, targets, out)
        union = {q.id: q for ruleset in used.values() for q in ruleset.questions}
        names = " or ".join(f"'{ident}'" for ident in sorted(used))
        seen: dict[str, int] = {}
        ignored: list[Diagnostic] = []
        for index, name, target, mapped_at in targets:
            role = ROLES.get(target, "fact")
            where, line = loc.at(index)
            if role == "fact" and used and target not in union:
                hint = suggest(target, [*union, *ROLES])
                if mapped_at is not None:
                    out.error(mapped_at, f"the mapping sends column '{name}' to '{target}', which is not a "
                              f"question of rule set {names}", hint)
                elif ";" in name or "\t" in name:  # not a column: the whole file was split wrongly
                    out.diagnostics.append(Diagnostic(where, f"unknown column '{name}'", "the cells seem separated "
                                                      "by ';' or tabs: save as 'CSV UTF-8 (Comma delimited)'",
                                                      source_line=line))
                else:
                    what = f"column '{name}' is not a question of rule set {names}"
                    hint = f"{hint} If not, map" if hint else "map"
                    hint += " it in --mapping, or list it under skip:"
                    if self.owner.strict:
                        out.diagnostics.append(Diagnostic(where, what, hint, source_line=line))
                    else:
                        ignored.append(Diagnostic(where, f"{what}; it is ignored", hint, "warning", line))
                continue
            slot = target if role == "fact" else role
            if slot in seen:
                out.diagnostics.append(Diagnostic(where, f"column {_letter(index)} ('{name}') gives '{slot}' "
                                                  f"again (column {_letter(seen[slot])} already does)",
                                                  source_line=line))
                continue
            seen[slot] = index
            if role == "fact":
                self.facts_at.append(_Column(index, name, target))
            else:
                self.roles[role] = index
        self.learn(used, union, names, out)
        if self.owner.warn is not None:
            for warning in ignored:
                self.owner.warn(warning)
        return tuple(sorted(dict.fromkeys(out.diagnostics), key=lambda d: (d.pos, d.message)))

    def rulesets_used(self, header: Record, rows: list[Record], targets: list[tuple[int, str, str, Position | None]],
                      out: Collector) -> dict[str, RuleSet]:
        """The rule sets the rows name (or the default), loaded; the header's question columns are checked
        against them."""
        column = next((index for index, _, target, _ in targets if target == "ruleset"), None)
        idents: set[str] = set()
        needs_default = column is None
        for record in rows:
            if column is not None and not record.error and column < len(record.cells):
                ident = record.cells[column].strip()
                if ident:
                    idents.add(ident)
                elif any(c.strip() for c in record.cells):
                    needs_default = True
        default = self.owner.default
        if column is None and default is None:
            out.error(Position(self.display, header.line, 1), "no rule set: add a 'ruleset' column, or name the "
                      "rule set of the whole file (--ruleset)")
        used: dict[str, RuleSet] = {}
        if needs_default and default is not None:
            used[default.id] = default
        for ident in sorted(idents):
            found = self.owner.ruleset_for(ident)
            if isinstance(found, RuleSet):
                used[found.id] = found
        return used

    def learn(self, used: dict[str, RuleSet], union: dict[str, Question], names: str, out: Collector) -> None:
        """A reader per (rule set, question column), with the mapping's translations checked."""
        mapping = self.owner.mapping
        if mapping is not None and used:
            for ident, (where, _) in mapping.values.items():
                if ident not in union:
                    out.error(where, f"the mapping translates answers of '{ident}', which is not a question of "
                              f"rule set {names}", suggest(ident, union))
        for ruleset in used.values():
            for column in self.facts_at:
                question = ruleset.question_by_id.get(column.target)
                if question is None:
                    continue
                reader = _Reader(question)
                if mapping is not None and question.id in mapping.values:
                    reader.learn(mapping.values[question.id][1], out)
                self.readers[(ruleset.id, question.id)] = reader

    # --- the rows -------------------------------------------------------------------------------

    def row(self, record: Record) -> SheetItem | None:
        cells = record.cells
        source = f"{self.display}:row {record.row}" + (f" (line {record.line})" if record.line != record.row else "")
        default_title = f"{self.stem} row {record.row}"
        if record.error is not None:
            loc = Locator(self.display, self.lines, record)
            return SheetItem(stem=f"{self.stem}-row{record.row}", source=source, label=default_title,
                             mtime=self.mtime, problems=(record_problem(loc, record, record.end),))
        if not any(c.strip() for c in cells):
            return None
        out = Collector()
        if any(len(c) > MAX_TEXT_LENGTH for c in cells):  # each reported, then read as empty
            for index, cell in enumerate(cells):
                if len(cell) > MAX_TEXT_LENGTH:
                    out.error(cell_at(index), f"the cell is longer than {MAX_TEXT_LENGTH:,} characters")
            cells = ["" if len(c) > MAX_TEXT_LENGTH else c for c in cells]
        if any(CONTROL_CHARACTER.search(c) for c in cells):  # each reported, then read as empty
            for index, cell in enumerate(cells):
                control = CONTROL_CHARACTER.search(cell)
                if control is not None:
                    out.error(cell_at(index, control.start()),
                              f"the cell holds the control character U+{ord(control.group()):04X}", "remove it")
            cells = ["" if CONTROL_CHARACTER.search(c) else c for c in cells]
        ruleset = self.ruleset(cells, record, out) if self.shape(cells, out) else None
        facts = self.facts(cells, ruleset, out) if ruleset is not None else {}
        title = " ".join(self.cell(cells, "title").split()) or default_title
        ident = self.cell(cells, "id").strip()
        stem = f"{self.stem}-row{record.row}"
        as_of = self.cell(cells, "as_of").strip()
        if as_of and parse_date(as_of) is None:
            lead = len(self.cell(cells, "as_of")) - len(self.cell(cells, "as_of").lstrip())
            out.error(cell_at(self.roles["as_of"], lead), f"'as_of' must be a date YYYY-MM-DD, got {as_of!r}")
        if out.diagnostics or ruleset is None:
            problems = Locator(self.display, self.lines, record).resolve(out.diagnostics)
            return SheetItem(stem=stem, ident=ident, source=source, label=title, mtime=self.mtime, problems=problems)
        notes = self.cell(cells, "notes").strip().replace("\r\n", "\n") or None
        case = Case(ruleset=ruleset.id, title=title, facts=facts, as_of=parse_date(as_of) if as_of else None,
                    notes=notes, source=source, pos=Position(self.display, record.line, 1))
        return SheetItem(stem=stem, ident=ident, source=source, label=title, mtime=self.mtime, case=case,
                         ruleset=ruleset)

    def cell(self, cells: list[str], role: str) -> str:
        """The cell of ``role`` ("" when the sheet has no such column, or this row is too short for it)."""
        index = self.roles.get(role)
        return cells[index] if index is not None and index < len(cells) else ""

    def shape(self, cells: list[str], out: Collector) -> bool:
        """False (and a problem) when the row's cells do not line up with the header's columns."""
        if len(cells) < self.need:
            out.error(cell_at(-1), f"this row has {counted(len(cells), 'cells')} but the header has {self.need}",
                      "a cell that holds a comma must be in double quotes, and an empty cell still needs its comma")
            return False
        for index in range(self.width, len(cells)):
            if cells[index].strip():
                out.error(cell_at(index), f"this row has a value in column {_letter(index)}, past the header's last "
                          f"column ({_letter(self.width - 1)})", "a cell that holds a comma must be in double quotes")
                return False
        for index in self.unnamed:
            if index < len(cells) and cells[index].strip():
                out.error(cell_at(index), f"a value in column {_letter(index)}, which has no header",
                          "name the column in the header row, or clear the cell")
        return not out.diagnostics

    def ruleset(self, cells: list[str], record: Record, out: Collector) -> RuleSet | None:
        column = self.roles.get("ruleset")
        raw = cells[column] if column is not None else ""
        ident = raw.strip()
        if not ident:
            if self.owner.default is not None:
                return self.owner.default
            where = cell_at(column) if column is not None else Position(self.display, record.line, 1)
            out.error(where, "no rule set for this row", "fill in its ruleset cell")
            return None
        found = self.owner.ruleset_for(ident)
        if isinstance(found, RuleSet):
            return found
        assert column is not None
        out.error(cell_at(column, len(raw) - len(raw.lstrip())), found[0], found[1])
        return None

    def facts(self, cells: list[str], ruleset: RuleSet, out: Collector) -> dict[str, Value]:
        plan = self.plans.get(ruleset.id)
        if plan is None:
            plan = self.plans[ruleset.id] = [(c.index, c.target, self.readers.get((ruleset.id, c.target)))
                                             for c in self.facts_at]
        found: dict[str, Value] = {}
        for index, target, reader in plan:
            raw = cells[index]
            if not raw:
                continue
            if reader is not None:
                value = reader.read(raw, index, out)
                if value is not None:
                    found[target] = value
            elif raw.strip():
                out.error(cell_at(index, len(raw) - len(raw.lstrip())),
                          f"'{target}' is not a question of rule set '{ruleset.id}'")
        return {q.id: found[q.id] for q in ruleset.questions if q.id in found}
