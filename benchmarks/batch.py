"""(d) ``batch`` of several schools with 1 job and with 2 jobs, alternately, several times (medians:
the machine's two cores may be shared with other work)."""

from __future__ import annotations

import json
import os
import shutil
import statistics
import sys
from pathlib import Path
from typing import Any

from benchmarks import synth
from benchmarks.config import TODAY, Sizes
from benchmarks.measure import bench_env, measure
from benchmarks.text import loaded, mib, seconds

TARGET_SPEEDUP = 1.6


def bench_batch(work: Path, sizes: Sizes) -> dict[str, Any]:
    """(d): the same batch of schools planned with 1 job and with 2 jobs, alternately, several times
    (medians: the machine's two cores may be shared with other work)."""
    folder = work / "batch"
    schools = synth.generate(folder, schools=sizes.batch_schools, pupils=sizes.batch_pupils, seed=3)
    db_map = synth.write_db_map(folder / "db-map.yaml", schools)
    env = bench_env(work)
    result: dict[str, Any] = {"schools": len(schools), "pupils_per_school": sizes.batch_pupils}
    runs: dict[int, list[dict[str, Any]]] = {1: [], 2: []}
    result["load"], result["nproc"] = [round(os.getloadavg()[0], 1)], os.cpu_count()
    for _ in range(sizes.batch_runs):
        for jobs in (1, 2):
            out = work / f"batch-out-{jobs}"
            cmd = [
                sys.executable,
                "-m",
                "engine.batch",
                str(folder),
                "--db-map",
                str(db_map),
                "--jobs",
                str(jobs),
                "--out",
                str(out),
                "--today",
                TODAY,
                "--force",
            ]
            run = measure(cmd, env=env, tree=True)
            summary = json.loads((out / "batch-summary.json").read_text(encoding="utf-8"))
            runs[jobs].append(
                {
                    "seconds": run.seconds,
                    "rss_mb": run.rss_mb,
                    "tree_rss_mb": run.tree_rss_mb,
                    "returncode": run.returncode,
                    "counts": summary["counts"],
                    "school_seconds": sum(s["seconds"] or 0 for s in summary["schools"]),
                }
            )
            shutil.rmtree(out, ignore_errors=True)
    for jobs, measured in runs.items():
        result[f"jobs{jobs}"] = {
            "seconds": statistics.median(r["seconds"] for r in measured),
            "seconds_all": [round(r["seconds"], 3) for r in measured],
            "rss_mb": max(r["rss_mb"] for r in measured),
            "tree_rss_mb": max((r["tree_rss_mb"] or 0 for r in measured), default=0) or None,
            "returncode": max(r["returncode"] for r in measured),
            "counts": measured[-1]["counts"],
            "school_seconds": statistics.median(r["school_seconds"] for r in measured),
        }
    result["speedup"] = result["jobs1"]["seconds"] / result["jobs2"]["seconds"]
    result["load"].append(round(os.getloadavg()[0], 1))
    shutil.rmtree(folder, ignore_errors=True)
    return result


def targets(batch: dict[str, Any]) -> list[dict[str, Any]]:
    """Target (d), met or not, by how much, and why."""
    rows: list[dict[str, Any]] = []
    speedup, one, two = batch["speedup"], batch["jobs1"]["seconds"], batch["jobs2"]["seconds"]
    rows.append(
        {
            "id": "d",
            "what": f"`batch` of {batch['schools']} × {batch['pupils_per_school']:,} pupils, 1 vs 2 jobs",
            "value": f"{seconds(one)} vs {seconds(two)} = {speedup:.2f}×",
            "target": f"≥ {TARGET_SPEEDUP}×",
            "met": speedup >= TARGET_SPEEDUP,
            "gap": f"{TARGET_SPEEDUP / speedup:.2f}× short" if speedup < TARGET_SPEEDUP else "",
        }
    )
    rows[0]["why"] = _why(batch) if rows[0]["met"] is False else ""
    return rows


def _why(batch: dict[str, Any]) -> str:
    j1, j2 = batch["jobs1"], batch["jobs2"]
    return (
        f"the schools' own plans took {seconds(j1['school_seconds'])} in all with 1 job and "
        f"{seconds(j2['school_seconds'])} summed over the 2 workers "
        f"({j2['school_seconds'] / j1['school_seconds']:.2f}× as long each when two run at once); the rest "
        f"of the {seconds(j2['seconds'])} is what is not parallel (start-up, imports, the pool's start, "
        "the summary)." + loaded(batch)
    )


def markdown(batch: dict[str, Any], nproc: int | None) -> str:
    """Section (d) of docs/performance.md (its lines, the last one empty)."""
    out: list[str] = []
    add = out.append
    add("## (d) Batch, 1 vs 2 jobs\n")
    add("| jobs | wall time (median) | every run | peak RSS (largest process) | peak RSS (all processes) |")
    add("|---|---|---|---|---|")
    for jobs in (1, 2):
        j = batch[f"jobs{jobs}"]
        every = ", ".join(seconds(x) for x in j.get("seconds_all", [j["seconds"]]))
        add(f"| {jobs} | {seconds(j['seconds'])} | {every} | {mib(j['rss_mb'])} | {mib(j['tree_rss_mb'])} |")
    c = batch["jobs2"]["counts"]
    add(f"\nSchools ok/held/error: {c['ok']}/{c['held']}/{c['error']} (each run).")
    add(f"\nSpeed-up: {batch['speedup']:.2f}× on {nproc} cores.{loaded(batch)}\n")
    return "\n".join(out)
