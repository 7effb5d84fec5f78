"""The benchmark's pure parts: its time budget, the shape of a script, and the sentences of
docs/performance.md rendered from saved measurements (no measuring here; see test_benchmark_smoke.py)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from helpers import REPO

if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
from benchmarks import apply_profile, budgets, changed_report, run, sqlshape, throughput
from benchmarks.config import FULL, QUICK
from benchmarks.report import cases_table


def stage(name: str, seconds: float, depth: int = 1, peak: float = 100.0) -> dict[str, Any]:
    return {"stage": name, "seconds": seconds, "depth": depth, "rss_mb": 50.0, "peak_mb": peak}


def changed_run(pupils: int, plan: float, reference: float, *, rss: float = 300.0) -> dict[str, Any]:
    """One size of (h) as bench_changed_heavy saves it (the figures made up)."""
    return {
        "pupils": pupils,
        "accounts": pupils + pupils // 50,
        "planted": {
            "create": pupils // 7,
            "update": pupils // 2,
            "deactivate": pupils // 7,
            "class_rename": 5,
        },
        "load": [1.2, 1.6],
        "nproc": 2,
        "reference_seconds": reference,
        "reference_joined": pupils // 2,
        "plan": {"seconds": plan, "rss_mb": rss, "returncode": 0, "timed_out": False},
        "stages": [
            stage("make_plan", plan, depth=0, peak=rss),
            stage("read_export", plan * 0.1),
            stage("read_state", plan * 0.1),
            stage("match", plan * 0.1),
            stage("build_plan", plan * 0.2, peak=rss),
            stage("render_sql", plan * 0.4, peak=rss),
        ],
        "running": None,
        "summary": {"create": pupils // 7, "update": pupils // 2, "classes_rename": 0, "unchanged": 10},
        "dialects": ["mysql"],
        "load_rows": pupils,
        "load_seconds": 1.0,
        "apply_mb": 5.5,
        "apply_seconds": 4.0,
        "server": "10.11.19",
        "accepted_items": pupils,
        "apply_shape": {
            "bytes": 5 * 2**20,
            "statements": 500,
            "data_statements": 40,
            "data_bytes": 4 * 2**20,
            "checksum_statements": 6,
            "per_item_statements": 300,
            "per_item": {
                "class_create": {"items": 75, "statements": 297},
                "group_create": {"items": 1, "statements": 3},
            },
        },
        "apply_profile": {
            "seconds": 3.5,
            "server_seconds": 3.0,
            "statements": 500,
            "kinds": [{"kind": "read set: checksums (SHA1)", "seconds": 1.5, "statements": 6}],
        },
        "phases": {"generate": 1.0, "plan": plan},
        "wall_seconds": plan + 10,
        "plan_ratio": plan / reference,
        "apply_ratio": 4.0,
    }


def test_the_largest_changed_size_is_always_kept_and_the_others_while_they_fit() -> None:
    sizes = (50_000, 100_000, 200_000)
    largest = budgets.changed_seconds(200_000)
    assert budgets.fitting_sizes(sizes, seconds=0, others=0) == [200_000]
    room = largest + budgets.changed_seconds(50_000)
    assert budgets.fitting_sizes(sizes, seconds=room + 1, others=0) == [50_000, 200_000]
    assert budgets.fitting_sizes(sizes, seconds=room + 1 + 600, others=600) == [50_000, 200_000]
    assert budgets.fitting_sizes(sizes, seconds=10_000, others=0) == list(sizes)
    assert budgets.fitting_sizes((), seconds=10_000, others=0) == []


def test_the_full_run_fits_its_default_budget_with_every_changed_size() -> None:
    estimated = budgets.estimate(FULL)
    assert sum(estimated.values()) < FULL.budget_minutes * 60
    assert set(estimated) == set(budgets.CASES)
    assert sum(budgets.estimate(QUICK).values()) < QUICK.budget_minutes * 60


def test_the_budget_measures_the_machine_slowness_and_scales_from_the_last_size() -> None:
    now = [100.0]
    budget = budgets.Budget(600, clock=lambda: now[0])
    now[0] += 30
    budget.spend(10)  # less than a minute estimated: too little to judge
    assert budget.slowness() == 1.0 and budget.left() == 570
    now[0] += 150
    budget.spend(80)  # 180 s spent for 90 estimated
    assert budget.slowness() == pytest.approx(2.0)
    assert budgets.changed_estimate(50_000, [], budget) == pytest.approx(2 * budgets.changed_seconds(50_000))
    measured = [{"pupils": 50_000, "wall_seconds": 108.0}]
    expected = 8 + 100 * 4**budgets.CHANGED_EXPONENT
    assert budgets.changed_estimate(200_000, measured, budget) == pytest.approx(expected)


def test_the_estimate_names_every_case_and_the_budget() -> None:
    text = budgets.describe(budgets.estimate(FULL), FULL, [50_000, 200_000], 25 * 60)
    assert "(h) changed-heavy school on MariaDB, 50,000, 200,000 pupils" in text
    assert "(b) big plan vs parsing, pandas, 1,000,000 pupils" in text
    assert text.splitlines()[-1].startswith("  total: ") and "budget 25.0 min" in text


def test_the_run_prints_its_estimate_and_can_stop_there(capsys: pytest.CaptureFixture[str]) -> None:
    assert run.main(["--estimate", "--changed-sizes", "1000,3000"]) == 0
    out = capsys.readouterr().out
    assert "1,000, 3,000 pupils" in out and "total:" in out
    assert run.main(["--estimate", "--budget", "0"]) == 0  # only the largest size then
    out = capsys.readouterr().out
    assert "(h) changed-heavy school on MariaDB, 200,000 pupils" in out
    assert "left out to fit the budget: 50,000, 100,000 pupils" in out
    with pytest.raises(SystemExit):
        run.main(["--estimate", "--changed-sizes", "many"])


SCRIPT = """\
-- header of the script
-- naming class_create-aaaaaaaaaa in a block of its own

SET NAMES utf8;
INSERT INTO onde_sacoche_pupil_new (n, item, login) VALUES
(1, 'create-0123456789', 'a;b'),
(2, 'create-9876543210', 'c');
-- ONDE-SACOCHE GUARD 1/3 class_create-aaaaaaaaaa: ref exists.
SET @onde_sacoche_other_state = (SELECT 1);
INSERT INTO onde_sacoche_guard (failed) SELECT 'GUARD 1/3 class_create-aaaaaaaaaa: ref exists'
  FROM DUAL WHERE 1 = 0;
-- ONDE-SACOCHE GUARD 3/3 <item>: row changed (a set statement, all rows)
INSERT INTO onde_sacoche_guard (failed) SELECT CONCAT('GUARD 3/3 ', t.item) FROM onde_sacoche_pupil_new t;
SET @s = (SELECT SUM(CONV(SUBSTR(SHA1(CONCAT_WS(0x1f, u.user_id)), 1, 15), 16, 10)) FROM sacoche_user u);
-- group_create-bbbbbbbbbb: groupe RG_X
INSERT INTO sacoche_groupe (groupe_type) SELECT 'groupe' FROM DUAL;
SET @onde_sacoche_rows = @onde_sacoche_rows + ROW_COUNT();
"""


def test_the_shape_of_a_script_counts_data_checksums_and_items_own_statements(tmp_path: Path) -> None:
    path = tmp_path / "apply.sql"
    path.write_text(SCRIPT, encoding="utf-8")
    kinds = {
        "create-0123456789": "create",
        "create-9876543210": "create",
        "class_create-aaaaaaaaaa": "class_create",
        "group_create-bbbbbbbbbb": "group_create",
    }
    shape = sqlshape.script_shape(path, kinds)
    assert shape["statements"] == 8
    assert shape["data_statements"] == 1 and shape["data_bytes"] > 0
    assert shape["checksum_statements"] == 1
    assert shape["per_item"] == {
        "class_create": {"items": 1, "statements": 2},
        "group_create": {"items": 1, "statements": 1},
    }
    assert shape["per_item_statements"] == 3
    text = sqlshape.describe(shape, items=4)
    assert "8 statements for 4 accepted items: 1 load the plan's rows" in text
    assert "class_create (1 item, 2), group_create (1 item, 1)" in text
    none = dict(shape, per_item={}, per_item_statements=0)
    assert sqlshape.describe(none, items=4).endswith("and no statement is an item's own.")


def test_changed_heavy_targets_are_judged_at_the_largest_size_with_the_trend() -> None:
    changed = {
        "target_pupils": 200_000,
        "runs": [changed_run(200_000, 150.0, 5.0, rss=1100.0), changed_run(50_000, 30.0, 1.5)],
        "skipped": [{"pupils": 100_000, "estimated_seconds": 90, "left_seconds": 60}],
        "left_out": [],
    }
    rows = changed_report.targets(changed)
    assert [r["id"] for r in rows] == ["h", "h", "h"]
    plan, rss, apply = rows
    assert "200,000 pupils" in plan["what"] and "target is for" not in plan["what"]
    assert plan["value"] == "150.00 s vs 5.00 s = 30.0×" and plan["met"] is False
    assert plan["gap"] == "3.00× the target"
    assert "Across sizes: 20.0× (50,000) → 30.0× (200,000)." in plan["why"]
    assert "`render_sql` 60.00 s (40%)" in plan["why"] and "mysql scripts" in plan["why"]
    assert rss["met"] is False and "`build_plan`" in rss["why"]
    assert apply["met"] is False and "class_create (75 items, 297)" in apply["why"]
    assert "read set: checksums (SHA1) 1.50 s (50%, 6 statements)" in apply["why"]
    text = changed_report.markdown(changed)
    assert "Sizes measured: 50,000, 200,000 pupils; the targets are judged at the largest, 200,000" in text
    assert "100,000 (skipped: about 90.00 s with 60.00 s left of the time budget)" in text
    table = [
        line for line in text.splitlines() if line.startswith("| 50,000") or line.startswith("| 200,000")
    ]
    assert [line.split(" | ")[0] for line in table] == ["| 50,000", "| 200,000"]  # smallest first
    assert "| `render_sql` | 12.00 s | 60.00 s |" in text
    assert "| read set: checksums (SHA1) | 1.50 s | 6 |" in text
    assert "0 classes rename" in text  # what the plan did, next to what was planted
    assert "5 classes still named as last year in SACoche (the plan renames none:" in text
    assert "the state held no archive of the previous import)" in text  # a report saved before 2026-12
    assert "on 2 cores (the plan and the MariaDB server" in text  # load 1.6 ≤ 2 cores: not "shared"


def test_a_smaller_judged_size_says_where_the_target_is_and_an_old_report_still_renders() -> None:
    old = changed_run(50_000, 100.0, 2.0)  # a report saved when (h) measured one size
    rows = changed_report.targets(old)
    assert "50,000 pupils (the target is for 200,000)" in rows[0]["what"]
    assert "Across sizes" not in rows[0]["why"]
    old["load"] = [6.2, 5.8]
    text = changed_report.markdown(old)
    assert "| 50,000 | 2.00 s | 100.00 s | 50.0× |" in text
    assert "above the cores, other work shared the machine" in text


def test_the_renames_planned_or_why_none_is() -> None:
    renamed = changed_run(20_000, 10.0, 1.0)
    renamed["planted"]["archived"] = 19_000
    renamed["summary"]["classes_rename"] = 5
    text = changed_report.markdown({"runs": [renamed], "skipped": []})
    assert "5 classes still named as last year in SACoche. Plan:" in text and "5 classes rename" in text
    too_big = changed_run(200_000, 100.0, 5.0)
    too_big["planted"]["archived"] = 0  # the previous file does not fit SACoche's MEDIUMTEXT
    text = changed_report.markdown({"runs": [too_big], "skipped": []})
    assert "(the plan renames none: a class is renamed only when SACoche's archive" in text
    assert "too big for SACoche's archive (MEDIUMTEXT), which keeps none)" in text


def test_an_unfinished_or_missing_changed_case_is_said() -> None:
    stopped = changed_run(200_000, 900.0, 5.0)
    for key in ("plan_ratio", "apply_ratio", "summary"):
        stopped.pop(key)
    stopped["plan"]["timed_out"], stopped["running"] = True, "make_plan > render_outputs"
    rows = changed_report.targets({"runs": [stopped], "skipped": []})
    assert rows[0]["met"] is False and "unfinished after" in rows[0]["value"]
    assert "`make_plan > render_outputs`" in rows[0]["value"]
    assert "| 200,000 | 5.00 s | timed out |" in changed_report.markdown({"runs": [stopped], "skipped": []})
    missing = {"runs": [{"pupils": 200, "missing": "not measured: no mariadbd"}], "skipped": []}
    assert changed_report.targets(missing)[0]["met"] is None
    assert "Not measured: not measured: no mariadbd" in changed_report.markdown(missing)


def test_the_cases_table_says_when_other_work_shared_the_machine() -> None:
    quiet = cases_table(
        {"a": {"seconds": 5.0, "load": [0.3, 0.9]}, "h": {"seconds": 300.0, "load": [1.1, 1.9]}}, 2
    )
    assert "| changed-heavy school on MariaDB (h) | 300.00 s | 1.1 – 1.9 |" in quiet
    assert "The whole run: 5.1 min." in quiet
    assert "other work" not in quiet
    busy = cases_table({"b": {"seconds": 100.0, "load": [2.5, 6.0]}}, 2)
    assert "rose above the 2 cores: other work shared the machine" in busy


def throughput_result(load: list[float]) -> dict[str, Any]:
    one = {"seconds": 40.0, "schools_per_second": 25.0, "school_seconds": 30.0}
    two = {"seconds": 25.0, "schools_per_second": 40.0, "school_seconds": 36.0}
    return {
        "schools": 1000,
        "pupils_per_school": 150,
        "runs": 1,
        "load": load,
        "nproc": 2,
        "files_per_school": 12.0,
        "jobs1": one,
        "jobs2": two,
        "speedup": 1.6,
        "french_schools_minutes": 45_000 / 40 / 60,
    }


def test_the_throughput_sentences_come_from_the_measurements() -> None:
    small = {"pupils": 300, "plan": {"seconds": 0.2}}
    rate, speedup = throughput.targets(throughput_result([1.0, 1.5]), small)
    assert rate["value"] == "40.0 schools/s (45,000 schools in 19 min)" and rate["met"] is False
    assert rate["gap"] == "2.00× too slow"
    assert "12 files written a school), 40 ms a school with 1 job (30 ms inside" in rate["why"]
    assert "against 200 ms for one 300-pupil `plan` process in (a)" in rate["why"]
    assert "The target is 12 ms a school with 2 jobs, 25 ms a school in each worker." in rate["why"]
    assert "(at most the cores)" in rate["why"]
    assert speedup["value"] == "40.00 s vs 25.00 s = 1.60×" and speedup["met"] is False
    assert "(1.20× as long each when two run at once)" in speedup["why"]
    busy = throughput.targets(throughput_result([3.0, 5.5]))[1]["why"]
    assert "above the cores: other work shared them" in busy
    text = throughput.markdown(
        throughput_result([1.0, 1.5])
        | {
            "jobs1": {
                **throughput_result([])["jobs1"],
                "seconds_all": [40.0],
                "rss_mb": 80,
                "tree_rss_mb": None,
            },
            "jobs2": {
                **throughput_result([])["jobs2"],
                "seconds_all": [25.0],
                "rss_mb": 70,
                "tree_rss_mb": 150,
                "counts": {"ok": 1000},
            },
        }
    )
    assert "one run each." in text and "extrapolated linearly" in text


SLOW_LOG = """\
/usr/sbin/mariadbd, Version: 10.11.19-MariaDB-log. started with:
Tcp port: 0  Unix socket: /tmp/x/mysql.sock
Time                Id Command  Argument
# Time: 261202  4:21:45
# User@Host: root[root] @ localhost []
# Thread_id: 5  Schema: bench  QC_hit: No
# Query_time: 0.500000  Lock_time: 0.000050  Rows_sent: 0  Rows_examined: 0
# Rows_affected: 2  Bytes_sent: 11
use bench;
SET timestamp=1733113425;
INSERT INTO onde_sacoche_pupil_change (n, item) VALUES
(1, 'update-0123456789'),
(2, 'update-9876543210');
# Query_time: 0.250000  Lock_time: 0.000050  Rows_sent: 0  Rows_examined: 9
SET timestamp=1733113425;
INSERT INTO onde_sacoche_guard (failed, explanation)
  SELECT LEFT(CONCAT('GUARD 29/31 ', bad.item, ': row changed'), 64), 'x' FROM onde_sacoche_pupil_change t;
# Query_time: 0.125000  Lock_time: 0.000050  Rows_sent: 0  Rows_examined: 9
SET timestamp=1733113425;
INSERT INTO onde_sacoche_guard (failed, explanation)
  SELECT 'GUARD 1/31 class_create-17afcc7c3e: ref exists', 'y' FROM DUAL;
# Query_time: 0.100000  Lock_time: 0.000050  Rows_sent: 0  Rows_examined: 9
SET timestamp=1733113425;
SET @onde_sacoche_other_state = (SELECT COUNT(*) FROM sacoche_groupe) IS TRUE;
# Query_time: 0.200000  Lock_time: 0.000050  Rows_sent: 0  Rows_examined: 9
SET timestamp=1733113425;
SET @s = (SELECT SUM(CONV(SUBSTR(SHA1(CONCAT_WS(0x1f, u.user_id)), 1, 15), 16, 10)) FROM sacoche_user u);
# Query_time: 0.050000  Lock_time: 0.000050  Rows_sent: 0  Rows_examined: 9
SET timestamp=1733113425;
UPDATE sacoche_user u JOIN onde_sacoche_pupil_change t ON u.user_id = t.user_id SET u.user_genre = t.v;
# Query_time: 0.025000  Lock_time: 0.000050  Rows_sent: 0  Rows_examined: 9
SET timestamp=1733113425;
INSERT IGNORE INTO onde_sacoche_touched (what, k) SELECT 'u', user_id FROM onde_sacoche_pupil_change;
# Query_time: 0.010000  Lock_time: 0.000050  Rows_sent: 0  Rows_examined: 9
SET timestamp=1733113425;
DELETE j FROM onde_sacoche_membership t JOIN sacoche_jointure_user_groupe j ON j.user_id = t.user_id;
# Query_time: 0.001000  Lock_time: 0.000050  Rows_sent: 0  Rows_examined: 9
SET timestamp=1733113425;
UNLOCK TABLES;
"""


def test_the_apply_profile_sums_the_server_time_per_kind_of_statement() -> None:
    found = list(apply_profile.entries(SLOW_LOG.splitlines(keepends=True)))
    assert [seconds for seconds, _ in found] == [0.5, 0.25, 0.125, 0.1, 0.2, 0.05, 0.025, 0.01, 0.001]
    assert [apply_profile.kind(statement) for _, statement in found] == [
        "data: rows into onde_sacoche_pupil_change",
        "guard: row changed",
        "guard: ref exists",
        "guard: an item's other state",
        "read set: checksums (SHA1)",
        "write: UPDATE sacoche_user",
        "temporary: onde_sacoche_touched filled from the tables",
        "write: DELETE sacoche_jointure_user_groupe",
        "UNLOCK TABLES",
    ]
    summary = apply_profile.summarise(found, top=3)
    assert summary["statements"] == 9 and summary["server_seconds"] == pytest.approx(1.261)
    assert [k["kind"] for k in summary["kinds"]] == [
        "data: rows into onde_sacoche_pupil_change",
        "guard: row changed",
        "read set: checksums (SHA1)",
        "6 other kinds",
    ]
    assert summary["kinds"][-1] == {"kind": "6 other kinds", "seconds": 0.311, "statements": 6}
    text = apply_profile.describe({"seconds": 1.5, **summary})
    assert "apply.sql took 1.50 s, 1.26 s of it on the server (9 statements" in text
    assert "data: rows into onde_sacoche_pupil_change 0.50 s (40%, 1 statement)" in text
    assert apply_profile.describe({"failed": "ERROR 1062"}) == ""
