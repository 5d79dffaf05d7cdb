"""Reading one question's answer from a spreadsheet cell, per question type (docs/batch.md).

:class:`_Reader` turns a cell's text into an answer: yes/no, a choice's id or label, a multi's ids or labels
separated by ``;``, ``|`` or ``,`` (labels holding commas kept whole), numbers with an optional unit, dates and
text; ``unknown`` or an empty cell is unknown. A mapping file's translations are learned first, each checked as
an answer. Every answer is checked by :func:`~transferlaw.language.validate_case.fact_value` and every problem located
in the cell (or, for a translation, in the mapping file).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import replace

from ..language.conditions import parse_date
from ..language.errors import Collector
from ..language.errors import Position
from ..language.model import Question
from ..language.model import Value
from ..language.number import NumberError
from ..language.number import parse_number
from ..language.validate_case import fact_value
from ..language.yamlio import Scalar
from ..language.yamlio import YList
from .csvtext import cell_at
from .sheet_mapping import Target
from .sheet_mapping import _norm

_BOOLS = {"yes": True, "y": True, "true": True, "1": True, "no": False, "n": False, "false": False, "0": False}
_STR, _INT = "tag:yaml.org,2002:str", "tag:yaml.org,2002:int"
_MISSING = object()


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
