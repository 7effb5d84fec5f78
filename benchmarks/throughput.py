"""(g) Batch throughput: schools per second for a département of small schools, 1 vs 2 jobs.

``onde-sacoche batch`` over ``schools`` synthetic schools of ``pupils`` pupils each (benchmarks/synth.py,
fixed seed), with ``--jobs 1`` and ``--jobs 2`` alternately (the machine may be shared: medians of
``runs`` runs each); schools per second extrapolated to the 45,000 French primary schools.
Run alone: ``python -m benchmarks.throughput --schools 1000 --pupils 150``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks import synth
from benchmarks.config import TODAY
from benchmarks.measure import bench_env, compile_project, measure
from benchmarks.text import loaded, seconds

FRENCH_PRIMARY_SCHOOLS = 45_000
TARGET_SCHOOLS_PER_SECOND = 80.0  # 45,000 schools in under 10 minutes with --jobs 2
TARGET_SPEEDUP = 1.7


def bench_throughput(work: Path, *, schools: int, pupils: int, runs: int, today: str) -> dict[str, Any]:
    """Plan ``schools`` schools with 1 and 2 jobs; wall times, schools/s, speed-up, peak RSS."""
    folder = work / "throughput"
    generated = synth.generate(folder, schools=schools, pupils=pupils, seed=17)
    db_map = synth.write_db_map(folder / "db-map.yaml", generated)
    env = bench_env(work)
    measured: dict[int, list[dict[str, Any]]] = {1: [], 2: []}
    load = [round(os.getloadavg()[0], 1)]
    files_per_school = None
    for _ in range(runs):
        for jobs in (1, 2):
            out = work / f"throughput-out-{jobs}"
            cmd = [sys.executable, "-m", "engine.batch", str(folder), "--db-map", str(db_map)]
            cmd += ["--jobs", str(jobs), "--out", str(out), "--today", today, "--force"]
            run = measure(cmd, env=env, tree=True)
            summary = json.loads((out / "batch-summary.json").read_text(encoding="utf-8"))
            if files_per_school is None:
                written = sum(1 for f in out.rglob("*") if f.is_file() and f.name != "batch-summary.json")
                files_per_school = written / max(1, len(generated))
            measured[jobs].append(
                {
                    "seconds": run.seconds,
                    "rss_mb": run.rss_mb,
                    "tree_rss_mb": run.tree_rss_mb,
                    "returncode": run.returncode,
                    "counts": summary["counts"],
                    "school_seconds": sum(s.get("seconds") or 0 for s in summary["schools"]),
                }
            )
            shutil.rmtree(out, ignore_errors=True)
    load.append(round(os.getloadavg()[0], 1))
    result: dict[str, Any] = {"schools": len(generated), "pupils_per_school": pupils, "runs": runs}
    result |= {"load": load, "nproc": os.cpu_count(), "files_per_school": files_per_school}
    for jobs, rows in measured.items():
        seconds = statistics.median(r["seconds"] for r in rows)
        result[f"jobs{jobs}"] = {
            "seconds": seconds,
            "seconds_all": [round(r["seconds"], 3) for r in rows],
            "schools_per_second": len(generated) / seconds,
            "rss_mb": max(r["rss_mb"] for r in rows),
            "tree_rss_mb": max((r["tree_rss_mb"] or 0 for r in rows), default=0) or None,
            "returncode": max(r["returncode"] for r in rows),
            "counts": rows[-1]["counts"],
            "school_seconds": statistics.median(r["school_seconds"] for r in rows),
        }
    result["speedup"] = result["jobs1"]["seconds"] / result["jobs2"]["seconds"]
    rate = result["jobs2"]["schools_per_second"]
    result["french_schools_minutes"] = FRENCH_PRIMARY_SCHOOLS / rate / 60.0
    shutil.rmtree(folder, ignore_errors=True)
    return result


def _rate_why(result: dict[str, Any], small: dict[str, Any] | None) -> str:
    one = result["jobs1"]
    per_school = one["seconds"] / result["schools"]
    text = (
        "each school is a whole plan (read, match, plan.json, SQL scripts, report and login sheet"
        + (
            f": {result['files_per_school']:.0f} files written a school"
            if result.get("files_per_school")
            else ""
        )
        + f"), {seconds(per_school)} a school with 1 job"
    )
    if one.get("school_seconds"):
        inside = one["school_seconds"] / result["schools"]
        text += (
            f" ({seconds(inside)} inside the school's own plan, the rest the batch's start-up and summary)"
        )
    if small:
        text += (
            f", against {seconds(small['plan']['seconds'])} for one {small['pupils']}-pupil `plan` process "
            "in (a), start-up included"
        )
    text += (
        f". The target is {seconds(1 / TARGET_SCHOOLS_PER_SECOND)} a school with 2 jobs, "
        f"{seconds(2 / TARGET_SCHOOLS_PER_SECOND)} a school in each worker."
    )
    return text + loaded(result)


def _speedup_why(result: dict[str, Any]) -> str:
    one, two = result["jobs1"], result["jobs2"]
    text = ""
    if one.get("school_seconds") and two.get("school_seconds"):
        slower = two["school_seconds"] / one["school_seconds"]
        text = (
            f"the schools' own plans took {seconds(one['school_seconds'])} in all with 1 job and "
            f"{seconds(two['school_seconds'])} summed over the 2 workers ({slower:.2f}× as long each when "
            "two run at once); the rest is the batch's own start-up, fork and summary."
        )
    return (text or "2 jobs share the machine's cores with everything else running.") + loaded(result)


def targets(result: dict[str, Any], small: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The two batch targets of issue 17, met or not, by how much and why (``small``: (a)'s measurements,
    for comparison)."""
    rate, speedup = result["jobs2"]["schools_per_second"], result["speedup"]
    size = f"{result['schools']:,} schools of {result['pupils_per_school']} pupils"
    slow = "" if rate >= TARGET_SCHOOLS_PER_SECOND else f"{TARGET_SCHOOLS_PER_SECOND / rate:.2f}× too slow"
    return [
        {
            "id": "g",
            "why": _rate_why(result, small),
            "what": f"`batch --jobs 2`, {size}",
            "value": f"{rate:.1f} schools/s ({FRENCH_PRIMARY_SCHOOLS:,} schools in "
            f"{result['french_schools_minutes']:.0f} min)",
            "target": f"≥ {TARGET_SCHOOLS_PER_SECOND:.0f} schools/s",
            "met": rate >= TARGET_SCHOOLS_PER_SECOND,
            "gap": slow,
        },
        {
            "id": "g",
            "why": _speedup_why(result),
            "what": "the same batch, 2 jobs vs 1",
            "value": f"{seconds(result['jobs1']['seconds'])} vs {seconds(result['jobs2']['seconds'])} "
            f"= {speedup:.2f}×",
            "target": f"≥ {TARGET_SPEEDUP}×",
            "met": speedup >= TARGET_SPEEDUP,
            "gap": "" if speedup >= TARGET_SPEEDUP else f"{TARGET_SPEEDUP / speedup:.2f}× short",
        },
    ]


def markdown(result: dict[str, Any]) -> str:
    """Section (g) of docs/performance.md."""
    mib = lambda mb: "—" if not mb else f"{mb:.0f} MiB"  # noqa: E731
    lines = [
        "## (g) Batch throughput: a département of small schools",
        "",
        f"`batch` of {result['schools']:,} synthetic schools of {result['pupils_per_school']} pupils "
        f"(SQLite states), 1 and 2 jobs alternately, "
        + (f"median of {result['runs']} runs each." if result["runs"] > 1 else "one run each.")
        + loaded(result),
        "",
        "| jobs | wall time (median) | every run | schools/s | peak RSS (largest process) "
        "| peak RSS (all processes) |",
        "|---|---|---|---|---|---|",
    ]
    for jobs in (1, 2):
        row = result[f"jobs{jobs}"]
        every = ", ".join(f"{s:.2f} s" for s in row["seconds_all"])
        lines.append(
            f"| {jobs} | {row['seconds']:.2f} s | {every} | {row['schools_per_second']:.1f} "
            f"| {mib(row['rss_mb'])} | {mib(row['tree_rss_mb'])} |"
        )
    counts = result["jobs2"]["counts"]
    lines += [
        "",
        f"Schools ok/held/error: {counts.get('ok', 0)}/{counts.get('held', 0)}/{counts.get('error', 0)}. "
        f"Speed-up: {result['speedup']:.2f}×. At {result['jobs2']['schools_per_second']:.1f} schools/s, "
        f"the {FRENCH_PRIMARY_SCHOOLS:,} French primary schools take "
        f"{result['french_schools_minutes']:.0f} min with 2 jobs (extrapolated linearly: each school is "
        "planned on its own, so the rate does not depend on how many there are; the target, 45,000 in "
        f"under 10 min, is {TARGET_SCHOOLS_PER_SECOND:.0f} schools/s).",
    ]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schools", type=int, default=1000)
    parser.add_argument("--pupils", type=int, default=150)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args(argv)
    compile_project()
    with tempfile.TemporaryDirectory() as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        result = bench_throughput(work, schools=args.schools, pupils=args.pupils, runs=args.runs, today=TODAY)
    print(markdown(result))
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
