"""Read CSV spreadsheets into cases, one per row, with every problem located in the file or the mapping file.

:mod:`transferlaw.batch.sources` hands each CSV input to :class:`SheetReader` and gives every row it yields a key.
A spreadsheet yields its rows in file order; a bad file, header or row yields one :class:`SheetItem` that
carries located problems (``path:line:col``) instead of a case, and never stops the other rows. The raw text
(reading the file, CSV records, locating a cell) is :mod:`transferlaw.batch.csvtext`'s, the mapping file
:mod:`transferlaw.batch.sheet_mapping`'s and reading one answer from a cell :mod:`transferlaw.batch.sheet_answers`'s.
Choices made for advocates:

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
  commas are recognised whole), plain decimal numbers (:func:`~transferlaw.language.number.parse_number`, as in a case
  file: ``010`` is 10, ``1,234`` grouping allowed) with optional unit, dates as
  YYYY-MM-DD, and text. An empty cell or ``unknown`` is unknown. Each answer is then checked by the case
  validator's :func:`~transferlaw.language.validate_case.fact_value`, so a row's problems read like a case file's.
  A row with too few or too many cells is reported, not guessed at. Blank rows are skipped.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..engine.workspace import Workspace
from ..language.conditions import parse_date
from ..language.errors import Collector
from ..language.errors import Diagnostic
from ..language.errors import Position
from ..language.errors import SourceError
from ..language.errors import TransferlawError
from ..language.errors import display_path
from ..language.errors import suggest
from ..language.limits import CONTROL_CHARACTER
from ..language.limits import MAX_CSV_COLUMNS
from ..language.limits import MAX_CSV_ROWS
from ..language.limits import MAX_TEXT_LENGTH
from ..language.model import Case
from ..language.model import Question
from ..language.model import RuleSet
from ..language.model import Value
from ..language.resources import RULESET_ID
from ..language.words import counted
from .csvtext import MAX_CSV_BYTES as MAX_CSV_BYTES  # re-exported: transferlaw.batch.sources imports it from here
from .csvtext import Locator
from .csvtext import Record
from .csvtext import cell_at
from .csvtext import lines_of
from .csvtext import read_csv
from .csvtext import record_problem
from .csvtext import split_records
from .sheet_answers import _Reader
from .sheet_mapping import ROLES
from .sheet_mapping import MappingFile
from .sheet_mapping import _column_name
from .sheet_mapping import _norm
from .sheet_mapping import mtime_of


def _letter(index: int) -> str:
    """A spreadsheet column letter: 0 -> A, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


# --- the sheet expander -------------------------------------------------------------------------

@dataclass(frozen=True, slots=True, kw_only=True)
class SheetItem:
    """One row's case (``case`` and ``ruleset``), or a file, header or row that could not be read (``problems``).

    It has no key yet: :mod:`transferlaw.batch.sources` hands out keys, from ``ident`` when that gives one, else
    ``stem``.
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

    def __init__(self, available: dict[str, Path], default: RuleSet | None, mapping: MappingFile | None,
                 workspace: Workspace, *, strict: bool = False,
                 warn: Callable[[Diagnostic], None] | None = None) -> None:
        self.available = available
        self.workspace = workspace
        """Loads the rule sets that cells name."""
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
                found = self.workspace.load(self.available[ident]).ruleset
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
