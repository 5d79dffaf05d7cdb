"""The owner of loaded rule sets: a Workspace loads them and hands out prepared rule sets with their caches.

Like jinja's ``Environment`` or openfisca's ``Simulation``, a :class:`Workspace` (rule-set folders, engine
choice, memo templates) owns every cache derived from the rule sets it loads, as instance state: a cold start
is a new Workspace. Each cache is an :class:`~transferlaw.engine.lru.LRU` (bounded) under the workspace's one lock,
since the web server is threaded. The CLI builds one in its group callback, the web app holds one, each batch
worker builds its own; the Python API's functions use :func:`default` when they are not given one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from typing import Literal
from typing import TypeVar
from typing import cast

from ..language import paths
from ..language.errors import Diagnostic
from ..language.errors import Position
from ..language.errors import SourceError
from ..language.errors import display_path
from ..language.errors import quoted
from ..language.errors import shortened
from ..language.errors import suggest
from ..language.model import Case
from ..language.model import Explanation
from ..language.model import RuleSet
from ..language.model import Value
from ..language.resources import RULESET_ID
from ..language.resources import rule_set_files
from ..language.resources import rules_dir
from ..language.validate_case import case_from_mapping
from ..language.validate_case import read_case_doc
from ..language.validate_case import ruleset_id_of
from . import cache
from . import durable
from . import kleene
from . import trials as trials_
from .compiled import CompiledRuleSet
from .lru import LRU

EngineChoice = Literal["auto", "durable", "python"]
T = TypeVar("T")
Stamp = tuple[tuple[str, float, int], ...]

LOADED = 32
"""Rule-set folders whose loaded form is kept (checked against the files' stamps on every load): a web app or
a batch names a few, and a reload costs a stat per file instead of the on-disk cache's read and unpickle."""
PREPARED = 64
"""Rule sets prepared (compiled, with their caches), by identity: loaded ones and those a caller builds
(tests, rule-set tests, ``--set``); as many as the old compiled-form cache kept."""
ENGINES = durable.MAX_CACHED
"""durable_rules engines, by compiled content: each holds a C ruleset (about 0.4 MB for the flagship), and
registering one costs more than a memo, so the web app and a batch reuse them; the least recently used is
freed (durable-rules.md §2.6: the C side never frees a ruleset by itself)."""
TREES_PER_CONDITION = 64
"""Reasoning trees converted to memo data, per condition: trees are shared by every case that reads the same
facts, so a batch converts each once; bounded per condition of the rule set."""


def find_rulesets(rules_dirs: Sequence[Path] | None = None) -> dict[str, Path]:
    """Rule-set ids and their directories: each DIR is a rule set, or holds rule sets one level down."""
    found: dict[str, Path] = {}
    for base in rules_dirs or [rules_dir()]:
        if not paths.is_dir(base):
            raise SourceError(Diagnostic(Position(display_path(base)), "no such rules directory"))
        candidates = [base] if paths.is_file(base / "ruleset.yaml") else sorted(
            p for p in base.iterdir() if paths.is_file(p / "ruleset.yaml"))
        for path in candidates:
            found.setdefault(path.name, path)
    return found


def ruleset_dir(ref: str | Path, rules_dirs: Sequence[Path] | None = None) -> Path:
    """The directory of a rule set given as a directory path or as an id."""
    path = Path(ref)
    if paths.is_file(path / "ruleset.yaml"):
        return path
    available = find_rulesets(rules_dirs)
    if str(ref) not in available:
        raise SourceError(Diagnostic(Position(shortened(str(ref))), f"no rule set {quoted(str(ref))}",
                                     suggest(str(ref), available)
                                     or "available: " + ", ".join(sorted(available))))
    return available[str(ref)]


def _stamp(directory: Path) -> Stamp:
    stamps = []
    for path in rule_set_files(directory)[0]:
        info = path.stat()
        stamps.append((str(path), info.st_mtime, info.st_size))
    return tuple(stamps)


class Prepared:
    """A rule set in a workspace, with everything derived from it: its compiled durable rules and engine, the
    Kleene program (:attr:`program`), the trials layout (:attr:`trials`) and the last trial outcomes, the
    explanation trees kept per condition (:attr:`explained`), and the text and converted-tree caches its
    memos reuse."""

    __slots__ = ("ruleset", "trees", "explained", "_program", "_trials", "_last", "_compiled", "_workspace",
                 "_owned")

    def __init__(self, workspace: Workspace, ruleset: RuleSet, compiled: CompiledRuleSet | None = None) -> None:
        self.ruleset = ruleset
        self._workspace = workspace
        self._compiled = compiled
        self._owned: dict[type, object] = {}
        """State a later stage keeps for this rule set (:meth:`own`), one object per kind."""
        self.trees: dict[str, LRU[int, tuple[Explanation, dict[str, Any]]]] = {
            ident: LRU(TREES_PER_CONDITION, workspace.lock, first=True)
            for ident in (*(i.id for i in ruleset.issues), *(c.id for c in ruleset.conclusions))}
        """Per condition id: id of a tree -> (the tree, kept so its id stays its own; the tree as memo data).
        Bounded per condition, so a condition whose tree differs in every case cannot crowd out the others;
        the first trees seen stay (``first``: more hits than recency, measured)."""
        self.explained: dict[str, LRU[tuple[object, ...], Explanation]] = {
            ident: LRU(kleene.Trees.PER_CONDITION, workspace.lock, first=True) for ident in self.trees}
        """Per condition id: the facts it reads (:class:`kleene.Trees`) -> its explanation tree, shared by every
        case that agrees on them. Bounded per condition; the first patterns seen stay (``first``: lock-free
        reads, as for ``trees``)."""
        self._program: kleene.Program | None = None
        self._trials: trials_.Program | None = None
        self._last: tuple[Mapping[str, Value], dict[str, Value], trials_.Outcomes] | None = None
        """The last :meth:`outcomes`: open questions and sensitivity ask for the same case one after the other."""

    def own(self, kind: type[T], make: Callable[[], T]) -> T:
        """The one ``kind`` of state kept for this rule set (the memo layer's rendered texts), made by ``make``
        on first use. The engine does not know the memo layer's types: the stage that uses the state owns
        its type; the prepared rule set owns its life. Bounded by the kinds that ask (one per stage)."""
        return _own(self._owned, self._workspace.lock, kind, make)

    @property
    def workspace(self) -> Workspace:
        """The workspace that prepared this rule set."""
        return self._workspace

    @property
    def program(self) -> kleene.Program:
        """The Kleene program of the rule set, compiled on first use."""
        return cast(kleene.Program, self._once("_program", kleene.build))

    @property
    def trials(self) -> trials_.Program:
        """The trials layout and its compiled steps, built on first use."""
        return cast(trials_.Program, self._once("_trials", trials_.build))

    def _once(self, slot: str, build: Callable[[RuleSet], object]) -> object:
        """The value in ``slot``, built from the rule set on first use. Read without the lock: a slot is set
        once, and two threads that both find it empty build equal values, the first one kept."""
        found = getattr(self, slot)
        if found is None:
            built = build(self.ruleset)
            with self._workspace.lock:
                if getattr(self, slot) is None:
                    setattr(self, slot, built)
                found = getattr(self, slot)
        return found

    def outcomes(self, facts: Mapping[str, Value]) -> trials_.Outcomes:
        """The value of every conclusion and issue under every trial of ``facts`` (the last result is kept, as
        open questions and sensitivity ask for the same case one after the other)."""
        last = self._last
        if last is not None and last[0] is facts and last[1] == facts:
            return last[2]
        found = self.trials.outcomes(facts)
        self._last = (facts, dict(facts), found)  # one assignment: a reader sees the old or the new triple
        return found

    @property
    def compiled(self) -> CompiledRuleSet:
        """The durable_rules form of the rule set, compiled on first use unless the loader had it."""
        with self._workspace.lock:
            if self._compiled is None:
                from .compile import compile_ruleset  # the compiler loads only when no cached form exists

                self._compiled = compile_ruleset(self.ruleset)
            return self._compiled

    def durable(self) -> durable.DurableEngine:
        """The durable_rules engine for this rule set (shared by rule sets that compile the same)."""
        return self._workspace.engine_for(self.compiled)


class Workspace:
    """Loads rule sets from ``rules_dirs`` (default: the bundled ones) and owns what is derived from them.

    ``engine`` records its owner's engine choice (the API's functions still take theirs as an argument);
    ``templates`` is a folder of memo templates that override the bundled ones, used when a render is not
    given its own.
    """

    def __init__(self, rules_dirs: Sequence[Path] | None = None, engine: EngineChoice = "auto",
                 templates: Path | None = None) -> None:
        self.rules_dirs = list(rules_dirs) if rules_dirs else None
        self.engine: EngineChoice = engine
        self.templates = templates
        self.lock = threading.RLock()
        """The one lock of every cache below (re-entrant: preparing a rule set may compile it)."""
        self._loaded: LRU[Path, tuple[Stamp, Prepared]] = LRU(LOADED, self.lock)
        self._prepared: LRU[int, Prepared] = LRU(PREPARED, self.lock)  # id(rule set); the Prepared holds it
        self._engines: LRU[str, durable.DurableEngine] = LRU(ENGINES, self.lock, evict=lambda e: e.close())
        self._owned: dict[type, object] = {}
        """State a later stage keeps for the whole workspace (:meth:`own`): the memo templates' environments."""

    def own(self, kind: type[T], make: Callable[[], T]) -> T:
        """The one ``kind`` of state this workspace keeps for a later stage (the memo templates' Jinja
        environments), made by ``make`` on first use; see :meth:`Prepared.own`."""
        return _own(self._owned, self.lock, kind, make)

    def find_rulesets(self, rules_dirs: Sequence[Path] | None = None) -> dict[str, Path]:
        """:func:`find_rulesets` in ``rules_dirs``, else this workspace's."""
        return find_rulesets(rules_dirs or self.rules_dirs)

    def ruleset_dir(self, ref: str | Path, rules_dirs: Sequence[Path] | None = None) -> Path:
        """:func:`ruleset_dir` in ``rules_dirs``, else this workspace's."""
        return ruleset_dir(ref, rules_dirs or self.rules_dirs)

    def load(self, ref: str | Path, rules_dirs: Sequence[Path] | None = None) -> Prepared:
        """A rule set by directory path or by id, prepared; kept until one of its files changes."""
        path = self.ruleset_dir(ref, rules_dirs)
        resolved = path.resolve()
        stamp = _stamp(resolved)
        kept = self._loaded.get(resolved)
        if kept is not None and kept[0] == stamp:
            return kept[1]
        definition, _ = rule_set_files(path)
        disk_key = cache.key(definition, display_path(path))  # None: not to be cached
        cached_pair = cache.load(disk_key) if disk_key is not None else None
        if cached_pair is None:
            from ..language.validate_ruleset import load_ruleset_dir
            from .compile import compile_ruleset  # the validator and compiler load only on a cache miss

            ruleset = load_ruleset_dir(path)
            compiled = compile_ruleset(ruleset)  # engine-limit errors surface when the rule set loads
            if disk_key is not None and cache.key(definition, display_path(path)) == disk_key:  # unchanged meanwhile
                cache.store(disk_key, ruleset, compiled)
        else:
            ruleset, compiled = cached_pair
        prepared = self._prepared.put(id(ruleset), Prepared(self, ruleset, compiled))
        self._loaded.put(resolved, (stamp, prepared))
        return prepared

    def load_case(self, source: str | Path, rules_dirs: Sequence[Path] | None = None,
                  text: str | None = None) -> tuple[Case, RuleSet]:
        """A case file (``text`` instead of reading ``source``, e.g. stdin) and its rule set, loaded here."""
        shown = "-" if text is not None and str(source) == "-" else display_path(source)
        doc = read_case_doc(None if text is not None else Path(source), text, shown)
        ident, pos = ruleset_id_of(doc)
        available = self.find_rulesets(rules_dirs)
        if not RULESET_ID.match(ident) or ident not in available:
            raise SourceError(Diagnostic(pos, f"unknown rule set {quoted(ident)}",
                                         suggest(ident, available)
                                         or "available: " + ", ".join(sorted(available))))
        ruleset = self.load(available[ident]).ruleset
        return case_from_mapping(doc.root, ruleset, shown), ruleset

    def prepare(self, ruleset: RuleSet) -> Prepared:
        """The prepared form of ``ruleset``: the one it was loaded as, else a new one (compiled on first use).

        A hit is read without the lock and without refreshing its recency (:meth:`LRU.peek`): every Kleene
        evaluation asks, thousands of times a second; a rule set pushed out is prepared again, nothing worse."""
        prepared = self._prepared.peek(id(ruleset))
        if prepared is not None and prepared.ruleset is ruleset:
            return prepared
        with self.lock:
            prepared = self._prepared.get(id(ruleset))
            if prepared is None or prepared.ruleset is not ruleset:
                prepared = self._prepared.put(id(ruleset), Prepared(self, ruleset))
            return prepared

    def engine_for(self, compiled: CompiledRuleSet) -> durable.DurableEngine:
        """The durable_rules engine of a compiled rule set, by content hash; the least recently used is freed."""
        with self.lock:
            engine = self._engines.get(compiled.name)
            if engine is None:
                engine = self._engines.put(compiled.name, durable.DurableEngine(compiled))
            return engine

    def close(self) -> None:
        """Free the durable_rules engines now (they are also freed when the workspace is collected)."""
        with self.lock:
            while len(self._engines):
                self._engines.pop_oldest().close()


def _own(owned: dict[type, object], lock: threading.RLock, kind: type[T], make: Callable[[], T]) -> T:
    found = owned.get(kind)
    if found is None:
        with lock:
            found = owned.get(kind)
            if found is None:
                found = owned[kind] = make()
    return cast(T, found)


def prepared(ruleset: RuleSet, workspace: Workspace | None = None) -> Prepared:
    """``ruleset`` prepared in ``workspace``, else in the Python API's default one (:func:`default`)."""
    return (workspace if workspace is not None else default()).prepare(ruleset)


_DEFAULT: Workspace | None = None
_DEFAULT_LOCK = threading.Lock()


def default() -> Workspace:
    """The workspace of Python API calls that are not given one (a notebook, a script, the benchmarks).

    The one module-level owner, created on first use; the CLI, the web app and batch workers each build their
    own, so nothing they load lives here.
    """
    global _DEFAULT
    if _DEFAULT is not None:  # read without the lock once made: every Kleene evaluation asks
        return _DEFAULT
    with _DEFAULT_LOCK:
        if _DEFAULT is None:
            _DEFAULT = Workspace()
        return _DEFAULT
