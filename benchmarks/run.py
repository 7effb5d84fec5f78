"""Benchmarks with honest ratios, measured in one run on one machine; writes docs/performance.md.

    python benchmarks/run.py            # full: 300-pupil school, 1,000,000 pupils, 8 schools × 5,000
    python benchmarks/run.py --quick    # 100,000 pupils, 4 schools × 2,000, fewer repetitions

Not part of the test suite (tests/unit/test_benchmark_smoke.py runs these functions at a tiny size so
that they cannot rot). Needs ``pandas`` for (c) (``pip install pandas``; skipped with a note when it is
missing) and uses ``psutil`` when installed to add the summed RSS of a process tree.

What is measured (every program is a separate process, timed by wall clock from spawn to exit, its
peak RSS read from ``os.wait4``; medians of several runs where it is short):

(a) ``onde-sacoche plan`` of a 300-pupil school vs ``onde-sacoche --help`` (the CLI's bare start-up);
(b) ``onde-sacoche plan`` of 1,000,000 pupils against 1,000,000 accounts vs Python's ``csv`` module just
    parsing the same export; the plan runs instrumented (each stage of ``engine.pipeline`` timed);
(c) the same diff done naively with pandas (read CSV + read the state table + merge on INE + sets of
    creations, updates, deactivations), side by side;
(d) ``batch`` of N schools with 1 job vs 2 jobs;
(e) the peak RSS of each of those processes;
(f) applying the plan's SQL (SQLite in-process, MariaDB through the ``mariadb`` client);
(g) ``batch`` throughput: schools per second for a département of small schools, 1 vs 2 jobs;
(h) a changed-heavy school on MariaDB: plan vs the reference I/O, apply.sql vs loading the same rows.

One module per case (``startup`` (a), ``large`` (b, e), ``pandas_diff`` (c), ``batch`` (d),
``apply_sql`` (f), ``throughput`` (g), ``changed_heavy`` (h)), each with its measurement, its targets and
its section of the document; ``measure`` runs a command (wall time, peak RSS, medians), ``stages`` times
the pipeline's stages inside the measured process, ``report`` writes docs/performance.md.

Nothing is tuned to pass: a missed target is printed with by how much, and why.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from benchmarks import changed_heavy, throughput  # noqa: E402
from benchmarks.apply_sql import bench_apply  # noqa: E402
from benchmarks.batch import bench_batch  # noqa: E402
from benchmarks.config import ALLOW_ALL, DOC, FULL, QUICK, TINY, TODAY, Sizes  # noqa: E402
from benchmarks.large import bench_large  # noqa: E402
from benchmarks.measure import machine  # noqa: E402
from benchmarks.pandas_diff import pandas_available, pandas_child  # noqa: E402
from benchmarks.report import evaluate, render_markdown, write_document  # noqa: E402
from benchmarks.stages import stage_child  # noqa: E402
from benchmarks.startup import bench_startup_and_small  # noqa: E402
from benchmarks.text import verdict  # noqa: E402

__all__ = ["ALLOW_ALL", "FULL", "QUICK", "TINY", "Sizes", "evaluate", "main", "render_markdown", "run_all"]


def run_all(work: Path, sizes: Sizes, *, mode: str, with_pandas: bool | None = None) -> dict[str, Any]:
    """Every measurement, in one run, as a dict (what :func:`render_markdown` needs)."""
    work.mkdir(parents=True, exist_ok=True)
    if with_pandas is None:
        with_pandas = sizes.pandas and pandas_available()
    report: dict[str, Any] = {"mode": mode, "machine": machine(), "sizes": asdict(sizes)}
    report["small"] = bench_startup_and_small(work, sizes)
    report["large"] = bench_large(work, sizes, with_pandas=with_pandas)
    report["batch"] = bench_batch(work, sizes)
    report["apply"] = bench_apply(work, sizes)
    report["throughput"] = throughput.bench_throughput(
        work,
        schools=sizes.throughput_schools,
        pupils=sizes.throughput_pupils,
        runs=sizes.throughput_runs,
        today=TODAY,
    )
    report["changed"] = changed_heavy.bench_changed_heavy(
        work, pupils=sizes.changed_pupils, timeout=sizes.changed_timeout, today=TODAY
    )
    return report


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["_plan-child"]:
        stage_child(argv[1:])
        return 0
    if argv[:1] == ["_pandas-child"]:
        pandas_child(argv[1:])
        return 0
    parser = argparse.ArgumentParser(description="Measure onde-sacoche and write docs/performance.md.")
    parser.add_argument(
        "--quick", action="store_true", help="100,000 pupils instead of 1,000,000, fewer runs"
    )
    parser.add_argument(
        "--doc", type=Path, default=DOC, help="where to write the report [docs/performance.md]"
    )
    parser.add_argument("--work", type=Path, default=None, help="work directory (default: a temporary one)")
    parser.add_argument("--timeout", type=float, default=None, help="seconds allowed to the big plan")
    parser.add_argument("--json", type=Path, default=None, help="also write the raw measurements here")
    parser.add_argument(
        "--render", type=Path, default=None, help="only rewrite the document from a --json file"
    )
    args = parser.parse_args(argv)
    if args.render:
        saved = json.loads(args.render.read_text(encoding="utf-8"))
        write_document(args.doc, render_markdown(saved))
        print(f"written {args.doc} from {args.render}")
        return 0
    sizes = QUICK if args.quick else FULL
    if args.timeout:
        sizes = Sizes(**{**asdict(sizes), "big_timeout": args.timeout})
    work = args.work or Path(tempfile.mkdtemp(prefix="onde-bench-"))
    try:
        report = run_all(work, sizes, mode="quick" if args.quick else "full")
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
    write_document(args.doc, render_markdown(report))
    for row in evaluate(report):
        print(f"({row['id']}) {row['what']}: {row['value']} — target {row['target']}: {verdict(row['met'])}")
    print(f"written {args.doc}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
