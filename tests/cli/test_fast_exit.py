"""A command-line run ends without the interpreter's teardown (engine.cliguard._exit_now): what it printed
and wrote is complete, its exit code is the command's, and an in-process call of main() still returns
through SystemExit (tests and callers are never killed)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import EXAMPLES, REPO

from engine.cli import main

EXPORT = EXAMPLES / "onde2-ecole-des-tilleuls.csv"


def _run(*args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("ONDE_SACOCHE_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "engine.cli", *args], capture_output=True, text=True, env=env, **kwargs
    )


def test_a_plan_run_from_the_command_line_prints_and_writes_everything(
    tmp_path: Path, sacoche_sqlite: Path
) -> None:
    out = tmp_path / "plan"
    args = ["plan", str(EXPORT), "--db", f"sqlite:///{sacoche_sqlite}", "--out", str(out)]
    args += ["--today", "2026-09-01", "--allow", "coverage"]
    run = _run(*args)
    in_process = CliRunner().invoke(main, [*args[:-4], "--out", str(tmp_path / "again"), *args[-4:]])
    assert run.returncode == in_process.exit_code
    assert run.returncode in (0, 3), run.stderr
    assert run.stdout.replace(str(out), "OUT") == in_process.stdout.replace(str(tmp_path / "again"), "OUT")
    assert run.stdout.rstrip().endswith("plan.json")
    document = json.loads((out / "plan.json").read_text(encoding="utf-8"))  # whole, closed, valid
    assert document["items"]
    assert (out / "rapport.html").read_text(encoding="utf-8").rstrip().endswith("</html>")


def test_help_through_a_pipe_is_complete() -> None:
    run = _run("--help")
    assert run.returncode == 0
    assert run.stdout.startswith("Usage: ") and "Exit codes:" in run.stdout
    assert run.stdout.endswith('instead of "unexpected error".\n')  # the last line, flushed


def test_an_error_keeps_exit_code_1_and_its_message() -> None:
    run = _run("plan", "/nonexistent/export.csv", "--db", "sqlite:///x.db")
    assert run.returncode == 1
    assert "does not exist" in run.stderr and "what to do" in run.stderr


def test_main_called_in_process_still_raises_system_exit() -> None:
    with pytest.raises(SystemExit) as exited:
        main(args=["--help"])
    assert exited.value.code == 0
