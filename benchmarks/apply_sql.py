"""(f) Applying the SQL: apply.sql, verify.sql and revert.sql of one big school's plan, run as a DBA
runs them. Not a target of the issue, but what a DBA waits for.

SQLite in-process as ``onde-sacoche apply`` does; MariaDB through the ``mariadb`` client, on a private
server started here (tests/support/mariadb.py). Each run must succeed and verify must say OK.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks import sqlshape, synth
from benchmarks.config import ALLOW_ALL, ROOT, Sizes
from benchmarks.measure import timed
from benchmarks.text import seconds


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

    def shape(out: Path, dialect: str) -> dict[str, Any]:
        """apply.sql's size and statements (:mod:`benchmarks.sqlshape`), and the plan's accepted items."""
        items = json.loads((out / "plan.json").read_text(encoding="utf-8"))["items"]
        found = sqlshape.script_shape(sql_path(out, dialect, "apply"), {i["id"]: i["kind"] for i in items})
        return {"accepted_items": sum(1 for i in items if i.get("accepted")), "apply_shape": found}

    # SQLite, the demo database
    out = folder / "plan-sqlite"
    plan_seconds, _ = timed(make_plan, school.export, school.db_url, out, allow=ALLOW_ALL)
    files = scripts(out, "sqlite")
    apply_seconds, _ = timed(run_sqlite, school.db, files["apply"])
    verify_seconds, verified = timed(verify_sqlite, school.db, files["verify"])
    revert_seconds, _ = timed(run_sqlite, school.db, files["revert"])
    result["databases"].append(
        {
            "database": f"SQLite {sqlite3_version()}",
            "plan": plan_seconds,
            "apply": apply_seconds,
            "verify": verify_seconds,
            "revert": revert_seconds,
            "verified": verified.rows[-1][2] if verified.rows else "",
            **shape(out, "sqlite"),
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
            plan_seconds, _ = timed(make_plan, fresh.export, db.url, out, allow=ALLOW_ALL)
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
            **shape(out, "mysql"),
        }
    )
    shutil.rmtree(folder, ignore_errors=True)
    return result


def sqlite3_version() -> str:
    import sqlite3

    return sqlite3.sqlite_version


def markdown(apply: dict[str, Any]) -> str:
    """Section (f) of docs/performance.md (its lines, the last one empty)."""
    out: list[str] = []
    add = out.append
    add(f"## (f) Applying the SQL: one school of {apply['pupils']:,} pupils\n")
    add(
        "Not a target of the issue, but what a DBA waits for. The plan's scripts run as a DBA runs them: "
        "SQLite in-process as `onde-sacoche apply` does, MariaDB through the `mariadb` client on a "
        'private server started by the benchmark. Wall time of each script; "verify says" is what '
        "verify.sql answered after apply.sql; the last column counts apply.sql's statements, and those "
        "naming a single item of the plan (its own guard or write, not a set statement over many rows).\n"
    )
    add("| database | plan | apply.sql | verify.sql | revert.sql | verify says | apply.sql holds |")
    add("|---|---|---|---|---|---|---|")
    for row in apply["databases"]:
        held = row.get("apply_shape")
        holds = (
            f"{held['bytes'] / 2**20:.1f} MiB, {held['statements']:,} statements for "
            f"{row['accepted_items']:,} accepted items, {held['per_item_statements']:,} of them an item's own"
            if held
            else ""
        )
        add(
            f"| {row['database']} | {seconds(row['plan'])} | {seconds(row['apply'])} | "
            f"{seconds(row['verify'])} | {seconds(row['revert'])} | {row['verified']} | {holds} |"
        )
    if apply.get("mariadb"):
        add(f"\nMariaDB {apply['mariadb']}.")
    add("")
    return "\n".join(out)
