"""The worker processes of ``onde-sacoche batch`` (engine.batch_run): schools handed out one at a time, by
index, to processes forked from the prepared parent.

Not :class:`concurrent.futures.ProcessPoolExecutor`: that one keeps two threads in the parent that wake,
take the GIL and pickle for every school, on the cores the workers need, and once a worker dies it fails
every school not yet finished. Here the parent is one thread asleep in :func:`wait` between results. Each
worker has its own pipe; it receives the index of its next school (the schools themselves came with the
fork) and always has the one after it waiting, so that it never waits for the parent. A worker sends
back each result in the order it was given its schools: when it dies, the school it was planning is the
first one it has not answered. Only that one is reported; the others go to the next worker (a new one
takes the dead one's place).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import signal
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any

#: schools a worker holds at a time: the one it plans and the next one, already in its pipe
QUEUED = 2
#: seconds the parent, interrupted, gives its workers to stop on their own (a Ctrl-C in the terminal
#: reaches them too) before it interrupts them itself
INTERRUPT_GRACE = 0.5


def _context() -> Any:
    """Processes forked where that is the usual way (Linux): they inherit the parent's loaded modules,
    rules and templates; elsewhere the platform's usual start method."""
    if sys.platform.startswith("linux"):
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()


def _serve(conn: Connection, task: Callable[[int], Any], inherited: Iterable[Connection]) -> None:
    """A worker: ``task(index)`` for each index received, its result sent back, until ``None`` comes.
    ``inherited``: the parent's ends of the pipes, its own included, that came with the fork; closed, so
    that the worker sees the end of its pipe when the parent closes it or dies."""
    for other in inherited:
        other.close()
    try:
        while (index := conn.recv()) is not None:
            conn.send_bytes(pickle.dumps((index, task(index)), pickle.HIGHEST_PROTOCOL))
    except KeyboardInterrupt:  # Ctrl-C: the parent, interrupted too, reports it
        pass
    except (EOFError, OSError):  # the parent is gone
        pass
    finally:
        conn.close()


@dataclass(slots=True)
class _Worker:
    """One worker process, the parent's end of its pipe, and the schools it was given."""

    process: Any  # multiprocessing.Process of the context
    conn: Connection
    given: deque[int] = field(default_factory=deque)  # indexes sent, not answered yet, in order


class _Pool:
    def __init__(self, task: Callable[[int], Any], indexes: Iterable[int], done: Callable[[int, Any], None]):
        self.task, self.done = task, done
        self.todo: deque[int] = deque(indexes)
        self.live: dict[Connection, _Worker] = {}
        self.died: list[int] = []
        self.context = _context()

    def start(self) -> None:
        mine, theirs = self.context.Pipe()
        inherited = (mine, *self.live) if self.context.get_start_method() == "fork" else ()
        process = self.context.Process(target=_serve, args=(theirs, self.task, inherited), daemon=True)
        process.start()
        theirs.close()  # only the worker holds its end: its death is an end of file here
        worker = _Worker(process, mine)
        self.live[mine] = worker
        self.feed(worker)

    def feed(self, worker: _Worker) -> None:
        """Top the worker up to :data:`QUEUED` schools, one only once there are fewer left than workers
        (a school queued behind another would wait while some worker has nothing to do); tell it to
        stop when there is none left for it."""
        queued = QUEUED if len(self.todo) >= len(self.live) else 1
        try:
            while self.todo and len(worker.given) < queued:
                worker.given.append(self.todo.popleft())
                worker.conn.send(worker.given[-1])
            if not worker.given:
                worker.conn.send(None)
        except OSError:  # it has died since its last answer: the end of its pipe comes next (lost)
            pass

    def lost(self, worker: _Worker) -> None:
        """The worker has ended: a school it had not answered was being planned when it died."""
        del self.live[worker.conn]
        worker.conn.close()
        worker.process.join()
        if worker.given:
            self.died.append(worker.given.popleft())
            self.todo.extendleft(reversed(worker.given))  # never started: the next worker's
            if self.todo:
                self.start()

    def run(self, workers: int) -> list[int]:
        try:
            for _ in range(min(max(1, workers), len(self.todo))):
                self.start()
            while self.live:
                for conn in wait(list(self.live)):
                    worker = self.live[conn]  # type: ignore[index]
                    try:
                        index, result = pickle.loads(worker.conn.recv_bytes())
                    except (EOFError, OSError):
                        self.lost(worker)
                        continue
                    worker.given.popleft()
                    self.done(index, result)
                    self.feed(worker)
        except BaseException as exc:
            self.stop(interrupted=isinstance(exc, KeyboardInterrupt))
            raise
        return sorted(self.died)

    def stop(self, *, interrupted: bool) -> None:
        """The parent gives up (Ctrl-C, or a failure of its own): no more schools, every worker ended."""
        workers = list(self.live.values())
        self.live.clear()
        for worker in workers:
            worker.conn.close()  # a worker still planning stops after its school: its pipe is closed
        if interrupted:
            deadline = time.monotonic() + INTERRUPT_GRACE
            for worker in workers:
                worker.process.join(max(0.0, deadline - time.monotonic()))
        for worker in workers:
            if worker.process.is_alive() and worker.process.pid is not None:
                with contextlib.suppress(OSError):  # ended meanwhile
                    os.kill(worker.process.pid, signal.SIGINT if interrupted else signal.SIGTERM)
        for worker in workers:
            worker.process.join()


def run_pool(
    task: Callable[[int], Any], indexes: Iterable[int], workers: int, done: Callable[[int, Any], None]
) -> list[int]:
    """``task(index)`` for every index in ``workers`` processes, ``done(index, result)`` called in this
    process as each result comes; returns the indexes whose worker died while on them (in order)."""
    return _Pool(task, indexes, done).run(workers)
