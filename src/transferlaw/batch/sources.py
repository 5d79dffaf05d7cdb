"""Expand batch inputs (case files, folders of them, CSV spreadsheets) into validated, located cases to run.

Every input yields :class:`Item` objects in a deterministic order: the inputs in the order given, a folder's
case files sorted by path, a spreadsheet's rows in file order. A bad file or row never stops the others: its
item carries located problems (``path:line:col``) instead of a case. Choices made for advocates:

* **Spreadsheets** (CSV) are read by :mod:`transferlaw.batch.sheets`, which describes how their header row, rows and
  mapping file are read; each row becomes an item, and a file or header that cannot be read one item saying why.
* **Keys** (output stems) depend on their own source only, never on the other inputs or their order: a readable
  part (a case file's stem, a row's sanitised ``id`` cell, or ``<csvstem>-row<N>``), a hyphen, and 8 hex digits
  of a hash of the source's identity (:func:`output_key`): a case file's resolved path; a row's spreadsheet
  (resolved path) and its ``id`` cell, or its row number when it has no id (or repeats an id of a row above).
  So ``A/case.yaml`` and ``B/case.yaml`` never share a memo, however they are batched. ``N`` is the spreadsheet
  row number (the header is row 1), which is also the line number unless a cell above spans lines. Two keys
  of one batch that are alike ignoring case (only a hash clash could do it) get ``-2``, ``-3``, ...
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..engine.workspace import Workspace
from ..language import paths
from ..language.errors import CompileError
from ..language.errors import Diagnostic
from ..language.errors import Position
from ..language.errors import SourceError
from ..language.errors import TransferlawError
from ..language.errors import ValidationFailed
from ..language.errors import display_path
from ..language.model import Case
from ..language.model import RuleSet
from .sheet_mapping import ROLES as ROLES  # re-exported: public here before the split
from .sheet_mapping import load_mapping
from .sheet_mapping import mtime_of
from .sheets import MAX_CSV_BYTES as MAX_CSV_BYTES  # re-exported: public here before the split
from .sheets import SheetReader

CASE_SUFFIXES = (".yaml", ".yml")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_DEVICE_NAMES = {"con", "prn", "aux", "nul", *(f"com{n}" for n in range(1, 10)), *(f"lpt{n}" for n in range(1, 10))}
_SPREADSHEETS = {".xlsx", ".xls", ".xlsm", ".ods", ".numbers", ".tsv", ".txt"}


@dataclass(frozen=True, slots=True, kw_only=True)
class Item:
    """One case to run (``case`` and ``ruleset``), or an input that could not be read (``problems``)."""

    key: str
    """A unique, filesystem-safe output stem that depends on this input's source only (:func:`output_key`)."""
    source: str
    """Where it came from, for display: ``cases/a.yaml`` or ``clients.csv:row 7``."""
    label: str
    """A human name: the case title, or the file name when the case could not be read."""
    mtime: float
    """The input's modification time (for a row, the later of the spreadsheet's and the mapping's); for
    information only: a batch decides whether a memo is up to date by its manifest, never by times."""
    case: Case | None = None
    ruleset: RuleSet | None = None
    problems: tuple[Diagnostic, ...] = ()

    def __post_init__(self) -> None:
        loaded = self.case is not None and self.ruleset is not None and not self.problems
        failed = self.case is None and self.ruleset is None and bool(self.problems)
        if not (loaded or failed):
            raise ValueError("an Item holds a case and its rule set, or problems, not both")

    @property
    def ok(self) -> bool:
        """True when the item holds a case to run."""
        return self.case is not None


def expand(inputs: Sequence[Path], rules_dirs: Sequence[Path] | None = None, *, mapping: Path | None = None,
           ruleset: str | None = None, strict: bool = False, warn: Callable[[Diagnostic], None] | None = None,
           workspace: Workspace | None = None) -> Iterator[Item]:
    """Every case to run from ``inputs`` (case files, folders of case files, CSV files), in a stable order.

    :param rules_dirs: where rule sets are looked up by id (default: the bundled rule sets).
    :param workspace: loads the rule sets the inputs name (default: a new one for this call).
    :param mapping: a YAML mapping file (``columns:`` and ``values:``) applied to every CSV file.
    :param ruleset: the rule set (id or directory) of CSV rows that do not name one in a ``ruleset`` column.
    :param strict: a CSV column that is no question (nor mapped, nor skipped) stops its file; else it is
        ignored with a warning to ``warn`` (once per file).
    :raises TransferlawError: at once, for problems that concern every input: no inputs, a missing rules
        directory, an unknown ``ruleset``, a bad mapping file. A bad input never raises; its item says why.
    """
    if not inputs:
        raise SourceError(Diagnostic(Position("-"), "no inputs",
                                     "give case files (.yaml), folders of them, or CSV files"))
    dirs = list(rules_dirs) if rules_dirs else None
    ws = workspace if workspace is not None else Workspace(dirs)
    available = ws.find_rulesets(dirs)
    default = ws.load(ruleset, dirs).ruleset if ruleset is not None else None
    columns = load_mapping(mapping) if mapping is not None else None
    return _Expander(dirs, ws, SheetReader(available, default, columns, ws, strict=strict, warn=warn)).run(inputs)


def safe_key(text: str) -> str:
    """``text`` as a filesystem-safe stem (ASCII letters, digits, ``.``, ``_``, ``-``); may be empty."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    key = _UNSAFE.sub("-", ascii_text).strip("-._")[:80].rstrip("-._")
    if key.split(".")[0].casefold() in _DEVICE_NAMES:
        key += "-case"
    return key


def output_key(stem: str, identity: str) -> str:
    """The output stem of a source: ``stem`` made safe (``case`` if nothing is left), a hyphen and 8 hex digits
    of the SHA-256 of ``identity``, the source's own identity (see the module's docstring)."""
    digest = hashlib.sha256(identity.encode("utf-8", "surrogateescape")).hexdigest()[:8]
    return f"{safe_key(stem) or 'case'}-{digest}"


def identity_of(path: Path) -> str:
    """A file's identity: its resolved path (as given, made absolute, when it cannot be resolved)."""
    try:
        return str(path.resolve())
    except (OSError, ValueError, RuntimeError):  # a loop of links, a NUL byte
        return os.path.abspath(path)


class _Keys:
    """Hands out keys; a clash (ignoring case) gets -2, -3, ... in call order (only a hash clash can do it)."""

    def __init__(self) -> None:
        self.taken: set[str] = set()

    def claim(self, stem: str, identity: str) -> str:
        base = output_key(stem, identity)
        key, count = base, 1
        while key.casefold() in self.taken:
            count += 1
            key = f"{base}-{count}"
        self.taken.add(key.casefold())
        return key


def _problems(exc: TransferlawError, display: str) -> tuple[Diagnostic, ...]:
    if isinstance(exc, ValidationFailed):
        return exc.diagnostics
    if isinstance(exc, CompileError):
        return exc.diagnostics
    if isinstance(exc, SourceError):
        return (exc.diagnostic,)
    return (Diagnostic(Position(display), str(exc)),)


class _Expander:
    """Walks the inputs once; holds what every input shares (keys handed out, the spreadsheet reader)."""

    def __init__(self, rules_dirs: list[Path] | None, workspace: Workspace, sheets: SheetReader) -> None:
        self.rules_dirs = rules_dirs
        self.workspace = workspace
        self.sheets = sheets
        self.keys = _Keys()
        self.seen: set[Path] = set()

    def run(self, inputs: Sequence[Path]) -> Iterator[Item]:
        for path in inputs:
            yield from self.one(Path(path))

    def failed(self, path: Path, stem: str, mtime: float, problems: Sequence[Diagnostic]) -> Item:
        """The item of an input that could not be read."""
        return Item(key=self.keys.claim(stem, identity_of(path)), source=display_path(path), label=path.name,
                    mtime=mtime, problems=tuple(problems))

    def one(self, path: Path) -> Iterator[Item]:
        display = display_path(path)
        if paths.is_dir(path):
            files = self.case_files(path)
            if not files:
                yield self.failed(path, path.name, mtime_of(path), [Diagnostic(
                    Position(display), "no case files (*.yaml, *.yml) in this folder")])
            for file in files:
                yield from self.once(file, self.case_file)
            return
        suffix = path.suffix.lower()
        if not paths.exists(path):
            yield self.failed(path, path.stem, 0.0, [Diagnostic(Position(display), "no such file or folder")])
        elif suffix in CASE_SUFFIXES:
            yield from self.once(path, self.case_file)
        elif suffix == ".csv":
            yield from self.once(path, self.sheet)
        else:
            hint = ("save the spreadsheet as 'CSV UTF-8'" if suffix in _SPREADSHEETS
                    else "give a case file (.yaml), a folder of them, or a CSV file")
            yield self.failed(path, path.stem, mtime_of(path), [Diagnostic(
                Position(display), "not a case file (.yaml, .yml), a folder or a CSV file (.csv)", hint)])

    def once(self, path: Path, load: Callable[[Path], Iterator[Item]]) -> Iterator[Item]:
        """Each file is read once, however many inputs name it."""
        resolved = path.resolve()
        if resolved not in self.seen:
            self.seen.add(resolved)
            yield from load(path)

    def case_files(self, folder: Path) -> list[Path]:
        mapping = self.sheets.mapping
        skip = mapping.path if mapping is not None else None
        found: list[tuple[tuple[str, ...], Path]] = []
        for root, dirs, files in os.walk(folder):
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            for name in files:
                path = Path(root) / name
                if (not name.startswith(".") and path.suffix.lower() in CASE_SUFFIXES
                        and path.resolve() != skip):
                    found.append((path.relative_to(folder).parts, path))
        return [path for _, path in sorted(found)]

    def case_file(self, path: Path) -> Iterator[Item]:
        display = display_path(path)
        mtime = mtime_of(path)
        try:
            case, ruleset = self.workspace.load_case(path, self.rules_dirs)
        except TransferlawError as exc:
            yield self.failed(path, path.stem, mtime, _problems(exc, display))
            return
        yield Item(key=self.keys.claim(path.stem, identity_of(path)), source=display, label=case.title, mtime=mtime,
                   case=case, ruleset=ruleset)

    def sheet(self, path: Path) -> Iterator[Item]:
        file = identity_of(path)
        ids: set[str] = set()
        for got in self.sheets.read(path):
            row = f"{file}\0row\0{got.stem}"  # <csvstem>-row<N>: the row number (or -header, or the file)
            if got.ident and got.ident not in ids:  # a repeated id falls back on the row number
                ids.add(got.ident)
                row = f"{file}\0id\0{got.ident}"
            yield Item(key=self.keys.claim(safe_key(got.ident) or got.stem, row), source=got.source, label=got.label,
                       mtime=got.mtime, case=got.case, ruleset=got.ruleset, problems=got.problems)
