"""A pool of worker processes that survives its workers dying: every item's result, in input order.

:func:`imap` runs ``func(item, arg)`` for each item in ``jobs`` worker processes and yields
``(item, result)`` in input order. A worker that dies (a segfault in C code, the out-of-memory killer,
``os._exit``) or that spends longer than ``timeout`` seconds on one item costs that item alone: it comes back
with a :class:`Failure` naming the signal or the time limit, a new worker takes the dead one's place and is
given the rest of its work. ``func`` raising an exception gives a :class:`Failure` too.

How: each worker has its own duplex pipe. The parent sends it chunks of pickled items, at most two at a time
(so the worker never waits for work, the pipe never fills, and memory does not grow with the input), and
the worker answers each item as it finishes it, so the item in progress is always the first unanswered one.
The parent waits on every pipe and process sentinel, with the earliest time limit as its deadline.
Workers ignore SIGINT: on Ctrl-C the parent closes the pipes, and each worker stops after the item it is
on, so no file is left half written.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
import time
import traceback
from collections import deque
from collections.abc import Callable
from collections.abc import Generator
from collections.abc import Iterable
from collections.abc import Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess
from pathlib import Path
from types import FrameType
from typing import Any
from typing import Generic
from typing import Literal
from typing import TypeVar

from ..language.errors import TransferlawError

T = TypeVar("T")
A = TypeVar("A")
R = TypeVar("R")

CHUNK = 16
"""Items sent to a worker at once (fewer when they are large)."""
CHUNK_BYTES = 32_768
"""A chunk's pickled size limit: two of them fit a pipe's buffer, so sending never waits on a busy worker."""
GRACE = 0.5
"""Seconds a worker gets to stop by itself (and remove the temporary file it is writing) before SIGKILL."""
STARTS = 3
"""Worker processes that may die in a row before taking any work, before :class:`WorkersFailed`."""
_PROTOCOL = pickle.HIGHEST_PROTOCOL

_Entry = tuple[int, Any, bytes]  # (sequence number, item, the item pickled)


@dataclass(frozen=True, slots=True)
class Failure:
    """Why an item has no result: its worker ``died`` or ran out of time (``timeout``), or ``func`` ``raised``."""

    kind: Literal["died", "timeout", "raised"]
    reason: str
    """``signal 11, SIGSEGV`` or ``exit code 3`` (died); ``30 s`` (timeout); ``ValueError: ... (at x.py:12)``."""
    detail: str = ""
    """The traceback, when ``func`` raised."""


class WorkersFailed(TransferlawError):
    """Raised when worker processes keep dying before they can take any work (they cannot start)."""


def imap(func: Callable[[T, A], R], items: Iterable[T], arg: A, *, jobs: int, timeout: float | None = None,
         chunk: int = CHUNK) -> Generator[tuple[T, R | Failure], None, None]:
    """Yield ``(item, func(item, arg))`` for every item, in input order, computed in ``jobs`` processes.

    :param func: a module-level function (it is pickled by name where processes are spawned).
    :param arg: passed to every call (pickled once per worker).
    :param timeout: seconds one item may take (None: no limit).
    :param chunk: items sent to a worker at once.
    :returns: a generator that holds at most ``4 * jobs * chunk`` items at a time; close it to stop
        the workers early (each finishes the item it is on).
    :raises WorkersFailed: when the workers cannot start.
    """
    with _Pool(func, arg, jobs=jobs, timeout=timeout, chunk=chunk) as pool:
        yield from pool.results(iter(items))


def describe(exitcode: int | None) -> str:
    """How a process ended, for a message: ``signal 11, SIGSEGV``, ``exit code 3``."""
    if exitcode is None:
        return "it stopped answering"
    if exitcode >= 0:
        return f"exit code {exitcode}"
    try:
        name = signal.Signals(-exitcode).name
    except ValueError:
        return f"signal {-exitcode}"
    oom = " (perhaps the system ran out of memory)" if name == "SIGKILL" else ""
    return f"signal {-exitcode}, {name}{oom}"


class _Worker:
    """One worker process, its end of the pipe, and the chunks it has been given but not yet answered."""

    __slots__ = ("process", "conn", "chunks", "ready", "started")

    def __init__(self, process: BaseProcess, conn: Connection) -> None:
        self.process = process
        self.conn = conn
        self.chunks: deque[deque[_Entry]] = deque()
        self.ready = False  # it has said it started
        self.started = 0.0  # when it began the item in progress

    def current(self) -> int | None:
        """The sequence number of the item in progress, or None when idle."""
        return self.chunks[0][0][0] if self.chunks else None


class _Pool(Generic[T, A, R]):
    """The workers and the bookkeeping of one :func:`imap`."""

    def __init__(self, func: Callable[[T, A], R], arg: A, *, jobs: int, timeout: float | None, chunk: int) -> None:
        self.func = func
        self.arg = arg
        self.jobs = max(1, jobs)
        self.timeout = timeout if timeout else None
        self.chunk = max(1, chunk)
        self.window = 4 * self.jobs * self.chunk
        self.context = multiprocessing.get_context()
        self.workers: list[_Worker] = []
        self.queue: deque[_Entry] = deque()  # drawn (or handed back by a dead worker), not yet sent
        self.done: dict[int, tuple[T, R | Failure]] = {}  # finished, waiting for their turn
        self.drawn = 0
        self.given = 0
        self.exhausted = False
        self.failed_starts = 0

    def __enter__(self) -> _Pool[T, A, R]:
        return self

    def __exit__(self, *exc: object) -> None:
        """Stop every worker: a closed pipe ends each after its item, then SIGTERM, then SIGKILL."""
        for worker in self.workers:
            worker.conn.close()
        deadline = time.monotonic() + 2 * GRACE
        for worker in self.workers:
            worker.process.join(max(0.0, deadline - time.monotonic()))
        for worker in self.workers:
            if worker.process.exitcode is None:
                worker.process.terminate()
        for worker in self.workers:
            _end(worker.process)
            worker.process.close()
        self.workers = []

    def results(self, source: Iterator[T]) -> Iterator[tuple[T, R | Failure]]:
        while True:
            self.dispatch(source)
            if self.given in self.done:
                yield self.done.pop(self.given)
                self.given += 1
            elif self.exhausted and self.given == self.drawn:
                return
            else:
                self.wait()

    # --- handing out work -------------------------------------------------------------------------

    def dispatch(self, source: Iterator[T]) -> None:
        """Give idle workers a chunk, start more workers while there is work for them, then give every
        worker a second chunk, so that none waits for work between chunks."""
        for worker in self.workers:
            if not worker.chunks:
                self.feed(worker, source)
        while len(self.workers) < self.jobs and (self.queue or self.draw(source)):
            self.workers.append(self.start())
            self.feed(self.workers[-1], source)
        for worker in self.workers:
            if len(worker.chunks) == 1:
                self.feed(worker, source)

    def feed(self, worker: _Worker, source: Iterator[T]) -> None:
        chunk = self.take(source, idle=not worker.chunks)
        if chunk:
            self.send(worker, chunk)

    def draw(self, source: Iterator[T]) -> bool:
        """Take the next input item into the queue, unless the window is full or the input is done."""
        if self.exhausted or self.drawn - self.given >= self.window:
            return False
        try:
            item = next(source)
        except StopIteration:
            self.exhausted = True
            return False
        self.queue.append((self.drawn, item, pickle.dumps(item, _PROTOCOL)))
        self.drawn += 1
        return True

    def take(self, source: Iterator[T], idle: bool) -> list[_Entry]:
        """The next chunk: up to ``chunk`` items and CHUNK_BYTES (an item larger than that goes alone, and
        only to an idle worker, which reads it at once)."""
        chunk: list[_Entry] = []
        size = 0
        while len(chunk) < self.chunk and (self.queue or self.draw(source)):
            blob = self.queue[0][2]
            if size + len(blob) > CHUNK_BYTES and (chunk or not idle):
                break
            chunk.append(self.queue.popleft())
            size += len(blob)
        return chunk

    def send(self, worker: _Worker, chunk: list[_Entry]) -> None:
        if not worker.chunks:
            worker.started = time.monotonic()
        worker.chunks.append(deque(chunk))
        try:
            worker.conn.send_bytes(pickle.dumps([blob for _, _, blob in chunk], _PROTOCOL))
        except OSError:
            pass  # it has died: wait() sees its sentinel and hands its work out again

    # --- waiting for answers ----------------------------------------------------------------------

    def wait(self) -> None:
        """Wait for answers, deaths or the earliest time limit, and deal with what happened."""
        owners: dict[Any, _Worker] = {}
        for worker in self.workers:
            owners[worker.conn] = owners[worker.process.sentinel] = worker
        assert owners, "waiting with no worker"
        deadline = self.deadline()
        ready = wait(list(owners), None if deadline is None else max(0.0, deadline - time.monotonic()))
        seen: set[int] = set()
        for obj in ready:
            worker = owners[obj]
            if id(worker) in seen:
                continue
            seen.add(id(worker))
            if not self.receive(worker) or worker.process.sentinel in ready:
                self.died(worker)
        if self.timeout is not None:
            now = time.monotonic()
            for worker in list(self.workers):
                if worker.ready and worker.chunks and now - worker.started > self.timeout:
                    self.stop(worker)

    def deadline(self) -> float | None:
        if self.timeout is None:
            return None
        busy = [w.started for w in self.workers if w.ready and w.chunks]
        return min(busy) + self.timeout if busy else None

    def receive(self, worker: _Worker) -> bool:
        """Take every answer the worker has sent; False once its pipe is closed (it has died)."""
        conn = worker.conn
        try:
            while conn.poll():
                data = conn.recv_bytes()
                worker.started = time.monotonic()
                if not data:  # "started"
                    worker.ready = True
                    self.failed_starts = 0
                    continue
                ok, value = pickle.loads(data)
                current = worker.chunks[0]
                seq, item, _ = current.popleft()
                if not current:
                    worker.chunks.popleft()
                self.done[seq] = (item, value if ok else Failure("raised", *value))
        except (EOFError, OSError):
            return False
        return True

    # --- replacing workers ------------------------------------------------------------------------

    def died(self, worker: _Worker) -> None:
        """A worker's pipe closed or its process ended: blame the item it was on, and replace it."""
        self.receive(worker)  # the answers it sent before it died
        _end(worker.process, wait=5.0)
        reason = describe(worker.process.exitcode)
        if not worker.ready:
            self.failed_starts += 1
            if self.failed_starts >= STARTS:
                raise WorkersFailed(f"the worker processes die as they start ({reason})")
        self.replace(worker, Failure("died", reason) if worker.ready else None)

    def stop(self, worker: _Worker) -> None:
        """A worker has spent longer than the time limit on one item: stop it and blame that item."""
        late = worker.current()
        worker.process.terminate()
        _end(worker.process)
        self.receive(worker)  # answers sent in the meantime: if it finished that item, blame none
        timed_out = worker.current() == late
        self.replace(worker, Failure("timeout", f"{self.timeout:g} s") if timed_out else None)

    def replace(self, worker: _Worker, blame: Failure | None) -> None:
        """Record ``blame`` against the item in progress, queue the rest again first, start a new worker."""
        worker.conn.close()
        entries = [entry for chunk in worker.chunks for entry in chunk]
        worker.chunks.clear()
        if blame is not None and entries:
            seq, item, _ = entries.pop(0)
            self.done[seq] = (item, blame)
        self.queue.extendleft(reversed(entries))
        worker.process.close()
        index = self.workers.index(worker)
        del self.workers[index]
        self.workers.insert(index, self.start())

    def start(self) -> _Worker:
        try:
            return self._start()
        except OSError as exc:  # out of processes or file handles: say so, as the batch's one error
            raise WorkersFailed(f"cannot start a worker process: {exc.strerror or exc}") from exc

    def _start(self) -> _Worker:
        ours, theirs = self.context.Pipe()
        inherited: tuple[int, ...] = ()
        if self.context.get_start_method() == "fork":  # the child gets copies of the parent's pipe ends
            inherited = (ours.fileno(), *(w.conn.fileno() for w in self.workers if not w.conn.closed))
        process = self.context.Process(target=_serve, args=(theirs, self.func, self.arg, inherited),
                                       name="transferlaw-worker", daemon=True)
        was_blocked = _mask_sigint(True)  # no Ctrl-C reaches the child before it ignores SIGINT
        try:
            process.start()
        except BaseException:
            ours.close()
            raise
        finally:
            _mask_sigint(was_blocked)
            theirs.close()
        return _Worker(process, ours)


def _end(process: BaseProcess, wait: float = GRACE) -> None:
    """Wait up to ``wait`` seconds for a process to end, then kill it; reap it either way."""
    process.join(wait)
    if process.exitcode is None:
        process.kill()
        process.join()


def _mask_sigint(block: bool) -> bool:
    """Block (or unblock) SIGINT in this thread; whether it was blocked before."""
    if not hasattr(signal, "pthread_sigmask"):  # pragma: no cover - Windows
        return False
    before = signal.pthread_sigmask(signal.SIG_BLOCK if block else signal.SIG_UNBLOCK, {signal.SIGINT})
    return signal.SIGINT in before


# --- in the worker process ------------------------------------------------------------------------

def _serve(conn: Connection, func: Callable[[Any, Any], Any], arg: Any, inherited: tuple[int, ...]) -> None:
    """A worker's life: say it started, then answer every item of every chunk until the pipe closes."""
    for fd in inherited:  # so that the parent closing a pipe (or dying) is seen by its worker
        try:
            os.close(fd)
        except OSError:
            pass
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    signal.signal(signal.SIGTERM, terminated)
    _mask_sigint(False)
    try:
        conn.send_bytes(b"")
        while True:
            try:
                data = conn.recv_bytes()
            except EOFError:
                return
            for blob in pickle.loads(data):
                conn.send_bytes(_answer(func, blob, arg))
    except OSError:  # the parent closed the pipe mid-chunk: stop after the item in hand
        return


def _answer(func: Callable[[Any, Any], Any], blob: bytes, arg: Any) -> bytes:
    try:
        return pickle.dumps((True, func(pickle.loads(blob), arg)), _PROTOCOL)
    except Exception as exc:
        frames = traceback.extract_tb(exc.__traceback__)
        where = f" (at {Path(frames[-1].filename).name}:{frames[-1].lineno})" if frames else ""
        return pickle.dumps((False, (f"{type(exc).__name__}: {exc}{where}", traceback.format_exc())), _PROTOCOL)


def terminated(signum: int, frame: FrameType | None) -> None:
    """A SIGTERM handler: leave through SystemExit, so that a file being written is removed on the way out
    (the workers' handler, and the batch's while it runs)."""
    raise SystemExit(128 + signum)
