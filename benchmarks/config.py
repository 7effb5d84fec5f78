"""What every benchmark case shares: where things are, the fixed date, and the sizes of a run.

``FULL`` is ``python benchmarks/run.py``, ``QUICK`` its ``--quick``, ``TINY`` the size
tests/unit/test_benchmark_smoke.py runs every case at so that none can rot.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUN_PY = ROOT / "benchmarks" / "run.py"  # its ``_plan-child`` and ``_pandas-child`` run measured children
DOC = ROOT / "docs" / "performance.md"
TODAY = "2026-11-29"
GIB = 1024.0

#: issue 17 states the changed-heavy targets (h) for a school of this many pupils
CHANGED_TARGET_PUPILS = 200_000

#: all the stages of engine.pipeline (read, state, match, plan…) are guards-free with this
ALLOW_ALL = ("coverage", "other_school", "class_missing", "niveau_missing", "deactivations")


@dataclass(frozen=True, slots=True)
class Sizes:
    """How big each case is, how many runs, and how long the big plans may take."""

    small_pupils: int = 300
    runs: int = 7
    big_pupils: int = 1_000_000
    big_timeout: float = 900.0
    batch_schools: int = 8
    batch_pupils: int = 5_000
    parse_runs: int = 3
    batch_runs: int = 3
    pandas: bool = True
    apply_pupils: int = 100_000
    throughput_schools: int = 1_000  # (g): a département of small schools
    throughput_pupils: int = 150
    throughput_runs: int = 1
    #: (h): the changed-heavy school at each of these sizes (issue 17's table); the targets are judged at
    #: the largest, an intermediate size is skipped when it would not fit the run's time budget
    changed_sizes: tuple[int, ...] = (50_000, 100_000, 200_000)
    changed_timeout: float = 1_800.0  # per size, for the plan
    budget_minutes: float = 25.0  # what the whole run should take (estimated at start, checked on the way)


FULL = Sizes()
QUICK = Sizes(
    runs=3,
    big_pupils=100_000,
    big_timeout=300.0,
    batch_schools=4,
    batch_pupils=2_000,
    apply_pupils=20_000,
    throughput_schools=200,
    changed_sizes=(5_000, 20_000),
    budget_minutes=8.0,
)
TINY = Sizes(
    small_pupils=30,
    runs=1,
    big_pupils=200,
    big_timeout=120.0,
    batch_schools=2,
    batch_pupils=40,
    parse_runs=1,
    batch_runs=1,
    apply_pupils=200,
    throughput_schools=3,
    throughput_pupils=30,
    changed_sizes=(200,),
    changed_timeout=120.0,
)
