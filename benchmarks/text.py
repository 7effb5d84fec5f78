"""How docs/performance.md writes a figure: durations, sizes, verdicts; the innermost stages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchmarks.config import GIB


def seconds(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def mib(mb: float | None) -> str:
    if mb is None:
        return "—"
    return f"{mb / GIB:.2f} GiB" if mb >= GIB else f"{mb:.0f} MiB"


def verdict(met: bool | None) -> str:
    return "not measured" if met is None else ("**met**" if met else "**missed**")


def size_mb(path: Path) -> float | None:
    return path.stat().st_size / 2**20 if path.exists() else None


def leaves(stages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Stages with no timed stage inside them (``stages`` in start order)."""
    return [
        stage
        for i, stage in enumerate(stages)
        if i + 1 == len(stages) or stages[i + 1]["depth"] <= stage["depth"]
    ]


def find_stage(stages: list[dict[str, Any]], name: str) -> dict[str, Any] | None:
    """The first timed stage called ``name``, if it ran."""
    return next((s for s in stages if s["stage"] == name), None)


def loaded(result: dict[str, Any]) -> str:
    """What the load average said while a case ran (``load``: at its start and end; older saved reports
    do not say), and whether that is more than the cores."""
    load, nproc = result.get("load"), result.get("nproc")
    if not load or not nproc:
        return ""
    state = "above the cores: other work shared them" if max(load) > nproc else "at most the cores"
    return (
        f" Load average {load[0]} when this case started and {load[-1]} when it ended, on {nproc} cores "
        f"({state})."
    )
