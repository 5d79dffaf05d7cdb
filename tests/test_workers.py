"""The worker pool: results in input order, and a worker that dies or hangs costs only the item it was on."""

from __future__ import annotations

import multiprocessing
import sys
import time
from collections.abc import Iterator

import pytest

from transferlaw.batch import workers
from transferlaw.batch.workers import Failure
from transferlaw.batch.workers import imap

from . import crashers

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

SEGV = Failure("died", "signal 11, SIGSEGV")


def _run(items: list[int | tuple[str, int]], jobs: int = 1, timeout: float | None = None,
         chunk: int = 4) -> list[int | Failure]:
    results = list(imap(crashers.square_or_fault, items, 1, jobs=jobs, timeout=timeout, chunk=chunk))
    assert [item for item, _ in results] == items
    return [result for _, result in results]


def _faulty(count: int, faults: dict[int, str]) -> list[int | tuple[str, int]]:
    return [(faults[n], n) if n in faults else n for n in range(count)]


@pytest.mark.parametrize("jobs", [1, 2, 3])
def test_results_come_back_in_input_order(jobs: int) -> None:
    """Every item's result, in input order, whatever the number of workers."""
    assert _run(list(range(100)), jobs=jobs) == [n * n + 1 for n in range(100)]


@pytest.mark.parametrize("jobs", [1, 2])
@pytest.mark.parametrize("where", [
    pytest.param({0}, id="first-of-a-chunk"),
    pytest.param({3}, id="last-of-a-chunk"),
    pytest.param({4}, id="first-of-the-second-chunk"),
    pytest.param({5, 6}, id="two-in-a-row"),
    pytest.param({8, 9, 10, 11}, id="a-whole-chunk"),
    pytest.param({19}, id="last-item"),
])
def test_a_segfault_costs_only_the_item_it_was_on(jobs: int, where: set[int]) -> None:
    """A worker killed by SIGSEGV fails its item alone (signal named); the rest are all done by new workers."""
    results = _run(_faulty(20, dict.fromkeys(where, "segv")), jobs=jobs)
    assert results == [SEGV if n in where else n * n + 1 for n in range(20)]


def test_an_exit_and_an_exception_are_reported_too() -> None:
    """os._exit gives its exit code; an exception gives its type, message and place, without killing anyone."""
    results = _run(_faulty(10, {2: "exit", 7: "raise"}), jobs=2)
    assert results[2] == Failure("died", "exit code 3")
    raised = results[7]
    assert isinstance(raised, Failure) and raised.kind == "raised"
    assert raised.reason.startswith("ValueError: injected (at crashers.py:") and "Traceback" in raised.detail
    assert [r for n, r in enumerate(results) if n not in (2, 7)] == [n * n + 1 for n in range(10) if n not in (2, 7)]


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_hang_is_stopped_at_the_time_limit(jobs: int) -> None:
    """An item over the time limit fails with it, even one deaf to SIGTERM (killed), and the rest go on."""
    start = time.monotonic()
    results = _run(_faulty(12, {1: "hang", 6: "stubborn-hang"}), jobs=jobs, timeout=0.5)
    assert results == [Failure("timeout", "0.5 s") if n in (1, 6) else n * n + 1 for n in range(12)]
    assert time.monotonic() - start < 10


def test_large_items_go_alone() -> None:
    """Items larger than a chunk may be are still sent (alone, to an idle worker), in order."""
    items = [b"x" * (n * 20_000) for n in range(8)] * 2
    results = list(imap(crashers.length, items, 1, jobs=1, chunk=4))
    assert [r for _, r in results] == [len(item) + 1 for item in items]


def test_memory_is_bounded_by_the_window() -> None:
    """No more than 4 x jobs x chunk items are taken from the input ahead of the results given back."""
    drawn = 0

    def source() -> Iterator[int]:
        nonlocal drawn
        for n in range(300):
            drawn += 1
            yield n

    given = 0
    for _, result in imap(crashers.square_or_fault, source(), 0, jobs=2, chunk=4):
        given += 1
        assert drawn - given < 4 * 2 * 4
        assert result == (given - 1) ** 2
    assert given == 300


def test_workers_start_only_when_there_is_work_for_them() -> None:
    """A batch of two items starts one worker, however many jobs are allowed."""
    results = imap(crashers.square_or_fault, range(2), 0, jobs=4)
    next(results)
    assert len([p for p in multiprocessing.active_children() if p.name == "transferlaw-worker"]) == 1
    results.close()


def test_closing_early_stops_every_worker() -> None:
    """Closing the results stops the workers at once: none is left running."""
    results = imap(crashers.square_or_fault, range(1000), 0, jobs=2, chunk=4)
    assert [r for _, r in (next(results), next(results))] == [0, 1]
    results.close()
    assert not [p for p in multiprocessing.active_children() if p.name == "transferlaw-worker"]


@pytest.mark.skipif(multiprocessing.get_start_method() != "fork", reason="the patched worker is inherited by fork")
def test_workers_that_cannot_start_are_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers that die before taking any work raise WorkersFailed instead of failing every item."""
    monkeypatch.setattr(workers, "_serve", crashers.die_at_start)
    with pytest.raises(workers.WorkersFailed, match=r"die as they start \(exit code 1\)"):
        list(imap(crashers.square_or_fault, range(10), 0, jobs=2))


def test_a_worker_the_system_cannot_start_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """Out of processes or file handles (OSError from fork or Pipe): WorkersFailed, not a traceback."""
    def refuse(self: object) -> None:
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(multiprocessing.process.BaseProcess, "start", refuse)
    with pytest.raises(workers.WorkersFailed, match="cannot start a worker process: Resource temporarily unavailable"):
        list(imap(crashers.square_or_fault, range(3), 0, jobs=1))


def test_exit_codes_are_described() -> None:
    """Signals are named (SIGKILL suggests memory), exit codes are numbers."""
    assert workers.describe(-11) == "signal 11, SIGSEGV"
    assert workers.describe(-9) == "signal 9, SIGKILL (perhaps the system ran out of memory)"
    assert workers.describe(3) == "exit code 3"
    assert workers.describe(-200) == "signal 200"
