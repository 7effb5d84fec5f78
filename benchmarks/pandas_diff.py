"""(c) The same diff as the big plan of (b), done naively with pandas, side by side.

Read the CSV, read the state's user table, merge on INE, three sets (creations, updates,
deactivations): no normalising, no matching without INE, no classes, groups, guards, logins or SQL.
pandas is not a dependency: without it the case says so and is not measured.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.config import RUN_PY
from benchmarks.measure import measure
from benchmarks.text import mib, seconds


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


def pandas_child(argv: Sequence[str]) -> None:
    print(json.dumps(naive_pandas(Path(argv[0]), Path(argv[1]))))


def pandas_available() -> bool:
    return subprocess.run([sys.executable, "-c", "import pandas"], capture_output=True).returncode == 0


def measure_pandas(export: Path, db: Path, env: dict[str, str]) -> dict[str, Any]:
    """The naive diff in a process of its own (``run.py _pandas-child``): time, peak RSS, its counts."""
    naive = measure([sys.executable, str(RUN_PY), "_pandas-child", str(export), str(db)], env=env)
    counts = json.loads(naive.stdout.strip().splitlines()[-1]) if naive.returncode == 0 else None
    return {
        "seconds": naive.seconds,
        "rss_mb": naive.rss_mb,
        "returncode": naive.returncode,
        "counts": counts,
    }


def targets(large: dict[str, Any]) -> list[dict[str, Any]]:
    """Target (c): the plan of (b) faster than the naive pandas diff."""
    plan_run, ratio_b = large["plan"], large["ratio"]
    rows: list[dict[str, Any]] = []
    pandas = large.get("pandas")
    if pandas and pandas["returncode"] == 0:
        ours = plan_run["seconds"] if ratio_b is not None else None
        met_c = ours is not None and ours < pandas["seconds"]
        value_c = f"{seconds(ours) if ours else 'unfinished'} vs pandas {seconds(pandas['seconds'])}"
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
    for row in rows:
        row["why"] = _WHY if row["met"] is False else ""
    return rows


_WHY = (
    "pandas does a fraction of the work in vectorised C (no per-cell rules, no matching without "
    "INE, no look-alike search, no classes/groups/logins, no outputs); the plan is pure Python "
    "per pupil."
)


def markdown(large: dict[str, Any]) -> str:
    """Section (c) of docs/performance.md (its lines, the last one empty)."""
    plan_run = large["plan"]
    out: list[str] = []
    add = out.append
    add("## (c) The same diff with pandas\n")
    pandas = large.get("pandas")
    if pandas is None:
        add("Not measured: pandas is not installed (`pip install pandas`).\n")
    else:
        add("| | wall time | peak RSS | what it does |\n|---|---|---|---|")
        add(
            f"| `onde-sacoche plan` | {seconds(plan_run['seconds'])}"
            f"{' (unfinished)' if plan_run['timed_out'] else ''} | {mib(plan_run['rss_mb'])} | "
            "normalise every cell by the rules, detect format/encoding, read and fingerprint the state, "
            "3 matching tiers + fuzzy proposals, classes, groups, memberships, logins, passwords, guards, "
            "plan.json, SQL and report |"
        )
        counts = pandas.get("counts") or {}
        add(
            f"| naive pandas | {seconds(pandas['seconds'])} | {mib(pandas['rss_mb'])} | "
            "`read_csv` + `read_sql_query` "
            f"+ `merge` on INE, three sets (create {counts.get('create', '?'):,}, update "
            f"{counts.get('update', '?'):,}, deactivate {counts.get('deactivate', '?'):,}); no normalising, "
            "no matching without INE, no classes, groups, guards, logins or outputs |\n"
            if counts
            else f"| naive pandas | {seconds(pandas['seconds'])} | {mib(pandas['rss_mb'])} | failed |\n"
        )
    return "\n".join(out)
