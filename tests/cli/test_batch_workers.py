"""``onde-sacoche batch``'s worker processes: a worker that dies costs only its school, Ctrl-C stops the
batch at once (exit 130, no summary, no traceback)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from helpers import REPO

import engine.pipeline
from engine.batch import SUMMARY_FILE, batch_command

if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
from benchmarks import synth

TODAY = "2026-11-29"


def _dying_make_plan(real: Any, always: str, once: str, marker: Path) -> Any:
    """``make_plan`` whose worker process dies on export ``always``, and on ``once`` the first time."""

    def make_plan(export: Path, *args: Any, **kwargs: Any) -> Any:
        if export.stem == always or (export.stem == once and not marker.exists()):
            marker.touch()
            os._exit(9)  # the worker process dies as if killed: no exception, no result
        return real(export, *args, **kwargs)

    return make_plan


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_worker_that_dies_costs_only_its_school(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: str
) -> None:
    folder = tmp_path / "schools"
    schools = synth.generate(folder, schools=5, pupils=30, seed=4)
    db_map = synth.write_db_map(folder / "db-map.yaml", schools)
    dying = _dying_make_plan(engine.pipeline.make_plan, "ecole-02", "ecole-04", tmp_path / "died-once")
    monkeypatch.setattr(engine.pipeline, "make_plan", dying)  # the forked workers inherit it
    out = tmp_path / "out"
    args = [str(folder), "--db-map", str(db_map), "--out", str(out), "--today", TODAY, "--jobs", jobs]
    result = CliRunner().invoke(batch_command, args, catch_exceptions=False)
    assert result.exit_code == 1, result.output
    body = json.loads((out / SUMMARY_FILE).read_text(encoding="utf-8"))
    assert [s["school"] for s in body["schools"]] == [s.name for s in schools]
    assert [s["status"] for s in body["schools"]] == ["ok", "error", "ok", "ok", "ok"]
    assert "worker process planning this school died" in body["schools"][1]["error"]
    assert body["counts"] == {"ok": 4, "held": 0, "error": 1}
    for index in (0, 2, 3, 4):  # ecole-04's worker died once: planned again, alone
        assert (out / schools[index].name / "plan.json").is_file()


def _started(tmp_path: Path) -> tuple[subprocess.Popen[str], Path, list[synth.SchoolFiles]]:
    """A batch of 80 small schools, 2 jobs, in its own process group, once its first plan is written."""
    folder = tmp_path / "schools"
    schools = synth.generate(folder, schools=80, pupils=30, seed=5)
    db_map = synth.write_db_map(folder / "db-map.yaml", schools)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "engine.cli", "batch", str(folder), "--db-map", str(db_map)]
    command += ["--out", str(out), "--today", TODAY, "--jobs", "2"]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        start_new_session=True,  # its own process group, as a terminal's Ctrl-C reaches it
    )
    deadline = time.monotonic() + 60
    while not any((out / s.name / "plan.json").exists() for s in schools):
        assert process.poll() is None and time.monotonic() < deadline, "no school planned"
        time.sleep(0.01)
    return process, out, schools


def _group_ends(group: int) -> bool:
    """Whether every process of the group has ended within 30 s."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def test_ctrl_c_stops_the_batch_at_once(tmp_path: Path) -> None:
    process, out, schools = _started(tmp_path)
    os.killpg(process.pid, signal.SIGINT)
    _out, err = process.communicate(timeout=60)
    assert process.returncode == 130
    assert err.strip().splitlines()[-1] == "interrupted" and "Traceback" not in err
    assert not (out / SUMMARY_FILE).exists()
    planned = sum((out / s.name / "plan.json").exists() for s in schools)
    assert planned < len(schools) // 2  # the schools after the interruption are not planned


@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGKILL])
def test_the_workers_end_with_the_parent(tmp_path: Path, how: signal.Signals) -> None:
    process, _out, _schools = _started(tmp_path)
    process.send_signal(how)  # the parent only, not its workers
    try:
        _out_text, err = process.communicate(timeout=30)  # the workers hold its stdout and stderr too
        assert process.returncode == (130 if how == signal.SIGINT else -signal.SIGKILL)
        assert "Traceback" not in err
        assert _group_ends(process.pid), "a worker process outlived the batch"
    finally:
        with contextlib.suppress(ProcessLookupError):  # what is left, when the test fails
            os.killpg(process.pid, signal.SIGKILL)
