"""The durable_rules adapter: the only module that imports durable, and everything that keeps it safe.

It follows durable-rules.md §6: a Host subclass with the background threads off; a sentinel rule so that
every case runs an action; only whitelisted operators (checked by ``compile``); constant-only joins on
derived facts; one sid per case from a counter, always deleted in ``finally``; one lock per engine; facts
validated and normalised against the engine's limits; action errors (which durable swallows into the
state) checked after every case; and every engine error mapped to :class:`EngineError`.

Actions are run by our own synchronous loop over the engine's C API (``start_action_for_state`` /
``complete_and_start_action``) instead of durable's Python dispatcher: the rules still fire in the Rete
network and chain through derived facts, but without the per-action JSON round trip, ``Closure`` objects
and clock reads, which is what makes thousands of cases per second possible.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..language.errors import EngineError
from ..language.limits import MAX_INT as MAX_INT
from ..language.limits import MAX_STRING_BYTES as MAX_STRING_BYTES
from ..language.model import Value
from .compiled import INIT
from .compiled import LIST_MARKER
from .compiled import SENTINEL
from .compiled import CompiledRuleSet


def _version(module_file: str | None) -> str:
    """durable_rules' version, from its install record beside its extension module (importlib.metadata takes
    longer to import than a memo takes to write); "" if there is none."""
    if module_file:
        for record in sorted(Path(module_file).parent.glob("durable_rules-*-info")):
            return record.name.split("-")[1].removesuffix(".dist").removesuffix(".egg")
    return ""


try:
    import durable_rules_engine as _dre
    from durable import engine as _durable_engine
except Exception as _exc:  # ImportError, or an undefined symbol on Python 3.13 (durable-rules.md §1)
    _dre = None
    _durable_engine = None
    IMPORT_ERROR: str | None = f"{type(_exc).__name__}: {_exc}"
    VERSION = ""
else:
    IMPORT_ERROR = None
    VERSION = _version(getattr(_dre, "__file__", None))

_SID = "<sid>"  # a placeholder in the derived facts' JSON; sids are decimal numbers
MAX_CACHED = 16  # engines a workspace keeps (transferlaw.engine.workspace.ENGINES)
_OK, _NOT_HANDLED, _OBSERVED = 0, 1, 2


def available() -> bool:
    """True when durable_rules imported and can be used."""
    return _dre is not None


def label() -> str:
    """The engine as a memo's generator names it: ``durable_rules 2.0.28``."""
    return f"durable_rules {VERSION}".rstrip()


def fix() -> str:
    """What to do so that durable_rules imports, in plain words (durable-rules.md §1)."""
    if IMPORT_ERROR is not None and "PyEval_CallObject" in IMPORT_ERROR:  # Python 3.13 removed it
        return ('rebuild it with CPPFLAGS="-DPyEval_CallObject=PyObject_CallObject" pip install --force-reinstall '
                "--no-cache-dir durable-rules==2.0.28, or use Python 3.11 or 3.12")
    return ("install a C compiler and the Python headers (on Debian: sudo apt install gcc python3-dev), then "
            "pip install --force-reinstall --no-cache-dir durable-rules==2.0.28; or use Python 3.11 or 3.12")


if _durable_engine is not None:

    class _QuietHost(_durable_engine.Host):  # type: ignore[misc]
        """A Host that starts no dispatcher or timer threads (no stale-index crash, no surprises)."""

        def _run(self) -> None:
            return None


def _never_called(c: Any) -> None:
    """The registered action; our loop runs actions, so durable calling this is an error."""
    raise RuntimeError("durable dispatched an action outside transferlaw's loop")


class DurableEngine:
    """Decides every conclusion and issue of one compiled rule set with durable_rules."""

    def __init__(self, compiled: CompiledRuleSet) -> None:
        if _dre is None:
            raise EngineError(f"durable_rules cannot be imported ({IMPORT_ERROR})")
        self.compiled = compiled
        self._lock = threading.Lock()
        self._counter = 0
        self._host = _QuietHost()
        definition = {name: dict(rule, run=_never_called) for name, rule in compiled.rules.items()}
        try:
            self._host.register_rulesets({compiled.name: definition})
        except _dre.error as exc:
            raise EngineError(f"durable_rules refused the rule set: {exc}") from exc
        self._handle = self._host._ruleset_directory[compiled.name]._handle
        self._actions = compiled.actions
        self._derived_json = {  # the derived facts' JSON, with the sid filled in per case
            (name, value): json.dumps({"sid": _SID, "kind": "derived", "name": name, "value": value})
            for name, value in compiled.derived
        }
        self._attributes = compiled.attributes
        self._lists = compiled.lists
        self._buckets = dict.fromkeys(compiled.buckets, True)

    def close(self) -> None:
        """Free the engine's ruleset (durable has no public unregister; durable-rules.md §2.6)."""
        with self._lock:
            if self._handle is not None and _dre is not None:
                self._host._ruleset_directory.pop(self.compiled.name, None)
                self._host._ruleset_list.clear()
                _dre.delete_ruleset(self._handle)
                self._handle = None

    def __del__(self) -> None:  # pragma: no cover - best effort at interpreter exit
        try:
            self.close()
        except Exception:
            pass

    def fact(self, facts: Mapping[str, Value], sid: str) -> dict[str, Any]:
        """The case fact: only the attributes the rules read, validated and normalised."""
        fact: dict[str, Any] = {"sid": sid, "kind": "case", **self._buckets}
        for name in self._attributes:
            value = facts.get(name)
            if value is None:
                continue
            if name in self._lists:
                items = list(value)  # type: ignore[arg-type]
                for item in items:
                    _check_scalar(name, item)
                fact[name] = [LIST_MARKER, *items]
            else:
                _check_scalar(name, value)
                fact[name] = value
        return fact

    def decide(self, facts: Mapping[str, Value]) -> dict[str, bool]:
        """Values the engine proves for this case: id -> True/False; an absent id is undetermined."""
        with self._lock:
            if self._handle is None:
                raise EngineError("the engine was closed")
            self._counter += 1
            sid = str(self._counter)
            fact = self.fact(facts, sid)
            try:
                return self._run(sid, fact)
            finally:
                self._delete(sid)

    def _run(self, sid: str, fact: dict[str, Any]) -> dict[str, bool]:
        dre = _dre
        assert dre is not None
        handle = self._handle
        results: dict[str, bool] = {}
        sentinel_ran = False
        try:
            self._init_state(sid)
            code, state = dre.assert_fact(handle, json.dumps(fact, ensure_ascii=False))
            if code != _OK:
                raise EngineError(f"the engine did not take the case (code {code})")
            started = dre.start_action_for_state(handle, state)
            message = started[1] if started else None
            while message:
                # The message is {"<rule name>": {<matched facts>}}: only the name is needed, and rule names
                # are ours (no quotes), so it is sliced out rather than parsing the whole case fact again.
                rule = message[2:message.index('"', 2)]
                if rule == SENTINEL:
                    sentinel_ran = True
                else:
                    self._record(rule, results, sid)
                message = dre.complete_and_start_action(handle, state)
            leftover = json.loads(dre.get_state(handle, sid))
        except EngineError:
            raise
        except MemoryError as exc:
            raise EngineError("the engine ran out of memory") from exc
        except dre.error as exc:
            raise EngineError(f"the engine failed: {exc}") from exc
        if "exception" in leftover:
            raise EngineError(f"an engine action failed: {leftover['exception']}")
        if not sentinel_ran:
            raise EngineError("the engine's sentinel rule did not run")
        return results

    def _init_state(self, sid: str) -> None:
        """Create the case's state with one completed action, so that deleting it is always safe."""
        assert _dre is not None
        code, state = _dre.assert_fact(self._handle, f'{{"sid": "{sid}", "kind": "init"}}')
        started = _dre.start_action_for_state(self._handle, state) if code == _OK else None
        message = started[1] if started else None
        if not message or not message.startswith(f'{{"{INIT}"'):
            raise EngineError("the engine did not run the state's init rule")
        if _dre.complete_and_start_action(self._handle, state):
            raise EngineError("the engine ran more than the init rule for a new state")

    def _record(self, rule: str, results: dict[str, bool], sid: str) -> None:
        action = self._actions.get(rule)
        if action is None:
            raise EngineError(f"the engine fired an unknown rule {rule!r}")
        ident, value = action
        previous = results.get(ident)
        if previous is not None:
            if previous != value:
                raise EngineError(f"the engine proved '{ident}' both true and false")
            return  # the same value again: $or branches and DNF terms fire once each
        results[ident] = value
        derived = self._derived_json.get((ident, value))
        if derived is not None:
            assert _dre is not None
            code, _ = _dre.assert_fact(self._handle, derived.replace(_SID, sid, 1))
            if code != _OK:  # a rule joins on exactly this fact, so it must be taken
                raise EngineError(f"the engine refused the derived fact '{ident}' (code {code})")

    def _delete(self, sid: str) -> None:
        assert _dre is not None
        try:
            _dre.delete_state(self._handle, sid)
        except _dre.error as exc:
            raise EngineError(f"the engine could not delete case state {sid}: {exc}") from exc


def _check_scalar(name: str, value: object) -> None:
    """Values the engine compares correctly: bools, safe ints, plain floats, short strings.

    The last line of defence: validated answers are far inside these limits (docs/rule-language.md, "Limits"),
    so only a caller that builds facts by hand can reach one of these errors.
    """
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        if abs(value) >= MAX_INT:
            raise EngineError(f"'{name}': the number {value} is too large for the engine")
        return
    if isinstance(value, float):
        if not math.isfinite(value) or "e" in repr(value):
            raise EngineError(f"'{name}': the number {value!r} cannot be sent to the engine")
        return
    if isinstance(value, str):
        if len(value.encode("utf-8")) > MAX_STRING_BYTES:
            raise EngineError(f"'{name}': the text is longer than the engine compares correctly")
        return
    raise EngineError(f"'{name}': a value of type {type(value).__name__} cannot be sent to the engine")
