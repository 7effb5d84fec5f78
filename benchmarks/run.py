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
(e) the peak RSS of each of those processes.

Nothing is tuned to pass: a missed target is printed with by how much, and why.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import functools
import inspect
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from benchmarks import changed_heavy, synth, throughput  # noqa: E402

DOC = ROOT / "docs" / "performance.md"
TODAY = "2026-11-29"
GIB = 1024.0

#: all the stages of engine.pipeline (read, state, match, plan…) are guards-free with this
ALLOW_ALL = ("coverage", "other_school", "class_missing", "niveau_missing", "deactivations")


@dataclass(frozen=True, slots=True)
class Sizes:
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


# ------------------------------------------------------------------------------------------ measuring


@dataclass(slots=True)
class Run:
    """One process: wall time from spawn to exit, its peak RSS, and how it ended."""

    seconds: float
    rss_mb: float  # peak RSS of the process (or of its largest waited-for descendant), from wait4
    returncode: int
    timed_out: bool = False
    tree_rss_mb: float | None = None  # peak of the summed RSS of the whole process tree (psutil)
    stdout: str = ""
    stderr: str = ""


def _psutil() -> Any:
    try:
        import psutil
    except ImportError:
        return None
    return psutil


#: Runs the measured command and reports its exact peak RSS. A child's ru_maxrss starts from its parent's
#: high-water mark (Linux keeps it across fork and exec), so the command is started from this small
#: launcher (python -S, a few MiB) rather than from the benchmark process, which holds generated data.
_LAUNCHER = """
import os, sys
report = sys.argv[1]
pid = os.posix_spawnp(sys.argv[2], sys.argv[2:], os.environ)
with open(report, "w") as f:
    f.write(f"pid {pid}\\n")
_, status, usage = os.wait4(pid, 0)
with open(report, "a") as f:
    f.write(f"rss {usage.ru_maxrss}\\n")
sys.exit(os.waitstatus_to_exitcode(status))
"""


def _hwm_mb(pid: int) -> float | None:
    """VmHWM (peak RSS) of a running process, from /proc."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except (OSError, ValueError):
        return None
    return None


def _report_lines(path: Path) -> dict[str, int]:
    values: dict[str, int] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            key, _, value = line.partition(" ")
            if value.strip().lstrip("-").isdigit():
                values[key] = int(value)
    return values


def measure(
    cmd: Sequence[str],
    *,
    timeout: float | None = None,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    tree: bool = False,
) -> Run:
    """Run ``cmd``; its wall time, peak RSS (``wait4`` in a small launcher) and exit code; killed (its
    whole session) after ``timeout`` seconds, its peak RSS so far then read from /proc."""
    psutil = _psutil() if tree else None
    with (
        tempfile.TemporaryFile("w+") as out,
        tempfile.TemporaryFile("w+") as err,
        tempfile.TemporaryDirectory() as scratch,
    ):
        report = Path(scratch) / "rusage"
        started = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-S", "-c", _LAUNCHER, str(report), *cmd],
            stdout=out,
            stderr=err,
            env=env,
            cwd=cwd,
            start_new_session=True,
            text=True,
        )
        timed_out = False
        tree_peak = 0.0
        last_sample = 0.0
        stopped_rss = None
        while True:
            pid, status = os.waitpid(proc.pid, os.WNOHANG)
            now = time.perf_counter()
            if pid:
                break
            target = _report_lines(report).get("pid")
            if psutil is not None and target and now - last_sample > 0.05:
                last_sample = now
                with contextlib.suppress(psutil.Error):
                    handle = psutil.Process(target)
                    total = 0
                    for member in [handle, *handle.children(recursive=True)]:
                        with contextlib.suppress(psutil.Error):
                            total += member.memory_info().rss
                    tree_peak = max(tree_peak, total / 2**20)
            if timeout is not None and now - started > timeout:
                stopped_rss = _hwm_mb(target) if target else None
                os.killpg(proc.pid, signal.SIGKILL)  # the session we started: launcher, command, workers
                pid, status = os.waitpid(proc.pid, 0)
                timed_out = True
                break
            time.sleep(0.002 if now - started < 2 else 0.02)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        values = _report_lines(report)
        rss = values["rss"] / 1024.0 if "rss" in values else stopped_rss
        out.seek(0)
        err.seek(0)
        return Run(
            seconds=seconds,
            rss_mb=rss if rss is not None else float("nan"),
            returncode=proc.returncode,
            timed_out=timed_out,
            tree_rss_mb=tree_peak or None,
            stdout=out.read(),
            stderr=err.read()[-4000:],
        )


def _median_run(runs: list[Run]) -> dict[str, Any]:
    return {
        "seconds": statistics.median(r.seconds for r in runs),
        "seconds_all": [round(r.seconds, 4) for r in runs],
        "rss_mb": max(r.rss_mb for r in runs),
        "returncodes": sorted({r.returncode for r in runs}),
    }


def _cli() -> list[str]:
    """``onde-sacoche`` as installed; ``python -m engine.cli`` when the script is not on PATH."""
    found = shutil.which("onde-sacoche")
    return [found] if found else [sys.executable, "-m", "engine.cli"]


def _env(tmp: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["TMPDIR"] = str(tmp)  # the pipeline's staging directory stays inside the work directory
    env["ONDE_SACOCHE_CACHE"] = str(tmp / "cache")  # a cache of its own, empty at the start
    env.pop("PYTHONHASHSEED", None)
    return env


# ------------------------------------------------------------------------------------------- machine


def machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = 0.0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = int(line.split()[1]) / 2**20
    except OSError:
        pass
    try:
        commit = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
        ).stdout.strip()
    except OSError:
        commit, dirty = "", ""
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": os.cpu_count(),
        "memory_gib": round(memory, 1),
        "cpu": model or platform.processor() or "unknown",
        "python": platform.python_version(),
        "platform": platform.platform(),
        "commit": commit + (" (with uncommitted changes)" if dirty else ""),
        "bytecode": "the project's modules compiled by the benchmark before measuring (`compileall`, as "
        "`pip install` does)"
        + ("; PYTHONDONTWRITEBYTECODE is set here" if os.environ.get("PYTHONDONTWRITEBYTECODE") else ""),
    }


def compile_project() -> None:
    """Write the project's .pyc files, as ``pip install .`` does: an editable checkout under
    PYTHONDONTWRITEBYTECODE would otherwise compile every module at every start."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "engine")], check=True)


# ----------------------------------------------------------------------------------- (a) start-up


def import_profile(args: Sequence[str], env: dict[str, str], top: int = 8) -> list[tuple[str, float]]:
    """What ``onde-sacoche ARGS`` spends importing, per top-level package (summed self times of
    ``python -X importtime``, in ms), heaviest first; ``engine`` is the project's own modules."""
    run = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "engine.cli", *args],
        capture_output=True,
        text=True,
        env=env,
    )
    spent: dict[str, float] = {}
    for line in run.stderr.splitlines():
        if not line.startswith("import time:") or line.count("|") != 2:
            continue
        own, _cumulative, name = line[len("import time:") :].split("|")
        try:
            microseconds = float(own.strip())
        except ValueError:
            continue
        package = name.strip().split(".")[0]
        spent[package] = spent.get(package, 0.0) + microseconds / 1000.0
    heavy = sorted(spent.items(), key=lambda kv: -kv[1])[:top]
    return [(name, round(ms, 1)) for name, ms in heavy]


def bench_startup_and_small(work: Path, sizes: Sizes) -> dict[str, Any]:
    """(a): median wall time of ``onde-sacoche --help`` and of ``plan`` for a small school."""
    school = synth.generate(work / "small", pupils=sizes.small_pupils, seed=1)[0]
    env = _env(work)
    cli = _cli()
    compile_project()
    bare = [measure([sys.executable, "-c", "pass"], env=env) for _ in range(sizes.runs)]
    imports = [measure([sys.executable, "-c", "import engine.cli"], env=env) for _ in range(sizes.runs)]
    plan_cmd = [
        *cli,
        "plan",
        str(school.export),
        "--db",
        school.db_url,
        "--out",
        str(work / "small-plan"),
        "--today",
        TODAY,
        "--force",
    ]
    cold = measure(plan_cmd, env=env)  # empty cache: rules checked, templates compiled
    helps, plans = [], []
    for _ in range(sizes.runs):  # alternately: a shared machine's load weighs on both alike
        helps.append(measure([*cli, "--help"], env=env))
        plans.append(measure(plan_cmd, env=env))
    for run in [cold, *plans]:
        if run.returncode not in (0, 3):
            raise RuntimeError(f"plan of the small school failed: {run.stderr}")
    result = {
        "pupils": school.pupils,
        "python_bare": _median_run(bare),
        "import_engine_cli": _median_run(imports),
        "help": _median_run(helps),
        "plan": _median_run(plans),
        "plan_cold": _median_run([cold]),
        "imports": import_profile(plan_cmd[len(cli) :], env),
    }
    result["ratio"] = result["plan"]["seconds"] / result["help"]["seconds"]
    return result


# --------------------------------------------------------------------------------- (b) large plan


def parse_only(path: Path, runs: int) -> float:
    """Median time Python's csv module takes to parse the export (UTF-8 BOM, ';'), every field."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        with path.open(encoding="utf-8-sig", newline="") as handle:
            for _row in csv.reader(handle, delimiter=";"):
                pass
        times.append(time.perf_counter() - started)
    return statistics.median(times)


#: helpers of engine.pipeline too small to be stages (they would only clutter the table)
NOT_STAGES = frozenset({"plan_dialects", "sql_path", "stale_item_decisions"})


def _stage_child(argv: Sequence[str]) -> None:
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
                            "peak_mb": _hwm_mb(os.getpid()),
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


def naive_pandas(export: Path, db: Path) -> dict[str, int]:
    """The diff done naively: read CSV, read the state table, merge on INE, three sets. No normalising,
    no matching without INE, no classes, groups, guards, logins or SQL."""
    import sqlite3

    import pandas as pd

    rows = pd.read_csv(export, sep=";", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    with sqlite3.connect(db) as conn:
        state = pd.read_sql_query(
            "SELECT user_id, user_reference, user_nom, user_prenom, user_naissance_date, user_sortie_date "
            "FROM sacoche_user WHERE user_profil_sigle = 'ELV'",
            conn,
        )
    rows["naissance"] = pd.to_datetime(rows["Date de naissance"], format="%d/%m/%Y").dt.strftime("%Y-%m-%d")
    with_ine = rows[rows["INE"] != ""]
    known = state[state["user_reference"] != ""]
    merged = with_ine.merge(known, left_on="INE", right_on="user_reference", how="outer", indicator=True)
    both = merged[merged["_merge"] == "both"]
    changed = (
        (both["Nom de famille"] != both["user_nom"])
        | (both["Prénom"] != both["user_prenom"])
        | (both["naissance"] != both["user_naissance_date"])
        | (both["user_sortie_date"] != "9999-12-31")
    )
    right = merged[merged["_merge"] == "right_only"]
    return {
        "rows": len(rows),
        "accounts": len(state),
        "create": int((merged["_merge"] == "left_only").sum()) + int((rows["INE"] == "").sum()),
        "update": int(changed.sum()),
        "deactivate": int((right["user_sortie_date"] == "9999-12-31").sum()),
    }


def _pandas_child(argv: Sequence[str]) -> None:
    print(json.dumps(naive_pandas(Path(argv[0]), Path(argv[1]))))


def pandas_available() -> bool:
    return subprocess.run([sys.executable, "-c", "import pandas"], capture_output=True).returncode == 0


def bench_large(work: Path, sizes: Sizes, *, with_pandas: bool) -> dict[str, Any]:
    """(b), (c) and part of (e): one big school planned (instrumented), parsed, and diffed with pandas."""
    started = time.perf_counter()
    school = synth.generate(work / "big", pupils=sizes.big_pupils, seed=2)[0]
    generated = time.perf_counter() - started
    env = _env(work)
    parse = parse_only(school.export, sizes.parse_runs)
    timings = work / "big-stages.jsonl"
    timings.unlink(missing_ok=True)
    out = work / "big-plan"
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "_plan-child",
        str(timings),
        "plan",
        str(school.export),
        "--db",
        school.db_url,
        "--out",
        str(out),
        "--today",
        TODAY,
        "--force",
        *[arg for guard in ALLOW_ALL for arg in ("--allow", guard)],
    ]
    run = measure(cmd, timeout=sizes.big_timeout, env=env)
    stages, running = read_stages(timings)
    plan_json = out / "plan.json"
    if not plan_json.exists():  # stopped before the outputs were moved: the staging copy, if written
        staged = sorted(work.glob("onde-sacoche-*/plan.json"))
        plan_json = staged[0] if staged else plan_json
    summary = None
    if run.returncode in (0, 3) and not run.timed_out and (out / "plan.json").exists():
        summary = json.loads((out / "plan.json").read_text(encoding="utf-8"))["summary"]
    result: dict[str, Any] = {
        "pupils": school.pupils,
        "accounts": school.accounts,
        "export_mb": school.export.stat().st_size / 2**20,
        "db_mb": school.db.stat().st_size / 2**20,
        "generate_seconds": generated,
        "parse_seconds": parse,
        "plan": asdict(run) | {"stdout": run.stdout[-2000:], "stderr": run.stderr[-2000:]},
        "stages": stages,
        "running_at_stop": running,
        "plan_json_mb": plan_json.stat().st_size / 2**20 if plan_json.exists() else None,
        "report_mb": _size_mb(out / "rapport.html"),
        "summary": summary,
        "planted": school.planted,
        "timeout": sizes.big_timeout,
    }
    result["ratio"] = None if run.timed_out or run.returncode not in (0, 3) else run.seconds / parse
    if with_pandas:
        naive = measure(
            [
                sys.executable,
                str(Path(__file__).resolve()),
                "_pandas-child",
                str(school.export),
                str(school.db),
            ],
            env=env,
        )
        counts = json.loads(naive.stdout.strip().splitlines()[-1]) if naive.returncode == 0 else None
        result["pandas"] = {
            "seconds": naive.seconds,
            "rss_mb": naive.rss_mb,
            "returncode": naive.returncode,
            "counts": counts,
        }
    else:
        result["pandas"] = None
    shutil.rmtree(work / "big", ignore_errors=True)
    shutil.rmtree(out, ignore_errors=True)
    return result


# ---------------------------------------------------------------------------------------- (d) batch


def bench_batch(work: Path, sizes: Sizes) -> dict[str, Any]:
    """(d): the same batch of schools planned with 1 job and with 2 jobs, alternately, several times
    (medians: the machine's two cores may be shared with other work)."""
    folder = work / "batch"
    schools = synth.generate(folder, schools=sizes.batch_schools, pupils=sizes.batch_pupils, seed=3)
    db_map = synth.write_db_map(folder / "db-map.yaml", schools)
    env = _env(work)
    result: dict[str, Any] = {"schools": len(schools), "pupils_per_school": sizes.batch_pupils}
    runs: dict[int, list[dict[str, Any]]] = {1: [], 2: []}
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
    shutil.rmtree(folder, ignore_errors=True)
    return result


# ------------------------------------------------------------------------------- (f) applying the SQL


def _timed(func: Any, *args: Any, **kwargs: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    value = func(*args, **kwargs)
    return time.perf_counter() - started, value


def bench_apply(work: Path, sizes: Sizes) -> dict[str, Any]:
    """Not a target of the issue, but what a DBA waits for: apply.sql, verify.sql and revert.sql of one
    big school's plan, run as a DBA runs them (SQLite in-process like `onde-sacoche apply`; MariaDB through
    the `mariadb` client, on a private server started here). Each run must succeed and verify must say OK."""
    from engine.pipeline import make_plan
    from engine.render import sql_path
    from engine.render.apply import run_sqlite, verify_sqlite

    folder = work / "apply"
    school = synth.generate(folder, pupils=sizes.apply_pupils, seed=5)[0]
    result: dict[str, Any] = {"pupils": school.pupils, "databases": []}

    def scripts(out: Path, dialect: str) -> dict[str, Path]:
        return {name: sql_path(out, dialect, name) for name in ("apply", "verify", "revert")}

    # SQLite, the demo database
    out = folder / "plan-sqlite"
    plan_seconds, _ = _timed(make_plan, school.export, school.db_url, out, allow=ALLOW_ALL)
    files = scripts(out, "sqlite")
    apply_seconds, _ = _timed(run_sqlite, school.db, files["apply"])
    verify_seconds, verified = _timed(verify_sqlite, school.db, files["verify"])
    revert_seconds, _ = _timed(run_sqlite, school.db, files["revert"])
    result["databases"].append(
        {
            "database": f"SQLite {sqlite3_version()}",
            "plan": plan_seconds,
            "apply": apply_seconds,
            "verify": verify_seconds,
            "revert": revert_seconds,
            "verified": verified.rows[-1][2] if verified.rows else "",
        }
    )
    # MariaDB, through the client, as a DBA runs the scripts
    try:
        sys.path.insert(0, str(ROOT / "tests"))
        from support.mariadb import MariaDBServer, MariaDBUnavailable, SacocheDatabase
        from support.state_copy import copy_sqlite_to_mysql
    except ImportError as exc:  # pragma: no cover - the tests folder is part of the repository
        result["mariadb"] = f"not measured: {exc}"
        return result
    fresh = synth.generate(folder / "mariadb", pupils=sizes.apply_pupils, seed=5)[0]
    try:
        with MariaDBServer() as server:
            server.create_database("bench")
            server.load_sacoche_schema("bench")
            db = SacocheDatabase(server, "bench")
            copy_sqlite_to_mysql(fresh.db, db)
            out = folder / "plan-mysql"
            plan_seconds, _ = _timed(make_plan, fresh.export, db.url, out, allow=ALLOW_ALL)
            files = scripts(out, "mysql")
            timings: dict[str, float] = {}
            outputs: dict[str, str] = {}
            for name in ("apply", "verify", "revert"):
                with files[name].open("rb") as script:
                    started = time.perf_counter()
                    ran = subprocess.run(server.client_command("bench"), stdin=script, capture_output=True)
                    timings[name] = time.perf_counter() - started
                if ran.returncode != 0:
                    raise RuntimeError(f"{name}.sql failed on MariaDB: {ran.stderr.decode()[-500:]}")
                outputs[name] = ran.stdout.decode("utf-8", "replace")
            with contextlib.closing(server.connect(None)) as connection:
                version = connection.get_server_info().removeprefix("5.5.5-")
    except MariaDBUnavailable as exc:
        result["mariadb"] = f"not measured: {exc}"
        return result
    last = outputs["verify"].strip().splitlines()[-1].split("\t")
    result["databases"].append(
        {
            "database": f"MariaDB {version.split('-')[0]}",
            "plan": plan_seconds,
            **timings,
            "verified": last[2] if len(last) > 2 else "",
        }
    )
    shutil.rmtree(folder, ignore_errors=True)
    return result


def sqlite3_version() -> str:
    import sqlite3

    return sqlite3.sqlite_version


# --------------------------------------------------------------------------------------------- report


def _s(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def _mb(mb: float | None) -> str:
    if mb is None:
        return "—"
    return f"{mb / GIB:.2f} GiB" if mb >= GIB else f"{mb:.0f} MiB"


def _verdict(met: bool | None) -> str:
    return "not measured" if met is None else ("**met**" if met else "**missed**")


def evaluate(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The targets: value, target, met, by how much."""
    small, large, batch = report["small"], report["large"], report["batch"]
    rows = []
    ratio_a = small["ratio"]
    rows.append(
        {
            "id": "a",
            "what": f"`plan` of a {small['pupils']}-pupil school vs `onde-sacoche --help`",
            "value": f"{_s(small['plan']['seconds'])} vs {_s(small['help']['seconds'])} = {ratio_a:.2f}×",
            "target": "≤ 2×",
            "met": ratio_a <= 2,
            "gap": f"{ratio_a / 2:.2f}× the target" if ratio_a > 2 else "",
        }
    )
    plan_run = large["plan"]
    ratio_b = large["ratio"]
    if ratio_b is not None:
        value_b = f"{_s(plan_run['seconds'])} vs {_s(large['parse_seconds'])} = {ratio_b:.1f}×"
        met_b: bool | None = ratio_b <= 3
        gap_b = f"{ratio_b / 3:.1f}× the target" if ratio_b > 3 else ""
    elif plan_run["timed_out"]:
        value_b = f"unfinished after {_s(large['timeout'])} (stopped in `{large['running_at_stop']}`)"
        met_b = False
        gap_b = f"more than {large['timeout'] / large['parse_seconds'] / 3:.0f}× the target"
    else:
        value_b, met_b, gap_b = f"failed (exit {plan_run['returncode']})", None, ""
    rows.append(
        {
            "id": "b",
            "what": f"`plan` of {large['pupils']:,} pupils vs `csv` parsing the same file",
            "value": value_b,
            "target": "≤ 3×",
            "met": met_b,
            "gap": gap_b,
        }
    )
    pandas = large.get("pandas")
    if pandas and pandas["returncode"] == 0:
        ours = plan_run["seconds"] if ratio_b is not None else None
        met_c = ours is not None and ours < pandas["seconds"]
        value_c = f"{_s(ours) if ours else 'unfinished'} vs pandas {_s(pandas['seconds'])}"
        gap_c = (
            f"{ours / pandas['seconds']:.1f}× slower than pandas"
            if ours and not met_c
            else ("" if ours else "plan did not finish")
        )
        rows.append(
            {
                "id": "c",
                "what": "same plan vs a naive pandas merge",
                "value": value_c,
                "target": "faster",
                "met": met_c,
                "gap": gap_c,
            }
        )
    else:
        rows.append(
            {
                "id": "c",
                "what": "same plan vs a naive pandas merge",
                "value": "pandas not installed"
                if pandas is None
                else f"pandas failed ({pandas['returncode']})",
                "target": "faster",
                "met": None,
                "gap": "",
            }
        )
    speedup = batch["speedup"]
    rows.append(
        {
            "id": "d",
            "what": f"`batch` of {batch['schools']} × {batch['pupils_per_school']:,} pupils, 1 vs 2 jobs",
            "value": f"{_s(batch['jobs1']['seconds'])} vs {_s(batch['jobs2']['seconds'])} = {speedup:.2f}×",
            "target": "≥ 1.6×",
            "met": speedup >= 1.6,
            "gap": f"{1.6 - speedup:.2f}× short" if speedup < 1.6 else "",
        }
    )
    peak = plan_run["rss_mb"]
    rows.append(
        {
            "id": "e",
            "what": f"peak RSS of `plan` at {large['pupils']:,} pupils",
            "value": _mb(peak) + (" (when stopped)" if plan_run["timed_out"] else ""),
            "target": "≤ 1.5 GiB",
            "met": peak <= 1.5 * GIB,
            "gap": f"{peak / (1.5 * GIB):.2f}× the target" if peak > 1.5 * GIB else "",
        }
    )
    if report.get("throughput"):
        rows += throughput.targets(report["throughput"])
    if report.get("changed"):
        rows += changed_heavy.targets(report["changed"])
    return rows


def render_markdown(report: dict[str, Any]) -> str:
    """docs/performance.md from a report (a dict as :func:`run_all` returns it)."""
    m, small, large, batch = report["machine"], report["small"], report["large"], report["batch"]
    targets = evaluate(report)
    out: list[str] = []
    add = out.append
    add("# Performance\n")
    add(
        f"Measured by `python benchmarks/run.py{' --quick' if report['mode'] == 'quick' else ''}` on "
        f"{m['date']} (commit {m['commit'] or 'unknown'}), every figure from the same run on the same "
        "machine. "
        "Do not edit by hand: re-run the benchmark (it rewrites this file). Data come from "
        "`benchmarks/synth.py` (synthetic schools, fixed seeds).\n"
    )
    add("## Machine\n")
    add("| | |\n|---|---|")
    add(f"| CPU | {m['cpu']} |\n| cores (`nproc`) | {m['nproc']} |\n| memory | {m['memory_gib']} GiB |")
    add(f"| Python | {m['python']} |\n| system | {m['platform']} |")
    add(f"| bytecode | {m.get('bytecode', '?')} |\n")
    add("## Targets\n")
    add("| | measurement | value | target | result | gap |\n|---|---|---|---|---|---|")
    for row in targets:
        add(
            f"| ({row['id']}) | {row['what']} | {row['value']} | {row['target']} | {_verdict(row['met'])} | "
            f"{row['gap']} |"
        )
    add("")
    add("## (a) Small school vs start-up\n")
    runs = len(small["help"]["seconds_all"])
    add(f"Median of {runs} run{'s' if runs > 1 else ''} each, wall clock, separate processes.\n")
    add("| command | median | peak RSS |\n|---|---|---|")
    add(
        f"| `python -c pass` | {_s(small['python_bare']['seconds'])} | "
        f"{_mb(small['python_bare']['rss_mb'])} |"
    )
    add(
        f"| `python -c 'import engine.cli'` | {_s(small['import_engine_cli']['seconds'])} | "
        f"{_mb(small['import_engine_cli']['rss_mb'])} |"
    )
    add(f"| `onde-sacoche --help` | {_s(small['help']['seconds'])} | {_mb(small['help']['rss_mb'])} |")
    add(
        f"| `onde-sacoche plan` ({small['pupils']} pupils, SQL + report rendered) | "
        f"{_s(small['plan']['seconds'])} | {_mb(small['plan']['rss_mb'])} |"
    )
    if small.get("plan_cold"):
        add(
            "| the same `plan`, first run with an empty cache (rules checked against their schemas, "
            f"templates compiled) | {_s(small['plan_cold']['seconds'])} | "
            f"{_mb(small['plan_cold']['rss_mb'])} |"
        )
    add("")
    add(
        "The cache (`engine/cache.py`, per user and tool version) keeps the compiled templates and the fact "
        "that these exact rule files were found valid; an edited rule file is checked again.\n"
    )
    add("Heaviest packages imported by that `plan` (`python -X importtime`, own time summed):\n")
    add("| module | ms |\n|---|---|")
    for name, ms in small["imports"]:
        add(f"| `{name}` | {ms} |")
    add("")
    add(f"## (b) {large['pupils']:,} pupils vs parsing\n")
    add(
        f"One school of {large['pupils']:,} pupils ({large['export_mb']:.0f} MiB of CSV) against "
        f"{large['accounts']:,} accounts ({large['db_mb']:.0f} MiB SQLite), generated in "
        f"{_s(large['generate_seconds'])}. All guards allowed (`--allow` each): a synthetic giant school "
        "trips none by design, but the benchmark must measure the whole pipeline whatever they say. "
        f"`csv.reader` alone parses the file in {_s(large['parse_seconds'])} (median of runs).\n"
    )
    plan_run = large["plan"]
    end = (
        f"stopped by the {_s(large['timeout'])} timeout while in `{large['running_at_stop']}`"
        if plan_run["timed_out"]
        else f"exit code {plan_run['returncode']}"
    )
    add(
        f"`onde-sacoche plan` (instrumented): {_s(plan_run['seconds'])}, peak RSS {_mb(plan_run['rss_mb'])}, "
        f"{end}. plan.json: "
        + (f"{large['plan_json_mb']:.0f} MiB." if large["plan_json_mb"] is not None else "not written.")
        + "\n"
    )
    add("Stages of `engine.pipeline.make_plan` (wall time, RSS at the end of the stage, peak so far):\n")
    add("| stage | time | RSS after | peak |\n|---|---|---|---|")
    for stage in large["stages"]:
        indent = "&nbsp;&nbsp;" * max(0, stage["depth"] - 1)
        add(
            f"| {indent}`{stage['stage']}` | {_s(stage['seconds'])} | {_mb(stage['rss_mb'])} | "
            f"{_mb(stage['peak_mb'])} |"
        )
    if large["running_at_stop"]:
        add(f"| `{large['running_at_stop']}` | unfinished | | |")
    add("")
    if large.get("summary"):
        s = large["summary"]
        add(
            f"Plan: {s['create']:,} to create, {s['update']:,} to update, {s['deactivate']:,} to deactivate, "
            f"{s['reactivate']:,} to reactivate, {s['needs_decision']:,} to decide, "
            f"{s['unchanged']:,} unchanged "
            f"(planted: {large['planted']['create']:,} arrivals, {large['planted']['deactivate']:,} leavers, "
            f"{large['planted']['reactivate']:,} returning).\n"
        )
    add("## (c) The same diff with pandas\n")
    pandas = large.get("pandas")
    if pandas is None:
        add("Not measured: pandas is not installed (`pip install pandas`).\n")
    else:
        add("| | wall time | peak RSS | what it does |\n|---|---|---|---|")
        add(
            f"| `onde-sacoche plan` | {_s(plan_run['seconds'])}"
            f"{' (unfinished)' if plan_run['timed_out'] else ''} | {_mb(plan_run['rss_mb'])} | "
            "normalise every cell by the rules, detect format/encoding, read and fingerprint the state, "
            "3 matching tiers + fuzzy proposals, classes, groups, memberships, logins, passwords, guards, "
            "plan.json, SQL and report |"
        )
        counts = pandas.get("counts") or {}
        add(
            f"| naive pandas | {_s(pandas['seconds'])} | {_mb(pandas['rss_mb'])} | "
            "`read_csv` + `read_sql_query` "
            f"+ `merge` on INE, three sets (create {counts.get('create', '?'):,}, update "
            f"{counts.get('update', '?'):,}, deactivate {counts.get('deactivate', '?'):,}); no normalising, "
            "no matching without INE, no classes, groups, guards, logins or outputs |\n"
            if counts
            else f"| naive pandas | {_s(pandas['seconds'])} | {_mb(pandas['rss_mb'])} | failed |\n"
        )
    add("## (d) Batch, 1 vs 2 jobs\n")
    add("| jobs | wall time (median) | every run | peak RSS (largest process) | peak RSS (all processes) |")
    add("|---|---|---|---|---|")
    for jobs in (1, 2):
        j = batch[f"jobs{jobs}"]
        every = ", ".join(_s(x) for x in j.get("seconds_all", [j["seconds"]]))
        add(f"| {jobs} | {_s(j['seconds'])} | {every} | {_mb(j['rss_mb'])} | {_mb(j['tree_rss_mb'])} |")
    c = batch["jobs2"]["counts"]
    add(f"\nSchools ok/held/error: {c['ok']}/{c['held']}/{c['error']} (each run).")
    add(f"\nSpeed-up: {batch['speedup']:.2f}× on {m['nproc']} cores.\n")
    add("## (e) Peak RSS\n")
    add("| process | peak RSS |\n|---|---|")
    add(f"| `onde-sacoche --help` | {_mb(small['help']['rss_mb'])} |")
    add(f"| `plan`, {small['pupils']} pupils | {_mb(small['plan']['rss_mb'])} |")
    add(f"| `plan`, {large['pupils']:,} pupils | {_mb(plan_run['rss_mb'])} |")
    if pandas:
        add(f"| naive pandas, {large['pupils']:,} pupils | {_mb(pandas['rss_mb'])} |")
    add(f"| `batch --jobs 1` (largest process) | {_mb(batch['jobs1']['rss_mb'])} |")
    add(f"| `batch --jobs 2` (largest process) | {_mb(batch['jobs2']['rss_mb'])} |\n")
    apply = report.get("apply")
    if apply:
        add(f"## (f) Applying the SQL: one school of {apply['pupils']:,} pupils\n")
        add(
            "Not a target of the issue, but what a DBA waits for. The plan's scripts run as a DBA runs them: "
            "SQLite in-process as `onde-sacoche apply` does, MariaDB through the `mariadb` client on a "
            "private server started by the benchmark. Wall time of each script; the last column is what "
            "verify.sql answered after apply.sql.\n"
        )
        add("| database | plan | apply.sql | verify.sql | revert.sql | verify says |")
        add("|---|---|---|---|---|---|")
        for row in apply["databases"]:
            add(
                f"| {row['database']} | {_s(row['plan'])} | {_s(row['apply'])} | {_s(row['verify'])} | "
                f"{_s(row['revert'])} | {row['verified']} |"
            )
        if apply.get("mariadb"):
            add(f"\nMariaDB {apply['mariadb']}.")
        add("")
    if report.get("throughput"):
        add(throughput.markdown(report["throughput"]))
    if report.get("changed"):
        add(changed_heavy.markdown(report["changed"]))
    add("## Why targets are missed\n")
    for row in targets:
        if row["met"] is False:
            add(f"- **({row['id']})** {row['gap']}: {row.get('why') or _why(row['id'], report)}")
    if all(row["met"] is not False for row in targets):
        add("No target is missed.")
    add("")
    add(notes(report))
    return "\n".join(out) + "\n"


def _size_mb(path: Path) -> float | None:
    return path.stat().st_size / 2**20 if path.exists() else None


def _stage_seconds(report: dict[str, Any], name: str) -> float:
    return sum(s["seconds"] for s in report["large"]["stages"] if s["stage"] == name)


def _leaves(stages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Stages with no timed stage inside them (``stages`` in start order)."""
    return [
        stage
        for i, stage in enumerate(stages)
        if i + 1 == len(stages) or stages[i + 1]["depth"] <= stage["depth"]
    ]


def _stage(report: dict[str, Any], name: str) -> dict[str, Any] | None:
    return next((s for s in report["large"]["stages"] if s["stage"] == name), None)


def _heaviest(report: dict[str, Any], top: int = 3) -> str:
    large = report["large"]
    total = large["plan"]["seconds"]
    leaves = sorted(_leaves(large["stages"]), key=lambda s: -s["seconds"])[:top]
    return ", ".join(f"`{s['stage']}` {_s(s['seconds'])} ({100 * s['seconds'] / total:.0f}%)" for s in leaves)


def _why(target: str, report: dict[str, Any]) -> str:
    small, large, batch = report["small"], report["large"], report["batch"]
    if target == "a":
        extra = small["plan"]["seconds"] - small["help"]["seconds"]
        heavy = ", ".join(f"{name} {ms:.0f} ms" for name, ms in small["imports"][:5])
        return (
            f"`plan` does {_s(extra)} of work on top of the start-up, most of it fixed cost, not pupils: "
            f"importing the libraries the pipeline needs and `--help` does not (heaviest: {heavy}), reading "
            "the rules, opening the database, rendering six scripts (its database is SQLite: both dialects), "
            "the report and the login sheet. Removed since the first measurement (601 ms): clevercsv "
            "(import and sniffing; a known header now decides the delimiter), jsonschema and rule "
            "validation on unchanged rules, template compilation (both cached), Jinja macros; then petl "
            "(state rows come straight from the DB-API cursor), rapidfuzz (imported only when look-alikes "
            "are compared) and urllib.request; dataclasses without a docstring (each cost an "
            "inspect.signature at import)."
        )
    if target == "b":
        core = sum(_stage_seconds(report, n) for n in ("read_export", "read_state", "match", "build_plan"))
        text = (
            f"parsing is a C loop over {large['export_mb']:.0f} MiB; a plan normalises every cell through "
            f"its rule steps, reads and fingerprints {large['accounts']:,} accounts, matches, plans and "
            f"writes its outputs. Reading, state, matching and planning alone take {_s(core)} "
            f"({core / large['parse_seconds']:.0f}× the parse); the heaviest stages are {_heaviest(report)}."
        )
        if large["plan"]["timed_out"]:
            text += f" The run did not finish: it was stopped in `{large['running_at_stop']}`."
        return text
    if target == "c":
        return (
            "pandas does a fraction of the work in vectorised C (no per-cell rules, no matching without "
            "INE, no look-alike search, no classes/groups/logins, no outputs); the plan is pure Python "
            "per pupil."
        )
    if target == "d":
        j1, j2 = batch["jobs1"], batch["jobs2"]
        return (
            f"the schools themselves take {_s(j1['school_seconds'])} in 1 process and "
            f"{_s(j2['school_seconds'])} summed over 2; what is not parallel (start-up, imports, pool "
            "start, the summary) and the two cores being shared with the system keep the speed-up below 2×."
        )
    if target == "e":
        peak = large["plan"]["rss_mb"]
        leaves = _leaves(large["stages"])
        reached = next((s for s in leaves if s["peak_mb"] and s["peak_mb"] >= peak - 1), None)
        planned = _stage(report, "build_plan")
        text = "every pupil, every account and the plan's items are in memory at once"
        if planned:
            text += f" (peak {_mb(planned['peak_mb'])} once planned)"
        if reached:
            text += f"; the peak is reached in `{reached['stage']}`"
        return text + ". See the notes below."
    return ""


def notes(report: dict[str, Any]) -> str:
    """The notes, with this run's figures for the stages outside the planning ones."""
    outside = []
    for name, what in (
        ("read_state", "streams the user table, fingerprinting each row as it arrives"),
        ("write_plan", "writes plan.json item by item (a small indenter giving json.dumps's bytes)"),
        (
            "load_plan",
            "reads plan.json back once, for the SQL and the report (what is rendered is what a "
            "reviewer reads)",
        ),
        ("render_sql", "streams each script to a temporary file, renamed when all six are written"),
        ("render_reports", "renders the report and the login sheet from the same loaded plan"),
    ):
        stage = _stage(report, name)
        if stage:
            figures = f"{_s(stage['seconds'])}, peak {_mb(stage['peak_mb'])} when done"
            outside.append(f"`{name}` {what} ({figures})")
    text = NOTES
    if outside:
        text += "- Writing and rendering stages: " + "; ".join(outside) + ".\n"
    report_mb = report["large"].get("report_mb")
    if report_mb:
        text += (
            f"- The report lists every changed pupil: for this synthetic school it is {report_mb:.0f} MiB of "
            "HTML that nobody would print; a real school's renders in milliseconds.\n"
        )
    return text


NOTES = """## Notes

- Fuzzy matching blocks by birth date (a deletion index inside large blocks) and by folded names; no
  stage compares all pairs. The look-alike proposals ("same nom and prénom, different birth date") grow
  with the number of unmatched accounts sharing a name, so a real name distribution matters: the
  generator draws family names from a long tail, as in France.
- Changes made for scale in the planning stages (same results, checked by tests on generated schools):
  the normaliser memoises each field's rule steps per distinct cell (equal values then share one
  string), `class_of` and `group_ref` are memoised per class/label instead of per pupil, the matcher
  builds its tier indexes without a list per key and searches look-alikes through a deletion index, the
  planner reads its field policy once and skips unchanged pupils with one comparison, the cyclic garbage
  collector is paused while these stages build millions of objects, and `openpyxl`, `clevercsv` and
  `charset_normalizer` are imported only when used.
- Memory: the peak is reached while planning, when the export, the state, the matching and the plan's
  items are all needed. Everything but plan.json is released before rendering, which reads plan.json
  back once and streams every script and the report to disk (the first measurement held the six
  scripts in memory: 5.99 GiB).
- Rendering: the SQL phrases (lookups, row identities, the condition of every guard and check) are
  Python functions called by the templates (`engine/sqlphrases.py`): as Jinja macros they took about
  70 % of the rendering time. The scripts are byte for byte those of the macros (checked on a
  100,000-pupil plan and by the golden files). The benchmark's database is SQLite, so both dialects are
  rendered; a plan made against MySQL/MariaDB (a real SACoche) renders the MySQL scripts only, about half
  of `render_sql`.
"""


# ------------------------------------------------------------------------------------------------ main


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
        _stage_child(argv[1:])
        return 0
    if argv[:1] == ["_pandas-child"]:
        _pandas_child(argv[1:])
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
        args.doc.write_text(render_markdown(saved), encoding="utf-8")
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
    args.doc.write_text(render_markdown(report), encoding="utf-8")
    for row in evaluate(report):
        print(f"({row['id']}) {row['what']}: {row['value']} — target {row['target']}: {_verdict(row['met'])}")
    print(f"written {args.doc}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
