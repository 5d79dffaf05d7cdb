"""The batch manifest: what every memo in a batch's OUTDIR was made from, so a rerun redoes exactly what changed.

``OUTDIR/.transferlaw-manifest.json`` holds one entry per output stem (:attr:`transferlaw.batch.sources.Item.key`):
the source it was made from (for display), the case's title, a fingerprint of everything its memos depend
on (:func:`fingerprint`), the memo files with their sizes, and the issue counts that go in the summaries.
A memo is up to date when its entry has the fingerprint the batch computes now and the file is still there,
a regular file of the recorded size; a memo whose source is not among a batch's inputs is orphaned. The
manifest is rewritten atomically (:func:`transferlaw.memo.output.write_output`). A manifest that is missing,
unreadable or of another version is an empty one: every memo is then written again, which is always safe.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..language.model import Case
from ..memo.output import write_output

NAME = ".transferlaw-manifest.json"
SCHEMA = "transferlaw.manifest"
SCHEMA_VERSION = 1
MAX_BYTES = 1 << 28
"""A larger manifest is not read (it would be about a million memos)."""
_SEVERITIES = ("high", "medium", "low")
_MEMO_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*\Z")
"""What a memo's file name is made of (:func:`transferlaw.batch.sources.safe_key`, a suffix): nothing else is
trusted."""


def fingerprint(settings: str, ruleset: str, source: str, case: Case) -> str:
    """The fingerprint of a case's memos: the batch's ``settings`` (:func:`digest` of transferlaw's version
    and templates, the memo options, the engine), the rule set's digest, the source and the case as loaded
    (every fact, the title, the memo block, its position)."""
    return digest(settings, ruleset, source, repr(case))


def digest(*parts: str) -> str:
    """A SHA-256 of ``parts``, each told apart from the next."""
    hashed = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8", "backslashreplace")
        hashed.update(f"{len(data)}:".encode("ascii") + data)
    return hashed.hexdigest()


def folder_digest(folder: Path) -> str:
    """A digest of every file's relative name and bytes under ``folder`` (transferlaw's templates)."""
    parts = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        parts += [path.relative_to(folder).as_posix(), path.read_bytes().hex()]
    return digest(*parts)


@dataclass(frozen=True, slots=True)
class Entry:
    """What one output stem's memos were made from, and what the summaries say of them."""

    source: str
    title: str
    fingerprint: str
    outputs: tuple[tuple[str, int], ...]
    """Each memo file's name and size in bytes."""
    raised: tuple[int, int, int]
    """Issues raised, by severity: high, medium, low."""
    undetermined: int
    not_raised: int

    def present(self, outdir: Path) -> tuple[tuple[str, int], ...]:
        """The outputs still in ``outdir`` as they were written: regular files of the recorded size."""
        return tuple((name, size) for name, size in self.outputs if is_memo(outdir / name, size))

    def as_json(self) -> dict[str, Any]:
        return {"source": self.source, "title": self.title, "fingerprint": self.fingerprint,
                "outputs": dict(self.outputs), "raised": dict(zip(_SEVERITIES, self.raised, strict=True)),
                "undetermined": self.undetermined, "not_raised": self.not_raised}


def is_memo(path: Path, size: int) -> bool:
    """True when ``path`` is a regular file (not a folder or a link) of ``size`` bytes."""
    try:
        found = os.lstat(path)
    except (OSError, ValueError):
        return False
    return stat.S_ISREG(found.st_mode) and found.st_size == size


class Manifest:
    """The entries of one OUTDIR: read when a batch starts, updated as its outcomes arrive, saved at its end
    (or when it is interrupted, so that the next run resumes)."""

    def __init__(self, outdir: Path, entries: Mapping[str, Entry] | None = None) -> None:
        self.outdir = outdir
        self.entries: dict[str, Entry] = dict(entries or {})
        self.saved = dict(self.entries)

    @classmethod
    def load(cls, outdir: Path) -> Manifest:
        """The manifest of ``outdir``; an empty one when there is none, or it cannot be read or understood."""
        path = outdir / NAME
        try:
            found = os.lstat(path)
            if not stat.S_ISREG(found.st_mode) or found.st_size > MAX_BYTES:
                return cls(outdir)
            data = json.loads(path.read_bytes())
            if data.get("schema") != SCHEMA or data.get("schema_version") != SCHEMA_VERSION:
                return cls(outdir)
            return cls(outdir, {key: _entry(value) for key, value in data["memos"].items()})
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            return cls(outdir)

    def get(self, key: str) -> Entry | None:
        return self.entries.get(key)

    def record(self, key: str, entry: Entry) -> None:
        self.entries[key] = entry

    def orphans(self, current: Iterable[str]) -> Iterator[tuple[str, Entry]]:
        """The entries whose stem is not in ``current`` and that still have a memo in OUTDIR, by stem; entries
        whose memos are all gone are dropped."""
        seen = set(current)
        for key in sorted(self.entries):
            if key in seen:
                continue
            entry = self.entries[key]
            present = entry.present(self.outdir)
            if not present:
                del self.entries[key]
                continue
            if present != entry.outputs:
                entry = self.entries[key] = Entry(entry.source, entry.title, entry.fingerprint, present,
                                                  entry.raised, entry.undetermined, entry.not_raised)
            yield key, entry

    def save(self) -> None:
        """Write the manifest atomically, if it changed.

        :raises OutputError: when it cannot be written.
        """
        if self.entries == self.saved:
            return
        data = {"schema": SCHEMA, "schema_version": SCHEMA_VERSION,
                "memos": {key: self.entries[key].as_json() for key in sorted(self.entries)}}
        write_output(self.outdir / NAME, json.dumps(data, ensure_ascii=False, indent=1) + "\n", force=True)
        self.saved = dict(self.entries)


def _entry(value: dict[str, Any]) -> Entry:
    """An entry read from the manifest (a ValueError or TypeError, caught by the caller, if it is malformed)."""
    outputs = tuple((str(name), int(size)) for name, size in value["outputs"].items())
    raised = tuple(int(value["raised"][s]) for s in _SEVERITIES)
    if not all(_MEMO_NAME.match(name) for name, _ in outputs):
        raise ValueError("not the name of a memo in OUTDIR")
    return Entry(source=str(value["source"]), title=str(value["title"]), fingerprint=str(value["fingerprint"]),
                 outputs=outputs, raised=(raised[0], raised[1], raised[2]), undetermined=int(value["undetermined"]),
                 not_raised=int(value["not_raised"]))
