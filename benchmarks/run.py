"""Benchmarks with honest ratios, measured in one run on one machine; writes docs/performance.md.

    python benchmarks/run.py            # full: 300-pupil school, 1,000,000 pupils, 8 schools × 5,000,
                                        # (h) at 50,000, 100,000 and 200,000 pupils as the budget allows
    python benchmarks/run.py --quick    # 100,000 pupils, 4 schools × 2,000, fewer repetitions
    python benchmarks/run.py --estimate # only how long it would take (each case, on an idle machine)
    python benchmarks/run.py --changed-sizes 50000,200000 --budget 25   # (h)'s sizes; time budget

The run prints its estimate at start and each case as it starts and ends. (h)'s largest size is where
its targets are judged and is always measured; an intermediate size that would not fit the budget
(``--budget`` minutes, default 25 full and 8 quick) is left out at start or skipped on the way, and the
document says so. Explicit ``--changed-sizes`` are all measured unless ``--budget`` is given too.

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
(h) a changed-heavy school on MariaDB at several sizes: plan vs the reference I/O, apply.sql vs loading
    the same rows (:mod:`benchmarks.budgets` estimates how long each case takes).

One module per case (``startup`` (a), ``large`` (b, e), ``pandas_diff`` (c), ``batch`` (d),
``apply_sql`` (f), ``throughput`` (g), ``changed_heavy`` (h)), each with its measurement, its targets and
its section of the document; ``measure`` runs a command (wall time, peak RSS, medians), ``stages`` times
the pipeline's stages inside the measured process, ``report`` writes docs/performance.md.

Nothing is tuned to pass: a missed target is printed with by how much, and why.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from benchmarks import budgets, changed_heavy, throughput  # noqa: E402
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


def run_all(
    work: Path,
    sizes: Sizes,
    *,
    mode: str,
    with_pandas: bool | None = None,
    budget: budgets.Budget | None = None,
    say: Callable[[str], None] = lambda _line: None,
) -> dict[str, Any]:
    """Every measurement, in one run, as a dict (what :func:`render_markdown` needs). ``budget`` lets
    (h) skip an intermediate size that would not fit; ``say`` hears the progress."""
    work.mkdir(parents=True, exist_ok=True)
    if with_pandas is None:
        with_pandas = sizes.pandas and pandas_available()
    report: dict[str, Any] = {"mode": mode, "machine": machine(), "sizes": asdict(sizes), "cases": {}}
    estimated = budgets.estimate(sizes)

    def case(key: str, name: str, measure: Callable[[], Any]) -> None:
        say(f"({key}) {budgets.TITLES[key]}: about {budgets.minutes(estimated[key])}")
        load, started = os.getloadavg()[0], time.perf_counter()
        report[name] = measure()
        seconds = time.perf_counter() - started
        report["cases"][key] = {
            "seconds": round(seconds, 1),
            "load": [round(load, 1), round(os.getloadavg()[0], 1)],
        }
        if budget is not None and key != "h":
            budget.spend(estimated[key])
        say(f"({key}) done in {budgets.minutes(seconds)}")

    case("a", "small", lambda: bench_startup_and_small(work, sizes))
    case("b", "large", lambda: bench_large(work, sizes, with_pandas=with_pandas))
    case("d", "batch", lambda: bench_batch(work, sizes))
    case("f", "apply", lambda: bench_apply(work, sizes))
    case(
        "g",
        "throughput",
        lambda: throughput.bench_throughput(
            work,
            schools=sizes.throughput_schools,
            pupils=sizes.throughput_pupils,
            runs=sizes.throughput_runs,
            today=TODAY,
        ),
    )
    case(
        "h",
        "changed",
        lambda: changed_heavy.bench_changed_sizes(
            work, sizes.changed_sizes, timeout=sizes.changed_timeout, today=TODAY, budget=budget, say=say
        ),
    )
    return report


def _command(args: argparse.Namespace) -> str:
    """The command line of this run as the document says it (the options that change what is measured)."""
    words = ["python benchmarks/run.py"] + (["--quick"] if args.quick else [])
    if args.changed_sizes is not None:
        words += ["--changed-sizes", ",".join(str(n) for n in args.changed_sizes)]
    if args.budget is not None:
        words += ["--budget", f"{args.budget:g}"]
    if args.timeout:
        words += ["--timeout", f"{args.timeout:g}"]
    return " ".join(words)


def _sizes_list(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(part.replace("_", "")) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of pupil counts: {text!r}") from None
    if not sizes or min(sizes) <= 0:
        raise argparse.ArgumentTypeError(f"not a list of pupil counts: {text!r}")
    return sizes


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
    parser.add_argument(
        "--changed-sizes",
        type=_sizes_list,
        default=None,
        metavar="N,N,…",
        help="(h)'s sizes, e.g. 50000,200000: all measured (unless --budget is given too); the targets "
        "are judged at the largest [full: 50000,100000,200000, intermediate ones as the budget allows]",
    )
    parser.add_argument(
        "--budget",
        type=float,
        default=None,
        metavar="MINUTES",
        help="what the whole run may take: (h)'s intermediate sizes that would not fit are skipped "
        "(estimated at start, then from this run's own rates) [full: 25, quick: 8]",
    )
    parser.add_argument(
        "--estimate", action="store_true", help="only print how long the run would take, and exit"
    )
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
        sizes = replace(sizes, big_timeout=args.timeout)
    minutes = args.budget if args.budget is not None else sizes.budget_minutes
    sizes = replace(sizes, budget_minutes=minutes)
    budget_seconds = minutes * 60
    estimated = budgets.estimate(sizes)
    others = sum(v for k, v in estimated.items() if k != "h")
    if args.changed_sizes is not None:
        sizes = replace(sizes, changed_sizes=args.changed_sizes)
    limited = args.changed_sizes is None or args.budget is not None
    chosen = (
        budgets.fitting_sizes(sizes.changed_sizes, budget_seconds, others)
        if limited
        else sorted(set(sizes.changed_sizes))
    )
    estimated = budgets.estimate(sizes, chosen)
    print(budgets.describe(estimated, sizes, chosen, budget_seconds), flush=True)
    left_out = sorted(set(sizes.changed_sizes) - set(chosen))
    if left_out:
        print(f"  (h) left out to fit the budget: {', '.join(f'{n:,}' for n in left_out)} pupils", flush=True)
    if args.estimate:
        return 0
    sizes = replace(sizes, changed_sizes=tuple(chosen))
    budget = budgets.Budget(budget_seconds) if limited else None
    work = args.work or Path(tempfile.mkdtemp(prefix="onde-bench-"))
    say = lambda line: print(line, flush=True)  # noqa: E731
    try:
        report = run_all(work, sizes, mode="quick" if args.quick else "full", budget=budget, say=say)
        report["command"] = _command(args)
        if left_out:
            report["changed"]["left_out"] = left_out
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
