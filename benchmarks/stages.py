"""Where a plan's time goes: every stage of ``engine.pipeline`` timed in the measured process itself.

``run.py _plan-child TIMINGS ARGS…`` runs the real ``onde-sacoche ARGS…`` with each function of
``engine.pipeline`` wrapped; :func:`read_stages` reads the log back, even of a run stopped by a timeout.
"""

from __future__ import annotations

import functools
import inspect
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.config import ALLOW_ALL, RUN_PY, TODAY
from benchmarks.measure import hwm_mb

#: helpers of engine.pipeline too small to be stages (they would only clutter the table)
NOT_STAGES = frozenset({"plan_dialects", "private_dir", "sql_path", "stale_item_decisions"})


def stage_child(argv: Sequence[str]) -> None:
    """``run.py _plan-child TIMINGS ARGS…``: the real ``onde-sacoche ARGS…`` with every stage of
    ``engine.pipeline`` timed; each stage start and end is appended to TIMINGS as a JSON line at once,
    so a run stopped by the timeout still says which stage it was in."""
    timings, args = Path(argv[0]), list(argv[1:])
    import engine.pipeline as pipeline

    log = timings.open("a", encoding="utf-8", buffering=1)
    origin = time.perf_counter()
    depth = [0]

    def rss_now() -> float:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

    def wrap(name: str, func: Any) -> Any:
        @functools.wraps(func)
        def timed(*a: Any, **k: Any) -> Any:
            level = depth[0]
            depth[0] += 1
            log.write(json.dumps({"event": "start", "stage": name, "depth": level}) + "\n")
            started = time.perf_counter()
            try:
                return func(*a, **k)
            finally:
                depth[0] -= 1
                log.write(
                    json.dumps(
                        {
                            "event": "end",
                            "stage": name,
                            "depth": level,
                            "at": round(time.perf_counter() - origin, 4),
                            "seconds": round(time.perf_counter() - started, 4),
                            "rss_mb": round(rss_now(), 1),
                            "peak_mb": hwm_mb(os.getpid()),
                        }
                    )
                    + "\n"
                )

        return timed

    for name, obj in list(vars(pipeline).items()):
        if (
            inspect.isfunction(obj)
            and obj.__module__.startswith("engine.")
            and not name.startswith("__")
            and name not in NOT_STAGES
        ):
            setattr(pipeline, name, wrap(name, obj))
    from engine.cli import main

    main(args=args, prog_name="onde-sacoche")


def read_stages(path: Path) -> tuple[list[dict[str, Any]], str | None]:
    """Completed stages in the order they started, and the stages still running when the run stopped."""
    done: list[dict[str, Any]] = []
    running: list[tuple[str, int]] = []
    if not path.exists():
        return [], None
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
        event = json.loads(line)
        if event["event"] == "start":
            running.append((event["stage"], number))
        elif running and running[-1][0] == event["stage"]:
            done.append({**event, "order": running.pop()[1]})
    done.sort(key=lambda stage: stage["order"])
    return done, (" > ".join(name for name, _ in running) if running else None)


def plan_child_command(
    timings: Path, export: Path, db_url: str, out: Path, *, today: str = TODAY
) -> list[str]:
    """The instrumented ``onde-sacoche plan`` of ``export`` against ``db_url``, every guard allowed."""
    cmd = [sys.executable, str(RUN_PY), "_plan-child", str(timings), "plan", str(export), "--db", db_url]
    cmd += ["--out", str(out), "--today", today, "--force"]
    return cmd + [arg for guard in ALLOW_ALL for arg in ("--allow", guard)]
