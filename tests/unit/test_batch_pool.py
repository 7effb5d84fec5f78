"""The worker processes of ``batch`` (engine.batch_pool): results in the parent, and a worker that dies
costs only the school it had."""

from __future__ import annotations

import os
import pickle
import signal
from typing import Any

from engine.batch_pool import _Pool, run_pool


def _tenfold(index: int) -> int:
    return index * 10


def test_every_index_is_done_once_in_any_order() -> None:
    results: dict[int, Any] = {}
    assert run_pool(_tenfold, range(50), 2, results.__setitem__) == []
    assert results == {i: i * 10 for i in range(50)}
    alone: dict[int, Any] = {}
    assert run_pool(_tenfold, [7], 0, alone.__setitem__) == []  # one worker at least, as before
    assert alone == {7: 70}


def test_a_worker_dead_between_two_schools_costs_the_next_one_only() -> None:
    results: dict[int, Any] = {}
    pool = _Pool(_tenfold, [0, 1, 2], results.__setitem__)
    pool.start()  # given 0 and 1
    (worker,) = pool.live.values()
    for _ in range(2):
        index, result = pickle.loads(worker.conn.recv_bytes())
        worker.given.popleft()
        pool.done(index, result)
    os.kill(worker.process.pid, signal.SIGKILL)  # dies after its answers, before it is given 2
    worker.process.join()
    pool.feed(worker)  # its pipe is broken: no error here, its end of file comes next
    assert pool.run(1) == [2]
    assert results == {0: 0, 1: 10}
