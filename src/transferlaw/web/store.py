"""Keep web interviews on disk (SQLite), each under an unguessable id, so they survive reloads and restarts.

Every interview is its own row: two tabs, each with its own interview, never share or overwrite state.
Each row carries a revision, and a change is written only if the row is still at the revision it was read
at (compare-and-swap): two requests on one interview at the same instant cannot both read it, change it and
write, the second silently undoing the first; the second is told, and the page shows the interview as it
now stands. The store also holds the app's secret (for CSRF tokens), created once, readable only by its owner.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import secrets
import sqlite3
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ..language.errors import OutputError
from ..tools.steps import State

ID = re.compile(r"[A-Za-z0-9_-]{22,64}\Z")


class Store:
    """Interviews by id, in ``directory/interviews.sqlite3``."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        try:
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"{directory}: cannot create the app's store: {exc.strerror}") from exc
        self.path = directory / "interviews.sqlite3"
        self._lock = threading.Lock()
        try:
            with self._connect() as db:
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("CREATE TABLE IF NOT EXISTS interviews (id TEXT PRIMARY KEY, state TEXT NOT NULL, "
                           "updated TEXT NOT NULL, revision INTEGER NOT NULL DEFAULT 0)")
                columns = {row[1] for row in db.execute("PRAGMA table_info(interviews)")}
                if "revision" not in columns:  # a store written before revisions were kept
                    db.execute("ALTER TABLE interviews ADD COLUMN revision INTEGER NOT NULL DEFAULT 0")
            os.chmod(self.path, 0o600)
            self.secret = self._secret()
        except (OSError, sqlite3.Error) as exc:
            raise OutputError(f"{directory}: cannot use the app's store: {exc}") from exc

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """A connection that commits (or rolls back) and closes."""
        db = sqlite3.connect(self.path, timeout=10)
        try:
            with db:
                yield db
        finally:
            db.close()

    def _secret(self) -> bytes:
        """The app's 32-byte secret, created once (atomically: a crash never leaves a short one)."""
        path = self.directory / "secret"
        try:
            value = bytes.fromhex(path.read_text(encoding="ascii").strip())
            if len(value) == 32:
                return value
        except (OSError, ValueError):
            pass
        value = secrets.token_bytes(32)
        fd, tmp = tempfile.mkstemp(prefix=".secret.", dir=self.directory)  # created 0600
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(value.hex())
        os.replace(tmp, path)
        return value

    def create(self, state: State) -> str:
        """Keep a new interview; its id (24 random URL-safe characters)."""
        ident = secrets.token_urlsafe(18)
        with self._lock, self._connect() as db:
            db.execute("INSERT INTO interviews (id, state, updated, revision) VALUES (?, ?, ?, 0)",
                       (ident, _dump(state), _now()))
        return ident

    def get(self, ident: str) -> State | None:
        """The interview with this id, or None (also for anything that is not an id)."""
        found = self.read(ident)
        return found[0] if found is not None else None

    def read(self, ident: str) -> tuple[State, int] | None:
        """The interview with this id and its revision (for :meth:`replace`), or None."""
        if not ID.match(ident):
            return None
        with self._lock, self._connect() as db:
            row = db.execute("SELECT state, revision FROM interviews WHERE id = ?", (ident,)).fetchone()
        if row is None:
            return None
        try:
            return _load(row[0]), int(row[1])
        except (ValueError, KeyError, TypeError, AttributeError):  # a damaged row: as good as missing
            return None

    def replace(self, ident: str, state: State, revision: int) -> bool:
        """Write ``state`` if the interview is still at ``revision`` (then it moves to the next one); False,
        writing nothing, if another request changed it since it was read."""
        with self._lock, self._connect() as db:
            cursor = db.execute("UPDATE interviews SET state = ?, updated = ?, revision = revision + 1 "
                                "WHERE id = ? AND revision = ?", (_dump(state), _now(), ident, revision))
            return cursor.rowcount == 1


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


def _dump(state: State) -> str:
    return json.dumps({
        "ruleset": state.ruleset, "title": state.title,
        "facts": {k: list(v) if isinstance(v, tuple) else v for k, v in state.facts.items()},
        "skipped": sorted(state.skipped), "asked": list(state.asked),
        "as_of": state.as_of.isoformat() if state.as_of else None, "notes": state.notes,
    })


def _load(text: str) -> State:
    data: dict[str, Any] = json.loads(text)
    facts = {k: tuple(v) if isinstance(v, list) else v for k, v in data["facts"].items()}
    return State(ruleset=data["ruleset"], title=data["title"], facts=MappingProxyType(facts),
                 skipped=frozenset(data["skipped"]), asked=tuple(data["asked"]),
                 as_of=dt.date.fromisoformat(data["as_of"]) if data.get("as_of") else None, notes=data.get("notes"))
