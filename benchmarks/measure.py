"""Running a measured command: wall time, peak RSS (``wait4``), exit code; medians; the machine.

Every program is a separate process, timed by wall clock from spawn to exit, its peak RSS read from
``os.wait4`` in a small launcher; uses ``psutil`` when installed to add the summed RSS of a process tree.
"""

from __future__ import annotations

import contextlib
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
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.config import ROOT


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


def hwm_mb(pid: int) -> float | None:
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
                stopped_rss = hwm_mb(target) if target else None
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


def median_run(runs: list[Run]) -> dict[str, Any]:
    """Median wall time of ``runs``, every time, the largest peak RSS and the exit codes."""
    return {
        "seconds": statistics.median(r.seconds for r in runs),
        "seconds_all": [round(r.seconds, 4) for r in runs],
        "rss_mb": max(r.rss_mb for r in runs),
        "returncodes": sorted({r.returncode for r in runs}),
    }


def cli_command() -> list[str]:
    """``onde-sacoche`` as installed; ``python -m engine.cli`` when the script is not on PATH."""
    found = shutil.which("onde-sacoche")
    return [found] if found else [sys.executable, "-m", "engine.cli"]


def bench_env(tmp: Path) -> dict[str, str]:
    """The environment of a measured command: staging and cache directories inside ``tmp``."""
    env = dict(os.environ)
    env["TMPDIR"] = str(tmp)  # the pipeline's staging directory stays inside the work directory
    env["ONDE_SACOCHE_CACHE"] = str(tmp / "cache")  # a cache of its own, empty at the start
    env.pop("PYTHONHASHSEED", None)
    return env


def machine() -> dict[str, Any]:
    """What the figures were measured on: CPU, cores, memory, Python, system, commit, date."""
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


def timed(func: Any, *args: Any, **kwargs: Any) -> tuple[float, Any]:
    """Wall time of ``func(*args, **kwargs)`` in this process, and its value."""
    started = time.perf_counter()
    value = func(*args, **kwargs)
    return time.perf_counter() - started, value
