"""Per-item functions for the worker and batch tests that really crash, hang, exit or raise on chosen items.

They are module-level so that worker processes can find them by name. :func:`process_or_fault` reads its
plan from the environment (inherited by every worker however it is started): ``key=fault,key=fault``.
"""

from __future__ import annotations

import ctypes
import faulthandler
import os
import signal
import time

from transferlaw.batch.runner import Options
from transferlaw.batch.runner import Outcome
from transferlaw.batch.runner import Work
from transferlaw.batch.runner import process

PLAN = "TRANSFERLAW_TEST_FAULTS"
FAULTS = ("segv", "hang", "stubborn-hang", "exit", "raise")


def fault(kind: str) -> None:
    """Do what a bad case can do to a worker: ``segv`` (a real segfault, no core file, no faulthandler dump),
    ``hang`` (sleep), ``stubborn-hang`` (sleep deaf to SIGTERM, like a loop in C), ``exit`` (``os._exit(3)``)
    or ``raise`` (a Python exception)."""
    if kind == "segv":
        import resource

        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        faulthandler.disable()
        ctypes.string_at(0)
    elif kind == "hang":
        time.sleep(3600)
    elif kind == "stubborn-hang":
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
        time.sleep(3600)
    elif kind == "exit":
        os._exit(3)
    elif kind == "raise":
        raise ValueError("injected")
    else:
        raise AssertionError(f"unknown fault {kind!r}")


def square_or_fault(item: int | tuple[str, int], arg: int) -> int:
    """``item * item + arg``; an item ``(fault, n)`` does ``fault`` instead."""
    if isinstance(item, tuple):
        fault(item[0])
        return -1
    return item * item + arg


def process_or_fault(item: Work, options: Options) -> Outcome:
    """:func:`transferlaw.batch.runner.process`, but a case whose key's stem (its key without the hash) is in the plan
    does its fault first."""
    plan = dict(entry.split("=", 1) for entry in os.environ.get(PLAN, "").split(",") if entry)
    stem = item.key.rsplit("-", 1)[0]
    if stem in plan:
        fault(plan[stem])
    return process(item, options)


def length(item: bytes, arg: int) -> int:
    """``len(item) + arg``: for items of any size."""
    return len(item) + arg


def die_at_start(*args: object) -> None:
    """A worker's main function that dies before it can say it started."""
    os._exit(1)
