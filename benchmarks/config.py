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
    changed_pupils: int = 20_000  # (h): what the shared 2-core machine runs in a few minutes
    changed_timeout: float = 900.0


FULL = Sizes()
QUICK = Sizes(
    runs=3,
    big_pupils=100_000,
    big_timeout=300.0,
    batch_schools=4,
    batch_pupils=2_000,
    apply_pupils=20_000,
    throughput_schools=200,
    changed_pupils=5_000,
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
    changed_pupils=200,
    changed_timeout=120.0,
)
