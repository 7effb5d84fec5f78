"""How long a run takes: an estimate per case, printed at start, and the time budget that decides which
intermediate sizes of (h) are measured.

The rates are wall seconds on an idle 2-core machine (AMD EPYC, the project's code of 2026-12-02,
calibrated from runs at smaller sizes and the full run of 2026-11-29): an upper bound once the code gets
faster, a lower one on a shared machine. On the way, :class:`Budget` compares the time spent with what
the finished cases were estimated at (the machine's *slowness*), and (h) scales its next size from the
size it just measured.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from benchmarks.config import Sizes

#: (h) grows a little faster than the pupils: what is not fixed ∝ pupils ** CHANGED_EXPONENT (issue 17's
#: table, the plan alone: 44 s, 119 s, 266 s at 50,000, 100,000, 200,000)
CHANGED_EXPONENT = 1.2
_CHANGED_FIXED = 8.0  # MariaDB server start, schema and stop, imports, a cold cache
_CHANGED_RATE = 1.1e-4  # seconds per pupil ** CHANGED_EXPONENT: 24 s at 20,000 pupils

CASES = ("a", "b", "d", "f", "g", "h")
TITLES = {
    "a": "small school vs start-up",
    "b": "big plan vs parsing, pandas",
    "d": "batch, 1 vs 2 jobs",
    "f": "applying the SQL",
    "g": "batch throughput",
    "h": "changed-heavy school on MariaDB",
}


def changed_seconds(pupils: int) -> float:
    """(h) at one size, on an idle machine: generate, copy the state to MariaDB, reference, plan, apply."""
    return _CHANGED_FIXED + _CHANGED_RATE * pupils**CHANGED_EXPONENT


def estimate(sizes: Sizes, changed: Sequence[int] | None = None) -> dict[str, float]:
    """Seconds per case of a run at ``sizes`` on an idle 2-core machine (``changed``: the (h) sizes)."""
    batch_pupils = sizes.batch_schools * sizes.batch_pupils
    one_job = 0.5 + 1.1e-4 * batch_pupils
    return {
        "a": 3.0 + sizes.runs * 0.45,
        "b": 5.0 + 1.75e-4 * sizes.big_pupils + sizes.parse_runs * 0.65e-6 * sizes.big_pupils,
        "d": 4e-5 * batch_pupils + sizes.batch_runs * 1.6 * one_job,
        "f": 6.0 + 6.5e-4 * sizes.apply_pupils,
        "g": 5.0 + sizes.throughput_schools * (0.03 + sizes.throughput_runs * 0.09),
        "h": sum(changed_seconds(n) for n in (sizes.changed_sizes if changed is None else changed)),
    }


def fitting_sizes(sizes: Sequence[int], seconds: float, others: float) -> list[int]:
    """The (h) sizes a run of ``seconds`` can afford once the other cases (``others`` seconds) are done:
    the largest always (the targets are judged there), then the intermediate ones, smallest first, while
    they fit."""
    ordered = sorted(set(sizes))
    if not ordered:
        return []
    chosen = [ordered[-1]]
    left = seconds - others - changed_seconds(ordered[-1])
    for pupils in ordered[:-1]:
        if changed_seconds(pupils) <= left:
            chosen.append(pupils)
            left -= changed_seconds(pupils)
    return sorted(chosen)


def minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f} min" if seconds >= 90 else f"{seconds:.0f} s"


def describe(estimated: Mapping[str, float], sizes: Sizes, changed: Sequence[int], budget: float) -> str:
    """The estimate printed at start: each case, the total, and the budget."""
    what = {
        "a": f"{sizes.small_pupils} pupils, {sizes.runs} runs",
        "b": f"{sizes.big_pupils:,} pupils",
        "d": f"{sizes.batch_schools} × {sizes.batch_pupils:,} pupils, {sizes.batch_runs} runs",
        "f": f"{sizes.apply_pupils:,} pupils",
        "g": f"{sizes.throughput_schools:,} schools of {sizes.throughput_pupils}, "
        f"{sizes.throughput_runs} run(s)",
        "h": ", ".join(f"{n:,}" for n in changed) + " pupils",
    }
    lines = ["Estimated on an idle 2-core machine (longer on a shared one):"]
    for case in CASES:
        lines.append(f"  ({case}) {TITLES[case]}, {what[case]}: {minutes(estimated[case])}")
    total = sum(estimated.values())
    lines.append(f"  total: {minutes(total)} (budget {minutes(budget)})")
    return "\n".join(lines)


@dataclass(slots=True)
class Budget:
    """The run's time budget: what is left, and how much slower than estimated this machine runs."""

    seconds: float
    clock: Callable[[], float] = time.perf_counter
    started: float = field(init=False)
    estimated_done: float = 0.0  # what the finished cases were estimated at

    def __post_init__(self) -> None:
        self.started = self.clock()

    def spent(self) -> float:
        return self.clock() - self.started

    def left(self) -> float:
        return self.seconds - self.spent()

    def spend(self, estimated: float) -> None:
        """A case is done that was estimated at ``estimated`` seconds."""
        self.estimated_done += estimated

    def slowness(self) -> float:
        """Time spent / time estimated for the finished cases (1 until a minute's worth is done)."""
        if self.estimated_done < 60:
            return 1.0
        return max(0.5, self.spent() / self.estimated_done)


def changed_estimate(pupils: int, runs: Sequence[Mapping[str, Any]], budget: Budget | None) -> float:
    """Seconds (h) will take at ``pupils``: scaled from the last size this run measured, else the idle
    estimate times the machine's slowness so far."""
    measured = [r for r in runs if r.get("wall_seconds")]
    if measured:
        last = measured[-1]
        wall = float(last["wall_seconds"])
        fixed = min(_CHANGED_FIXED, wall / 2)  # a small size is mostly fixed costs, not all
        return fixed + (wall - fixed) * (pupils / last["pupils"]) ** CHANGED_EXPONENT
    return changed_seconds(pupils) * (budget.slowness() if budget is not None else 1.0)
