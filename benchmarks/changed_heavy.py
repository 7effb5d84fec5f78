"""(h) A changed-heavy school on MariaDB: nearly every pupil changed, against the reference I/O.

The school of issue 17's table: class moves, new pupils, leavers, class renames and many homonyms
(:data:`CHANGED_HEAVY`, a :class:`benchmarks.synth.Shares` preset), its state copied into a private
MariaDB server holding SACoche's DDL (tests/support/mariadb.py). Measured side by side in one run:

- ``plan`` against that server (a separate process, instrumented by run.py's stage timer: wall time,
  peak RSS, where the time goes);
- the reference I/O: ``csv`` parsing the export, one read of the state's user table (the columns the
  plan reads) and a dict join on INE, in a process of its own;
- ``apply.sql`` through the ``mariadb`` client, against the time of loading the plan's rows (item id,
  kind, and the item as JSON) into a table with multi-row INSERTs (a few thousand rows each) through the
  same client; then apply.sql once more with every statement's server time logged
  (:mod:`benchmarks.apply_profile`), and its statements counted (:mod:`benchmarks.sqlshape`).

Its targets and section of docs/performance.md: :mod:`benchmarks.changed_report`. Run alone:
``python -m benchmarks.changed_heavy --pupils 20000`` (files kept in ``--work``/changed-heavy) or
``--pupils 50000 200000`` (several sizes, the table of the document).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from benchmarks import apply_profile, budgets, sqlshape, synth
from benchmarks.config import CHANGED_TARGET_PUPILS, ROOT, TODAY
from benchmarks.measure import bench_env, compile_project, measure
from benchmarks.stages import plan_child_command, read_stages

#: issue 17: "every pupil of a school changed: class moves, new pupils, leavers, class renames, many homonyms"
CHANGED_HEAVY = synth.Shares(
    arrivals=0.15,
    leavers=0.15,
    returning=0.02,
    former=0.02,
    class_changes=0.55,
    updates=0.25,  # with the above: 97 % of the export's pupils are created, moved or updated
    renamed_classes=0.5,
    new_classes=0.1,
    membership_changes=0.3,
    homonyms=0.1,
    twins=0.02,
)
TARGET_PLAN_RATIO = 10.0  # plan ≤ 10× the reference I/O
TARGET_RSS_MB = 1024.0  # peak RSS ≤ 1 GiB
TARGET_APPLY_RATIO = 3.0  # apply.sql ≤ 3× one multi-row INSERT of the same rows
INSERT_ROWS = 2_000  # rows per INSERT of the reference load

_REFERENCE_CHILD = """
import csv, sys, time
sys.path.insert(0, sys.argv[3])
import pymysql
from engine.state import READ_COLUMNS
started = time.perf_counter()
with open(sys.argv[1], encoding="utf-8-sig", newline="") as handle:
    rows = list(csv.reader(handle, delimiter=";"))
conn = pymysql.connect(unix_socket=sys.argv[2], user="root", password="", database="bench", charset="utf8")
with conn.cursor() as cursor:
    cursor.execute("SELECT " + ", ".join(READ_COLUMNS["sacoche_user"]) + " FROM sacoche_user")
    users = {row[2]: row for row in cursor if row[2]}
conn.close()
joined = sum(1 for row in rows[1:] if row[0] in users)
print(time.perf_counter() - started, joined)
"""


def _reference_load(items: Sequence[dict[str, Any]], sql: Path) -> int:
    """A script loading the plan's rows into a scratch table, INSERT_ROWS rows per INSERT; the row count."""

    def quoted(text: str) -> str:
        return "'" + text.replace("\\", "\\\\").replace("'", "''") + "'"

    with sql.open("w", encoding="utf-8") as out:
        out.write("DROP TABLE IF EXISTS bench_rows;\n")
        out.write(
            "CREATE TABLE bench_rows (id VARCHAR(64), kind VARCHAR(32), body MEDIUMTEXT) ENGINE=MyISAM;\n"
        )
        for start in range(0, len(items), INSERT_ROWS):
            chunk = items[start : start + INSERT_ROWS]
            values = ",\n".join(
                f"({quoted(i['id'])}, {quoted(i['kind'])}, {quoted(json.dumps(i, ensure_ascii=False))})"
                for i in chunk
            )
            out.write(f"INSERT INTO bench_rows (id, kind, body) VALUES\n{values};\n")
        out.write("DROP TABLE bench_rows;\n")
    return len(items)


def _client(server: Any, script: Path) -> float:
    with script.open("rb") as stdin:
        started = time.perf_counter()
        ran = subprocess.run(server.client_command("bench"), stdin=stdin, capture_output=True)
        seconds = time.perf_counter() - started
    if ran.returncode != 0:
        raise RuntimeError(f"{script.name} failed on MariaDB: {ran.stderr.decode()[-500:]}")
    return seconds


def bench_changed_heavy(
    work: Path, *, pupils: int, timeout: float, today: str, folder: str = "changed-heavy", keep: bool = True
) -> dict[str, Any]:
    """Plan, reference I/O and apply of one changed-heavy school on a private MariaDB server; the wall
    time of each phase of the case (``phases``) and of the whole (``wall_seconds``). The school, its
    state and the plan stay in ``work/folder`` when ``keep`` (for in-process timing afterwards)."""
    started = time.perf_counter()
    phases: dict[str, float] = {}

    def lap(name: str, since: float) -> float:
        now = time.perf_counter()
        phases[name] = round(now - since, 3)
        return now

    sys.path.insert(0, str(ROOT / "tests"))
    try:
        from support.mariadb import MariaDBServer, MariaDBUnavailable, SacocheDatabase
        from support.state_copy import copy_sqlite_to_mysql
    except ImportError as exc:  # pragma: no cover - the tests folder is part of the repository
        return {"pupils": pupils, "missing": f"not measured: {exc}"}
    home = work / folder
    school = synth.generate(home, pupils=pupils, seed=11, shares=CHANGED_HEAVY, prefix="changed")[0]
    mark = lap("generate", started)
    result: dict[str, Any] = {"pupils": school.pupils, "accounts": school.accounts, "planted": school.planted}
    result["load"] = [round(os.getloadavg()[0], 1)]  # the machine may be shared: said next to the figures
    result["nproc"] = os.cpu_count()
    result["phases"] = phases
    env = bench_env(work)
    try:
        with MariaDBServer(base_dir=home / "server") as server:
            server.create_database("bench")
            server.load_sacoche_schema("bench")
            db = SacocheDatabase(server, "bench")
            mark = lap("server", mark)
            copy_sqlite_to_mysql(school.db, db)
            mark = lap("copy_state", mark)
            reference = subprocess.run(
                [sys.executable, "-c", _REFERENCE_CHILD, str(school.export), str(server.socket), str(ROOT)],
                capture_output=True,
                text=True,
                check=True,
            )
            seconds, joined = reference.stdout.split()
            result["reference_seconds"], result["reference_joined"] = float(seconds), int(joined)
            mark = lap("reference", mark)
            timings, out = home / "stages.jsonl", home / "plan"
            timings.unlink(missing_ok=True)  # appended to by the measured process
            cmd = plan_child_command(timings, school.export, db.url, out, today=today)
            run = measure(cmd, timeout=timeout, env=env)
            mark = lap("plan", mark)
            result["plan"] = {
                "seconds": run.seconds,
                "rss_mb": run.rss_mb,
                "returncode": run.returncode,
                "timed_out": run.timed_out,
            }
            result["stages"], result["running"] = read_stages(timings)
            if run.returncode not in (0, 3) or run.timed_out:
                result["plan"]["stderr"] = run.stderr[-2000:]
                return result
            # the usual next step: the same plan once more into the same --out (its plan.json is there)
            again_log = home / "stages-replan.jsonl"
            again_log.unlink(missing_ok=True)
            again = measure(
                plan_child_command(again_log, school.export, db.url, out, today=today),
                timeout=timeout,
                env=env,
            )
            result["replan"] = {
                "seconds": again.seconds,
                "rss_mb": again.rss_mb,
                "returncode": again.returncode,
            }
            mark = lap("replan", mark)
            document = json.loads((out / "plan.json").read_text(encoding="utf-8"))
            result["summary"] = document["summary"]
            result["dialects"] = sorted(p.name for p in (out / "sql").iterdir() if p.is_dir())
            load = home / "reference-load.sql"
            result["load_rows"] = _reference_load(document["items"], load)
            del document
            result["load_seconds"] = _client(server, load)
            mark = lap("reference_load", mark)
            apply_sql = out / "sql" / "mysql" / "apply.sql"
            result["apply_mb"] = apply_sql.stat().st_size / 2**20
            result["apply_seconds"] = _client(server, apply_sql)
            mark = lap("apply", mark)
            result["apply_profile"] = apply_profile.profile(server, apply_sql, home / "server" / "slow.log")
            mark = lap("apply_profile", mark)
            with contextlib.closing(server.connect(None)) as connection:
                result["server"] = connection.get_server_info().removeprefix("5.5.5-").split("-")[0]
    except MariaDBUnavailable as exc:
        result["missing"] = f"not measured: {exc}"
        return result
    mark = lap("server_stop", mark)
    items = json.loads((out / "plan.json").read_text(encoding="utf-8"))["items"]
    kinds = {item["id"]: item["kind"] for item in items}
    result["accepted_items"] = sum(1 for item in items if item.get("accepted"))
    del items
    result["apply_shape"] = sqlshape.script_shape(apply_sql, kinds)
    lap("script_shape", mark)
    result["load"].append(round(os.getloadavg()[0], 1))
    result["plan_ratio"] = result["plan"]["seconds"] / result["reference_seconds"]
    result["apply_ratio"] = result["apply_seconds"] / result["load_seconds"]
    if not keep:
        shutil.rmtree(home, ignore_errors=True)  # a 200,000-pupil school's files are large
    result["wall_seconds"] = round(time.perf_counter() - started, 2)
    return result


def bench_changed_sizes(
    work: Path,
    sizes: Sequence[int],
    *,
    timeout: float,
    today: str,
    budget: budgets.Budget | None = None,
    say: Callable[[str], None] = print,
    keep: bool = False,
) -> dict[str, Any]:
    """(h) at each size, smallest first, each in ``work/changed-heavy-<pupils>`` (removed after unless
    ``keep``). The largest is where the targets are judged and is always measured; an intermediate size
    is skipped when, with the largest, it would not fit what is left of ``budget`` (estimated from this
    run's own rates)."""
    ordered = sorted(set(sizes))
    done: dict[str, Any] = {"target_pupils": CHANGED_TARGET_PUPILS, "runs": [], "skipped": []}
    if not ordered:
        return done
    largest = ordered[-1]
    for pupils in ordered:
        need = budgets.changed_estimate(pupils, done["runs"], budget)
        if budget is not None and pupils != largest:
            total = need + budgets.changed_estimate(largest, done["runs"], budget)
            if total > budget.left():
                done["skipped"].append(
                    {"pupils": pupils, "estimated_seconds": round(need), "left_seconds": round(budget.left())}
                )
                say(
                    f"(h) {pupils:,} pupils skipped: with {largest:,} it would take about {total:.0f} s, "
                    f"{budget.left():.0f} s are left of the budget"
                )
                continue
        say(f"(h) {pupils:,} pupils: about {need:.0f} s")
        measured = bench_changed_heavy(
            work, pupils=pupils, timeout=timeout, today=today, folder=f"changed-heavy-{pupils}", keep=keep
        )
        done["runs"].append(measured)
        if budget is not None:
            budget.spend(budgets.changed_estimate(pupils, [], None))
        say(f"(h) {pupils:,} pupils took {measured.get('wall_seconds') or 0:.0f} s")
    return done


def main(argv: Sequence[str] | None = None) -> int:
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pupils", type=int, nargs="+", default=[20_000], help="one size or several [20000]")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds allowed to each plan")
    parser.add_argument("--work", type=Path, default=None, help="where the files stay (default: removed)")
    args = parser.parse_args(argv)
    compile_project()
    with tempfile.TemporaryDirectory() as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        if len(args.pupils) == 1:  # its files in work/changed-heavy, as they always were
            one = bench_changed_heavy(work, pupils=args.pupils[0], timeout=args.timeout, today=TODAY)
            result = {"target_pupils": CHANGED_TARGET_PUPILS, "runs": [one], "skipped": []}
        else:
            result = bench_changed_sizes(
                work, args.pupils, timeout=args.timeout, today=TODAY, keep=args.work is not None
            )
    from benchmarks import changed_report  # it imports this module

    print(changed_report.markdown(result))
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
