"""benchmarks/run.py at a tiny size: every measurement gives numbers and docs/performance.md renders.

The real benchmark (1,000,000 pupils) is not part of the suite; this keeps its code from rotting.
pandas is not a dependency: its column is skipped here.
"""

from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path

import pytest
from helpers import REPO

if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
from benchmarks import budgets, changed_heavy, changed_report, run
from benchmarks.batch import bench_batch
from benchmarks.config import TINY, TODAY, Sizes
from benchmarks.large import bench_large
from benchmarks.measure import machine, measure
from benchmarks.report import evaluate, render_markdown
from benchmarks.stages import read_stages
from benchmarks.startup import bench_startup_and_small


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict:
    work = tmp_path_factory.mktemp("bench")
    return run.run_all(work, TINY, mode="tiny", with_pandas=False) | {"work": str(work)}


def test_every_measurement_is_a_number(report: dict) -> None:
    small, large, batch = report["small"], report["large"], report["batch"]
    for key in ("python_bare", "import_engine_cli", "help", "plan"):
        assert small[key]["seconds"] > 0 and small[key]["rss_mb"] > 0
    assert small["ratio"] > 0
    assert large["parse_seconds"] > 0
    assert large["plan"]["returncode"] == 0 and not large["plan"]["timed_out"]
    assert large["ratio"] > 0 and large["plan"]["rss_mb"] > 0
    assert large["summary"]["pupils_in_file"] == TINY.big_pupils
    stages = [s["stage"] for s in large["stages"]]
    assert {"make_plan", "read_export", "read_state", "match", "build_plan"} <= set(stages)
    assert large["plan_json_mb"] > 0
    for jobs in (1, 2):
        assert batch[f"jobs{jobs}"]["seconds"] > 0
        assert batch[f"jobs{jobs}"]["counts"]["ok"] == TINY.batch_schools
    assert batch["speedup"] > 0
    databases = report["apply"]["databases"]
    missing = report["apply"].get("mariadb")  # "not measured: …" when MariaDB is not installed
    assert not (missing and os.environ.get("CI")), missing
    assert [row["database"].split()[0] for row in databases] == ["SQLite"] + ([] if missing else ["MariaDB"])
    for row in databases:
        assert all(row[k] > 0 for k in ("plan", "apply", "verify", "revert")), row
        assert row["verified"].startswith("OK: "), row
    assert report["machine"]["nproc"] >= 1 and report["machine"]["python"]
    json.dumps(report)  # the raw report can be saved


def test_throughput_counts_schools_per_second(report: dict) -> None:
    measured = report["throughput"]
    assert measured["schools"] == TINY.throughput_schools
    for jobs in (1, 2):
        row = measured[f"jobs{jobs}"]
        assert row["counts"]["ok"] == TINY.throughput_schools and row["returncode"] == 0
        assert row["schools_per_second"] == pytest.approx(measured["schools"] / row["seconds"])
    assert measured["speedup"] > 0
    assert measured["french_schools_minutes"] == pytest.approx(
        45_000 / measured["jobs2"]["schools_per_second"] / 60
    )


def test_changed_heavy_school_on_mariadb(report: dict) -> None:
    changed = report["changed"]
    assert changed["target_pupils"] == 200_000 and changed["skipped"] == []
    (measured,) = changed["runs"]  # TINY measures one size
    assert measured["pupils"] == TINY.changed_sizes[0]
    if measured.get("missing"):  # MariaDB not installed: said, never silently skipped on CI
        assert not os.environ.get("CI"), measured["missing"]
        return
    assert measured["plan"]["returncode"] in (0, 3) and not measured["plan"]["timed_out"]
    planted, summary = measured["planted"], measured["summary"]
    changed_pupils = planted["create"] + planted["update"] + planted["deactivate"] + planted["reactivate"]
    assert changed_pupils >= 0.9 * measured["pupils"]  # nearly every pupil changed
    assert summary["update"] > summary["unchanged"]
    assert summary["classes_rename"] == planted["class_rename"] > 0  # read from the copied archive
    assert measured["reference_seconds"] > 0 and measured["reference_joined"] > 0
    assert measured["load_rows"] > 0 and measured["load_seconds"] > 0 and measured["apply_seconds"] > 0
    assert measured["plan_ratio"] > 0 and measured["apply_ratio"] > 0
    assert {"read_state", "render_sql"} <= {s["stage"] for s in measured["stages"]}
    assert len(measured["load"]) == 2 and measured["nproc"] >= 1  # a shared machine says so
    assert measured["dialects"] == ["mysql"]  # a MariaDB state: the MySQL scripts only
    shape = measured["apply_shape"]
    assert shape["data_statements"] > 0 and shape["statements"] > shape["data_statements"]
    assert 0 < measured["accepted_items"] <= measured["load_rows"]
    profiled = measured["apply_profile"]  # apply.sql once more, every statement's server time logged
    assert profiled["statements"] >= shape["statements"] and profiled["server_seconds"] > 0
    # every kind, not only the heaviest: a tiny school's data statements may rank low under load
    assert any(k.startswith("data: rows into onde_sacoche_") for k in profiled["every_kind"])
    assert {"generate", "copy_state", "plan", "replan", "apply"} <= set(measured["phases"])
    assert measured["replan"]["returncode"] in (0, 3) and measured["replan"]["rss_mb"] > 0
    assert measured["wall_seconds"] >= sum(measured["phases"].values()) - 0.1
    assert not (Path(report["work"]) / f"changed-heavy-{measured['pupils']}").exists()  # removed after
    text = changed_report.markdown(changed)
    assert f"| {measured['pupils']:,} | " in text and "Its apply.sql: " in text


def test_changed_heavy_skips_an_intermediate_size_that_does_not_fit(tmp_path: Path) -> None:
    heard: list[str] = []
    budget = budgets.Budget(0)  # nothing left: only the largest size, where the targets are judged
    changed = changed_heavy.bench_changed_sizes(
        tmp_path, (60, 20), timeout=120, today=TODAY, budget=budget, say=heard.append
    )
    assert [r["pupils"] for r in changed["runs"]] == [60]
    assert [s["pupils"] for s in changed["skipped"]] == [20]
    assert heard[0].startswith("(h) 20 pupils skipped")
    assert "20 (skipped: about" in changed_report.markdown(changed)


def test_the_run_records_each_case_and_its_load(report: dict) -> None:
    assert list(report["cases"]) == ["a", "b", "d", "f", "g", "h"]
    for case in report["cases"].values():
        assert case["seconds"] >= 0 and len(case["load"]) == 2
    text = render_markdown(report)
    assert "| changed-heavy school on MariaDB (h) | " in text and "The whole run: " in text
    for row in report["apply"]["databases"]:
        assert row["apply_shape"]["statements"] > 0 and row["accepted_items"] > 0
    assert "statements for" in text


def test_the_document_renders_every_target(report: dict, tmp_path: Path) -> None:
    text = render_markdown(report)
    sections = ("## Machine", "## Targets", *(f"## ({x})" for x in "abcdefgh"), "## Notes")
    for section in sections:
        assert section in text
    rows = [line for line in text.splitlines() if line.startswith("| (")]
    heavy = ["| (h)"] * (1 if report["changed"].get("missing") else 4)  # with the re-plan's peak
    assert [row[:5] for row in rows] == [
        "| (a)",
        "| (b)",
        "| (c)",
        "| (d)",
        "| (e)",
        "| (g)",
        "| (g)",
        *heavy,
    ]
    assert "schools/s" in text and "45,000" in text
    assert "pandas is not installed" in text
    assert "`read_export`" in text
    targets = evaluate(report)
    assert [t["met"] for t in targets if t["id"] == "c"] == [None]
    for target in targets:  # a missed target says by how much, and why
        if target["met"] is False:
            assert target["gap"]
            assert f"**({target['id']})**" in text


def test_an_unfinished_big_plan_is_reported_with_its_stage(tmp_path: Path) -> None:
    sizes = Sizes(
        small_pupils=30,
        runs=1,
        big_pupils=5_000,
        big_timeout=0.5,
        batch_schools=2,
        batch_pupils=30,
        parse_runs=1,
    )
    large = bench_large(tmp_path, sizes, with_pandas=False)
    assert large["plan"]["timed_out"]
    assert large["ratio"] is None
    assert not math.isnan(large["plan"]["rss_mb"])
    report = {
        "mode": "tiny",
        "machine": machine(),
        "small": bench_startup_and_small(tmp_path / "s", sizes),
        "large": large,
        "batch": bench_batch(tmp_path / "b", sizes),
    }
    text = render_markdown(report)
    assert "unfinished" in text and "**missed**" in text


def test_measure_kills_on_timeout_and_reads_rss() -> None:
    done = measure([sys.executable, "-c", "x = bytearray(64 * 2**20); print(len(x))"])
    assert done.returncode == 0 and done.stdout.strip() == str(64 * 2**20)
    assert done.rss_mb > 64
    stopped = measure([sys.executable, "-c", "import time; time.sleep(30)"], timeout=0.5)
    assert stopped.timed_out and stopped.seconds < 10


def test_stage_log_of_a_stopped_run(tmp_path: Path) -> None:
    log = tmp_path / "stages.jsonl"
    events = [
        {"event": "start", "stage": "make_plan", "depth": 0},
        {"event": "start", "stage": "read_export", "depth": 1},
        {
            "event": "end",
            "stage": "read_export",
            "depth": 1,
            "at": 1.0,
            "seconds": 0.5,
            "rss_mb": 1,
            "peak_mb": 1,
        },
        {"event": "start", "stage": "render_outputs", "depth": 1},
    ]
    log.write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")
    done, running = read_stages(log)
    assert [s["stage"] for s in done] == ["read_export"]
    assert running == "make_plan > render_outputs"


def test_the_entry_rewrites_the_document_from_saved_measurements(report: dict, tmp_path: Path) -> None:
    saved, doc = tmp_path / "report.json", tmp_path / "performance.md"
    saved.write_text(json.dumps(report), encoding="utf-8")
    assert run.main(["--render", str(saved), "--doc", str(doc)]) == 0
    assert doc.read_text(encoding="utf-8") == render_markdown(json.loads(json.dumps(report)))


def test_every_benchmark_module_stays_under_400_lines() -> None:
    modules = sorted((REPO / "benchmarks").rglob("*.py"))
    assert len(modules) > 10
    too_long = {str(p.relative_to(REPO)): n for p in modules if (n := len(p.read_text().splitlines())) > 400}
    assert not too_long


def test_rewriting_the_document_keeps_the_dated_measurements(tmp_path: Path) -> None:
    from benchmarks.report import DATED_MARKER, write_document

    doc = tmp_path / "performance.md"
    write_document(doc, "# Performance\n\nold figures\n")
    assert doc.read_text(encoding="utf-8") == "# Performance\n\nold figures\n"
    doc.write_text(
        doc.read_text(encoding="utf-8") + f"\n{DATED_MARKER}\n\n- 2026-12-02: 3.1x\n", encoding="utf-8"
    )
    write_document(doc, "# Performance\n\nnew figures\n")
    text = doc.read_text(encoding="utf-8")
    assert "new figures" in text and "old figures" not in text
    assert text.endswith(f"{DATED_MARKER}\n\n- 2026-12-02: 3.1x\n")


def test_the_shipped_document_has_its_dated_part() -> None:
    from benchmarks.config import DOC
    from benchmarks.report import DATED_MARKER

    text = DOC.read_text(encoding="utf-8")
    assert text.count(DATED_MARKER) == 1
    assert "Set-based SQL for the pupils' families" in text.split(DATED_MARKER)[1]


def test_a_report_saved_before_these_fields_existed_still_renders(report: dict) -> None:
    old = json.loads(json.dumps(report))
    for key in ("cases", "command", "work"):
        old.pop(key, None)
    old["changed"] = old["changed"]["runs"][0]  # (h) measured one size
    for key in ("dialects", "apply_shape", "apply_profile", "phases", "wall_seconds", "accepted_items"):
        old["changed"].pop(key, None)
    for key in ("load", "nproc", "files_per_school"):
        old["throughput"].pop(key, None)
        old["batch"].pop(key, None)
    old["small"].pop("scripts")
    old["large"].pop("scripts")
    for row in old["apply"]["databases"]:
        row.pop("apply_shape")
    text = render_markdown(old)
    assert "## (h) Changed-heavy school on MariaDB" in text and "## Notes" in text
    assert "Measured by `python benchmarks/run.py` on" in text
